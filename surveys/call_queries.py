"""Reads about agents' calls: handling time (the team view and the call console read these)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Avg, DurationField, ExpressionWrapper, F

from accounts.models import Channel, User
from surveys.call_outcomes import CALL_OUTCOMES, REACHED_OUTCOMES
from surveys.models import ContactAttempt

__all__ = ["average_handling_time"]


def average_handling_time(
    *, agent: User | None = None, since: datetime, until: datetime, reached_only: bool = True
) -> timedelta | None:
    """The mean of ended - started over the calls started in [since, until) (None when there are none).

    Only calls that reached the customer by default (an unanswered ring is not handling); ``reached_only``
    False counts every call with an outcome. ``agent`` narrows to one agent's calls.
    """
    calls = ContactAttempt.objects.filter(
        channel=Channel.PHONE,
        agent__isnull=False,
        ended_at__isnull=False,
        started_at__gte=since,
        started_at__lt=until,
        outcome__in=REACHED_OUTCOMES if reached_only else CALL_OUTCOMES,
    )
    if agent is not None:
        calls = calls.filter(agent=agent)
    duration = ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField())
    return calls.aggregate(average=Avg(duration, output_field=DurationField()))["average"]
