"""Recording a call's outcome: the attempt, the follow-up's next step, stale pages and do-not-contact.

Times are Shanghai local; 2026-03-11 is an ordinary Wednesday and the clock stands at 10:00.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone, translation

from accounts.models import ConsentRecord, EvidenceSource
from surveys.call_queries import average_handling_time
from surveys.calls import CallbackNotAllowed, InvalidCall, StaleFollowUp, record_call_outcome
from surveys.models import ContactAttempt, FollowUp, Response
from tests import factories

pytestmark = pytest.mark.django_db

Outcome = ContactAttempt.Outcome
Status = FollowUp.Status
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(hour: int, minute: int = 0, day: int = 11) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def wednesday_morning():
    with time_machine.travel(at(10, 0), tick=False) as traveller, translation.override("en"):
        yield traveller


def contactable_customer(**fields):
    fields.setdefault("consent_given_at", at(9, day=1))
    fields.setdefault("consent_source", "enrolment")
    return factories.CustomerFactory(**fields)


def due_call(**fields) -> FollowUp:
    fields.setdefault("customer", contactable_customer())
    fields.setdefault("campaign", factories.CampaignFactory(channels=["phone"]))
    return factories.FollowUpFactory(channel="phone", scheduled_for=at(9, 30), **fields)


def call(follow_up: FollowUp, agent, outcome: str, **fields) -> ContactAttempt:
    fields.setdefault("started_at", at(9, 52))
    fields.setdefault("ended_at", at(9, 58))
    fields.setdefault("now", timezone.now())
    return record_call_outcome(follow_up_id=follow_up.pk, agent=agent, outcome=outcome, **fields)


def unchanged(follow_up: FollowUp) -> bool:
    before = {f.attname: getattr(follow_up, f.attname) for f in FollowUp._meta.concrete_fields}
    follow_up.refresh_from_db()
    after = {f.attname: getattr(follow_up, f.attname) for f in FollowUp._meta.concrete_fields}
    return before == after and not follow_up.attempts_made.exists()


# --- Every outcome -----------------------------------------------------------------------------------------

EFFECTS = [
    (Outcome.COMPLETE, Status.COMPLETED, None),
    (Outcome.PARTIAL, Status.PLANNED, at(14, 0, day=12)),
    (Outcome.REFUSAL, Status.REFUSED, None),
    (Outcome.BREAK_OFF, Status.PLANNED, at(14, 0, day=12)),
    (Outcome.NO_ANSWER, Status.PLANNED, at(14, 0, day=12)),
    (Outcome.BUSY, Status.PLANNED, at(14, 0, day=12)),
    (Outcome.ANSWERING_MACHINE, Status.PLANNED, at(14, 0, day=12)),
    (Outcome.WRONG_NUMBER, Status.UNREACHABLE, None),
    (Outcome.CALLBACK_REQUESTED, Status.AWAITING_CALLBACK, at(18, 30)),
    (Outcome.DO_NOT_CONTACT, Status.CANCELLED, None),
]


@pytest.mark.parametrize(("outcome", "status", "next_call"), EFFECTS)
def test_each_outcome_records_the_attempt_and_moves_the_follow_up_on(agent, outcome, status, next_call):
    follow_up = due_call(assigned_agent=agent)
    callback_at = at(18, 30) if outcome == Outcome.CALLBACK_REQUESTED else None

    attempt = call(follow_up, agent, outcome, notes="Spoke to the customer", callback_at=callback_at)

    follow_up.refresh_from_db()
    assert follow_up.status == status
    assert follow_up.attempts == 1
    if next_call is None:
        assert follow_up.closed_at == at(10, 0)
        assert follow_up.close_reason.startswith(f"{outcome}:")
        assert follow_up.scheduled_for == at(9, 30)
    else:
        assert follow_up.closed_at is None and follow_up.close_reason == ""
        assert follow_up.scheduled_for == next_call
    attempt.refresh_from_db()
    assert (attempt.number, attempt.channel, attempt.agent, attempt.outcome) == (1, "phone", agent, outcome)
    assert (attempt.started_at, attempt.ended_at) == (at(9, 52), at(9, 58))
    assert attempt.notes == "Spoke to the customer"
    assert attempt.callback_at == callback_at


def test_a_pool_call_without_an_agent_can_be_recorded_by_any_agent(agent):
    follow_up = due_call(assigned_agent=None)

    call(follow_up, agent, Outcome.NO_ANSWER)

    follow_up.refresh_from_db()
    assert follow_up.status == Status.PLANNED and follow_up.attempts == 1
    assert follow_up.assigned_agent is None


def test_the_next_attempt_gets_the_next_number(agent):
    follow_up = due_call(assigned_agent=agent, attempts=1)
    factories.ContactAttemptFactory(follow_up=follow_up, number=1, started_at=at(15, 0, day=10))

    attempt = call(follow_up, agent, Outcome.BUSY)

    assert attempt.number == 2
    follow_up.refresh_from_db()
    assert follow_up.attempts == 2


def test_an_awaiting_callback_follow_up_that_is_reached_is_completed(agent):
    follow_up = due_call(assigned_agent=agent, status=Status.AWAITING_CALLBACK, attempts=1)

    call(follow_up, agent, Outcome.COMPLETE)

    follow_up.refresh_from_db()
    assert follow_up.status == Status.COMPLETED and follow_up.attempts == 2


def test_the_call_that_uses_up_the_attempts_closes_the_follow_up_as_unreachable(agent):
    follow_up = due_call(assigned_agent=agent, attempts=2, campaign=factories.CampaignFactory(max_attempts=3))

    attempt = call(follow_up, agent, Outcome.NO_ANSWER)

    follow_up.refresh_from_db()
    assert follow_up.status == Status.UNREACHABLE
    assert follow_up.attempts == 3 and attempt.number == 3
    assert follow_up.close_reason == "max_attempts: 3 attempts made, the last: no_answer"
    assert follow_up.closed_at == at(10, 0)


def test_a_claim_is_released_when_the_outcome_is_recorded(agent):
    follow_up = due_call(assigned_agent=agent, status=Status.IN_PROGRESS, claimed_at=at(9, 50), claimed_by="agent:1")

    call(follow_up, agent, Outcome.BUSY)

    follow_up.refresh_from_db()
    assert follow_up.status == Status.PLANNED
    assert (follow_up.claimed_at, follow_up.claimed_by) == (None, "")


def test_an_event_follow_up_is_not_retried_after_its_deadline(agent):
    event = factories.WalletEventFactory(occurred_at=at(8, 0))
    follow_up = due_call(assigned_agent=agent, wallet_event=event, customer=event.customer)

    call(follow_up, agent, Outcome.NO_ANSWER)

    # The 48 h deadline ends Friday 08:00; the retry would be Thursday afternoon, inside it.
    follow_up.refresh_from_db()
    assert follow_up.status == Status.PLANNED and follow_up.scheduled_for == at(14, 0, day=12)


def test_an_event_follow_up_whose_deadline_leaves_no_retry_expires(agent):
    event = factories.WalletEventFactory(occurred_at=at(8, 0, day=10))
    follow_up = due_call(assigned_agent=agent, wallet_event=event, customer=event.customer)

    call(follow_up, agent, Outcome.NO_ANSWER)

    follow_up.refresh_from_db()
    assert follow_up.status == Status.EXPIRED
    assert follow_up.close_reason.startswith("no_answer; no_slot_before_deadline:")


def test_a_customer_whose_rules_cannot_be_read_is_retried_in_an_hour_and_the_call_is_kept(agent):
    follow_up = due_call(assigned_agent=agent, customer=contactable_customer(time_zone="Mars/Olympus_Mons"))

    attempt = call(follow_up, agent, Outcome.NO_ANSWER)

    follow_up.refresh_from_db()
    assert follow_up.status == Status.PLANNED and follow_up.scheduled_for == at(11, 0)
    assert attempt.pk is not None


# --- Stale pages -----------------------------------------------------------------------------------------


def test_a_follow_up_closed_by_someone_else_is_refused_with_nothing_written(agent):
    follow_up = due_call(assigned_agent=agent, status=Status.EXPIRED, closed_at=at(9, 59))

    with pytest.raises(StaleFollowUp) as refused:
        call(follow_up, agent, Outcome.COMPLETE)

    assert str(refused.value.message) == "This follow-up was closed meanwhile (Expired). Nothing was saved."
    assert unchanged(follow_up)


def test_a_follow_up_given_to_another_agent_is_refused_with_nothing_written(agent):
    bob = factories.UserFactory(username="bob", roles=["agent"])
    follow_up = due_call(assigned_agent=bob)

    with pytest.raises(StaleFollowUp) as refused:
        call(follow_up, agent, Outcome.NO_ANSWER)

    assert "another agent" in str(refused.value.message)
    assert unchanged(follow_up)


def test_a_call_recorded_by_someone_else_meanwhile_is_refused_when_the_page_says_what_it_saw(agent):
    follow_up = due_call(assigned_agent=None)
    bob = factories.UserFactory(username="bob", roles=["agent"])
    call(follow_up, bob, Outcome.BUSY)  # the follow-up stays open, now with one attempt

    with pytest.raises(StaleFollowUp, match="another call"):
        call(follow_up, agent, Outcome.COMPLETE, expected_attempts=0)

    follow_up.refresh_from_db()
    assert follow_up.status == Status.PLANNED and follow_up.attempts_made.count() == 1


def test_a_follow_up_moved_to_sms_is_refused(agent):
    follow_up = due_call(assigned_agent=agent)
    FollowUp.objects.filter(pk=follow_up.pk).update(channel="sms")
    follow_up.refresh_from_db()

    with pytest.raises(StaleFollowUp, match="no longer a phone call"):
        call(follow_up, agent, Outcome.NO_ANSWER)

    assert unchanged(follow_up)


def test_complete_is_recorded_on_a_follow_up_this_agents_phone_interview_just_completed(agent):
    follow_up = due_call(assigned_agent=agent, status=Status.COMPLETED, closed_at=at(9, 57))
    factories.ResponseFactory(follow_up=follow_up, mode=Response.Mode.PHONE, taken_by=agent)

    attempt = call(follow_up, agent, Outcome.COMPLETE)

    follow_up.refresh_from_db()
    assert follow_up.status == Status.COMPLETED and follow_up.closed_at == at(9, 57)
    assert attempt.number == 1 and follow_up.attempts == 1
    with pytest.raises(StaleFollowUp):
        call(follow_up, agent, Outcome.COMPLETE)
    assert follow_up.attempts_made.count() == 1


def test_the_handling_time_of_a_completed_interview_counts_from_the_start_of_the_interview(agent):
    """The call page recording it is opened after the script, at 09:57; the interview began at 09:45."""
    follow_up = due_call(assigned_agent=agent, status=Status.COMPLETED, closed_at=at(9, 57))
    factories.ResponseFactory(follow_up=follow_up, mode=Response.Mode.PHONE, taken_by=agent, started_at=at(9, 45))

    attempt = call(follow_up, agent, Outcome.COMPLETE, started_at=at(9, 57), ended_at=at(9, 58))

    assert attempt.started_at == at(9, 45)
    assert average_handling_time(since=at(0), until=at(23)) == timedelta(minutes=13)


def test_a_web_answer_does_not_let_an_agent_record_a_complete_call(agent):
    follow_up = due_call(assigned_agent=agent, status=Status.COMPLETED, closed_at=at(9, 57))
    factories.ResponseFactory(follow_up=follow_up, mode=Response.Mode.WEB)

    with pytest.raises(StaleFollowUp):
        call(follow_up, agent, Outcome.COMPLETE)

    assert unchanged(follow_up)


# --- Do not contact ----------------------------------------------------------------------------------------


def test_do_not_contact_records_evidence_and_leaves_other_customers_alone(agent):
    follow_up = due_call(assigned_agent=agent)
    customer = follow_up.customer
    earlier = factories.FollowUpFactory(customer=customer, status=Status.REFUSED, close_reason="refusal: earlier")
    someone_else = due_call()

    attempt = call(follow_up, agent, Outcome.DO_NOT_CONTACT)

    customer.refresh_from_db()
    assert customer.do_not_contact_at == at(10, 0)
    assert customer.do_not_contact_source == EvidenceSource.AGENT
    record = ConsentRecord.objects.get(customer=customer)
    assert (record.kind, record.source, record.recorded_by, record.reference) == (
        ConsentRecord.Kind.DO_NOT_CONTACT,
        EvidenceSource.AGENT,
        agent,
        f"attempt:{attempt.pk}",
    )
    follow_up.refresh_from_db()
    assert follow_up.status == Status.CANCELLED
    earlier.refresh_from_db()
    assert earlier.status == Status.REFUSED and earlier.close_reason == "refusal: earlier"
    someone_else.refresh_from_db()
    assert someone_else.status == Status.PLANNED
    assert not ConsentRecord.objects.filter(customer=someone_else.customer).exists()


def test_a_refusal_records_no_opt_out(agent):
    follow_up = due_call(assigned_agent=agent)

    call(follow_up, agent, Outcome.REFUSAL)

    follow_up.customer.refresh_from_db()
    assert follow_up.customer.do_not_contact_at is None
    assert not ConsentRecord.objects.exists()


# --- Call-backs --------------------------------------------------------------------------------------------


def test_a_callback_in_quiet_hours_is_refused_with_the_nearest_allowed_time_and_nothing_written(agent):
    follow_up = due_call(assigned_agent=agent)

    with pytest.raises(CallbackNotAllowed) as refused:
        call(follow_up, agent, Outcome.CALLBACK_REQUESTED, callback_at=at(22, 30))

    assert refused.value.code == "callback_outside_hours"
    assert refused.value.nearest == at(8, 0, day=12)
    assert str(refused.value.message) == (
        "The customer may be called back only between 08:00 and 21:00, in their local time."
    )
    assert unchanged(follow_up)


def test_a_callback_in_the_past_is_refused(agent):
    follow_up = due_call(assigned_agent=agent)

    with pytest.raises(CallbackNotAllowed) as refused:
        call(follow_up, agent, Outcome.CALLBACK_REQUESTED, callback_at=at(9, 0))

    assert refused.value.code == "callback_in_past"
    assert refused.value.nearest == at(10, 5)
    assert unchanged(follow_up)


def test_the_customers_own_time_zone_decides_the_callback_hours(agent):
    follow_up = due_call(assigned_agent=agent, customer=contactable_customer(time_zone="Europe/London"))
    # 22:30 in Shanghai is 14:30 in London: fine for a Londoner.
    call(follow_up, agent, Outcome.CALLBACK_REQUESTED, callback_at=at(22, 30))

    follow_up.refresh_from_db()
    assert follow_up.status == Status.AWAITING_CALLBACK and follow_up.scheduled_for == at(22, 30)


# --- Bad input ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"outcome": "sent"}, "outcome", "Choose the outcome of the call."),
        ({"ended_at": at(9, 50)}, "ended_at", "The call cannot end before it started."),
        ({"started_at": at(5, 0)}, "ended_at", "A call cannot last more than 4 hours."),
        ({"started_at": at(10, 0), "ended_at": at(10, 10)}, "ended_at", "The call cannot end in the future."),
        ({"started_at": datetime(2026, 3, 11, 9, 52)}, "started_at", "Enter a date and time."),  # noqa: DTZ001
    ],
)
def test_bad_call_details_name_the_field_and_write_nothing(agent, fields, field, message):
    follow_up = due_call(assigned_agent=agent)
    outcome = fields.pop("outcome", Outcome.NO_ANSWER)

    with pytest.raises(InvalidCall) as refused:
        call(follow_up, agent, outcome, **fields)

    assert refused.value.field == field and str(refused.value.message) == message
    assert unchanged(follow_up)


def test_an_unknown_follow_up_is_not_found(agent):
    with pytest.raises(FollowUp.DoesNotExist):
        record_call_outcome(
            follow_up_id=999_999,
            agent=agent,
            outcome=Outcome.BUSY,
            started_at=at(9, 52),
            ended_at=at(9, 58),
            now=timezone.now(),
        )


# --- Average handling time --------------------------------------------------------------------------------


def test_average_handling_time_counts_calls_that_reached_the_customer(agent):
    bob = factories.UserFactory(username="bob", roles=["agent"])
    for who, minutes, outcome in [
        (agent, 3, Outcome.COMPLETE),
        (agent, 5, Outcome.REFUSAL),
        (agent, 1, Outcome.NO_ANSWER),
        (bob, 10, Outcome.COMPLETE),
    ]:
        call(due_call(), who, outcome, started_at=at(9, 40), ended_at=at(9, 40 + minutes))
    window = {"since": at(0, 0), "until": at(0, 0, day=12)}

    assert average_handling_time(agent=agent, **window) == timedelta(minutes=4)
    assert average_handling_time(agent=agent, reached_only=False, **window) == timedelta(minutes=3)
    assert average_handling_time(**window) == timedelta(minutes=6)
    assert average_handling_time(agent=agent, since=at(0, 0, day=12), until=at(0, 0, day=13)) is None


@pytest.mark.django_db(transaction=True)
def test_two_agents_recording_the_same_call_at_once_one_wins(role_groups, agent):
    """PostgreSQL: the second waits for the row lock, then sees the first's attempt and is refused."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter")
    import threading

    from django.db import connections

    bob = factories.UserFactory(username="bob", roles=["agent"])
    follow_up = due_call(assigned_agent=None)
    barrier, results = threading.Barrier(2), {}

    def record(who, outcome):
        try:
            barrier.wait(timeout=10)
            call(follow_up, who, outcome, expected_attempts=0)
            results[who.username] = "saved"
        except StaleFollowUp:
            results[who.username] = "stale"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=record, args=a) for a in ((agent, Outcome.REFUSAL), (bob, Outcome.COMPLETE))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results.values()) == ["saved", "stale"]
    follow_up.refresh_from_db()
    assert follow_up.attempts == 1 and follow_up.attempts_made.count() == 1
    winner = follow_up.attempts_made.get()
    assert follow_up.status == (Status.REFUSED if winner.agent == agent else Status.COMPLETED)
