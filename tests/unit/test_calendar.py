"""Business calendar: hours, days, holidays, make-up workdays, DST, policy windows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalation.domain.calendar import BusinessCalendar, calendar_from_policy
from escalation.domain.policy import CalendarPolicy, Window

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")

NY = BusinessCalendar(timezone="America/New_York")
DE = BusinessCalendar(timezone="Europe/Berlin")


def ny(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


def berlin(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=BERLIN)


def same_instant(got: datetime, expected: datetime) -> None:
    """Equal as instants and shown with the same UTC offset (the calendar's zone)."""
    assert got == expected
    assert got.utcoffset() == expected.utcoffset()


# -- business days ---------------------------------------------------------------------------


def test_weekdays_are_business_days_and_weekends_are_not() -> None:
    week = [date(2026, 3, 2) + timedelta(days=i) for i in range(7)]  # Monday..Sunday
    assert [NY.is_business_day(d) for d in week] == [True] * 5 + [False] * 2


def test_holiday_is_not_a_business_day_and_make_up_workday_is() -> None:
    calendar = BusinessCalendar(
        holidays=frozenset({date(2026, 12, 25)}), extra_workdays=frozenset({date(2026, 12, 26)})
    )
    assert not calendar.is_business_day(date(2026, 12, 25))  # a Friday
    assert calendar.is_business_day(date(2026, 12, 26))  # a Saturday
    assert not calendar.is_business_day(date(2026, 12, 27))


def test_holiday_wins_over_make_up_workday() -> None:
    day = date(2026, 12, 26)
    calendar = BusinessCalendar(holidays=frozenset({day}), extra_workdays=frozenset({day}))
    assert not calendar.is_business_day(day)


def test_custom_workdays() -> None:
    sunday_to_thursday = BusinessCalendar(workdays=(6, 0, 1, 2, 3))
    assert sunday_to_thursday.is_business_day(date(2026, 3, 8))  # Sunday
    assert not sunday_to_thursday.is_business_day(date(2026, 3, 6))  # Friday


# -- business hours --------------------------------------------------------------------------


def test_hours_inside_one_day() -> None:
    same_instant(NY.add_business_hours(ny(2026, 3, 3, 10), 3), ny(2026, 3, 3, 13))
    assert NY.business_hours_between(ny(2026, 3, 3, 10), ny(2026, 3, 3, 13)) == 3.0


def test_hours_carry_over_the_weekend() -> None:
    friday = ny(2026, 2, 27, 15)
    same_instant(NY.add_business_hours(friday, 4), ny(2026, 3, 2, 11))
    assert NY.business_hours_between(friday, ny(2026, 3, 2, 11)) == 4.0


def test_before_opening_counts_from_the_opening() -> None:
    same_instant(NY.add_business_hours(ny(2026, 3, 3, 7, 30), 1), ny(2026, 3, 3, 10))
    assert NY.business_hours_between(ny(2026, 3, 3, 0), ny(2026, 3, 3, 10)) == 1.0


def test_after_close_counts_from_the_next_opening() -> None:
    same_instant(NY.add_business_hours(ny(2026, 3, 3, 18), 1), ny(2026, 3, 4, 10))
    assert NY.business_hours_between(ny(2026, 3, 3, 17, 30), ny(2026, 3, 4, 8)) == 0.0


def test_landing_on_the_close_stays_at_the_close() -> None:
    same_instant(NY.add_business_hours(ny(2026, 3, 3, 13), 4), ny(2026, 3, 3, 17))
    same_instant(NY.add_business_hours(ny(2026, 3, 4, 13), -4), ny(2026, 3, 4, 9))


def test_hours_skip_holidays() -> None:
    calendar = BusinessCalendar("America/New_York", holidays=frozenset({date(2026, 11, 26)}))
    wednesday = ny(2026, 11, 25, 16)
    same_instant(calendar.add_business_hours(wednesday, 2), ny(2026, 11, 27, 10))
    assert calendar.business_hours_between(wednesday, ny(2026, 11, 27, 10)) == 2.0


def test_hours_use_a_make_up_saturday() -> None:
    calendar = BusinessCalendar("Asia/Shanghai", extra_workdays=frozenset({date(2026, 10, 10)}))
    friday = datetime(2026, 10, 9, 16, tzinfo=SHANGHAI)
    expected = datetime(2026, 10, 10, 10, tzinfo=SHANGHAI)
    same_instant(calendar.add_business_hours(friday, 2), expected)
    assert calendar.business_hours_between(friday, datetime(2026, 10, 12, 9, tzinfo=SHANGHAI)) == 9


def test_negative_hours_go_back() -> None:
    monday = ny(2026, 3, 2, 10)
    same_instant(NY.add_business_hours(monday, -2), ny(2026, 2, 27, 16))
    assert NY.business_hours_between(monday, ny(2026, 2, 27, 16)) == -2.0


def test_zero_is_the_identity_even_outside_hours() -> None:
    saturday = ny(2026, 3, 7, 12)
    same_instant(NY.add_business_hours(saturday, 0), saturday)
    assert NY.business_hours_between(saturday, saturday) == 0.0
    assert NY.business_hours_between(ny(2026, 3, 7, 1), ny(2026, 3, 8, 23)) == 0.0
    same_instant(NY.add_business_days(saturday, 0), saturday)


def test_long_spans_count_every_business_day() -> None:
    start = ny(2026, 1, 5, 9)  # Monday
    holidays = frozenset({date(2026, 1, 19), date(2026, 5, 25), date(2026, 12, 25)})
    calendar = BusinessCalendar("America/New_York", holidays=holidays)
    # 2026-01-05 .. 2027-01-04 is 52 weeks: 260 weekdays, three of them holidays.
    end = ny(2027, 1, 4, 9)
    assert calendar.business_hours_between(start, end) == 257 * 8
    same_instant(calendar.add_business_hours(start, 257 * 8), ny(2027, 1, 1, 17))  # a Friday
    same_instant(calendar.add_business_hours(end, -257 * 8), start)


def test_results_are_in_the_calendar_zone() -> None:
    got = NY.add_business_hours(datetime(2026, 3, 3, 15, tzinfo=UTC), 1)
    assert got.tzinfo == NEW_YORK
    same_instant(got, ny(2026, 3, 3, 11))


# -- DST -------------------------------------------------------------------------------------


def test_new_york_spring_forward_weekend() -> None:
    friday = ny(2026, 3, 6, 16)  # EST; clocks go forward on Sunday 8 March
    monday = NY.add_business_hours(friday, 2)
    same_instant(monday, ny(2026, 3, 9, 10))
    assert monday.utcoffset() == timedelta(hours=-4)
    assert NY.business_hours_between(friday, monday) == 2.0
    same_instant(NY.add_business_days(friday, 1), ny(2026, 3, 9, 16))


def test_new_york_fall_back_weekend() -> None:
    friday = ny(2026, 10, 30, 16)  # EDT; clocks go back on Sunday 1 November
    monday = NY.add_business_hours(friday, 2)
    same_instant(monday, ny(2026, 11, 2, 10))
    assert monday.utcoffset() == timedelta(hours=-5)
    assert NY.business_hours_between(friday, monday) == 2.0


def test_berlin_spring_forward_and_fall_back() -> None:
    same_instant(DE.add_business_hours(berlin(2026, 3, 27, 16), 2), berlin(2026, 3, 30, 10))
    assert DE.business_hours_between(berlin(2026, 3, 27, 16), berlin(2026, 3, 30, 10)) == 2.0
    same_instant(DE.add_business_hours(berlin(2026, 10, 23, 16), 2), berlin(2026, 10, 26, 10))
    assert berlin(2026, 10, 26, 10).utcoffset() == timedelta(hours=1)


def test_dst_change_inside_opening_hours_counts_real_time() -> None:
    # Open every day 01:00-04:00: New York skips 02:00-03:00 on 8 March and repeats 01:00-02:00
    # on 1 November, so those windows hold 2 and 4 real hours.
    night = BusinessCalendar("America/New_York", time(1), time(4), tuple(range(7)))
    assert night.business_hours_between(ny(2026, 3, 8, 0), ny(2026, 3, 8, 5)) == 2.0
    assert night.business_hours_between(ny(2026, 11, 1, 0), ny(2026, 11, 1, 5)) == 4.0
    same_instant(night.add_business_hours(ny(2026, 3, 8, 1), 2), ny(2026, 3, 8, 4))
    year = night.business_hours_between(ny(2026, 1, 1, 0), ny(2027, 1, 1, 0))
    assert year == 365 * 3  # the lost hour comes back in the autumn
    spring = night.business_hours_between(ny(2026, 1, 1, 0), ny(2026, 6, 1, 0))
    assert spring == 151 * 3 - 1


def test_berlin_dst_change_inside_opening_hours() -> None:
    night = BusinessCalendar("Europe/Berlin", time(1), time(4), tuple(range(7)))
    assert night.business_hours_between(berlin(2026, 3, 29, 0), berlin(2026, 3, 29, 5)) == 2.0
    assert night.business_hours_between(berlin(2026, 10, 25, 0), berlin(2026, 10, 25, 5)) == 4.0


def test_wall_clock_hours_and_days_across_spring_forward() -> None:
    saturday = ny(2026, 3, 7, 12)
    same_instant(NY.advance(saturday, Window.parse("24h")), ny(2026, 3, 8, 13))
    next_day = NY.advance(saturday, Window.parse("1d"))
    same_instant(next_day, ny(2026, 3, 8, 12))
    # Aware datetimes sharing a tzinfo subtract as wall times; compare real instants.
    assert next_day.astimezone(UTC) - saturday.astimezone(UTC) == timedelta(hours=23)


# -- business days, end of day, end of week ---------------------------------------------------


def test_one_business_day_keeps_the_time_of_day() -> None:
    same_instant(NY.add_business_days(ny(2026, 3, 13, 15), 1), ny(2026, 3, 16, 15))
    same_instant(NY.add_business_days(ny(2026, 3, 10, 11), 2), ny(2026, 3, 12, 11))


def test_business_days_skip_holidays() -> None:
    calendar = BusinessCalendar("America/New_York", holidays=frozenset({date(2026, 3, 16)}))
    same_instant(calendar.add_business_days(ny(2026, 3, 13, 15), 1), ny(2026, 3, 17, 15))


def test_business_days_outside_hours_count_from_the_last_close() -> None:
    same_instant(NY.add_business_days(ny(2026, 3, 14, 10), 1), ny(2026, 3, 16, 17))  # Saturday
    same_instant(NY.add_business_days(ny(2026, 3, 16, 8), 1), ny(2026, 3, 16, 17))  # early
    same_instant(NY.add_business_days(ny(2026, 3, 16, 20), 1), ny(2026, 3, 17, 17))  # late


def test_fractional_and_negative_business_days() -> None:
    same_instant(NY.add_business_days(ny(2026, 3, 13, 15), 0.5), ny(2026, 3, 16, 11))
    same_instant(NY.add_business_days(ny(2026, 3, 13, 15), 1.5), ny(2026, 3, 17, 11))
    same_instant(NY.add_business_days(ny(2026, 3, 16, 15), -1), ny(2026, 3, 13, 15))
    same_instant(NY.add_business_days(ny(2026, 3, 14, 10), -1), ny(2026, 3, 13, 9))


def test_many_business_days() -> None:
    # 260 weekdays is 52 weeks exactly.
    same_instant(NY.add_business_days(ny(2026, 1, 6, 10), 260), ny(2027, 1, 5, 10))
    same_instant(NY.add_business_days(ny(2027, 1, 5, 10), -260), ny(2026, 1, 6, 10))


def test_end_of_business_day() -> None:
    same_instant(NY.end_of_business_day(ny(2026, 3, 3, 10)), ny(2026, 3, 3, 17))
    same_instant(NY.end_of_business_day(ny(2026, 3, 3, 6)), ny(2026, 3, 3, 17))
    same_instant(NY.end_of_business_day(ny(2026, 3, 3, 17)), ny(2026, 3, 4, 17))
    same_instant(NY.end_of_business_day(ny(2026, 3, 6, 18)), ny(2026, 3, 9, 17))
    same_instant(NY.end_of_business_day(ny(2026, 3, 7, 12)), ny(2026, 3, 9, 17))


def test_end_of_business_day_skips_a_holiday() -> None:
    calendar = BusinessCalendar("America/New_York", holidays=frozenset({date(2026, 11, 26)}))
    same_instant(calendar.end_of_business_day(ny(2026, 11, 25, 18)), ny(2026, 11, 27, 17))


def test_end_of_business_week() -> None:
    same_instant(NY.end_of_business_week(ny(2026, 3, 4, 10)), ny(2026, 3, 6, 17))
    same_instant(NY.end_of_business_week(ny(2026, 3, 6, 16)), ny(2026, 3, 6, 17))
    same_instant(NY.end_of_business_week(ny(2026, 3, 6, 18)), ny(2026, 3, 13, 17))
    same_instant(NY.end_of_business_week(ny(2026, 3, 7, 12)), ny(2026, 3, 13, 17))


def test_end_of_business_week_with_holiday_friday_and_make_up_saturday() -> None:
    good_friday = BusinessCalendar("Europe/Berlin", holidays=frozenset({date(2026, 4, 3)}))
    same_instant(good_friday.end_of_business_week(berlin(2026, 3, 31, 10)), berlin(2026, 4, 2, 17))
    make_up = BusinessCalendar("Asia/Shanghai", extra_workdays=frozenset({date(2026, 10, 10)}))
    expected = datetime(2026, 10, 10, 17, tzinfo=SHANGHAI)
    same_instant(make_up.end_of_business_week(datetime(2026, 10, 8, 10, tzinfo=SHANGHAI)), expected)


def test_advance_applies_each_window_unit() -> None:
    friday = ny(2026, 3, 13, 15)
    cases = {
        "2h": ny(2026, 3, 13, 17),
        "4bh": ny(2026, 3, 16, 11),
        "1d": ny(2026, 3, 14, 15),
        "1bd": ny(2026, 3, 16, 15),
        "eod": ny(2026, 3, 13, 17),
        "eow": ny(2026, 3, 13, 17),
    }
    for text, expected in cases.items():
        same_instant(NY.advance(friday, Window.parse(text)), expected)


# -- contract --------------------------------------------------------------------------------


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2026, 3, 3, 10)
    aware = ny(2026, 3, 3, 10)
    calls: list[Callable[[], object]] = [
        lambda: NY.add_business_hours(naive, 1),
        lambda: NY.business_hours_between(naive, aware),
        lambda: NY.business_hours_between(aware, naive),
        lambda: NY.add_business_days(naive, 1),
        lambda: NY.end_of_business_day(naive),
        lambda: NY.end_of_business_week(naive),
        lambda: NY.advance(naive, Window.parse("2h")),
        lambda: NY.advance(naive, Window.parse("1d")),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="timezone-aware"):
            call()


