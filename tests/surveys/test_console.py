"""The agent's call page: seeing the call, revealing the number (POST only, audit-logged), recording the outcome.

Times are Shanghai local; 2026-03-11 is an ordinary Wednesday. The page is opened at 09:52 and the outcome
recorded at 10:00.
"""

import logging
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import translation

from audit.models import AuditEntry
from surveys.models import ContactAttempt, FollowUp, Response
from tests import factories

Outcome = ContactAttempt.Outcome
Status = FollowUp.Status
SHANGHAI = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.django_db


def at(hour: int, minute: int = 0, day: int = 11) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(at(9, 52), tick=False) as traveller, translation.override("en"):
        yield traveller


@pytest.fixture
def client():
    """Alice's browser asks for English (the staff pages follow the browser's language)."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def due_call(**fields) -> FollowUp:
    fields.setdefault("customer__consent_given_at", at(9, day=1))
    fields.setdefault("customer__consent_source", "enrolment")
    fields.setdefault("campaign", factories.CampaignFactory(channels=["phone"]))
    return factories.FollowUpFactory(channel="phone", scheduled_for=at(9, 30), **fields)


def page(response) -> str:
    return response.content.decode()


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden {name} on the page"
    return match.group(1)


def open_call(client, follow_up) -> dict:
    """Open the call page as the agent's browser does and return the outcome form's hidden fields."""
    html = page(client.get(reverse("console:call", args=[follow_up.pk])))
    return {name: hidden(html, name) for name in ("started_at", "expected_attempts")}


def unchanged(follow_up: FollowUp) -> bool:
    before = {f.attname: getattr(follow_up, f.attname) for f in FollowUp._meta.concrete_fields}
    follow_up.refresh_from_db()
    after = {f.attname: getattr(follow_up, f.attname) for f in FollowUp._meta.concrete_fields}
    return before == after


# --- Seeing the call -------------------------------------------------------------------------------------


def test_alice_sees_her_assigned_call_with_the_phone_masked(client, agent, customer):
    event = factories.WalletEventFactory(customer=customer, kind="payment_failed", occurred_at=at(7, 0))
    follow_up = due_call(customer=customer, assigned_agent=agent, wallet_event=event, attempts=1)
    factories.ContactAttemptFactory(
        follow_up=follow_up, agent=agent, started_at=at(15, 0, day=10), outcome=Outcome.BUSY, notes="Line engaged"
    )
    client.force_login(agent)

    response = client.get(reverse("console:call", args=[follow_up.pk]))

    assert response.status_code == 200
    html = page(response)
    assert "王芳" in html and "+86 138****8000" in html
    assert "13800138000" not in html and "tel:" not in html
    assert "Payment failed" in html and "2026-03-11 07:00" in html
    assert "Wednesday 09:52" in html and "Asia/Shanghai" in html
    assert "Line busy" in html and "Line engaged" in html and "2026-03-10 15:00" in html
    assert "Asked to be called back" in html and 'type="radio"' in html
    assert 'type="datetime-local"' in html


def test_the_local_time_is_the_customers(client, agent):
    follow_up = due_call(customer__time_zone="Europe/London", assigned_agent=agent)
    client.force_login(agent)
    html = page(client.get(reverse("console:call", args=[follow_up.pk])))
    assert "Wednesday 01:52" in html and "Europe/London" in html


def test_a_pool_call_must_be_claimed_first(client, agent):
    follow_up = due_call(assigned_agent=None, customer__name="Pool customer")
    client.force_login(agent)

    response = client.get(reverse("console:call", args=[follow_up.pk]))

    assert response.status_code == 200
    html = page(response)
    assert "Claim it on your queue first" in html
    assert reverse("surveys:agent-queue") in html and reverse("surveys:claim", args=[follow_up.pk]) in html
    assert 'name="outcome"' not in html and "Show number and call" not in html


def test_a_pool_call_cannot_be_revealed_or_recorded_before_it_is_claimed(client, agent):
    follow_up = due_call(assigned_agent=None)
    client.force_login(agent)
    assert client.post(reverse("console:reveal", args=[follow_up.pk])).status_code == 409
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.PHONE_REVEALED).exists()
    response = client.post(reverse("console:outcome", args=[follow_up.pk]), {"outcome": Outcome.NO_ANSWER})
    assert response.status_code == 409
    assert unchanged(follow_up) and not follow_up.attempts_made.exists()


@pytest.mark.parametrize("name", ["console:call", "console:reveal", "console:outcome"])
def test_alice_gets_404_for_bobs_call(client, agent, bob, name):
    follow_up = due_call(assigned_agent=bob)
    client.force_login(agent)
    method = client.get if name == "console:call" else client.post
    assert method(reverse(name, args=[follow_up.pk]), {"outcome": Outcome.NO_ANSWER}).status_code == 404
    assert unchanged(follow_up) and not follow_up.attempts_made.exists()


def test_a_missing_call_is_404_like_another_agents(client, agent):
    client.force_login(agent)
    assert client.get(reverse("console:call", args=[999999])).status_code == 404


def test_a_manager_may_not_open_the_call_page(client, manager, agent):
    follow_up = due_call(assigned_agent=agent)
    client.force_login(manager)
    assert client.get(reverse("console:call", args=[follow_up.pk])).status_code == 403
    assert client.post(reverse("console:reveal", args=[follow_up.pk])).status_code == 403
    assert client.post(reverse("console:outcome", args=[follow_up.pk])).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, agent):
    follow_up = due_call(assigned_agent=agent)
    response = client.get(reverse("console:call", args=[follow_up.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_closed_call_shows_no_form_and_no_reveal(client, agent):
    follow_up = due_call(assigned_agent=agent, status=Status.COMPLETED)
    client.force_login(agent)
    html = page(client.get(reverse("console:call", args=[follow_up.pk])))
    assert "This call is closed" in html
    assert 'name="outcome"' not in html and "Show number and call" not in html


# --- Revealing the number --------------------------------------------------------------------------------


def test_revealing_the_number_needs_a_post(client, agent, customer):
    follow_up = due_call(customer=customer, assigned_agent=agent)
    client.force_login(agent)
    response = client.get(reverse("console:reveal", args=[follow_up.pk]))
    assert response.status_code == 405
    assert "13800138000" not in page(response)
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.PHONE_REVEALED).exists()


def test_revealing_the_number_shows_a_tel_link_and_is_audit_logged(client, agent, customer, caplog):
    follow_up = due_call(customer=customer, assigned_agent=agent)
    client.force_login(agent)

    with caplog.at_level(logging.INFO, logger="audit"):
        response = client.post(reverse("console:reveal", args=[follow_up.pk]))

    assert response.status_code == 200
    assert 'href="tel:+8613800138000"' in page(response)
    [entry] = AuditEntry.objects.filter(action=AuditEntry.Action.PHONE_REVEALED)
    assert entry.actor == agent and entry.target_id == str(customer.pk)
    assert entry.details == {"follow_up_id": follow_up.pk}
    assert entry.at.isoformat() == "2026-03-11T01:52:00+00:00"
    [record] = [r for r in caplog.records if getattr(r, "audit_entry_id", None) == entry.pk]  # for log shipping
    assert "alice" in record.getMessage()
    # The number is not kept on: the next GET of the page shows it masked again.
    assert "13800138000" not in page(client.get(reverse("console:call", args=[follow_up.pk])))


def test_revealing_keeps_the_time_the_page_was_opened(client, agent, clock):
    follow_up = due_call(assigned_agent=agent)
    client.force_login(agent)
    opened = open_call(client, follow_up)["started_at"]
    clock.move_to(at(9, 55))
    html = page(client.post(reverse("console:reveal", args=[follow_up.pk]), {"started_at": opened}))
    clock.move_to(at(10, 0))

    client.post(
        reverse("console:outcome", args=[follow_up.pk]),
        {"outcome": Outcome.BUSY, "started_at": hidden(html, "started_at"), "expected_attempts": "0"},
    )

    assert follow_up.attempts_made.get().started_at == at(9, 52)


def test_an_agent_without_the_reveal_permission_may_not_reveal(client, agent):
    from django.contrib.auth.models import Group, Permission

    follow_up = due_call(assigned_agent=agent)
    narrow = Group.objects.create(name="narrow")
    narrow.permissions.add(Permission.objects.get(codename="work_call_queue"))
    caller = factories.UserFactory(username="carol")
    caller.groups.add(narrow)
    follow_up.assigned_agent = caller
    follow_up.save()
    client.force_login(caller)
    assert "Show number and call" not in page(client.get(reverse("console:call", args=[follow_up.pk])))
    assert client.post(reverse("console:reveal", args=[follow_up.pk])).status_code == 403


# --- Recording the outcome -------------------------------------------------------------------------------


def test_no_answer_reschedules_the_call_and_goes_back_to_the_queue(client, agent, clock):
    follow_up = due_call(assigned_agent=agent)
    client.force_login(agent)
    form = open_call(client, follow_up)
    clock.move_to(at(10, 0))

    response = client.post(
        reverse("console:outcome", args=[follow_up.pk]), {**form, "outcome": Outcome.NO_ANSWER, "notes": "Rang out"}
    )

    assert response.status_code == 302 and response["Location"] == reverse("surveys:agent-queue")
    follow_up.refresh_from_db()
    assert follow_up.status == Status.PLANNED and follow_up.attempts == 1
    assert follow_up.scheduled_for == at(14, 0, day=12)  # the next day, another part of the day
    attempt = follow_up.attempts_made.get()
    assert (attempt.agent, attempt.outcome, attempt.notes) == (agent, Outcome.NO_ANSWER, "Rang out")
    assert (attempt.started_at, attempt.ended_at) == (at(9, 52), at(10, 0))
    assert "is recorded: No answer" in page(client.get(response["Location"]))


def test_a_call_back_time_is_read_in_the_customers_time_zone(client, agent, clock):
    follow_up = due_call(customer__time_zone="Europe/London", assigned_agent=agent)
    client.force_login(agent)
    form = open_call(client, follow_up)
    clock.move_to(at(10, 0))

    response = client.post(
        reverse("console:outcome", args=[follow_up.pk]),
        {**form, "outcome": Outcome.CALLBACK_REQUESTED, "callback_at": "2026-03-11T15:00"},
    )

    assert response.status_code == 302
    follow_up.refresh_from_db()
    london_three_pm = datetime(2026, 3, 11, 15, 0, tzinfo=ZoneInfo("Europe/London"))
    assert follow_up.status == Status.AWAITING_CALLBACK and follow_up.scheduled_for == london_three_pm
    assert follow_up.attempts_made.get().callback_at == london_three_pm


def test_a_call_back_at_23_00_local_is_refused_with_the_nearest_allowed_time(client, agent, clock):
    follow_up = due_call(assigned_agent=agent)
    client.force_login(agent)
    form = open_call(client, follow_up)
    clock.move_to(at(10, 0))

    response = client.post(
        reverse("console:outcome", args=[follow_up.pk]),
        {**form, "outcome": Outcome.CALLBACK_REQUESTED, "callback_at": "2026-03-11T23:00"},
    )

    assert response.status_code == 400
    html = page(response)
    assert "may be called back only between" in html
    assert "The nearest allowed time is 2026-03-12 08:00, Asia/Shanghai time" in html
    assert 'value="2026-03-12T08:00"' in html  # offered in the field
    assert unchanged(follow_up) and not follow_up.attempts_made.exists()


def test_a_call_back_without_a_time_names_the_field(client, agent):
    follow_up = due_call(assigned_agent=agent)
    client.force_login(agent)
    form = open_call(client, follow_up)
    response = client.post(
        reverse("console:outcome", args=[follow_up.pk]), {**form, "outcome": Outcome.CALLBACK_REQUESTED}
    )
    assert response.status_code == 400
    assert "Enter the time the customer asked to be called back." in page(response)
    assert unchanged(follow_up)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose the outcome of the call."),
        ({"outcome": "delivered"}, "Select a valid choice"),
        ({"outcome": Outcome.CALLBACK_REQUESTED, "callback_at": "tomorrow"}, "Enter the call-back date and time."),
        ({"outcome": Outcome.CALLBACK_REQUESTED, "callback_at": "9999-12-31T23:59"}, "within the next year"),
        ({"outcome": Outcome.NO_ANSWER, "expected_attempts": "many"}, "The page was out of date"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_written(client, agent, data, message):
    follow_up = due_call(assigned_agent=agent)
    client.force_login(agent)
    response = client.post(reverse("console:outcome", args=[follow_up.pk]), data)
    assert response.status_code == 400
    assert message in page(response)
    assert unchanged(follow_up) and not follow_up.attempts_made.exists()


def test_a_tampered_start_time_falls_back_to_now(client, agent, clock):
    follow_up = due_call(assigned_agent=agent)
    client.force_login(agent)
    form = open_call(client, follow_up)
    clock.move_to(at(10, 0))
    client.post(
        reverse("console:outcome", args=[follow_up.pk]),
        {**form, "outcome": Outcome.BUSY, "started_at": form["started_at"][:-2] + "xx"},
    )
    attempt = follow_up.attempts_made.get()
    assert attempt.started_at == attempt.ended_at == at(10, 0)


def test_a_call_closed_meanwhile_is_refused_with_409_and_nothing_written(client, agent, clock):
    follow_up = due_call(assigned_agent=agent)
    client.force_login(agent)
    form = open_call(client, follow_up)
    FollowUp.objects.filter(pk=follow_up.pk).update(status=Status.COMPLETED, closed_at=at(9, 58))
    follow_up.refresh_from_db()
    clock.move_to(at(10, 0))

    response = client.post(reverse("console:outcome", args=[follow_up.pk]), {**form, "outcome": Outcome.REFUSAL})

    assert response.status_code == 409
    assert "Someone else already recorded this call" in page(response)
    assert unchanged(follow_up) and follow_up.status == Status.COMPLETED
    assert not follow_up.attempts_made.exists()


def test_a_call_recorded_meanwhile_by_someone_else_is_refused_with_409(client, agent, clock):
    follow_up = due_call(assigned_agent=agent)
    client.force_login(agent)
    form = open_call(client, follow_up)  # the page showed 0 attempts
    FollowUp.objects.filter(pk=follow_up.pk).update(attempts=1)
    follow_up.refresh_from_db()

    response = client.post(reverse("console:outcome", args=[follow_up.pk]), {**form, "outcome": Outcome.BUSY})

    assert response.status_code == 409
    assert unchanged(follow_up) and not follow_up.attempts_made.exists()


def interviewed_call(agent, *, mode=Response.Mode.PHONE) -> FollowUp:
    """Alice's call whose answers were just submitted: submitting completed the follow-up (surveys/answering.py)."""
    follow_up = due_call(assigned_agent=agent, status=Status.COMPLETED, closed_at=at(9, 51))
    factories.ResponseFactory(follow_up=follow_up, mode=mode, taken_by=agent if mode == Response.Mode.PHONE else None)
    return follow_up


