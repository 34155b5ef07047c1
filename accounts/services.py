"""Writes about customers: consent and opt-out decisions, recorded as evidence.

Every decision appends ConsentRecords and updates the customer's summary fields in one
transaction, with the customer row locked, so the summary the planner filters on can never
disagree with the evidence. Nothing here overwrites a record; a change of mind is a new record.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Channel, ConsentRecord, Customer, EvidenceSource, User

ALL_CHANNELS = tuple(Channel.values)


@transaction.atomic
def _decide(
    *,
    customer: Customer,
    kind: ConsentRecord.Kind,
    channels: tuple[str, ...] | None,
    source: EvidenceSource | str,
    by: User | None,
    at: datetime | None,
    reference: str,
    note: str,
    apply: Callable[[Customer, datetime], list[str]],
) -> Customer:
    """Lock the customer, append the evidence (one record per channel, or one for every channel), apply."""
    if source not in EvidenceSource.values:
        raise ValueError(f"unknown evidence source {source!r}")
    unknown = set(channels or ()) - set(ALL_CHANNELS)
    if unknown:
        raise ValueError(f"unknown channels {sorted(unknown)}")
    at = at or timezone.now()
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    ConsentRecord.objects.bulk_create(
        ConsentRecord(
            customer=customer,
            kind=kind,
            channel=channel,
            source=source,
            recorded_at=at,
            recorded_by=by,
            reference=reference[:200],
            note=note,
        )
        for channel in (channels or ("",))
    )
    changed = apply(customer, at)
    if changed:
        customer.save(update_fields=[*changed, "updated_at"])
    return customer


def record_opt_out(
    *,
    customer: Customer,
    channels: tuple[str, ...] = ALL_CHANNELS,
    source: EvidenceSource | str,
    by: User | None = None,
    at: datetime | None = None,
    reference: str = "",
    note: str = "",
) -> Customer:
    """The customer asked to hear no more on these channels (all of them by default)."""

    def apply(locked: Customer, moment: datetime) -> list[str]:
        # The first opt-out stays the date of record; a repeated request only adds evidence.
        fresh = [channel for channel in channels if locked.opt_out_at(channel) is None]
        for channel in fresh:
            setattr(locked, f"{channel}_opt_out_at", moment)
        return [f"{channel}_opt_out_at" for channel in fresh]

    return _decide(
        customer=customer, kind=ConsentRecord.Kind.OPT_OUT, channels=tuple(channels), source=source, by=by,
        at=at, reference=reference, note=note, apply=apply,
    )  # fmt: skip


def record_opt_in(
    *,
    customer: Customer,
    channels: tuple[str, ...],
    source: EvidenceSource | str,
    by: User | None = None,
    at: datetime | None = None,
    reference: str = "",
    note: str = "",
) -> Customer:
    """The customer asked to hear from the bank again on these channels."""

    def apply(locked: Customer, moment: datetime) -> list[str]:
        for channel in channels:
            setattr(locked, f"{channel}_opt_out_at", None)
        return [f"{channel}_opt_out_at" for channel in channels]

    return _decide(
        customer=customer, kind=ConsentRecord.Kind.OPT_IN, channels=tuple(channels), source=source, by=by,
        at=at, reference=reference, note=note, apply=apply,
    )  # fmt: skip


def record_do_not_contact(
    *,
    customer: Customer,
    source: EvidenceSource | str,
    by: User | None = None,
    at: datetime | None = None,
    reference: str = "",
    note: str = "",
) -> Customer:
    """Never contact this customer again on any channel (an explicit request, or a regulator's list)."""

    def apply(locked: Customer, moment: datetime) -> list[str]:
        if locked.do_not_contact_at is not None:
            return []
        locked.do_not_contact_at, locked.do_not_contact_source = moment, source
        return ["do_not_contact_at", "do_not_contact_source"]

    return _decide(
        customer=customer, kind=ConsentRecord.Kind.DO_NOT_CONTACT, channels=None, source=source, by=by,
        at=at, reference=reference, note=note, apply=apply,
    )  # fmt: skip


def record_consent(
    *,
    customer: Customer,
    source: EvidenceSource | str,
    by: User | None = None,
    at: datetime | None = None,
    reference: str = "",
    note: str = "",
) -> Customer:
    """The customer agreed to be followed up (on every channel they have not opted out of)."""

    def apply(locked: Customer, moment: datetime) -> list[str]:
        locked.consent_given_at, locked.consent_source = moment, source
        return ["consent_given_at", "consent_source"]

    return _decide(
        customer=customer, kind=ConsentRecord.Kind.CONSENT, channels=None, source=source, by=by,
        at=at, reference=reference, note=note, apply=apply,
    )  # fmt: skip


def record_consent_withdrawn(
    *,
    customer: Customer,
    source: EvidenceSource | str,
    by: User | None = None,
    at: datetime | None = None,
    reference: str = "",
    note: str = "",
) -> Customer:
    def apply(locked: Customer, moment: datetime) -> list[str]:
        locked.consent_given_at, locked.consent_source = None, ""
        return ["consent_given_at", "consent_source"]

    return _decide(
        customer=customer, kind=ConsentRecord.Kind.CONSENT_WITHDRAWN, channels=None, source=source, by=by,
        at=at, reference=reference, note=note, apply=apply,
    )  # fmt: skip
