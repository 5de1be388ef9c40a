"""Benchmark: the follow-ups query (`escalate followups`) over 100,000 active escalations.

Fills a fresh database (a SQLite temp file; PostgreSQL too with --pg URL or ESCALATION_TEST_PG,
in a schema of its own that the script creates and drops) with N active escalations whose
follow-up clocks are spread around --now (severities mixed; by default 3 % of the clocks due
soon, due or overdue, the rest upcoming), then prints, best and median of --repeat runs:

- `Desk.followups(now)`, what `escalate followups` runs, and its two parts alone:
  `UnitOfWork.due_clocks(horizon)` (the indexed query: two index range scans) and
  `UnitOfWork.followup_rows(horizon)` (the same scans plus the columns the list shows);
- the named baseline "naive-scan", measured in the same run: load every active escalation
  (`list_escalations`) and compute each clock's state in Python with `cadence.state_of`,
  keeping the due-soon, due and overdue ones;
- the rows each returns (they must agree), the ratio, and the query plan of `due_clocks`.

Target: the indexed query (`due_clocks`) <= 50 ms at 100k escalations, on each backend;
`Desk.followups` is shown against the same 50 ms. SQLite is timed as the application leaves
it (no ANALYZE); PostgreSQL after VACUUM ANALYZE, as autovacuum does after a bulk load.

    .venv/bin/python benchmarks/followups.py [--escalations 100000] [--repeat 7] [--pg URL]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, insert, text

from escalation.adapters.db.schemas import temporary_schema
from escalation.adapters.db.store import Store
from escalation.adapters.db.tables import (
    checklist_items,
    escalation_tickets,
    escalations,
    tickets,
)
from escalation.domain.cadence import FollowupState, horizon, state_of
from escalation.domain.model import (
    ChecklistItem,
    Customer,
    FollowupClock,
    Severity,
    Status,
    Target,
)
from escalation.domain.policy import Policy
from escalation.services import Desk

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
TARGET_MS = 50.0
PG_ENV = "ESCALATION_TEST_PG"
ACTIVE = [s for s in Status if s.is_active]
ATTENTION = {FollowupState.DUE_SOON, FollowupState.DUE, FollowupState.OVERDUE}

# Severity: (share, internal every h, customer update due h, customer update overdue h), the
# default policy's cadence; a Medium customer update's 1-2 business days taken as 24-48 h.
_SEVERITIES = {
    Severity.CRITICAL: (0.1, 2, 2, 4),
    Severity.HIGH: (0.3, 4, 4, 8),
    Severity.MEDIUM: (0.6, 24, 24, 48),
}
_SUBJECTS = [
    "Checkout returns HTTP 500 for EU customers",
    "CSV export drops rows after 10,000 lines",
    "SSO login loops back to the sign-in page",
    "Invoices show the wrong VAT rate",
    "Webhook deliveries delayed by 40 minutes",
    "API key visible to users of another workspace",
]
_ZONES = ["America/New_York", "Europe/Berlin", "Asia/Shanghai", "UTC", None]
_COUNTRIES = ["US", "DE", "CN", "GB", None]
_OWNERS = ["ana", "bo", "chen", "dara", "eli", "fay"]

T = TypeVar("T")
Clock = tuple[str, str]  # (escalation id, kind): one follow-up owed
Table = list[dict[str, Any]]
Rows = tuple[Table, Table, Table, Table]  # tickets, escalations, escalation_tickets, checklist


# --- data ------------------------------------------------------------------------------------


def _clock(
    rng: random.Random, now: datetime, every_h: float, span: timedelta, policy: Policy,
    attention: float,
) -> tuple[datetime, datetime]:
    """(due_at, overdue_at) of one clock: a third of `attention` each overdue, due, due soon."""
    soon = policy.followups.due_soon_minutes * 60
    span_s = int(span.total_seconds())
    draw = rng.random()
    if draw < attention / 3:  # overdue, by up to three days
        overdue = now - timedelta(seconds=rng.randint(0, 3 * 86_400))
        return overdue - span, overdue
    if draw < 2 * attention / 3:  # due, not yet overdue
        due = now - timedelta(seconds=rng.randint(0, span_s - 1))
    elif draw < attention:  # due within the due-soon window
        due = now + timedelta(seconds=rng.randint(1, soon))
    else:  # upcoming: somewhere in the rest of the cadence
        due = now + timedelta(seconds=rng.randint(soon + 1, max(int(every_h * 3600), 2 * soon)))
    return due, due + span


def make_rows(
    count: int, now: datetime, policy: Policy, attention: float, seed: int = 7
) -> Rows:
    """Rows for tickets, escalations, escalation_tickets and checklist_items."""
    rng = random.Random(seed)
    severities = list(_SEVERITIES)
    weights = [_SEVERITIES[s][0] for s in severities]
    grace = timedelta(minutes=policy.followups.internal_grace_minutes)
    items = sorted(ChecklistItem)
    ticket_rows, escalation_rows, link_rows, item_rows = [], [], [], []
    for number in range(1, count + 1):
        severity = rng.choices(severities, weights)[0]
        _, every, customer_due, customer_overdue = _SEVERITIES[severity]
        internal = _clock(rng, now, every, grace, policy, attention)
        customer_span = timedelta(hours=customer_overdue - customer_due)
        customer_update = _clock(rng, now, customer_due, customer_span, policy, attention)
        opened = min(internal[0], customer_update[0]) - timedelta(
            hours=max(every, customer_due) + rng.uniform(0, 24 * 14))
        ticket_id = f"ZD-{100_000 + number}"
        customer = Customer(
            id=f"C-{rng.randint(1, 8000)}", name=f"Customer {rng.randint(1, 8000)}",
            arr=rng.choice([None, 1200.0, 24000.0, 90000.0, 600000.0]),
            plan=rng.choice(["pro", "business", "enterprise", None]),
            reference_customer=rng.random() < 0.1,
            update_hours=rng.choice([None] * 9 + [4.0]),
            timezone=rng.choice(_ZONES), country=rng.choice(_COUNTRIES),
        )
        subject = rng.choice(_SUBJECTS)
        created = opened - timedelta(hours=rng.uniform(0, 72))
        ticket_rows.append({
            "ticket_id": ticket_id, "customer_id": customer.id, "subject": subject,
            "created_at": created, "stored_at": opened,
            "raw": {"id": ticket_id, "subject": subject, "created_at": created.isoformat(),
                    "customer": {"id": customer.id, "name": customer.name}},
        })
        last_internal = internal[0] - timedelta(hours=every)
        last_customer = customer_update[0] - timedelta(hours=customer_due)
        escalation_rows.append({
            "number": number, "ticket_id": ticket_id, "status": rng.choice(ACTIVE).value,
            "severity": severity.value,
            "target": rng.choice([Target.L2, Target.ENGINEERING, Target.ENGINEERING,
                                  Target.PRODUCT, Target.SECURITY]).value,
            "also_notify": rng.choice([[], [], ["leadership"], ["security"]]),
            "owner": rng.choice(_OWNERS), "summary": subject, "customer": asdict(customer),
            "customers_affected": rng.choice([1, 1, 1, 2, 5]), "opened_at": opened,
            "internal_due_at": internal[0], "internal_overdue_at": internal[1],
            "customer_due_at": customer_update[0], "customer_overdue_at": customer_update[1],
            "last_internal_at": last_internal if last_internal > opened else None,
            "last_customer_at": last_customer if last_customer > opened else None,
            "version": rng.randint(1, 12), "updated_at": max(opened, last_internal),
        })
        link_rows.append({"escalation_number": number, "ticket_id": ticket_id,
                          "linked_at": opened})
        for item in items[: rng.choice([0, 0, 0, 1, 2])]:
            item_rows.append({"escalation_number": number, "item": item.value,
                              "done_at": opened, "actor": "bench"})
    return ticket_rows, escalation_rows, link_rows, item_rows


def fill(store: Store, rows: Rows, chunk: int = 10_000) -> None:
    """Bulk-insert the rows (SQLAlchemy Core executemany) and refresh planner statistics."""
    postgresql = store.engine.dialect.name == "postgresql"
    with store.engine.begin() as conn:
        for table, table_rows in zip(
            (tickets, escalations, escalation_tickets, checklist_items), rows, strict=True
        ):
            for start in range(0, len(table_rows), chunk):
                conn.execute(insert(table), table_rows[start:start + chunk])
        if postgresql:  # numbers were given explicitly: move the sequence past them
            conn.execute(text("SELECT setval(pg_get_serial_sequence('escalations', 'number'), "
                              "(SELECT max(number) FROM escalations))"))
    with store.engine.connect() as conn:
        # What autovacuum does soon after a bulk load on PostgreSQL; SQLite is left as the
        # application leaves it (it never runs ANALYZE).
        if postgresql:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE escalations"))


# --- what is measured ------------------------------------------------------------------------


def naive_scan(store: Store, now: datetime, policy: Policy) -> list[Clock]:
    """Baseline "naive-scan": every active escalation loaded, each clock's state in Python."""
    owed: list[Clock] = []
    with store.unit_of_work(read_only=True) as uow:
        loaded = uow.list_escalations(ACTIVE)
    for escalation in loaded:
        for clock in (escalation.internal, escalation.customer_update):
            if clock is not None and state_of(clock, now, policy) in ATTENTION:
                owed.append((escalation.id, clock.kind.value))
    return owed


