"""Contact policies: when, how often and how persistently a bank may contact a customer.

A ContactPolicy is plain, frozen data; the rules that read it live in surveys/scheduling.py and the
holiday calendar it names in surveys/calendars.py. Nothing here touches the database, so a campaign
can store a preset key plus overrides and rebuild the same policy anywhere.

The rules a policy carries:

- **Windows** per weekday (0 = Monday … 6 = Sunday), in the customer's local time, one set for calls
  and one for messages (SMS and e-mail). A window is [start, end): the end is exclusive, and a window
  cannot cross midnight. A weekday without windows is a day without contact on that channel.
- **Quiet hours** (default 21:00–08:00) win over every window: nobody is contacted then, whatever
  the windows say.
- **Holidays** from the named country's official calendar: no contact unless ``contact_on_holidays``.
  On an official make-up working day (a Saturday or Sunday that is a working day in mainland China)
  the Monday–Friday windows apply.
- **Fatigue caps** over rolling periods: follow-ups per period across all campaigns, contact attempts
  per period across every channel, calls per rolling week, a pause after a refusal, and the minimum
  gap before a retry.
- **Call-backs** the customer asked for are honoured between ``callback_earliest`` and
  ``callback_latest`` (end exclusive), whatever the windows say, but never in the quiet hours.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from enum import StrEnum
from functools import lru_cache

from django.utils.translation import gettext_lazy as _


class Channel(StrEnum):
    """How a customer is contacted; the same values as accounts.models.Channel."""

    PHONE = "phone"
    SMS = "sms"
    EMAIL = "email"


class PartOfDay(StrEnum):
    """A customer's preferred time of day; the same values as accounts.models.TimeOfDay."""

    ANY = "any"
    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"


WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Window:
    """A stretch of local wall-clock time within one day: [start, end)."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if not isinstance(self.start, time) or not isinstance(self.end, time):
            raise TypeError("a window is made of two datetime.time values")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            # Windows are local wall-clock times; the customer's zone is applied by the scheduler.
            raise ValueError("window times are local wall-clock times and take no time zone")
        if not self.start < self.end:
            raise ValueError("window ends before it starts")

    def __str__(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


PARTS_OF_DAY: dict[PartOfDay, Window] = {
    PartOfDay.MORNING: Window(time(8), time(12)),
    PartOfDay.AFTERNOON: Window(time(12), time(18)),
    PartOfDay.EVENING: Window(time(18), time(21)),
}


class WeekWindows(Mapping[int, tuple[Window, ...]]):
    """Windows per weekday, immutable and hashable (so a policy can be a cache key).

    Every weekday 0–6 is a key; a day without contact maps to an empty tuple. Built from any mapping
    of weekday -> iterable of Window (or (start, end) pairs); windows are kept sorted by start.
    """

    __slots__ = ("_days", "_hash")

    def __init__(self, days: Mapping[int, Iterable[Window | tuple[time, time]]] | None = None) -> None:
        week: list[tuple[Window, ...]] = [()] * 7
        for day, windows in (days or {}).items():
            if not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= 6:
                raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {day!r}")
            as_windows = (w if isinstance(w, Window) else Window(*w) for w in windows)
            week[day] = tuple(sorted(as_windows, key=lambda w: (w.start, w.end)))
        self._days = tuple(week)
        self._hash = hash(self._days)

    def __getitem__(self, day: int) -> tuple[Window, ...]:
        if not isinstance(day, int) or not 0 <= day <= 6:
            raise KeyError(day)
        return self._days[day]

    def __iter__(self) -> Iterator[int]:
        return iter(range(7))

    def __len__(self) -> int:
        return 7

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self):
        # Rebuild rather than restore: hashes of times differ between processes (PYTHONHASHSEED).
        return (WeekWindows, (dict(enumerate(self._days)),))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, WeekWindows):
            return self._days == other._days
        if isinstance(other, Mapping):
            return self == WeekWindows(other)
        return NotImplemented

    def __repr__(self) -> str:
        shown = {WEEKDAY_NAMES[d][:3]: [str(w) for w in ws] for d, ws in enumerate(self._days) if ws}
        return f"WeekWindows({shown})"


def every_day(*windows: Window) -> WeekWindows:
    return WeekWindows(dict.fromkeys(range(7), windows))


def weekdays(*windows: Window) -> dict[int, tuple[Window, ...]]:
    """Monday to Friday."""
    return dict.fromkeys(range(5), windows)


def _minutes(t: time) -> str:
    return f"{t:%H:%M}"


def _quiet_overlap(policy: ContactPolicy, start: time, end: time) -> bool:
    """Whether [start, end) shares any moment with the policy's quiet hours."""
    if policy.quiet_start > policy.quiet_end:  # quiet hours wrap midnight, e.g. 21:00–08:00
        return start < policy.quiet_end or end > policy.quiet_start
    return start < policy.quiet_end and end > policy.quiet_start


