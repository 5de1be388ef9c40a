"""The queue query: filters, most-urgent-first order and paging done by the database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from escalation.adapters.db.store import EscalationQuery
from escalation.domain.model import Severity, Status, Target
from escalation.domain.policy import Policy
from escalation.services import Desk
from support import T0, bug_ticket


@pytest.fixture
def desk(store) -> Desk:
    """Six escalations: severities, targets, owners and one security one, opened an hour apart."""
    desk = Desk(store, Policy(), "alice")
    plan = [
        ("ZD-1", Severity.MEDIUM, Target.ENGINEERING, "alice"),
        ("ZD-2", Severity.CRITICAL, Target.ENGINEERING, "bob"),
        ("ZD-3", Severity.HIGH, Target.PRODUCT, "alice"),
        ("ZD-4", Severity.CRITICAL, Target.SECURITY, "bob"),
        ("ZD-5", Severity.HIGH, Target.ENGINEERING, "bob"),
        ("ZD-6", Severity.MEDIUM, Target.LEADERSHIP, "alice"),
    ]
    for hour, (ticket, severity, target, owner) in enumerate(plan):
        desk.open(bug_ticket(ticket, f"C-{ticket}", opened=T0 + timedelta(hours=hour)),
                  T0 + timedelta(hours=hour), owner=owner, force=True, target=target,
                  severity=severity)
    desk.acknowledge("ESC-1", T0 + timedelta(hours=6))
    return desk


def ids(page) -> list[str]:
    return [e.id for e in page[0]]


def test_most_urgent_first_then_soonest_due(desk: Desk) -> None:
    page = desk.queue(EscalationQuery())
    assert page[1] == 6
    severities = [e.severity for e in page[0]]
    assert severities == sorted(severities, key=lambda s: -s.rank)
    # Among equal severity, the follow-up due soonest comes first (opened earlier: due earlier).
    assert ids(page)[:2] == ["ESC-2", "ESC-4"]


def test_filters_combine(desk: Desk) -> None:
    assert ids(desk.queue(EscalationQuery(owner="alice"))) == ["ESC-3", "ESC-1", "ESC-6"]
    assert ids(desk.queue(EscalationQuery(targets=(Target.ENGINEERING,),
                                          severities=(Severity.HIGH, Severity.MEDIUM)))) == [
        "ESC-5", "ESC-1"]
    assert ids(desk.queue(EscalationQuery(statuses=(Status.ACKNOWLEDGED,)))) == ["ESC-1"]


def test_security_escalations_can_be_left_out(desk: Desk) -> None:
    shown = desk.queue(EscalationQuery(hide_security=True))
    assert "ESC-4" not in ids(shown) and shown[1] == 5


def test_overdue_filter_uses_the_overdue_time(desk: Desk) -> None:
    assert desk.queue(EscalationQuery(overdue_at=T0))[1] == 0
    later = T0 + timedelta(days=30)
    everything = desk.queue(EscalationQuery(overdue_at=later))
    assert everything[1] == 6


def test_paging_is_stable_and_counts_the_whole_match(desk: Desk) -> None:
    full = ids(desk.queue(EscalationQuery()))
    pages = [ids(desk.queue(EscalationQuery(limit=4, offset=o))) for o in (0, 4, 8)]
    assert pages[0] + pages[1] == full and pages[2] == []
    assert desk.queue(EscalationQuery(limit=2, offset=4))[1] == 6
