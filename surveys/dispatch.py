"""The dispatcher: due follow-ups are claimed, re-checked at the moment of contact, and contacted.

Celery beat ticks ``dispatch_due_follow_ups`` every minute and ``recover_abandoned_claims`` every five
(surveys/tasks.py, wallet_followup/celery.py). The database is the source of truth for what is due.

Under Celery the work is split across two queues (wallet_followup/queues.py): the tick on ``dispatch``
takes each batch through steps 1–3 and hands its claim id over; ``surveys.send_invitations`` on
``messages`` takes the claim through steps 2–5 (``send_claimed_messages``: the decisions are taken again
at the moment of sending, the QUEUED attempts are reused). A slow SMTP server or SMS provider then fills
the messages queue without delaying planning and claiming. Called without ``hand_over`` (tests, the
benchmark, a single process), one call does all five steps.

Messages (SMS, e-mail), one batch at a time until nothing is due or the tick's time budget is spent:

1. Claim: due rows (status in FollowUp.DUE_STATUSES, scheduled_for <= now, campaign RUNNING) become
   IN_PROGRESS with claimed_at and a unique claimed_by. On PostgreSQL the rows are picked with
   ``SELECT … FOR UPDATE SKIP LOCKED`` in a short transaction; elsewhere (SQLite) with a conditional
   UPDATE that only takes rows still due, read back by claim id. Two workers never get the same row.
2. Re-check (rules may have changed since planning): campaign ended or event deadline passed →
   EXPIRED; do-not-contact → CANCELLED; opted out of the channel → the campaign's next usable
   channel, else CANCELLED; the moment is outside the customer's window → back to PLANNED at the
   next allowed slot (never sent at 23:00); over a fatigue cap → PLANNED when it clears; the
   campaign's messages-per-minute used up this tick → back to PLANNED unchanged, for the next tick.
3. Record before sending, in one transaction per batch: a ContactAttempt (number = attempts + 1,
   QUEUED, started_at) per message with its link's token hash and verification code, and the link
   expiry on the follow-up (set by its first message). The token and the provider idempotency key
   are derived from the attempt, so the same attempt always carries the same link and key.
4. Send, one message at a time. SendError retryable → the attempt FAILED and the follow-up PLANNED
   at the first allowed moment after a backoff; not retryable → the next usable channel, else
   UNREACHABLE. Any other exception propagates (the task fails) after step 5 ran for what was sent.
5. Finish, every FINISH_EVERY SMS and after every e-mail: attempts SENT with the provider's message id,
   follow-ups INVITED with attempts + 1 and the claim cleared (a conditional UPDATE on our claim id).
   When sending runs more than STALE_DECISION past the batch's moment, each window is checked again at
   the real time before its message, and a closed one sends the follow-up back to the next tick.

A worker killed between 3 and 5 leaves IN_PROGRESS rows with a QUEUED attempt. Recovery takes the
claim over (conditional UPDATE, so two recoverers do it once) and runs them through steps 2–5 again;
step 3 then reuses the QUEUED attempt instead of creating one, so the resend carries the same token
and idempotency key: the SMS provider answers with the first message id and the customer holds one
SMS. An e-mail is finished as soon as the SMTP server accepted it, so a resend after a crash can only
repeat an e-mail whose acceptance and recording the crash fell between. A recovered attempt whose moment is
no longer allowed keeps waiting, QUEUED, for its next slot.

Calls: nothing is sent. Due calls stay in the agents' queue only while calling is allowed; each tick
checks them once (no claim: a conditional UPDATE on the status and time read) and moves those that
may not be called now to the next allowed slot, with the same re-checks as messages.

Decisions:
- A failed send counts as an attempt towards the campaign's ``max_attempts`` (it bounds retries
  against a broken provider, and ContactAttempt.number stays attempts + 1) but not towards the
  customer's fatigue caps: FAILED attempts reached nobody.
- A requested call-back is honoured at the asked time under the call-back rule (quiet hours only,
  ``scheduling.callback_slot``), without fatigue caps: the customer asked for it.
- The throttle is per worker and tick: messages_per_minute × interval / 60, less the campaign's
  message attempts already started in the last interval (so two overlapping ticks roughly share it).
- Each batch uses its own moment (the later of the tick's ``now`` and the clock), so a long tick
  does not send past a window's end on a stale clock.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from accounts.models import Channel, Customer
from surveys import messaging, scheduling
from surveys.calendars import HolidayCalendar, calendar_for
from surveys.history import attempt_histories
from surveys.models import Campaign, ContactAttempt, FollowUp
from surveys.policies import ContactPolicy, campaign_preset
from surveys.tokens import link_token_for_attempt, verification_code

logger = logging.getLogger(__name__)

MESSAGE_CHANNELS = (Channel.SMS.value, Channel.EMAIL.value)
# Every claim id starts with this, so recovery never touches a row someone else (an agent) holds.
CLAIM_PREFIX = "dispatch:"
# Step 5 runs after this many sends: a crash repeats (idempotently) at most this many.
FINISH_EVERY = 100
# Sending that has run this long past the batch's decision checks each window again before each message.
STALE_DECISION = timedelta(seconds=5)
# A retryable failure is tried again after 10 min, 20 min, 40 min… (then the next allowed moment).
RETRY_BACKOFF = timedelta(minutes=10)
CONFIGURATION_RETRY = scheduling.CONFIGURATION_RETRY

Status = FollowUp.Status
Outcome = ContactAttempt.Outcome


class HandOver(Protocol):
    """Passes a claim whose messages are recorded (steps 1–3) to whoever sends them (steps 4–5): the
    ``surveys.send_invitations`` task on the messages queue (surveys/tasks.py). None: send them here."""

    def __call__(self, claim_id: str) -> None: ...

    def backed_up(self) -> bool:
        """Whether enough recorded claims already wait for a sender: claim no more until they are taken."""
        ...


# A tick whose hand-overs find the messages queue backed up waits for it this long at most, then ends. Fast
# senders (SMS) drain a claim within it, so the tick goes on; slow ones (SMTP) hold more than a tick's worth
# of work in the queue anyway. Short, because on a one-process worker the tick blocks the senders it waits for.
BACKED_UP_PATIENCE_SECONDS = 2.0


@dataclass
class DispatchReport:
    """What one tick (or one recovery) did, for the log line and the caller."""

    sent: int = 0
    rescheduled: int = 0
    closed: int = 0
    failed: int = 0
    deferred: int = 0  # throttled: left due for the next tick
    handed_over: int = 0  # recorded and passed to the messages queue (send_claimed_messages)
    backed_up: bool = False  # stopped because the messages queue held enough claims already
    calls_checked: int = 0

    def add(self, other: DispatchReport) -> None:
        for field in fields(self):
            mine, theirs = getattr(self, field.name), getattr(other, field.name)
            setattr(self, field.name, (mine or theirs) if isinstance(mine, bool) else mine + theirs)

    def __str__(self) -> str:
        return ", ".join(f"{field.name}={getattr(self, field.name)}" for field in fields(self))


# --- The rules of one customer in one campaign ---------------------------------------------------


def rules_for(campaign: Campaign, customer: Customer) -> tuple[ContactPolicy, HolidayCalendar, ZoneInfo]:
    """The policy (the customer's region preset, else the campaign's), its calendar and the customer's zone.

    Raises ValueError on an unknown policy or time zone.
    """
    key = (campaign.region_policies or {}).get(customer.region) or campaign.contact_policy
    policy = campaign_preset(key, contact_on_holidays=bool(campaign.allow_holidays))
    try:
        zone = ZoneInfo(customer.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {customer.time_zone!r}") from None
    return policy, calendar_for(policy.holiday_country, policy.holiday_subdivision), zone


def has_contact_details(customer: Customer, channel: str) -> bool:
    return bool(customer.email if channel == Channel.EMAIL else customer.phone)


def usable_channel(customer: Customer, channel: str) -> bool:
    """Consent, not on the do-not-contact list, not opted out of the channel, and a number or address."""
    return customer.may_be_contacted_by(channel) and has_contact_details(customer, channel)


def next_channel(campaign: Campaign, customer: Customer, *, after: str) -> str | None:
    """The first usable channel that comes after ``after`` in the campaign's order (no wrapping round)."""
    channels = list(campaign.channels or [])
    start = channels.index(after) + 1 if after in channels else 0
    return next((channel for channel in channels[start:] if usable_channel(customer, channel)), None)


