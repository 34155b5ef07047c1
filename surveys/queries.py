"""Reads for the agent's pages and the managers' campaign pages."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import pandas as pd
import phonenumbers
from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMinute
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer, User
from surveys import heatmap
from surveys.models import Campaign, ContactAttempt, FollowUp, PlanningStatus
from surveys.policies import PRESETS


def agent_queue(
    *, agent: User, now: datetime, limit: int = 50, whose: Literal["either", "mine", "pool"] = "either"
) -> QuerySet[FollowUp]:
    """Phone follow-ups the agent may call right now: theirs or unassigned, due first, highest priority first.

    ``whose`` narrows it to the agent's own calls ("mine") or the shared pool ("pool", no agent yet).
    Only calls of running campaigns whose customer may be called at ``now`` in their own time zone and
    under their policy (surveys.dispatch.callable_now): the dispatcher moves the others to their next
    slot every minute, and until it has, they must not be shown. The rules are Python, so a few times
    ``limit`` due rows are read and filtered here; the result is a queryset of those ids, in order.
    """
    from surveys.dispatch import callable_now  # the dispatcher's rules; imported late to keep reads light

    holders = {
        "either": Q(assigned_agent=agent) | Q(assigned_agent__isnull=True),
        "mine": Q(assigned_agent=agent),
        "pool": Q(assigned_agent__isnull=True),
    }[whose]
    due = (
        FollowUp.objects.filter(
            holders,
            channel="phone",
            status__in=FollowUp.DUE_STATUSES,
            scheduled_for__lte=now,
            campaign__status=Campaign.Status.RUNNING,
        )
        .select_related("customer", "campaign", "wallet_event")
        .order_by("scheduled_for", "-priority", "id")
    )
    ids = [follow_up.pk for follow_up in due[: limit * 4] if callable_now(follow_up, now=now)][:limit]
    return due.filter(pk__in=ids)


def earlier_attempts(follow_up: FollowUp) -> QuerySet[ContactAttempt]:
    """Every call and message of the follow-up so far, first first, with the agent who made it."""
    return follow_up.attempts_made.select_related("agent").order_by("number")


def agent_upcoming_count(*, agent: User, now: datetime) -> int:
    return FollowUp.objects.filter(
        assigned_agent=agent,
        channel="phone",
        status__in=FollowUp.DUE_STATUSES,
        scheduled_for__gt=now,
        campaign__status=Campaign.Status.RUNNING,
    ).count()


@dataclass(frozen=True)
class AgentQueuePage:
    mine: list[FollowUp]
    pool: list[FollowUp]
    upcoming_count: int

    @property
    def sections(self) -> list[tuple[str, list[FollowUp]]]:
        return [("mine", self.mine), ("pool", self.pool)]


def agent_queue_page(*, agent: User, now: datetime, limit: int = 50) -> AgentQueuePage:
    """The queue page's two sections, each up to ``limit`` calls: the agent's own, then the shared pool."""
    return AgentQueuePage(
        mine=list(agent_queue(agent=agent, now=now, limit=limit, whose="mine")),
        pool=list(agent_queue(agent=agent, now=now, limit=limit, whose="pool")),
        upcoming_count=agent_upcoming_count(agent=agent, now=now),
    )


def follow_up_for_agent(agent: User, pk: int) -> FollowUp:
    """The phone follow-up ``pk`` if the agent may see and change it (theirs or in the pool), else Http404.

    The one access check for an agent's follow-up: another agent's id and an id that does not exist give
    the same 404, so nobody learns which calls exist or who has them.
    """
    return get_object_or_404(
        FollowUp.objects.select_related("customer", "campaign", "wallet_event").filter(
            Q(assigned_agent=agent) | Q(assigned_agent__isnull=True), channel="phone"
        ),
        pk=pk,
    )


def find_customers(query: str, *, limit: int = 10) -> list[Customer]:
    """Customers whose bank reference or phone number is exactly ``query`` (the agent scheduling a call).

    Exact matches only: an agent finds the customer on the line, and cannot browse customers by name. A
    phone number is read as E.164 or as a mainland number (+86 by default).
    """
    query = query.strip()
    if not query:
        return []
    matches = Q(bank_reference=query)
    try:
        number = phonenumbers.parse(query, "CN")
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_possible_number(number):
        matches |= Q(phone=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return list(Customer.objects.filter(matches).order_by("name", "pk")[:limit])


def open_follow_up_of(customer: Customer) -> FollowUp | None:
    """The customer's open follow-up, if any (there is at most one), with its campaign."""
    return (
        FollowUp.objects.filter(customer=customer, status__in=FollowUp.OPEN_STATUSES)
        .select_related("campaign", "assigned_agent")
        .first()
    )


# --- Manager campaign pages ---------------------------------------------------------------------