def test_bad_calendars_are_rejected() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus_Mons"):
        BusinessCalendar(timezone="Mars/Olympus_Mons")
    with pytest.raises(ValueError, match="closing time"):
        BusinessCalendar(start=time(17), end=time(9))
    with pytest.raises(ValueError, match="workdays"):
        BusinessCalendar(workdays=())
    with pytest.raises(ValueError, match="workdays"):
        BusinessCalendar(workdays=(7,))
    with pytest.raises(ValueError, match="finite"):
        NY.add_business_hours(ny(2026, 3, 3, 10), float("nan"))


def test_calendar_from_policy() -> None:
    policy = CalendarPolicy(start=time(8), end=time(16), workdays=(0, 1, 2, 3),
                            default_timezone="Europe/Berlin")
    holidays = frozenset({date(2026, 12, 24)})
    calendar = calendar_from_policy(policy, None, holidays)
    assert calendar == BusinessCalendar("Europe/Berlin", time(8), time(16), (0, 1, 2, 3),
                                        holidays)
    assert calendar_from_policy(policy, "Asia/Tokyo").timezone == "Asia/Tokyo"
    assert not calendar.is_business_day(date(2026, 3, 6))  # Friday is off in this policy
    assert hash(calendar) == hash(calendar_from_policy(policy, None, holidays))


