"""Reports: weekly counts, time to acknowledge and resolve, overdue follow-ups, de-escalations."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalation.domain.model import (
    DeEscalationReason,
    Escalation,
    FollowupClock,
    FollowupKind,
    Severity,
    Status,
    Target,
)
from escalation.domain.reports import Duration, build_report, percentile, summarize, week_start
from support import T0

NOW = T0 + timedelta(days=2)  # Thursday 2026-11-26 15:00 UTC
THIS_MONDAY = date(2026, 11, 23)
WINDOW_START = datetime(2026, 10, 5, tzinfo=UTC)  # Monday of the first of 8 weeks
H = timedelta(hours=1)


def escalation(
    escalation_id: str,
    opened_at: datetime,
    *,
    status: Status = Status.OPEN,
    severity: Severity = Severity.HIGH,
    target: Target = Target.ENGINEERING,
    **fields: Any,
) -> Escalation:
    return Escalation(
        id=escalation_id, ticket_id=f"ZD-{escalation_id}", status=status, severity=severity,
        target=target, opened_at=opened_at, owner="ana", **fields,
    )


def clock(kind: FollowupKind, overdue_at: datetime) -> FollowupClock:
    return FollowupClock(kind, overdue_at - H, overdue_at)


def test_no_escalations_gives_eight_zero_filled_weeks_ending_this_week() -> None:
    report = build_report([], {}, NOW)

    assert [w.week_start for w in report.weeks] == [
        THIS_MONDAY - timedelta(weeks=7 - i) for i in range(8)
    ]
    assert all(w.week_start.weekday() == 0 for w in report.weeks)
    for week in report.weeks:
        assert week.by_target == {t.value: 0 for t in Target}
        assert week.by_severity == {s.value: 0 for s in Severity}
    assert report.opened == 0
    assert report.time_to_acknowledge == Duration(0, None, None)
    assert report.time_to_resolve == Duration(0, None, None)
    assert report.followups_overdue == {"internal": 0, "customer": 0}
    assert (report.deescalated, report.ended, report.deescalation_rate) == (0, 0, None)


def test_weeks_argument_sets_the_window_and_must_be_at_least_one() -> None:
    assert [w.week_start for w in build_report([], {}, NOW, weeks=1).weeks] == [THIS_MONDAY]
    assert len(build_report([], {}, NOW, weeks=52).weeks) == 52
    for bad in (0, -3):
        with pytest.raises(ValueError, match="weeks"):
            build_report([], {}, NOW, weeks=bad)


def test_now_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="now"):
        build_report([], {}, NOW.replace(tzinfo=None))


def test_weeks_start_on_monday_midnight_utc() -> None:
    report = build_report(
        [
            escalation("sun", datetime(2026, 11, 22, 23, 59, 59, tzinfo=UTC)),
            escalation("mon", datetime(2026, 11, 23, 0, 0, tzinfo=UTC)),
            # Monday 01:00 in Karachi is still Sunday in UTC.
            escalation("pk", datetime(2026, 11, 23, 1, 0, tzinfo=timezone(timedelta(hours=5)))),
        ],
        {},
        NOW,
    )
    last, before = report.weeks[-1], report.weeks[-2]
    assert before.week_start == date(2026, 11, 16)
    assert last.by_target["engineering"] == 1
    assert before.by_target["engineering"] == 2
    assert week_start(datetime(2026, 11, 29, 23, 59, tzinfo=UTC)) == THIS_MONDAY
    assert week_start(datetime(2026, 11, 30, 0, 0, tzinfo=UTC)) == date(2026, 11, 30)


def test_only_escalations_opened_inside_the_window_count() -> None:
    report = build_report(
        [
            escalation("before", WINDOW_START - timedelta(seconds=1)),
            escalation("first", WINDOW_START),
            escalation("at-now", NOW),
        ],
        {"before": WINDOW_START + H, "first": WINDOW_START + H},
        NOW,
    )
    assert report.opened == 2
    assert report.weeks[0].by_severity["high"] == 1
    assert report.weeks[-1].by_severity["high"] == 1
    assert report.time_to_acknowledge == Duration(1, 1.0, 1.0)


def test_counts_by_target_and_severity() -> None:
    report = build_report(
        [
            escalation("a", T0, target=Target.SECURITY, severity=Severity.CRITICAL),
            escalation("b", T0, target=Target.SECURITY, severity=Severity.HIGH),
            escalation("c", T0, target=Target.PRODUCT, severity=Severity.MEDIUM),
            escalation("d", T0 - timedelta(weeks=3), target=Target.L2, severity=Severity.MEDIUM),
        ],
        {},
        NOW,
    )
    assert report.opened == 4
    assert report.weeks[-1].by_target == {
        "l2": 0, "engineering": 0, "product": 1, "security": 2, "leadership": 0,
    }
    assert report.weeks[-1].by_severity == {"critical": 1, "high": 1, "medium": 1}
    assert report.weeks[-4].by_target["l2"] == 1
    assert report.weeks[-4].by_severity["medium"] == 1
    assert sum(sum(w.by_target.values()) for w in report.weeks) == report.opened


def test_time_to_acknowledge_median_and_p90_by_hand() -> None:
    hours = [10, 1, 4, 2, 3]  # sorted 1 2 3 4 10
    escalations = [escalation(f"e{i}", T0 - timedelta(days=i)) for i in range(len(hours))]
    acknowledged = {e.id: e.opened_at + h * H for e, h in zip(escalations, hours, strict=True)}
    acknowledged["unknown"] = T0  # an id the report was not given is ignored

    report = build_report([*escalations, escalation("not-acked", T0)], acknowledged, NOW)

    # Median: the middle value, 3. p90: position (5 - 1) * 0.9 = 3.6, 4 + 0.6 * (10 - 4) = 7.6.
    assert report.time_to_acknowledge.count == 5
    assert report.time_to_acknowledge.median_hours == pytest.approx(3.0)
    assert report.time_to_acknowledge.p90_hours == pytest.approx(7.6)


def test_time_to_resolve_interpolates_an_even_count() -> None:
    escalations = [
        escalation(f"r{h}", T0 - timedelta(days=5), status=Status.RESOLVED,
                   resolved_at=T0 - timedelta(days=5) + h * H)
        for h in (8, 2, 6, 4)
    ]
    report = build_report([*escalations, escalation("open", T0)], {}, NOW)

    # Median of 2 4 6 8 is (4 + 6) / 2 = 5; p90 at position 3 * 0.9 = 2.7: 6 + 0.7 * 2 = 7.4.
    assert report.time_to_resolve.count == 4
    assert report.time_to_resolve.median_hours == pytest.approx(5.0)
    assert report.time_to_resolve.p90_hours == pytest.approx(7.4)


def test_a_single_duration_is_its_own_median_and_p90() -> None:
    assert summarize([2.5]) == Duration(1, 2.5, 2.5)
    assert summarize([]) == Duration(0, None, None)


def test_percentile_end_points_and_errors() -> None:
    values = [1.0, 2.0, 3.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 1) == 3.0
    assert percentile(values, 0.25) == pytest.approx(1.5)
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.5)
    with pytest.raises(ValueError, match="q"):
        percentile(values, 1.5)


def test_an_acknowledgement_before_opening_counts_as_zero_hours() -> None:
    report = build_report([escalation("skew", T0)], {"skew": T0 - 2 * H}, NOW)
    assert report.time_to_acknowledge == Duration(1, 0.0, 0.0)


def test_overdue_followups_of_active_escalations() -> None:
    escalations = [
        # Overdue exactly at now counts; the customer update is not overdue yet.
        escalation("a", T0, internal=clock(FollowupKind.INTERNAL, NOW),
                   customer_update=clock(FollowupKind.CUSTOMER, NOW + H)),
        escalation("b", T0, status=Status.IN_PROGRESS,
                   internal=clock(FollowupKind.INTERNAL, NOW - H),
                   customer_update=clock(FollowupKind.CUSTOMER, NOW - 3 * H)),
        # Opened long before the window, still active: its follow-ups are owed now.
        escalation("old", WINDOW_START - timedelta(weeks=10), status=Status.ACKNOWLEDGED,
                   customer_update=clock(FollowupKind.CUSTOMER, NOW - 30 * H)),
        # Ended: its clocks no longer run.
        escalation("done", T0, status=Status.RESOLVED, resolved_at=T0 + H,
                   internal=clock(FollowupKind.INTERNAL, NOW - H)),
    ]
    report = build_report(escalations, {}, NOW)
    assert report.followups_overdue == {"internal": 2, "customer": 2}
    assert report.opened == 3


def test_deescalation_rate_over_ended_escalations() -> None:
    reason = DeEscalationReason.WORKAROUND_FOUND
    escalations = [
        escalation("de", T0, status=Status.DE_ESCALATED, deescalation_reason=reason,
                   resolved_at=T0 + 2 * H),
        escalation("de-closed", T0, status=Status.CLOSED, deescalation_reason=reason,
                   resolved_at=T0 + 4 * H, closed_at=T0 + 5 * H),
        escalation("resolved", T0, status=Status.RESOLVED, resolved_at=T0 + 6 * H),
        escalation("closed", T0, status=Status.CLOSED, resolved_at=T0 + 8 * H,
                   closed_at=T0 + 9 * H),
        escalation("active", T0, status=Status.IN_PROGRESS),
        # Ended, but opened before the window: not part of this report's rate.
        escalation("old", WINDOW_START - H, status=Status.DE_ESCALATED,
                   deescalation_reason=reason, resolved_at=WINDOW_START + H),
    ]
    report = build_report(escalations, {}, NOW)
    assert (report.deescalated, report.ended) == (2, 4)
    assert report.deescalation_rate == 0.5
    # De-escalating sets resolved_at too, so those count in the time to resolve.
    assert report.time_to_resolve.count == 4
    assert report.time_to_resolve.median_hours == pytest.approx(5.0)


def test_deescalation_rate_is_none_when_nothing_ended() -> None:
    report = build_report([escalation("a", T0), escalation("b", T0)], {}, NOW)
    assert (report.deescalated, report.ended, report.deescalation_rate) == (0, 0, None)


def test_escalations_opened_after_now_are_ignored() -> None:
    later = NOW + timedelta(minutes=1)
    future = escalation(
        "future", later, status=Status.RESOLVED, resolved_at=later + H,
        internal=clock(FollowupKind.INTERNAL, NOW - H),
    )
    future_active = escalation(
        "future-active", later, customer_update=clock(FollowupKind.CUSTOMER, NOW - H)
    )
    report = build_report([future, future_active], {"future": later + H}, NOW)
    assert report == build_report([], {}, NOW)


_MOMENTS = st.datetimes(
    min_value=datetime(2026, 6, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
)
_ESCALATIONS = st.lists(
    st.builds(
        lambda opened, status, severity, target, hours: escalation(
            f"{opened.isoformat()}-{status}-{hours}", opened, status=status, severity=severity,
            target=target,
            resolved_at=None if status.is_active else opened + hours * H,
            internal=clock(FollowupKind.INTERNAL, opened + hours * H),
        ),
        _MOMENTS, st.sampled_from(Status), st.sampled_from(Severity), st.sampled_from(Target),
        st.integers(0, 500),
    ),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(_ESCALATIONS, _MOMENTS, st.integers(1, 30))
def test_report_is_consistent_and_independent_of_order(
    escalations: list[Escalation], now: datetime, weeks: int
) -> None:
    report = build_report(escalations, {}, now, weeks)
    assert report == build_report(list(reversed(escalations)), {}, now, weeks)
    assert len(report.weeks) == weeks
    assert report.weeks[-1].week_start == week_start(now)
    for earlier, later in pairwise(report.weeks):
        assert later.week_start - earlier.week_start == timedelta(weeks=1)
    assert sum(sum(w.by_target.values()) for w in report.weeks) == report.opened
    assert sum(sum(w.by_severity.values()) for w in report.weeks) == report.opened
    assert report.deescalated <= report.ended <= report.opened
    assert report.time_to_resolve.count <= report.opened
    summary = report.time_to_resolve
    if summary.count:
        assert summary.median_hours is not None and summary.p90_hours is not None
        assert 0 <= summary.median_hours <= summary.p90_hours
