"""An escalation's life: which actions each state allows, de-escalation, and closing the loop.

    open ──ack──▶ acknowledged ──start──▶ in_progress
      │                │                      │
      └────────────────┴──── resolve ─────────┴──▶ resolved ─────┐
      └────────────────┴──── deescalate ──────┴──▶ de_escalated ─┴─ close ─▶ closed
    resolved | de_escalated | closed ── reopen ──▶ open

Reopen exists because the seed treats "a recurring issue that was supposedly fixed" as a
reason to escalate: the same escalation comes back with its history instead of a new one
starting from nothing. Reopening clears the closing checklist; the follow-up clocks restart.
Every refusal names the current state and what is allowed from it, and changes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from enum import StrEnum

from escalation.domain.model import (
    ChecklistItem,
    DeEscalationReason,
    Escalation,
    FixKind,
    Severity,
    Status,
)


class Action(StrEnum):
    """Things people do to an escalation."""

    ACKNOWLEDGE = "acknowledge"
    START = "start"
    FOLLOW_UP = "follow_up"
    CHANGE_SEVERITY = "change_severity"
    LINK = "link"
    CHECKLIST = "checklist"
    RESOLVE = "resolve"
    DE_ESCALATE = "de_escalate"
    CLOSE = "close"
    REOPEN = "reopen"


_ACTIVE = (Status.OPEN, Status.ACKNOWLEDGED, Status.IN_PROGRESS)
_ENDED = (Status.RESOLVED, Status.DE_ESCALATED)

# Action -> states it is allowed from.
ALLOWED_FROM: dict[Action, tuple[Status, ...]] = {
    Action.ACKNOWLEDGE: (Status.OPEN,),
    Action.START: (Status.OPEN, Status.ACKNOWLEDGED),
    Action.FOLLOW_UP: (*_ACTIVE, *_ENDED),
    Action.CHANGE_SEVERITY: _ACTIVE,
    Action.LINK: _ACTIVE,
    Action.CHECKLIST: (*_ACTIVE, *_ENDED),
    Action.RESOLVE: _ACTIVE,
    Action.DE_ESCALATE: _ACTIVE,
    Action.CLOSE: _ENDED,
    Action.REOPEN: (*_ENDED, Status.CLOSED),
}

# Action -> the state it leads to (actions missing here keep the state).
LEADS_TO: dict[Action, Status] = {
    Action.ACKNOWLEDGE: Status.ACKNOWLEDGED,
    Action.START: Status.IN_PROGRESS,
    Action.RESOLVE: Status.RESOLVED,
    Action.DE_ESCALATE: Status.DE_ESCALATED,
    Action.CLOSE: Status.CLOSED,
    Action.REOPEN: Status.OPEN,
}


class LifecycleError(ValueError):
    """An action the escalation's current state does not allow, or a step not yet done."""

    def __init__(self, escalation_id: str, message: str):
        self.escalation_id = escalation_id
        super().__init__(f"{escalation_id}: {message}")


def allowed_actions(status: Status) -> tuple[Action, ...]:
    """What can be done to an escalation in `status`."""
    return tuple(action for action, states in ALLOWED_FROM.items() if status in states)


def check_allowed(escalation: Escalation, action: Action) -> None:
    """Raise LifecycleError naming the current state and the allowed actions."""
    if escalation.status not in ALLOWED_FROM[action]:
        raise LifecycleError(escalation.id, _refusal(escalation, action))


def _refusal(escalation: Escalation, action: Action, still_missing: str = "") -> str:
    allowed = ", ".join(a.value for a in allowed_actions(escalation.status)) or "nothing"
    needs = " or ".join(s.value for s in ALLOWED_FROM[action])
    return (f"cannot {action.value} while {escalation.status.value} (only when {needs})"
            f"{still_missing}; allowed now: {allowed}")


def _moved(escalation: Escalation, action: Action, now: datetime) -> Escalation:
    check_allowed(escalation, action)
    return replace(escalation, status=LEADS_TO.get(action, escalation.status),
                   version=escalation.version + 1)


def acknowledge(escalation: Escalation, now: datetime) -> Escalation:
    """The receiving team has seen it."""
    return _moved(escalation, Action.ACKNOWLEDGE, now)


