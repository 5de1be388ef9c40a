"""The lifecycle use cases over a real store (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from escalation.adapters.db.store import Store
from escalation.domain.cadence import FollowupState
from escalation.domain.contract import ticket_from_mapping
from escalation.domain.lifecycle import LifecycleError
from escalation.domain.model import (
    ChecklistItem,
    DeEscalationReason,
    FixKind,
    FollowupKind,
    Severity,
    Status,
    Target,
)
from escalation.domain.policy import Policy
from escalation.services import Desk, DeskError
from support import T0, bug_ticket


@pytest.fixture
def desk(store: Store) -> Desk:
    return Desk(store, Policy(), "alice")


def actions(desk: Desk, escalation_id: str) -> list[str]:
    return [event.action for event in desk.timeline(escalation_id)]


def test_open_stores_ticket_assessment_escalation_and_first_event(desk: Desk) -> None:
    escalation, assessment = desk.open(bug_ticket(), T0)
    assert escalation.id == "ESC-1"
    assert escalation.status is Status.OPEN
    assert escalation.target is Target.ENGINEERING
    assert escalation.severity is assessment.severity is Severity.HIGH
    assert escalation.owner == "alice"
    # High: internal every 4 h, customer update due at 4 h and overdue after 8 h.
    assert escalation.internal is not None and escalation.customer_update is not None
    assert escalation.internal.due_at == T0 + timedelta(hours=4)
    assert escalation.customer_update.due_at == T0 + timedelta(hours=4)
    assert escalation.customer_update.overdue_at == T0 + timedelta(hours=8)
    events = desk.timeline("ESC-1")
    assert [e.action for e in events] == ["escalation.opened"]
    assert events[0].details["ticket"] == "ZD-1"
    assert events[0].details["policy"] == "seed-defaults@1"
    assert "technical.bug_code_fix" in events[0].details["reasons"]


def test_a_ticket_to_handle_in_support_is_not_opened_unless_forced(desk: Desk) -> None:
    howto = {"id": "ZD-9", "facts": {"category": "how_to"}}
    with pytest.raises(DeskError, match="should be handled in support"):
        desk.open(howto, T0)
    assert desk.verify_audit() == (0, None)  # nothing written
    with pytest.raises(DeskError, match="--target and --severity"):
        desk.open(howto, T0, force=True)
    forced, _ = desk.open(howto, T0, force=True, target=Target.L2, severity=Severity.MEDIUM)
    assert forced.target is Target.L2
    assert desk.timeline(forced.id)[0].details["forced"] is True


def test_the_whole_life_from_open_to_closed(desk: Desk) -> None:
    esc, _ = desk.open(bug_ticket(), T0)
    desk.acknowledge(esc.id, T0 + timedelta(minutes=10))
    desk.start(esc.id, T0 + timedelta(minutes=20), "reproducing on staging")
    desk.record_follow_up(esc.id, FollowupKind.INTERNAL, "fix in review", T0 + timedelta(hours=3))
    desk.record_follow_up(esc.id, FollowupKind.CUSTOMER, "told them ETA tomorrow",
                          T0 + timedelta(hours=3))
    desk.resolve(esc.id, "Patched the exporter's page size", "Exports >10k rows need paging",
                 T0 + timedelta(days=1))
    with pytest.raises(LifecycleError, match="checklist: notify_team"):
        desk.close(esc.id, T0 + timedelta(days=1))
    for item in ChecklistItem:
        desk.tick(esc.id, item, T0 + timedelta(days=1, minutes=5))
    closed = desk.close(esc.id, T0 + timedelta(days=1, minutes=10))
    assert closed.status is Status.CLOSED
    assert closed.fix_kind is FixKind.CODE_FIX  # engineering resolutions default to a code fix
    assert actions(desk, esc.id) == [
        "escalation.opened", "escalation.acknowledged", "escalation.in_progress",
        "followup.internal", "followup.customer", "escalation.resolved",
        "checklist.done", "checklist.done", "checklist.done", "checklist.done",
        "escalation.closed",
    ]
    checked, problem = desk.verify_audit()
    assert problem is None
    assert checked == 11


def test_refusals_name_the_state_change_nothing_and_write_no_event(desk: Desk) -> None:
    esc, _ = desk.open(bug_ticket(), T0)
    before = desk.show(esc.id, T0).escalation
    with pytest.raises(LifecycleError, match=r"cannot close while open .*allowed now: "):
        desk.close(esc.id, T0)
    with pytest.raises(LifecycleError, match="cannot reopen while open"):
        desk.reopen(esc.id, "again", T0)
    with pytest.raises(LifecycleError, match="a de-escalation note is required"):
        desk.de_escalate(esc.id, DeEscalationReason.SELF_RESOLVED, "  ", T0)
    with pytest.raises(LifecycleError, match="needs a reason"):
        desk.change_severity(esc.id, Severity.CRITICAL, "", T0)
    assert desk.show(esc.id, T0).escalation == before
    assert actions(desk, esc.id) == ["escalation.opened"]


def test_a_follow_up_restarts_its_own_clock_only(desk: Desk) -> None:
    esc, _ = desk.open(bug_ticket(), T0)
    later = T0 + timedelta(hours=3)
    after = desk.record_follow_up(esc.id, FollowupKind.INTERNAL, "checked with eng", later)
    assert after.internal is not None and after.customer_update is not None
    assert after.internal.due_at == later + timedelta(hours=4)
    assert after.customer_update == esc.customer_update
    assert after.last_internal_at == later


def test_severity_change_re_plans_both_clocks_at_once_and_is_audited(desk: Desk) -> None:
    esc, _ = desk.open(bug_ticket(), T0)
    when = T0 + timedelta(hours=1)
    changed = desk.change_severity(esc.id, Severity.CRITICAL, "second customer down", when)
    assert changed.severity is Severity.CRITICAL
    assert changed.internal is not None and changed.customer_update is not None
    assert changed.internal.due_at == when + timedelta(hours=2)
    assert changed.customer_update.overdue_at == when + timedelta(hours=4)
    event = desk.timeline(esc.id)[-1]
    assert event.action == "severity.changed"
    assert event.details["from"] == "high" and event.details["to"] == "critical"
    assert event.details["reason"] == "second customer down"
    down = desk.change_severity(esc.id, Severity.MEDIUM, "workaround found", when)
    assert down.severity is Severity.MEDIUM


def test_linking_tickets_counts_distinct_customers(desk: Desk) -> None:
    esc, _ = desk.open(bug_ticket(), T0)
    assert desk.link(esc.id, bug_ticket("ZD-2", "C-2"), T0).customers_affected == 2
    assert desk.link(esc.id, bug_ticket("ZD-3", "C-2"), T0).customers_affected == 2
    third = desk.link(esc.id, bug_ticket("ZD-4", "C-3"), T0)
    assert third.customers_affected == 3
    with pytest.raises(DeskError, match="already linked"):
        desk.link(esc.id, bug_ticket("ZD-4", "C-3"), T0)
    view = desk.show(esc.id, T0)
    assert view.linked_tickets == ("ZD-1", "ZD-2", "ZD-3", "ZD-4")
    linked = [e for e in view.events if e.action == "ticket.linked"]
    assert [e.details["customers_affected"]["to"] for e in linked] == [2, 2, 3]
    assert view.briefed is not None
    assert "3" in str(view.briefed.brief.impact[0].value)


def test_de_escalation_and_close_without_resolution(desk: Desk) -> None:
    esc, _ = desk.open(bug_ticket(), T0)
    de = desk.de_escalate(esc.id, DeEscalationReason.WORKAROUND_FOUND,
                          "Customer exports by month; unblocked", T0 + timedelta(hours=2))
    assert de.status is Status.DE_ESCALATED
    assert de.internal is None and de.customer_update is None  # the clocks stop
    with pytest.raises(LifecycleError) as refused:
        desk.close(esc.id, T0 + timedelta(hours=3))
    message = str(refused.value)
    for item in ChecklistItem:
        assert item.value in message
    for item in ChecklistItem:
        desk.tick(esc.id, item, T0 + timedelta(hours=3))
    assert desk.close(esc.id, T0 + timedelta(hours=3)).status is Status.CLOSED


def test_reopen_restarts_the_clocks_and_clears_the_checklist(desk: Desk) -> None:
    esc, _ = desk.open(bug_ticket(), T0)
    desk.resolve(esc.id, "patched", "page the exporter", T0 + timedelta(hours=5))
    desk.tick(esc.id, ChecklistItem.NOTIFY_TEAM, T0 + timedelta(hours=5))
    again = T0 + timedelta(days=3)
    reopened = desk.reopen(esc.id, "customer reports rows missing again", again)
    assert reopened.status is Status.OPEN
    assert reopened.checklist == frozenset()
    assert reopened.internal is not None and reopened.internal.due_at == again + timedelta(hours=4)


def test_followups_lists_what_is_owed_most_urgent_first(desk: Desk) -> None:
    first, _ = desk.open(bug_ticket("ZD-1", "C-1"), T0)
    second, _ = desk.open(bug_ticket("ZD-2", "C-2", production_down=True), T0 + timedelta(hours=1))
    now = T0 + timedelta(hours=3, minutes=45)
    views = desk.followups(now)
    # ESC-2 is Critical: internal due at +2 h (overdue after 30 min grace) -> overdue now.
    assert views[0].status.escalation_id == second.id
    assert views[0].status.state is FollowupState.OVERDUE
    states = {(v.status.escalation_id, v.status.kind): v.status.state for v in views}
    assert states[(first.id, FollowupKind.INTERNAL)] is FollowupState.DUE_SOON
    everything = desk.followups(now, include_upcoming=True)
    assert len(everything) == 4
    assert desk.followups(T0 + timedelta(minutes=1)) == []


def test_followups_are_never_skipped_by_a_missed_run(desk: Desk) -> None:
    esc, _ = desk.open(bug_ticket(), T0)
    much_later = T0 + timedelta(days=10)  # no job ran for ten days
    owed = {v.status.kind: v.status.state for v in desk.followups(much_later)}
    assert owed == {FollowupKind.INTERNAL: FollowupState.OVERDUE,
                    FollowupKind.CUSTOMER: FollowupState.OVERDUE}
    assert esc.id in {v.escalation.escalation_id for v in desk.followups(much_later)}


def test_draft_update_is_owed_even_with_no_news(desk: Desk) -> None:
    from escalation.render import render_customer_update

    esc, _ = desk.open(bug_ticket(), T0)
    _, paragraphs = desk.draft_update(esc.id, T0 + timedelta(hours=1))
    english = render_customer_update(paragraphs, "en", "America/New_York")
    assert "We're still investigating" in english
    assert "no new finding" in english
    assert "High priority" in english
    desk.record_follow_up(esc.id, FollowupKind.INTERNAL, "Root cause found in the pager",
                          T0 + timedelta(hours=2))
    _, paragraphs = desk.draft_update(esc.id, T0 + timedelta(hours=2))
    assert "Root cause found in the pager" in render_customer_update(paragraphs, "en", "UTC")
    chinese = render_customer_update(paragraphs, "zh", "Asia/Shanghai")
    assert "我们仍在调查" in chinese
    assert "Root cause found in the pager" in chinese  # people's words stay as written


def test_resolved_learnings_are_cited_by_later_assessments(desk: Desk) -> None:
    esc, _ = desk.open(bug_ticket(), T0)
    desk.resolve(esc.id, "Customers export by month until 2.42", "Use monthly exports",
                 T0 + timedelta(hours=5), FixKind.WORKAROUND)
    similar = bug_ticket("ZD-7", "C-7", bug_confirmed=False, needs_code_change=False)
    similar["facts"] = {"category": "bug", "infrastructure_suspected": True}
    similar["created_at"] = (T0 + timedelta(days=2)).isoformat()
    assessment = desk.assess(ticket_from_mapping(similar), T0 + timedelta(days=2))
    assert assessment.decision.value == "handle_in_support"
    codes = [r.code for r in assessment.reasons]
    assert "support.resolved_before" in codes
    cited = next(r for r in assessment.reasons if r.code == "support.resolved_before")
    assert esc.id in cited.text


def test_a_code_fix_that_comes_back_is_a_recurring_pattern(desk: Desk) -> None:
    esc, _ = desk.open(bug_ticket(), T0)
    desk.resolve(esc.id, "Fixed paging in 2.42", "Paging bug", T0 + timedelta(hours=5),
                 FixKind.CODE_FIX)
    back = bug_ticket("ZD-8", "C-8")
    back["created_at"] = (T0 + timedelta(days=4)).isoformat()
    assessment = desk.assess(ticket_from_mapping(back), T0 + timedelta(days=4, hours=1))
    recurring = [r for r in assessment.reasons if r.code == "pattern.recurring_after_fix"]
    assert recurring and esc.id in recurring[0].text
