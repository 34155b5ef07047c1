"""Public holidays and official make-up working days, as the contact rules need them.

A thin, fast wrapper over the ``holidays`` package (never a hand-typed list of dates):

- **Holidays** are the package's holidays of the country (and subdivision). For Hong Kong the general
  holidays of the General Holidays Ordinance (Cap. 149; the package's "optional" category) are added
  to the statutory ones, because banks and offices close on them.
- **Official breaks** (mainland China): the State Council announces each holiday as one continuous
  break, e.g. "10月1日至7日放假调休，共7天". The package lists the holidays and the substituted days
  off but not the ordinary Saturday or Sunday inside the break (2026-10-04), so a weekend day joined
  to a holiday through other weekend or holiday days counts as a day of the break. This applies to the
  countries the package marks ``has_substituted_holidays`` (they publish breaks this way).
- **Make-up working days** (调休上班): a Saturday or Sunday that is officially a working day, from
  the package's ``weekend_workdays`` (2026-01-04, a Sunday, is one).
- **Coverage**: ``covers(year)`` is False when the package cannot know that year's official schedule:
  outside the package's supported years (CN: 1950–2100; the package returns no holidays at all
  outside them), or, for countries that publish their schedule yearly (``has_substituted_holidays``:
  CN), after the last year whose official notice the package encodes (its ``special_public_holidays``
  table). For later years holidays 0.109 still *estimates* CN holidays from the lunar rules with a
  generic "weekend → next working day" observance, and lists no make-up working days at all — for 2030
  it gives National Day as 1–3 October, where a real notice gives a seven-day break with swapped
  working days. So in holidays 0.109 ``covers(2026)`` is True and ``covers(2027)`` is False for CN
  (the 2027 notice is published in November 2026; upgrading the package brings it in).

Each year is computed once per (country, subdivision) and kept as sets of dates, so the questions asked
millions of times while planning a campaign are dictionary look-ups.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache

import holidays

# Extra holiday categories per country (see the module docstring): Hong Kong's general holidays.
_EXTRA_CATEGORIES = {"HK": ("optional",)}

_WEEKEND = (5, 6)  # Saturday and Sunday; the contact rules speak of Monday–Friday working days


@dataclass(frozen=True)
class _Year:
    holidays: dict[date, str]
    makeup: frozenset[date]
    covered: bool


def _categories(country: str) -> tuple[str, ...]:
    return ("public", *_EXTRA_CATEGORIES.get(country, ()))


@cache
def _entity(country: str, subdivision: str | None) -> holidays.HolidayBase:
    """The package's calendar object with no years loaded: for facts about the country itself."""
    try:
        return holidays.country_holidays(
            country, subdiv=subdivision, years=(), categories=_categories(country), expand=False
        )
    except NotImplementedError as exc:
        raise ValueError(f"unknown holiday calendar {country!r}{f'/{subdivision!r}' if subdivision else ''}") from exc


@cache
def _last_published_year(country: str, subdivision: str | None) -> int | None:
    """The last year whose official schedule the package encodes, for countries that publish yearly."""
    entity = _entity(country, subdivision)
    if not getattr(entity, "has_substituted_holidays", False):
        return None
    years = [year for name in ("special_holidays", "special_public_holidays") for year in getattr(entity, name, {})]
    return max(years, default=entity.start_year - 1)


@lru_cache(maxsize=1024)
def _raw_year(country: str, subdivision: str | None, year: int) -> tuple[dict[date, str], frozenset[date]]:
    """The package's holidays and make-up working days of one year, and nothing of other years."""
    calendar = holidays.country_holidays(
        country, subdiv=subdivision, years=year, categories=_categories(country), expand=False
    )
    names = {day: name for day, name in calendar.items() if day.year == year}
    # weekend_workdays may hold dates of other years (the package keeps some from its tables): filter.
    makeup = frozenset(day for day in calendar.weekend_workdays if day.year == year and day.weekday() in _WEEKEND)
    return names, makeup


def _covers(country: str, subdivision: str | None, year: int) -> bool:
    entity = _entity(country, subdivision)
    if not entity.start_year <= year <= entity.end_year:
        return False
    last = _last_published_year(country, subdivision)
    return last is None or year <= last


@lru_cache(maxsize=1024)
def _year(country: str, subdivision: str | None, year: int) -> _Year:
    names, makeup = _raw_year(country, subdivision, year)
    names = dict(names)
    if getattr(_entity(country, subdivision), "has_substituted_holidays", False):
        # Join the weekend days of an official break to it (see the module docstring). Neighbouring
        # years are read too: a break can span New Year.
        around: dict[date, str] = {}
        all_makeup: set[date] = set()
        for y in (year - 1, year, year + 1):
            if 1 <= y <= 9998:
                more_names, more_makeup = _raw_year(country, subdivision, y)
                around.update(more_names)
                all_makeup |= more_makeup
        for holiday, name in sorted(around.items()):
            for step in (timedelta(days=1), timedelta(days=-1)):
                day = holiday + step
                while day.weekday() in _WEEKEND and day not in around and day not in all_makeup:
                    if day.year == year:
                        names.setdefault(day, name)
                    day += step
    return _Year(holidays=names, makeup=makeup, covered=_covers(country, subdivision, year))


class HolidayCalendar:
    """One country's (and subdivision's) official days off and make-up working days."""

    __slots__ = ("country", "subdivision", "_years")

    def __init__(self, country: str = "CN", subdivision: str | None = None) -> None:
        _entity(country, subdivision)  # fail now, with a clear message, on an unknown country
        self.country = country
        self.subdivision = subdivision
        self._years: dict[int, _Year] = {}

    def _year(self, year: int) -> _Year:
        try:
            return self._years[year]
        except KeyError:
            loaded = self._years[year] = _year(self.country, self.subdivision, year)
            return loaded

    def is_holiday(self, day: date) -> bool:
        """An official day off: a public holiday, a substituted day off, or a weekend day inside a break."""
        return day in self._year(day.year).holidays

    def is_makeup_working_day(self, day: date) -> bool:
        """A Saturday or Sunday that is officially a working day (mainland China's 调休上班)."""
        return day in self._year(day.year).makeup

    def is_working_day(self, day: date) -> bool:
        """Monday–Friday and not a holiday, or an official make-up working day."""
        year = self._year(day.year)
        if day in year.makeup:
            return True
        return day.weekday() not in _WEEKEND and day not in year.holidays

    def covers(self, year: int) -> bool:
        """Whether the package knows ``year``'s official schedule (see the module docstring)."""
        return self._year(year).covered

    def name(self, day: date) -> str | None:
        """The holiday's name (in the package's default language), or None on an ordinary day."""
        if isinstance(day, datetime):
            day = day.date()
        return self._year(day.year).holidays.get(day)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HolidayCalendar):
            return NotImplemented
        return (self.country, self.subdivision) == (other.country, other.subdivision)

    def __hash__(self) -> int:
        return hash((HolidayCalendar, self.country, self.subdivision))

    def __repr__(self) -> str:
        return f"HolidayCalendar({self.country!r}, {self.subdivision!r})"


@cache
def calendar_for(country: str = "CN", subdivision: str | None = None) -> HolidayCalendar:
    """A shared calendar per country, so its per-year cache is built once per process."""
    return HolidayCalendar(country, subdivision)
