"""Read-side aggregates for managers. Nothing outside analytics imports this module."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count

from surveys.models import Campaign, FollowUp, Response


@dataclass
class CampaignRow:
    campaign: Campaign
    by_status: dict[str, int] = field(default_factory=dict)
    responses: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def open(self) -> int:
        return sum(self.by_status.get(status, 0) for status in FollowUp.OPEN_STATUSES)

    @property
    def completed(self) -> int:
        return self.by_status.get(FollowUp.Status.COMPLETED, 0)


def campaign_overview() -> list[CampaignRow]:
    """Each campaign with its follow-ups counted by status and its submitted responses."""
    campaigns = list(Campaign.objects.select_related("survey").order_by("-created_at"))
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for row in FollowUp.objects.values("campaign_id", "status").annotate(n=Count("id")).order_by():
        counts[row["campaign_id"]][row["status"]] = row["n"]
    responses = dict(
        Response.objects.filter(status=Response.Status.SUBMITTED)
        .values_list("follow_up__campaign_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [CampaignRow(c, counts.get(c.pk, {}), responses.get(c.pk, 0)) for c in campaigns]