def campaign_list() -> QuerySet[Campaign]:
    """Every campaign, newest first, with its survey and how many follow-ups it has."""
    return (
        Campaign.objects.select_related("survey")
        .annotate(follow_up_count=Count("follow_ups"))
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int
    is_open: bool


def campaign_status_counts(campaign: Campaign) -> list[StatusCount]:
    """The campaign's follow-ups counted by status, in the order of FollowUp.Status; statuses with none left out."""
    counts = dict(FollowUp.objects.filter(campaign=campaign).values_list("status").annotate(n=Count("id")).order_by())
    return [
        StatusCount(status, label, counts[status], status in FollowUp.OPEN_STATUSES)
        for status, label in FollowUp.Status.choices
        if counts.get(status)
    ]


# Planning's exclusion reasons (Campaign.exclusions keys) as a manager reads them. Unknown codes are
# shown as they are, so a new reason is never hidden.
EXCLUSION_LABELS = {
    "opted_out": _("Opted out of every channel the campaign uses"),
    "do_not_contact": _("On the do-not-contact list"),
    "no_consent": _("No consent to be contacted"),
    "no_contact_details": _("No phone number or e-mail for the campaign's channels"),
    "no_channel": _("No usable channel"),
    "open_follow_up": _("Already in another open follow-up"),
    "contacted_recently": _("Contacted recently (follow-up limit)"),
    "follow_up_cap": _("Contacted recently (follow-up limit)"),
    "attempt_cap": _("Too many contact attempts recently"),
    "weekly_call_cap": _("Too many calls this week"),
    "refusal_pause": _("Refused recently"),
    "no_slot": _("No allowed contact time"),
    "no_slot_before_deadline": _("No allowed contact time before the deadline"),
    "no_capacity": _("Every allowed time is full"),
    "calendar_not_published": _("Holiday calendar for that year not published yet"),
    "callback_outside_hours": _("Call-back time outside the allowed hours"),
    "unknown_time_zone": _("Unknown time zone"),
}


@dataclass(frozen=True)
class ExclusionRow:
    code: str
    label: str
    count: int


def campaign_exclusions(campaign: Campaign) -> list[ExclusionRow]:
    """Customers left out by planning, by reason, the largest first."""
    rows = [
        ExclusionRow(str(code), str(EXCLUSION_LABELS.get(code, str(code).replace("_", " ").capitalize())), int(n))
        for code, n in (campaign.exclusions or {}).items()
        if isinstance(n, int) and n > 0
    ]
    return sorted(rows, key=lambda row: (-row.count, row.label))


def planned_contact_heatmap(campaign: Campaign, *, channels: Iterable[str] | None = None) -> pd.DataFrame:
    """Open follow-ups of the campaign with a time, by the customer's LOCAL weekday × hour (7 × 24 ints).

    Cost: one query grouped in SQL by (customer time zone, UTC minute) over the campaign's open
    follow-ups (index followup_campaign_status_idx), so the rows fetched are the distinct pairs, not
    the follow-ups; the local conversion is then one vectorised tz_convert per zone in pandas
    (surveys.heatmap.local_hour_counts). Minutes, not hours, because some zones are not whole hours
    from UTC (Asia/Kolkata is +05:30). Worst case, every follow-up at its own minute: a few hundred
    thousand rows take about a second and some tens of MB; beyond that, cache the frame per campaign.
    """
    follow_ups = FollowUp.objects.filter(
        campaign=campaign, status__in=FollowUp.OPEN_STATUSES, scheduled_for__isnull=False
    )
    if channels is not None:
        follow_ups = follow_ups.filter(channel__in=list(channels))
    rows = (
        follow_ups.annotate(minute=TruncMinute("scheduled_for", tzinfo=UTC))
        .values_list("customer__time_zone", "minute")
        .annotate(n=Count("id"))
        .order_by()
    )
    return heatmap.local_hour_counts(rows.iterator(chunk_size=10_000))


def _version_key(version: str) -> tuple:
    """'8.10.0' after '8.9.1': numeric parts compare as numbers."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in version.split("."))


AUDIENCE_VALUES_CACHE_SECONDS = 300


def customer_attribute_values() -> dict[str, list[str]]:
    """Distinct non-empty segments, app versions, wallet products and regions of customers, for the audience form.

    A DISTINCT over the whole customer table per attribute: cached for a few minutes, because the
    form is shown far more often than these lists change.
    """

    def load() -> dict[str, list[str]]:
        def distinct(field: str) -> list[str]:
            return list(
                Customer.objects.exclude(**{field: ""}).values_list(field, flat=True).distinct().order_by(field)
            )

        return {
            "segments": distinct("segment"),
            "app_versions": sorted(distinct("app_version"), key=_version_key),
            "wallet_products": distinct("wallet_product"),
            "regions": distinct("region"),
        }

    return cache.get_or_set("surveys:customer-attribute-values", load, AUDIENCE_VALUES_CACHE_SECONDS)


@dataclass(frozen=True)
class PlanningProgress:
    status: str
    label: str
    total: int
    done: int
    planned: int
    error: str
    planned_at: datetime | None

    @property
    def percent(self) -> int:
        if self.status == PlanningStatus.DONE:
            return 100
        if not self.total:
            return 0
        return min(100, self.done * 100 // self.total)

    @property
    def polling(self) -> bool:
        """Whether the page should keep asking: only while planning is waiting or under way."""
        return self.status in (PlanningStatus.QUEUED, PlanningStatus.RUNNING)


def planning_progress(campaign: Campaign) -> PlanningProgress:
    return PlanningProgress(
        status=campaign.planning_status,
        label=str(campaign.get_planning_status_display()),
        total=campaign.planning_total,
        done=campaign.planning_done,
        planned=campaign.planned_count,
        error=campaign.planning_error,
        planned_at=campaign.planned_at,
    )


def policy_label(key: str) -> str:
    """A contact-policy preset's name for people; the key itself when it is not a preset."""
    preset = PRESETS.get(key)
    return str(preset.label) if preset else key
