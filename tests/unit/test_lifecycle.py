"""Escalation lifecycle: the transition table, refusals, de-escalation, closing the loop, reopen."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import combinations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from escalation.domain import lifecycle
from escalation.domain.lifecycle import Action, LifecycleError, check_allowed, closing_gaps
from escalation.domain.model import (
    ChecklistItem,
    DeEscalationReason,
    Escalation,
    FixKind,
    FollowupClock,
    FollowupKind,
    Severity,
    Status,
    Target,
)

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
OPENED = NOW - timedelta(hours=3)
ALL_ITEMS = frozenset(ChecklistItem)
ACTIVE = (Status.OPEN, Status.ACKNOWLEDGED, Status.IN_PROGRESS)
ENDED = (Status.RESOLVED, Status.DE_ESCALATED)

# The lifecycle as the issue describes it, written out independently of lifecycle.py:
# (state, action) -> the state it leads to; pairs missing here must be refused.
EXPECTED: dict[tuple[Status, Action], Status] = {
    (Status.OPEN, Action.ACKNOWLEDGE): Status.ACKNOWLEDGED,
    **{(s, Action.START): Status.IN_PROGRESS for s in (Status.OPEN, Status.ACKNOWLEDGED)},
    **{(s, Action.CHANGE_SEVERITY): s for s in ACTIVE},
    **{(s, Action.LINK): s for s in ACTIVE},
    **{(s, Action.FOLLOW_UP): s for s in (*ACTIVE, *ENDED)},
    **{(s, Action.CHECKLIST): s for s in (*ACTIVE, *ENDED)},
    **{(s, Action.RESOLVE): Status.RESOLVED for s in ACTIVE},
    **{(s, Action.DE_ESCALATE): Status.DE_ESCALATED for s in ACTIVE},
    **{(s, Action.CLOSE): Status.CLOSED for s in ENDED},
    **{(s, Action.REOPEN): Status.OPEN for s in (*ENDED, Status.CLOSED)},
}


def allowed_in(status: Status) -> set[str]:
    return {action.value for (s, action) in EXPECTED if s is status}


def clocks(since: datetime = NOW) -> tuple[FollowupClock, FollowupClock]:
    return (
        FollowupClock(FollowupKind.INTERNAL, since + timedelta(hours=2),
                      since + timedelta(hours=2, minutes=30)),
        FollowupClock(FollowupKind.CUSTOMER, since + timedelta(hours=2),
                      since + timedelta(hours=4)),
    )


def escalation(status: Status = Status.OPEN, **changes: object) -> Escalation:
    """An escalation in `status` with the fields that status implies."""
    internal, customer = clocks()
    base = Escalation(
        id="ESC-7",
        ticket_id="T-100",
        status=Status.OPEN,
        severity=Severity.HIGH,
        target=Target.ENGINEERING,
        opened_at=OPENED,
        owner="mei",
        internal=internal,
        customer_update=customer,
        version=5,
    )
    if status is Status.RESOLVED:
        base = replace(base, resolution="patched config", learning="check flag X",
                       fix_kind=FixKind.SUPPORT, resolved_at=NOW, internal=None,
                       customer_update=None)
    elif status is Status.DE_ESCALATED:
        base = replace(base, deescalation_reason=DeEscalationReason.WORKAROUND_FOUND,
                       deescalation_note="export via API", resolved_at=NOW, internal=None,
                       customer_update=None)
    elif status is Status.CLOSED:
        base = replace(base, resolution="patched config", learning="check flag X",
                       fix_kind=FixKind.SUPPORT, resolved_at=NOW, closed_at=NOW,
                       checklist=ALL_ITEMS, internal=None, customer_update=None)
    return replace(base, status=status, **changes)  # type: ignore[arg-type]


# Each action performed with valid arguments; `prepare` puts the input in a state where only
# the lifecycle (not the arguments) can refuse it.
Perform = Callable[[Escalation], Escalation]


def _other_severity(e: Escalation) -> Severity:
    return Severity.CRITICAL if e.severity is not Severity.CRITICAL else Severity.MEDIUM


PERFORM: dict[Action, tuple[Callable[[Escalation], Escalation], Perform]] = {
    Action.ACKNOWLEDGE: (lambda e: e, lambda e: lifecycle.acknowledge(e, NOW)),
    Action.START: (lambda e: e, lambda e: lifecycle.start(e, NOW)),
    Action.CHANGE_SEVERITY: (
        lambda e: e,
        lambda e: lifecycle.change_severity(e, _other_severity(e), "customer count doubled"),
    ),
    Action.CHECKLIST: (
        lambda e: replace(e, checklist=frozenset()),
        lambda e: lifecycle.tick(e, ChecklistItem.NOTIFY_TEAM),
    ),
    Action.RESOLVE: (
        lambda e: e,
        lambda e: lifecycle.resolve(e, "rolled back", "add a canary", FixKind.CODE_FIX, NOW),
    ),
    Action.DE_ESCALATE: (
        lambda e: e,
        lambda e: lifecycle.de_escalate(
            e, DeEscalationReason.SELF_RESOLVED, "cache expired; root cause TTL", NOW
        ),
    ),
    Action.CLOSE: (
        lambda e: replace(e, checklist=ALL_ITEMS),
        lambda e: lifecycle.close(e, NOW),
    ),
    Action.REOPEN: (lambda e: e, lambda e: lifecycle.reopen(e, "recurred after fix", NOW)),
}

PAIRS = [(status, action) for status in Status for action in Action]
PERFORMED_PAIRS = [(s, a) for (s, a) in PAIRS if a in PERFORM]


def _id(value: object) -> str:
    return str(getattr(value, "value", value))


def test_expected_table_covers_every_status() -> None:
    # Every state has a way forward (no dead end) and closed can only be reopened.
    for status in Status:
        assert allowed_in(status), status
    assert allowed_in(Status.CLOSED) == {"reopen"}


@pytest.mark.parametrize(("status", "action"), PAIRS, ids=_id)
def test_check_allowed_matches_the_table(status: Status, action: Action) -> None:
    e = escalation(status)
    if (status, action) in EXPECTED:
        check_allowed(e, action)
    else:
        with pytest.raises(LifecycleError):
            check_allowed(e, action)


@pytest.mark.parametrize(("status", "action"), PERFORMED_PAIRS, ids=_id)
def test_every_transition(status: Status, action: Action) -> None:
    prepare, perform = PERFORM[action]
    before = prepare(escalation(status))
    snapshot = replace(before)
    if (status, action) in EXPECTED:
        after = perform(before)
        assert after.status is EXPECTED[(status, action)]
        assert after.version == before.version + 1
        assert before == snapshot  # the input is a value, never modified
    else:
        with pytest.raises(LifecycleError) as refused:
            perform(before)
        message = str(refused.value)
        assert f"while {status.value}" in message
        allowed_now = message.split("allowed now: ", 1)[1]
        assert set(allowed_now.split(", ")) == allowed_in(status)
        assert refused.value.escalation_id == "ESC-7"
        assert before == snapshot


@pytest.mark.parametrize("status", list(Status), ids=_id)
def test_escalation_is_frozen(status: Status) -> None:
    e = escalation(status)
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.status = Status.CLOSED  # type: ignore[misc]


def test_refusal_names_what_the_action_needs() -> None:
    with pytest.raises(LifecycleError, match=r"cannot close while open \(only when resolved or "
                                             r"de_escalated\)"):
        lifecycle.close(escalation(Status.OPEN, checklist=ALL_ITEMS), NOW)


# -- severity --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [(Severity.MEDIUM, Severity.CRITICAL), (Severity.HIGH, Severity.CRITICAL),
     (Severity.CRITICAL, Severity.MEDIUM), (Severity.HIGH, Severity.MEDIUM)],
    ids=_id,
)
@pytest.mark.parametrize("status", ACTIVE, ids=_id)
def test_severity_moves_up_and_down(status: Status, old: Severity, new: Severity) -> None:
    before = escalation(status, severity=old)
    after = lifecycle.change_severity(before, new, "three more customers reported it")
    assert after.severity is new
    assert after.status is status
    assert after.version == before.version + 1
    assert before.severity is old


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_severity_change_needs_a_reason(reason: str) -> None:
    before = escalation(Status.IN_PROGRESS)
    with pytest.raises(LifecycleError, match="needs a reason"):
        lifecycle.change_severity(before, Severity.CRITICAL, reason)
    assert before.severity is Severity.HIGH and before.version == 5


@pytest.mark.parametrize("severity", list(Severity), ids=_id)
def test_same_severity_is_refused(severity: Severity) -> None:
    before = escalation(severity=severity)
    with pytest.raises(LifecycleError, match=f"already {severity.value}"):
        lifecycle.change_severity(before, severity, "no change really")


# -- de-escalation ---------------------------------------------------------------------------


@pytest.mark.parametrize("reason", list(DeEscalationReason), ids=_id)
@pytest.mark.parametrize("note", ["", "  ", "\n"])
def test_de_escalation_needs_a_note_for_every_reason(
    reason: DeEscalationReason, note: str
) -> None:
    before = escalation(Status.IN_PROGRESS)
    with pytest.raises(LifecycleError, match="note is required"):
        lifecycle.de_escalate(before, reason, note, NOW)
    assert before.status is Status.IN_PROGRESS and before.deescalation_reason is None


@pytest.mark.parametrize("reason", list(DeEscalationReason), ids=_id)
@pytest.mark.parametrize("status", ACTIVE, ids=_id)
def test_de_escalation_records_reason_and_note(
    status: Status, reason: DeEscalationReason
) -> None:
    later = NOW + timedelta(minutes=7)
    after = lifecycle.de_escalate(
        escalation(status), reason, "  root cause: expired cert on mirror  ", later
    )
    assert after.status is Status.DE_ESCALATED
    assert after.deescalation_reason is reason
    assert after.deescalation_note == "root cause: expired cert on mirror"
    assert after.resolved_at == later
    assert after.internal is None and after.customer_update is None


# -- resolve ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resolution", "learning", "complaint"),
    [("", "a learning", "resolution is required"), ("  ", "a learning", "resolution is required"),
     ("fixed", "", "what was learned"), ("fixed", " \t", "what was learned")],
)
def test_resolve_needs_resolution_and_learning(
    resolution: str, learning: str, complaint: str
) -> None:
    before = escalation(Status.IN_PROGRESS)
    with pytest.raises(LifecycleError, match=complaint):
        lifecycle.resolve(before, resolution, learning, FixKind.CODE_FIX, NOW)
    assert before.status is Status.IN_PROGRESS and before.internal is not None


@pytest.mark.parametrize("fix_kind", list(FixKind), ids=_id)
def test_resolve_records_and_stops_the_clocks(fix_kind: FixKind) -> None:
    before = escalation(Status.ACKNOWLEDGED)
    assert before.internal is not None and before.customer_update is not None
    after = lifecycle.resolve(before, " rolled back v2.3 ", " canary exports ", fix_kind, NOW)
    assert after.status is Status.RESOLVED
    assert (after.resolution, after.learning, after.fix_kind) == (
        "rolled back v2.3", "canary exports", fix_kind
    )
    assert after.resolved_at == NOW
    assert after.internal is None and after.customer_update is None
    assert before.internal is not None  # input untouched


# -- checklist and close ---------------------------------------------------------------------


@pytest.mark.parametrize("item", list(ChecklistItem), ids=_id)
@pytest.mark.parametrize("status", (*ACTIVE, *ENDED), ids=_id)
def test_tick_adds_once_and_refuses_duplicates(status: Status, item: ChecklistItem) -> None:
    once = lifecycle.tick(escalation(status), item)
    assert once.checklist == {item}
    assert once.version == 6
    with pytest.raises(LifecycleError, match=f"{item.value} is already done"):
        lifecycle.tick(once, item)
    assert once.checklist == {item} and once.version == 6


def test_tick_refused_when_closed() -> None:
    closed = escalation(Status.CLOSED, checklist=frozenset())
    with pytest.raises(LifecycleError, match=r"allowed now: reopen$"):
        lifecycle.tick(closed, ChecklistItem.NOTIFY_TEAM)


SUBSETS = [frozenset(c) for n in range(5) for c in combinations(list(ChecklistItem), n)]


@pytest.mark.parametrize("done", SUBSETS, ids=lambda d: "+".join(sorted(d)) or "none")
@pytest.mark.parametrize("status", ENDED, ids=_id)
def test_close_needs_every_checklist_item(status: Status, done: frozenset[ChecklistItem]) -> None:
    before = escalation(status, checklist=done)
    missing = [item for item in ChecklistItem if item not in done]
    assert closing_gaps(before) == tuple(f"checklist: {item.value}" for item in missing)
    if not missing:
        after = lifecycle.close(before, NOW)
        assert after.status is Status.CLOSED and after.closed_at == NOW
        assert after.version == before.version + 1
        return
    with pytest.raises(LifecycleError) as refused:
        lifecycle.close(before, NOW)
    message = str(refused.value)
    listed = message.split("missing ", 1)[1].split("; ")
    assert listed == [f"checklist: {item.value}" for item in missing]
    assert before.status is status and before.closed_at is None


@pytest.mark.parametrize("status", ACTIVE, ids=_id)
def test_close_without_resolution_is_refused_even_with_a_full_checklist(status: Status) -> None:
    before = escalation(status, checklist=ALL_ITEMS)
    assert closing_gaps(before) == (f"a resolution or de-escalation (status is {status.value})",)
    with pytest.raises(LifecycleError, match=f"cannot close while {status.value}"):
        lifecycle.close(before, NOW)


def test_closing_gaps_lists_resolution_first_then_checklist_in_seed_order() -> None:
    before = escalation(Status.IN_PROGRESS, checklist=frozenset({ChecklistItem.UPDATE_TICKET}))
    assert closing_gaps(before) == (
        "a resolution or de-escalation (status is in_progress)",
        "checklist: notify_team",
        "checklist: inform_customer",
        "checklist: document_learning",
    )


def test_close_refusal_from_active_state_lists_everything_missing() -> None:
    before = escalation(Status.IN_PROGRESS, checklist=frozenset({ChecklistItem.UPDATE_TICKET}))
    with pytest.raises(LifecycleError) as refused:
        lifecycle.close(before, NOW)
    message = str(refused.value)
    for gap in closing_gaps(before):
        assert gap in message


# -- reopen ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", (*ENDED, Status.CLOSED), ids=_id)
def test_reopen_clears_the_checklist(status: Status) -> None:
    before = escalation(status, checklist=ALL_ITEMS)
    after = lifecycle.reopen(before, "came back after the fix", NOW)
    assert after.status is Status.OPEN
    assert after.checklist == frozenset()
    assert after.closed_at is None and after.resolved_at is None
    assert after.version == before.version + 1
    assert before.checklist == ALL_ITEMS


@pytest.mark.parametrize("reason", ["", "   "])
@pytest.mark.parametrize("status", (*ENDED, Status.CLOSED), ids=_id)
def test_reopen_needs_a_reason(status: Status, reason: str) -> None:
    before = escalation(status, checklist=ALL_ITEMS)
    with pytest.raises(LifecycleError, match="needs a reason"):
        lifecycle.reopen(before, reason, NOW)
    assert before.status is status and before.checklist == ALL_ITEMS


def test_full_walk_open_to_closed_and_back() -> None:
    e = escalation()
    e = lifecycle.acknowledge(e, NOW)
    e = lifecycle.start(e, NOW)
    e = lifecycle.change_severity(e, Severity.CRITICAL, "data loss confirmed")
    e = lifecycle.resolve(e, "restored backup", "alert on replica lag", FixKind.CODE_FIX, NOW)
    for item in ChecklistItem:
        e = lifecycle.tick(e, item)
    e = lifecycle.close(e, NOW)
    assert e.status is Status.CLOSED and e.version == 5 + 4 + 4 + 1
    e = lifecycle.reopen(e, "recurred", NOW)
    assert e.status is Status.OPEN and e.checklist == frozenset() and e.version == 15


# -- random action sequences -----------------------------------------------------------------

TEXT = st.sampled_from(["", "  ", "reason", "根本原因：证书过期"])


class LifecycleMachine(RuleBasedStateMachine):
    """Random actions with random (sometimes empty) arguments; a model tracks the state."""

    def __init__(self) -> None:
        super().__init__()
        self.e = escalation(Status.OPEN)
        self.model = Status.OPEN
        self.now = NOW

    def _apply(self, action: Action, perform: Perform, valid_args: bool) -> None:
        before = self.e
        self.now += timedelta(minutes=1)
        try:
            after = perform(before)
        except LifecycleError as refused:
            assert self.e == before
            assert refused.escalation_id == before.id
            # Refused only when the table or the arguments say so.
            assert (self.model, action) not in EXPECTED or not valid_args
            return
        assert (self.model, action) in EXPECTED and valid_args
        assert after.version == before.version + 1
        self.model = EXPECTED[(self.model, action)]
        assert after.status is self.model
        self.e = after

    @rule()
    def acknowledge(self) -> None:
        self._apply(Action.ACKNOWLEDGE, lambda e: lifecycle.acknowledge(e, self.now), True)

    @rule()
    def start(self) -> None:
        self._apply(Action.START, lambda e: lifecycle.start(e, self.now), True)

    @rule(severity=st.sampled_from(Severity), reason=TEXT)
    def change_severity(self, severity: Severity, reason: str) -> None:
        valid = bool(reason.strip()) and severity is not self.e.severity
        self._apply(Action.CHANGE_SEVERITY,
                    lambda e: lifecycle.change_severity(e, severity, reason), valid)

    @rule(resolution=TEXT, learning=TEXT, fix_kind=st.sampled_from(FixKind))
    def resolve(self, resolution: str, learning: str, fix_kind: FixKind) -> None:
        valid = bool(resolution.strip()) and bool(learning.strip())
        self._apply(Action.RESOLVE,
                    lambda e: lifecycle.resolve(e, resolution, learning, fix_kind, self.now),
                    valid)

    @rule(reason=st.sampled_from(DeEscalationReason), note=TEXT)
    def de_escalate(self, reason: DeEscalationReason, note: str) -> None:
        self._apply(Action.DE_ESCALATE,
                    lambda e: lifecycle.de_escalate(e, reason, note, self.now),
                    bool(note.strip()))

    @rule(item=st.sampled_from(ChecklistItem))
    def tick(self, item: ChecklistItem) -> None:
        self._apply(Action.CHECKLIST, lambda e: lifecycle.tick(e, item),
                    item not in self.e.checklist)

    @rule()
    def close(self) -> None:
        self._apply(Action.CLOSE, lambda e: lifecycle.close(e, self.now),
                    self.e.checklist == ALL_ITEMS)

    @rule(reason=TEXT)
    def reopen(self, reason: str) -> None:
        self._apply(Action.REOPEN, lambda e: lifecycle.reopen(e, reason, self.now),
                    bool(reason.strip()))

    @invariant()
    def closed_means_loop_closed(self) -> None:
        if self.e.status is Status.CLOSED:
            assert self.e.checklist == ALL_ITEMS
            assert self.e.resolution is not None or self.e.deescalation_reason is not None
            assert self.e.closed_at is not None

    @invariant()
    def clocks_stop_when_ended(self) -> None:
        if self.e.status in ENDED:
            assert self.e.internal is None and self.e.customer_update is None
            assert self.e.resolved_at is not None

    @invariant()
    def status_matches_model(self) -> None:
        assert self.e.status is self.model


LifecycleMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_lifecycle_state_machine = LifecycleMachine.TestCase
