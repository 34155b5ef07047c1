"""What a call's outcome does to its follow-up, tested without a database.

Times are Shanghai local unless said otherwise; 2026-03-11 is an ordinary Wednesday.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from surveys.calendars import calendar_for
from surveys.call_outcomes import (
    AAPOR_CODES,
    AAPOR_GROUPS,
    CALL_OUTCOMES,
    FINAL_OUTCOMES,
    REACHED_OUTCOMES,
    RETRIED_OUTCOMES,
    AaporGroup,
    CallbackNotAllowed,
    Decision,
    contact_rate,
    cooperation_rate,
    decide,
    nearest_callback,
)
from surveys.models import ContactAttempt, FollowUp
from surveys.policies import HONG_KONG, MAINLAND_CHINA, UNITED_STATES
from surveys.scheduling import is_allowed, part_of_day

Outcome = ContactAttempt.Outcome
Status = FollowUp.Status
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
HONG_KONG_ZONE = ZoneInfo("Asia/Hong_Kong")
CN = calendar_for("CN", None)
US = calendar_for("US", None)
HK = calendar_for("HK", None)


def at(hour: int, minute: int = 0, day: int = 11, zone: ZoneInfo = SHANGHAI, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=zone)


def decide_call(outcome, *, ended_at=None, attempts_made=1, max_attempts=3, callback_at=None, not_after=None, **rules):
    rules.setdefault("zone", SHANGHAI)
    rules.setdefault("policy", MAINLAND_CHINA)
    rules.setdefault("calendar", CN)
    return decide(
        outcome,
        attempts_made=attempts_made,
        max_attempts=max_attempts,
        ended_at=ended_at or at(10, 5),
        callback_at=callback_at,
        not_after=not_after,
        **rules,
    )


# --- AAPOR codes and groups -----------------------------------------------------------------------------

CODES = [
    (Outcome.COMPLETE, "1.1", AaporGroup.COMPLETE),
    (Outcome.PARTIAL, "1.2", AaporGroup.PARTIAL),
    (Outcome.REFUSAL, "2.11", AaporGroup.REFUSAL),
    (Outcome.BREAK_OFF, "2.12", AaporGroup.REFUSAL),
    (Outcome.CALLBACK_REQUESTED, "2.111", AaporGroup.REFUSAL),
    (Outcome.DO_NOT_CONTACT, "2.112", AaporGroup.REFUSAL),
    (Outcome.BUSY, "3.12", AaporGroup.NON_CONTACT),
    (Outcome.NO_ANSWER, "3.13", AaporGroup.NON_CONTACT),
    (Outcome.ANSWERING_MACHINE, "3.14", AaporGroup.NON_CONTACT),
    (Outcome.WRONG_NUMBER, "4.51", AaporGroup.NOT_ELIGIBLE),
]


@pytest.mark.parametrize(("outcome", "code", "group"), CODES)
def test_each_call_outcome_has_its_aapor_code_and_group(outcome, code, group):
    assert AAPOR_CODES[outcome] == code
    assert AAPOR_GROUPS[outcome] == group


def test_every_call_outcome_is_coded_and_no_message_outcome_is():
    assert {outcome for outcome, _code, _group in CODES} == CALL_OUTCOMES
    assert not CALL_OUTCOMES & {Outcome.QUEUED, Outcome.SENT, Outcome.DELIVERED, Outcome.FAILED}


def test_every_call_outcome_is_final_or_retried_or_a_callback():
    retried_or_final = set(FINAL_OUTCOMES) | RETRIED_OUTCOMES
    assert CALL_OUTCOMES - retried_or_final == {Outcome.CALLBACK_REQUESTED}
    assert not set(FINAL_OUTCOMES) & RETRIED_OUTCOMES


def test_reached_outcomes_are_the_calls_that_spoke_to_the_customer():
    assert {
        Outcome.COMPLETE,
        Outcome.PARTIAL,
        Outcome.REFUSAL,
        Outcome.BREAK_OFF,
        Outcome.CALLBACK_REQUESTED,
        Outcome.DO_NOT_CONTACT,
    } == REACHED_OUTCOMES


def test_contact_and_cooperation_rates_follow_aapor_con1_and_coop1():
    counts = {
        AaporGroup.COMPLETE: 6,
        AaporGroup.PARTIAL: 1,
        AaporGroup.REFUSAL: 2,
        AaporGroup.OTHER: 1,
        AaporGroup.NON_CONTACT: 10,
        AaporGroup.NOT_ELIGIBLE: 5,
    }
    assert contact_rate(counts) == pytest.approx(10 / 20)
    assert cooperation_rate(counts) == pytest.approx(6 / 10)


def test_rates_are_none_when_there_is_nothing_to_divide_by():
    assert contact_rate({}) is None
    assert cooperation_rate({AaporGroup.NON_CONTACT: 4}) is None
    assert contact_rate({AaporGroup.NON_CONTACT: 4}) == 0


# --- Every outcome, with attempts left ------------------------------------------------------------------

EXPECTED = {
    Outcome.COMPLETE: Status.COMPLETED,
    Outcome.PARTIAL: Status.PLANNED,
    Outcome.REFUSAL: Status.REFUSED,
    Outcome.BREAK_OFF: Status.PLANNED,
    Outcome.NO_ANSWER: Status.PLANNED,
    Outcome.BUSY: Status.PLANNED,
    Outcome.ANSWERING_MACHINE: Status.PLANNED,
    Outcome.WRONG_NUMBER: Status.UNREACHABLE,
    Outcome.CALLBACK_REQUESTED: Status.AWAITING_CALLBACK,
    Outcome.DO_NOT_CONTACT: Status.CANCELLED,
}


@pytest.mark.parametrize("outcome", sorted(CALL_OUTCOMES))
def test_each_outcome_moves_the_follow_up_to_its_status(outcome):
    callback_at = at(15, 0, day=12) if outcome == Outcome.CALLBACK_REQUESTED else None

    decision = decide_call(outcome, callback_at=callback_at)

    assert decision.status == EXPECTED[outcome]
    assert decision.closes == (decision.status in FollowUp.CLOSED_STATUSES)
    assert decision.reason.startswith(f"{outcome}:") or decision.reason.startswith("retry:")
    if not decision.closes:
        assert decision.at > at(10, 5)


@pytest.mark.parametrize("outcome", sorted(FINAL_OUTCOMES))
def test_a_final_outcome_closes_even_on_the_first_attempt_and_needs_no_rules(outcome):
    decision = decide_call(outcome, attempts_made=1, max_attempts=5, zone=None, policy=None, calendar=None)

    assert decision.closes and decision.status == FINAL_OUTCOMES[outcome]
    assert decision.reason == f"{outcome}: AAPOR {AAPOR_CODES[outcome]} at attempt 1"


@pytest.mark.parametrize("outcome", sorted(CALL_OUTCOMES - set(FINAL_OUTCOMES)))
def test_the_call_that_uses_up_the_attempts_closes_the_follow_up_as_unreachable(outcome):
    callback_at = at(15, 0, day=12)

    last = decide_call(outcome, attempts_made=3, max_attempts=3, callback_at=callback_at)
    before_last = decide_call(outcome, attempts_made=2, max_attempts=3, callback_at=callback_at)

    assert last.status == Status.UNREACHABLE and last.closes
    assert last.reason == f"max_attempts: 3 attempts made, the last: {outcome}"
    assert not before_last.closes


def test_a_retry_needs_the_contact_rules():
    with pytest.raises(ValueError, match="contact rules"):
        decide_call(Outcome.NO_ANSWER, zone=None, policy=None, calendar=None)


@pytest.mark.parametrize("outcome", [Outcome.SENT, Outcome.FAILED, "shouting"])
def test_a_message_outcome_or_an_unknown_one_is_refused(outcome):
    with pytest.raises(ValueError, match="not a call outcome"):
        decide_call(outcome)


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        decide_call(Outcome.NO_ANSWER, ended_at=datetime(2026, 3, 11, 10, 5))  # noqa: DTZ001


def test_a_decision_either_closes_or_reschedules():
    with pytest.raises(ValueError):
        Decision(Status.PLANNED, "retry: no moment")
    with pytest.raises(ValueError):
        Decision(Status.REFUSED, "refusal", at=at(10))


# --- Retries --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", sorted(RETRIED_OUTCOMES))
def test_an_unanswered_morning_call_is_retried_the_next_afternoon(outcome):
    decision = decide_call(outcome, ended_at=at(10, 5))

    # A day later, not in the morning: Thursday after the lunch break.
    assert decision == Decision(Status.PLANNED, decision.reason, at=at(14, 0, day=12))
    assert decision.reason == f"retry: {outcome}, tried again at another part of the day"


def test_an_unanswered_evening_call_is_retried_on_a_later_morning():
    decision = decide_call(Outcome.NO_ANSWER, ended_at=at(19, 30))

    # Thursday 19:30 is evening again, so Friday morning.
    assert decision.at == at(9, 0, day=13)


def test_a_retry_skips_the_weekend_and_never_lands_on_a_sunday():
    decision = decide_call(Outcome.BUSY, ended_at=at(16, 0, day=13))  # Friday afternoon

    # Saturday 16:00 is afternoon again; Saturday morning is before the retry gap; Sunday has no calls.
    assert decision.at == at(9, 0, day=16)


@pytest.mark.parametrize("hour", [9, 10, 11, 14, 15, 16, 17, 18, 19])
@pytest.mark.parametrize("day", range(9, 16))
def test_every_retry_is_a_day_later_allowed_and_at_another_part_of_the_day(day, hour):
    ended = at(hour, 30, day=day)

    decision = decide_call(Outcome.NO_ANSWER, ended_at=ended)

    assert decision.at >= ended + MAINLAND_CHINA.min_retry_gap
    assert is_allowed(decision.at, zone=SHANGHAI, channel="phone", policy=MAINLAND_CHINA, calendar=CN)
    assert part_of_day(decision.at, SHANGHAI) != part_of_day(ended, SHANGHAI)


def test_a_preferred_part_of_the_day_is_used_for_retries():
    decision = decide_call(Outcome.NO_ANSWER, ended_at=at(15, 0), part="evening")

    assert decision.at == at(18, 0, day=12)


def test_a_retry_with_no_slot_before_the_deadline_expires_the_follow_up():
    decision = decide_call(Outcome.NO_ANSWER, ended_at=at(10, 5), not_after=at(10, 0, day=12))

    assert decision.status == Status.EXPIRED
    assert decision.reason.startswith("no_answer; no_slot_before_deadline:")


def test_a_retry_across_a_public_holiday_waits_for_the_next_working_day():
    # 2026-05-01 to 05-05 is the Labour Day break; Thursday 30 April's call is retried on the afternoon of 6 May.
    decision = decide_call(Outcome.NO_ANSWER, ended_at=at(10, 0, day=30, month=4))

    assert decision.at == at(14, 0, day=6, month=5)


# --- Call-backs -----------------------------------------------------------------------------------------


def test_a_callback_is_honoured_at_the_requested_time():
    asked = at(15, 20, day=12)

    decision = decide_call(Outcome.CALLBACK_REQUESTED, callback_at=asked)

    assert decision == Decision(Status.AWAITING_CALLBACK, decision.reason, at=asked, callback_at=asked)


def test_a_callback_on_a_sunday_evening_is_honoured_because_the_customer_asked():
    asked = at(20, 30, day=15)

    assert decide_call(Outcome.CALLBACK_REQUESTED, callback_at=asked).at == asked


def test_a_callback_in_the_quiet_hours_is_refused_with_the_next_morning_offered():
    with pytest.raises(CallbackNotAllowed) as refused:
        decide_call(Outcome.CALLBACK_REQUESTED, callback_at=at(22, 0))

    assert refused.value.code == "callback_outside_hours"
    assert refused.value.nearest == at(8, 0, day=12)
    assert "08:00" in str(refused.value.message) and "21:00" in str(refused.value.message)


def test_a_callback_at_dawn_is_offered_eight_oclock_the_same_day():
    with pytest.raises(CallbackNotAllowed) as refused:
        decide_call(Outcome.CALLBACK_REQUESTED, callback_at=at(6, 30, day=12))

    assert refused.value.nearest == at(8, 0, day=12)


def test_a_callback_in_the_past_is_refused_with_the_next_five_minutes_offered():
    with pytest.raises(CallbackNotAllowed) as refused:
        decide_call(Outcome.CALLBACK_REQUESTED, ended_at=at(10, 3), callback_at=at(9, 0))

    assert refused.value.code == "callback_in_past"
    assert refused.value.nearest == at(10, 5)


def test_a_callback_asked_late_in_the_evening_for_the_past_is_offered_the_next_morning():
    with pytest.raises(CallbackNotAllowed) as refused:
        decide_call(Outcome.CALLBACK_REQUESTED, ended_at=at(20, 58), callback_at=at(20, 0), now=at(20, 58))

    assert refused.value.nearest == at(8, 0, day=12)


def test_a_callback_must_come_after_the_outcome_is_recorded_not_only_after_the_call():
    with pytest.raises(CallbackNotAllowed) as refused:
        decide_call(Outcome.CALLBACK_REQUESTED, ended_at=at(10, 0), callback_at=at(10, 10), now=at(10, 20))

    assert refused.value.code == "callback_in_past"


def test_a_callback_after_the_follow_ups_deadline_is_refused():
    with pytest.raises(CallbackNotAllowed) as refused:
        decide_call(Outcome.CALLBACK_REQUESTED, callback_at=at(10, 0, day=14), not_after=at(12, 0, day=13))

    assert refused.value.code == "callback_after_deadline"
    assert refused.value.nearest is None


def test_a_callback_request_needs_a_time():
    with pytest.raises(CallbackNotAllowed) as refused:
        decide_call(Outcome.CALLBACK_REQUESTED, callback_at=None)

    assert refused.value.code == "callback_missing"


def test_a_partial_interview_with_an_agreed_time_becomes_a_callback():
    asked = at(19, 0)

    decision = decide_call(Outcome.PARTIAL, callback_at=asked)

    assert (decision.status, decision.at, decision.callback_at) == (Status.AWAITING_CALLBACK, asked, asked)


def test_a_partial_interview_without_a_time_is_retried_like_a_break_off():
    assert decide_call(Outcome.PARTIAL).at == decide_call(Outcome.BREAK_OFF).at


def test_a_callback_time_given_with_a_no_answer_is_ignored():
    decision = decide_call(Outcome.NO_ANSWER, callback_at=at(22, 0))

    assert decision.status == Status.PLANNED and decision.callback_at is None


def test_callback_hours_are_the_customers_local_hours_in_new_york():
    asked = at(21, 30, day=12, zone=NEW_YORK)  # 09:30 on Friday in Shanghai: local time is what counts

    with pytest.raises(CallbackNotAllowed) as refused:
        decide_call(
            Outcome.CALLBACK_REQUESTED,
            ended_at=at(15, 0, day=12, zone=NEW_YORK),
            callback_at=asked,
            zone=NEW_YORK,
            policy=UNITED_STATES,
            calendar=US,
        )

    assert refused.value.nearest == at(8, 0, day=13, zone=NEW_YORK)


def test_hong_kong_allows_callbacks_until_22_and_from_9():
    common = {"zone": HONG_KONG_ZONE, "policy": HONG_KONG, "calendar": HK, "ended_at": at(12, 0, zone=HONG_KONG_ZONE)}
    evening = at(21, 30, zone=HONG_KONG_ZONE)

    assert decide_call(Outcome.CALLBACK_REQUESTED, callback_at=evening, **common).at == evening
    with pytest.raises(CallbackNotAllowed) as refused:
        decide_call(Outcome.CALLBACK_REQUESTED, callback_at=at(8, 30, day=12, zone=HONG_KONG_ZONE), **common)
    assert refused.value.nearest == at(9, 0, day=12, zone=HONG_KONG_ZONE)


# --- nearest_callback ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "nearest"),
    [
        (at(8, 0), at(8, 0)),
        (at(20, 59), at(20, 59)),
        (at(21, 0), at(8, 0, day=12)),
        (at(23, 59), at(8, 0, day=12)),
        (at(0, 0), at(8, 0)),
        (at(7, 59), at(8, 0)),
    ],
)
def test_the_nearest_callback_is_never_earlier_than_asked(requested, nearest):
    assert nearest_callback(requested, zone=SHANGHAI, policy=MAINLAND_CHINA) == nearest


def test_the_nearest_callback_respects_not_before():
    assert nearest_callback(at(9, 0), zone=SHANGHAI, policy=MAINLAND_CHINA, not_before=at(21, 10)) == at(8, 0, day=12)


def test_the_nearest_callback_on_the_day_clocks_go_forward_in_new_york():
    # 2026-03-08: 02:00 EST becomes 03:00 EDT.
    nearest = nearest_callback(at(2, 30, day=8, zone=NEW_YORK), zone=NEW_YORK, policy=UNITED_STATES)

    assert nearest == at(8, 0, day=8, zone=NEW_YORK)
    assert nearest.astimezone(UTC) == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)


def test_the_nearest_callback_refuses_naive_times():
    with pytest.raises(ValueError, match="timezone-aware"):
        nearest_callback(datetime(2026, 3, 11, 9, 0), zone=SHANGHAI, policy=MAINLAND_CHINA)  # noqa: DTZ001
