"""Pattern detection through the desk over a real store (SQLite, and PostgreSQL when
configured): tickets are indexed as they are opened, linked or listed; a group reaching the
customer threshold announces pattern.detected once (audit and outbox); assessments use what
similar tickets say; explicit facts win."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from escalation.adapters.db.store import Store, UnitOfWork
from escalation.domain.contract import ticket_from_mapping
from escalation.domain.learnings import match_learnings
from escalation.domain.model import Assessment, FixKind, Reason, Ticket
from escalation.domain.notifications import Channel, ChannelKind, Event, Notifications
from escalation.domain.policy import Policy
from escalation.services import Desk
from support import EXPORT_500, T0, bug_ticket

ACTOR = "agent@example.com"

HOW_TO = ("ZD-900", "C-HOOLI", "How do I add a teammate to our workspace?",
          "We hired someone new and want to invite them; where is the invite button?")


def raw(ticket_id: str, customer: str, subject: str, description: str,
        created: datetime = T0 - timedelta(hours=2), area: str = "exports",
        **facts: Any) -> dict[str, Any]:
    return {
        "id": ticket_id, "subject": subject, "description": description,
        "created_at": created.isoformat(), "current_tier": "l2", "product_area": area,
        "customer": {"id": customer, "name": f"Customer {customer}", "plan": "business"},
        "facts": {"category": "bug", **facts},
    }


def export_ticket(n: int, *, created: datetime | None = None, **facts: Any) -> Ticket:
    """The n-th (0-based) customer's report of the export bug, created n hours after the first."""
    ticket_id, customer, subject, description = EXPORT_500[n]
    when = created or T0 - timedelta(hours=10) + timedelta(hours=n)
    return ticket_from_mapping(raw(ticket_id, customer, subject, description, when, **facts))


def how_to_ticket() -> Ticket:
    return ticket_from_mapping({**raw(*HOW_TO), "facts": {"category": "how_to"}})


def webhook_policy(events: frozenset[Event] = frozenset({Event.PATTERN_DETECTED})) -> Policy:
    hook = Channel(name="eng-hook", kind=ChannelKind.WEBHOOK, events=events,
                   url="http://127.0.0.1:9/hook", secret="s3cret")
    chat = Channel(name="chat", kind=ChannelKind.WEBHOOK, events=frozenset({Event.OPENED}),
                   url="http://127.0.0.1:9/chat", secret="s3cret")
    return Policy(notifications=Notifications(channels=(hook, chat)))


@pytest.fixture
def desk(store: Store) -> Desk:
    return Desk(store, Policy(), ACTOR)


def pattern_events(store: Store) -> list[dict[str, Any]]:
    with store.unit_of_work(read_only=True) as uow:
        return [dict(e.details) for e in uow.events() if e.action == "pattern.detected"]


def reason(assessment: Assessment, code: str) -> Reason | None:
    return next((r for r in assessment.reasons if r.code == code), None)


# -- indexing ---------------------------------------------------------------------------------


def test_opening_and_linking_index_their_tickets(desk: Desk, store: Store) -> None:
    with store.unit_of_work(read_only=True) as uow:
        assert uow.patterns.count() == 0
    escalation, _ = desk.open(bug_ticket("ZD-1", "C-1"), T0)
    with store.unit_of_work(read_only=True) as uow:
        assert uow.patterns.count() == 1
        assert uow.patterns.cluster_of("ZD-1") is None  # alone: no cluster yet
    desk.link(escalation.id, bug_ticket("ZD-2", "C-2"), T0)
    with store.unit_of_work(read_only=True) as uow:
        assert uow.patterns.count() == 2
        cluster = uow.patterns.cluster_of("ZD-2")
        assert cluster is not None
        assert uow.patterns.cluster_of("ZD-1") == cluster
        assert uow.patterns.cluster_members(cluster) == ["ZD-1", "ZD-2"]
        known = uow.patterns.indexed(["ZD-1", "ZD-2"])
    assert known["ZD-1"].escalation_id == known["ZD-2"].escalation_id == escalation.id
    assert known["ZD-2"].customer == "C-2"


def test_indexing_a_ticket_twice_keeps_one_row(desk: Desk, store: Store) -> None:
    first = desk.index_tickets([export_ticket(0)], T0)
    again = desk.index_tickets([export_ticket(0), export_ticket(0)], T0)
    assert [i.ticket_id for i in first] == ["ZD-101"]
    assert again == []
    with store.unit_of_work(read_only=True) as uow:
        assert uow.patterns.count() == 1


