"""Real concurrent connections on one database: one writer wins, the audit chain stays whole."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from escalation.adapters.db import ConflictError, Store
from escalation.adapters.db.store import head_revision
from escalation.domain.audit import verify_chain
from escalation.domain.contract import ticket_from_mapping
from escalation.domain.model import Escalation, Severity, Status, Target

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
TIMEOUT_S = 60


def open_one(store: Store) -> Escalation:
    raw = {"id": "T-1", "subject": "Export drops rows", "customer": {"id": "acme"}}
    with store.unit_of_work() as uow:
        uow.save_ticket(ticket_from_mapping(raw), raw, T0)
        escalation = uow.add_escalation(Escalation(
            id="", ticket_id="T-1", status=Status.OPEN, severity=Severity.HIGH,
            target=Target.ENGINEERING, opened_at=T0, owner="mei",
        ))
        uow.append_event(T0, "mei", "open", escalation.id, {"severity": "high"})
    return escalation


def change(url: str, name: str, barrier: Any, *, hold_s: float = 0.0,
           one_transaction: bool = False) -> str:
    """Read ESC-1, wait for the rival to have read it too, then write: 'won' or 'conflict'."""
    store = Store(url)
    try:
        if one_transaction:
            # Read and write in one transaction, both transactions open at once (PostgreSQL).
            with store.unit_of_work() as uow:
                seen = uow.get_escalation("ESC-1")
                barrier.wait(TIMEOUT_S)
                return _write(uow, seen, name, hold_s)
        with store.unit_of_work(read_only=True) as uow:
            seen = uow.get_escalation("ESC-1")
        barrier.wait(TIMEOUT_S)
        with store.unit_of_work() as uow:
            return _write(uow, seen, name, hold_s)
    except ConflictError as conflict:
        assert conflict.expected_version == 1
        assert conflict.current_version == 2
        return "conflict"
    finally:
        store.close()


def _write(uow: Any, seen: Escalation, name: str, hold_s: float) -> str:
    changed = replace(seen, status=Status.ACKNOWLEDGED, summary=f"acknowledged by {name}",
                      version=seen.version + 1)
    uow.update_escalation(changed, seen.version, T0 + timedelta(minutes=1), name)
    uow.append_event(T0 + timedelta(minutes=1), name, "acknowledge", seen.id, {"by": name})
    # Keep the transaction open a moment so the rival's write really overlaps it.
    time.sleep(hold_s)
    return "won"


def run_threads(targets: list[Callable[[], str]]) -> list[str]:
    results: list[str] = [""] * len(targets)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            results[i] = targets[i]()
        except BaseException as error:  # re-raised in the test thread below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(targets))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT_S * 2)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    if errors:
        raise errors[0]
    return results


def assert_one_winner(store: Store, results: list[str], names: list[str]) -> None:
    assert sorted(results) == ["conflict", "won"]
    winner = names[results.index("won")]
    with store.unit_of_work(read_only=True) as uow:
        stored = uow.get_escalation("ESC-1")
        events = list(uow.events("ESC-1"))
        assert verify_chain(uow.events(), uow.audit_head()) == (2, None)
    assert (stored.version, stored.status) == (2, Status.ACKNOWLEDGED)
    assert stored.summary == f"acknowledged by {winner}"
    assert [(e.action, e.actor) for e in events] == [("open", "mei"), ("acknowledge", winner)]


def test_two_writers_on_one_escalation_one_wins(store: Store, db_url: str) -> None:
    open_one(store)
    barrier = threading.Barrier(2)
    names = ["ana", "bo"]
    results = run_threads([
        lambda: change(db_url, "ana", barrier, hold_s=0.3),
        lambda: change(db_url, "bo", barrier, hold_s=0.3),
    ])
    assert_one_winner(store, results, names)


def test_overlapping_transactions_one_wins(store: Store, db_url: str) -> None:
    """Both transactions read the same version and stay open while the other writes."""
    if store.engine.dialect.name == "sqlite":
        pytest.skip("SQLite write transactions take the lock at BEGIN, so two cannot overlap; "
                    "the read-then-write race is covered by the test above")
    open_one(store)
    barrier = threading.Barrier(2)
    names = ["ana", "bo"]
    results = run_threads([
        lambda: change(db_url, "ana", barrier, hold_s=0.5, one_transaction=True),
        lambda: change(db_url, "bo", barrier, hold_s=0.5, one_transaction=True),
    ])
    assert_one_winner(store, results, names)


def _process_change(url: str, name: str, barrier: Any, results: Any) -> None:
    results.put((name, change(url, name, barrier, hold_s=0.3)))


def test_two_processes_on_one_escalation_one_wins(store: Store, db_url: str) -> None:
    open_one(store)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results = context.Queue()
    names = ["ana", "bo"]
    processes = [context.Process(target=_process_change, args=(db_url, name, barrier, results))
                 for name in names]
    for process in processes:
        process.start()
    outcome = dict(results.get(timeout=TIMEOUT_S) for _ in processes)
    for process in processes:
        process.join(TIMEOUT_S)
        assert process.exitcode == 0
    assert_one_winner(store, [outcome[name] for name in names], names)


def test_concurrent_appenders_leave_a_gapless_chain(store: Store, db_url: str) -> None:
    writers, each = 8, 15
    with store.unit_of_work() as uow:
        uow.append_event(T0, "setup", "start", None, {})
    barrier = threading.Barrier(writers)

    def append(name: str) -> str:
        own = Store(db_url)
        try:
            barrier.wait(TIMEOUT_S)
            for i in range(each):
                with own.unit_of_work() as uow:
                    uow.append_event(T0 + timedelta(seconds=i), name, "follow_up",
                                     f"ESC-{i % 3 + 1}", {"i": i, "by": name})
            return name
        finally:
            own.close()

    names = [f"writer-{n}" for n in range(writers)]
    assert run_threads([lambda name=name: append(name) for name in names]) == names
    with store.unit_of_work(read_only=True) as uow:
        events = list(uow.events())
        head = uow.audit_head()
        assert verify_chain(uow.events(), head) == (1 + writers * each, None)
    assert [e.seq for e in events] == list(range(1, 2 + writers * each))
    assert head == (events[-1].seq, events[-1].hash)
    for name in names:
        mine = [e.details["i"] for e in events if e.actor == name]
        assert mine == list(range(each))  # each writer's events in its own order


def test_a_rolled_back_append_leaves_no_gap(store: Store, db_url: str) -> None:
    with store.unit_of_work() as uow:
        uow.append_event(T0, "a", "one", None, {})
    with pytest.raises(RuntimeError), store.unit_of_work() as uow:
        uow.append_event(T0, "a", "two", None, {})
        raise RuntimeError("changed my mind")
    with store.unit_of_work() as uow:
        third = uow.append_event(T0, "a", "three", None, {})
    assert third.seq == 2
    with store.unit_of_work(read_only=True) as uow:
        assert verify_chain(uow.events(), uow.audit_head()) == (2, None)


def test_stores_starting_at_once_migrate_a_fresh_database_once(db_url: str) -> None:
    starters = 4
    barrier = threading.Barrier(starters)

    def first_use() -> str:
        own = Store(db_url)
        try:
            barrier.wait(TIMEOUT_S)
            with own.unit_of_work() as uow:
                uow.append_event(T0, "starter", "start", None, {})
            return own.revision() or ""
        finally:
            own.close()

    assert set(run_threads([first_use] * starters)) == {head_revision()}
    with Store(db_url) as store, store.unit_of_work(read_only=True) as uow:
        assert verify_chain(uow.events(), uow.audit_head()) == (starters, None)


def test_connections_opening_a_fresh_sqlite_file_together_all_get_in(tmp_path: Any) -> None:
    # The first connection to a fresh file switches it to WAL, which needs the file to itself;
    # SQLite refuses that at once ("database is locked", no busy wait) while another
    # connection is opening it: the store waits it out like any other lock. Before it did,
    # about 1 round in 20 failed.
    starters = 6
    for round_number in range(40):
        url = f"sqlite:///{tmp_path / f'fresh-{round_number}.db'}"
        barrier = threading.Barrier(starters)

        def first_use(url: str = url, barrier: threading.Barrier = barrier) -> str:
            barrier.wait(TIMEOUT_S)
            store = Store(url, migrate=False)
            try:
                with store.unit_of_work(read_only=True):
                    pass
                return "in"
            finally:
                store.close()

        assert run_threads([first_use] * starters) == ["in"] * starters, round_number
