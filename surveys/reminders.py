"""Reminders and expiry of invitations nobody answered.

After the dispatcher sends a message it leaves the follow-up INVITED with ``scheduled_for`` set to
the moment of its reminder (``Campaign.remind_after`` later), or empty when no attempt is left
(``Campaign.max_attempts``: a reminder is an attempt and counts like one). Every few minutes:

1. ``queue_due_reminders``: invited follow-ups whose reminder moment has passed go back to PLANNED at
   that moment, and the dispatcher contacts them under every rule of a first contact (window,
   holidays, opt-out, fatigue caps, deadlines), with the reminder's wording and a new link; the
   links of earlier messages keep working. Not reminded: a follow-up whose campaign is not running,
   whose link expires within a day (a reminder for a dead link helps nobody), or whose event
   deadline has passed (the dispatcher would close it as expired, killing the links already sent).
2. ``expire_unanswered``: follow-ups whose links expired without a submitted response close as
   EXPIRED, which frees the customer for later campaigns (one open follow-up per customer).

Both are single conditional UPDATEs on the state read, so two beat ticks or workers do each row once,
and an answer submitted meanwhile (status COMPLETED) is never touched.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, F, OuterRef, Q

from surveys.models import Campaign, FollowUp, Response

# A reminder whose link dies within this is not sent.
LINK_LEFT_FOR_REMINDER = timedelta(days=1)
Status = FollowUp.Status


def queue_due_reminders(*, now: datetime) -> int:
    """Step 1; returns how many follow-ups were queued for a reminder."""
    due = FollowUp.objects.filter(
        status=Status.INVITED,
        scheduled_for__lte=now,
        campaign__status=Campaign.Status.RUNNING,
        campaign__remind_after__isnull=False,  # a manager may turn reminders off after invitations went out
        attempts__lt=F("campaign__max_attempts"),
        expires_at__gt=now + LINK_LEFT_FOR_REMINDER,
    ).exclude(
        # Event-triggered: the deadline counts from the event (the dispatcher's rule).
        Q(wallet_event__isnull=False) & Q(wallet_event__occurred_at__lte=now - F("campaign__deadline"))
    )
    return (
        FollowUp.objects.filter(id__in=due.values("id"), status=Status.INVITED)
        .exclude(Exists(Response.objects.filter(follow_up=OuterRef("pk"), status=Response.Status.SUBMITTED)))
        .update(status=Status.PLANNED, updated_at=now)
    )


def expire_unanswered(*, now: datetime) -> int:
    """Step 2; returns how many follow-ups were closed as expired."""
    waiting = (Status.INVITED, Status.PLANNED)
    return (
        FollowUp.objects.filter(status__in=waiting, expires_at__lte=now)
        .exclude(Exists(Response.objects.filter(follow_up=OuterRef("pk"), status=Response.Status.SUBMITTED)))
        .update(
            status=Status.EXPIRED,
            close_reason="link_expired",
            closed_at=now,
            scheduled_for=None,
            updated_at=now,
        )
    )
