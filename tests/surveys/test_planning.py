"""Planning a batch campaign: who gets a follow-up when, who is left out and why, and nothing half-written."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Customer
from surveys import planning, services, tasks
from surveys.calendars import calendar_for
from surveys.models import Campaign, ContactAttempt, FollowUp, PlanningStatus
from surveys.policies import get_policy
from surveys.scheduling import is_allowed
from tests import factories

pytestmark = pytest.mark.django_db

# Monday 2 March 2026, 08:30 in Shanghai: an ordinary working week with no holiday in sight.
MONDAY = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)
ZONES = ("Asia/Shanghai", "America/New_York", "Europe/London", "Asia/Kolkata")
REGION_POLICIES = {"US": "united_states", "HK": "hong_kong", "FR": "france"}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def consenting(**kwargs) -> Customer:
    """A customer who agreed to be followed up (the planner leaves out everyone else)."""
    kwargs.setdefault("consent_given_at", MONDAY - timedelta(days=400))
    kwargs.setdefault("consent_source", "enrolment")
    return factories.CustomerFactory(**kwargs)


def launched(**kwargs) -> Campaign:
    """A campaign just launched, its planning task waiting."""
    kwargs.setdefault("status", Campaign.Status.RUNNING)
    kwargs.setdefault("planning_status", PlanningStatus.QUEUED)
    return factories.CampaignFactory(**kwargs)


def history(customer: Customer, *, created_days_ago: int, attempts: list[tuple[int, str, str]] = ()) -> FollowUp:
    """A closed follow-up of another campaign, with attempts (days ago, channel, outcome)."""
    follow_up = factories.FollowUpFactory(customer=customer, status=FollowUp.Status.COMPLETED)
    FollowUp.objects.filter(pk=follow_up.pk).update(created_at=MONDAY - timedelta(days=created_days_ago))
    for number, (days_ago, channel, outcome) in enumerate(attempts, start=1):
        factories.ContactAttemptFactory(
            follow_up=follow_up,
            number=number,
            channel=channel,
            outcome=outcome,
            started_at=MONDAY - timedelta(days=days_ago),
        )
    return follow_up


def plan(campaign: Campaign) -> Campaign:
    planning.plan_campaign(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    return campaign


def test_it_plans_everyone_it_may_and_counts_everyone_it_leaves_out_by_reason():
    campaign = launched(channels=["phone"], region_policies=REGION_POLICIES)
    planned = [consenting(), consenting(preferred_time_of_day="evening")]
    consenting(do_not_contact_at=MONDAY - timedelta(days=3), do_not_contact_source="agent")
    factories.CustomerFactory()  # never gave consent
    consenting(phone="")
    consenting(phone_opt_out_at=MONDAY - timedelta(days=9))
    in_another = consenting()
    factories.FollowUpFactory(customer=in_another, status=FollowUp.Status.INVITED, channel="sms")
    recently = consenting()
    history(recently, created_days_ago=5)
    many_attempts = consenting()
    history(many_attempts, created_days_ago=40, attempts=[(d, "sms", "sent") for d in (20, 15, 10, 5)])
    hong_kong = consenting(region="HK", time_zone="Asia/Hong_Kong")
    history(hong_kong, created_days_ago=40, attempts=[(d, "phone", "no_answer") for d in (5, 3, 1)])
    france = consenting(region="FR", time_zone="Europe/Paris")
    history(france, created_days_ago=40, attempts=[(10, "phone", "refusal")])
    lost = consenting()
    Customer.objects.filter(pk=lost.pk).update(time_zone="Mars/Olympus")

    campaign = plan(campaign)

    assert campaign.planning_status == PlanningStatus.DONE, campaign.planning_error
    assert campaign.status == Campaign.Status.RUNNING
    assert campaign.exclusions == {
        "do_not_contact": 1,
        "no_consent": 1,
        "no_contact_details": 1,
        "opted_out": 1,
        "open_follow_up": 1,
        "follow_up_cap": 1,
        "attempt_cap": 1,
        "weekly_call_cap": 1,
        "refusal_pause": 1,
        "unknown_time_zone": 1,
    }
    assert campaign.planned_count == 2
    assert campaign.planning_total == campaign.planning_done == Customer.objects.count()
    assert campaign.planned_at == MONDAY
    follow_ups = FollowUp.objects.filter(campaign=campaign)
    assert {f.customer_id for f in follow_ups} == {c.pk for c in planned}
    assert {(f.status, f.channel, f.priority, f.attempts) for f in follow_ups} == {("planned", "phone", 0, 0)}
    assert all(f.created_at == MONDAY and f.updated_at == MONDAY for f in follow_ups)
    by_customer = {f.customer_id: f.scheduled_for for f in follow_ups}
    assert by_customer[planned[0].pk] == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert by_customer[planned[1].pk] == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # 18:00, the evening they prefer


def test_it_takes_the_next_channel_when_the_first_one_cannot_be_used():
    campaign = launched(channels=["phone", "sms", "email"])
    no_calls = consenting(phone_opt_out_at=MONDAY)
    no_phone = consenting(phone="")  # no calls and no SMS
    no_sms_either = consenting(phone_opt_out_at=MONDAY, sms_opt_out_at=MONDAY)
    plan(campaign)
    channels = dict(FollowUp.objects.filter(campaign=campaign).values_list("customer_id", "channel"))
    assert channels == {no_calls.pk: "sms", no_phone.pk: "email", no_sms_either.pk: "email"}


def test_it_plans_only_the_audience():
    campaign = launched(audience={"segments": ["premium"]}, channels=["sms"])
    premium = consenting(segment="premium")
    consenting(segment="mass")
    campaign = plan(campaign)
    assert list(FollowUp.objects.filter(campaign=campaign).values_list("customer_id", flat=True)) == [premium.pk]
    assert campaign.planning_total == 1


def test_every_planned_moment_is_allowed_for_its_customer_in_four_zones():
    campaign = launched(channels=["phone", "email"], region_policies=REGION_POLICIES, calls_per_hour=3)
    for index in range(48):
        zone = ZONES[index % 4]
        consenting(
            time_zone=zone,
            region="US" if zone == "America/New_York" else "CN",
            preferred_time_of_day=("any", "morning", "afternoon", "evening")[index // 4 % 4],
            phone="" if index % 5 == 0 else f"+8613900{index:06d}",
        )
    campaign = plan(campaign)
    assert campaign.planned_count == 48
    for follow_up in FollowUp.objects.filter(campaign=campaign).select_related("customer"):
        customer = follow_up.customer
        policy = services.campaign_policies(campaign)[REGION_POLICIES.get(customer.region, campaign.contact_policy)]
        assert is_allowed(
            follow_up.scheduled_for,
            zone=ZoneInfo(customer.time_zone),
            channel=follow_up.channel,
            policy=policy,
            calendar=calendar_for(policy.holiday_country, policy.holiday_subdivision),
        ), (customer.time_zone, follow_up.channel, follow_up.scheduled_for)


def test_calls_are_spread_so_no_hour_gets_more_than_the_agents_can_make():
    other = factories.CampaignFactory()
    already = consenting()
    factories.FollowUpFactory(
        campaign=other, customer=already, scheduled_for=datetime(2026, 3, 2, 1, 10, tzinfo=UTC)
    )  # 09:10 in Shanghai: one of this hour's calls is taken
    campaign = launched(channels=["phone"], calls_per_hour=2)
    for _ in range(9):
        consenting()
    campaign = plan(campaign)
    assert campaign.planned_count == 9
    per_hour = Counter(
        moment.replace(minute=0, second=0, microsecond=0)
        for moment in FollowUp.objects.filter(channel="phone").values_list("scheduled_for", flat=True)
    )
    assert max(per_hour.values()) == 2
    assert per_hour[datetime(2026, 3, 2, 1, tzinfo=UTC)] == 2  # the existing call and one new one


def test_messages_are_throttled_per_minute():
    campaign = launched(channels=["sms"], messages_per_minute=3)
    for _ in range(10):
        consenting()
    plan(campaign)
    per_minute = Counter(FollowUp.objects.filter(campaign=campaign).values_list("scheduled_for", flat=True))
    assert sorted(per_minute.values()) == [1, 3, 3, 3]


def test_customers_the_capacity_cannot_fit_before_the_end_are_counted():
    # Monday's calls in Shanghai: 09–12 and 14–20, nine hours; one call an hour; the campaign ends at night.
    campaign = launched(channels=["phone"], calls_per_hour=1, ends_at=datetime(2026, 3, 2, 13, 0, tzinfo=UTC))
    for _ in range(12):
        consenting()
    campaign = plan(campaign)
    assert campaign.planned_count == 9
    assert campaign.exclusions == {"no_capacity": 3}
    assert max(FollowUp.objects.values_list("scheduled_for", flat=True)) < campaign.ends_at


def test_a_campaign_ending_before_any_allowed_moment_leaves_everyone_out(clock):
    clock.move_to(datetime(2026, 3, 7, 13, 0, tzinfo=UTC))  # Saturday 21:00 in Shanghai; no calls on Sunday
    campaign = launched(channels=["phone"], ends_at=datetime(2026, 3, 8, 15, 0, tzinfo=UTC))
    consenting()
    consenting()
    campaign = plan(campaign)
    assert campaign.exclusions == {"no_slot_before_deadline": 2}
    assert campaign.planned_count == 0


def test_it_does_not_guess_a_holiday_calendar_that_is_not_published(clock):
    clock.move_to(datetime(2026, 12, 31, 13, 0, tzinfo=UTC))  # 21:00 in Shanghai on New Year's Eve
    campaign = launched(channels=["phone"])
    consenting()
    campaign = plan(campaign)
    assert campaign.exclusions == {"calendar_not_published": 1}


def test_a_campaign_starting_later_is_planned_from_its_start():
    start = datetime(2026, 3, 5, 6, 0, tzinfo=UTC)  # Thursday 14:00 in Shanghai
    campaign = launched(status=Campaign.Status.SCHEDULED, channels=["phone"], starts_at=start)
    consenting()
    plan(campaign)
    assert FollowUp.objects.get(campaign=campaign).scheduled_for == start


def test_planning_twice_plans_once():
    campaign = launched(channels=["sms"])
    for _ in range(3):
        consenting()
    tasks.plan_campaign(campaign.pk)
    tasks.plan_campaign(campaign.pk)  # a duplicated task message
    campaign.refresh_from_db()
    assert campaign.planned_count == 3
    assert FollowUp.objects.filter(campaign=campaign).count() == 3


def test_a_campaign_not_launched_is_not_planned():
    campaign = factories.CampaignFactory(status=Campaign.Status.DRAFT, planning_status=PlanningStatus.QUEUED)
    consenting()
    campaign = plan(campaign)
    assert campaign.planning_status == PlanningStatus.QUEUED
    assert not FollowUp.objects.exists()


def test_progress_is_written_after_every_chunk(monkeypatch):
    monkeypatch.setattr(planning, "CHUNK_SIZE", 2)
    campaign = launched(channels=["sms"])
    for _ in range(5):
        consenting()
    factories.CustomerFactory()
    seen = []
    real = planning._still_planning

    def spy(campaign_id, **progress):
        seen.append(progress)
        real(campaign_id, **progress)

    monkeypatch.setattr(planning, "_still_planning", spy)
    campaign = plan(campaign)
    assert seen[0] == {"planning_total": 6}
    assert [p["planning_done"] for p in seen[1:]] == [2, 4, 6]
    assert seen[-1]["exclusions"] == {"no_consent": 1}
    assert campaign.planning_done == 6 and campaign.planned_count == 5


def test_an_error_half_way_leaves_nothing_and_the_campaign_as_it_was(monkeypatch):
    monkeypatch.setattr(planning, "CHUNK_SIZE", 2)
    campaign = launched(channels=["sms"])
    for _ in range(7):
        consenting()
    calls = []
    real = planning._histories

    def failing(**kwargs):
        calls.append(kwargs)
        if len(calls) == 3:
            raise RuntimeError("the database went away")
        return real(**kwargs)

    monkeypatch.setattr(planning, "_histories", failing)
    tasks.plan_campaign(campaign.pk)  # the task does not crash the worker
    campaign.refresh_from_db()
    assert FollowUp.objects.count() == 0
    assert campaign.planning_status == PlanningStatus.FAILED
    assert campaign.status == Campaign.Status.DRAFT
    assert "the database went away" in campaign.planning_error
    assert campaign.planned_count == 0


def test_an_error_while_writing_rolls_back_the_rows_already_written(monkeypatch):
    campaign = launched(channels=["sms"])
    for _ in range(4):
        consenting()
    real = planning._insert_follow_ups

    def failing(spool, **kwargs):
        inserted = real(spool, **kwargs)
        assert inserted == 4 and FollowUp.objects.count() == 4
        raise RuntimeError("disk full")

    monkeypatch.setattr(planning, "_insert_follow_ups", failing)
    campaign = plan(campaign)
    assert FollowUp.objects.count() == 0
    assert (campaign.planning_status, campaign.status) == (PlanningStatus.FAILED, Campaign.Status.DRAFT)


def test_a_failed_campaign_can_be_launched_and_planned_again(monkeypatch, manager, django_capture_on_commit_callbacks):
    campaign = launched(channels=["sms"])
    consenting()
    with monkeypatch.context() as patched:
        patched.setattr(planning, "_insert_follow_ups", lambda spool, **kw: 1 / 0)
        campaign = plan(campaign)
    assert campaign.status == Campaign.Status.DRAFT
    assert "ZeroDivisionError" in campaign.planning_error
    monkeypatch.setattr(tasks.plan_campaign, "delay", lambda pk: planning.plan_campaign(campaign_id=pk))
    with django_capture_on_commit_callbacks(execute=True):
        services.launch_campaign(campaign=campaign, by=manager)
    campaign.refresh_from_db()
    assert (campaign.planning_status, campaign.planned_count, campaign.planning_error) == ("done", 1, "")


def _finish_on_second_chunk(monkeypatch, action):
    monkeypatch.setattr(planning, "CHUNK_SIZE", 2)
    real = planning._histories
    calls = []

    def acting(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            action()
        return real(**kwargs)

    monkeypatch.setattr(planning, "_histories", acting)


def test_finishing_the_campaign_while_it_is_planned_writes_nothing(monkeypatch, manager):
    campaign = launched(channels=["sms"])
    for _ in range(6):
        consenting()
    _finish_on_second_chunk(
        monkeypatch, lambda: services.finish_campaign(campaign=Campaign.objects.get(pk=campaign.pk), by=manager)
    )
    campaign = plan(campaign)
    assert FollowUp.objects.count() == 0
    assert campaign.status == Campaign.Status.FINISHED
    assert campaign.planning_status == PlanningStatus.FAILED
    assert "finished before its follow-ups were planned" in campaign.planning_error


def test_finishing_just_before_the_write_writes_nothing(monkeypatch, manager):
    campaign = launched(channels=["sms"])
    consenting()
    real = planning._still_planning
    calls = []

    def finish_after_the_last_chunk(campaign_id, **progress):
        real(campaign_id, **progress)
        calls.append(progress)
        if "exclusions" in progress:  # the last chunk's progress went through; the write is next
            services.finish_campaign(campaign=Campaign.objects.get(pk=campaign_id), by=manager)

    monkeypatch.setattr(planning, "_still_planning", finish_after_the_last_chunk)
    monkeypatch.setattr(planning, "_insert_follow_ups", lambda *a, **k: pytest.fail("wrote follow-ups"))
    campaign = plan(campaign)
    assert len(calls) == 2
    assert campaign.status == Campaign.Status.FINISHED
    assert FollowUp.objects.count() == 0


def test_pausing_the_campaign_while_it_is_planned_keeps_the_plan(monkeypatch, manager):
    campaign = launched(channels=["sms"])
    for _ in range(6):
        consenting()
    _finish_on_second_chunk(
        monkeypatch, lambda: services.pause_campaign(campaign=Campaign.objects.get(pk=campaign.pk), by=manager)
    )
    campaign = plan(campaign)
    assert campaign.status == Campaign.Status.PAUSED
    assert campaign.planning_status == PlanningStatus.DONE
    assert FollowUp.objects.filter(campaign=campaign).count() == 6


def test_a_customer_who_got_an_open_follow_up_meanwhile_is_counted_not_crashed_on(monkeypatch):
    campaign = launched(channels=["sms"])
    customers = [consenting() for _ in range(3)]
    real = planning._insert_follow_ups

    def other_campaign_first(spool, **kwargs):
        factories.FollowUpFactory(customer=customers[1], status=FollowUp.Status.PLANNED)
        return real(spool, **kwargs)

    monkeypatch.setattr(planning, "_insert_follow_ups", other_campaign_first)
    campaign = plan(campaign)
    assert campaign.planning_status == PlanningStatus.DONE
    assert campaign.planned_count == 2
    assert campaign.exclusions == {"open_follow_up": 1}
    assert set(FollowUp.objects.filter(campaign=campaign).values_list("customer_id", flat=True)) == {
        customers[0].pk,
        customers[2].pk,
    }


# A property: whatever the customers, two campaigns planned one after the other never break a rule.
customer_strategy = st.fixed_dictionaries(
    {
        "time_zone": st.sampled_from(ZONES),
        "preferred_time_of_day": st.sampled_from(["any", "morning", "afternoon", "evening"]),
        "region": st.sampled_from(["CN", "US", "HK"]),
        "segment": st.sampled_from(["a", "b"]),
        "has_phone": st.booleans(),
    }
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    people=st.lists(customer_strategy, min_size=1, max_size=25),
    start_hours=st.integers(min_value=0, max_value=24 * 14),
    calls_per_hour=st.integers(min_value=1, max_value=4),
)
def test_planned_moments_never_break_the_rules_and_caps_hold_across_two_campaigns(
    clock, people, start_hours, calls_per_hour
):
    start = datetime(2026, 3, 23, 0, 0, tzinfo=UTC) + timedelta(hours=start_hours)
    clock.move_to(start)
    with transaction.atomic():
        for person in people:
            has_phone = person.pop("has_phone")
            consenting(**person, **({} if has_phone else {"phone": ""}))
            person["has_phone"] = has_phone
        campaigns = [
            launched(
                audience={"segments": [segment]},
                channels=["phone", "email"],
                region_policies=REGION_POLICIES,
                calls_per_hour=calls_per_hour,
                messages_per_minute=2,
            )
            for segment in ("a", "b")
        ]
        for campaign in campaigns:
            plan(campaign)
        follow_ups = list(FollowUp.objects.select_related("customer"))
        assert len(follow_ups) == len(people)  # everyone is reachable by e-mail at least
        assert len({f.customer_id for f in follow_ups}) == len(follow_ups)  # one open follow-up each
        calls = Counter(f.scheduled_for.replace(minute=0, second=0) for f in follow_ups if f.channel == "phone")
        messages = Counter(f.scheduled_for.replace(second=0) for f in follow_ups if f.channel == "email")
        assert max(calls.values(), default=0) <= calls_per_hour
        assert max(messages.values(), default=0) <= 2
        for follow_up in follow_ups:
            customer = follow_up.customer
            policy = get_policy(REGION_POLICIES.get(customer.region, "mainland_china"))
            assert follow_up.scheduled_for >= start
            assert is_allowed(
                follow_up.scheduled_for,
                zone=ZoneInfo(customer.time_zone),
                channel=follow_up.channel,
                policy=policy,
                calendar=calendar_for(policy.holiday_country),
            )
        transaction.set_rollback(True)


def test_contact_attempts_of_other_customers_do_not_count_against_this_one():
    campaign = launched(channels=["sms"])
    quiet = consenting()
    busy = consenting()
    history(busy, created_days_ago=40, attempts=[(d, "sms", "sent") for d in (20, 15, 10, 5)])
    assert ContactAttempt.objects.count() == 4
    campaign = plan(campaign)
    assert list(FollowUp.objects.filter(campaign=campaign).values_list("customer_id", flat=True)) == [quiet.pk]
    assert campaign.exclusions == {"attempt_cap": 1}


def test_failed_sends_do_not_count_against_the_attempt_cap_as_in_the_dispatcher():
    campaign = launched(channels=["sms"])
    unlucky = consenting()
    history(unlucky, created_days_ago=40, attempts=[(d, "sms", "failed") for d in (20, 15, 10, 5)])

    campaign = plan(campaign)

    assert list(FollowUp.objects.filter(campaign=campaign).values_list("customer_id", flat=True)) == [unlucky.pk]
    assert campaign.exclusions == {}
