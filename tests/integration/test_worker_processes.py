"""The proof of issue #4: real worker processes, one receiver counting idempotency keys.

(a) 1,190 due messages (170 escalations × the opening and six reminders: 1,020 reminders), two
    `escalate worker` processes claiming side by side: every message is received exactly once,
    and the outbox and the audit trail say so.
(b) `kill -9` of a worker in the middle of a batch against a slow receiver, then another worker
    once the lease has run out: nothing is lost, and the only re-send is the message that was
    in flight at the kill, with the same idempotency key.

Runs on PostgreSQL (`FOR UPDATE SKIP LOCKED` and leases; skipped unless ESCALATION_TEST_PG is
set) and on SQLite (the write lock serialises the claims of the processes).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from escalation.adapters.db.store import Store
from escalation.adapters.db.tables import outbox
from escalation.adapters.notify.loopback import loopback_server, server_url
from escalation.adapters.policy_file import load_policy
from escalation.services import Desk
from escalation.worker import Worker
from support import T0, bug_ticket

pytestmark = pytest.mark.slow

ESCALATIONS = 170  # × 6 reminders = 1,020 due reminders, plus 170 openings


@dataclass
class Receiver:
    """Counts idempotency keys; `delay` seconds pass between receiving and answering."""

    server: ThreadingHTTPServer
    keys: Counter[str] = field(default_factory=Counter)
    mismatched: list[str] = field(default_factory=list)  # header key != body key
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return server_url(self.server, "/hooks/eng")

    def snapshot(self) -> Counter[str]:
        with self.lock:
            return Counter(self.keys)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    holder: dict[str, Receiver] = {}

    def handle(request: BaseHTTPRequestHandler, body: bytes) -> None:
        rec = holder["r"]
        key = request.headers.get("X-Escalation-Delivery", "")
        with rec.lock:
            rec.keys[key] += 1  # counted on arrival: a worker killed now never sees 200
            if json.loads(body)["key"] != key:
                rec.mismatched.append(key)
            delay = rec.delay
        if delay:
            time.sleep(delay)
        request.send_response(204)
        request.end_headers()

    with loopback_server(handle) as server:
        holder["r"] = Receiver(server)
        yield holder["r"]


def write_policy(path: Path, url: str, **delivery: float) -> Path:
    """Reminders bunched up: due soon 1 min before, internal overdue 1 min after, and the
    customer update overdue when due, so a clock's six reminders all fall due within 2 min."""
    settings = "".join(f"{k} = {v}\n" for k, v in delivery.items())
    path.write_text(
        "schema = 1\n"
        "[followups]\ndue_soon_minutes = 1\ninternal_grace_minutes = 1\n"
        '[followups.high]\ninternal = "4h"\ncustomer_update = ["4h", "4h"]\n'
        f'[[channels]]\nname = "eng"\nkind = "webhook"\nurl = "{url}"\nsecret = "s3cret"\n'
        f"[delivery]\n{settings}", encoding="utf-8")
    return path


def open_escalations(db_url: str, policy: Path, count: int, opened: datetime) -> set[str]:
    """Open `count` High escalations at `opened`; the keys of their outbox messages."""
    store = Store(db_url)
    try:
        desk = Desk(store, load_policy(policy), "alice")
        for n in range(1, count + 1):
            desk.open(bug_ticket(f"ZD-{n}", f"C-{n}", opened=opened), opened)
        with store.unit_of_work(read_only=True) as uow:
            keys = {r.key for r in uow.outbox.deliveries(limit=100_000)}
    finally:
        store.close()
    # Per escalation: opened + due soon, due, overdue of two clocks; and once, when the third
    # customer reports the same bug, pattern.detected.
    assert len(keys) == 7 * count + 1
    assert sum(k.startswith("pattern:") for k in keys) == 1
    return keys


def escalate(db_url: str, policy: Path, *args: str) -> list[str]:
    """The argv of one `escalate` process."""
    return [sys.executable, "-m", "escalation", "--db", db_url, "--policy", str(policy),
            "--actor", "alice", *args]


_REPORT = re.compile(r"claimed (\d+), sent (\d+), retrying (\d+), dead (\d+)")


def outbox_state(db_url: str) -> tuple[dict[str, int], list[Any]]:
    store = Store(db_url, migrate=False)
    try:
        with store.unit_of_work(read_only=True) as uow:
            return uow.outbox.counts(), uow.outbox.deliveries(limit=100_000)
    finally:
        store.close()


def audit(db_url: str) -> tuple[list[str], tuple[int, Any]]:
    """Keys of the notification.sent events, and the audit chain check."""
    store = Store(db_url, migrate=False)
    try:
        with store.unit_of_work(read_only=True) as uow:
            sent = [e.details["key"] for e in uow.events() if e.action == "notification.sent"]
        return sent, Desk(store, load_policy(None), "check").verify_audit()
    finally:
        store.close()


