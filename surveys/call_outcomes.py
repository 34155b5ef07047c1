"""What a call's outcome does to its follow-up: AAPOR disposition codes and the next step, as pure rules.

Nothing here reads or writes the database (the model classes are imported for their TextChoices only);
surveys/calls.py loads the follow-up, calls ``decide`` and stores what it returns.

The decision, for an outcome recorded at the end of attempt number ``attempts_made`` (this call included):

1. Final outcomes close the follow-up whatever is left: complete → COMPLETED, refusal → REFUSED,
   wrong number → UNREACHABLE, do not contact → CANCELLED.
2. Every other outcome keeps the follow-up open only while attempts remain: the call that uses up the
   campaign's ``max_attempts`` closes it as UNREACHABLE (the dispatcher closes a due follow-up at the
   same count, so a later try would never be made anyway).
3. No answer, busy, voicemail and break-off are retried (``scheduling.retry_slot``): at least the
   policy's retry gap later, at another part of the day.
4. A requested call-back is honoured at the asked time (``scheduling.callback_slot``: the call-back
   hours, never the quiet hours) and the follow-up is AWAITING_CALLBACK. A time in the past, outside the
   call-back hours or after the follow-up's last allowed moment raises ``CallbackNotAllowed`` carrying the
   nearest allowed time (``nearest_callback``), for the form to offer.
5. Partial (our choice): the customer answered part of the survey and the rest is still worth having,
   so it is treated like a break-off — retried at another part of the day — or, when the agent agreed a
   time with the customer (``callback_at`` given), like a call-back. When attempts run out it closes as
   UNREACHABLE like the others (reason "max_attempts"); the partial answers stay on the Response.
6. When no retry slot exists before the follow-up's last allowed moment it closes as EXPIRED (with a
   deadline) or UNREACHABLE (without); a year whose holiday calendar is not published yet keeps it
   open, retried after CONFIGURATION_RETRY (as the dispatcher does).

Reasons are a stable code, a colon and a sentence, like the dispatcher's ("max_attempts: 3 attempts made").
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

from surveys import scheduling
from surveys.calendars import HolidayCalendar
from surveys.models import ContactAttempt, FollowUp
from surveys.policies import Channel, ContactPolicy, PartOfDay

__all__ = [
    "AAPOR_CODES",
    "AAPOR_GROUPS",
    "CALL_OUTCOMES",
    "CONFIGURATION_RETRY",
    "FINAL_OUTCOMES",
    "REACHED_OUTCOMES",
    "RETRIED_OUTCOMES",
    "AaporGroup",
    "CallbackNotAllowed",
    "Decision",
    "contact_rate",
    "cooperation_rate",
    "decide",
    "nearest_callback",
]

Outcome = ContactAttempt.Outcome
Status = FollowUp.Status

# The AAPOR disposition code of each call outcome (Standard Definitions, 2023), as in the model's comments.
AAPOR_CODES: dict[str, str] = {
    Outcome.COMPLETE: "1.1",
    Outcome.PARTIAL: "1.2",
    Outcome.REFUSAL: "2.11",
    Outcome.BREAK_OFF: "2.12",
    Outcome.NO_ANSWER: "3.13",
    Outcome.BUSY: "3.12",
    Outcome.ANSWERING_MACHINE: "3.14",
    Outcome.WRONG_NUMBER: "4.51",
    Outcome.CALLBACK_REQUESTED: "2.111",
    Outcome.DO_NOT_CONTACT: "2.112",
}
CALL_OUTCOMES = frozenset(AAPOR_CODES)


class AaporGroup(enum.StrEnum):
    """The groups AAPOR's rates are computed from."""

    COMPLETE = "complete"  # I: complete interview (1.1)
    PARTIAL = "partial"  # P: partial interview (1.2)
    REFUSAL = "refusal"  # R: refusal and break-off (2.1x)
    NON_CONTACT = "non_contact"  # NC: non-contact (2.2x), and the unknown-eligibility codes 3.1x, see below
    OTHER = "other"  # O: other eligible, non-interview (2.3x)
    NOT_ELIGIBLE = "not_eligible"  # 4.x


def _group(code: str) -> AaporGroup:
    # Our sample is a list of the bank's own customers, all eligible: AAPOR's "unknown eligibility" codes
    # (3.12 busy, 3.13 no answer, 3.14 answering machine) are counted as non-contacts, i.e. e = 1.
    if code == "1.1":
        return AaporGroup.COMPLETE
    if code.startswith("1."):
        return AaporGroup.PARTIAL
    if code.startswith("2.1"):
        return AaporGroup.REFUSAL
    if code.startswith("2.2") or code.startswith("3."):
        return AaporGroup.NON_CONTACT
    if code.startswith("2."):
        return AaporGroup.OTHER
    return AaporGroup.NOT_ELIGIBLE