def start(escalation: Escalation, now: datetime) -> Escalation:
    """The receiving team is working on it."""
    return _moved(escalation, Action.START, now)


def change_severity(escalation: Escalation, severity: Severity, reason: str) -> Escalation:
    """Adjust severity when the situation changes (better or worse); a reason is required."""
    check_allowed(escalation, Action.CHANGE_SEVERITY)
    if not reason.strip():
        raise LifecycleError(escalation.id, "a severity change needs a reason (--reason)")
    if severity is escalation.severity:
        raise LifecycleError(escalation.id, f"severity is already {severity.value}")
    return replace(escalation, severity=severity, version=escalation.version + 1)


def resolve(
    escalation: Escalation, resolution: str, learning: str, fix_kind: FixKind, now: datetime
) -> Escalation:
    """Record how it was resolved and what was learned; the clocks stop."""
    escalation_moved = _moved(escalation, Action.RESOLVE, now)
    if not resolution.strip():
        raise LifecycleError(escalation.id, "a resolution is required (--resolution)")
    if not learning.strip():
        raise LifecycleError(escalation.id, "document what was learned (--learning)")
    return replace(
        escalation_moved, resolution=resolution.strip(), learning=learning.strip(),
        fix_kind=fix_kind, resolved_at=now, internal=None, customer_update=None,
    )


def de_escalate(
    escalation: Escalation, reason: DeEscalationReason, note: str, now: datetime
) -> Escalation:
    """Step down for one of the seed's four reasons; the note documents the root cause."""
    escalation_moved = _moved(escalation, Action.DE_ESCALATE, now)
    if not note.strip():
        raise LifecycleError(
            escalation.id,
            "a de-escalation note is required: document the root cause, even when the issue "
            "resolved itself (--note)",
        )
    return replace(
        escalation_moved, deescalation_reason=reason, deescalation_note=note.strip(),
        resolved_at=now, internal=None, customer_update=None,
    )


def tick(escalation: Escalation, item: ChecklistItem) -> Escalation:
    """Mark one closing-checklist item done (idempotent items are refused, not repeated)."""
    check_allowed(escalation, Action.CHECKLIST)
    if item in escalation.checklist:
        raise LifecycleError(escalation.id, f"checklist item {item.value} is already done")
    return replace(escalation, checklist=escalation.checklist | {item},
                   version=escalation.version + 1)


def closing_gaps(escalation: Escalation) -> tuple[str, ...]:
    """What still stands between the escalation and `close`, in the seed's order."""
    if escalation.status is Status.CLOSED:
        return ()
    gaps: list[str] = []
    if escalation.status not in _ENDED:
        gaps.append(f"a resolution or de-escalation (status is {escalation.status.value})")
    gaps += [
        f"checklist: {item.value}" for item in ChecklistItem if item not in escalation.checklist
    ]
    return tuple(gaps)


def close(escalation: Escalation, now: datetime) -> Escalation:
    """Close the loop; refused while the checklist or the resolution is missing.

    The refusal lists everything still missing at once, not one step at a time.
    """
    gaps = closing_gaps(escalation)
    if escalation.status not in ALLOWED_FROM[Action.CLOSE]:
        missing = f"; to close, still missing: {' and '.join(gaps)}" if gaps else ""
        raise LifecycleError(escalation.id, _refusal(escalation, Action.CLOSE, missing))
    if gaps:
        raise LifecycleError(escalation.id, "cannot close yet; missing " + "; ".join(gaps))
    return replace(escalation, status=Status.CLOSED, closed_at=now,
                   version=escalation.version + 1)


def reopen(escalation: Escalation, reason: str, now: datetime) -> Escalation:
    """Bring a resolved, de-escalated or closed escalation back (e.g. the issue recurred)."""
    escalation_moved = _moved(escalation, Action.REOPEN, now)
    if not reason.strip():
        raise LifecycleError(escalation.id, "reopening needs a reason (--reason)")
    # The previous cycle's resolution stays in the audit trail and the learnings.
    return replace(
        escalation_moved, checklist=frozenset(), closed_at=None, resolved_at=None,
        resolution=None, learning=None, fix_kind=None, deescalation_reason=None,
        deescalation_note=None,
    )