def test_two_worker_processes_deliver_every_message_exactly_once(
        db_url: str, receiver: Receiver, tmp_path: Path) -> None:
    policy = write_policy(tmp_path / "policy.toml", receiver.url, batch_size=25,
                          lease_seconds=60)
    expected = open_escalations(db_url, policy, ESCALATIONS, T0)
    now = (T0 + timedelta(hours=4, minutes=1)).isoformat()  # everything due, nothing stale
    sent_by: dict[int, int] = Counter()
    problems: list[str] = []

    def work(slot: int) -> None:
        # One worker process after another in this slot until the outbox is drained.
        for _ in range(100):
            run = subprocess.run(escalate(db_url, policy, "worker", "--once", "--now", now),
                                 capture_output=True, text=True, timeout=60, check=False)
            match = _REPORT.search(run.stdout)
            if run.returncode != 0 or match is None:
                problems.append(f"worker {slot}: {run.returncode} {run.stdout} {run.stderr}")
                return
            sent_by[slot] += int(match.group(2))
            if int(match.group(1)) == 0 and outbox_state(db_url)[0].get("pending", 0) == 0:
                return
        problems.append(f"worker {slot}: the outbox never drained")

    threads = [threading.Thread(target=work, args=(slot,)) for slot in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert problems == []
    received = receiver.snapshot()
    assert set(received) == expected  # no key missing, none unknown
    assert [k for k, n in received.items() if n > 1] == []  # none twice
    assert receiver.mismatched == []
    assert sum(sent_by.values()) == len(expected) == 7 * ESCALATIONS + 1  # + pattern.detected
    assert all(sent_by[slot] > 0 for slot in (1, 2)), sent_by  # both processes did work
    counts, rows = outbox_state(db_url)
    assert counts == {"sent": len(expected)}
    assert all(r.attempts == 1 for r in rows)
    sent_events, (checked, problem) = audit(db_url)
    assert sorted(sent_events) == sorted(expected)
    # Audit: one escalation.opened each, one notification.sent per message, one pattern.detected.
    assert problem is None and checked == ESCALATIONS + len(expected) + 1


def test_kill_9_mid_batch_loses_nothing_and_resends_with_the_same_key(
        db_url: str, receiver: Receiver, tmp_path: Path) -> None:
    policy = write_policy(tmp_path / "policy.toml", receiver.url, lease_seconds=2)
    # The clocks fell due a minute ago on the real clock: the workers run on the real clock.
    expected = open_escalations(db_url, policy, 10,
                                datetime.now(UTC) - timedelta(hours=4, minutes=1))
    receiver.delay = 0.2
    first = subprocess.Popen(escalate(db_url, policy, "worker", "--once"),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while sum(receiver.snapshot().values()) < 5:
            assert time.monotonic() < deadline, "the first worker never got going"
            assert first.poll() is None, "the first worker ended before the kill"
            time.sleep(0.01)
        os.kill(first.pid, signal.SIGKILL)
    finally:
        first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL
    at_kill = receiver.snapshot()
    receiver.delay = 0.0

    counts, rows = outbox_state(db_url)
    leased = [r for r in rows if r.status == "pending"]
    assert counts["sent"] >= 4 and leased  # killed mid-batch: some sent, the rest still held
    in_flight = {r.key for r in leased} & set(at_kill)  # received, never recorded as sent
    assert len(in_flight) <= 1  # a worker sends one message at a time
    assert {r.key for r in rows if r.status == "sent"} <= set(at_kill)

    # Before the lease runs out nobody else takes the dead worker's messages.
    store = Store(db_url, migrate=False)
    try:
        with store.engine.connect() as conn:
            leases = [lease for (lease,) in conn.execute(
                select(outbox.c.lease_until).where(outbox.c.status == "pending"))]
        assert len(leases) == len(leased) and all(leases)
        probe = Worker(store, load_policy(policy), name="probe")
        assert probe.run_once(min(leases) - timedelta(seconds=0.5)).claimed == 0
    finally:
        store.close()
    wait = (max(leases) - datetime.now(UTC)).total_seconds() + 0.2
    if wait > 0:
        time.sleep(wait)

    for _ in range(10):  # the second worker, on the real clock, after the lease
        run = subprocess.run(escalate(db_url, policy, "worker", "--once"),
                             capture_output=True, text=True, timeout=60, check=False)
        assert run.returncode == 0, run.stderr
        if outbox_state(db_url)[0] == {"sent": len(expected)}:
            break
    counts, rows = outbox_state(db_url)
    assert counts == {"sent": len(expected)}  # nothing lost
    received = receiver.snapshot()
    assert set(received) == expected  # every key at least once, no key from elsewhere
    duplicates = {k for k, n in received.items() if n > 1}
    assert duplicates <= in_flight  # only what was in flight at the kill went twice
    assert all(received[k] == 2 for k in duplicates)
    assert receiver.mismatched == []  # each re-send carried the message's own key
    sent_events, (_checked, problem) = audit(db_url)
    assert sorted(sent_events) == sorted(expected) and problem is None  # recorded once each
