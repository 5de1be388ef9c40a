"""Follow-up cadence: the seed's table, contractual update hours, states, urgency, business time."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from escalation.domain.cadence import (
    FollowupState,
    FollowupStatus,
    by_urgency,
    horizon,
    plan,
    plan_customer,
    plan_internal,
    state_of,
    status_of,
)
from escalation.domain.calendar import BusinessCalendar
from escalation.domain.model import (
    Customer,
    Escalation,
    FollowupClock,
    FollowupKind,
    Severity,
    Status,
    Target,
)
from escalation.domain.policy import Followups, Policy

NEW_YORK = ZoneInfo("America/New_York")
SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = Policy()

# US holidays a New York customer observes (only the ones the tests cross).
NY = BusinessCalendar(
    timezone="America/New_York",
    holidays=frozenset({
        date(2025, 12, 25), date(2026, 1, 1), date(2026, 1, 19), date(2026, 7, 3),
        date(2026, 11, 26), date(2026, 11, 27), date(2026, 12, 25), date(2027, 1, 1),
    }),
)
# China's 2025 public holidays and 调休 make-up workdays (weekend days worked), plus New Year
# 2026 (Jan 1-3 off, Sunday Jan 4 worked).
CN_HOLIDAYS = frozenset(
    {date(2025, 1, 1)}
    | {date(2025, 1, 28) + timedelta(days=i) for i in range(8)}  # Spring Festival, Jan 28-Feb 4
    | {date(2025, 4, 4), date(2025, 4, 5), date(2025, 4, 6)}  # Qingming
    | {date(2025, 5, 1) + timedelta(days=i) for i in range(5)}  # Labour Day, May 1-5
    | {date(2025, 5, 31), date(2025, 6, 1), date(2025, 6, 2)}  # Dragon Boat
    | {date(2025, 10, 1) + timedelta(days=i) for i in range(8)}  # National Day, Oct 1-8
    | {date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3)}
)
CN_MAKE_UP = frozenset({
    date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27), date(2025, 9, 28),
    date(2025, 10, 11), date(2026, 1, 4),
})
CN = BusinessCalendar(
    timezone="Asia/Shanghai", holidays=CN_HOLIDAYS, extra_workdays=CN_MAKE_UP
)
# A seven-day night desk whose window straddles the 02:00 DST change (US clocks change on
# Sundays), so DST days are shorter or longer.
NY_NIGHT = BusinessCalendar(
    timezone="America/New_York", start=time(1, 0), end=time(4, 0), workdays=tuple(range(7)),
    holidays=NY.holidays,
)


def ny(y: int, mo: int, d: int, h: int = 0, mi: int = 0, fold: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=NEW_YORK, fold=fold)


def cn(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SHANGHAI)


def utc(moment: datetime) -> datetime:
    """Compare instants in UTC: aware datetimes sharing a tzinfo compare by wall clock."""
    return moment.astimezone(UTC)


def elapsed(since: datetime, until: datetime) -> timedelta:
    return utc(until) - utc(since)


def same(got: datetime, expected: datetime) -> None:
    assert utc(got) == utc(expected), (got, expected)


def in_working_time(calendar: BusinessCalendar, moment: datetime) -> bool:
    """Whether `moment` falls inside the opening window (ends included) of a business day."""
    zone = ZoneInfo(calendar.timezone)
    day = moment.astimezone(zone).date()
    if not calendar.is_business_day(day):
        return False
    opens = utc(datetime.combine(day, calendar.start, tzinfo=zone))
    closes = utc(datetime.combine(day, calendar.end, tzinfo=zone))
    return opens <= utc(moment) <= closes


# -- the seed's table ------------------------------------------------------------------------

HOURLY = [
    # severity, internal due (h), customer due (h), customer overdue (h)
    (Severity.CRITICAL, 2, 2, 4),
    (Severity.HIGH, 4, 4, 8),
]


@pytest.mark.parametrize(("severity", "internal", "due", "overdue"), HOURLY,
                         ids=["critical", "high"])
@pytest.mark.parametrize(
    ("calendar", "since"),
    [(NY, ny(2026, 3, 4, 10)), (CN, cn(2025, 3, 5, 10)),
     # Round the clock: a Saturday night and a Chinese public holiday do not pause them.
     (NY, ny(2026, 3, 7, 22, 30)), (CN, cn(2025, 1, 30, 3, 15))],
    ids=["ny-weekday", "cn-weekday", "ny-saturday-night", "cn-spring-festival"],
)
def test_critical_and_high_run_in_real_hours(
    calendar: BusinessCalendar, since: datetime, severity: Severity,
    internal: int, due: int, overdue: int,
) -> None:
    inner = plan_internal(severity, POLICY, calendar, since)
    assert inner.kind is FollowupKind.INTERNAL
    assert elapsed(since, inner.due_at) == timedelta(hours=internal)
    assert elapsed(inner.due_at, inner.overdue_at) == timedelta(minutes=30)  # default grace
    outer = plan_customer(severity, POLICY, calendar, since)
    assert outer.kind is FollowupKind.CUSTOMER
    assert elapsed(since, outer.due_at) == timedelta(hours=due)
    assert elapsed(since, outer.overdue_at) == timedelta(hours=overdue)


def test_critical_counts_real_hours_across_spring_forward() -> None:
    since = ny(2026, 3, 8, 0, 30)  # 02:00 EST does not exist that night
    clock = plan_customer(Severity.CRITICAL, POLICY, NY, since)
    assert clock.due_at.replace(tzinfo=None) == datetime(2026, 3, 8, 3, 30)  # EDT wall clock
    assert elapsed(since, clock.due_at) == timedelta(hours=2)
    assert elapsed(since, clock.overdue_at) == timedelta(hours=4)


@pytest.mark.parametrize(
    ("calendar", "since", "internal", "due", "overdue"),
    [
        # Wednesday -> Thursday, Friday.
        (NY, ny(2026, 3, 4, 10), ny(2026, 3, 5, 10), ny(2026, 3, 5, 10), ny(2026, 3, 6, 10)),
        (CN, cn(2025, 3, 5, 10), cn(2025, 3, 6, 10), cn(2025, 3, 6, 10), cn(2025, 3, 7, 10)),
    ],
    ids=["ny", "cn"],
)
def test_medium_is_daily_internally_and_one_to_two_business_days_for_the_customer(
    calendar: BusinessCalendar, since: datetime, internal: datetime, due: datetime,
    overdue: datetime,
) -> None:
    inner = plan_internal(Severity.MEDIUM, POLICY, calendar, since)
    same(inner.due_at, internal)
    assert elapsed(inner.due_at, inner.overdue_at) == timedelta(minutes=30)
    outer = plan_customer(Severity.MEDIUM, POLICY, calendar, since)
    same(outer.due_at, due)
    same(outer.overdue_at, overdue)


@pytest.mark.parametrize(
    ("since", "due", "overdue"),
    [
        # Friday afternoon -> Monday, Tuesday (and the clocks change on the Sunday between).
        (ny(2026, 3, 6, 15), ny(2026, 3, 9, 15), ny(2026, 3, 10, 15)),
        # Friday after close counts from Friday's close.
        (ny(2026, 3, 6, 18, 45), ny(2026, 3, 9, 17), ny(2026, 3, 10, 17)),
        # Saturday counts from Friday's close too.
        (ny(2026, 3, 7, 11), ny(2026, 3, 9, 17), ny(2026, 3, 10, 17)),
        # Thursday before the Independence Day Friday off.
        (ny(2026, 7, 2, 15), ny(2026, 7, 6, 15), ny(2026, 7, 7, 15)),
        # Wednesday before Thanksgiving Thursday and Friday.
        (ny(2026, 11, 25, 16), ny(2026, 11, 30, 16), ny(2026, 12, 1, 16)),
        # Year boundary: Dec 31 then the New Year holiday.
        (ny(2026, 12, 31, 14), ny(2027, 1, 4, 14), ny(2027, 1, 5, 14)),
    ],
    ids=["friday", "friday-after-close", "saturday", "july-3rd", "thanksgiving", "new-year"],
)
def test_medium_customer_update_in_new_york_business_days(
    since: datetime, due: datetime, overdue: datetime
) -> None:
    clock = plan_customer(Severity.MEDIUM, POLICY, NY, since)
    same(clock.due_at, due)
    same(clock.overdue_at, overdue)
    assert clock.due_at.tzinfo == NEW_YORK


@pytest.mark.parametrize(
    ("since", "due", "overdue"),
    [
        # Friday before Spring Festival -> Sunday 26th is a make-up workday, then Monday.
        (cn(2025, 1, 24, 15), cn(2025, 1, 26, 15), cn(2025, 1, 27, 15)),
        # Monday 27th -> the whole holiday Jan 28-Feb 4 is skipped.
        (cn(2025, 1, 27, 15), cn(2025, 2, 5, 15), cn(2025, 2, 6, 15)),
        # Friday Feb 7 -> Saturday Feb 8 is worked.
        (cn(2025, 2, 7, 15), cn(2025, 2, 8, 15), cn(2025, 2, 10, 15)),
        # Year boundary: Dec 31 2024 -> Jan 1 2025 is off.
        (cn(2024, 12, 31, 15), cn(2025, 1, 2, 15), cn(2025, 1, 3, 15)),
        # Before National Day: Sunday Sep 28 is worked, Oct 1-8 off, Saturday Oct 11 worked.
        (cn(2025, 9, 26, 10), cn(2025, 9, 28, 10), cn(2025, 9, 29, 10)),
        (cn(2025, 9, 30, 10), cn(2025, 10, 9, 10), cn(2025, 10, 10, 10)),
        (cn(2025, 10, 10, 10), cn(2025, 10, 11, 10), cn(2025, 10, 13, 10)),
        # New Year 2026: Jan 1-3 off, Sunday Jan 4 worked.
        (cn(2025, 12, 31, 16), cn(2026, 1, 4, 16), cn(2026, 1, 5, 16)),
    ],
    ids=["make-up-sunday", "spring-festival", "make-up-saturday", "new-year-2025",
         "before-national-day", "national-day", "after-national-day", "new-year-2026"],
)
def test_medium_customer_update_in_shanghai_with_holidays_and_make_up_days(
    since: datetime, due: datetime, overdue: datetime
) -> None:
    clock = plan_customer(Severity.MEDIUM, POLICY, CN, since)
    same(clock.due_at, due)
    same(clock.overdue_at, overdue)
    assert in_working_time(CN, clock.due_at) and in_working_time(CN, clock.overdue_at)


def test_medium_internal_is_a_calendar_day_even_over_a_holiday() -> None:
    clock = plan_internal(Severity.MEDIUM, POLICY, CN, cn(2025, 1, 28, 9, 30))
    same(clock.due_at, cn(2025, 1, 29, 9, 30))


def test_medium_internal_keeps_the_local_time_across_dst() -> None:
    clock = plan_internal(Severity.MEDIUM, POLICY, NY, ny(2026, 3, 7, 10))
    assert clock.due_at.replace(tzinfo=None) == datetime(2026, 3, 8, 10)
    assert elapsed(ny(2026, 3, 7, 10), clock.due_at) == timedelta(hours=23)


# -- contractual update_hours ----------------------------------------------------------------

SINCE = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # Wednesday, 10:00 in New York


@pytest.mark.parametrize(
    ("severity", "update_hours", "due_h", "overdue_h"),
    [
        (Severity.CRITICAL, 3.0, 2.0, 3.0),  # stricter than the 4 h overdue: overdue at 3 h
        (Severity.CRITICAL, 1.0, 1.0, 1.0),  # stricter than the 2 h due: both at 1 h
        (Severity.CRITICAL, 1.5, 1.5, 1.5),
        (Severity.CRITICAL, 4.0, 2.0, 4.0),  # equal: no change
        (Severity.CRITICAL, 6.0, 2.0, 4.0),  # looser: the seed's window stands
        (Severity.CRITICAL, 48.0, 2.0, 4.0),
        (Severity.HIGH, 6.0, 4.0, 6.0),
        (Severity.HIGH, 2.0, 2.0, 2.0),
        (Severity.HIGH, 12.0, 4.0, 8.0),
    ],
)
def test_stricter_update_hours_win_and_looser_do_not(
    severity: Severity, update_hours: float, due_h: float, overdue_h: float
) -> None:
    clock = plan_customer(severity, POLICY, NY, SINCE, update_hours=update_hours)
    assert elapsed(SINCE, clock.due_at) == timedelta(hours=due_h)
    assert elapsed(SINCE, clock.overdue_at) == timedelta(hours=overdue_h)


def test_medium_contract_stricter_than_two_business_days() -> None:
    friday = ny(2026, 3, 6, 15)
    clock = plan_customer(Severity.MEDIUM, POLICY, NY, friday, update_hours=24.0)
    # The contract's 24 real hours beat Tuesday 15:00, and pull the due time with them.
    same(clock.overdue_at, ny(2026, 3, 7, 15))
    same(clock.due_at, ny(2026, 3, 7, 15))
    looser = plan_customer(Severity.MEDIUM, POLICY, NY, friday, update_hours=200.0)
    same(looser.due_at, ny(2026, 3, 9, 15))
    same(looser.overdue_at, ny(2026, 3, 10, 15))


def test_contract_hours_are_real_hours_across_dst() -> None:
    since = ny(2026, 3, 8, 0, 30)
    clock = plan_customer(Severity.CRITICAL, POLICY, NY, since, update_hours=3.0)
    assert elapsed(since, clock.overdue_at) == timedelta(hours=3)


def test_plan_uses_the_customers_contract_and_each_clocks_own_since() -> None:
    escalation = Escalation(
        id="ESC-1", ticket_id="T-1", status=Status.OPEN, severity=Severity.CRITICAL,
        target=Target.ENGINEERING, opened_at=SINCE, owner="li",
        customer=Customer(update_hours=3.0, timezone="America/New_York"),
    )
    later = SINCE + timedelta(minutes=45)
    internal, customer = plan(escalation, POLICY, NY, SINCE, later)
    assert internal.kind is FollowupKind.INTERNAL and customer.kind is FollowupKind.CUSTOMER
    assert elapsed(SINCE, internal.due_at) == timedelta(hours=2)
    assert elapsed(later, customer.due_at) == timedelta(hours=2)
    assert elapsed(later, customer.overdue_at) == timedelta(hours=3)


# -- states at a moment ----------------------------------------------------------------------

DUE = datetime(2026, 3, 4, 18, 0, tzinfo=UTC)
CLOCK = FollowupClock(FollowupKind.CUSTOMER, DUE, DUE + timedelta(hours=2))
TICK = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (DUE - timedelta(days=3), FollowupState.UPCOMING),
        (DUE - timedelta(minutes=30) - TICK, FollowupState.UPCOMING),
        (DUE - timedelta(minutes=30), FollowupState.DUE_SOON),
        (DUE - TICK, FollowupState.DUE_SOON),
        (DUE, FollowupState.DUE),
        (DUE + timedelta(hours=2) - TICK, FollowupState.DUE),
        (DUE + timedelta(hours=2), FollowupState.OVERDUE),
        (DUE + timedelta(days=30), FollowupState.OVERDUE),
    ],
    ids=["far", "just-before-soon", "soon-edge", "just-before-due", "due", "just-before-overdue",
         "overdue", "long-overdue"],
)
def test_state_boundaries(now: datetime, state: FollowupState) -> None:
    assert state_of(CLOCK, now, POLICY) is state
    # The same instant seen from another zone gives the same answer.
    assert state_of(CLOCK, now.astimezone(SHANGHAI), POLICY) is state


def test_due_soon_and_grace_come_from_the_policy() -> None:
    tuned = Policy(followups=Followups(due_soon_minutes=90, internal_grace_minutes=10))
    clock = plan_internal(Severity.CRITICAL, tuned, NY, SINCE)
    due = SINCE + timedelta(hours=2)
    same(clock.due_at, due)
    same(clock.overdue_at, due + timedelta(minutes=10))
    assert state_of(clock, due - timedelta(minutes=91), tuned) is FollowupState.UPCOMING
    assert state_of(clock, due - timedelta(minutes=90), tuned) is FollowupState.DUE_SOON
    assert state_of(clock, due - timedelta(minutes=31), tuned) is FollowupState.DUE_SOON
    assert state_of(clock, due - timedelta(minutes=31), POLICY) is FollowupState.UPCOMING
    assert state_of(clock, due + timedelta(minutes=9), tuned) is FollowupState.DUE
    assert state_of(clock, due + timedelta(minutes=10), tuned) is FollowupState.OVERDUE
    assert horizon(SINCE, tuned) == SINCE + timedelta(minutes=90)
    assert horizon(SINCE, POLICY) == SINCE + timedelta(minutes=30)


def test_when_due_and_overdue_coincide_it_is_overdue_at_once() -> None:
    clock = plan_customer(Severity.CRITICAL, POLICY, NY, SINCE, update_hours=1.0)
    assert clock.due_at == clock.overdue_at
    assert state_of(clock, clock.due_at, POLICY) is FollowupState.OVERDUE
    assert state_of(clock, clock.due_at - TICK, POLICY) is FollowupState.DUE_SOON


def test_status_of_reports_by_how_much() -> None:
    ahead = status_of("ESC-3", CLOCK, DUE - timedelta(minutes=20), POLICY)
    assert (ahead.escalation_id, ahead.kind, ahead.state) == (
        "ESC-3", FollowupKind.CUSTOMER, FollowupState.DUE_SOON
    )
    assert ahead.delta == timedelta(minutes=20)
    late = status_of("ESC-3", CLOCK, DUE + timedelta(hours=3), POLICY)
    assert late.state is FollowupState.OVERDUE
    assert late.delta == -timedelta(hours=3)
    assert (late.due_at, late.overdue_at) == (CLOCK.due_at, CLOCK.overdue_at)


def test_due_soon_counts_real_minutes_across_spring_forward() -> None:
    due = ny(2026, 3, 8, 3, 15)  # 07:15 UTC, 15 minutes after the clocks jumped
    clock = FollowupClock(FollowupKind.CUSTOMER, due, due + timedelta(hours=3))
    fifteen_before = datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert state_of(clock, fifteen_before, POLICY) is FollowupState.DUE_SOON


def test_state_in_the_repeated_fall_back_hour() -> None:
    due = datetime(2026, 11, 1, 5, 30, tzinfo=UTC).astimezone(NEW_YORK)  # 01:30 EDT
    clock = FollowupClock(FollowupKind.CUSTOMER, due, due + timedelta(hours=2))
    now = datetime(2026, 11, 1, 6, 10, tzinfo=UTC).astimezone(NEW_YORK)  # 01:10 EST, fold=1
    assert state_of(clock, now, POLICY) is FollowupState.DUE


# -- urgency ---------------------------------------------------------------------------------


def _status(name: str, state: FollowupState, due_minutes: int) -> FollowupStatus:
    due = DUE + timedelta(minutes=due_minutes)
    return FollowupStatus(name, FollowupKind.INTERNAL, state, due, due + timedelta(hours=1),
                          timedelta(0))


def test_by_urgency_overdue_then_due_then_due_soon_then_upcoming_earliest_first() -> None:
    expected = [
        _status("o1", FollowupState.OVERDUE, -300),
        _status("o2", FollowupState.OVERDUE, -60),
        _status("d1", FollowupState.DUE, -90),  # earlier than o2, but only due
        _status("d2", FollowupState.DUE, -5),
        _status("s1", FollowupState.DUE_SOON, 10),
        _status("s2", FollowupState.DUE_SOON, 25),
        _status("u1", FollowupState.UPCOMING, 40),
        _status("u2", FollowupState.UPCOMING, 600),
    ]
    shuffled = expected[:]
    for seed in range(20):
        random.Random(seed).shuffle(shuffled)
        assert [s.escalation_id for s in by_urgency(shuffled)] == [
            s.escalation_id for s in expected
        ]
    assert by_urgency([]) == []


def test_by_urgency_of_real_clocks_at_a_moment() -> None:
    now = SINCE + timedelta(hours=5)
    clocks = {
        "critical-customer": plan_customer(Severity.CRITICAL, POLICY, NY, SINCE),  # overdue
        "high-internal": plan_internal(Severity.HIGH, POLICY, NY, SINCE),  # overdue (4h30)
        "high-customer": plan_customer(Severity.HIGH, POLICY, NY, SINCE),  # due
        "critical-soon": plan_internal(Severity.CRITICAL, POLICY, NY,
                                       SINCE + timedelta(hours=3, minutes=10)),  # due soon
        "medium": plan_customer(Severity.MEDIUM, POLICY, NY, SINCE),  # upcoming
    }
    ordered = by_urgency([status_of(name, c, now, POLICY) for name, c in clocks.items()])
    assert [(s.escalation_id, s.state) for s in ordered] == [
        ("critical-customer", FollowupState.OVERDUE),
        ("high-internal", FollowupState.OVERDUE),
        ("high-customer", FollowupState.DUE),
        ("critical-soon", FollowupState.DUE_SOON),
        ("medium", FollowupState.UPCOMING),
    ]


# -- properties ------------------------------------------------------------------------------




SPANS = (
    (datetime(2024, 12, 20), datetime(2025, 1, 10)),  # New Year 2025
    (datetime(2025, 1, 20), datetime(2025, 2, 12)),  # Spring Festival
    (datetime(2025, 9, 25), datetime(2025, 10, 15)),  # National Day
    (datetime(2025, 12, 24), datetime(2026, 1, 8)),  # New Year 2026
    (datetime(2026, 3, 6), datetime(2026, 3, 10)),  # US spring forward
    (datetime(2026, 10, 30), datetime(2026, 11, 3)),  # US fall back
    (datetime(2026, 12, 28), datetime(2027, 1, 6)),  # New Year 2027
    (datetime(2024, 1, 1), datetime(2027, 12, 31)),
)
def _moments(*zones: tzinfo) -> st.SearchStrategy[datetime]:
    """Aware datetimes in one of `zones`, around the holidays and DST changes tested here."""
    return st.one_of(*[
        st.datetimes(min_value=a, max_value=b, timezones=st.sampled_from(zones))
        for a, b in SPANS
    ])


MOMENTS = _moments(UTC, NEW_YORK, SHANGHAI)
# Without DST, so wall-clock and real-time arithmetic agree (DST cases are tested below).
STEADY_MOMENTS = _moments(UTC, SHANGHAI)
SEVERITIES = st.sampled_from(Severity)
UPDATE_HOURS = st.none() | st.floats(min_value=0.25, max_value=72.0)
UTC_CAL = BusinessCalendar()


def _check_clock_order(
    calendar: BusinessCalendar, severity: Severity, since: datetime, update_hours: float | None
) -> None:
    for clock in (
        plan_internal(severity, POLICY, calendar, since),
        plan_customer(severity, POLICY, calendar, since, update_hours),
    ):
        assert utc(clock.due_at) > utc(since), clock
        assert utc(clock.due_at) <= utc(clock.overdue_at), clock


@settings(max_examples=300, deadline=None)
@given(calendar=st.sampled_from([UTC_CAL, CN]), severity=SEVERITIES, since=STEADY_MOMENTS,
       update_hours=UPDATE_HOURS)
def test_due_is_after_since_and_not_after_overdue(
    calendar: BusinessCalendar, severity: Severity, since: datetime, update_hours: float | None
) -> None:
    _check_clock_order(calendar, severity, since, update_hours)


@settings(max_examples=300, deadline=None)
@given(calendar=st.sampled_from([UTC_CAL, CN, NY]), severity=SEVERITIES, since=MOMENTS,
       update_hours=UPDATE_HOURS)
@example(calendar=NY, severity=Severity.CRITICAL,
         since=datetime(2026, 11, 1, 4, 15, tzinfo=UTC), update_hours=None)
@example(calendar=UTC_CAL, severity=Severity.CRITICAL, since=ny(2026, 3, 8, 2),
         update_hours=1.0)
def test_due_is_after_since_and_not_after_overdue_in_dst_zones(
    calendar: BusinessCalendar, severity: Severity, since: datetime, update_hours: float | None
) -> None:
    _check_clock_order(calendar, severity, since, update_hours)


def test_internal_grace_is_real_minutes_on_fall_back_night() -> None:
    since = datetime(2026, 11, 1, 3, 45, tzinfo=UTC)  # due 05:45 UTC = 01:45 EDT
    clock = plan_internal(Severity.CRITICAL, POLICY, NY, since)
    assert elapsed(clock.due_at, clock.overdue_at) == timedelta(minutes=30)


@settings(max_examples=300, deadline=None)
@given(calendar=st.sampled_from([NY, CN, NY_NIGHT]), since=MOMENTS)
def test_medium_customer_due_lies_in_business_hours(
    calendar: BusinessCalendar, since: datetime
) -> None:
    clock = plan_customer(Severity.MEDIUM, POLICY, calendar, since)
    assert in_working_time(calendar, clock.due_at), clock.due_at
    assert in_working_time(calendar, clock.overdue_at), clock.overdue_at
    # One business day, then one more: never on the same business day.
    assert clock.due_at.astimezone(ZoneInfo(calendar.timezone)).date() < (
        clock.overdue_at.astimezone(ZoneInfo(calendar.timezone)).date()
    )


@settings(max_examples=400, deadline=None)
@given(
    calendar=st.sampled_from([NY, CN, NY_NIGHT]),
    start=MOMENTS,
    hours=st.one_of(
        st.integers(min_value=1, max_value=60).map(float),
        st.floats(min_value=0.001, max_value=40.0),
        st.floats(min_value=40.0, max_value=2500.0),  # weeks to months: the jump path
    ),
)
def test_adding_business_hours_lands_in_working_time(
    calendar: BusinessCalendar, start: datetime, hours: float
) -> None:
    landed = calendar.add_business_hours(start, hours)
    assert in_working_time(calendar, landed), landed
    assert utc(landed) > utc(start)
    assert calendar.business_hours_between(start, landed) == pytest.approx(hours, abs=1e-6)


@pytest.mark.parametrize(
    ("calendar", "start", "hours", "landed"),
    [
        # NY night desk: Sunday Mar 8 01:00-04:00 is two real hours (02:00 is skipped).
        (NY_NIGHT, ny(2026, 3, 8, 1), 2.0, ny(2026, 3, 8, 4)),
        (NY_NIGHT, ny(2026, 3, 8, 1), 2.5, ny(2026, 3, 9, 1, 30)),
        # Nov 1 01:00 EDT-04:00 EST is four real hours.
        (NY_NIGHT, ny(2026, 11, 1, 1), 4.0, ny(2026, 11, 1, 4)),
        (NY_NIGHT, ny(2026, 11, 1, 1), 1.5, ny(2026, 11, 1, 1, 30, fold=1)),
        # Over New Year: Dec 31 16:00 + 2 h -> Jan 4 (Jan 1 holiday, then the weekend) 10:00.
        (NY, ny(2026, 12, 31, 16), 2.0, ny(2027, 1, 4, 10)),
        # Shanghai Dec 31 16:00 + 2 h -> Sunday Jan 4 2026 (make-up workday) 10:00.
        (CN, cn(2025, 12, 31, 16), 2.0, cn(2026, 1, 4, 10)),
        # Spring Festival: Monday Jan 27 16:00 + 1 h is that day's close; half an hour more
        # skips the holiday to Wednesday Feb 5.
        (CN, cn(2025, 1, 27, 16), 1.0, cn(2025, 1, 27, 17)),
        (CN, cn(2025, 1, 27, 16), 1.5, cn(2025, 2, 5, 9, 30)),
    ],
)
def test_business_hours_known_answers(
    calendar: BusinessCalendar, start: datetime, hours: float, landed: datetime
) -> None:
    same(calendar.add_business_hours(start, hours), landed)
