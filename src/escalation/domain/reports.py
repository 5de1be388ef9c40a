"""The Reports page's numbers: weekly volume, time to acknowledge and resolve, overdue follow-ups.

Everything is computed from the escalations and `now` passed in, in UTC:

- The window is `weeks` ISO weeks (Monday 00:00 UTC to Monday 00:00 UTC), the last one being
  the week that contains `now`; it ends at `now`. Escalations opened after `now` are ignored
  everywhere.
- Percentiles use linear interpolation between closest ranks (the "inclusive" method, numpy's
  default): for sorted values x[0..n-1] the q-th percentile sits at position (n - 1) * q, so the
  median of an even count is the mean of the two middle values.
- A timestamp earlier than `opened_at` (clock skew between helpdesk and desk) counts as a
  duration of zero rather than a negative one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from escalation.domain.model import Escalation, FollowupKind, Severity, Status, Target

_ENDED = frozenset({Status.RESOLVED, Status.DE_ESCALATED, Status.CLOSED})


@dataclass(frozen=True, slots=True)
class Duration:
    """A summary of a set of durations, in hours; the hours are None when the set is empty."""

    count: int
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True, slots=True)
class WeekCounts:
    """Escalations opened in one ISO week, by target and by severity (every value present)."""

    week_start: date  # the Monday (UTC) of the ISO week
    by_target: Mapping[str, int]
    by_severity: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Report:
    """What the Reports page shows for the last `weeks` weeks up to `now`."""

    weeks: tuple[WeekCounts, ...]  # oldest first, the last one contains `now`
    opened: int  # escalations opened in the window
    time_to_acknowledge: Duration  # over those opened in the window and acknowledged
    time_to_resolve: Duration  # over those opened in the window with a `resolved_at`
    followups_overdue: Mapping[str, int]  # {"internal": n, "customer": m}, active ones, now
    deescalated: int  # opened in the window, ended, with a de-escalation reason
    ended: int  # opened in the window and resolved, de-escalated or closed
    deescalation_rate: float | None  # deescalated / ended; None when nothing ended


def build_report(
    escalations: Iterable[Escalation],
    acknowledged_at: Mapping[str, datetime],
    now: datetime,
    weeks: int = 8,
) -> Report:
    """The report over the `weeks` ISO weeks ending with the week that contains `now`.

    `acknowledged_at` maps an escalation's id to when the receiving team acknowledged it;
    escalations missing from it are left out of the time to acknowledge. Overdue follow-ups
    count every active escalation opened by `now`, whenever it was opened: they are owed now.
    """
    if isinstance(weeks, bool) or not isinstance(weeks, int) or weeks < 1:
        raise ValueError(f"weeks must be a whole number of at least 1, got {weeks!r}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (UTC), got a naive datetime")

    first_monday = week_start(now) - timedelta(weeks=weeks - 1)
    window_start = datetime.combine(first_monday, time(), tzinfo=UTC)
    counts = [
        (
            dict.fromkeys((t.value for t in Target), 0),
            dict.fromkeys((s.value for s in Severity), 0),
        )
        for _ in range(weeks)
    ]
    overdue = {FollowupKind.INTERNAL.value: 0, FollowupKind.CUSTOMER.value: 0}
    to_acknowledge: list[float] = []
    to_resolve: list[float] = []
    opened = deescalated = ended = 0

    for escalation in escalations:
        if escalation.opened_at > now:
            continue
        if escalation.status.is_active:
            clocks = (
                (FollowupKind.INTERNAL, escalation.internal),
                (FollowupKind.CUSTOMER, escalation.customer_update),
            )
            for kind, clock in clocks:
                if clock is not None and clock.overdue_at <= now:
                    overdue[kind.value] += 1
        if escalation.opened_at < window_start:
            continue

        opened += 1
        by_target, by_severity = counts[(week_start(escalation.opened_at) - first_monday).days // 7]
        by_target[escalation.target.value] += 1
        by_severity[escalation.severity.value] += 1
        acknowledged = acknowledged_at.get(escalation.id)
        if acknowledged is not None:
            to_acknowledge.append(_hours(escalation.opened_at, acknowledged))
        if escalation.resolved_at is not None:
            to_resolve.append(_hours(escalation.opened_at, escalation.resolved_at))
        if escalation.status in _ENDED:
            ended += 1
            if escalation.deescalation_reason is not None:
                deescalated += 1

    return Report(
        weeks=tuple(
            WeekCounts(first_monday + timedelta(weeks=i), by_target, by_severity)
            for i, (by_target, by_severity) in enumerate(counts)
        ),
        opened=opened,
        time_to_acknowledge=summarize(to_acknowledge),
        time_to_resolve=summarize(to_resolve),
        followups_overdue=overdue,
        deescalated=deescalated,
        ended=ended,
        deescalation_rate=deescalated / ended if ended else None,
    )


def week_start(moment: datetime) -> date:
    """The Monday (UTC) of the ISO week that contains `moment`."""
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def summarize(hours: Iterable[float]) -> Duration:
    """Count, median and 90th percentile of some durations in hours."""
    ordered = sorted(hours)
    if not ordered:
        return Duration(0, None, None)
    return Duration(len(ordered), percentile(ordered, 0.5), percentile(ordered, 0.9))


def percentile(ordered: Sequence[float], q: float) -> float:
    """The q-th quantile (0 <= q <= 1) of sorted values, interpolating between closest ranks."""
    if not ordered:
        raise ValueError("percentile of no values: pass at least one value")
    if not 0 <= q <= 1:
        raise ValueError(f"q must be between 0 and 1, got {q!r}")
    position = (len(ordered) - 1) * q
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    fraction = position - below
    return ordered[below] + (ordered[above] - ordered[below]) * fraction


def _hours(start: datetime, end: datetime) -> float:
    return max((end - start).total_seconds(), 0.0) / 3600