def latest_contact(follow_up: FollowUp) -> datetime | None:
    """The last moment the follow-up may be contacted: the event's deadline, the campaign's end."""
    limits = []
    if follow_up.wallet_event_id is not None:
        limits.append(follow_up.wallet_event.occurred_at + follow_up.campaign.deadline)
    if follow_up.campaign.ends_at is not None:
        limits.append(follow_up.campaign.ends_at)
    return min(limits) if limits else None


def callable_now(follow_up: FollowUp, *, now: datetime) -> bool:
    """Whether an agent may call this follow-up's customer at ``now`` (the queue's filter).

    ``follow_up`` comes with ``customer`` and ``campaign`` loaded.
    """
    customer = follow_up.customer
    if customer.do_not_contact_at is not None or customer.phone_opt_out_at is not None:
        return False
    try:
        policy, calendar, zone = rules_for(follow_up.campaign, customer)
    except ValueError:
        return False
    if follow_up.status == Status.AWAITING_CALLBACK:
        return scheduling.callback_slot(now, zone=zone, policy=policy).moment is not None
    return allowed_at(now, zone, Channel.PHONE, policy, calendar, customer.preferred_time_of_day, None)


def allowed_at(moment, zone, channel, policy, calendar, part, not_after) -> bool:
    """Whether ``moment`` is inside the customer's windows for the channel, their preferred part of the day
    narrowing them unless it leaves no slot at all (then any part will do, as when planning)."""
    if scheduling.is_allowed(moment, zone=zone, channel=channel, policy=policy, calendar=calendar, part=part):
        return True
    if part in (None, "", "any"):
        return False
    # A preference must not make a customer unreachable: when it leaves no slot, the planner used any
    # part of the day, and so may we (next_contact_slot falls back the same way).
    slot = scheduling.next_contact_slot(
        moment, zone=zone, channel=channel, policy=policy, calendar=calendar, part=part, not_after=not_after
    )
    return slot.moment is not None and slot.moment <= moment


# --- Decisions (no database) -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Send:
    pass


@dataclass(frozen=True)
class _Reschedule:
    at: datetime
    reason: str
    configuration: bool = False


@dataclass(frozen=True)
class _Close:
    status: str
    reason: str


@dataclass(frozen=True)
class _Switch:
    channel: str
    at: datetime
    reason: str


