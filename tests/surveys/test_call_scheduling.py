"""Agents schedule and move calls themselves, always through the customer's contact rules.

Times are Shanghai local under the mainland China preset (calls Mon–Fri 09–12 and 14–20, Saturday 10–17,
never Sunday, quiet 21–08). 2026-03-11 is an ordinary Wednesday; the clock stands at 11:20.
"""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import translation

from surveys import call_scheduling
from surveys.call_scheduling_forms import customer_token
from surveys.models import Campaign, ContactAttempt, FollowUp, Survey
from surveys.standing import AGENT_CALLS
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
Status = FollowUp.Status

pytestmark = pytest.mark.django_db


def at(hour: int, minute: int = 0, day: int = 11) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


NOW = at(11, 20)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller, translation.override("en"):
        yield traveller


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def wang(db):
    """A customer who consented to be contacted, in Shanghai, with no open follow-up."""
    return factories.CustomerFactory(
        name="王芳",
        bank_reference="C-000123",
        phone="+8613800138000",
        consent_given_at=at(9, day=1),
        consent_source="enrolment",
    )


def schedule(customer, agent, when, note="Complained about a failed payment", **kwargs):
    return call_scheduling.schedule_call(customer_id=customer.pk, agent=agent, at=when, note=note, now=NOW, **kwargs)


def local(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


# --- What is offered ------------------------------------------------------------------------------------


def test_the_offered_times_are_the_next_allowed_hours_skipping_the_lunch_break(wang):
    options = call_scheduling.call_options(customer=wang, now=NOW)

    assert options.problem == ""
    assert [local(moment) for moment in options.offered] == [
        at(11, 30),
        at(14),
        at(15),
        at(16),
        at(17),
        at(18),
    ]


def test_on_saturday_evening_the_first_offer_is_monday_morning(wang, clock):
    clock.move_to(at(18, 40, day=14))  # Saturday: calls end at 17:00; never on Sunday

    options = call_scheduling.call_options(customer=wang, now=at(18, 40, day=14))

    assert local(options.offered[0]) == at(9, day=16)


def test_a_customer_called_as_often_as_the_rules_allow_is_offered_times_after_the_cap_clears(wang):
    earlier = factories.FollowUpFactory(customer=wang, status=Status.UNREACHABLE)
    for number, days_ago in enumerate((20, 15, 10, 5), start=1):  # four calls in 30 days: the preset's cap
        factories.ContactAttemptFactory(follow_up=earlier, number=number, started_at=NOW - timedelta(days=days_ago))

    options = call_scheduling.call_options(customer=wang, now=NOW)

    # The oldest of the four leaves the 30-day window ten days from now.
    assert options.offered[0] >= NOW - timedelta(days=20) + timedelta(days=30)


def test_nothing_is_offered_for_a_customer_who_opted_out_of_calls(wang):
    wang.phone_opt_out_at = at(9, day=2)
    wang.save()

    options = call_scheduling.call_options(customer=wang, now=NOW)

    assert options.offered == []
    assert options.problem == "The customer opted out of calls."


# --- Scheduling a new call ------------------------------------------------------------------------------


def test_a_scheduled_call_is_planned_in_the_agents_calls_campaign_and_kept_by_the_agent(agent, wang):
    follow_up = schedule(wang, agent, at(14))

    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.channel, follow_up.scheduled_for) == (Status.PLANNED, "phone", at(14))
    assert follow_up.assigned_agent == agent
    assert follow_up.scheduled_by == agent
    assert follow_up.note == "Complained about a failed payment"
    campaign = follow_up.campaign
    assert (campaign.slug, campaign.trigger, campaign.status) == (
        AGENT_CALLS.slug,
        Campaign.Trigger.MANUAL,
        Campaign.Status.RUNNING,
    )
    assert campaign.survey.key == "wallet-follow-up"
    assert campaign.channels == ["phone"]


def test_a_call_can_be_left_in_the_shared_pool(agent, wang):
    follow_up = schedule(wang, agent, at(14), keep=False)

    assert follow_up.assigned_agent is None
    assert follow_up.scheduled_by == agent


def test_a_second_scheduled_call_uses_the_same_standing_campaign(agent, wang):
    first = schedule(wang, agent, at(14))
    other = factories.CustomerFactory(consent_given_at=at(9, day=1), consent_source="enrolment")

    second = schedule(other, agent, at(15))

    assert second.campaign_id == first.campaign_id
    assert Campaign.objects.filter(slug=AGENT_CALLS.slug).count() == 1


