"""Writes of the agent's call: the outcome of one call, recorded once, driving its follow-up.

The rules (AAPOR codes, what each outcome does) are pure and live in surveys/call_outcomes.py; the
contact rules of the customer come from surveys/dispatch.py (``rules_for``, ``latest_contact``) so a call
and the dispatcher read the same policy, zone and deadline.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from accounts.models import Channel, EvidenceSource, User
from accounts.services import record_do_not_contact
from surveys import call_outcomes
from surveys.call_outcomes import CallbackNotAllowed, Decision
from surveys.dispatch import latest_contact, rules_for
from surveys.models import ContactAttempt, FollowUp, Response

__all__ = ["MAX_HANDLING_TIME", "CallbackNotAllowed", "InvalidCall", "StaleFollowUp", "record_call_outcome"]

Outcome = ContactAttempt.Outcome
Status = FollowUp.Status

# A call longer than this is a mistyped time, not a call.
MAX_HANDLING_TIME = timedelta(hours=4)
# Agents' clocks and the server's may disagree a little; a call "ending" further in the future is a mistake.
CLOCK_SKEW = timedelta(minutes=2)
DO_NOT_CONTACT_REASON = "do_not_contact"


class StaleFollowUp(Exception):
    """The follow-up changed since the agent's page was drawn: closed, reassigned or called by someone else."""

    def __init__(self, message) -> None:
        super().__init__(message)
        self.message = message


class InvalidCall(ValueError):
    """A field of the call is unusable; ``field`` names it for the form."""

    def __init__(self, field: str, message) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def _check_call(*, outcome: str, started_at: datetime, ended_at: datetime, now: datetime) -> None:
    if outcome not in call_outcomes.CALL_OUTCOMES:
        raise InvalidCall("outcome", _("Choose the outcome of the call."))
    for field, moment in (("started_at", started_at), ("ended_at", ended_at)):
        if moment is None or moment.tzinfo is None or moment.utcoffset() is None:
            raise InvalidCall(field, _("Enter a date and time."))
    if ended_at < started_at:
        raise InvalidCall("ended_at", _("The call cannot end before it started."))
    if ended_at - started_at > MAX_HANDLING_TIME:
        raise InvalidCall("ended_at", _("A call cannot last more than 4 hours."))
    if ended_at > now + CLOCK_SKEW:
        raise InvalidCall("ended_at", _("The call cannot end in the future."))


def completed_by_this_call(follow_up: FollowUp, agent: User) -> bool:
    """The agent's phone interview was submitted just before the outcome: its COMPLETED status is ours.

    Submitting a Response completes the follow-up (surveys/answering.py), so "complete" is recorded on a
    follow-up that is already closed, once: a second "complete" attempt would be a replayed form.
    """
    return (
        follow_up.status == Status.COMPLETED
        and Response.objects.filter(
            follow_up=follow_up, status=Response.Status.SUBMITTED, mode=Response.Mode.PHONE, taken_by=agent
        ).exists()
        and not follow_up.attempts_made.filter(outcome=Outcome.COMPLETE).exists()
    )


def _interview_start(follow_up: FollowUp, *, agent: User, started_at: datetime, ended_at: datetime) -> datetime:
    """The call began no later than the agent's interview: the call page that records a completed interview
    was opened after the script, so its own start time would leave the interview out of the handling time."""
    interview = (
        Response.objects.filter(follow_up=follow_up, mode=Response.Mode.PHONE, taken_by=agent)
        .values_list("started_at", flat=True)
        .first()
    )
    if interview is not None and interview < started_at and ended_at - interview <= MAX_HANDLING_TIME:
        return interview
    return started_at


def _check_follow_up(follow_up: FollowUp, *, agent: User, outcome: str, expected_attempts: int | None) -> bool:
    """Refuse a follow-up the agent may no longer record on; True when it is already completed by this call."""
    if follow_up.assigned_agent_id not in (None, agent.pk):
        raise StaleFollowUp(_("This follow-up has been given to another agent. Nothing was saved."))
    if not follow_up.is_open:
        if outcome == Outcome.COMPLETE and completed_by_this_call(follow_up, agent):
            return True
        raise StaleFollowUp(
            _("This follow-up was closed meanwhile (%(status)s). Nothing was saved.")
            % {"status": follow_up.get_status_display()}
        )
    if follow_up.channel != Channel.PHONE:
        raise StaleFollowUp(_("This follow-up is no longer a phone call. Nothing was saved."))
    if expected_attempts is not None and follow_up.attempts != expected_attempts:
        raise StaleFollowUp(_("Someone recorded another call on this follow-up meanwhile. Nothing was saved."))
    return False


