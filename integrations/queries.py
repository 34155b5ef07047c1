"""Reads for the API: the token behind a request, a follow-up's status, a customer's contact history."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet

from accounts.models import Customer
from integrations import tokens
from integrations.models import IntegrationToken
from surveys.models import ContactAttempt, FollowUp

# A customer's history is short (the fatigue rule allows about one follow-up a month); the cap keeps
# a pathological customer from making one response unbounded.
CONTACT_HISTORY_LIMIT = 200


def working_token(*, token: str, now: datetime) -> IntegrationToken | None:
    """The token row (with its integration) if the token works right now, else None."""
    return (
        IntegrationToken.objects.select_related("integration")
        .filter(
            token_hash=tokens.hash_token(token),
            revoked_at__isnull=True,
            integration__is_active=True,
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .first()
    )


def customer_by_reference(bank_reference: str) -> Customer | None:
    return Customer.objects.filter(bank_reference=bank_reference).first()


def follow_up_status(follow_up_id: int) -> FollowUp | None:
    return (
        FollowUp.objects.select_related("campaign", "customer", "wallet_event")
        .only(
            "id",
            "status",
            "channel",
            "scheduled_for",
            "attempts",
            "close_reason",
            "closed_at",
            "created_at",
            "campaign__id",
            "campaign__slug",
            "customer__bank_reference",
            "wallet_event__bank_reference",
        )  # fmt: skip
        .filter(pk=follow_up_id)
        .first()
    )


def contact_history(customer: Customer) -> QuerySet[FollowUp]:
    """The customer's follow-ups, newest first, each with its attempts (two queries)."""
    attempts = ContactAttempt.objects.only(
        "id", "follow_up_id", "number", "channel", "started_at", "ended_at", "outcome"
    ).order_by("number")
    return (
        FollowUp.objects.filter(customer=customer)
        .select_related("campaign")
        .prefetch_related(Prefetch("attempts_made", queryset=attempts))
        .order_by("-created_at", "-id")[:CONTACT_HISTORY_LIMIT]
    )