AAPOR_GROUPS: dict[str, AaporGroup] = {outcome: _group(code) for outcome, code in AAPOR_CODES.items()}
# The call reached the customer (someone answered and it was them): for reach rates and handling time.
REACHED_OUTCOMES = frozenset(
    outcome
    for outcome, group in AAPOR_GROUPS.items()
    if group in (AaporGroup.COMPLETE, AaporGroup.PARTIAL, AaporGroup.REFUSAL, AaporGroup.OTHER)
)
# Outcomes that close the follow-up whatever attempts are left.
FINAL_OUTCOMES = {
    Outcome.COMPLETE: Status.COMPLETED,
    Outcome.REFUSAL: Status.REFUSED,
    Outcome.WRONG_NUMBER: Status.UNREACHABLE,
    Outcome.DO_NOT_CONTACT: Status.CANCELLED,
}
RETRIED_OUTCOMES = frozenset(
    {Outcome.NO_ANSWER, Outcome.BUSY, Outcome.ANSWERING_MACHINE, Outcome.BREAK_OFF, Outcome.PARTIAL}
)
CONFIGURATION_RETRY = scheduling.CONFIGURATION_RETRY


def _ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


def contact_rate(counts: Mapping[str, int]) -> float | None:
    """AAPOR CON1, (I + P + R + O) / (I + P + R + O + NC), from counts of cases by final group (None: no cases).

    Count each follow-up once, by the group of its last call outcome; not-eligible cases are left out.
    """
    reached = sum(counts.get(g, 0) for g in (AaporGroup.COMPLETE, AaporGroup.PARTIAL, AaporGroup.REFUSAL))
    reached += counts.get(AaporGroup.OTHER, 0)
    return _ratio(reached, reached + counts.get(AaporGroup.NON_CONTACT, 0))


def cooperation_rate(counts: Mapping[str, int]) -> float | None:
    """AAPOR COOP1, I / (I + P + R + O): of the customers reached, the share who completed (None: nobody reached)."""
    complete = counts.get(AaporGroup.COMPLETE, 0)
    others = sum(counts.get(g, 0) for g in (AaporGroup.PARTIAL, AaporGroup.REFUSAL, AaporGroup.OTHER))
    return _ratio(complete, complete + others)


@dataclass(frozen=True)
class Decision:
    """Close the follow-up (``status`` closed, ``at`` None) or keep it open with a new ``scheduled_for`` (``at``)."""

    status: str
    reason: str
    at: datetime | None = None
    callback_at: datetime | None = None  # the call-back time the decision honours, stored on the attempt

    def __post_init__(self) -> None:
        if (self.status in FollowUp.CLOSED_STATUSES) != (self.at is None):
            raise ValueError("a decision closes the follow-up or reschedules it at a moment, not both")

    @property
    def closes(self) -> bool:
        return self.at is None


class CallbackNotAllowed(ValueError):
    """The requested call-back time may not be used; ``nearest`` is the allowed time to offer (or None)."""

    def __init__(self, code: str, message, nearest: datetime | None) -> None:
        super().__init__(message)
        self.code, self.message, self.nearest = code, message, nearest


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return moment


def nearest_callback(
    requested: datetime, *, zone: ZoneInfo, policy: ContactPolicy, not_before: datetime | None = None
) -> datetime:
    """The first moment at or after ``requested`` (and ``not_before``) allowed for a call-back.

    Never earlier than the customer asked: someone who asks for 21:30 is busy until then, so they are
    offered 08:00 the next morning, not 20:59. Within the call-back hours it is the requested moment itself.
    """
    candidate = _aware(requested, "requested")
    if not_before is not None and _aware(not_before, "not_before") > candidate:
        candidate = not_before
    # Each step moves to the start of a later allowed stretch; two days always reach one (validated policies).
    for _step in range(8):
        if scheduling.callback_slot(candidate, zone=zone, policy=policy).moment is not None:
            return candidate
        local = candidate.astimezone(zone)
        starts = [policy.callback_earliest, policy.quiet_end]
        later = [t for t in starts if t > local.time()]
        day = local.date() if later else local.date() + timedelta(days=1)
        start = min(later) if later else policy.callback_earliest
        moved = datetime.combine(day, start, tzinfo=zone)
        candidate = moved if moved > candidate else candidate + timedelta(minutes=30)
    raise ValueError("the policy allows no call-back time")


