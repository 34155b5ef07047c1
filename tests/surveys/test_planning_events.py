"""Event-triggered follow-ups: an event arrives; matching campaigns plan a call between cool-off and deadline."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, connections
from django.utils import timezone, translation

from accounts.models import WalletEvent
from surveys import planning, services, tasks
from surveys.models import Campaign, FollowUp
from tests import factories

pytestmark = pytest.mark.django_db

# Monday 2 March 2026, 20:30 in Shanghai: too late to call tonight.
MONDAY_EVENING = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_EVENING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def wang(clock, customer):
    customer.consent_given_at, customer.consent_source = MONDAY_EVENING - timedelta(days=100), "enrolment"
    customer.save()
    return customer


def event_campaign(**kwargs):
    kwargs.setdefault("trigger", Campaign.Trigger.EVENT)
    kwargs.setdefault("trigger_event_kinds", ["payment_failed"])
    kwargs.setdefault("channels", ["phone"])
    return factories.CampaignFactory(**kwargs)


def event(customer, *, at=MONDAY_EVENING, kind="payment_failed", **kwargs):
    return factories.WalletEventFactory(customer=customer, occurred_at=at, kind=kind, **kwargs)


def test_receiving_an_event_stores_it_once_and_asks_for_its_planning_after_commit(
    wang, monkeypatch, django_capture_on_commit_callbacks
):
    asked = []
    monkeypatch.setattr(tasks, "request_event_planning", lambda: asked.append(True))
    with django_capture_on_commit_callbacks(execute=True):
        first, created = services.receive_wallet_event(
            customer_reference=wang.bank_reference,
            bank_reference="EV-1",
            kind="payment_failed",
            occurred_at=MONDAY_EVENING,
            details={"amount": "120.00"},
        )
        again, created_again = services.receive_wallet_event(
            customer_reference=wang.bank_reference, bank_reference="EV-1", kind="card_bound", occurred_at=MONDAY_EVENING
        )
    assert (created, created_again) == (True, False)
    assert first.pk == again.pk
    assert asked == [True]
    stored = WalletEvent.objects.get()
    assert (stored.customer, stored.kind, stored.occurred_at) == (wang, "payment_failed", MONDAY_EVENING)
    assert stored.details == {"amount": "120.00"} and stored.received_at == MONDAY_EVENING
    assert again.kind == "payment_failed"  # the stored event, unchanged by the repeat


def test_an_event_for_an_unknown_customer_is_refused_and_stores_nothing(wang):
    with pytest.raises(services.UnknownCustomer):
        services.receive_wallet_event(
            customer_reference="NOBODY", bank_reference="EV-3", kind="payment_failed", occurred_at=MONDAY_EVENING
        )
    assert not WalletEvent.objects.exists()


def test_an_unknown_event_kind_is_refused_in_the_language_of_the_reader(wang):
    def receive():
        services.receive_wallet_event(
            customer_reference=wang.bank_reference, bank_reference="EV-2", kind="alien", occurred_at=MONDAY_EVENING
        )

    with translation.override("en"), pytest.raises(ValueError, match="Unknown wallet event “alien”"):
        receive()
    with translation.override("zh-hans"), pytest.raises(ValueError, match="未知钱包事件“alien”"):
        receive()


def test_the_call_comes_after_the_cool_off_at_the_first_allowed_moment(wang):
    campaign = event_campaign()
    happened = event(wang)
    planning.plan_follow_ups_for_event(wallet_event_id=happened.pk)
    follow_up = FollowUp.objects.get(campaign=campaign)
    # 22:30 after the cool-off is quiet; Tuesday 09:00 in Shanghai is within the 48 h deadline.
    assert follow_up.scheduled_for == datetime(2026, 3, 3, 1, 0, tzinfo=UTC)
    assert (follow_up.status, follow_up.channel, follow_up.wallet_event_id) == ("planned", "phone", happened.pk)
    campaign.refresh_from_db()
    assert campaign.planned_count == 1
    happened.refresh_from_db()
    assert happened.follow_up_planned_at == MONDAY_EVENING


def test_an_event_in_the_morning_is_followed_up_exactly_after_the_cool_off(wang, clock):
    clock.move_to(datetime(2026, 3, 3, 1, 15, tzinfo=UTC))  # Tuesday 09:15 in Shanghai
    event_campaign()
    happened = event(wang, at=timezone.now())
    planning.plan_follow_ups_for_event(wallet_event_id=happened.pk)
    assert FollowUp.objects.get().scheduled_for == datetime(2026, 3, 3, 3, 15, tzinfo=UTC)  # 11:15, 2 h later


def test_no_slot_before_the_deadline_means_no_follow_up_with_the_reason_recorded(wang, clock):
    clock.move_to(datetime(2026, 3, 7, 11, 0, tzinfo=UTC))  # Saturday 19:00 in Shanghai; no calls on Sunday
    campaign = event_campaign(cool_off=timedelta(hours=1), deadline=timedelta(hours=30))
    happened = event(wang, at=timezone.now())
    planning.plan_follow_ups_for_event(wallet_event_id=happened.pk)
    skipped = FollowUp.objects.get(campaign=campaign)
    assert skipped.status == FollowUp.Status.SKIPPED
    assert skipped.close_reason.startswith("no_slot_before_deadline")
    campaign.refresh_from_db()
    assert campaign.exclusions == {"no_slot_before_deadline": 1}
    assert campaign.planned_count == 0


def test_an_event_whose_deadline_passed_while_the_message_was_lost_is_not_followed_up(wang, clock):
    campaign = event_campaign()
    happened = event(wang, at=MONDAY_EVENING - timedelta(hours=50))
    planning.plan_follow_ups_for_event(wallet_event_id=happened.pk)
    campaign.refresh_from_db()
    assert campaign.exclusions == {"no_slot_before_deadline": 1}
    assert not FollowUp.objects.filter(status__in=FollowUp.OPEN_STATUSES).exists()


def test_planning_the_same_event_twice_plans_once(wang):
    campaign = event_campaign()
    happened = event(wang)
    planning.plan_follow_ups_for_event(wallet_event_id=happened.pk)
    planning.plan_follow_ups_for_event(wallet_event_id=happened.pk)
    assert FollowUp.objects.filter(campaign=campaign).count() == 1
    campaign.refresh_from_db()
    assert campaign.planned_count == 1


def test_a_customer_already_in_an_open_follow_up_is_counted_not_crashed_on(wang):
    factories.FollowUpFactory(customer=wang, status=FollowUp.Status.INVITED, channel="sms")
    campaign = event_campaign()
    first, second = event(wang), event(wang, at=MONDAY_EVENING - timedelta(minutes=5))
    planning.plan_follow_ups_for_event(wallet_event_id=first.pk)
    planning.plan_follow_ups_for_event(wallet_event_id=second.pk)
    planning.plan_follow_ups_for_event(wallet_event_id=second.pk)
    campaign.refresh_from_db()
    assert campaign.exclusions == {"open_follow_up": 2}
    assert set(FollowUp.objects.filter(campaign=campaign).values_list("status", flat=True)) == {"skipped"}


def test_the_second_of_two_events_finds_the_first_ones_follow_up_open(wang):
    campaign = event_campaign()
    planning.plan_follow_ups_for_event(wallet_event_id=event(wang).pk)
    planning.plan_follow_ups_for_event(wallet_event_id=event(wang, kind="payment_failed").pk)
    campaign.refresh_from_db()
    assert campaign.planned_count == 1
    assert campaign.exclusions == {"open_follow_up": 1}


def test_only_running_or_scheduled_campaigns_listening_for_the_kind_and_holding_the_customer_plan(wang):
    listening = event_campaign()
    event_campaign(trigger_event_kinds=["account_locked"])
    event_campaign(status=Campaign.Status.PAUSED)
    event_campaign(status=Campaign.Status.DRAFT)
    event_campaign(audience={"segments": ["premium"]})
    factories.CampaignFactory(trigger=Campaign.Trigger.BATCH)
    planning.plan_follow_ups_for_event(wallet_event_id=event(wang).pk)
    assert list(FollowUp.objects.values_list("campaign_id", flat=True)) == [listening.pk]


def test_an_opted_out_customer_is_not_followed_up(wang):
    wang.phone_opt_out_at = MONDAY_EVENING - timedelta(days=1)
    wang.save()
    campaign = event_campaign()
    planning.plan_follow_ups_for_event(wallet_event_id=event(wang).pk)
    campaign.refresh_from_db()
    assert campaign.exclusions == {"opted_out": 1}
    assert FollowUp.objects.get().status == FollowUp.Status.SKIPPED


def test_a_campaign_ending_before_the_cool_off_plans_nothing(wang):
    campaign = event_campaign(ends_at=MONDAY_EVENING + timedelta(hours=1))
    planning.plan_follow_ups_for_event(wallet_event_id=event(wang).pk)
    campaign.refresh_from_db()
    assert campaign.exclusions == {"no_slot_before_deadline": 1}


def test_beat_plans_the_events_whose_message_was_lost(wang, clock):
    campaign = event_campaign()
    lost = event(wang)
    too_old = event(factories.CustomerFactory(), at=MONDAY_EVENING - timedelta(days=3))
    clock.shift(timedelta(minutes=5))
    assert planning.plan_pending_event_follow_ups(now=timezone.now()) == 1
    assert FollowUp.objects.get().wallet_event_id == lost.pk
    lost.refresh_from_db()
    too_old.refresh_from_db()
    assert lost.follow_up_planned_at is not None
    assert too_old.follow_up_planned_at is None
    assert planning.plan_pending_event_follow_ups(now=timezone.now()) == 0  # planned events are left alone
    campaign.refresh_from_db()
    assert campaign.planned_count == 1


def test_a_run_plans_events_received_a_moment_ago_and_carries_on_past_one_that_fails(wang, monkeypatch, caplog):
    event_campaign()
    broken, fine = event(wang), event(factories.CustomerFactory())
    real = planning._Planner.decide

    def decide(planner, row, *args, **kwargs):
        if row[0] == wang.pk:
            raise RuntimeError("a bug")
        return real(planner, row, *args, **kwargs)

    monkeypatch.setattr(planning._Planner, "decide", decide)
    # Both in one batch: the batch fails, and its events are planned one by one so only the broken one is lost.
    assert planning.plan_pending_event_follow_ups(now=timezone.now(), batch_size=10) == 1
    assert FollowUp.objects.get().wallet_event_id == fine.pk
    broken.refresh_from_db()
    assert broken.follow_up_planned_at is None  # left for the next run
    assert f"planning wallet event {broken.pk} failed" in caplog.text


def test_asking_for_planning_sends_one_request_however_many_events_arrive(wang, monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.plan_pending_event_follow_ups, "apply_async", lambda **options: sent.append(options))
    tasks.forget_event_planning_request()
    for _ in range(50):
        tasks.request_event_planning()
    assert sent == [{"countdown": 2}]  # its run starts after the request's key has expired


def test_a_process_that_finds_the_request_made_by_another_sends_none(wang, monkeypatch):
    from django.core.cache import cache

    sent = []
    monkeypatch.setattr(tasks.plan_pending_event_follow_ups, "apply_async", lambda **options: sent.append(options))
    tasks.forget_event_planning_request()
    cache.add(tasks.EVENT_PLANNING_KEY, True, timeout=1)  # another web process asked a moment ago
    tasks.request_event_planning()
    assert sent == []


def test_beat_has_nothing_to_do_without_event_campaigns(wang, clock):
    event(wang)
    clock.shift(timedelta(minutes=5))
    assert planning.plan_pending_event_follow_ups(now=timezone.now()) == 0


def test_the_event_task_plans_through_the_service(wang):
    event_campaign()
    tasks.plan_follow_ups_for_event(event(wang).pk)
    assert FollowUp.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite serialises writers; CI runs PostgreSQL")
def test_workers_planning_at_once_share_the_events_and_plan_each_once(transactional_db):
    event_campaign()
    happened = timezone.now() - timedelta(minutes=1)
    events = [event(factories.CustomerFactory(), at=happened) for _ in range(40)]
    barrier = threading.Barrier(3)
    counts: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            counts.append(planning.plan_pending_event_follow_ups(now=timezone.now(), batch_size=5))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors
    assert sum(counts) == len(events)  # no event planned by two workers
    assert FollowUp.objects.count() == len(events)
    assert not WalletEvent.objects.filter(follow_up_planned_at__isnull=True).exists()


def test_the_old_single_event_task_plans_through_the_batch_planner_once(wang):
    campaign = event_campaign()
    happened = event(wang)

    tasks.plan_follow_ups_for_event(wallet_event_id=happened.pk)  # a message queued before the upgrade
    tasks.plan_follow_ups_for_event(wallet_event_id=happened.pk)  # and its duplicate

    assert FollowUp.objects.filter(campaign=campaign, wallet_event=happened).count() == 1
    campaign.refresh_from_db()
    assert campaign.planned_count == 1
    happened.refresh_from_db()
    assert happened.follow_up_planned_at is not None
