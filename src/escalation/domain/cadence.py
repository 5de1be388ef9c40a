"""Follow-up cadence: when the next internal follow-up and customer update fall due.

The seed's table, as policy defaults: internal follow-up Critical every 2 h, High every 4 h,
Medium daily; customer update Critical every 2-4 h (or the customer's contractual
`update_hours` when stricter), High 4-8 h, Medium every 1-2 business days. A window "2-4 h" is
due at 2 h and overdue after 4 h; an internal follow-up is overdue `internal_grace_minutes`
after it fell due. Business time is the customer's (their zone, hours and holidays).

The desk stores each next due time and compares it with `now`; nothing here depends on a
periodic job having run, so a missed run can never skip a reminder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from escalation.domain.calendar import BusinessCalendar
from escalation.domain.model import Escalation, FollowupClock, FollowupKind, Severity
from escalation.domain.policy import Policy


class FollowupState(StrEnum):
    """How urgent a follow-up is at a given moment."""

    UPCOMING = "upcoming"
    DUE_SOON = "due_soon"
    DUE = "due"
    OVERDUE = "overdue"


_URGENCY = {
    FollowupState.OVERDUE: 0,
    FollowupState.DUE: 1,
    FollowupState.DUE_SOON: 2,
    FollowupState.UPCOMING: 3,
}


def plan_internal(
    severity: Severity, policy: Policy, calendar: BusinessCalendar, since: datetime
) -> FollowupClock:
    """The next internal follow-up after one at `since` (or after opening)."""
    cadence = policy.followups.cadences[severity]
    due = calendar.advance(since, cadence.internal)
    grace = timedelta(minutes=policy.followups.internal_grace_minutes)
    return FollowupClock(FollowupKind.INTERNAL, due, _later(due, grace))


def plan_customer(
    severity: Severity,
    policy: Policy,
    calendar: BusinessCalendar,
    since: datetime,
    update_hours: float | None = None,
) -> FollowupClock:
    """The next customer update after one at `since`; a stricter contract wins ("or per SLA")."""
    cadence = policy.followups.cadences[severity]
    due = calendar.advance(since, cadence.customer_due)
    overdue = calendar.advance(since, cadence.customer_overdue)
    if update_hours is not None:
        contractual = _later(since, timedelta(hours=update_hours)).astimezone(overdue.tzinfo)
        overdue = min(overdue, contractual, key=_instant)
        due = min(due, overdue, key=_instant)
    return FollowupClock(FollowupKind.CUSTOMER, due, max(due, overdue, key=_instant))


def _instant(at: datetime) -> datetime:
    """The same moment in UTC: datetimes sharing a zone compare by wall time otherwise."""
    return at.astimezone(UTC)


def _later(at: datetime, span: timedelta) -> datetime:
    """`at` plus real elapsed time (not wall-clock time across a DST change), in at's zone."""
    return (_instant(at) + span).astimezone(at.tzinfo)


def plan(
    escalation: Escalation,
    policy: Policy,
    calendar: BusinessCalendar,
    internal_since: datetime,
    customer_since: datetime,
) -> tuple[FollowupClock, FollowupClock]:
    """Both clocks of an active escalation, from the last follow-up of each kind."""
    return (
        plan_internal(escalation.severity, policy, calendar, internal_since),
        plan_customer(escalation.severity, policy, calendar, customer_since,
                      escalation.customer.update_hours),
    )


@dataclass(frozen=True, slots=True)
class FollowupStatus:
    """A follow-up's state at `now`, and by how much (time to due, or past due/overdue)."""

    escalation_id: str
    kind: FollowupKind
    state: FollowupState
    due_at: datetime
    overdue_at: datetime
    delta: timedelta  # positive: time until due; negative: time past due

    @property
    def urgency(self) -> tuple[int, datetime]:
        """Sort key: overdue first, then due, due soon, upcoming; earliest due first."""
        return (_URGENCY[self.state], self.due_at)


def state_of(clock: FollowupClock, now: datetime, policy: Policy) -> FollowupState:
    """upcoming / due_soon / due / overdue for one clock at `now`."""
    moment = _instant(now)
    due = _instant(clock.due_at)
    if moment >= _instant(clock.overdue_at):
        return FollowupState.OVERDUE
    if moment >= due:
        return FollowupState.DUE
    if moment >= due - timedelta(minutes=policy.followups.due_soon_minutes):
        return FollowupState.DUE_SOON
    return FollowupState.UPCOMING


def status_of(
    escalation_id: str, clock: FollowupClock, now: datetime, policy: Policy
) -> FollowupStatus:
    """The full status of one clock at `now`."""
    return FollowupStatus(
        escalation_id, clock.kind, state_of(clock, now, policy), clock.due_at,
        clock.overdue_at, _instant(clock.due_at) - _instant(now),
    )


def horizon(now: datetime, policy: Policy) -> datetime:
    """Clocks due before this moment are due soon, due or overdue at `now`."""
    return now + timedelta(minutes=policy.followups.due_soon_minutes)


def by_urgency(statuses: list[FollowupStatus]) -> list[FollowupStatus]:
    """Most urgent first."""
    return sorted(statuses, key=lambda s: s.urgency)


def snooze(clock: FollowupClock, now: datetime, span: timedelta) -> FollowupClock:
    """Push a follow-up back: due `span` after now (or after its due time, if that is later)."""
    if span <= timedelta(0):
        raise ValueError("a snooze must last longer than zero")
    start = max(_instant(clock.due_at), _instant(now))
    shift = start + span - _instant(clock.due_at)
    return FollowupClock(clock.kind, _later(clock.due_at, shift),
                         _later(clock.overdue_at, shift))