def test_three_customers_with_the_same_bug_make_one_cluster_announced_once(
        desk: Desk, store: Store) -> None:
    done = desk.index_tickets([export_ticket(0), export_ticket(1), how_to_ticket(),
                               export_ticket(2)], T0)
    by_id = {d.ticket_id: d for d in done}
    cluster = by_id["ZD-103"].cluster_id
    assert cluster is not None
    assert by_id["ZD-101"].cluster_id is None  # first of its kind when it was indexed
    assert by_id["ZD-102"].cluster_id == cluster
    assert by_id["ZD-900"].cluster_id is None
    assert by_id["ZD-102"].detected is None  # two customers: below the threshold of 3
    detected = by_id["ZD-103"].detected
    assert detected is not None
    assert detected.ticket_ids == ("ZD-101", "ZD-102", "ZD-103")
    assert detected.distinct_customers == 3
    with store.unit_of_work(read_only=True) as uow:
        assert uow.patterns.cluster_members(cluster) == ["ZD-101", "ZD-102", "ZD-103"]
        assert uow.patterns.cluster_of("ZD-900") is None
        assert uow.outbox.deliveries() == []  # no channel configured: audit only
    events = pattern_events(store)
    assert len(events) == 1
    assert events[0]["cluster"] == cluster
    assert events[0]["tickets"] == ["ZD-101", "ZD-102", "ZD-103"]
    assert events[0]["customers"] == 3
    assert events[0]["threshold"] == 3
    assert "three_plus_customers" in events[0]["signals"]
    assert "CSV" in events[0]["label"]
    # A fourth customer joins the cluster; it has already been announced.
    more = desk.index_tickets([export_ticket(3)], T0 + timedelta(hours=1))
    assert more[0].cluster_id == cluster
    assert more[0].detected is None
    assert len(pattern_events(store)) == 1
    assert desk.verify_audit()[1] is None


def test_a_second_ticket_of_a_known_customer_does_not_cross_the_threshold(
        desk: Desk, store: Store) -> None:
    again = export_ticket(1)
    again = ticket_from_mapping(raw("ZD-150", "C-ACME", again.subject or "",
                                    again.description or ""))
    done = desk.index_tickets([export_ticket(0), again, export_ticket(1)], T0)
    assert done[2].cluster_id == done[1].cluster_id is not None
    assert all(d.detected is None for d in done)  # 3 tickets, 2 customers
    assert pattern_events(store) == []


def test_a_detected_pattern_goes_to_the_channels_that_subscribed(store: Store) -> None:
    desk = Desk(store, webhook_policy(), ACTOR)
    done = desk.index_tickets([export_ticket(0), export_ticket(1), export_ticket(2)], T0)
    cluster = done[2].cluster_id
    with store.unit_of_work(read_only=True) as uow:
        rows = uow.outbox.deliveries()
    assert [(r.event, r.channel, r.escalation_id, r.status) for r in rows] == [
        ("pattern.detected", "eng-hook", "", "pending")]
    assert rows[0].key == f"pattern:{cluster}:3:eng-hook"
    assert rows[0].due_at == T0
    desk.index_tickets([export_ticket(3)], T0 + timedelta(hours=1))
    with store.unit_of_work(read_only=True) as uow:
        assert len(uow.outbox.deliveries()) == 1


def test_no_outbox_row_when_no_channel_wants_pattern_detected(store: Store) -> None:
    desk = Desk(store, webhook_policy(frozenset({Event.RESOLVED})), ACTOR)
    desk.index_tickets([export_ticket(0), export_ticket(1), export_ticket(2)], T0)
    with store.unit_of_work(read_only=True) as uow:
        assert uow.outbox.deliveries() == []
    assert len(pattern_events(store)) == 1