def due_clocks(store: Store, now: datetime, policy: Policy) -> list[tuple[str, FollowupClock]]:
    """The indexed query alone, in its own read-only unit of work."""
    with store.unit_of_work(read_only=True) as uow:
        return uow.due_clocks(horizon(now, policy))


def timed(fn: Callable[[], T], repeat: int, *, warm_up: bool = True) -> tuple[float, float, T]:
    """Best and median seconds of `repeat` runs (after one untimed run), and the last result."""
    result = fn() if warm_up else None
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    assert result is not None
    return min(times), statistics.median(times), result


@contextmanager
def captured_sql(store: Store) -> Iterator[list[tuple[str, Any]]]:
    """Every statement (with its driver parameters) the store executes inside the block."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", record)


def explain(store: Store, now: datetime, policy: Policy) -> list[str]:
    """The database's plan for the exact statement `due_clocks` sends."""
    with captured_sql(store) as seen:
        due_clocks(store, now, policy)
    statement, parameters = next(
        (s, p) for s, p in seen if "internal_due_at" in s and "UNION" in s.upper()
    )
    sqlite = store.engine.dialect.name == "sqlite"
    prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + statement, parameters).all()
    if sqlite:  # (id, parent, notused, detail): indent by depth
        depth: dict[int, int] = {0: -1}
        lines = []
        for node, parent, _, detail in rows:
            depth[node] = depth.get(parent, -1) + 1
            lines.append("  " * depth[node] + str(detail))
        return lines
    return [str(r[0]) for r in rows]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:9.1f} ms"


