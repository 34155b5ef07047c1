"""Customers' contact history as the contact rules need it (scheduling.ContactHistory), read in one query.

Planning and the dispatcher both check the caps against this, so both count the same contacts: every
attempt on any channel in any campaign, except FAILED ones, which reached nobody.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q

from accounts.models import Channel
from surveys.models import ContactAttempt
from surveys.scheduling import ContactHistory


def attempt_histories(
    customers: Q, *, since: datetime, ignore_attempts: Iterable[int] = ()
) -> dict[int, ContactHistory]:
    """Attempts, calls and the last refusal after ``since``, by customer id, for customers with any.

    ``customers`` filters ContactAttempt (e.g. ``Q(follow_up__customer_id__in=ids)``); ``ignore_attempts``
    leaves out attempts that must not count against themselves (a batch's own attempts about to be sent).
    """
    rows = ContactAttempt.objects.filter(customers, started_at__gt=since).exclude(outcome=ContactAttempt.Outcome.FAILED)
    ignore_attempts = set(ignore_attempts)
    if ignore_attempts:
        rows = rows.exclude(id__in=ignore_attempts)
    attempts: dict[int, list[datetime]] = {}
    calls: dict[int, list[datetime]] = {}
    refusals: dict[int, datetime] = {}
    for customer_id, started_at, channel, outcome in rows.values_list(
        "follow_up__customer_id", "started_at", "channel", "outcome"
    ):
        attempts.setdefault(customer_id, []).append(started_at)
        if channel == Channel.PHONE:
            calls.setdefault(customer_id, []).append(started_at)
        if outcome == ContactAttempt.Outcome.REFUSAL and started_at > refusals.get(customer_id, since):
            refusals[customer_id] = started_at
    return {
        customer_id: ContactHistory(
            attempts=tuple(moments), calls=tuple(calls.get(customer_id, ())), last_refusal=refusals.get(customer_id)
        )
        for customer_id, moments in attempts.items()
    }
