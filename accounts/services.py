"""Writes about customers: consent and opt-out decisions, recorded as evidence.

Every decision appends ConsentRecords and updates the customer's summary fields in one
transaction, with the customer row locked, so the summary the planner filters on can never
disagree with the evidence. Nothing here overwrites a record; a change of mind is a new record.

`record_decisions` is the one place the rules live: it records many decisions about many customers at
once (a chunk of an import file), and each single-decision service below is a batch of one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Channel, ConsentRecord, Customer, EvidenceSource, User
from audit import services as audit
from audit.models import AuditEntry

ALL_CHANNELS = tuple(Channel.values)
Kind = ConsentRecord.Kind


@dataclass(frozen=True)
class Decision:
    """One decision about one customer. ``channels``: the channels it is about (opt-out, opt-in); None for
    decisions about every channel (consent, do-not-contact). ``at``: when it was made; None for now."""

    customer_id: int
    kind: Kind
    channels: tuple[str, ...] | None = None
    at: datetime | None = None


def apply_decision(
    customer: Customer, *, kind: Kind, channels: tuple[str, ...] | None, at: datetime, source: str
) -> list[str]:
    """Apply one decision to the customer's summary fields, in memory (no database); the fields it changed.

    Opt-outs and do-not-contact keep the first date of record: a repeated request only adds evidence.
    """
    if kind == Kind.OPT_OUT:
        fresh = [channel for channel in channels or () if customer.opt_out_at(channel) is None]
        for channel in fresh:
            setattr(customer, f"{channel}_opt_out_at", at)
        return [f"{channel}_opt_out_at" for channel in fresh]
    if kind == Kind.OPT_IN:
        for channel in channels or ():
            setattr(customer, f"{channel}_opt_out_at", None)
        return [f"{channel}_opt_out_at" for channel in channels or ()]
    if kind == Kind.DO_NOT_CONTACT:
        if customer.do_not_contact_at is not None:
            return []
        customer.do_not_contact_at, customer.do_not_contact_source = at, source
        return ["do_not_contact_at", "do_not_contact_source"]
    if kind == Kind.CONSENT:
        customer.consent_given_at, customer.consent_source = at, source
        return ["consent_given_at", "consent_source"]
    if kind == Kind.CONSENT_WITHDRAWN:
        customer.consent_given_at, customer.consent_source = None, ""
        return ["consent_given_at", "consent_source"]
    raise ValueError(f"no rule for a {kind!r} decision")


@transaction.atomic
def record_decisions(
    *,
    decisions: Sequence[Decision],
    source: EvidenceSource | str,
    by: User | None = None,
    reference: str = "",
    note: str = "",
) -> dict[int, Customer]:
    """Record decisions about many customers at once, in order; the customers by id, locked and updated.

    1. check the source and channels (ValueError, nothing written);
    2. lock every customer concerned with one query, in id order (two batches never wait on each other in a
       cycle), and read their current state;
    3. append the evidence with one INSERT: one record per channel, or one for every channel;
    4. apply the decisions in order to the locked customers (apply_decision), so a later decision about the
       same customer sees the earlier one;
    5. write the summaries: one UPDATE per set of changed fields and values several customers share (an import
       chunk's "yes" opt-outs of one column are one UPDATE), one bulk_update for the others.
    """
    if source not in EvidenceSource.values:
        raise ValueError(f"unknown evidence source {source!r}")
    unknown = {channel for decision in decisions for channel in decision.channels or ()} - set(ALL_CHANNELS)
    if unknown:
        raise ValueError(f"unknown channels {sorted(unknown)}")
    if not decisions:
        return {}
    now = timezone.now()
    ids = sorted({decision.customer_id for decision in decisions})
    customers = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    if len(customers) != len(ids):
        raise Customer.DoesNotExist(f"no customers with ids {sorted(set(ids) - set(customers))}")
    ConsentRecord.objects.bulk_create(
        (
            ConsentRecord(
                customer_id=decision.customer_id,
                kind=decision.kind,
                channel=channel,
                source=source,
                recorded_at=decision.at or now,
                recorded_by=by,
                reference=reference[:200],
                note=note,
            )
            for decision in decisions
            for channel in (decision.channels or ("",))
        ),
        batch_size=1000,
    )
    _audit(decisions, customers, source=source, by=by, reference=reference)
    changed: dict[int, set[str]] = {}
    for decision in decisions:
        customer = customers[decision.customer_id]
        fields = apply_decision(
            customer, kind=decision.kind, channels=decision.channels, at=decision.at or now, source=source
        )
        if fields:
            changed.setdefault(customer.pk, set()).update(fields)
    _update_summaries({pk: customers[pk] for pk in changed}, changed, now)
    return customers


def _audit(
    decisions: Sequence[Decision],
    customers: dict[int, Customer],
    *,
    source: EvidenceSource | str,
    by: User | None,
    reference: str,
) -> None:
    """One audit entry per customer with their decisions, in the decisions' transaction (one INSERT)."""
    by_customer: dict[int, list[dict]] = {}
    for decision in decisions:
        by_customer.setdefault(decision.customer_id, []).append(
            {"kind": decision.kind, "channels": list(decision.channels or ())}
        )
    audit.record_many(
        action=AuditEntry.Action.CONSENT_CHANGED,
        targets=[customers[pk] for pk in by_customer],
        actor=by,
        details=lambda customer: {
            "decisions": by_customer[customer.pk],
            "source": str(source),
            "reference": reference[:200],
        },
    )


def _update_summaries(customers: dict[int, Customer], changed: dict[int, set[str]], now: datetime) -> None:
    """Write the changed summary fields: one UPDATE for each set of fields and values that several customers
    share (an import chunk's "yes" opt-outs all get the same moment), one bulk_update for the rest."""
    shared: dict[tuple, list[int]] = {}
    for customer in customers.values():
        customer.updated_at = now  # as save() would set it (auto_now)
        values = tuple((name, getattr(customer, name)) for name in sorted(changed[customer.pk]))
        shared.setdefault(values, []).append(customer.pk)
    alone: dict[tuple[str, ...], list[Customer]] = {}
    for values, ids in shared.items():
        if len(ids) > 1:
            Customer.objects.filter(pk__in=ids).update(**dict(values), updated_at=now)
        else:
            fields = tuple(name for name, _value in values)
            alone.setdefault(fields, []).append(customers[ids[0]])
    for fields, group in alone.items():
        Customer.objects.bulk_update(group, [*fields, "updated_at"], batch_size=1000)


def _decide(
    *,
    customer: Customer,
    kind: Kind,
    channels: tuple[str, ...] | None,
    source: EvidenceSource | str,
    by: User | None,
    at: datetime | None,
    reference: str,
    note: str,
) -> Customer:
    """One decision: a batch of one."""
    decision = Decision(customer_id=customer.pk, kind=kind, channels=channels, at=at or timezone.now())
    return record_decisions(decisions=[decision], source=source, by=by, reference=reference, note=note)[customer.pk]


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
    return _decide(
        customer=customer, kind=Kind.OPT_OUT, channels=tuple(channels), source=source, by=by,
        at=at, reference=reference, note=note,
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
    return _decide(
        customer=customer, kind=Kind.OPT_IN, channels=tuple(channels), source=source, by=by,
        at=at, reference=reference, note=note,
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
    return _decide(
        customer=customer, kind=Kind.DO_NOT_CONTACT, channels=None, source=source, by=by,
        at=at, reference=reference, note=note,
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
    return _decide(
        customer=customer, kind=Kind.CONSENT, channels=None, source=source, by=by,
        at=at, reference=reference, note=note,
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
    return _decide(
        customer=customer, kind=Kind.CONSENT_WITHDRAWN, channels=None, source=source, by=by,
        at=at, reference=reference, note=note,
    )  # fmt: skip