def _no_slot(slot: scheduling.Slot, moment: datetime, not_after: datetime | None):
    """What to do when no slot was found: close the follow-up, unless only the calendar is missing.

    A year whose official holiday schedule is not known yet (China publishes it each November; the
    ``holidays`` package follows) is an operations problem, not the customer's: the follow-up waits,
    re-checked every CONFIGURATION_RETRY and logged as an error, until the package is upgraded.
    """
    if slot.code == "calendar_not_published":
        return _Reschedule(moment + CONFIGURATION_RETRY, f"configuration: {slot.reason}", configuration=True)
    return _Close(Status.EXPIRED if not_after is not None else Status.SKIPPED, slot.reason or "no_slot")


def _slot_or_close(slot: scheduling.Slot, moment: datetime, not_after: datetime | None, why: str):
    if slot.moment is not None:
        return _Reschedule(slot.moment, why)
    return _no_slot(slot, moment, not_after)


def _switch_to(follow_up: FollowUp, channel: str, moment: datetime, why: str):
    """Move to another channel at its first allowed moment (which may be now)."""
    try:
        policy, calendar, zone = rules_for(follow_up.campaign, follow_up.customer)
    except ValueError as exc:
        return _Reschedule(moment + CONFIGURATION_RETRY, f"configuration: {exc}", configuration=True)
    not_after = latest_contact(follow_up)
    slot = scheduling.next_contact_slot(
        moment,
        zone=zone,
        channel=channel,
        policy=policy,
        calendar=calendar,
        part=follow_up.customer.preferred_time_of_day,
        not_after=not_after,
    )
    if slot.moment is None:
        return _no_slot(slot, moment, not_after)
    return _Switch(channel, slot.moment, why)


def _decide(follow_up: FollowUp, moment: datetime, history: scheduling.ContactHistory):
    """What to do with a due follow-up at ``moment``: send (or, for a call, leave it in the queue) or not."""
    campaign, customer, channel = follow_up.campaign, follow_up.customer, follow_up.channel
    if campaign.ends_at is not None and moment >= campaign.ends_at:
        return _Close(Status.EXPIRED, f"campaign_ended: the campaign ended at {campaign.ends_at.isoformat()}")
    not_after = latest_contact(follow_up)
    if not_after is not None and moment > not_after:
        return _Close(Status.EXPIRED, f"deadline_passed: the deadline {not_after.isoformat()} has passed")
    if customer.do_not_contact_at is not None:
        return _Close(Status.CANCELLED, "do_not_contact: the customer asked not to be contacted")
    if not usable_channel(customer, channel):
        other = next_channel(campaign, customer, after=channel)
        why = f"opted_out: the customer may no longer be contacted by {channel}"
        if other is None:
            return _Close(Status.CANCELLED, f"{why}, and no other channel of the campaign is usable")
        return _switch_to(follow_up, other, moment, why)
    if follow_up.attempts >= campaign.max_attempts:
        return _Close(Status.UNREACHABLE, f"max_attempts: {follow_up.attempts} attempts made")
    try:
        policy, calendar, zone = rules_for(campaign, customer)
    except ValueError as exc:
        return _Reschedule(moment + CONFIGURATION_RETRY, f"configuration: {exc}", configuration=True)
    part = customer.preferred_time_of_day
    common = {"zone": zone, "channel": channel, "policy": policy, "calendar": calendar, "part": part}
    if follow_up.status == Status.AWAITING_CALLBACK and channel == Channel.PHONE:
        if scheduling.callback_slot(moment, zone=zone, policy=policy).moment is not None:
            return _Send()
        slot = scheduling.next_contact_slot(moment, not_after=not_after, **common)
        return _slot_or_close(slot, moment, not_after, "outside_window")
    if not allowed_at(moment, zone, channel, policy, calendar, part, not_after):
        slot = scheduling.next_contact_slot(moment, not_after=not_after, **common)
        return _slot_or_close(slot, moment, not_after, "outside_window")
    block = scheduling.fatigue_block(moment, history=history, policy=policy, new_follow_up=False, channel=channel)
    if block is not None:
        code, until = block
        slot = scheduling.next_contact_slot(until, not_after=not_after, **common)
        return _slot_or_close(slot, moment, not_after, code)
    return _Send()


# --- Reads per batch ----------------------------------------------------------------------------------

_HISTORY_LOOKBACK = timedelta(days=400)  # longer than any cap period of any preset; narrowed per batch below


def _lookback(follow_ups: list[FollowUp]) -> timedelta:
    longest = timedelta(days=7)  # the weekly call cap
    for follow_up in follow_ups:
        try:
            policy, _calendar, _zone = rules_for(follow_up.campaign, follow_up.customer)
        except ValueError:
            continue
        longest = max(longest, policy.attempt_period, policy.pause_after_refusal or timedelta(0))
    return min(longest, _HISTORY_LOOKBACK)


_NO_HISTORY = scheduling.ContactHistory()


def _histories(
    follow_ups: list[FollowUp], moment: datetime, *, ignore_attempts: set[int]
) -> dict[int, scheduling.ContactHistory]:
    """Each customer's contacts across every campaign and channel, in one grouped query per batch.

    FAILED attempts reached nobody and do not count; nor do the batch's own QUEUED attempts about to
    be (re)sent, which would otherwise count against themselves.
    """
    if not follow_ups:
        return {}
    customer_ids = {f.customer_id for f in follow_ups}
    found = attempt_histories(
        Q(follow_up__customer_id__in=customer_ids),
        since=moment - _lookback(follow_ups),
        ignore_attempts=ignore_attempts,
    )
    return {customer_id: found.get(customer_id, _NO_HISTORY) for customer_id in customer_ids}


