"""When may we contact this customer? The contact rules as pure functions.

Every function takes and returns timezone-aware datetimes (returned ones are in UTC); the customer's
zone is applied inside. Nothing here touches the database: the caller loads the customer's zone,
preferences and contact history, picks a ContactPolicy (surveys/policies.py) and a HolidayCalendar
(surveys/calendars.py), and stores what comes back.

The rules, in the customer's local time:

1. A moment is allowed when its local date has a window for the channel and its local wall-clock time is
   inside it: calls use the call windows, SMS and e-mail the message windows, of the local weekday.
2. Never in the quiet hours (21:00–08:00 by default), whatever the windows say.
3. Never on an official day off (public holiday, substituted day off, weekend day inside an official
   break) unless the policy allows contact on holidays, in which case that weekday's windows apply.
   On an official make-up working day (a Saturday or Sunday that is a working day) the Monday–Friday
   windows apply: only the times allowed on every one of Monday to Friday.
4. A preferred part of the day (morning 08–12, afternoon 12–18, evening 18–21) narrows the windows. A
   preference must not make a customer unreachable: when it leaves no slot within the search, the
   search is repeated for any part of the day.
5. Event-triggered follow-ups wait a cool-off after the event and give up at a deadline.
6. Fatigue caps over rolling periods across every campaign and channel (see ``fatigue_block``).
7. Retries come at least ``min_retry_gap`` later, in a different part of the day than the attempt
   that went unanswered; call-backs are honoured at the asked time within the call-back hours.
8. Capacity: calls per UTC hour and messages per UTC minute (``CapacityLedger``).
9. When the search reaches a year whose official holiday schedule the calendar does not know, and no
   slot was found before it, the answer is "calendar_not_published" rather than a guess.

DST: a local window is mapped to the instants whose local wall-clock time is inside it, segment by
segment around a UTC-offset change. So a window edge in the spring-forward gap starts at the first
instant after the gap, and a wall-clock time that happens twice in the autumn is allowed on both
passes. Every moment returned is checked once more by converting it back to local time.

Reasons are stable codes followed by a colon and a sentence, e.g. "no_slot_before_deadline: …";
``Slot.code`` gives the code alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from surveys.calendars import HolidayCalendar
from surveys.policies import PARTS_OF_DAY, Channel, ContactPolicy, PartOfDay, Window

# A contact whose rules cannot be applied yet (an unknown policy or zone, a holiday calendar not published
# for that year) is looked at again this much later, by the dispatcher and after a call alike.
CONFIGURATION_RETRY = timedelta(hours=1)

__all__ = [
    "CapacityLedger",
    "ContactHistory",
    "Slot",
    "allowed_windows",
    "callback_slot",
    "event_window",
    "fatigue_block",
    "is_allowed",
    "next_contact_slot",
    "offered_slots",
    "part_of_day",
    "plan_contact",
    "retry_slot",
]

_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)
_FAMILY = {Channel.PHONE: "call", Channel.SMS: "message", Channel.EMAIL: "message"}
# The capacity search moves a slot past full buckets at most this many times before giving up.
_CAPACITY_HOPS = 200


@dataclass(frozen=True)
class Slot:
    """A planned moment (aware, UTC) or, when there is none, the reason why. Exactly one is None."""

    moment: datetime | None
    reason: str | None

    def __post_init__(self) -> None:
        if (self.moment is None) == (self.reason is None):
            raise ValueError("a slot has either a moment or a reason, not both and not neither")

    @property
    def code(self) -> str | None:
        """The stable reason code ("no_slot", "attempt_cap", …) without its explanation."""
        return None if self.reason is None else self.reason.split(":", 1)[0]


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is UTC:
        return moment
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return moment.astimezone(UTC)


def _family(channel: str) -> str:
    try:
        return _FAMILY[channel]
    except KeyError:
        raise ValueError(f"unknown channel {channel!r}") from None


_PARTS = {p.value: p for p in PartOfDay}


def _part(part: str | None) -> PartOfDay | None:
    if part is None:
        return None
    try:
        return _PARTS[part]
    except KeyError:
        raise ValueError(f"unknown part of day {part!r}") from None


# Windows as timedeltas since local midnight: exact for any time value, and cheap to add to a date.
def _delta(t: time) -> timedelta:
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)


def _span(window: Window) -> tuple[timedelta, timedelta]:
    return _delta(window.start), _delta(window.end)


def _intersect(spans, others):
    out = []
    for s, e in spans:
        for other_start, other_end in others:
            lo, hi = max(s, other_start), min(e, other_end)
            if lo < hi:
                out.append((lo, hi))
    return out


def _subtract(spans, start, end):
    out = []
    for s, e in spans:
        if s < start:
            out.append((s, min(e, start)))
        if e > end:
            out.append((max(s, end), e))
    return out


def _merge(spans):
    merged: list[tuple[timedelta, timedelta]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return tuple(merged)


def _spans_of(windows) -> list[tuple[timedelta, timedelta]]:
    return [_span(w) for w in windows]


def _day_spans(
    day: date,
    family: str,
    policy: ContactPolicy,
    calendar: HolidayCalendar,
    part: PartOfDay | None,
    avoid: PartOfDay | None,
) -> tuple[tuple[timedelta, timedelta], ...]:
    """The allowed stretches of one local day (rules 1–4), merged and sorted."""
    week = policy.call_windows if family == "call" else policy.message_windows
    if calendar.is_holiday(day) and not policy.contact_on_holidays:
        return ()
    if calendar.is_makeup_working_day(day):
        # Only the times every working weekday allows: a make-up day is "a working day", not a particular one.
        spans = _spans_of(week[0])
        for weekday in range(1, 5):
            spans = _intersect(spans, _spans_of(week[weekday]))
    else:
        spans = _spans_of(week[day.weekday()])
    quiet_start, quiet_end = _delta(policy.quiet_start), _delta(policy.quiet_end)
    if quiet_start > quiet_end:  # quiet hours wrap midnight: the day is open between their end and start
        spans = _intersect(spans, [(quiet_end, quiet_start)])
    else:
        spans = _subtract(spans, quiet_start, quiet_end)
    if part is not None and part != PartOfDay.ANY:
        spans = _intersect(spans, [_span(PARTS_OF_DAY[part])])
    if avoid is not None and avoid != PartOfDay.ANY:
        spans = _subtract(spans, *_span(PARTS_OF_DAY[avoid]))
    return _merge(spans)


class _Rules:
    """The day rules of one (channel family, policy, calendar, part, avoided part), memoised per local day.

    Planning a campaign asks about the same few hundred days for every customer: after the first customer
    each day is one dictionary look-up keyed by the date alone.
    """

    __slots__ = ("family", "policy", "calendar", "part", "avoid", "_days")

    def __init__(self, family, policy, calendar, part, avoid) -> None:
        self.family, self.policy, self.calendar, self.part, self.avoid = family, policy, calendar, part, avoid
        self._days: dict[date, tuple[tuple[timedelta, timedelta], ...] | None] = {}

    def spans(self, day: date) -> tuple[tuple[timedelta, timedelta], ...] | None:
        """The day's allowed stretches; None when the calendar does not know the day's year."""
        try:
            return self._days[day]
        except KeyError:
            pass
        if self.calendar.covers(day.year):
            spans = _day_spans(day, self.family, self.policy, self.calendar, self.part, self.avoid)
        else:
            spans = None
        self._days[day] = spans
        return spans


@lru_cache(maxsize=1024)
def _rules(
    family: str, policy: ContactPolicy, calendar: HolidayCalendar, part: PartOfDay | None, avoid: PartOfDay | None
) -> _Rules:
    return _Rules(family, policy, calendar, part, avoid)


@lru_cache(maxsize=1 << 14)
def _local_day(zone: ZoneInfo, day: date) -> tuple[datetime, timedelta, timedelta, datetime | None]:
    """Local midnight of ``day`` written as if it were UTC (for wall-clock arithmetic without a zone), the
    UTC offsets before and after an offset change near the day, and the instant of that change (or None).

    Probes from 15 h before that midnight to 13 h after the next one cover every offset from -12 h to
    +14 h. Zones change offset at most once in such a stretch; the final check in ``_search`` guards the rest.
    """
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    low = midnight - timedelta(hours=15)
    first = low.astimezone(zone).utcoffset()
    later = (midnight + timedelta(hours=37)).astimezone(zone).utcoffset()
    if first == later:
        return midnight, first, first, None
    # Binary search for the first second with the later offset (tzdata transitions fall on whole seconds).
    a, b = 0, 52 * 3600
    while b - a > 1:
        m = (a + b) // 2
        if (low + timedelta(seconds=m)).astimezone(zone).utcoffset() == first:
            a = m
        else:
            b = m
    return midnight, first, later, low + timedelta(seconds=b)


def _not_published(calendar: HolidayCalendar, year: int) -> str:
    return (
        f"calendar_not_published: the official {calendar.country} holiday schedule for {year} is not known "
        "to this version of the holidays package"
    )


def _search(
    start: datetime,
    zone: ZoneInfo,
    rules: _Rules,
    not_after: datetime | None,
    search_days: int,
    channel: str,
) -> tuple[datetime | None, str | None]:
    """The earliest allowed instant >= start (and <= not_after), scanning local days in order."""
    first_day = start.astimezone(zone).date()
    last_day = None if not_after is None else not_after.astimezone(zone).date()
    day = first_day - _DAY
    for _offset in range(search_days + 1):
        day += _DAY
        if last_day is not None and day > last_day:
            break
        spans = rules.spans(day)
        if spans is None:
            return None, _not_published(rules.calendar, day.year)
        if not spans:
            continue
        midnight, before, after, transition = _local_day(zone, day)
        best = None
        for ws, we in spans:
            wall_start, wall_end = midnight + ws, midnight + we
            if transition is None:
                pieces = ((wall_start - before, wall_end - before),)
            else:
                # The wall-clock window read with each offset, kept to the side of the transition where
                # that offset holds: a gap yields one piece (or none), a repeated hour yields two.
                pieces = (
                    (wall_start - before, min(wall_end - before, transition)),
                    (max(wall_start - after, transition), wall_end - after),
                )
            for lo, hi in pieces:
                candidate = lo if lo > start else start
                if candidate >= hi or (best is not None and candidate >= best):
                    continue
                # Invariant: the local date and wall-clock time of what we return lie inside the window.
                local = candidate.astimezone(zone)
                if ws <= local.replace(tzinfo=UTC) - midnight < we:
                    best = candidate
        if best is not None:
            if not_after is not None and best > not_after:
                break
            return best, None
    if not_after is not None:
        return None, (
            f"no_slot_before_deadline: no allowed {channel} time between {start.isoformat()} "
            f"and {not_after.isoformat()}"
        )
    return None, f"no_slot: no allowed {channel} time within {search_days} days of {start.isoformat()}"


def allowed_windows(
    day: date,
    *,
    channel: str,
    policy: ContactPolicy,
    calendar: HolidayCalendar,
    part: str = PartOfDay.ANY,
) -> tuple[Window, ...]:
    """The local windows of ``day`` after holidays, quiet hours and the preferred part of day.

    Empty when nothing is allowed, including in a year whose official calendar is not known.
    """
    spans = _rules(_family(channel), policy, calendar, _part(part), None).spans(day)
    if not spans:
        return ()
    return tuple(Window(_time_of(s), _time_of(e)) for s, e in spans)


def _time_of(delta: timedelta) -> time:
    seconds, micro = divmod(delta // timedelta(microseconds=1), 1_000_000)
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60, micro)


def is_allowed(
    moment: datetime,
    *,
    zone: ZoneInfo,
    channel: str,
    policy: ContactPolicy,
    calendar: HolidayCalendar,
    part: str = PartOfDay.ANY,
) -> bool:
    """Whether ``moment`` is inside an allowed window of its local day (False in an unknown year)."""
    local = _aware(moment, "moment").astimezone(zone)
    day = local.date()
    spans = _rules(_family(channel), policy, calendar, _part(part), None).spans(day)
    if not spans:
        return False
    wall = local.replace(tzinfo=UTC) - _local_day(zone, day)[0]
    return any(s <= wall < e for s, e in spans)


def next_contact_slot(
    after: datetime,
    *,
    zone: ZoneInfo,
    channel: str,
    policy: ContactPolicy,
    calendar: HolidayCalendar,
    part: str = PartOfDay.ANY,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    avoid_part: str | None = None,
    search_days: int = 60,
) -> Slot:
    """The earliest allowed moment >= max(after, not_before) and <= not_after, or the reason there is none.

    ``search_days`` bounds the search in local days from the start. A preferred ``part`` narrows the
    windows; if it leaves no slot, the search is repeated for any part of the day (a preference must not
    make a customer unreachable). ``avoid_part`` removes a part of the day (used for retries) and is kept
    in the fallback.
    """
    start = _aware(after, "after")
    if not_before is not None:
        start = max(start, _aware(not_before, "not_before"))
    if not_after is not None:
        not_after = _aware(not_after, "not_after")
    family, preferred, avoid = _family(channel), _part(part), _part(avoid_part)
    return Slot(*_next(start, zone, family, policy, calendar, preferred, avoid, not_after, search_days, channel))


def _next(start, zone, family, policy, calendar, preferred, avoid, not_after, search_days, channel):
    """``next_contact_slot`` on checked arguments: (moment, None) or (None, reason)."""
    found = _search(start, zone, _rules(family, policy, calendar, preferred, avoid), not_after, search_days, channel)
    if found[0] is None and preferred not in (None, PartOfDay.ANY):
        # A preference narrows the windows; it must not make the customer unreachable.
        found = _search(start, zone, _rules(family, policy, calendar, None, avoid), not_after, search_days, channel)
    return found


def offered_slots(
    now: datetime,
    *,
    zone: ZoneInfo,
    channel: str,
    policy: ContactPolicy,
    calendar: HolidayCalendar,
    part: str | None = None,
    history: ContactHistory,
    not_after: datetime | None = None,
    count: int = 6,
    spacing: timedelta = timedelta(hours=1),
) -> list[datetime]:
    """Up to ``count`` allowed moments after ``now``, ``spacing`` apart, for a person scheduling a contact.

    Each is inside the customer's windows (``next_contact_slot``, so the preferred part of the day narrows
    them) and past the fatigue caps that bound contacts in an open follow-up (``fatigue_block`` with
    ``new_follow_up=False``: attempts per period, calls per week, the pause after a refusal). The search
    starts at the next quarter hour, so the first offer is a time a person can still make.
    """
    now = _aware(now, "now")
    quarter = timedelta(minutes=15)
    start = now + quarter - (now - datetime(2000, 1, 1, tzinfo=UTC)) % quarter
    offered: list[datetime] = []
    for _hop in range(count * 4):  # fatigue can push the search on a few times; bounded all the same
        slot = next_contact_slot(
            start, zone=zone, channel=channel, policy=policy, calendar=calendar, part=part, not_after=not_after
        )
        if slot.moment is None:
            break
        block = fatigue_block(slot.moment, history=history, policy=policy, new_follow_up=False, channel=channel)
        if block is not None:
            start = block[1]
            continue
        offered.append(slot.moment)
        if len(offered) == count:
            break
        start = slot.moment + spacing
    return offered


def event_window(event_at: datetime, *, cool_off: timedelta, deadline: timedelta) -> tuple[datetime, datetime]:
    """(earliest, latest) moment to follow up on an event: after the cool-off, no later than the deadline."""
    if cool_off < timedelta(0) or deadline < cool_off:
        raise ValueError("the deadline must not come before the cool-off, and the cool-off must not be negative")
    event_at = _aware(event_at, "event_at")
    return event_at + cool_off, event_at + deadline


def part_of_day(moment: datetime, zone: ZoneInfo) -> PartOfDay:
    """The part of the day the local time falls in; ANY outside all of them (e.g. 21:30)."""
    local_time = _aware(moment, "moment").astimezone(zone).time()
    for part, window in PARTS_OF_DAY.items():
        if window.start <= local_time < window.end:
            return part
    return PartOfDay.ANY


def retry_slot(
    last_attempt_at: datetime,
    *,
    zone: ZoneInfo,
    channel: str,
    policy: ContactPolicy,
    calendar: HolidayCalendar,
    part: str = PartOfDay.ANY,
    not_after: datetime | None = None,
) -> Slot:
    """The next try after an unanswered attempt: >= min_retry_gap later, in another part of the day.

    A different part of the day wins over the customer's preferred part (someone who never answers in the
    evening is tried in the morning); if no other part has a slot within the search, any part will do.
    """
    last = _aware(last_attempt_at, "last_attempt_at")
    after = last + policy.min_retry_gap
    last_part = part_of_day(last, zone)
    avoid = None if last_part == PartOfDay.ANY else last_part
    common = {"zone": zone, "channel": channel, "policy": policy, "calendar": calendar, "not_after": not_after}
    slot = next_contact_slot(after, part=part, avoid_part=avoid, **common)
    if slot.moment is None and avoid is not None:
        slot = next_contact_slot(after, part=part, **common)
    return slot


def callback_slot(requested: datetime, *, zone: ZoneInfo, policy: ContactPolicy) -> Slot:
    """The customer's requested call-back time, if its local time is within the call-back hours.

    Windows and holidays do not apply (the customer asked); the quiet hours still do.
    """
    requested = _aware(requested, "requested")
    local_time = requested.astimezone(zone).time()
    earliest, latest = policy.callback_earliest, policy.callback_latest
    quiet_start, quiet_end = policy.quiet_start, policy.quiet_end
    if quiet_start > quiet_end:
        quiet = local_time >= quiet_start or local_time < quiet_end
    else:
        quiet = quiet_start <= local_time < quiet_end
    if earliest <= local_time < latest and not quiet:
        return Slot(requested, None)
    return Slot(
        None,
        f"callback_outside_hours: {local_time:%H:%M} local is outside the call-back hours "
        f"{earliest:%H:%M}–{latest:%H:%M}",
    )


@dataclass(frozen=True)
class ContactHistory:
    """A customer's contact history as the caller loads it from the database (aware datetimes)."""

    follow_up_created: tuple[datetime, ...] = ()  # follow-ups of this customer across all campaigns
    attempts: tuple[datetime, ...] = ()  # every attempt, any channel, any campaign (SMS, e-mail, calls, reminders)
    calls: tuple[datetime, ...] = ()
    last_refusal: datetime | None = None