def test_after_alices_phone_interview_the_call_page_asks_for_the_outcome(client, agent):
    follow_up = interviewed_call(agent)
    client.force_login(agent)

    html = page(client.get(reverse("console:call", args=[follow_up.pk])))

    assert "The customer's answers are recorded. Record how the call ended below." in html
    assert "This call is closed" not in html and "Read the survey to the customer" not in html
    assert re.findall(r'name="outcome" value="([^"]+)"', html) == [Outcome.COMPLETE]
    assert "Completed the survey" in html and "Asked to be called back" not in html
    assert 'type="datetime-local"' not in html


def test_alice_records_her_completed_interview_once_and_the_call_is_then_closed(client, agent, clock):
    follow_up = interviewed_call(agent)
    client.force_login(agent)
    form = open_call(client, follow_up)
    clock.move_to(at(10, 0))

    response = client.post(reverse("console:outcome", args=[follow_up.pk]), {**form, "outcome": Outcome.COMPLETE})

    assert response.status_code == 302 and response["Location"] == reverse("surveys:agent-queue")
    assert "is recorded: Completed the survey" in page(client.get(response["Location"]))
    follow_up.refresh_from_db()
    assert follow_up.status == Status.COMPLETED and follow_up.attempts == 1
    assert follow_up.attempts_made.get().outcome == Outcome.COMPLETE
    html = page(client.get(reverse("console:call", args=[follow_up.pk])))
    assert "This call is closed" in html and 'name="outcome"' not in html