def _pending_attempts(follow_up_ids: list[int]) -> dict[int, ContactAttempt]:
    """The QUEUED attempt of each follow-up that has one: recorded, perhaps sent, never finished."""
    pending = {}
    for attempt in ContactAttempt.objects.filter(follow_up_id__in=follow_up_ids, outcome=Outcome.QUEUED).order_by(
        "number"
    ):
        pending[attempt.follow_up_id] = attempt  # the highest number wins
    return pending


# --- Throttle ------------------------------------------------------------------------------------------


class _Throttle:
    """Messages each campaign may still send this tick; campaigns used up are left alone until the next."""

    def __init__(self, moment: datetime) -> None:
        self.interval = timedelta(seconds=settings.DISPATCH_INTERVAL_SECONDS)
        self.moment = moment
        self.remaining: dict[int, int] = {}
        self.exhausted: set[int] = set()

    def load(self, campaigns: dict[int, Campaign]) -> None:
        new = [pk for pk in campaigns if pk not in self.remaining]
        if not new:
            return
        recent = dict(
            ContactAttempt.objects.filter(
                follow_up__campaign_id__in=new,
                channel__in=MESSAGE_CHANNELS,
                started_at__gt=self.moment - self.interval,
            )
            .values_list("follow_up__campaign_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        for pk in new:
            allowance = campaigns[pk].messages_per_minute * self.interval.total_seconds() / 60
            self.remaining[pk] = max(0, int(allowance) - recent.get(pk, 0))

    def take(self, campaign_id: int) -> bool:
        if self.remaining.get(campaign_id, 0) <= 0:
            self.exhausted.add(campaign_id)
            return False
        self.remaining[campaign_id] -= 1
        return True


# --- Writes --------------------------------------------------------------------------------------------


def _new_claim_id(kind: str) -> str:
    return f"{CLAIM_PREFIX}{kind}:{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:16]}"


def claim_due_follow_ups(
    *, now: datetime, limit: int, claim_id: str, exclude_campaigns: set[int] | frozenset[int] = frozenset()
) -> list[int]:
    """Claim up to ``limit`` due message follow-ups for ``claim_id``; return their ids (step 1)."""
    due = FollowUp.objects.filter(
        status__in=FollowUp.DUE_STATUSES,
        scheduled_for__lte=now,
        campaign__status=Campaign.Status.RUNNING,
        channel__in=MESSAGE_CHANNELS,
    )
    if exclude_campaigns:
        due = due.exclude(campaign_id__in=exclude_campaigns)
    due = due.order_by("scheduled_for", "id")
    claim = {"status": Status.IN_PROGRESS, "claimed_at": now, "claimed_by": claim_id, "updated_at": now}
    if connection.features.has_select_for_update_skip_locked:
        # Rows another worker holds locked are skipped, not waited for; the lock lasts this transaction only.
        with transaction.atomic():
            ids = list(due.select_for_update(skip_locked=True, of=("self",)).values_list("id", flat=True)[:limit])
            if ids:
                FollowUp.objects.filter(id__in=ids).update(**claim)
        return ids
    candidates = list(due.values_list("id", flat=True)[:limit])
    if not candidates:
        return []
    # Only rows still due are taken: a concurrent claimer's rows are IN_PROGRESS by now.
    FollowUp.objects.filter(id__in=candidates, status__in=FollowUp.DUE_STATUSES, scheduled_for__lte=now).update(**claim)
    return list(FollowUp.objects.filter(id__in=candidates, claimed_by=claim_id).values_list("id", flat=True))


class _Batch:
    """One claimed batch of message follow-ups, taken through steps 2–5."""

    def __init__(
        self,
        follow_ups: list[FollowUp],
        *,
        claim_id: str,
        moment: datetime,
        throttle: _Throttle | None,
        hand_over: HandOver | None = None,
    ):
        self.follow_ups = follow_ups
        self.claim_id = claim_id
        self.moment = moment
        self.throttle = throttle
        self.hand_over = hand_over
        self.report = DispatchReport()
        self.started = time.monotonic()
        self.claim_refreshed = self.started

    @property
    def ours(self) -> dict:
        return {"status": Status.IN_PROGRESS, "claimed_by": self.claim_id}

    def _release(self) -> dict:
        return {"claimed_at": None, "claimed_by": "", "updated_at": self.moment}

    def run(self) -> DispatchReport:
        pending = _pending_attempts([f.pk for f in self.follow_ups])
        histories = _histories(
            self.follow_ups, self.moment, ignore_attempts={attempt.pk for attempt in pending.values()}
        )
        if self.throttle is not None:
            self.throttle.load({f.campaign_id: f.campaign for f in self.follow_ups})
        to_send: list[FollowUp] = []
        for follow_up in self.follow_ups:
            if follow_up.campaign.status != Campaign.Status.RUNNING:  # paused since the claim
                self._put_back(follow_up, follow_up.scheduled_for, deferred=True)
                continue
            decision = _decide(follow_up, self.moment, histories[follow_up.customer_id])
            if isinstance(decision, _Send):
                if self.throttle is not None and not self.throttle.take(follow_up.campaign_id):
                    self._put_back(follow_up, follow_up.scheduled_for, deferred=True)
                else:
                    to_send.append(follow_up)
            else:
                self._apply(follow_up, decision, pending.get(follow_up.pk))
        if to_send:
            ready = self._record(to_send, pending)
            if self.hand_over is None:
                self._send_all(ready)
            elif ready:
                # Steps 4 and 5 on the messages queue: the rows stay claimed, each with its QUEUED attempt.
                self.hand_over(self.claim_id)
                self.report.handed_over += len(ready)
        return self.report

    # Step 2's outcomes.

    def _put_back(self, follow_up, at, *, deferred=False) -> None:
        FollowUp.objects.filter(pk=follow_up.pk, **self.ours).update(
            status=Status.PLANNED, scheduled_for=at, **self._release()
        )
        if deferred:
            self.report.deferred += 1

    def _apply(self, follow_up: FollowUp, decision, attempt: ContactAttempt | None) -> None:
        if isinstance(decision, _Reschedule):
            # A QUEUED attempt stays QUEUED: it is resent, with the same link, at the new moment.
            self._put_back(follow_up, decision.at)
            if decision.configuration:
                logger.error("follow-up %s cannot be dispatched: %s", follow_up.pk, decision.reason)
                self.report.failed += 1
            else:
                self.report.rescheduled += 1
            return
        counted = {}
        if attempt is not None:
            # The pending attempt will not be sent on this channel: it is failed and counted.
            _fail_attempt(attempt, self.moment, f"not sent: {decision.reason}")
            counted = {"attempts": attempt.number}
        if isinstance(decision, _Switch):
            FollowUp.objects.filter(pk=follow_up.pk, **self.ours).update(
                status=Status.PLANNED,
                channel=decision.channel,
                scheduled_for=decision.at,
                **counted,
                **self._release(),
            )
            self.report.rescheduled += 1
        else:
            FollowUp.objects.filter(pk=follow_up.pk, **self.ours).update(
                status=decision.status,
                close_reason=decision.reason[:300],
                closed_at=self.moment,
                **counted,
                **self._release(),
            )
            self.report.closed += 1

    # Step 3.

    def _record(self, follow_ups: list[FollowUp], pending: dict[int, ContactAttempt]):
        """Create the QUEUED attempts (or reuse the pending ones) and store each link's hash and expiry."""
        # Still ours? Recovery only takes claims older than the timeout; the row lock closes the last gap.
        mine = FollowUp.objects.filter(id__in=[f.pk for f in follow_ups], **self.ours)
        locking = connection.features.has_select_for_update
        if not locking:
            # SQLite: read before the transaction. A transaction that reads first cannot become a writer
            # once another process has written meanwhile (SQLITE_BUSY_SNAPSHOT, not retried).
            owned = set(mine.values_list("id", flat=True))
        with transaction.atomic():
            if locking:
                owned = set(mine.select_for_update(of=("self",)).values_list("id", flat=True))
            follow_ups = [f for f in follow_ups if f.pk in owned]
            # Invariant: a QUEUED attempt has number attempts + 1 and the follow-up's channel (every path
            # that moves a follow-up to another channel or closes it fails the attempt and counts it).
            fresh = [
                ContactAttempt(
                    follow_up=f,
                    number=f.attempts + 1,
                    channel=f.channel,
                    started_at=self.moment,
                    outcome=Outcome.QUEUED,
                )
                for f in follow_ups
                if f.pk not in pending
            ]
            try:
                with transaction.atomic():
                    ContactAttempt.objects.bulk_create(fresh)
            except IntegrityError:
                # Someone recorded one of these numbers meanwhile: record the rest one by one.
                created = []
                for attempt in fresh:
                    attempt.pk = None
                    try:
                        with transaction.atomic():
                            attempt.save(force_insert=True)
                    except IntegrityError:
                        continue
                    created.append(attempt)
                fresh = created
            attempts = {a.follow_up_id: a for a in fresh}
            ready = []
            for f in follow_ups:
                attempt = attempts.get(f.pk) or pending.get(f.pk)
                if attempt is None:
                    continue
                token, token_hash = link_token_for_attempt(
                    attempt_id=attempt.pk, follow_up_id=f.pk, started_at=attempt.started_at
                )
                attempt.link_token_hash, attempt.verification_code = token_hash, verification_code(attempt.pk)
                # The follow-up's links (a reminder's too) are valid until this, counted from the first message.
                if f.expires_at is None:
                    f.expires_at = attempt.started_at + f.campaign.link_valid_for
                ready.append((f, attempt, token))
            _update_rows(
                ContactAttempt,
                ["link_token_hash", "verification_code"],
                [(a.pk, (a.link_token_hash, a.verification_code)) for f, a, _t in ready if f.pk in attempts],
            )
            _update_rows(FollowUp, ["expires_at"], [(f.pk, (f.expires_at,)) for f, _a, _t in ready])
        return ready

    # Steps 4 and 5.

    def _send_all(self, ready) -> None:
        sms_backend = None
        sent: list[tuple[FollowUp, ContactAttempt, str]] = []
        # A follow-up that already reached the customer gets the reminder's wording.
        reminded = set(
            ContactAttempt.objects.filter(
                follow_up_id__in=[f.pk for f, _a, _t in ready], outcome=Outcome.SENT
            ).values_list("follow_up_id", flat=True)
        )
        try:
            for index, (follow_up, attempt, token) in enumerate(ready):
                self._keep_claim(ready, index)
                if not self._still_allowed(follow_up):
                    continue
                kind = messaging.REMINDER if follow_up.pk in reminded else messaging.INVITATION
                try:
                    if follow_up.channel == Channel.SMS:
                        sms_backend = sms_backend or messaging.get_sms_backend()
                        message_id = sms_backend.send(
                            to=follow_up.customer.phone,
                            text=messaging.render_invitation_sms(
                                follow_up=follow_up, token=token, attempt=attempt, kind=kind
                            ),
                            idempotency_key=messaging.invitation_idempotency_key(
                                attempt_id=attempt.pk, started_at=attempt.started_at
                            ),
                        )
                    else:
                        message_id = messaging.send_invitation_email(
                            to=follow_up.customer.email,
                            invitation=messaging.render_invitation(
                                follow_up=follow_up, token=token, attempt=attempt, kind=kind
                            ),
                            message_id=messaging.invitation_message_id(
                                attempt_id=attempt.pk, started_at=attempt.started_at
                            ),
                        )
                except messaging.SendError as exc:
                    self._failed(follow_up, attempt, exc)
                    continue
                sent.append((follow_up, attempt, message_id))
                # SMTP has no idempotency key: an e-mail is recorded as sent at once, so a worker killed
                # mid-batch resends none. An SMS resend is answered from the provider's idempotency record.
                if follow_up.channel == Channel.EMAIL or len(sent) >= FINISH_EVERY:
                    self._finish(sent)
                    sent = []
        finally:
            # Whatever happens next, what was handed over is recorded as sent.
            if sent:
                self._finish(sent)

    def _still_allowed(self, follow_up: FollowUp) -> bool:
        """Whether the message may still go out now. The decision was taken at the batch's moment; when
        sending has taken long (a slow provider), the window is checked again at the real time, and a
        follow-up whose window has closed goes back to the next tick, keeping its QUEUED attempt (same link)."""
        now = timezone.now()
        if now - self.moment < STALE_DECISION:
            return True
        try:
            policy, calendar, zone = rules_for(follow_up.campaign, follow_up.customer)
        except ValueError:
            return True  # the decision already dealt with the configuration; nothing new to learn here
        part = follow_up.customer.preferred_time_of_day
        if allowed_at(now, zone, follow_up.channel, policy, calendar, part, latest_contact(follow_up)):
            return True
        self._put_back(follow_up, now)
        self.report.rescheduled += 1
        return False

    def _keep_claim(self, ready, index: int) -> None:
        """A slow provider must not let the claim look abandoned: refresh it every third of the timeout."""
        now = time.monotonic()
        if now - self.claim_refreshed < settings.CLAIM_TIMEOUT_SECONDS / 3:
            return
        self.claim_refreshed = now
        ids = [follow_up.pk for follow_up, _attempt, _token in ready[index:]]
        refreshed = max(self.moment, timezone.now())
        FollowUp.objects.filter(id__in=ids, **self.ours).update(claimed_at=refreshed)

    def _finish(self, sent) -> None:
        moment = self.moment
        with transaction.atomic():
            for _follow_up, attempt, message_id in sent:
                attempt.outcome, attempt.provider_message_id, attempt.ended_at = Outcome.SENT, message_id[:128], moment
            _update_rows(
                ContactAttempt,
                ["outcome", "provider_message_id", "ended_at"],
                [(a.pk, (a.outcome, a.provider_message_id, a.ended_at)) for _f, a, _m in sent],
            )
            # An invited follow-up keeps the moment of its reminder in scheduled_for (surveys/reminders.py).
            groups: dict[datetime | None, list[int]] = {}
            for follow_up, _attempt, _message_id in sent:
                groups.setdefault(_reminder_at(follow_up, moment), []).append(follow_up.pk)
            for reminder_at, ids in groups.items():
                FollowUp.objects.filter(id__in=ids, **self.ours).update(
                    status=Status.INVITED, attempts=F("attempts") + 1, scheduled_for=reminder_at, **self._release()
                )
        self.report.sent += len(sent)

    def _failed(self, follow_up: FollowUp, attempt: ContactAttempt, error: messaging.SendError) -> None:
        logger.warning("follow-up %s: %s send failed: %s", follow_up.pk, follow_up.channel, error.reason)
        self.report.failed += 1
        made = attempt.number
        reason = f"send_failed: {error.reason}"
        with transaction.atomic():
            _fail_attempt(attempt, self.moment, reason)
            if made >= follow_up.campaign.max_attempts:
                decision = _Close(Status.UNREACHABLE, f"{reason} (after {made} attempts)")
            elif error.retryable:
                decision = _retry(follow_up, self.moment, made, reason)
            else:
                other = next_channel(follow_up.campaign, follow_up.customer, after=follow_up.channel)
                decision = (
                    _Close(Status.UNREACHABLE, reason)
                    if other is None
                    else _switch_to(follow_up, other, self.moment, reason)
                )
            if isinstance(decision, _Close):
                FollowUp.objects.filter(pk=follow_up.pk, **self.ours).update(
                    status=decision.status,
                    close_reason=decision.reason[:300],
                    closed_at=self.moment,
                    attempts=made,
                    **self._release(),
                )
            else:
                channel = decision.channel if isinstance(decision, _Switch) else follow_up.channel
                FollowUp.objects.filter(pk=follow_up.pk, **self.ours).update(
                    status=Status.PLANNED, channel=channel, scheduled_for=decision.at, attempts=made, **self._release()
                )


def _reminder_at(follow_up: FollowUp, sent_at: datetime) -> datetime | None:
    """When an invited follow-up is reminded (None: never): only while attempts remain."""
    campaign = follow_up.campaign
    if campaign.remind_after is None or follow_up.attempts + 1 >= campaign.max_attempts:
        return None
    return sent_at + campaign.remind_after


def _update_rows(model, field_names: list[str], rows: list[tuple[int, tuple]]) -> None:
    """One UPDATE … WHERE id = %s per row, sent with executemany (pipelined by psycopg).

    bulk_update builds a CASE per field and row, which costs more than the messages it records.
    """
    if not rows:
        return
    meta, ops = model._meta, connection.ops
    fields_ = [meta.get_field(name) for name in field_names]
    assignments = ", ".join(f"{ops.quote_name(field.column)} = %s" for field in fields_)
    # Identifiers come from the model's meta, quoted; every value is a parameter.
    table, pk_column = ops.quote_name(meta.db_table), ops.quote_name(meta.pk.column)
    statement = f"UPDATE {table} SET {assignments} WHERE {pk_column} = %s"  # noqa: S608
    params = [
        [*(field.get_db_prep_save(value, connection) for field, value in zip(fields_, values, strict=True)), pk]
        for pk, values in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(statement, params)


def _retry(follow_up: FollowUp, moment: datetime, made: int, reason: str):
    try:
        policy, calendar, zone = rules_for(follow_up.campaign, follow_up.customer)
    except ValueError as exc:
        return _Reschedule(moment + CONFIGURATION_RETRY, f"configuration: {exc}", configuration=True)
    not_after = latest_contact(follow_up)
    slot = scheduling.next_contact_slot(
        moment + RETRY_BACKOFF * 2 ** (made - 1),
        zone=zone,
        channel=follow_up.channel,
        policy=policy,
        calendar=calendar,
        part=follow_up.customer.preferred_time_of_day,
        not_after=not_after,
    )
    if slot.moment is None and slot.code == "calendar_not_published":
        return _no_slot(slot, moment, not_after)
    if slot.moment is None:
        return _Close(Status.UNREACHABLE if not_after is None else Status.EXPIRED, f"{reason}; {slot.reason}")
    return _Reschedule(slot.moment, reason)


def _fail_attempt(attempt: ContactAttempt, moment: datetime, reason: str) -> None:
    ContactAttempt.objects.filter(pk=attempt.pk, outcome=Outcome.QUEUED).update(
        outcome=Outcome.FAILED, ended_at=moment, notes=reason
    )


def _load_claimed(ids: list[int], claim_id: str) -> list[FollowUp]:
    return list(
        FollowUp.objects.filter(id__in=ids, status=Status.IN_PROGRESS, claimed_by=claim_id)
        .select_related("customer", "campaign__survey", "wallet_event")
        .order_by("scheduled_for", "id")
    )


def _budget_seconds() -> float:
    """Below the tick interval (the next tick takes over) and well below the task's soft time limit."""
    return max(5.0, min(settings.DISPATCH_INTERVAL_SECONDS * 0.9, settings.CELERY_TASK_SOFT_TIME_LIMIT - 30))


def dispatch_due_follow_ups(
    *, now: datetime, budget_seconds: float | None = None, hand_over: HandOver | None = None
) -> DispatchReport:
    """One tick: check due calls, then claim and contact due messages batch by batch (see the module docstring).

    With ``hand_over``, each batch is claimed, re-checked and recorded here, and sent by whoever receives
    its claim id (``send_claimed_messages`` on the messages queue); without, it is sent here too.
    """
    started = time.monotonic()
    budget = _budget_seconds() if budget_seconds is None else budget_seconds
    report = DispatchReport()
    report.add(check_due_calls(now=now))
    throttle = _Throttle(now)
    waiting_since = None
    while time.monotonic() - started < budget:
        if hand_over is not None and hand_over.backed_up():
            # Backpressure: claims recorded faster than the messages workers send would wait in the queue
            # until recovery mistook them for a dead worker's. Wait a little for the senders, then end the
            # tick; the next one goes on where this one stopped.
            waiting_since = waiting_since or time.monotonic()
            if time.monotonic() - waiting_since > BACKED_UP_PATIENCE_SECONDS:
                report.backed_up = True
                break
            time.sleep(0.5)
            continue
        waiting_since = None
        moment = max(now, timezone.now())  # a long tick must not judge windows on a stale clock
        claim_id = _new_claim_id("tick")
        ids = claim_due_follow_ups(
            now=moment, limit=settings.DISPATCH_BATCH_SIZE, claim_id=claim_id, exclude_campaigns=throttle.exhausted
        )
        if not ids:
            break
        batch = _Batch(
            _load_claimed(ids, claim_id), claim_id=claim_id, moment=moment, throttle=throttle, hand_over=hand_over
        )
        report.add(batch.run())
    logger.info("dispatch tick at %s: %s (%.1f s)", now.isoformat(), report, time.monotonic() - started)
    return report


def check_due_calls(*, now: datetime) -> DispatchReport:
    """Due calls that may not be made now leave the agents' queue for their next allowed slot.

    Each due call is looked at once per tick, in id order; a change is a conditional UPDATE on the
    status and time we read, so an agent who took the call meanwhile wins.
    """
    report = DispatchReport()
    last_id = 0
    while True:
        batch = list(
            FollowUp.objects.filter(
                status__in=FollowUp.DUE_STATUSES,
                scheduled_for__lte=now,
                campaign__status=Campaign.Status.RUNNING,
                channel=Channel.PHONE,
                id__gt=last_id,
            )
            .select_related("customer", "campaign", "wallet_event")
            .order_by("id")[: settings.DISPATCH_BATCH_SIZE]
        )
        if not batch:
            return report
        last_id = batch[-1].pk
        histories = _histories(batch, now, ignore_attempts=set())
        for follow_up in batch:
            report.calls_checked += 1
            decision = _decide(follow_up, now, histories[follow_up.customer_id])
            if isinstance(decision, _Send):
                continue  # callable now: it stays in the queue
            as_read = FollowUp.objects.filter(
                pk=follow_up.pk, status=follow_up.status, scheduled_for=follow_up.scheduled_for, channel=Channel.PHONE
            )
            if isinstance(decision, _Reschedule):
                changed = as_read.update(scheduled_for=decision.at, updated_at=now)
                report.rescheduled += changed
            elif isinstance(decision, _Switch):
                changed = as_read.update(
                    status=Status.PLANNED, channel=decision.channel, scheduled_for=decision.at, updated_at=now
                )
                report.rescheduled += changed
            else:
                changed = as_read.update(
                    status=decision.status, close_reason=decision.reason[:300], closed_at=now, updated_at=now
                )
                report.closed += changed


def send_claimed_messages(*, claim_id: str, now: datetime) -> DispatchReport:
    """Steps 4 and 5 for a claim recorded by a dispatch tick or a recovery: the messages queue's work.

    The batch's decisions are taken again at ``now`` (the queue may have been slow, the window may have
    closed, the customer may have opted out meanwhile) and its QUEUED attempts are reused, so the messages
    carry the links and idempotency keys recorded with the claim. A claim that recovery has taken over, or
    that was already sent, finds no rows and does nothing: a message delivered twice sends nothing twice.
    """
    ids = list(FollowUp.objects.filter(status=Status.IN_PROGRESS, claimed_by=claim_id).values_list("id", flat=True))
    if not ids:
        return DispatchReport()
    # Fresh, so recovery does not take the claim while we send; rows it took already are no longer ours.
    FollowUp.objects.filter(id__in=ids, status=Status.IN_PROGRESS, claimed_by=claim_id).update(
        claimed_at=now, updated_at=now
    )
    report = _Batch(_load_claimed(ids, claim_id), claim_id=claim_id, moment=now, throttle=None).run()
    logger.info("sent claim %s at %s: %s", claim_id, now.isoformat(), report)
    return report


def recover_abandoned_claims(*, now: datetime, hand_over: HandOver | None = None) -> DispatchReport:
    """Claims older than CLAIM_TIMEOUT_SECONDS were abandoned by a dead worker: take them over.

    1. Take the claim with a conditional UPDATE (still IN_PROGRESS, still old), so two recoverers
       take each row once.
    2. A follow-up whose last attempt is QUEUED may have been sent: it goes through the dispatcher's
       steps 2–5 again, which resend that same attempt (same link, same idempotency key) if the moment
       is still allowed, or keep it QUEUED for its next slot.
    3. Any other goes back to PLANNED, unchanged; the next tick re-checks it.
    """
    report = DispatchReport()
    if hand_over is not None and hand_over.backed_up():
        # Old claims are most likely waiting in the backed-up messages queue, not abandoned: taking them
        # over would only queue them again. Nothing is lost by waiting: the next run looks again.
        report.backed_up = True
        logger.info("recovery at %s skipped: the messages queue is backed up", now.isoformat())
        return report
    cutoff = now - timedelta(seconds=settings.CLAIM_TIMEOUT_SECONDS)
    abandoned = Q(status=Status.IN_PROGRESS, claimed_at__lt=cutoff, claimed_by__startswith=CLAIM_PREFIX)
    while True:
        candidates = list(
            FollowUp.objects.filter(abandoned, channel__in=MESSAGE_CHANNELS)
            .order_by("claimed_at", "id")
            .values_list("id", flat=True)[: settings.DISPATCH_BATCH_SIZE]
        )
        if not candidates:
            break
        claim_id = _new_claim_id("recover")
        FollowUp.objects.filter(abandoned, id__in=candidates).update(
            claimed_by=claim_id, claimed_at=now, updated_at=now
        )
        follow_ups = _load_claimed(candidates, claim_id)
        pending = _pending_attempts([f.pk for f in follow_ups])
        resend = [f for f in follow_ups if f.pk in pending]
        untouched = [f.pk for f in follow_ups if f.pk not in pending]
        if untouched:
            report.rescheduled += FollowUp.objects.filter(
                id__in=untouched, status=Status.IN_PROGRESS, claimed_by=claim_id
            ).update(status=Status.PLANNED, claimed_at=None, claimed_by="", updated_at=now)
        if resend:
            # No throttle: these were counted when first sent, and most resends are answered from the
            # provider's idempotency record.
            report.add(_Batch(resend, claim_id=claim_id, moment=now, throttle=None, hand_over=hand_over).run())
    if any(getattr(report, f.name) for f in fields(report)):
        logger.warning("recovered abandoned claims at %s: %s", now.isoformat(), report)
    return report