def _rolling_cap(now: datetime, moments: tuple[datetime, ...], cap: int, period: timedelta) -> datetime | None:
    """When a rolling (now - period, now] count of ``moments`` drops below ``cap``; None if it already is.

    Moments after ``now`` count too (clock skew, or a contact being recorded): the safe side.
    """
    if len(moments) < cap:
        return None
    recent = sorted(m for m in moments if m > now - period)
    if len(recent) < cap:
        return None
    # Once the oldest len(recent) - cap + 1 of them have left the window, cap - 1 remain.
    return recent[len(recent) - cap] + period


def fatigue_block(
    now: datetime,
    *,
    history: ContactHistory,
    policy: ContactPolicy,
    new_follow_up: bool,
    channel: str | None = None,
) -> tuple[str, datetime] | None:
    """None if contacting the customer now is within the caps; else (reason code, when it becomes allowed).

    Caps over rolling periods, across every campaign and channel: follow-ups per period (only when a new
    follow-up is being created), contact attempts per period, calls per rolling week (only for calls; with
    no ``channel`` given, assumed to be a call), and the pause after a refusal. When several caps block,
    the one that lasts longest is reported, with the moment all of them have cleared.
    """
    now = _aware(now, "now")
    blocks: list[tuple[datetime, str]] = []
    if new_follow_up:
        until = _rolling_cap(now, history.follow_up_created, policy.follow_ups_per_period, policy.follow_up_period)
        if until is not None:
            blocks.append((until, "follow_up_cap"))
    until = _rolling_cap(now, history.attempts, policy.attempts_per_period, policy.attempt_period)
    if until is not None:
        blocks.append((until, "attempt_cap"))
    if policy.calls_per_week is not None and (channel is None or channel == Channel.PHONE):
        until = _rolling_cap(now, history.calls, policy.calls_per_week, _WEEK)
        if until is not None:
            blocks.append((until, "weekly_call_cap"))
    if policy.pause_after_refusal is not None and history.last_refusal is not None:
        until = history.last_refusal + policy.pause_after_refusal
        if until > now:
            blocks.append((until, "refusal_pause"))
    if not blocks:
        return None
    until, reason = max(blocks)
    return reason, until


