"""A customer's business calendar: working hours in their time zone, holidays, make-up workdays."""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from escalation.domain.errors import InputError
from escalation.domain.policy import CalendarPolicy, Window, WindowUnit

_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)
_HOUR_SECONDS = 3600.0
# With more whole business days than this still to add, counting them beats stepping.
_JUMP_DAYS = 2


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """When a customer is open: `start`-`end` local time on business days in `timezone`.

    A day is a business day when it is not a holiday and either its weekday is in `workdays`
    or it is one of `extra_workdays` (weekend days worked to make up for a long holiday).
    Business time is real elapsed time inside the day's opening window; the window's ends are
    local wall-clock times, so a DST change moves them with the clock. Every datetime taken
    must carry a time zone; every datetime returned is in `timezone`.
    """

    timezone: str = "UTC"
    start: time = time(9, 0)
    end: time = time(17, 0)
    workdays: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday = 0
    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _length: timedelta = field(init=False, repr=False, compare=False)
    _weekly: frozenset[int] = field(init=False, repr=False, compare=False)
    # Business days in the first `r` days of a week starting on weekday `w`: _partial[w][r].
    _partial: tuple[tuple[int, ...], ...] = field(init=False, repr=False, compare=False)
    # Sorted exceptions to the weekly pattern, so a span's business days can be counted.
    _closed: tuple[date, ...] = field(init=False, repr=False, compare=False)
    _opened: tuple[date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise InputError(
                "timezone", 'an IANA time zone name like "Europe/Berlin"', self.timezone
            ) from None
        if not self.start < self.end:
            raise InputError(
                "business_hours", "an opening time earlier than the closing time",
                f"{self.start:%H:%M}-{self.end:%H:%M}",
            )
        weekly = frozenset(self.workdays)
        if not weekly or not weekly <= frozenset(range(7)):
            raise InputError(
                "workdays", "at least one weekday number from 0 (Monday) to 6 (Sunday)",
                list(self.workdays),
            )
        holidays = frozenset(self.holidays)
        extra = frozenset(self.extra_workdays)
        opening = datetime.combine(date.min, self.start)
        set_ = object.__setattr__
        set_(self, "holidays", holidays)
        set_(self, "extra_workdays", extra)
        set_(self, "_zone", zone)
        set_(self, "_length", datetime.combine(date.min, self.end) - opening)
        set_(self, "_weekly", weekly)
        set_(self, "_partial", tuple(
            tuple(sum((w + i) % 7 in weekly for i in range(r)) for r in range(7))
            for w in range(7)
        ))
        set_(self, "_closed", tuple(sorted(d for d in holidays if d.weekday() in weekly)))
        set_(self, "_opened", tuple(sorted(
            d for d in extra if d not in holidays and d.weekday() not in weekly
        )))

    # -- days ------------------------------------------------------------------------------

    def is_business_day(self, day: date) -> bool:
        """Whether `day` is worked: a holiday never is, a make-up workday always is."""
        if day in self.holidays:
            return False
        return day in self.extra_workdays or day.weekday() in self._weekly

    # -- hours -----------------------------------------------------------------------------

    def add_business_hours(self, at: datetime, hours: float) -> datetime:
        """The moment `hours` business hours after `at` (before it when negative).

        Landing exactly on a boundary gives the close going forward and the opening going
        backward; zero hours gives `at` itself.
        """
        start = self._utc(at, "at")
        span = _hours(hours)
        if span > timedelta(0):
            return self._local(self._forward(start, span))
        if span < timedelta(0):
            return self._local(self._backward(start, -span))
        return self._local(start)

    def business_hours_between(self, a: datetime, b: datetime) -> float:
        """Business hours from `a` to `b`; negative when `b` is before `a`."""
        first, last = self._utc(a, "a"), self._utc(b, "b")
        if last < first:
            return -self._between(last, first).total_seconds() / _HOUR_SECONDS
        return self._between(first, last).total_seconds() / _HOUR_SECONDS

    # -- days as units ---------------------------------------------------------------------

    def add_business_days(self, at: datetime, days: float) -> datetime:
        """`days` full business days after `at`, keeping its time of day.

        Friday 15:00 + 1 is Monday 15:00 (holidays skipped). Outside opening hours `at`
        counts from the close of the previous business day (from the opening of the next
        one when going back). A fraction of a day is that share of the nominal opening hours.
        """
        start = self._utc(at, "at")
        if not math.isfinite(days):
            raise InputError("days", "a finite number of business days", days)
        whole = int(days)
        rest = (days - whole) * self._length.total_seconds() / _HOUR_SECONDS
        if whole == 0:
            return self.add_business_hours(start, rest)
        local = start.astimezone(self._zone)
        today = local.date()
        opens, closes = self._window(today) if self.is_business_day(today) else (None, None)
        wall: time | None = local.time()
        if opens is None or closes is None:
            day = today
            wall = None
        elif start < opens:
            day = today - _DAY if whole > 0 else today
            wall = None
        elif start > closes:
            day = today if whole > 0 else today + _DAY
            wall = None
        else:
            day = today
        if wall is None:
            # Outside opening hours: anchor at the nearest business boundary in the direction
            # of travel, which is the same business moment either way.
            day = self._business_day_from(day, -1 if whole > 0 else 1)
            wall = self.end if whole > 0 else self.start
        target = self._nth_business_day(day, whole)
        opens, closes = self._window(target)
        moment = min(max(self._at(target, wall), opens), closes)
        return self.add_business_hours(moment, rest)

    def next_open(self, at: datetime) -> datetime:
        """`at` itself when inside business hours, else the next moment the business opens."""
        moment = self._utc(at, "at")
        opens, _closes = self._window(self._current_business_day(moment))
        return self._local(max(moment, opens))

    def end_of_business_day(self, at: datetime) -> datetime:
        """Close of today if `at` is before today's close on a business day, else of the next."""
        return self._local(self._window(self._current_business_day(self._utc(at, "at")))[1])

    def end_of_business_week(self, at: datetime) -> datetime:
        """Close of the last business day in the ISO week of the next business moment.

        The next business moment is `at` itself during opening hours, otherwise the next
        opening; so on Friday after close this is the end of next week.
        """
        day = self._current_business_day(self._utc(at, "at"))
        last = day + timedelta(days=6 - day.weekday())
        while not self.is_business_day(last):
            last -= _DAY
        return self._local(self._window(last)[1])

    def advance(self, at: datetime, window: Window) -> datetime:
        """`at` moved on by a policy window ("2h", "4bh", "1d", "2bd", "eod", "eow").

        "h" counts real elapsed hours; "d" counts calendar days at the same local time (a
        fraction of a day adds that share of 24 real hours).
        """
        unit = window.unit
        if unit is WindowUnit.HOURS:
            return self._local(self._utc(at, "at") + _hours(window.amount))
        if unit is WindowUnit.BUSINESS_HOURS:
            return self.add_business_hours(at, window.amount)
        if unit is WindowUnit.DAYS:
            return self._add_days(at, window.amount)
        if unit is WindowUnit.BUSINESS_DAYS:
            return self.add_business_days(at, window.amount)
        if unit is WindowUnit.END_OF_BUSINESS_DAY:
            return self.end_of_business_day(at)
        if unit is WindowUnit.END_OF_BUSINESS_WEEK:
            return self.end_of_business_week(at)
        raise InputError("window.unit", "one of h, bh, d, bd, eod, eow", str(unit))

    # -- internals -------------------------------------------------------------------------

    def _utc(self, moment: datetime, name: str) -> datetime:
        if not isinstance(moment, datetime) or moment.utcoffset() is None:
            raise InputError(
                name, "a timezone-aware datetime (attach a tzinfo, e.g. UTC)", moment
            )
        return moment.astimezone(UTC)

    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(self._zone)

    def _at(self, day: date, wall: time) -> datetime:
        # fold=0: a wall time skipped by a spring-forward gap lands just after the gap, and a
        # repeated one takes its first occurrence.
        return datetime.combine(day, wall, tzinfo=self._zone).astimezone(UTC)

    def _window(self, day: date) -> tuple[datetime, datetime]:
        opens = self._at(day, self.start)
        # A window inside a spring-forward gap (02:01-03:00 in New York) closes before it opens.
        return opens, max(opens, self._at(day, self.end))

    def _add_days(self, at: datetime, days: float) -> datetime:
        self._utc(at, "at")
        if not math.isfinite(days):
            raise InputError("days", "a finite number of days", days)
        whole = int(days)
        local = at.astimezone(self._zone)
        moved = datetime.combine(
            local.date() + timedelta(days=whole), local.time(), tzinfo=self._zone
        ).astimezone(UTC)
        return self._local(moved + _hours((days - whole) * 24.0))

    def _current_business_day(self, moment: datetime) -> date:
        """The business day whose close is the first one after `moment`."""
        day = moment.astimezone(self._zone).date()
        if self.is_business_day(day) and moment < self._window(day)[1]:
            return day
        return self._business_day_from(day + _DAY, 1)

    def _business_day_from(self, day: date, step: int) -> date:
        """`day` if it is a business day, else the nearest one in direction `step`."""
        move = timedelta(days=step)
        while not self.is_business_day(day):
            day += move
        return day

    def _count(self, first: date, stop: date) -> int:
        """Business days in [first, stop)."""
        days = (stop - first).days
        if days <= 0:
            return 0
        weeks, rest = divmod(days, 7)
        regular = weeks * len(self._weekly) + self._partial[first.weekday()][rest]
        closed = bisect_left(self._closed, stop) - bisect_left(self._closed, first)
        opened = bisect_left(self._opened, stop) - bisect_left(self._opened, first)
        return regular - closed + opened

    def _nth_business_day(self, day: date, n: int) -> date:
        """The `n`-th business day after `day` (before it when `n` is negative)."""
        if n == 0:
            return day
        per_week = len(self._weekly)
        if n > 0:
            stop, found = day + _DAY, 0  # business days counted in (day, stop)
            while n - found > 2 * per_week:
                leap = _WEEK * ((n - found) // per_week - 1)
                found += self._count(stop, stop + leap)
                stop += leap
            while found >= n:  # only when make-up days outnumber holidays in a leap
                stop -= _DAY
                found -= self.is_business_day(stop)
            while found < n:
                found += self.is_business_day(stop)
                stop += _DAY
            return stop - _DAY
        begin, found = day, 0  # business days counted in [begin, day)
        while -n - found > 2 * per_week:
            leap = _WEEK * ((-n - found) // per_week - 1)
            found += self._count(begin - leap, begin)
            begin -= leap
        while found >= -n:
            found -= self.is_business_day(begin)
            begin += _DAY
        while found < -n:
            begin -= _DAY
            found += self.is_business_day(begin)
        return begin

    def _open_time(self, first: date, stop: date) -> timedelta:
        """Total real opening time of the business days in [first, stop)."""
        total = self._length * self._count(first, stop)
        for year in range(first.year, (stop - _DAY).year + 1):
            for day, delta in _irregular_days(self.timezone, self.start, self.end, year):
                if first <= day < stop and self.is_business_day(day):
                    total += delta
        return total

    def _forward(self, moment: datetime, span: timedelta) -> datetime:
        day = moment.astimezone(self._zone).date()
        jumped = False
        while True:
            if self.is_business_day(day):
                opens, closes = self._window(day)
                if moment < closes:
                    begin = max(moment, opens)
                    if span <= closes - begin:
                        return begin + span
                    span -= closes - begin
            day += _DAY
            full_days = int(span / self._length) - 1
            if not jumped and full_days > _JUMP_DAYS:
                jumped = True
                stop = self._nth_business_day(day - _DAY, full_days) + _DAY
                used = self._open_time(day, stop)
                if used < span:
                    span -= used
                    day = stop

    def _backward(self, moment: datetime, span: timedelta) -> datetime:
        day = moment.astimezone(self._zone).date()
        jumped = False
        while True:
            if self.is_business_day(day):
                opens, closes = self._window(day)
                if moment > opens:
                    finish = min(moment, closes)
                    if span <= finish - opens:
                        return finish - span
                    span -= finish - opens
            day -= _DAY
            full_days = int(span / self._length) - 1
            if not jumped and full_days > _JUMP_DAYS:
                jumped = True
                begin = self._nth_business_day(day + _DAY, -full_days)
                used = self._open_time(begin, day + _DAY)
                if used < span:
                    span -= used
                    day = begin - _DAY

    def _between(self, first: datetime, last: datetime) -> timedelta:
        first_day = first.astimezone(self._zone).date()
        last_day = last.astimezone(self._zone).date()
        if first_day == last_day:
            return self._overlap(first_day, first, last)
        return (
            self._overlap(first_day, first, None)
            + self._open_time(first_day + _DAY, last_day)
            + self._overlap(last_day, None, last)
        )

    def _overlap(self, day: date, begin: datetime | None, finish: datetime | None) -> timedelta:
        """Opening time of `day` inside [begin, finish] (an open end when None)."""
        if not self.is_business_day(day):
            return timedelta(0)
        opens, closes = self._window(day)
        begin = opens if begin is None else max(begin, opens)
        finish = closes if finish is None else min(finish, closes)
        return max(finish - begin, timedelta(0))


def calendar_from_policy(
    policy: CalendarPolicy,
    timezone: str | None,
    holidays: frozenset[date] = frozenset(),
    extra_workdays: frozenset[date] = frozenset(),
) -> BusinessCalendar:
    """The policy's business hours and days in `timezone` (the policy's default when None)."""
    return BusinessCalendar(
        timezone=timezone or policy.default_timezone,
        start=policy.start,
        end=policy.end,
        workdays=policy.workdays,
        holidays=holidays,
        extra_workdays=extra_workdays,
    )


def _hours(hours: float) -> timedelta:
    if not math.isfinite(hours):
        raise InputError("hours", "a finite number of hours", hours)
    return timedelta(hours=hours)


@lru_cache(maxsize=4096)
def _irregular_days(
    timezone: str, start: time, end: time, year: int
) -> tuple[tuple[date, timedelta], ...]:
    """Days of `year` whose opening window a DST change shortens or lengthens, and by how much.

    Zones change clocks at night, so this is nearly always empty; it keeps long spans exact
    without visiting every day.
    """
    zone = ZoneInfo(timezone)
    length = datetime.combine(date.min, end) - datetime.combine(date.min, start)
    found: list[tuple[date, timedelta]] = []
    day = date(year, 1, 1)
    while day.year == year:
        opens = datetime.combine(day, start, tzinfo=zone).utcoffset()
        closes = datetime.combine(day, end, tzinfo=zone).utcoffset()
        if opens is not None and closes is not None and opens != closes:
            found.append((day, max(opens - closes, -length)))
        if day == date.max:
            break
        day += _DAY
    return tuple(found)
