"""Many decisions recorded at once (an import chunk) leave exactly what the same decisions one at a time leave."""

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from accounts import services
from accounts.models import ConsentRecord, Customer
from accounts.services import Decision
from tests import factories

pytestmark = pytest.mark.django_db

Kind = ConsentRecord.Kind
START = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SUMMARY = (
    "consent_given_at",
    "consent_source",
    "phone_opt_out_at",
    "sms_opt_out_at",
    "email_opt_out_at",
    "do_not_contact_at",
    "do_not_contact_source",
)


def one_at_a_time(customer: Customer, decision: Decision, **evidence) -> None:
    at = decision.at
    if decision.kind == Kind.OPT_OUT:
        services.record_opt_out(customer=customer, channels=decision.channels, at=at, **evidence)
    elif decision.kind == Kind.OPT_IN:
        services.record_opt_in(customer=customer, channels=decision.channels, at=at, **evidence)
    elif decision.kind == Kind.DO_NOT_CONTACT:
        services.record_do_not_contact(customer=customer, at=at, **evidence)
    elif decision.kind == Kind.CONSENT:
        services.record_consent(customer=customer, at=at, **evidence)
    else:
        services.record_consent_withdrawn(customer=customer, at=at, **evidence)


def random_decisions(rng: random.Random, count: int) -> list[tuple[int, Kind, tuple | None, datetime]]:
    """(which customer, kind, channels, when): repeats, changes of mind and every kind, in a random order."""
    found = []
    for number in range(count):
        kind = rng.choice([Kind.OPT_OUT, Kind.OPT_OUT, Kind.OPT_IN, Kind.DO_NOT_CONTACT, Kind.CONSENT,
                           Kind.CONSENT_WITHDRAWN])  # fmt: skip
        channels = None
        if kind in (Kind.OPT_OUT, Kind.OPT_IN):
            channels = tuple(rng.sample(["phone", "sms", "email"], rng.randint(1, 3)))
        # Half share one moment (as an import's "yes" columns do), half have their own (as dated columns do).
        at = START if rng.random() < 0.5 else START + timedelta(minutes=number)
        found.append((rng.randrange(6), kind, channels, at))
    return found


def state(customers: list[Customer]) -> tuple[list, list]:
    summaries = [Customer.objects.filter(pk=c.pk).values_list(*SUMMARY).get() for c in customers]
    index = {c.pk: position for position, c in enumerate(customers)}
    evidence = [
        (index[r.customer_id], r.kind, r.channel, r.source, r.recorded_at, r.recorded_by_id, r.reference, r.note)
        for r in ConsentRecord.objects.filter(customer__in=customers).order_by("pk")
    ]
    return summaries, evidence


@pytest.mark.parametrize("seed", range(5))
def test_a_batch_of_decisions_leaves_the_same_evidence_and_state_as_one_decision_at_a_time(seed, agent):
    planned = random_decisions(random.Random(seed), 40)
    alone = factories.CustomerFactory.create_batch(6)
    batched = factories.CustomerFactory.create_batch(6)
    evidence = {"source": "import", "by": agent, "reference": "bank.csv", "note": "row 7"}

    for position, kind, channels, at in planned:
        one_at_a_time(alone[position], Decision(alone[position].pk, kind, channels, at), **evidence)
    returned = services.record_decisions(
        decisions=[Decision(batched[position].pk, kind, channels, at) for position, kind, channels, at in planned],
        **evidence,
    )

    assert state(batched) == state(alone)
    assert len(state(batched)[1]) >= 40
    for customer in batched:  # what it returns is what is stored
        assert [getattr(returned[customer.pk], name) for name in SUMMARY] == list(state([customer])[0][0])


def test_a_repeated_opt_out_in_a_batch_keeps_the_first_date_and_adds_evidence(customer):
    later = START + timedelta(days=3)
    services.record_decisions(
        decisions=[
            Decision(customer.pk, Kind.OPT_OUT, ("sms",), START),
            Decision(customer.pk, Kind.OPT_OUT, ("sms", "email"), later),
        ],
        source="import",
    )
    customer.refresh_from_db()
    assert (customer.sms_opt_out_at, customer.email_opt_out_at, customer.phone_opt_out_at) == (START, later, None)
    assert customer.consent_records.filter(kind="opt_out", source="import").count() == 3


def test_a_batch_with_an_unknown_channel_or_source_writes_nothing_at_all(customer):
    other = factories.CustomerFactory()
    good = Decision(customer.pk, Kind.OPT_OUT, ("sms",), START)
    with pytest.raises(ValueError, match="unknown channels"):
        services.record_decisions(decisions=[good, Decision(other.pk, Kind.OPT_OUT, ("fax",), START)], source="import")
    with pytest.raises(ValueError, match="unknown evidence source"):
        services.record_decisions(decisions=[good], source="rumour")
    assert not ConsentRecord.objects.exists()
    customer.refresh_from_db()
    assert customer.sms_opt_out_at is None


def test_a_chunk_of_a_thousand_opt_outs_costs_a_handful_of_queries_not_one_per_customer(
    django_assert_max_num_queries,
):
    customers = factories.CustomerFactory.create_batch(1000)
    decisions = [Decision(c.pk, Kind.OPT_OUT, ("sms",), START) for c in customers]
    # The lock, the evidence INSERT, the audit entries' INSERT, the UPDATE (each in SQLite's smaller batches
    # there: its audit entries go 83 to a statement): not 5,000 round trips.
    with django_assert_max_num_queries(40):
        services.record_decisions(decisions=decisions, source="import")
    assert Customer.objects.filter(sms_opt_out_at=START).count() == 1000
    assert ConsentRecord.objects.filter(kind="opt_out", channel="sms", source="import").count() == 1000
