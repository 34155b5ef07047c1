"""A customer stops follow-ups from the link in a message: evidence at once, open follow-ups cancelled.

The opt-out page works for every link that ever reached a customer — answered, expired or cancelled
follow-ups too (surveys/links.py would call those links dead): a customer must always be able to
stop messages. Only an unknown token gets the "link does not work" page.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from accounts.models import Channel, Customer, EvidenceSource
from accounts.services import record_do_not_contact, record_opt_out
from surveys.links import TOKEN_SHAPE
from surveys.models import ContactAttempt, FollowUp
from surveys.tokens import hash_token

CLOSE_REASON = "opted_out_by_link"


class Scope(enum.StrEnum):
    CHANNEL = "channel"  # stop messages on the channel the link came by
    ALL = "all"  # stop all follow-up contact, calls included (do not contact)


@dataclass(frozen=True)
class OptOutResult:
    customer: Customer
    scope: Scope
    channel: str
    since: datetime  # the date of record: the first opt-out, which a repeated request keeps
    cancelled: int  # follow-ups cancelled by this request (0 on a repeat)


def attempt_for_opt_out(token: str) -> ContactAttempt | None:
    """The message behind ``token`` (follow-up, customer and campaign loaded), whatever its state."""
    if not TOKEN_SHAPE.fullmatch(token or ""):
        return None
    return (
        ContactAttempt.objects.select_related("follow_up__customer", "follow_up__campaign")
        .filter(link_token_hash=hash_token(token))
        .first()
    )


def channel_of(attempt: ContactAttempt) -> str:
    """The channel the customer got the link by (a message's; the follow-up's as a fallback)."""
    return attempt.channel or attempt.follow_up.channel


def opted_out_since(customer: Customer, *, scope: Scope, channel: str) -> datetime | None:
    """When the customer stopped this (None: not stopped), from the summary fields kept with the evidence."""
    if scope == Scope.ALL:
        return customer.do_not_contact_at
    return customer.opt_out_at(channel)


def opt_out_by_link(*, follow_up: FollowUp, attempt: ContactAttempt, scope: Scope | str, now: datetime) -> OptOutResult:
    """Record the customer's opt-out as evidence and cancel the open follow-ups that can no longer go ahead.

    1. Evidence: record_opt_out for the link's channel, or record_do_not_contact for "all", source
       LINK, reference "attempt:<id>" (the customer row is locked there; a repeat only adds evidence).
    2. Cancel, with a conditional UPDATE, the customer's open follow-ups on that channel (every open
       one for "all"), closed_at = now, close_reason "opted_out_by_link".
    Both in one transaction: evidence without the cancellation, or the reverse, is never committed.
    """
    scope = Scope(scope)
    channel = channel_of(attempt)
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    reference = f"attempt:{attempt.pk}"
    with transaction.atomic():
        customer = follow_up.customer
        if scope == Scope.ALL:
            customer = record_do_not_contact(customer=customer, source=EvidenceSource.LINK, at=now, reference=reference)
        else:
            customer = record_opt_out(
                customer=customer, channels=(channel,), source=EvidenceSource.LINK, at=now, reference=reference
            )
        open_follow_ups = FollowUp.objects.filter(customer=customer, status__in=FollowUp.OPEN_STATUSES)
        if scope == Scope.CHANNEL:
            open_follow_ups = open_follow_ups.filter(channel=channel)
        # IN_PROGRESS rows claimed by a dispatcher are cancelled too. The dispatcher writes its result
        # only where the row is still IN_PROGRESS and its own claim (surveys/dispatch.py, ``ours``), so
        # its later update changes nothing; and it re-checks opt-outs against the customer row right
        # before contacting, so at most a message already handed to the provider still arrives.
        cancelled = open_follow_ups.update(
            status=FollowUp.Status.CANCELLED,
            closed_at=now,
            close_reason=CLOSE_REASON,
            claimed_at=None,
            claimed_by="",
            updated_at=now,
        )
    since = opted_out_since(customer, scope=scope, channel=channel) or now
    return OptOutResult(customer=customer, scope=scope, channel=channel, since=since, cancelled=cancelled)
