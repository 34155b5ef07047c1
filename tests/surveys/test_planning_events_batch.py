"""Planning wallet events a batch at a time gives exactly what planning them one by one gives, in far fewer queries."""

import random
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import WalletEvent
from surveys import planning
from surveys.models import Campaign, FollowUp
from tests import factories

pytestmark = pytest.mark.django_db

# Monday 2 March 2026, 20:30 in Shanghai.
MONDAY_EVENING = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)
KINDS = ["payment_failed", "account_locked", "card_bound"]


class _Undo(Exception):
    pass


def a_bank_with_events(seed: int) -> None:
    """Campaigns of different kinds, cool-offs, deadlines, channels and capacities; customers some of whom
    opted out, gave no consent, or already have an open follow-up; their events, some two per customer."""
    rng = random.Random(seed)
    for n in range(5):
        factories.CampaignFactory(
            trigger=Campaign.Trigger.EVENT,
            trigger_event_kinds=rng.sample(KINDS, rng.randint(1, 2)),
            channels=rng.choice([["phone"], ["sms"], ["email", "sms"], ["phone", "sms"]]),
            cool_off=timedelta(hours=rng.choice([0, 1, 2, 6])),
            deadline=timedelta(hours=rng.choice([8, 30, 48])),
            calls_per_hour=rng.choice([1, 2, 40]),
            messages_per_minute=rng.choice([1, 2000]),
            region_policies={"HK": "hong_kong"} if n % 2 else {},
            ends_at=MONDAY_EVENING + timedelta(hours=20) if n == 3 else None,
            audience={"regions": ["HK"]} if n == 4 else {},
        )
    customers = []
    for _ in range(14):
        customer = factories.CustomerFactory(
            consent_given_at=MONDAY_EVENING - timedelta(days=100) if rng.random() < 0.85 else None,
            consent_source="enrolment",
            region=rng.choice(["CN", "CN", "HK"]),
            phone=rng.choice(["+8613800138000", "+8613800138000", ""]),
            phone_opt_out_at=MONDAY_EVENING - timedelta(days=1) if rng.random() < 0.15 else None,
            sms_opt_out_at=MONDAY_EVENING - timedelta(days=1) if rng.random() < 0.15 else None,
            time_zone=rng.choice(["Asia/Shanghai", "Asia/Hong_Kong", "Europe/Paris"]),
        )
        customers.append(customer)
    factories.FollowUpFactory(customer=customers[0], status=FollowUp.Status.INVITED, channel="sms")
    factories.FollowUpFactory(customer=customers[1], status=FollowUp.Status.COMPLETED, channel="phone")
    for _ in range(8):  # capacity already taken by other customers' follow-ups
        factories.FollowUpFactory(
            channel=rng.choice(["phone", "sms"]),
            scheduled_for=MONDAY_EVENING + timedelta(minutes=rng.choice([30, 45, 60 * 12 + 30, 60 * 13, 60 * 14])),
        )
    events = []
    for customer in customers:
        for _ in range(rng.choice([1, 1, 2])):
            at = MONDAY_EVENING - timedelta(minutes=rng.randint(0, 60 * 12))
            events.append((at, customer, rng.choice(KINDS)))
    rng.shuffle(events)  # event ids do not follow the time they happened at
    for at, customer, kind in events:
        factories.WalletEventFactory(customer=customer, occurred_at=at, kind=kind)


def outcome() -> tuple[list[tuple], list[tuple]]:
    follow_ups = sorted(
        FollowUp.objects.filter(wallet_event__isnull=False).values_list(
            "campaign_id", "customer_id", "wallet_event_id", "status", "channel", "scheduled_for", "close_reason"
        )
    )
    counts = [
        (pk, planned, sorted((exclusions or {}).items()))
        for pk, planned, exclusions in Campaign.objects.order_by("pk").values_list("pk", "planned_count", "exclusions")
    ]
    return follow_ups, counts


def planned_one_by_one(now: datetime) -> tuple[list[tuple], list[tuple]]:
    """The reference: each pending event through plan_follow_ups_for_event, in id order; then undone."""
    longest = max(Campaign.objects.filter(trigger=Campaign.Trigger.EVENT).values_list("deadline", flat=True))
    pending = WalletEvent.objects.filter(occurred_at__gte=now - longest).order_by("pk").values_list("pk", flat=True)
    try:
        with transaction.atomic():
            for event_id in pending:
                planning.plan_follow_ups_for_event(wallet_event_id=event_id)
            result = outcome()
            raise _Undo
    except _Undo:
        pass
    assert not FollowUp.objects.filter(wallet_event__isnull=False).exists()
    return result


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_batch_plans_every_event_exactly_as_planning_them_one_by_one_would(seed):
    with time_machine.travel(MONDAY_EVENING, tick=False):
        a_bank_with_events(seed)
        now = timezone.now()
        expected = planned_one_by_one(now)
        with CaptureQueriesContext(connection) as queries:
            planning.plan_pending_event_follow_ups(now=now, batch_size=1000)
        got = outcome()
        assert set(got[0]) ^ set(expected[0]) == set()
        assert got == expected
        assert len(expected[0]) > 10  # the data gave the rules something to decide
        statuses = {status for *_rest, status, _channel, _at, _reason in expected[0]}
        assert statuses == {FollowUp.Status.PLANNED, FollowUp.Status.SKIPPED}
        # However many events and campaigns: a bounded number of queries, not ~15 per event.
        assert len(queries) <= 40
        assert not WalletEvent.objects.filter(
            follow_up_planned_at__isnull=True, occurred_at__gte=now - timedelta(hours=8)
        ).exists()


def test_two_events_of_one_customer_in_a_batch_see_each_other(customer):
    with time_machine.travel(MONDAY_EVENING, tick=False):
        customer.consent_given_at, customer.consent_source = MONDAY_EVENING - timedelta(days=100), "enrolment"
        customer.save()
        campaign = factories.CampaignFactory(
            trigger=Campaign.Trigger.EVENT, trigger_event_kinds=["payment_failed"], channels=["phone"]
        )
        first = factories.WalletEventFactory(customer=customer, occurred_at=MONDAY_EVENING, kind="payment_failed")
        factories.WalletEventFactory(customer=customer, occurred_at=MONDAY_EVENING, kind="payment_failed")
        assert planning.plan_pending_event_follow_ups(now=timezone.now()) == 2
        assert FollowUp.objects.get(status=FollowUp.Status.PLANNED).wallet_event == first
        campaign.refresh_from_db()
        assert (campaign.planned_count, campaign.exclusions) == (1, {"open_follow_up": 1})
