"""Customer calendars built from the real `holidays` package."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from escalation.adapters.calendars import country_days, customer_calendar, default_years
from escalation.domain.policy import CalendarPolicy, Window

POLICY = CalendarPolicy()
YEARS = range(2025, 2028)


def test_us_thanksgiving_is_not_a_business_day() -> None:
    calendar = customer_calendar(POLICY, "America/New_York", "US", YEARS)
    assert not calendar.is_business_day(date(2026, 11, 26))
    assert calendar.is_business_day(date(2026, 11, 27))
    wednesday = datetime(2026, 11, 25, 16, tzinfo=ZoneInfo("America/New_York"))
    assert calendar.end_of_business_day(wednesday.replace(hour=18)) == datetime(
        2026, 11, 27, 17, tzinfo=ZoneInfo("America/New_York")
    )
    assert calendar.add_business_hours(wednesday, 2) == datetime(
        2026, 11, 27, 10, tzinfo=ZoneInfo("America/New_York")
    )


def test_china_national_day_and_its_make_up_workdays() -> None:
    calendar = customer_calendar(POLICY, "Asia/Shanghai", "CN", YEARS)
    golden_week = [date(2026, 10, day) for day in range(1, 8)]
    assert not any(calendar.is_business_day(day) for day in golden_week)
    # The State Council moved two weekend days to make up for it: Sunday 20 September and
    # Saturday 10 October 2026 are worked.
    assert date(2026, 9, 20).weekday() == 6 and date(2026, 10, 10).weekday() == 5
    assert calendar.is_business_day(date(2026, 9, 20))
    assert calendar.is_business_day(date(2026, 10, 10))
    assert {date(2026, 9, 20), date(2026, 10, 10)} <= calendar.extra_workdays
    assert not calendar.is_business_day(date(2026, 10, 11))  # an ordinary Sunday
    shanghai = ZoneInfo("Asia/Shanghai")
    before = datetime(2026, 9, 30, 16, tzinfo=shanghai)
    assert calendar.add_business_hours(before, 2) == datetime(2026, 10, 8, 10, tzinfo=shanghai)
    assert calendar.advance(before, Window.parse("1bd")) == datetime(
        2026, 10, 8, 16, tzinfo=shanghai
    )
    assert calendar.end_of_business_week(datetime(2026, 10, 8, 9, tzinfo=shanghai)) == (
        datetime(2026, 10, 10, 17, tzinfo=shanghai)
    )


def test_china_make_up_days_stay_inside_the_requested_years() -> None:
    # The package carries cross-year moves (e.g. 2001-12-29) in every year's table.
    _, make_up = country_days("CN", range(2026, 2027))
    assert make_up
    assert all(day.year == 2026 and day.weekday() >= 5 for day in make_up)


def test_germany_national_holidays() -> None:
    calendar = customer_calendar(POLICY, "Europe/Berlin", "DE", YEARS)
    for holiday in (date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 1), date(2026, 12, 25)):
        assert not calendar.is_business_day(holiday), holiday
    assert calendar.is_business_day(date(2026, 4, 7))
    assert not calendar.extra_workdays
    berlin = ZoneInfo("Europe/Berlin")
    # Thursday before Easter: Good Friday and Easter Monday are off.
    thursday = datetime(2026, 4, 2, 16, tzinfo=berlin)
    assert calendar.add_business_days(thursday, 1) == datetime(2026, 4, 7, 16, tzinfo=berlin)


def test_defaults_come_from_the_policy() -> None:
    policy = CalendarPolicy(start=time(8), end=time(18), default_timezone="Europe/Berlin",
                            default_country="DE")
    calendar = customer_calendar(policy, None, None, YEARS)
    assert calendar.timezone == "Europe/Berlin"
    assert (calendar.start, calendar.end) == (time(8), time(18))
    assert not calendar.is_business_day(date(2026, 5, 1))  # Labour Day, a Friday
    assert date(2026, 10, 3) in calendar.holidays  # German Unity Day falls on a Saturday


def test_no_country_means_no_holidays() -> None:
    calendar = customer_calendar(POLICY, "UTC", None, YEARS)
    assert calendar.holidays == frozenset()
    assert calendar.is_business_day(date(2026, 11, 26))


def test_calendars_are_cached_and_country_codes_are_case_insensitive() -> None:
    first = customer_calendar(POLICY, "America/Chicago", "us", YEARS)
    assert customer_calendar(POLICY, "America/Chicago", "US", YEARS) is first
    assert date(2026, 11, 26) in first.holidays


def test_default_years_surround_today() -> None:
    assert default_years(date(2026, 11, 26)) == range(2021, 2032)
    calendar = customer_calendar(POLICY, "UTC", "US")
    this_year = date.today().year
    assert any(day.year == this_year for day in calendar.holidays)
    assert all(abs(day.year - this_year) <= 5 for day in calendar.holidays)


def test_unknown_country_is_named() -> None:
    with pytest.raises(ValueError, match=r'country: expected an ISO 3166.*got "XX"'):
        customer_calendar(POLICY, "UTC", "XX", YEARS)


def test_unknown_timezone_is_named() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus_Mons"):
        customer_calendar(POLICY, "Mars/Olympus_Mons", "US", YEARS)


def test_empty_years_are_rejected() -> None:
    with pytest.raises(ValueError, match="years"):
        customer_calendar(POLICY, "UTC", "DE", range(2026, 2026))
