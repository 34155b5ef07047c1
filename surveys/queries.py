"""Reads for the agent's pages."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from accounts.models import User
from surveys.models import FollowUp


def agent_queue(*, agent: User, now: datetime, limit: int = 50) -> QuerySet[FollowUp]:
    """Phone follow-ups the agent should work: theirs or unassigned, due first, highest priority first."""
    return (
        FollowUp.objects.filter(
            Q(assigned_agent=agent) | Q(assigned_agent__isnull=True),
            channel="phone",
            status__in=FollowUp.DUE_STATUSES,
            scheduled_for__lte=now,
        )
        .select_related("customer", "campaign", "wallet_event")
        .order_by("scheduled_for", "-priority", "id")[:limit]
    )


def agent_upcoming_count(*, agent: User, now: datetime) -> int:
    return FollowUp.objects.filter(
        assigned_agent=agent, channel="phone", status__in=FollowUp.DUE_STATUSES, scheduled_for__gt=now
    ).count()