@pytest.mark.parametrize(
    ("when", "nearest"),
    [
        (at(22, 30), at(9, day=12)),  # quiet hours: the next morning
        (at(12, 30), at(14)),  # the lunch break: the afternoon window
        (at(10, day=15), at(9, day=16)),  # Sunday: Monday morning
        (at(10), at(11, 30)),  # already past: the next quarter hour
    ],
)
def test_a_forbidden_time_is_refused_with_the_nearest_allowed_one(agent, wang, when, nearest):
    with pytest.raises(call_scheduling.ScheduleRefused) as refused:
        schedule(wang, agent, when)

    assert refused.value.field == "at"
    assert local(refused.value.nearest) == nearest
    assert not FollowUp.objects.filter(customer=wang).exists()


def test_a_customer_who_asked_not_to_be_contacted_cannot_be_scheduled(agent, wang):
    wang.do_not_contact_at = at(9, day=2)
    wang.do_not_contact_source = "phone"
    wang.save()

    with pytest.raises(call_scheduling.ScheduleRefused, match="asked not to be contacted"):
        schedule(wang, agent, at(14))


def test_a_customer_with_an_open_follow_up_is_refused_naming_it(agent, wang):
    existing = factories.FollowUpFactory(customer=wang, campaign__name="Spring check-in", status=Status.INVITED)

    with pytest.raises(call_scheduling.ScheduleRefused, match="Spring check-in") as refused:
        schedule(wang, agent, at(14))

    assert refused.value.open_follow_up == existing
    assert FollowUp.objects.filter(customer=wang).count() == 1


def test_no_call_is_scheduled_while_a_manager_has_paused_agent_scheduled_calls(agent, wang):
    schedule(factories.CustomerFactory(consent_given_at=at(9, day=1), consent_source="enrolment"), agent, at(14))
    Campaign.objects.filter(slug=AGENT_CALLS.slug).update(status=Campaign.Status.PAUSED)

    with pytest.raises(call_scheduling.ScheduleRefused, match="paused"):
        schedule(wang, agent, at(15))


def test_a_call_needs_a_reason(agent, wang):
    with pytest.raises(call_scheduling.ScheduleRefused) as refused:
        schedule(wang, agent, at(14), note="   ")

    assert refused.value.field == "note"


# --- Moving a due call ----------------------------------------------------------------------------------


def due_call(**fields) -> FollowUp:
    fields.setdefault("customer__consent_given_at", at(9, day=1))
    fields.setdefault("customer__consent_source", "enrolment")
    fields.setdefault("campaign", factories.CampaignFactory(channels=["phone"]))
    return factories.FollowUpFactory(channel="phone", scheduled_for=at(9, 30), **fields)


def test_a_pool_call_moved_by_an_agent_is_planned_at_the_new_time_and_kept_by_them(agent):
    follow_up = due_call(status=Status.AWAITING_CALLBACK)

    moved = call_scheduling.move_call(
        follow_up_id=follow_up.pk, agent=agent, at=at(16), note="Asked for the afternoon", now=NOW
    )

    assert (moved.status, moved.scheduled_for, moved.assigned_agent) == (Status.PLANNED, at(16), agent)
    assert moved.note == "Asked for the afternoon"


def test_a_call_a_colleague_took_meanwhile_is_not_moved(agent, bob):
    follow_up = due_call(assigned_agent=bob)

    with pytest.raises(call_scheduling.ScheduleRefused, match="taken by a colleague"):
        call_scheduling.move_call(follow_up_id=follow_up.pk, agent=agent, at=at(16), note="", now=NOW)

    follow_up.refresh_from_db()
    assert (follow_up.scheduled_for, follow_up.assigned_agent) == (at(9, 30), bob)


def test_a_call_is_not_moved_past_its_campaigns_end(agent):
    follow_up = due_call(campaign=factories.CampaignFactory(channels=["phone"], ends_at=at(15)))

    with pytest.raises(call_scheduling.ScheduleRefused, match="ends before") as refused:
        call_scheduling.move_call(follow_up_id=follow_up.pk, agent=agent, at=at(16), note="", now=NOW)

    assert refused.value.field == "at"


# --- The pages ------------------------------------------------------------------------------------------