# -- properties ------------------------------------------------------------------------------

ZONES = ("America/New_York", "Europe/Berlin", "Asia/Shanghai", "Australia/Lord_Howe", "UTC")
WORKDAY_SETS = ((0, 1, 2, 3, 4), (6, 0, 1, 2, 3), tuple(range(7)))


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    start = draw(st.integers(0, 22 * 60))
    end = draw(st.integers(start + 30, 23 * 60 + 59))
    days = st.dates(date(2025, 1, 1), date(2028, 12, 31))
    return BusinessCalendar(
        timezone=draw(st.sampled_from(ZONES)),
        start=time(start // 60, start % 60),
        end=time(end // 60, end % 60),
        workdays=draw(st.sampled_from(WORKDAY_SETS)),
        holidays=draw(st.frozensets(days, max_size=40)),
        extra_workdays=draw(st.frozensets(days, max_size=10)),
    )


moments = st.datetimes(
    datetime(2025, 6, 1), datetime(2028, 6, 1), timezones=st.just(UTC)
)


def reference_hours(calendar: BusinessCalendar, a: datetime, b: datetime) -> float:
    """Business hours from a to b (a <= b), visiting every day: slow but obviously right."""
    zone = ZoneInfo(calendar.timezone)
    day = a.astimezone(zone).date() - timedelta(days=1)
    total = timedelta(0)
    while day <= b.astimezone(zone).date() + timedelta(days=1):
        if calendar.is_business_day(day):
            opens = datetime.combine(day, calendar.start, tzinfo=zone).astimezone(UTC)
            closes = datetime.combine(day, calendar.end, tzinfo=zone).astimezone(UTC)
            total += max(min(b, closes) - max(a, opens), timedelta(0))
        day += timedelta(days=1)
    return total.total_seconds() / 3600


@settings(max_examples=300, deadline=None)
@given(calendars(), moments, st.floats(-2000, 2000, allow_nan=False))
def test_adding_hours_then_measuring_them_round_trips(
    calendar: BusinessCalendar, at: datetime, hours: float
) -> None:
    later = calendar.add_business_hours(at, hours)
    assert (later >= at) if hours >= 0 else (later <= at)
    assert calendar.business_hours_between(at, later) == pytest.approx(hours, abs=1e-6)


@settings(max_examples=200, deadline=None)
@given(calendars(), moments, moments)
def test_hours_between_matches_a_day_by_day_count(
    calendar: BusinessCalendar, a: datetime, b: datetime
) -> None:
    low, high = sorted((a, b))
    expected = reference_hours(calendar, low, high)
    assert calendar.business_hours_between(low, high) == pytest.approx(expected, abs=1e-9)
    assert calendar.business_hours_between(high, low) == pytest.approx(-expected, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(calendars(), moments, st.integers(-300, 300))
def test_whole_business_days_land_on_business_days(
    calendar: BusinessCalendar, at: datetime, days: int
) -> None:
    moved = calendar.add_business_days(at, days)
    if days == 0:
        assert moved == at
        return
    assert calendar.is_business_day(moved.date())
    day_hours = (
        datetime.combine(date.min, calendar.end) - datetime.combine(date.min, calendar.start)
    ).total_seconds() / 3600
    measured = calendar.business_hours_between(at, moved)
    # Slack of a day (a clamped time of day) and two hours (windows a DST change shortened
    # or lengthened on the way).
    assert abs(measured - days * day_hours) <= day_hours + 2 + 1e-6