_OFFER_STEP = timedelta(minutes=5)
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _soonest(now: datetime) -> datetime:
    """The first whole five minutes after ``now``: a call-back time to offer that is not already past."""
    return now + _OFFER_STEP - (now - _EPOCH) % _OFFER_STEP


def _callback(
    callback_at: datetime,
    *,
    now: datetime,
    zone: ZoneInfo,
    policy: ContactPolicy,
    not_after: datetime | None,
    reason: str,
) -> Decision:
    callback_at = _aware(callback_at, "callback_at")
    nearest = nearest_callback(callback_at, zone=zone, policy=policy, not_before=_soonest(now))
    if not_after is not None and nearest > not_after:
        nearest = None
    if not_after is not None and callback_at > not_after:
        raise CallbackNotAllowed(
            "callback_after_deadline", _("This follow-up ends before the requested call-back time."), nearest
        )
    if callback_at <= now:
        raise CallbackNotAllowed("callback_in_past", _("The call-back time is in the past."), nearest)
    if scheduling.callback_slot(callback_at, zone=zone, policy=policy).moment is None:
        message = _(
            "The customer may be called back only between %(earliest)s and %(latest)s, in their local time."
        ) % {"earliest": f"{policy.callback_earliest:%H:%M}", "latest": f"{policy.callback_latest:%H:%M}"}
        raise CallbackNotAllowed("callback_outside_hours", message, nearest)
    return Decision(Status.AWAITING_CALLBACK, reason, at=callback_at, callback_at=callback_at)


def _retry(
    outcome: str,
    *,
    ended_at: datetime,
    zone: ZoneInfo,
    policy: ContactPolicy,
    calendar: HolidayCalendar,
    not_after: datetime | None,
    part: str,
) -> Decision:
    slot = scheduling.retry_slot(
        ended_at, zone=zone, channel=Channel.PHONE, policy=policy, calendar=calendar, part=part, not_after=not_after
    )
    if slot.moment is not None:
        return Decision(Status.PLANNED, f"retry: {outcome}, tried again at another part of the day", at=slot.moment)
    if slot.code == "calendar_not_published":
        return Decision(Status.PLANNED, f"configuration: {slot.reason}", at=ended_at + CONFIGURATION_RETRY)
    return Decision(Status.EXPIRED if not_after is not None else Status.UNREACHABLE, f"{outcome}; {slot.reason}")


def decide(
    outcome: str,
    *,
    attempts_made: int,
    max_attempts: int,
    ended_at: datetime,
    callback_at: datetime | None,
    zone: ZoneInfo | None,
    policy: ContactPolicy | None,
    calendar: HolidayCalendar | None,
    not_after: datetime | None,
    part: str = PartOfDay.ANY,
    now: datetime | None = None,
) -> Decision:
    """What the follow-up becomes after a call ended at ``ended_at`` with ``outcome`` (see the module docstring).

    ``attempts_made`` counts this call. ``now`` (default ``ended_at``) is when the outcome is recorded: a
    call-back must come after it. ``zone``, ``policy`` and ``calendar`` may be None only for outcomes that
    close the follow-up (the caller could not read the rules); a ValueError says so otherwise. Raises
    CallbackNotAllowed for an unusable call-back time.
    """
    if outcome not in CALL_OUTCOMES:
        raise ValueError(f"{outcome!r} is not a call outcome")
    ended_at = _aware(ended_at, "ended_at")
    now = ended_at if now is None else _aware(now, "now")
    if outcome in FINAL_OUTCOMES:
        code = AAPOR_CODES[outcome]
        return Decision(FINAL_OUTCOMES[outcome], f"{outcome}: AAPOR {code} at attempt {attempts_made}")
    if attempts_made >= max_attempts:
        return Decision(Status.UNREACHABLE, f"max_attempts: {attempts_made} attempts made, the last: {outcome}")
    if zone is None or policy is None or calendar is None:
        raise ValueError("the contact rules are needed to keep the follow-up open")
    if outcome == Outcome.CALLBACK_REQUESTED or (outcome == Outcome.PARTIAL and callback_at is not None):
        if callback_at is None:
            raise CallbackNotAllowed(
                "callback_missing", _("Enter the time the customer asked to be called back."), None
            )
        reason = f"{outcome}: call back at the time agreed with the customer"
        return _callback(callback_at, now=now, zone=zone, policy=policy, not_after=not_after, reason=reason)
    # What is left is retried: no answer, busy, voicemail, break-off, partial without an agreed time.
    return _retry(
        outcome, ended_at=ended_at, zone=zone, policy=policy, calendar=calendar, not_after=not_after, part=part
    )