def test_an_agent_finds_a_customer_by_exact_bank_reference_or_phone_but_not_by_name(client, agent, wang):
    client.force_login(agent)
    url = reverse("scheduling:find")

    by_reference = client.get(url, {"q": "C-000123"}).content.decode()
    by_phone = client.get(url, {"q": "138 0013 8000"}).content.decode()
    by_name = client.get(url, {"q": "王芳"}).content.decode()

    assert "王芳" in by_reference and "+86 138****8000" in by_reference
    assert "+8613800138000" not in by_reference
    assert "王芳" in by_phone
    assert "No customer has that bank reference or phone number." in by_name


def test_an_agent_schedules_a_call_from_the_offered_times(client, agent, wang):
    client.force_login(agent)
    url = reverse("scheduling:schedule", args=[customer_token(wang.pk)])

    page = client.get(url).content.decode()
    offered = re.findall(r'name="slot" value="([^"]+)"', page)
    response = client.post(url, {"slot": offered[1], "note": "Inbound complaint about a refund", "keep": "on"})

    assert response.status_code == 302 and response["Location"] == reverse("surveys:agent-queue")
    follow_up = FollowUp.objects.get(customer=wang)
    assert (follow_up.scheduled_for, follow_up.assigned_agent) == (at(14), agent)


def test_a_time_in_the_quiet_hours_is_refused_on_the_page_and_the_nearest_allowed_time_filled_in(client, agent, wang):
    client.force_login(agent)
    url = reverse("scheduling:schedule", args=[customer_token(wang.pk)])

    response = client.post(url, {"slot": "other", "at": "2026-03-11T22:30", "note": "Inbound complaint"})

    page = response.content.decode()
    assert response.status_code == 400
    assert "may not be called at that time" in page
    assert 'value="2026-03-12T09:00"' in page
    assert not FollowUp.objects.filter(customer=wang).exists()


def test_a_tampered_customer_link_is_a_404(client, agent, wang):
    client.force_login(agent)

    response = client.get(reverse("scheduling:schedule", args=[customer_token(wang.pk) + "x"]))

    assert response.status_code == 404


def test_the_page_offers_to_move_the_customers_due_pool_call_instead(client, agent):
    follow_up = due_call()
    client.force_login(agent)

    page = client.get(reverse("scheduling:schedule", args=[customer_token(follow_up.customer_id)])).content.decode()

    assert "already has an open follow-up" in page
    assert reverse("scheduling:move", args=[follow_up.pk]) in page
    assert 'name="slot"' not in page


def test_alice_cannot_move_bobs_call(client, agent, bob):
    follow_up = due_call(assigned_agent=bob)
    client.force_login(agent)

    get = client.get(reverse("scheduling:move", args=[follow_up.pk]))
    post = client.post(reverse("scheduling:move", args=[follow_up.pk]), {"slot": "other", "at": "2026-03-11T16:00"})

    assert (get.status_code, post.status_code) == (404, 404)
    follow_up.refresh_from_db()
    assert follow_up.assigned_agent == bob


def test_an_agent_moves_their_call_on_the_page(client, agent):
    follow_up = due_call(assigned_agent=agent)
    client.force_login(agent)

    response = client.post(
        reverse("scheduling:move", args=[follow_up.pk]), {"slot": "other", "at": "2026-03-12T10:15", "note": ""}
    )

    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.scheduled_for == at(10, 15, day=12)


def test_managers_do_not_schedule_calls(client, manager, wang):
    client.force_login(manager)

    assert client.get(reverse("scheduling:find")).status_code == 403


def test_a_scheduled_call_counts_nothing_against_the_customer_until_it_is_made(agent, wang):
    """Scheduling writes a follow-up, not a contact attempt: the caps count calls made."""
    schedule(wang, agent, at(14))

    assert not ContactAttempt.objects.filter(follow_up__customer=wang).exists()


def test_opening_the_schedule_page_writes_nothing(client, agent, wang):
    client.force_login(agent)

    response = client.get(reverse("scheduling:schedule", args=[customer_token(wang.pk)]))

    assert response.status_code == 200
    assert not Campaign.objects.filter(slug=AGENT_CALLS.slug).exists()


def test_no_call_is_scheduled_when_a_manager_archived_every_version_of_its_survey(agent, wang):
    Survey.objects.filter(key=AGENT_CALLS.survey_key).update(status=Survey.Status.ARCHIVED)

    with pytest.raises(call_scheduling.ScheduleRefused, match="published version"):
        schedule(wang, agent, at(14))
