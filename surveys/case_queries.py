"""Reads about Cases (the writes are in surveys/cases.py)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from surveys.models import Case


def overdue_cases(now: datetime) -> QuerySet[Case]:
    """Unresolved Cases past their SLA or their regulatory deadline, the most overdue SLA first.

    The regulatory half uses the partial index over unresolved rows (its condition is this exclude)."""
    return (
        Case.objects.exclude(status=Case.Status.RESOLVED)
        .filter(Q(sla_due_at__lt=now) | Q(regulatory_due_at__lt=now))
        .select_related("customer", "owner")
        .order_by("sla_due_at", "pk")
    )
