"""The demo data behind `escalate serve --demo`, loaded through the real desk into an empty
store (SQLite, and PostgreSQL when configured): the summary matches the store, the queue is
alive at `now` (one follow-up overdue, one due within the hour, others comfortable), the
history spans several weeks, the audit chain verifies, the pattern index holds a 3+ customer
cluster, and a second load is refused. Weekend and night-time `now` values work too."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

import pytest

from escalation.adapters.db.store import Store
from escalation.demo import TICKETS_FILE, DemoSummary, demo_tickets, load_demo, offset
from escalation.domain.cadence import FollowupState
from escalation.domain.model import (
    ChecklistItem,
    FollowupKind,
    Severity,
    Status,
    Target,
)
from escalation.domain.patterns import Signal
from escalation.domain.policy import Policy
from escalation.services import Desk

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)  # a Thursday morning in Europe
CJK = re.compile(r"[\u4e00-\u9fff]")

pytestmark = pytest.mark.slow


@pytest.fixture
def policy() -> Policy:
    return Policy()


@pytest.fixture
def loaded(store: Store, policy: Policy) -> DemoSummary:
    return load_demo(store, policy, NOW)


def _alive(store: Store, policy: Policy, now: datetime) -> None:
    """One follow-up overdue, one due within the hour, every clock on an active escalation."""
    desk = Desk(store, policy, "viewer")
    views = desk.followups(now)
    overdue = [v for v in views if v.status.state is FollowupState.OVERDUE]
    assert [v.status.kind for v in overdue] == [FollowupKind.INTERNAL]
    due_soon = [v for v in views if v.status.state is FollowupState.DUE_SOON]
    assert len(due_soon) == 1
    assert timedelta(0) < due_soon[0].status.delta <= timedelta(hours=1)
    assert due_soon[0].status.kind is FollowupKind.CUSTOMER
    assert not [v for v in views if v.status.state is FollowupState.DUE]
    with store.unit_of_work(read_only=True) as uow:
        active = {e.id for e in uow.list_escalations() if e.status.is_active}
    assert {v.status.escalation_id for v in views} <= active


# -- the data file -----------------------------------------------------------------------------


def test_the_tickets_ship_in_the_package_with_relative_times() -> None:
    assert resources.files("escalation").joinpath(TICKETS_FILE).is_file()
    tickets = demo_tickets(NOW)
    assert len(tickets) >= 20
    for ticket in tickets.values():
        created = datetime.fromisoformat(ticket["created_at"])
        assert NOW - timedelta(weeks=7) < created < NOW
        assert all(datetime.fromisoformat(c["at"]) <= NOW
                   for c in ticket.get("communications", []))
    chinese = [t for t in tickets.values()
               if CJK.search(t["subject"]) and t["customer"]["timezone"] == "Asia/Shanghai"]
    assert len(chinese) >= 3
    assert sum(1 for t in tickets.values() if t["customer"].get("arr")) >= 10


@pytest.mark.parametrize(("text", "span"), [
    ("-26h", -timedelta(hours=26)),
    ("-41d4h10m", -timedelta(days=41, hours=4, minutes=10)),
    ("+18h", timedelta(hours=18)),
    ("-1w2d", -timedelta(weeks=1, days=2)),
    ("-40m", -timedelta(minutes=40)),
])
def test_relative_times(text: str, span: timedelta) -> None:
    assert offset(text) == span


@pytest.mark.parametrize("text", ["26h", "-", "-4h2d", "-1.5h", "yesterday"])
def test_a_malformed_relative_time_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="relative time"):
        offset(text)


# -- the loaded demo ---------------------------------------------------------------------------


def test_the_summary_matches_the_store(store: Store, loaded: DemoSummary) -> None:
    with store.unit_of_work(read_only=True) as uow:
        escalations = uow.list_escalations()
        indexed = uow.patterns.count()
    assert sorted(loaded.opened) == sorted(e.id for e in escalations)
    assert len(set(loaded.opened)) == len(loaded.opened) >= 12
    active = [e for e in escalations if e.status.is_active]
    assert loaded.active == len(active) >= 6
    assert loaded.ended == len(escalations) - len(active) >= 5
    assert loaded.pattern_tickets == indexed >= 20
    assert {e.status for e in escalations} == set(Status)
    assert {e.target for e in escalations} == set(Target)


def test_the_queue_is_alive(store: Store, policy: Policy, loaded: DemoSummary) -> None:
    _alive(store, policy, NOW)
    desk = Desk(store, policy, "viewer")
    views = desk.followups(NOW, include_upcoming=True)
    by_escalation: dict[str, list[timedelta]] = defaultdict(list)
    for view in views:
        by_escalation[view.status.escalation_id].append(view.status.delta)
    comfortable = [e for e, deltas in by_escalation.items()
                   if min(deltas) > timedelta(minutes=30)]
    assert len(comfortable) >= 4
    with store.unit_of_work(read_only=True) as uow:
        statuses = [e.status for e in uow.list_escalations()]
        with_notes = [e.id for e in uow.list_escalations()
                      if e.status.is_active and uow.follow_ups(e.id)]
    assert Status.OPEN in statuses
    assert Status.ACKNOWLEDGED in statuses
    assert statuses.count(Status.IN_PROGRESS) >= 3
    assert len(with_notes) >= 5


def test_the_history_is_believable(store: Store, policy: Policy, loaded: DemoSummary) -> None:
    desk = Desk(store, policy, "viewer")
    with store.unit_of_work(read_only=True) as uow:
        escalations = uow.list_escalations()
        events = list(uow.events())
    ended = [e for e in escalations if not e.status.is_active]
    assert all(e.resolved_at is not None for e in ended)
    weeks = {e.resolved_at.isocalendar()[:2] for e in ended if e.resolved_at}
    assert len(weeks) >= 4
    assert min(e.opened_at for e in escalations) <= NOW - timedelta(weeks=5)
    assert max(e.opened_at for e in escalations) <= NOW
    closed = [e for e in ended if e.status is Status.CLOSED]
    assert len(closed) >= 3
    for escalation in closed:
        assert escalation.checklist == frozenset(ChecklistItem)
        assert escalation.learning or escalation.deescalation_note
    assert any(e.fix_kind is not None and e.learning for e in closed)
    assert any(e.deescalation_reason is not None and e.deescalation_note for e in ended)

    security = [e for e in escalations if e.target is Target.SECURITY]
    assert security and security[0].severity is Severity.CRITICAL
    changed = [e for e in events if e.action == "severity.changed"]
    assert changed and changed[0].details["reason"]
    assert {e.actor for e in events} >= {"maya.chen", "li.wei", "sam.okafor", "eng-oncall"}
    assert all(e.at <= NOW for e in events)

    count, problem = desk.verify_audit()
    assert problem is None
    assert count == len(events) > 50


def test_the_pattern_index_holds_a_three_customer_cluster(
        store: Store, policy: Policy, loaded: DemoSummary) -> None:
    desk = Desk(store, policy, "viewer")
    with store.unit_of_work(read_only=True) as uow:
        customers: dict[str, set[str]] = defaultdict(set)
        for row in uow.patterns.rows():
            if row.cluster_id is not None:
                customers[row.cluster_id].add(row.customer_id or row.ticket_id)
        big = [c for c, who in customers.items() if len(who) >= 3]
        assert big
        desk.patterns.refresh(uow)
        cluster = desk.patterns.describe(uow, big[0], policy.thresholds.pattern_customers)
        detected = [e for e in uow.events() if e.action == "pattern.detected"]
    assert cluster.distinct_customers >= 3
    assert Signal.THREE_PLUS_CUSTOMERS in cluster.signals
    assert detected and detected[0].details["cluster"] == cluster.id
    # The cluster's customers were linked to one escalation rather than escalated each.
    assert len(set(detected[0].details["escalations"])) == 1


def test_loading_twice_is_refused(store: Store, policy: Policy, loaded: DemoSummary) -> None:
    with pytest.raises(ValueError, match=rf"already holds {len(loaded.opened)} escalations; "
                                         "--demo needs an empty database"):
        load_demo(store, policy, NOW)
    with store.unit_of_work(read_only=True) as uow:
        assert len(uow.list_escalations()) == len(loaded.opened)


def test_a_naive_now_is_refused(store: Store, policy: Policy) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        load_demo(store, policy, datetime(2026, 11, 26, 10, 0))


@pytest.mark.parametrize("now", [
    datetime(2026, 11, 28, 23, 30, tzinfo=UTC),  # Saturday night
    datetime(2026, 11, 29, 3, 15, tzinfo=ZoneInfo("Asia/Shanghai")),  # Sunday, before dawn
    datetime(2026, 12, 24, 22, 0, tzinfo=ZoneInfo("America/New_York")),  # holiday eve, night
], ids=["saturday-night", "sunday-shanghai", "christmas-eve-night"])
def test_weekends_and_nights(store: Store, policy: Policy, now: datetime) -> None:
    summary = load_demo(store, policy, now)
    assert summary.active + summary.ended == len(summary.opened)
    _alive(store, policy, now)
    assert Desk(store, policy, "viewer").verify_audit()[1] is None