def run(url: str, label: str, rows: Rows, args: argparse.Namespace, now: datetime) -> None:
    """Fill one fresh database with `rows`, measure and print."""
    policy = Policy()
    store = Store(url)
    try:
        store.upgrade()  # the migrations create the schema, indexes included
        start = time.perf_counter()
        fill(store, rows)
        print(f"\n== {label}: {len(rows[1]):,} active escalations "
              f"(bulk-inserted in {time.perf_counter() - start:.1f} s)")

        desk = Desk(store, policy, "bench")
        desk_best, desk_median, views = timed(lambda: desk.followups(now), args.repeat)
        sql_best, sql_median, clocks = timed(lambda: due_clocks(store, now, policy),
                                             args.repeat)
        horizon_at = horizon(now, policy)
        ids = {eid for eid, _ in clocks}

        def rows_with_summaries() -> list[Any]:
            with store.unit_of_work(read_only=True) as uow:
                return uow.followup_rows(horizon_at)

        load_best, load_median, listed = timed(rows_with_summaries, args.repeat)
        loaded = {row.escalation_id for row in listed}
        base_best, base_median, naive = timed(lambda: naive_scan(store, now, policy),
                                              args.baseline_repeat, warm_up=False)

        from_desk = sorted((v.status.escalation_id, v.status.kind.value) for v in views)
        from_sql = sorted((eid, clock.kind.value) for eid, clock in clocks)
        assert from_desk == from_sql == sorted(naive), (
            f"row sets differ: followups {len(from_desk)}, due_clocks {len(from_sql)}, "
            f"naive-scan {len(naive)}")
        assert set(loaded) == set(ids)
        clock_count = 2 * len(rows[1])
        print(f"rows: Desk.followups {len(views):,} = due_clocks {len(clocks):,} = "
              f"naive-scan {len(naive):,} ({len(naive) / clock_count:.1%} of {clock_count:,} "
              f"clocks; {len(loaded):,} escalations)")
        print(f"{'':40}{'best':>12}{'median':>12}{'naive-scan / best':>20}")
        for name, best, median in (
            ("Desk.followups(now)", desk_best, desk_median),
            ("  UnitOfWork.due_clocks(horizon)", sql_best, sql_median),
            ("  UnitOfWork.followup_rows(horizon)", load_best, load_median),
            ('baseline "naive-scan"', base_best, base_median),
        ):
            print(f"{name:40}{_ms(best):>12}{_ms(median):>12}{base_best / best:>19.1f}x")
        verdict = "OK" if sql_best * 1000 <= TARGET_MS else "MISS"
        print(f"indexed query (due_clocks): best {sql_best * 1000:.1f} ms, target "
              f"<= {TARGET_MS:.0f} ms: {verdict}")
        verdict = "OK" if desk_best * 1000 <= TARGET_MS else "MISS"
        print(f"Desk.followups end to end:  best {desk_best * 1000:.1f} ms against the same "
              f"{TARGET_MS:.0f} ms: {verdict} (the query with the list's columns: "
              f"{load_best * 1000:.1f} ms)")
        print("plan of the due_clocks query:")
        for line in explain(store, now, policy):
            print(f"  {line}")
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--escalations", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7, help="timed runs of the fast queries")
    parser.add_argument("--baseline-repeat", type=int, default=3,
                        help="timed runs of the naive-scan baseline")
    parser.add_argument("--attention", type=float, default=0.03,
                        help="share of clocks due soon, due or overdue at --now")
    parser.add_argument("--now", type=datetime.fromisoformat, default=NOW)
    parser.add_argument("--pg", default=os.environ.get(PG_ENV, "").strip() or None,
                        help=f"PostgreSQL URL (default: ${PG_ENV}); SQLite only without it")
    args = parser.parse_args()
    now = args.now if args.now.tzinfo else args.now.replace(tzinfo=UTC)
    start = time.perf_counter()
    rows = make_rows(args.escalations, now, Policy(), args.attention)
    # Keep the cyclic GC off these million objects: `escalate followups` runs in a fresh
    # process, and full collections walking them would be timed as the desk's.
    gc.freeze()
    print(f"--now {now.isoformat()}; {args.escalations:,} escalations, {args.attention:.0%} of "
          f"their clocks due soon/due/overdue (rows made in {time.perf_counter() - start:.1f} s)"
          f"; best and median of {args.repeat} timed runs after a warm-up "
          f"(baseline: {args.baseline_repeat}, no warm-up)")

    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{Path(tmp) / 'followups.db'}", "SQLite", rows, args, now)
    if args.pg:
        with temporary_schema(args.pg, "bench") as url:
            run(url, "PostgreSQL", rows, args, now)
    else:
        print(f"\nPostgreSQL skipped: pass --pg URL or set {PG_ENV}")
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