_FATIGUE_TEXT = {
    "follow_up_cap": "{p.follow_ups_per_period} follow-up(s) in the last {p.follow_up_period.days} days",
    "attempt_cap": "{p.attempts_per_period} contact attempt(s) in the last {p.attempt_period.days} days",
    "weekly_call_cap": "{p.calls_per_week} call(s) in the last 7 days",
    "refusal_pause": "a refusal less than {p.pause_after_refusal.days} days ago",
}


class CapacityLedger:
    """How many contacts each bucket already holds: calls per UTC hour, messages per UTC minute.

    Pure and in memory: the planner fills it as it goes, seeded with what is already planned. ``existing``
    maps moments (or bucket starts) to counts; each is counted in the bucket it falls in, so pass counts at
    the finest bucket in use. With both limits, a slot needs room in its hour and in its minute.
    """

    def __init__(
        self,
        *,
        per_hour: int | None = None,
        per_minute: int | None = None,
        existing: Mapping[datetime, int] | None = None,
    ) -> None:
        # One level per limit: (limit, bucket size in seconds, counts by bucket number, skip pointers).
        # Buckets are numbered by whole UTC seconds since the epoch // size: integer keys keep this cheap.
        self._levels: list[tuple[int, int, dict[int, int], dict[int, int]]] = []
        for limit, size, name in ((per_hour, 3600, "hour"), (per_minute, 60, "minute")):
            if limit is None:
                continue
            if limit < 1:
                raise ValueError(f"the capacity per {name} must be at least 1")
            self._levels.append((limit, size, {}, {}))
        for moment, count in (existing or {}).items():
            seconds = _epoch_seconds(_aware(moment, "a capacity bucket"))
            for _limit, size, counts, _skip in self._levels:
                counts[seconds // size] = counts.get(seconds // size, 0) + count

    @staticmethod
    def _first_room(level, bucket: int) -> int:
        """The first bucket >= ``bucket`` with room; full runs are skipped through remembered pointers."""
        limit, _size, counts, skip = level
        path = []
        while counts.get(bucket, 0) >= limit:
            path.append(bucket)
            bucket = skip.get(bucket, bucket + 1)
        for full in path:  # buckets only ever fill up, so a pointer past full buckets stays right
            skip[full] = bucket
        return bucket

    def _take(self, moment: datetime) -> datetime:
        """Count ``moment`` and return it if its buckets have room; else return the first moment with room."""
        seconds = _epoch_seconds(moment)
        earliest = seconds
        while True:
            moved = False
            for level in self._levels:
                bucket = earliest // level[1]
                room = self._first_room(level, bucket)
                if room != bucket:
                    earliest, moved = room * level[1], True
            if not moved:
                break
        if earliest != seconds:
            return datetime.fromtimestamp(earliest, UTC)
        for _limit, size, counts, _skip in self._levels:
            counts[seconds // size] = counts.get(seconds // size, 0) + 1
        return moment

    def first_free(self, moment: datetime) -> datetime:
        """``moment`` itself when its buckets have room, else the start of the first bucket that has room."""
        moment = _aware(moment, "moment")
        earliest = seconds = _epoch_seconds(moment)
        moved = True
        while moved:
            moved = False
            for level in self._levels:
                bucket = earliest // level[1]
                room = self._first_room(level, bucket)
                if room != bucket:
                    earliest, moved = room * level[1], True
        return moment if earliest == seconds else datetime.fromtimestamp(earliest, UTC)

    def reserve(self, slot: datetime) -> datetime | None:
        """Count ``slot`` and return it if its buckets have room; else None (and count nothing)."""
        slot = _aware(slot, "slot")
        return slot if self._take(slot) is slot else None

    def count(self, bucket_start: datetime) -> int:
        """Contacts counted in the bucket holding ``bucket_start`` (the finest bucket in use)."""
        if not self._levels:
            return 0
        _limit, size, counts, _skip = self._levels[-1]
        return counts.get(_epoch_seconds(_aware(bucket_start, "bucket_start")) // size, 0)


def _epoch_seconds(moment: datetime) -> int:
    """Whole UTC seconds since the epoch (the bucket a moment falls in ignores its fraction of a second)."""
    return int((moment - _EPOCH) // _SECOND)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


def plan_contact(
    now: datetime,
    *,
    zone: ZoneInfo,
    channel: str,
    policy: ContactPolicy,
    calendar: HolidayCalendar,
    part: str = PartOfDay.ANY,
    history: ContactHistory,
    event_at: datetime | None = None,
    cool_off: timedelta = timedelta(hours=2),
    deadline: timedelta = timedelta(hours=48),
    ledger: CapacityLedger | None = None,
    search_days: int = 60,
) -> Slot:
    """The planning decision for one customer's new follow-up.

    1. Fatigue, as for a new follow-up: a customer over a cap is not planned; the reason names the cap and
       when it clears (re-planning after that is the caller's choice).
    2. Event-triggered: the slot must fall between event + cool_off and event + deadline.
    3. The earliest allowed slot from now (``next_contact_slot``).
    4. Capacity: if the slot's bucket is full, the next allowed slot after the first bucket with room, and
       so on, at most _CAPACITY_HOPS times and within the same deadline or search; else "no_capacity".
    """
    now = _aware(now, "now")
    if history.follow_up_created or history.attempts or history.calls or history.last_refusal:
        block = fatigue_block(now, history=history, policy=policy, new_follow_up=True, channel=channel)
        if block is not None:
            code, until = block
            text = _FATIGUE_TEXT[code].format(p=policy)
            return Slot(None, f"{code}: {text}; allowed again from {until.isoformat()}")
    start, not_after = now, None
    if event_at is not None:
        not_before, not_after = event_window(event_at, cool_off=cool_off, deadline=deadline)
        if now > not_after:
            return Slot(None, f"no_slot_before_deadline: the deadline {not_after.isoformat()} has passed")
        start = max(now, not_before)
    family, preferred = _family(channel), _part(part)
    moment, reason = _next(start, zone, family, policy, calendar, preferred, None, not_after, search_days, channel)
    if ledger is None or moment is None:
        return Slot(moment, reason)
    horizon = moment + timedelta(days=search_days)
    for _hop in range(_CAPACITY_HOPS):
        free = ledger._take(moment)
        if free is moment:
            return Slot(moment, None)
        if free > horizon:
            break
        moment, reason = _next(free, zone, family, policy, calendar, preferred, None, not_after, search_days, channel)
        if moment is None:
            return Slot(None, f"no_capacity: every allowed slot is full ({reason})")
    return Slot(None, f"no_capacity: every allowed slot within the search is full (from {now.isoformat()})")
