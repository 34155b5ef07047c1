"""Writes of the agent queue: an agent takes a call from the shared pool, or gives one back.

A claim is one conditional UPDATE (healthchecks style): it sets the agent only while the row still has
none, so of two agents pressing "Claim" at the same moment exactly one changes a row. On PostgreSQL the
second UPDATE waits for the first's row lock, then re-checks its WHERE clause against the committed row
(assigned_agent is no longer NULL) and changes nothing; SQLite serialises writers.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import Channel, User
from surveys.models import Campaign, FollowUp

__all__ = ["ClaimRefused", "claim_follow_up", "release_follow_up"]


class ClaimRefused(Exception):
    """A claim or release that did not happen; ``message`` says why, for the agent."""

    def __init__(self, message) -> None:
        super().__init__(message)
        self.message = message


def _load(follow_up_id: int) -> FollowUp:
    return FollowUp.objects.select_related("customer", "campaign", "wallet_event").get(pk=follow_up_id)


def claim_follow_up(*, follow_up_id: int, agent: User, now: datetime) -> FollowUp:
    """Give a pool call (no agent yet) to ``agent``: only while it is open, a phone call, due and its campaign running.

    Claiming a call that is already the agent's (a double click, a second tab) returns it unchanged.
    Anything else raises ClaimRefused with nothing written.
    """
    running = Campaign.objects.filter(status=Campaign.Status.RUNNING).values("pk")
    with transaction.atomic():
        # Every condition is on the follow-up row itself (the campaign through an uncorrelated subquery,
        # not a join): Django then issues a plain UPDATE … WHERE, whose WHERE PostgreSQL re-checks on the
        # newest row version after waiting for a concurrent claim. A join would make Django rewrite it as
        # "pk IN (SELECT …)", evaluated on the old snapshot, and both agents could win.
        claimed = FollowUp.objects.filter(
            pk=follow_up_id,
            assigned_agent__isnull=True,
            channel=Channel.PHONE,
            status__in=FollowUp.DUE_STATUSES,
            scheduled_for__lte=now,
            campaign__in=running,
        ).update(assigned_agent=agent, updated_at=now)
        try:
            follow_up = _load(follow_up_id)
        except FollowUp.DoesNotExist:
            raise ClaimRefused(_("This call does not exist any more.")) from None
    if claimed == 1 or (follow_up.assigned_agent_id == agent.pk and follow_up.is_open):
        return follow_up
    if follow_up.assigned_agent_id not in (None, agent.pk):
        raise ClaimRefused(_("Another agent took this call."))
    raise ClaimRefused(
        _("This call cannot be taken now: it was closed, moved to a later time or its campaign was paused.")
    )


def release_follow_up(*, follow_up_id: int, agent: User, now: datetime) -> FollowUp:
    """Give the agent's open call back to the shared pool; only its own agent may.

    A closed follow-up keeps its agent: it records who worked it.
    """
    with transaction.atomic():
        released = FollowUp.objects.filter(
            pk=follow_up_id, assigned_agent=agent, status__in=FollowUp.OPEN_STATUSES
        ).update(assigned_agent=None, updated_at=now)
        if released != 1:
            raise ClaimRefused(_("This call is not yours to give back, or it was closed meanwhile."))
        return _load(follow_up_id)
