"""The holiday calendar: official days off and make-up working days from the holidays package."""

from datetime import date, timedelta

import holidays
import pytest

from surveys.calendars import HolidayCalendar, calendar_for


def days(start, end):
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def test_a_makeup_working_sunday_is_a_working_day():
    china = HolidayCalendar("CN")
    sunday = date(2026, 1, 4)
    assert sunday.weekday() == 6
    assert china.is_makeup_working_day(sunday)
    assert china.is_working_day(sunday)
    assert not china.is_holiday(sunday)
    assert not china.is_makeup_working_day(date(2026, 1, 11))  # an ordinary Sunday
    assert not china.is_working_day(date(2026, 1, 11))


def test_national_day_is_one_seven_day_break_including_its_sunday():
    china = HolidayCalendar("CN")
    for day in days(date(2026, 10, 1), date(2026, 10, 7)):
        assert china.is_holiday(day), day
        assert not china.is_working_day(day), day
    assert china.name(date(2026, 10, 4)) == china.name(date(2026, 10, 3))  # the Sunday is part of the break
    assert not china.is_holiday(date(2026, 10, 8))
    assert china.is_makeup_working_day(date(2026, 10, 10))  # a Saturday at work


def test_the_spring_festival_break_starts_on_the_sunday_before():
    # State Council notice for 2026: "2月15日（星期日）至23日（星期一）放假调休，共9天", 14 and 28 Feb at work.
    china = HolidayCalendar("CN")
    assert [china.is_holiday(d) for d in days(date(2026, 2, 14), date(2026, 2, 24))] == [False] + [True] * 9 + [False]
    assert china.is_makeup_working_day(date(2026, 2, 14))
    assert china.is_makeup_working_day(date(2026, 2, 28))


def test_an_ordinary_weekend_is_not_a_holiday():
    china = HolidayCalendar("CN")
    assert not china.is_holiday(date(2026, 6, 13))
    assert not china.is_working_day(date(2026, 6, 13))
    assert china.name(date(2026, 6, 13)) is None


def test_the_package_knows_the_chinese_schedule_up_to_2026_only():
    china = HolidayCalendar("CN")
    assert china.covers(2025) and china.covers(2026)
    # holidays 0.109 encodes the State Council notices up to the one for 2026 (published November 2025).
    assert not china.covers(2027)
    assert not china.covers(2030)
    assert not china.covers(2101)  # past the package's last supported year
    assert not china.covers(1949)  # before its first


def test_what_the_package_does_for_a_year_it_does_not_cover():
    # For 2030 it estimates the holidays from the lunar rules, with no make-up working days and a
    # three-day National Day; a real notice would make it a seven-day break with swapped working days.
    estimate = holidays.China(years=2030)
    assert date(2030, 10, 1) in estimate
    assert date(2030, 10, 4) not in estimate
    assert not [d for d in estimate.weekend_workdays if d.year == 2030]
    # Past 2100 it knows nothing at all.
    assert not holidays.China(years=2101)


def test_countries_with_fixed_rules_are_covered_for_the_package_years():
    for country in ("US", "HK", "FR"):
        calendar = HolidayCalendar(country)
        assert calendar.covers(2027) and calendar.covers(2030), country
        assert not calendar.covers(2101), country


def test_hong_kong_general_holidays_count_as_holidays():
    hong_kong = HolidayCalendar("HK")
    assert hong_kong.is_holiday(date(2026, 4, 3))  # Good Friday: a general holiday, not a statutory one
    assert hong_kong.is_holiday(date(2026, 10, 1))
    assert not hong_kong.is_holiday(date(2026, 10, 4))  # no breaks joined to weekends outside the mainland


def test_an_observed_us_federal_holiday_is_a_day_off():
    united_states = HolidayCalendar("US")
    assert united_states.is_holiday(date(2026, 7, 3))  # Independence Day falls on a Saturday
    assert not united_states.is_working_day(date(2026, 7, 3))
    assert not united_states.is_holiday(date(2026, 7, 5))
    assert united_states.is_working_day(date(2026, 7, 6))


def test_france_knows_its_public_holidays():
    france = HolidayCalendar("FR")
    assert france.is_holiday(date(2026, 7, 14))
    assert france.name(date(2026, 7, 14))
    assert not france.is_makeup_working_day(date(2026, 7, 18))


def test_a_subdivision_adds_its_own_holidays():
    assert HolidayCalendar("US", "MA").is_holiday(date(2026, 4, 20))  # Patriots' Day
    assert not HolidayCalendar("US").is_holiday(date(2026, 4, 20))


def test_an_unknown_country_or_subdivision_is_refused():
    with pytest.raises(ValueError, match="unknown holiday calendar 'XX'"):
        HolidayCalendar("XX")
    with pytest.raises(ValueError, match="unknown holiday calendar 'US'/'ZZ'"):
        HolidayCalendar("US", "ZZ")


def test_calendars_are_compared_by_country_and_shared_per_process():
    assert HolidayCalendar("CN") == HolidayCalendar("CN")
    assert hash(HolidayCalendar("CN")) == hash(HolidayCalendar("CN"))
    assert HolidayCalendar("CN") != HolidayCalendar("HK")
    assert calendar_for("CN") is calendar_for("CN")


def test_a_break_across_new_year_is_joined_in_both_years():
    china = HolidayCalendar("CN")
    # 2026-01-01 (Thursday) to 2026-01-03 (Saturday); 2025-12-31 is an ordinary Wednesday.
    assert not china.is_holiday(date(2025, 12, 31))
    assert [china.is_holiday(d) for d in days(date(2026, 1, 1), date(2026, 1, 3))] == [True, True, True]
