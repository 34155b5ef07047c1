"""Writes about customers: consent and opt-out decisions, recorded as evidence.

Every decision appends a ConsentRecord and updates the customer's summary fields in one
transaction, so the summary the planner filters on can never disagree with the evidence. Nothing
here overwrites a record; a change of mind is a new record.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Channel, ConsentRecord, Customer, EvidenceSource, User

ALL_CHANNELS = tuple(Channel.values)


def _record(
    *,
    customer: Customer,
    kind: str,
    channels: tuple[str, ...] | None,
    source: EvidenceSource | str,
    by: User | None,
    at: datetime,
    reference: str,
    note: str,
) -> list[ConsentRecord]:
    if source not in EvidenceSource.values:
        raise ValueError(f"unknown evidence source {source!r}")
    return ConsentRecord.objects.bulk_create(
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


@transaction.atomic
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
    at = at or timezone.now()
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    unknown = set(channels) - set(ALL_CHANNELS)
    if unknown:
        raise ValueError(f"unknown channels {sorted(unknown)}")
    _record(
        customer=customer,
        kind=ConsentRecord.Kind.OPT_OUT,
        channels=tuple(channels),
        source=source,
        by=by,
        at=at,
        reference=reference,
        note=note,
    )
    changed = []
    for channel in channels:
        if customer.opt_out_at(channel) is None:  # the first opt-out stays the date of record
            setattr(customer, f"{channel}_opt_out_at", at)
            changed.append(f"{channel}_opt_out_at")
    if changed:
        customer.save(update_fields=[*changed, "updated_at"])
    return customer


@transaction.atomic
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
    at = at or timezone.now()
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    _record(
        customer=customer,
        kind=ConsentRecord.Kind.OPT_IN,
        channels=tuple(channels),
        source=source,
        by=by,
        at=at,
        reference=reference,
        note=note,
    )
    for channel in channels:
        setattr(customer, f"{channel}_opt_out_at", None)
    customer.save(update_fields=[f"{channel}_opt_out_at" for channel in channels] + ["updated_at"])
    return customer


@transaction.atomic
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
    at = at or timezone.now()
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    _record(
        customer=customer,
        kind=ConsentRecord.Kind.DO_NOT_CONTACT,
        channels=None,
        source=source,
        by=by,
        at=at,
        reference=reference,
        note=note,
    )
    if customer.do_not_contact_at is None:
        customer.do_not_contact_at, customer.do_not_contact_source = at, source
        customer.save(update_fields=["do_not_contact_at", "do_not_contact_source", "updated_at"])
    return customer


@transaction.atomic
def record_consent(
    *,
    customer: Customer,
    source: EvidenceSource | str,
    by: User | None = None,
    at: datetime | None = None,
    reference: str = "",
    note: str = "",
) -> Customer:
    """The customer agreed to be followed up (every channel they have not opted out of)."""
    at = at or timezone.now()
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    _record(
        customer=customer,
        kind=ConsentRecord.Kind.CONSENT,
        channels=None,
        source=source,
        by=by,
        at=at,
        reference=reference,
        note=note,
    )
    customer.consent_given_at, customer.consent_source = at, source
    customer.save(update_fields=["consent_given_at", "consent_source", "updated_at"])
    return customer


@transaction.atomic
def record_consent_withdrawn(
    *,
    customer: Customer,
    source: EvidenceSource | str,
    by: User | None = None,
    at: datetime | None = None,
    reference: str = "",
    note: str = "",
) -> Customer:
    at = at or timezone.now()
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    _record(
        customer=customer,
        kind=ConsentRecord.Kind.CONSENT_WITHDRAWN,
        channels=None,
        source=source,
        by=by,
        at=at,
        reference=reference,
        note=note,
    )
    customer.consent_given_at, customer.consent_source = None, ""
    customer.save(update_fields=["consent_given_at", "consent_source", "updated_at"])
    return customer
