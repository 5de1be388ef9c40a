"""Customer business calendars from the `holidays` package: public holidays, make-up workdays."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays

from escalation.domain.calendar import BusinessCalendar, calendar_from_policy
from escalation.domain.errors import InputError
from escalation.domain.policy import CalendarPolicy

# Years either side of today loaded by default: enough for any open ticket and its SLA, and
# cheap to build (the whole century takes the holidays package seconds per country).
YEARS_AROUND_TODAY = 5


def default_years(today: date | None = None) -> range:
    """The years loaded when none are given: this year ± YEARS_AROUND_TODAY."""
    year = (today or date.today()).year
    return range(year - YEARS_AROUND_TODAY, year + YEARS_AROUND_TODAY + 1)


def customer_calendar(
    policy: CalendarPolicy,
    timezone: str | None,
    country: str | None,
    years: range | None = None,
) -> BusinessCalendar:
    """The business calendar of a customer in `timezone` and `country` (ISO 3166 code).

    Missing values fall back to the policy's `default_timezone` and `default_country`; with no
    country at all the calendar has no holidays. Holidays are the country's public holidays
    in `years` (default: `default_years()`), plus its make-up workdays where it has them
    (China's weekend days worked around long holidays, also Russia, Vietnam and others).
    Calendars are cached. Raises InputError (a ValueError) for an unknown time zone or
    country, or an empty range of years.
    """
    code = (country or policy.default_country or "").strip().upper() or None
    return _customer_calendar(
        policy,
        timezone or policy.default_timezone,
        code,
        default_years() if years is None else years,
    )


def country_days(country: str, years: range) -> tuple[frozenset[date], frozenset[date]]:
    """Public holidays and make-up workdays of `country` within `years`, cached."""
    code = country.strip().upper()
    if code not in _supported_countries():
        raise InputError(
            "country",
            'an ISO 3166 country code the holidays package covers, like "US", "CN" or "DE"',
            country,
        )
    if len(years) == 0:
        raise InputError("years", "a non-empty range of years", f"{years!r}")
    return _country_days(code, years)


@lru_cache(maxsize=1024)
def _customer_calendar(
    policy: CalendarPolicy, timezone: str, country: str | None, years: range
) -> BusinessCalendar:
    if country is None:
        return calendar_from_policy(policy, timezone)
    days_off, make_up = country_days(country, years)
    return calendar_from_policy(policy, timezone, days_off, make_up)


@lru_cache(maxsize=256)
def _country_days(country: str, years: range) -> tuple[frozenset[date], frozenset[date]]:
    wanted = frozenset(years)
    # expand=False: a membership test must not quietly load years outside the range.
    found = holidays.country_holidays(country, years=sorted(wanted), expand=False)
    days_off = frozenset(day for day in found if day.year in wanted)
    # `weekend_workdays` holds the weekend days a holiday was moved from, i.e. worked. It also
    # carries cross-year moves from the package's whole table (China's 2001-12-29 shows up in
    # any year), so keep only the requested years.
    moved = getattr(found, "weekend_workdays", None) or ()
    make_up = frozenset(
        day for day in moved if day.year in wanted and day not in days_off
    )
    return days_off, make_up


@lru_cache(maxsize=1)
def _supported_countries() -> frozenset[str]:
    return frozenset(holidays.list_supported_countries())