def _inside_quiet(policy: ContactPolicy, window: Window) -> bool:
    """Whether the whole window falls in the quiet hours (so it allows nothing)."""
    qs, qe = policy.quiet_start, policy.quiet_end
    if qs > qe:
        return window.start >= qs or window.end <= qe
    return window.start >= qs and window.end <= qe


@dataclass(frozen=True)
class ContactPolicy:
    """The contact rules of a campaign (or of a customer's region). See the module docstring."""

    key: str
    label: str = field(compare=False)
    call_windows: Mapping[int, tuple[Window, ...]]
    message_windows: Mapping[int, tuple[Window, ...]]
    quiet_start: time = time(21)
    quiet_end: time = time(8)
    holiday_country: str = "CN"
    holiday_subdivision: str | None = None
    contact_on_holidays: bool = False
    follow_ups_per_period: int = 1
    follow_up_period: timedelta = timedelta(days=30)
    attempts_per_period: int = 4
    attempt_period: timedelta = timedelta(days=30)
    calls_per_week: int | None = None
    pause_after_refusal: timedelta | None = None
    min_retry_gap: timedelta = timedelta(days=1)
    callback_earliest: time = time(8)
    callback_latest: time = time(21)

    def __post_init__(self) -> None:
        # Normalise plain dicts into hashable WeekWindows: the scheduler caches per policy.
        for name in ("call_windows", "message_windows"):
            value = getattr(self, name)
            if not isinstance(value, WeekWindows):
                object.__setattr__(self, name, WeekWindows(value))
        # The scheduler hashes the policy on every cached lookup; hash the fields once.
        compared = tuple(getattr(self, f.name) for f in dataclasses.fields(self) if f.compare)
        object.__setattr__(self, "_hash", hash(compared))

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self):
        # Rebuild through __init__ so the cached hash is this process's (hashes of times are salted).
        return (self.__class__, tuple(getattr(self, f.name) for f in dataclasses.fields(self)))

    def windows_for(self, channel: str) -> Mapping[int, tuple[Window, ...]]:
        """Calls use the call windows; SMS and e-mail share the message windows."""
        try:
            channel = Channel(channel)
        except ValueError:
            raise ValueError(f"unknown channel {channel!r}") from None
        return self.call_windows if channel == Channel.PHONE else self.message_windows

    def validate(self, channels: Iterable[str] | None = None) -> None:
        """Raise ValueError naming the first problem; return None for a usable policy.

        ``channels`` are the channels the campaign uses; each must allow some contact in a week.
        Without it, at least one of calls or messages must allow some contact.
        """
        if not self.key:
            raise ValueError("a contact policy needs a key")
        if self.quiet_start == self.quiet_end:
            # 21:00–21:00 could mean "never quiet" or "always quiet"; refuse rather than guess.
            raise ValueError("the quiet hours start and end at the same time")
        open_families = set()
        for family, week in (("call", self.call_windows), ("message", self.message_windows)):
            for day in range(7):
                for window in week[day]:
                    if not window.start < window.end:  # unreachable through Window(), kept as the invariant
                        raise ValueError("window ends before it starts")
                    if _inside_quiet(self, window):
                        raise ValueError(
                            f"the {family} window {window} on {WEEKDAY_NAMES[day]} lies entirely within the quiet "
                            f"hours {_minutes(self.quiet_start)}–{_minutes(self.quiet_end)}"
                        )
                    open_families.add(family)
        if channels is None:
            if not open_families:
                raise ValueError("the policy allows no contact at any time")
        else:
            for channel in channels:
                family = "call" if Channel(channel) == Channel.PHONE else "message"
                if family not in open_families:
                    raise ValueError(f"the policy allows no contact at any time by {Channel(channel).value}")
        for name in ("follow_ups_per_period", "attempts_per_period"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.calls_per_week is not None and self.calls_per_week < 1:
            raise ValueError("calls_per_week must be at least 1 (or None for no weekly cap)")
        for name in ("follow_up_period", "attempt_period", "min_retry_gap"):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"{name} must be positive")
        if self.pause_after_refusal is not None and self.pause_after_refusal <= timedelta(0):
            raise ValueError("pause_after_refusal must be positive (or None for no pause)")
        if not self.callback_earliest < self.callback_latest:
            raise ValueError("the call-back hours end before they start")
        if _quiet_overlap(self, self.callback_earliest, self.callback_latest):
            raise ValueError(
                f"the call-back hours {_minutes(self.callback_earliest)}–{_minutes(self.callback_latest)} overlap "
                f"the quiet hours {_minutes(self.quiet_start)}–{_minutes(self.quiet_end)}"
            )
        from surveys.calendars import HolidayCalendar  # local import: calendars has no use for policies

        HolidayCalendar(self.holiday_country, self.holiday_subdivision)  # raises ValueError when unknown