def test_a_rolled_back_open_is_indexed_when_it_is_retried(
        desk: Desk, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    real = UnitOfWork.append_event

    def failing(self: UnitOfWork, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("audit write failed")

    monkeypatch.setattr(UnitOfWork, "append_event", failing)
    with pytest.raises(RuntimeError, match="audit write failed"):
        desk.open(bug_ticket("ZD-1", "C-1"), T0)
    monkeypatch.setattr(UnitOfWork, "append_event", real)
    with store.unit_of_work(read_only=True) as uow:
        assert uow.patterns.count() == 0  # rolled back with the escalation
    desk.open(bug_ticket("ZD-1", "C-1"), T0)
    with store.unit_of_work(read_only=True) as uow:
        assert uow.patterns.count() == 1


# -- assessing with pattern evidence ------------------------------------------------------------


def test_a_fourth_similar_ticket_is_assessed_as_a_three_plus_customer_pattern(
        desk: Desk) -> None:
    desk.index_tickets([export_ticket(0), export_ticket(1), export_ticket(2)], T0)
    fourth, unrelated = desk.assess_many([export_ticket(3), how_to_ticket()], T0)
    pattern = reason(fourth, "pattern.three_plus_customers")
    assert pattern is not None
    assert pattern.params["count"] == "4"
    assert pattern.params["threshold"] == "3"
    assert pattern.params["tickets"] == "ZD-101, ZD-102, ZD-103, ZD-104"
    assert "ZD-101, ZD-102, ZD-103, ZD-104" in pattern.text
    assert fourth.decision.value == "escalate"
    assert reason(unrelated, "pattern.three_plus_customers") is None
    assert reason(unrelated, "impact.multiple_customers") is None


def test_two_earlier_customers_make_it_multiple_customers_not_yet_a_pattern(desk: Desk) -> None:
    desk.index_tickets([export_ticket(0)], T0)
    [second] = desk.assess_many([export_ticket(1)], T0)
    multiple = reason(second, "impact.multiple_customers")
    assert multiple is not None
    assert multiple.params == {"count": "2", "tickets": "ZD-101, ZD-102"}
    assert reason(second, "pattern.three_plus_customers") is None


def test_explicit_customers_affected_wins_over_the_pattern_evidence(desk: Desk) -> None:
    desk.index_tickets([export_ticket(0), export_ticket(1), export_ticket(2)], T0)
    stated = desk.assess(export_ticket(3, customers_affected=1), T0)
    derived = desk.assess(export_ticket(3), T0)
    assert reason(stated, "pattern.three_plus_customers") is None
    assert reason(stated, "impact.multiple_customers") is None
    assert reason(derived, "pattern.three_plus_customers") is not None


def test_a_ticket_like_one_fixed_in_code_recurs_only_when_it_came_after_the_fix(
        desk: Desk) -> None:
    escalation, _ = desk.open(bug_ticket("ZD-1", "C-1"), T0)
    desk.acknowledge(escalation.id, T0 + timedelta(minutes=10))
    desk.start(escalation.id, T0 + timedelta(minutes=20))
    fixed_at = T0 + timedelta(days=1)
    desk.resolve(escalation.id, "Paged the exporter's queries", "Exports need paging",
                 fixed_at, fix_kind=FixKind.CODE_FIX)
    # Filed under another product area and worded apart from ZD-1, so the stored learnings
    # do not match it: the recurrence can only come from the pattern index.
    subject = "Exported file missing lines"
    description = "Our big exports lose everything past line 10000."
    after = ticket_from_mapping(raw("ZD-2", "C-2", subject, description,
                                    fixed_at + timedelta(days=2), area="reports"))
    before = ticket_from_mapping(raw("ZD-3", "C-3", subject, description,
                                     fixed_at - timedelta(hours=6), area="reports"))
    with desk.store.unit_of_work(read_only=True) as uow:
        assert match_learnings(after, uow.learnings()) == ()
    recurring, earlier = desk.assess_many([after, before], fixed_at + timedelta(days=2))
    found = reason(recurring, "pattern.recurring_after_fix")
    assert found is not None
    # Derived from the similar ticket's escalation (not from a stated fact).
    assert found.params == {"ticket": "ZD-1", "escalation": escalation.id,
                            "resolved": fixed_at.date().isoformat()}
    assert reason(earlier, "pattern.recurring_after_fix") is None


def test_a_ticket_like_one_resolved_with_a_workaround_does_not_recur(desk: Desk) -> None:
    escalation, _ = desk.open(bug_ticket("ZD-1", "C-1"), T0)
    fixed_at = T0 + timedelta(days=1)
    desk.resolve(escalation.id, "Split the export by month", "Export month by month",
                 fixed_at, fix_kind=FixKind.WORKAROUND)
    later = ticket_from_mapping(bug_ticket("ZD-2", "C-2", opened=fixed_at + timedelta(days=3)))
    assessed = desk.assess(later, fixed_at + timedelta(days=3))
    assert reason(assessed, "pattern.recurring_after_fix") is None


# -- matching open escalations -------------------------------------------------------------------


def test_matching_escalations_finds_the_open_escalation_of_a_similar_ticket(desk: Desk) -> None:
    escalation, _ = desk.open(raw(*EXPORT_500[0], blocked=True, bug_confirmed=True,
                                  needs_code_change=True), T0)
    similar = raw(*EXPORT_500[1])
    found = desk.matching_escalations(similar)
    assert [esc for esc, _ in found] == [escalation.id]
    assert 0.5 <= found[0][1] <= 1.0
    assert desk.matching_escalations(raw(*HOW_TO)) == []


def test_ended_escalations_are_not_offered_for_linking(desk: Desk) -> None:
    escalation, _ = desk.open(raw(*EXPORT_500[0], blocked=True, bug_confirmed=True,
                                  needs_code_change=True), T0)
    assert desk.matching_escalations(raw(*EXPORT_500[1])) != []
    desk.resolve(escalation.id, "Fixed the exporter", "Exports need a test", T0 + timedelta(1))
    assert desk.matching_escalations(raw(*EXPORT_500[1])) == []


def test_the_best_scoring_open_escalation_comes_first(desk: Desk) -> None:
    export, _ = desk.open(raw(*EXPORT_500[0], blocked=True, bug_confirmed=True,
                              needs_code_change=True), T0)
    rows, _ = desk.open(bug_ticket("ZD-1", "C-1"), T0)
    found = desk.matching_escalations(raw(*EXPORT_500[3]))
    assert found[0][0] == export.id
    assert all(found[i][1] >= found[i + 1][1] for i in range(len(found) - 1))
    drops = desk.matching_escalations(bug_ticket("ZD-2", "C-2"))
    assert drops[0][0] == rows.id
