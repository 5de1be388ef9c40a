"""Benchmark: 10,000 due reminders delivered by 2 `escalate worker` processes on PostgreSQL.

Fills a PostgreSQL schema of its own (created and dropped like tests/conftest.py) with 2,500
High escalations, starts a local webhook receiver (a ThreadingHTTPServer in this process that
checks each HMAC signature and counts idempotency keys) and the worker processes (`escalate
worker`, the real command on the real clock, polling every --poll seconds), then enqueues four
reminders per escalation through the outbox, all falling due at one moment a few seconds ahead
(a burst: every reminder of the desk due at once). When the receiver has every key (or nothing
moved for --stall seconds) the workers are stopped (SIGTERM) and the run prints:

- deliveries per second, from the moment the reminders fell due to the last receipt;
- p50 / p99 / max lag from each reminder's due time to its receipt at the receiver;
- duplicates (keys received more than once) and losses (keys never received, rows not sent):
  both must be 0;
- how the messages split between the workers (the outbox's claimed_by).

The named baseline "single-worker" is the same run with one worker process, measured in the same
invocation on a fresh schema.
Targets: duplicates = 0 and losses = 0 in both runs; p99 lag <= 60 s with 2 workers (the issue:
"a reminder goes out within a minute of falling due", here for a burst of 10,000).

    .venv/bin/python benchmarks/deliveries.py [--reminders 10000] [--workers 2] [--pg URL]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from escalation.adapters.db.schemas import temporary_schema
from escalation.adapters.db.store import Store
from escalation.adapters.db.tables import escalations, outbox, tickets
from escalation.adapters.notify.loopback import loopback_server, server_url
from escalation.adapters.notify.webhook import verify_signature
from escalation.adapters.policy_file import load_policy
from escalation.domain.model import (
    Customer,
    Escalation,
    FollowupClock,
    FollowupKind,
    Severity,
    Status,
    Target,
)
from escalation.domain.notifications import Message, reminder_messages

PG_ENV = "ESCALATION_TEST_PG"
SECRET = "bench-hook-secret"
PER_ESCALATION = 4  # due soon and due of the internal and the customer clock
TARGET_P99_S = 60.0


# --- the receiver ------------------------------------------------------------------------------


@dataclass
class Receiver:
    """Verifies signatures and records, per idempotency key, each receipt (wall-clock time)."""

    server: ThreadingHTTPServer
    receipts: dict[str, list[float]] = field(default_factory=dict)
    due: dict[str, float] = field(default_factory=dict)
    bad_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return server_url(self.server, "/hooks/bench")

    def unique(self) -> int:
        with self.lock:
            return len(self.receipts)


@contextmanager
def receiver() -> Iterator[Receiver]:
    holder: dict[str, Receiver] = {}

    def handle(request: BaseHTTPRequestHandler, body: bytes) -> None:
        now = time.time()
        rec = holder["r"]
        key = request.headers.get("X-Escalation-Delivery", "")
        if not verify_signature(body, request.headers.get("X-Escalation-Signature", ""), SECRET):
            with rec.lock:
                rec.bad_signatures += 1
            request.send_response(401)
        else:
            due = datetime.fromisoformat(json.loads(body)["due_at"]).timestamp()
            with rec.lock:
                rec.receipts.setdefault(key, []).append(now)
                rec.due[key] = due
            request.send_response(204)
        request.send_header("Content-Length", "0")
        request.end_headers()

    # Keep-alive: each worker reuses its connection.
    with loopback_server(handle, keep_alive=True) as server:
        holder["r"] = Receiver(server)
        yield holder["r"]


# --- data ----------------------------------------------------------------------------------------


def escalation_rows(count: int, now: datetime) -> tuple[list[dict[str, Any]],
                                                        list[dict[str, Any]],
                                                        list[Escalation]]:
    """Tickets and escalation rows of `count` active High escalations, and the escalations."""
    ticket_rows, rows, built = [], [], []
    for number in range(1, count + 1):
        ticket_id = f"ZD-{100_000 + number}"
        customer = Customer(id=f"C-{number}", name=f"Customer {number}", arr=120000.0,
                            plan="enterprise", timezone="America/New_York", country="US")
        opened = now - timedelta(hours=4)
        due, overdue = now + timedelta(seconds=30), now + timedelta(hours=4)
        subject = "CSV export drops rows after 10,000 lines"
        ticket_rows.append({"ticket_id": ticket_id, "customer_id": customer.id,
                            "subject": subject, "created_at": opened, "stored_at": opened,
                            "raw": {"id": ticket_id, "subject": subject}})
        rows.append({
            "number": number, "ticket_id": ticket_id, "status": Status.IN_PROGRESS.value,
            "severity": Severity.HIGH.value, "target": Target.ENGINEERING.value,
            "also_notify": [], "owner": "ana", "summary": subject, "customer": asdict(customer),
            "customers_affected": 1, "opened_at": opened, "internal_due_at": due,
            "internal_overdue_at": due + timedelta(minutes=30), "customer_due_at": due,
            "customer_overdue_at": overdue, "version": 1, "updated_at": opened,
        })
        built.append(Escalation(
            id=f"ESC-{number}", ticket_id=ticket_id, status=Status.IN_PROGRESS,
            severity=Severity.HIGH, target=Target.ENGINEERING, opened_at=opened, owner="ana",
            customer=customer, summary=subject,
            internal=FollowupClock(FollowupKind.INTERNAL, due, due + timedelta(minutes=30)),
            customer_update=FollowupClock(FollowupKind.CUSTOMER, due, overdue)))
    return ticket_rows, rows, built


def reminders(built: list[Escalation], policy_file: Path, due: datetime) -> list[Message]:
    """Four reminders per escalation (the real keys and payloads), all due at `due`."""
    policy = load_policy(policy_file)
    channels = policy.notifications.channels
    out = []
    for escalation in built:
        for clock in (escalation.internal, escalation.customer_update):
            assert clock is not None
            planned = reminder_messages(escalation, clock, channels,
                                        policy.followups.due_soon_minutes)
            out += [replace(m, due_at=due) for m in planned[:2]]  # due soon, due
    return out


def write_policy(path: Path, url: str, poll: float) -> Path:
    path.write_text(
        "schema = 1\n"
        f'[[channels]]\nname = "bench"\nkind = "webhook"\nurl = "{url}"\n'
        f'secret = "{SECRET}"\n'
        f"[delivery]\npoll_seconds = {poll}\n", encoding="utf-8")
    return path


# --- one run -------------------------------------------------------------------------------------


@dataclass
class Result:
    label: str
    workers: int
    expected: int
    per_second: float
    p50: float
    p99: float
    max_lag: float
    duplicates: int
    losses: int
    by_worker: list[int]
    enqueue_s: float


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def start_workers(url: str, policy: Path, count: int) -> list[subprocess.Popen[str]]:
    """`escalate worker` processes, returned once each has said it is polling."""
    procs = [subprocess.Popen(
        [sys.executable, "-m", "escalation", "--db", url, "--policy", str(policy), "worker"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) for _ in range(count)]
    for proc in procs:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if "polling" not in line:
            raise RuntimeError(f"worker did not start: {line!r}")
    return procs


def run(base_url: str, label: str, workers: int, args: argparse.Namespace) -> Result:
    count = args.reminders // PER_ESCALATION
    with temporary_schema(base_url, "bench") as url, receiver() as rec, \
            tempfile.TemporaryDirectory() as tmp:
        store = Store(url)
        try:
            store.upgrade()
            now = datetime.now(UTC)
            ticket_rows, rows, built = escalation_rows(count, now)
            with store.engine.begin() as conn:
                conn.execute(insert(tickets), ticket_rows)
                conn.execute(insert(escalations), rows)
                conn.execute(text("SELECT setval(pg_get_serial_sequence('escalations', "
                                  "'number'), (SELECT max(number) FROM escalations))"))
            policy = write_policy(Path(tmp) / "policy.toml", rec.url, args.poll)
            procs = start_workers(url, policy, workers)
            try:
                due = datetime.now(UTC) + timedelta(seconds=args.lead)
                messages = reminders(built, policy, due)
                started = time.perf_counter()
                with store.unit_of_work() as uow:
                    uow.outbox.enqueue(messages, datetime.now(UTC), lambda m: m.due_at)
                enqueue_s = time.perf_counter() - started
                if datetime.now(UTC) > due:
                    print(f"  (enqueueing took {enqueue_s:.1f} s, longer than --lead "
                          f"{args.lead:g} s: lags include the rest)")
                expected = {m.key for m in messages}
                seen, last_change = 0, time.monotonic()
                while seen < len(expected) and time.monotonic() - last_change < args.stall:
                    time.sleep(0.05)
                    now_seen = rec.unique()
                    if now_seen != seen:
                        seen, last_change = now_seen, time.monotonic()
            finally:
                for proc in procs:
                    proc.send_signal(signal.SIGTERM)
                for proc in procs:
                    try:
                        proc.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
            with store.engine.connect() as conn:
                statuses: dict[str, int] = {
                    status: n for status, n in conn.execute(
                        select(outbox.c.status, func.count()).group_by(outbox.c.status))}
                by_worker = sorted((n for _, n in conn.execute(
                    select(outbox.c.claimed_by, func.count()).where(outbox.c.status == "sent")
                    .group_by(outbox.c.claimed_by))), reverse=True)
        finally:
            store.close()
        with rec.lock:
            receipts = {k: list(v) for k, v in rec.receipts.items()}
            dues = dict(rec.due)
            bad = rec.bad_signatures
    if bad:
        print(f"  {bad} requests failed the signature check")
    received = set(receipts)
    duplicates = sum(len(v) - 1 for v in receipts.values())
    losses = len(expected - received) + (len(expected) - statuses.get("sent", 0))
    lags = [receipts[k][0] - dues[k] for k in received]
    span = max(r[0] for r in receipts.values()) - due.timestamp() if receipts else float("inf")
    return Result(label, workers, len(expected), len(received) / span,
                  _percentile(lags, 0.5), _percentile(lags, 0.99), max(lags), duplicates,
                  losses, by_worker, enqueue_s)


def report(result: Result) -> None:
    split = " + ".join(f"{n:,}" for n in result.by_worker)
    print(f"{result.label:14} {result.workers:>7} {result.per_second:>12,.0f} "
          f"{result.p50:>9.2f} s {result.p99:>9.2f} s {result.max_lag:>9.2f} s "
          f"{result.duplicates:>10} {result.losses:>7}   {split}")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--poll", type=float, default=1.0, help="worker poll interval, s")
    parser.add_argument("--lead", type=float, default=5.0,
                        help="seconds between enqueueing and the moment the reminders fall due")
    parser.add_argument("--stall", type=float, default=30.0,
                        help="give up when no new key arrived for this many seconds")
    parser.add_argument("--pg", default=os.environ.get(PG_ENV, "").strip() or None,
                        help=f"PostgreSQL URL (default: ${PG_ENV})")
    args = parser.parse_args()
    if not args.pg:
        print(f"PostgreSQL needed: pass --pg URL or set {PG_ENV}", file=sys.stderr)
        return 2
    count = args.reminders // PER_ESCALATION
    print(f"{count * PER_ESCALATION:,} reminders ({count:,} High escalations x "
          f"{PER_ESCALATION}) due at one moment; webhook receiver on 127.0.0.1; workers poll "
          f"every {args.poll:g} s; PostgreSQL")
    results = [run(args.pg, f"{args.workers} workers", args.workers, args),
               run(args.pg, '"single-worker"', 1, args)]
    print(f"{'run':14} {'workers':>7} {'delivered/s':>12} {'p50 lag':>11} {'p99 lag':>11} "
          f"{'max lag':>11} {'duplicates':>10} {'losses':>7}   sent per worker")
    for result in results:
        report(result)
    main_run, baseline = results
    print(f"{main_run.label} / single-worker throughput: "
          f"{main_run.per_second / baseline.per_second:.2f}x; enqueueing "
          f"{main_run.expected:,} took {main_run.enqueue_s:.1f} s")
    clean = all(r.duplicates == 0 and r.losses == 0 for r in results)
    print(f"duplicates and losses: {'0 and 0: OK' if clean else 'NOT ZERO: FAIL'}")
    verdict = "OK" if main_run.p99 <= TARGET_P99_S else "MISS"
    print(f"p99 lag with {main_run.workers} workers: {main_run.p99:.2f} s, target "
          f"<= {TARGET_P99_S:.0f} s: {verdict}")
    return 0 if clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