def test_after_the_interview_another_outcome_is_refused_and_nothing_written(client, agent, clock):
    follow_up = interviewed_call(agent)
    client.force_login(agent)
    form = open_call(client, follow_up)
    clock.move_to(at(10, 0))

    response = client.post(reverse("console:outcome", args=[follow_up.pk]), {**form, "outcome": Outcome.NO_ANSWER})

    assert response.status_code == 400
    assert 'name="outcome" value="complete"' in page(response)
    assert unchanged(follow_up) and not follow_up.attempts_made.exists()


def test_answers_the_customer_gave_on_the_web_leave_the_call_closed(client, agent):
    follow_up = interviewed_call(agent, mode=Response.Mode.WEB)
    client.force_login(agent)

    html = page(client.get(reverse("console:call", args=[follow_up.pk])))

    assert "This call is closed" in html and 'name="outcome"' not in html


def test_posts_without_the_csrf_token_are_refused(agent):
    follow_up = due_call(assigned_agent=agent)
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(agent)
    assert client.post(reverse("console:reveal", args=[follow_up.pk])).status_code == 403
    assert client.post(reverse("console:outcome", args=[follow_up.pk]), {"outcome": "busy"}).status_code == 403
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.PHONE_REVEALED).exists()
    assert unchanged(follow_up) and not follow_up.attempts_made.exists()


def test_the_call_page_says_why_an_agent_scheduled_the_call_and_offers_to_move_it(client, agent):
    follow_up = due_call(assigned_agent=agent, note="Rang in about a refund")
    client.force_login(agent)

    text = page(client.get(reverse("console:call", args=[follow_up.pk])))

    assert "Rang in about a refund" in text
    assert reverse("scheduling:move", args=[follow_up.pk]) in text