def _decide(
    follow_up: FollowUp, *, outcome: str, ended_at: datetime, callback_at: datetime | None, now: datetime
) -> Decision:
    campaign, customer = follow_up.campaign, follow_up.customer
    try:
        policy, calendar, zone = rules_for(campaign, customer)
    except ValueError as exc:
        # The call happened and is recorded; the dispatcher keeps re-checking the rules (and logs them).
        policy = calendar = zone = None
        rules_error = exc
    else:
        rules_error = None
    attempts_made = follow_up.attempts + 1
    common = {
        "attempts_made": attempts_made,
        "max_attempts": campaign.max_attempts,
        "ended_at": ended_at,
        "callback_at": callback_at,
        "not_after": latest_contact(follow_up),
        "part": customer.preferred_time_of_day or "any",
        "now": now,
    }
    if rules_error is not None:
        closing = outcome in call_outcomes.FINAL_OUTCOMES or attempts_made >= campaign.max_attempts
        if not closing:
            return Decision(Status.PLANNED, f"configuration: {rules_error}", at=now + call_outcomes.CONFIGURATION_RETRY)
    return call_outcomes.decide(outcome, zone=zone, policy=policy, calendar=calendar, **common)


def record_call_outcome(
    *,
    follow_up_id: int,
    agent: User,
    outcome: str,
    notes: str = "",
    callback_at: datetime | None = None,
    started_at: datetime,
    ended_at: datetime,
    now: datetime,
    expected_attempts: int | None = None,
) -> ContactAttempt:
    """Record how the agent's call ended and move the follow-up on, atomically.

    1. Check the call (outcome, times: handling time = ended - started, 0 to 4 h) → InvalidCall naming the field.
    2. Lock the follow-up row. Refuse with StaleFollowUp (nothing written) when it is closed, given to
       another agent (pool items, with no agent, are accepted), no longer a phone call, or — with
       ``expected_attempts``, the attempts the agent's page showed — called by someone else meanwhile.
    3. Decide (call_outcomes.decide, under the customer's rules): close, retry or call back. An unusable
       call-back time raises CallbackNotAllowed (with the nearest allowed time), nothing written.
    4. Conditional UPDATE of the follow-up (status, scheduled_for, attempts + 1, closed_at/close_reason,
       claim cleared), then the ContactAttempt (number = attempts + 1, phone, agent, times, notes).
    5. Do not contact: evidence on the customer (source AGENT, reference "attempt:<id>") and the
       customer's other open follow-ups cancelled.

    A "complete" outcome on a follow-up that this agent's phone interview has just completed (submitting
    the Response completes the follow-up) is recorded as the attempt only; the follow-up stays as it is.
    """
    _check_call(outcome=outcome, started_at=started_at, ended_at=ended_at, now=now)
    with transaction.atomic():
        follow_up = (
            FollowUp.objects.select_for_update(of=("self",))
            .select_related("customer", "campaign", "wallet_event")
            .get(pk=follow_up_id)
        )
        already_completed = _check_follow_up(
            follow_up, agent=agent, outcome=outcome, expected_attempts=expected_attempts
        )
        number = follow_up.attempts + 1
        if already_completed:
            started_at = _interview_start(follow_up, agent=agent, started_at=started_at, ended_at=ended_at)
            # The interview already counted nothing as an attempt; this call is the attempt.
            FollowUp.objects.filter(pk=follow_up.pk, status=Status.COMPLETED, attempts=follow_up.attempts).update(
                attempts=F("attempts") + 1, updated_at=now
            )
            used_callback = None
        else:
            decision = _decide(follow_up, outcome=outcome, ended_at=ended_at, callback_at=callback_at, now=now)
            # We hold the row lock, so this matches on PostgreSQL; on SQLite (no row locks) it is what keeps
            # a concurrent recording of the same follow-up from overwriting ours.
            as_read = FollowUp.objects.filter(pk=follow_up.pk, status=follow_up.status, attempts=follow_up.attempts)
            release = {"claimed_at": None, "claimed_by": "", "updated_at": now, "attempts": F("attempts") + 1}
            if decision.closes:
                changed = as_read.update(
                    status=decision.status, close_reason=decision.reason[:300], closed_at=now, **release
                )
            else:
                changed = as_read.update(status=decision.status, scheduled_for=decision.at, **release)
            if changed != 1:
                raise StaleFollowUp(_("Someone changed this follow-up meanwhile. Nothing was saved."))
            used_callback = decision.callback_at
        attempt = ContactAttempt.objects.create(
            follow_up=follow_up,
            number=number,
            channel=Channel.PHONE,
            agent=agent,
            started_at=started_at,
            ended_at=ended_at,
            outcome=outcome,
            notes=notes,
            callback_at=used_callback,
        )
        if outcome == Outcome.DO_NOT_CONTACT:
            _do_not_contact(follow_up, attempt=attempt, agent=agent, now=now)
    return attempt


def _do_not_contact(follow_up: FollowUp, *, attempt: ContactAttempt, agent: User, now: datetime) -> None:
    """Evidence first (the customer row is locked there), then every other open follow-up of the customer.

    At most one follow-up per customer is open (a partial unique index), so today the UPDATE finds none;
    it stays because the cancellation must not depend on that index.
    """
    customer = record_do_not_contact(
        customer=follow_up.customer, source=EvidenceSource.AGENT, by=agent, at=now, reference=f"attempt:{attempt.pk}"
    )
    FollowUp.objects.filter(customer=customer, status__in=FollowUp.OPEN_STATUSES).exclude(pk=follow_up.pk).update(
        status=Status.CANCELLED,
        closed_at=now,
        close_reason=DO_NOT_CONTACT_REASON,
        claimed_at=None,
        claimed_by="",
        updated_at=now,
    )