# Presets a bank can pick per campaign and per customer region.

# Mainland China: the defaults of ../shared/DESIGN.md ("Contacting customers at sensible times"), which follow
# the common practice of banks for outbound service calls under the PBoC consumer-protection rules
# (中国人民银行金融消费者权益保护实施办法, PBoC Order [2020] No. 5: no disturbing customers, calls at
# reasonable hours): calls Mon–Fri 09:00–12:00 and 14:00–20:00 (no lunch-break calls), Saturday
# 10:00–17:00, never Sunday; messages 09:00–20:00 any day; nothing 21:00–08:00; the State Council
# holiday schedule including make-up working days.
MAINLAND_CHINA = ContactPolicy(
    key="mainland_china",
    label=_("Mainland China"),
    call_windows={
        **weekdays(Window(time(9), time(12)), Window(time(14), time(20))),
        5: (Window(time(10), time(17)),),
    },
    message_windows=every_day(Window(time(9), time(20))),
    holiday_country="CN",
    follow_ups_per_period=1,
    follow_up_period=timedelta(days=30),
    attempts_per_period=4,
    attempt_period=timedelta(days=30),
)

# Hong Kong: the PCPD "Guidance on Direct Marketing" and the practice under the Unsolicited Electronic
# Messages Ordinance (Cap. 593) code of practice: contact 09:00–22:00 local; calls Monday to Saturday,
# messages any day; no contact on general holidays (Cap. 149); at most 3 calls a rolling week.
HONG_KONG = ContactPolicy(
    key="hong_kong",
    label=_("Hong Kong"),
    call_windows=dict.fromkeys(range(6), (Window(time(9), time(22)),)),
    message_windows=every_day(Window(time(9), time(22))),
    quiet_start=time(22),
    quiet_end=time(9),
    holiday_country="HK",
    calls_per_week=3,
    callback_earliest=time(9),
    callback_latest=time(22),
)

# United States: TCPA rules, 47 CFR 64.1200(c)(1): no telephone solicitation before 8 a.m. or after 9 p.m.
# at the called party's location; the same hours for messages; no contact on federal holidays (bank practice).
UNITED_STATES = ContactPolicy(
    key="united_states",
    label=_("United States"),
    call_windows=every_day(Window(time(8), time(21))),
    message_windows=every_day(Window(time(8), time(21))),
    holiday_country="US",
)

# France: Décret n° 2022-1313 du 13 octobre 2022 (démarchage téléphonique, Code de la consommation
# art. L223-1): calls Monday to Friday 10:00–13:00 and 14:00–20:00, never on weekends or public holidays,
# at most 4 calls in 30 days, and 60 days without a call after the consumer refused. Messages follow
# the same windows.
FRANCE = ContactPolicy(
    key="france",
    label=_("France"),
    call_windows=weekdays(Window(time(10), time(13)), Window(time(14), time(20))),
    message_windows=weekdays(Window(time(10), time(13)), Window(time(14), time(20))),
    holiday_country="FR",
    contact_on_holidays=False,
    attempts_per_period=4,
    attempt_period=timedelta(days=30),
    pause_after_refusal=timedelta(days=60),
)

PRESETS: dict[str, ContactPolicy] = {p.key: p for p in (MAINLAND_CHINA, HONG_KONG, UNITED_STATES, FRANCE)}


def get_policy(key: str) -> ContactPolicy:
    try:
        return PRESETS[key]
    except KeyError:
        raise ValueError(f"unknown contact policy {key!r}") from None


@lru_cache(maxsize=64)
def campaign_preset(key: str, *, contact_on_holidays: bool) -> ContactPolicy:
    """The preset ``key`` with a campaign's choice about contact on public holidays (ValueError when unknown).

    The one way a campaign's policies are built: forms, launch, planning, the dispatcher and the heat map.
    """
    return dataclasses.replace(get_policy(key), contact_on_holidays=contact_on_holidays)


def with_overrides(policy: ContactPolicy, **changes) -> ContactPolicy:
    """A copy of ``policy`` with ``changes`` applied, validated (ValueError names the problem)."""
    try:
        changed = dataclasses.replace(policy, **changes)
    except TypeError as exc:  # an unknown field name
        raise ValueError(str(exc)) from None
    changed.validate()
    return changed
