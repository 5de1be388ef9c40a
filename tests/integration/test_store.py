"""The storage adapter on a real database: every repository method, migrations, the audit log."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, StatementError

from escalation.adapters.db import ConflictError, FollowUpRecord, NotFoundError, Store
from escalation.adapters.db.store import SCHEMA_REVISION, head_revision
from escalation.adapters.db.tables import (
    assessments,
    checklist_items,
    customers,
    escalations,
    metadata,
)
from escalation.domain.audit import verify_chain
from escalation.domain.contract import assessment_to_mapping, ticket_from_mapping
from escalation.domain.learnings import Learning
from escalation.domain.model import (
    Assessment,
    Category,
    ChecklistItem,
    Customer,
    Decision,
    DeEscalationReason,
    DimensionScore,
    Escalation,
    FixKind,
    FollowupClock,
    FollowupKind,
    Impact,
    Level,
    Reason,
    Severity,
    SlaStatus,
    Status,
    Target,
    Ticket,
)

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def ticket_mapping(ticket_id: str = "T-1", customer_id: str | None = "acme", **extra: Any
                   ) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": ticket_id,
        "subject": "CSV export drops rows",
        "description": "Exports over 10k rows lose the tail.",
        "created_at": "2026-11-26T09:30:00+08:00",
        "product_area": "exports",
        "customer": {
            "id": customer_id, "name": "Acme", "arr": 250000, "plan": "enterprise",
            "reference_customer": True, "sla_hours": 24, "update_hours": 4,
            "timezone": "Asia/Shanghai", "country": "CN",
        },
        "facts": {"category": "bug", "bug_confirmed": True, "customers_affected": 3},
        "custom_field": {"kept": ["as", "sent"]},
    }
    data.update(extra)
    return data


def save_ticket(store: Store, ticket_id: str = "T-1", **extra: Any) -> Ticket:
    raw = ticket_mapping(ticket_id, **extra)
    ticket = ticket_from_mapping(raw)
    with store.unit_of_work() as uow:
        uow.save_ticket(ticket, raw, T0)
    return ticket


def an_escalation(ticket_id: str = "T-1", **changes: Any) -> Escalation:
    escalation = Escalation(
        id="",
        ticket_id=ticket_id,
        status=Status.OPEN,
        severity=Severity.HIGH,
        target=Target.ENGINEERING,
        opened_at=T0.astimezone(SHANGHAI),
        owner="mei",
        also_notify=(Target.PRODUCT, Target.LEADERSHIP),
        customer=Customer(id="acme", name="Acme", arr=250000.0, plan="enterprise",
                          reference_customer=True, sla_hours=24.0, update_hours=4.0,
                          timezone="Asia/Shanghai", country="CN"),
        summary="CSV export drops rows",
        customers_affected=3,
        internal=FollowupClock(FollowupKind.INTERNAL, T0 + timedelta(hours=4),
                               T0 + timedelta(hours=8)),
        customer_update=FollowupClock(FollowupKind.CUSTOMER,
                                      (T0 + timedelta(hours=4)).astimezone(SHANGHAI),
                                      T0 + timedelta(hours=8, microseconds=123456)),
        last_internal_at=T0 - timedelta(minutes=5),
    )
    return replace(escalation, **changes)


def open_escalation(store: Store, ticket_id: str = "T-1", **changes: Any) -> Escalation:
    with store.unit_of_work() as uow:
        if uow.get_ticket(ticket_id) is None:
            raw = ticket_mapping(ticket_id)
            uow.save_ticket(ticket_from_mapping(raw), raw, T0)
        return uow.add_escalation(an_escalation(ticket_id, **changes))


def an_assessment(ticket_id: str = "T-1") -> Assessment:
    score = DimensionScore(Level.HIGH, "3 customers")
    return Assessment(
        ticket_id=ticket_id,
        decision=Decision.ESCALATE,
        target=Target.ENGINEERING,
        also_notify=(Target.PRODUCT,),
        severity=Severity.HIGH,
        reasons=(Reason("bug.confirmed", "engineering", "A confirmed bug: {what}",
                        {"what": "export"}),),
        impact=Impact(score, score, score, score, score, score, drivers=("breadth",)),
        sla_status=SlaStatus.AT_RISK,
        missing=("reproduction.steps",),
        sla_hours_used=20.0,
        sla_hours=24.0,
    )


def assert_utc(value: datetime | None) -> None:
    assert value is not None
    assert value.tzinfo is not None
    assert value.utcoffset() == timedelta(0)


# --- migrations -------------------------------------------------------------------------------


def test_migrations_apply_on_first_use_and_are_idempotent(db_url: str) -> None:
    untouched = Store(db_url, migrate=False)
    try:
        assert untouched.revision() is None
    finally:
        untouched.close()
    store = Store(db_url)
    try:
        with store.unit_of_work() as uow:
            assert uow.audit_head() is None
        assert store.revision() == head_revision() == SCHEMA_REVISION
        assert store.upgrade() == head_revision()
        assert store.upgrade() == head_revision()
        assert Store(db_url).upgrade() == head_revision()
    finally:
        store.close()


def test_migrations_build_exactly_the_declared_tables(store: Store) -> None:
    store.upgrade()
    with store.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []


# --- tickets, customers, assessments ------------------------------------------------------------


def test_ticket_round_trips_from_its_raw_mapping(store: Store) -> None:
    ticket = save_ticket(store)
    with store.unit_of_work() as uow:
        assert uow.get_ticket("T-1") == ticket
        assert uow.get_ticket("T-404") is None
    stored = ticket.created_at
    assert stored is not None
    with store.unit_of_work(read_only=True) as uow:
        again = uow.get_ticket("T-1")
    assert again is not None and again.extra == {"custom_field": {"kept": ["as", "sent"]}}
    assert again.created_at == stored


def test_save_ticket_upserts_ticket_and_customer(store: Store) -> None:
    save_ticket(store)
    raw = ticket_mapping(subject="CSV export drops rows for everyone")
    raw["customer"] = {"id": "acme", "plan": "Scale", "reference_customer": False}
    later = T0 + timedelta(days=1)
    with store.unit_of_work() as uow:
        uow.save_ticket(ticket_from_mapping(raw), raw, later)
        ticket = uow.get_ticket("T-1")
    assert ticket is not None and ticket.subject == "CSV export drops rows for everyone"
    with store.engine.connect() as conn:
        rows = conn.execute(select(customers)).all()
    assert len(rows) == 1
    row = rows[0]
    # What the later ticket said wins; what it left out is kept from the earlier one.
    assert (row.customer_id, row.plan, row.reference_customer) == ("acme", "scale", False)
    assert (row.name, row.arr, row.timezone, row.country) == (
        "Acme", 250000.0, "Asia/Shanghai", "CN")
    assert row.updated_at == later
    assert_utc(row.updated_at)


def test_ticket_without_customer_id_stores_no_customer(store: Store) -> None:
    raw = ticket_mapping("T-2", customer_id=None)
    with store.unit_of_work() as uow:
        uow.save_ticket(ticket_from_mapping(raw), raw, T0)
    with store.engine.connect() as conn:
        assert conn.execute(select(customers)).all() == []


def test_save_assessment_keeps_the_contract_snapshot(store: Store) -> None:
    escalation = open_escalation(store)
    assessment = an_assessment()
    with store.unit_of_work() as uow:
        uow.save_assessment(assessment, "policy-2026.1", T0, None)
        uow.save_assessment(assessment, "policy-2026.2", T0 + timedelta(hours=1),
                            escalation.id.lower())
    with store.engine.connect() as conn:
        rows = conn.execute(select(assessments).order_by(assessments.c.id)).all()
    assert [(r.policy_version, r.escalation_number) for r in rows] == [
        ("policy-2026.1", None), ("policy-2026.2", 1)]
    assert rows[0].snapshot == assessment_to_mapping(assessment)
    assert (rows[0].decision, rows[0].target, rows[0].severity) == (
        "escalate", "engineering", "high")
    assert rows[1].assessed_at == T0 + timedelta(hours=1)
    assert_utc(rows[1].assessed_at)


# --- escalations --------------------------------------------------------------------------------


def test_escalation_round_trips_exactly(store: Store) -> None:
    draft = an_escalation(checklist=frozenset({ChecklistItem.NOTIFY_TEAM}))
    save_ticket(store)
    with store.unit_of_work() as uow:
        stored = uow.add_escalation(draft)
    assert stored == replace(draft, id="ESC-1")
    for spelling in ("ESC-1", "esc-1", "1", " ESC-1 "):
        with store.unit_of_work() as uow:
            assert uow.get_escalation(spelling) == stored
    with store.unit_of_work() as uow:
        loaded = uow.get_escalation("ESC-1")
    assert loaded.customer == draft.customer
    assert loaded.internal == draft.internal and loaded.customer_update == draft.customer_update
    for moment in (loaded.opened_at, loaded.last_internal_at,
                   loaded.internal and loaded.internal.due_at,
                   loaded.customer_update and loaded.customer_update.overdue_at):
        assert_utc(moment)
    assert loaded.customer_update is not None
    assert loaded.customer_update.overdue_at.microsecond == 123456


def test_escalation_numbers_are_sequential_public_ids(store: Store) -> None:
    first = open_escalation(store)
    second = open_escalation(store, "T-2")
    assert (first.id, second.id) == ("ESC-1", "ESC-2")


def test_escalation_without_clocks_or_optional_fields_round_trips(store: Store) -> None:
    plain = Escalation(id="", ticket_id="T-1", status=Status.OPEN, severity=Severity.MEDIUM,
                       target=Target.L2, opened_at=T0, owner="li")
    save_ticket(store)
    with store.unit_of_work() as uow:
        stored = uow.add_escalation(plain)
        assert uow.get_escalation(stored.id) == replace(plain, id=stored.id)


def test_add_escalation_refuses_bad_input(store: Store) -> None:
    save_ticket(store)
    with pytest.raises(ValueError, match="no id yet"), store.unit_of_work() as uow:
        uow.add_escalation(an_escalation(id="ESC-5"))
    with pytest.raises(ValueError, match="clocks run only while active"), \
            store.unit_of_work() as uow:
        uow.add_escalation(an_escalation(status=Status.RESOLVED))
    with pytest.raises(StatementError, match="naive datetime"), store.unit_of_work() as uow:
        uow.add_escalation(an_escalation(opened_at=datetime(2026, 11, 26, 10, 0)))
    with store.unit_of_work() as uow:
        assert uow.list_escalations() == []


def test_get_escalation_not_found(store: Store) -> None:
    open_escalation(store)
    with store.unit_of_work() as uow:
        with pytest.raises(NotFoundError, match=r"^no escalation ESC-99$"):
            uow.get_escalation("esc-99")
        with pytest.raises(NotFoundError, match=r"look like ESC-7"):
            uow.get_escalation("bogus")
        with pytest.raises(NotFoundError):
            uow.get_escalation("ESC-")


def test_update_escalation_writes_the_new_version(store: Store) -> None:
    opened = open_escalation(store)
    later = T0 + timedelta(hours=1)
    changed = replace(opened, status=Status.ACKNOWLEDGED, severity=Severity.CRITICAL,
                      summary="worse", customers_affected=5, version=2,
                      checklist=frozenset({ChecklistItem.NOTIFY_TEAM,
                                           ChecklistItem.UPDATE_TICKET}),
                      internal=FollowupClock(FollowupKind.INTERNAL, later, later + timedelta(2)))
    with store.unit_of_work() as uow:
        uow.update_escalation(changed, 1, later, "wang")
    with store.unit_of_work() as uow:
        assert uow.get_escalation(opened.id) == changed
    with store.engine.connect() as conn:
        row = conn.execute(select(escalations.c.version, escalations.c.updated_at)).one()
        items = conn.execute(select(checklist_items.c.item, checklist_items.c.done_at,
                                    checklist_items.c.actor)
                             .order_by(checklist_items.c.item)).all()
    assert (row.version, row.updated_at) == (2, later)
    assert [tuple(i) for i in items] == [("notify_team", later, "wang"),
                                         ("update_ticket", later, "wang")]


def test_update_escalation_syncs_the_checklist(store: Store) -> None:
    opened = open_escalation(store)
    ticked = replace(opened, version=2, checklist=frozenset(ChecklistItem))
    ended = replace(ticked, status=Status.RESOLVED, internal=None, customer_update=None,
                    resolution="patched", learning="check limits", fix_kind=FixKind.CODE_FIX,
                    resolved_at=T0 + timedelta(days=1), version=3)
    closed = replace(ended, status=Status.CLOSED, closed_at=T0 + timedelta(days=2), version=4)
    reopened = replace(closed, status=Status.OPEN, checklist=frozenset(), closed_at=None,
                       resolved_at=None, version=5)
    with store.unit_of_work() as uow:
        for expected, escalation in enumerate((ticked, ended, closed), start=1):
            uow.update_escalation(escalation, expected, T0 + timedelta(hours=expected), "mei")
            assert uow.get_escalation(opened.id) == escalation
        uow.update_escalation(reopened, 4, T0 + timedelta(days=3), "mei")
        assert uow.get_escalation(opened.id) == reopened
    with store.engine.connect() as conn:
        assert conn.execute(select(checklist_items)).all() == []


def test_update_escalation_refuses_a_stale_version(store: Store) -> None:
    opened = open_escalation(store)
    with store.unit_of_work() as uow:
        uow.update_escalation(replace(opened, summary="first", version=2), 1, T0, "a")
    with pytest.raises(ConflictError) as caught, store.unit_of_work() as uow:
        uow.update_escalation(replace(opened, summary="second", version=2), 1, T0, "b")
    assert str(caught.value) == (
        "ESC-1 was changed by someone else (version 2, you had 1): reload and retry")
    assert (caught.value.current_version, caught.value.expected_version) == (2, 1)
    with store.unit_of_work() as uow:
        assert uow.get_escalation("ESC-1").summary == "first"


def test_update_escalation_checks_its_arguments(store: Store) -> None:
    opened = open_escalation(store)
    with pytest.raises(ValueError, match="must carry version 2"), store.unit_of_work() as uow:
        uow.update_escalation(replace(opened, summary="x"), 1, T0, "a")
    with pytest.raises(NotFoundError, match="no escalation ESC-42"), \
            store.unit_of_work() as uow:
        uow.update_escalation(replace(opened, id="ESC-42", version=2), 1, T0, "a")


def test_list_escalations_filters_by_status(store: Store) -> None:
    first = open_escalation(store)
    second = open_escalation(store, "T-2", status=Status.IN_PROGRESS)
    third = open_escalation(store, "T-3", status=Status.CLOSED, internal=None,
                            customer_update=None)
    with store.unit_of_work(read_only=True) as uow:
        assert uow.list_escalations() == [first, second, third]
        assert uow.list_escalations([Status.OPEN, Status.IN_PROGRESS]) == [first, second]
        assert uow.list_escalations([Status.CLOSED]) == [third]
        assert uow.list_escalations([]) == []


def test_linked_tickets_and_escalations_for_ticket(store: Store) -> None:
    first = open_escalation(store)
    other = open_escalation(store, "T-9")
    save_ticket(store, "T-2")
    save_ticket(store, "T-3")
    with store.unit_of_work() as uow:
        assert uow.link_ticket(first.id, "T-3", T0 + timedelta(hours=1)) is True
        assert uow.link_ticket("esc-1", "T-2", T0 + timedelta(hours=2)) is True
        assert uow.link_ticket(first.id, "T-3", T0 + timedelta(hours=3)) is False
        assert uow.link_ticket(first.id, "T-1", T0 + timedelta(hours=3)) is False
        assert uow.link_ticket(other.id, "T-3", T0 + timedelta(hours=4)) is True
    with store.unit_of_work() as uow:
        assert uow.linked_tickets("ESC-1") == ["T-1", "T-3", "T-2"]
        assert uow.linked_tickets(other.id) == ["T-9", "T-3"]
        assert [e.id for e in uow.escalations_for_ticket("T-3")] == ["ESC-1", "ESC-2"]
        assert [e.id for e in uow.escalations_for_ticket("T-1")] == ["ESC-1"]
        assert uow.escalations_for_ticket("T-404") == []
        with pytest.raises(NotFoundError):
            uow.link_ticket("ESC-77", "T-2", T0)
        with pytest.raises(NotFoundError):
            uow.linked_tickets("ESC-77")


def test_follow_ups_are_recorded_in_order(store: Store) -> None:
    opened = open_escalation(store)
    quiet = open_escalation(store, "T-2")
    when = T0.astimezone(timezone(timedelta(hours=-5)))
    with store.unit_of_work() as uow:
        uow.add_follow_up(opened.id, FollowupKind.CUSTOMER, when + timedelta(hours=2), "mei",
                          "still investigating")
        uow.add_follow_up("1", FollowupKind.INTERNAL, when, "mei", "asked eng for ETA")
        with pytest.raises(NotFoundError):
            uow.add_follow_up("ESC-3", FollowupKind.INTERNAL, when, "mei", "nobody")
    with store.unit_of_work() as uow:
        records = uow.follow_ups(opened.id)
        assert uow.follow_ups(quiet.id) == []
    assert records == [
        FollowUpRecord(FollowupKind.INTERNAL, T0, "mei", "asked eng for ETA"),
        FollowUpRecord(FollowupKind.CUSTOMER, T0 + timedelta(hours=2), "mei",
                       "still investigating"),
    ]
    for record in records:
        assert_utc(record.at)


def _clock(kind: FollowupKind, due_hours: float, overdue_hours: float) -> FollowupClock:
    return FollowupClock(kind, T0 + timedelta(hours=due_hours),
                         T0 + timedelta(hours=overdue_hours))


def test_due_clocks_and_active_clocks(store: Store) -> None:
    internal, customer = FollowupKind.INTERNAL, FollowupKind.CUSTOMER
    a = open_escalation(store, "T-1", internal=_clock(internal, 1, 2),
                        customer_update=_clock(customer, 5, 9))
    b = open_escalation(store, "T-2", internal=_clock(internal, -3, -1),
                        customer_update=_clock(customer, 3, 4))
    c = open_escalation(store, "T-3", status=Status.ACKNOWLEDGED, internal=None,
                        customer_update=_clock(customer, 1, 3))
    open_escalation(store, "T-4", status=Status.RESOLVED, internal=None, customer_update=None)
    with store.unit_of_work(read_only=True) as uow:
        assert uow.due_clocks(T0 - timedelta(hours=4)) == []
        assert uow.due_clocks(T0 + timedelta(hours=3)) == [
            (b.id, _clock(internal, -3, -1)),
            (a.id, _clock(internal, 1, 2)),
            (c.id, _clock(customer, 1, 3)),
            (b.id, _clock(customer, 3, 4)),  # due exactly at the horizon counts
        ]
        everything = uow.active_clocks()
        assert everything == uow.due_clocks(T0 + timedelta(days=365))
        assert len(everything) == 5
    for _, clock in everything:
        assert_utc(clock.due_at)
        assert_utc(clock.overdue_at)


def test_resolving_stops_the_clocks_in_the_query(store: Store) -> None:
    opened = open_escalation(store)
    resolved = replace(opened, status=Status.RESOLVED, internal=None, customer_update=None,
                       resolution="fixed", learning="l", fix_kind=FixKind.WORKAROUND,
                       resolved_at=T0, version=2)
    with store.unit_of_work() as uow:
        assert len(uow.due_clocks(T0 + timedelta(days=1))) == 2
        uow.update_escalation(resolved, 1, T0, "mei")
        assert uow.due_clocks(T0 + timedelta(days=1)) == []
        assert uow.active_clocks() == []
        with pytest.raises(ValueError, match="clocks run only while active"):
            uow.update_escalation(replace(resolved, internal=opened.internal, version=3),
                                  2, T0, "mei")


def test_learnings_round_trip(store: Store) -> None:
    first = open_escalation(store)
    second = open_escalation(store, "T-2")
    taught = [
        Learning(first.id, "T-1", frozenset({"csv", "export", "rows"}), "exports",
                 Category.BUG, "patched paging", "check limits", FixKind.CODE_FIX, None,
                 T0.astimezone(SHANGHAI)),
        Learning(second.id, "T-2", frozenset(), None, None, "config", "document it", None,
                 DeEscalationReason.WORKAROUND_FOUND, T0 + timedelta(days=1)),
    ]
    with store.unit_of_work() as uow:
        assert uow.learnings() == []
        for learning in taught:
            uow.add_learning(learning)
    with store.unit_of_work() as uow:
        loaded = uow.learnings()
    assert loaded == taught
    assert_utc(loaded[0].resolved_at)


def test_a_failing_unit_of_work_writes_nothing(store: Store) -> None:
    save_ticket(store)
    with pytest.raises(RuntimeError, match="boom"), store.unit_of_work() as uow:
        uow.add_escalation(an_escalation())
        uow.append_event(T0, "mei", "open", "ESC-1", {})
        raise RuntimeError("boom")
    with store.unit_of_work() as uow:
        assert uow.list_escalations() == []
        assert uow.audit_head() is None
        assert list(uow.events()) == []


def test_read_only_unit_of_work_refuses_writes(store: Store) -> None:
    opened = open_escalation(store)
    with store.unit_of_work(read_only=True) as uow:
        assert uow.get_escalation(opened.id) == opened
        with pytest.raises(RuntimeError, match="read-only"):
            uow.append_event(T0, "mei", "x", None, {})
        with pytest.raises(RuntimeError, match="read-only"):
            uow.add_follow_up(opened.id, FollowupKind.INTERNAL, T0, "mei", "n")
    # The pooled connection is writable again afterwards.
    for _ in range(3):
        with store.unit_of_work() as uow:
            uow.add_follow_up(opened.id, FollowupKind.INTERNAL, T0, "mei", "n")
    with store.unit_of_work(read_only=True) as uow:
        assert len(uow.follow_ups(opened.id)) == 3


def test_unsupported_database_url_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database URL"):
        Store("mysql://root@localhost/escalations")


# --- audit trail --------------------------------------------------------------------------------


def append_many(store: Store, count: int) -> None:
    with store.unit_of_work() as uow:
        for i in range(count):
            uow.append_event(
                (T0 + timedelta(minutes=i)).astimezone(SHANGHAI),
                f"actor-{i % 3}",
                "follow_up" if i % 2 else "open",
                f"ESC-{i % 4 + 1}" if i % 5 else None,
                {"i": i, "note": "客户已通知 ✓", "nested": {"ratio": i / 7, "flags": [True, None]}},
            )


def test_audit_chain_over_many_appends_verifies(store: Store) -> None:
    append_many(store, 150)
    with store.unit_of_work() as uow:
        uow.append_event(T0, "mei", "close", "esc-2", {"late": True})
    with store.unit_of_work(read_only=True) as uow:
        head = uow.audit_head()
        events = list(uow.events())
        assert verify_chain(uow.events(), head) == (151, None)
        for_two = list(uow.events("2"))
    assert head == (151, events[-1].hash)
    assert [e.seq for e in events] == list(range(1, 152))
    assert all(e.at.utcoffset() == timedelta(0) for e in events)
    assert events[7].details == {"i": 7, "note": "客户已通知 ✓",
                                 "nested": {"ratio": 1.0, "flags": [True, None]}}
    assert events[-1].escalation_id == "ESC-2"
    assert [e.seq for e in for_two] == [e.seq for e in events if e.escalation_id == "ESC-2"]
    assert for_two[-1].action == "close"


def test_append_event_returns_what_is_stored(store: Store) -> None:
    with store.unit_of_work() as uow:
        written = uow.append_event(T0, "mei", "open", "ESC-1", {"severity": "high"})
    with store.unit_of_work() as uow:
        assert list(uow.events()) == [written]
        assert uow.audit_head() == (1, written.hash)


def _sql(store: Store, *statements: str) -> None:
    with store.engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET actor = 'mallory' WHERE seq = 2",
        "DELETE FROM audit_events WHERE seq = 3",
        "DELETE FROM audit_events",
        "UPDATE audit_head SET seq = 1",
        "DELETE FROM audit_head",
    ],
)
def test_database_refuses_to_change_the_audit_log(store: Store, statement: str) -> None:
    append_many(store, 3)
    with pytest.raises(DBAPIError, match=r"append-only|only moves forward"):
        _sql(store, statement)
    with store.unit_of_work() as uow:
        assert verify_chain(uow.events(), uow.audit_head()) == (3, None)


def _drop_append_only_triggers(store: Store) -> None:
    if store.engine.dialect.name == "postgresql":
        _sql(store, "DROP TRIGGER audit_events_append_only ON audit_events",
             "DROP TRIGGER audit_head_forward_only ON audit_head")
    else:
        _sql(store, "DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete",
             "DROP TRIGGER audit_head_forward_only", "DROP TRIGGER audit_head_no_delete")


SWAP_4_AND_5 = [
    "UPDATE audit_events SET seq = 1000 WHERE seq = 4",
    "UPDATE audit_events SET seq = 4 WHERE seq = 5",
    "UPDATE audit_events SET seq = 5 WHERE seq = 1000",
]


@pytest.mark.parametrize(
    ("statements", "first_bad", "why"),
    [
        (["UPDATE audit_events SET actor = 'mallory' WHERE seq = 6"], 6, "hash mismatch"),
        (["UPDATE audit_events SET details = '{\"i\":7}' WHERE seq = 8"], 8, "hash mismatch"),
        (["UPDATE audit_events SET action = 'close' WHERE seq = 9"], 9, "hash mismatch"),
        (["DELETE FROM audit_events WHERE seq = 5"], 5, "missing"),
        (["DELETE FROM audit_events WHERE seq = 1"], 1, "missing"),
        (SWAP_4_AND_5, 4, "does not link"),
        (["DELETE FROM audit_events WHERE seq = 12"], 12, "removed from the end"),
        (["DELETE FROM audit_events WHERE seq >= 10",
          "UPDATE audit_head SET seq = 9, hash = 'f' WHERE id = 1"], 9, "chain head"),
        (["DELETE FROM audit_head"], 1, "head record is missing"),
    ],
    ids=["edit-actor", "edit-details", "edit-action", "delete-middle", "delete-first",
         "reorder", "delete-last", "truncate-and-fake-head", "delete-head"],
)
def test_tampering_is_caught_at_the_first_bad_event(
    store: Store, statements: list[str], first_bad: int, why: str
) -> None:
    append_many(store, 12)
    _drop_append_only_triggers(store)
    _sql(store, *statements)
    with store.unit_of_work(read_only=True) as uow:
        _, problem = verify_chain(uow.events(), uow.audit_head())
    assert problem is not None
    assert problem.seq == first_bad
    assert why in problem.reason
