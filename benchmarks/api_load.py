"""Benchmark: the HTTP API under load on loopback, SQLite and PostgreSQL, against a bare endpoint.

Each backend gets a database holding --escalations (default 10,000) open escalations and a
server started as in production:

    uvicorn escalation.web.app:app_from_env --factory --host 127.0.0.1 --port P
        --workers N --log-level warning --no-access-log

with ESCALATION_DB, ESCALATION_SECRET_KEY, ESCALATION_RUN_WORKER=0, ESCALATION_MODEL_THREADS=1
(as `serve --workers N` sets it) and the rate limit lifted
(ESCALATION_RATE_LIMIT = ESCALATION_RATE_BURST = 10,000,000). Server processes: SQLite
--sqlite-workers (default 2: WAL lets them read side by side; writes take turns), PostgreSQL
--workers (default 2). An admin token (`escalation.tokens.create_token`) signs every request.
Endpoints, each measured on its own:

- bare FastAPI (the named baseline, the ceiling): a trivial app (`bare_app` below: `GET /` ->
  {"ok": true}, an `async def`, no middleware) served by the same uvicorn command, flags and
  worker count, in the same run;
- POST /api/v1/assess with examples/01-checkout-500-engineering.json as it is. The desk keeps
  the MiniLM vectors of the last texts it saw, so after the first request this ticket's vector
  is remembered: the row measures assess with the embedding cached;
- POST /api/v1/assess (new text): the same ticket with " [bench <i>]" appended to its subject,
  a text the server has never seen on every request, so each one runs MiniLM (about 25 ms of
  CPU for this ticket): what assessing a stream of new tickets costs;
- GET /api/v1/escalations?limit=50: the queue's first page;
- POST /api/v1/escalations/{id}/follow-ups with {"kind": "internal", "note": "..."}, the ids
  walking a shuffled list of every escalation (random.Random(0)), so one run records at most one
  follow-up per escalation until the list wraps.

Per endpoint: a closed-loop warm-up (--warmup seconds, discarded: it loads the MiniLM model and
the pattern index in every worker), then

- open loop: request i is scheduled at t0 + i / --rate (default 200 req/s) for --seconds
  (default 30), over a keep-alive pool of --connections (default 64) httpx.AsyncClient
  connections (one single-connection client each, handed out first come first served: httpx's
  own pool re-examines every connection and waiting request whenever a request comes or goes,
  which made the client, not the server, the bottleneck). Latency is measured from the scheduled
  start, so a request that waited (for the client, a free connection or the server) counts its
  wait (coordinated-omission safe): those are the p50/p95/p99 columns and the verdict. "sent
  p99" is measured from the moment a connection was free and the request went to httpx, i.e.
  without the client-side queueing. Requests still unanswered --drain seconds (default 10) after
  the last one was due are cancelled and counted as errors (their latency so far, a lower bound,
  still enters the percentiles). got/s = answers / max(last answer - t0, requests / --rate);
- closed loop: --concurrency clients (default 16) each sending its next request as soon as the
  previous one is answered, for --closed-seconds (default 10): max/s is the ceiling.

Errors are every non-2xx answer and every failed or unfinished request; zero are expected, and
each kind is printed with the first error's body. CPU columns: cli% the load generator (this
process), srv% the uvicorn processes, both in % of one core; sys% the whole machine in % of all
its cores. The client shares the machine's cores with the servers (and with PostgreSQL), as
printed at the start: on 2 cores the numbers are a floor for what the server does alone.

Target (the issue): p99 <= 50 ms at 200 requests/s on 2 cores. Each row prints PASS when the
open-loop p99 (from the scheduled start) is <= 50 ms with zero errors and got/s >= 95 % of
--rate, else MISS; at a --rate other than 200 the verdict is for that rate.

Database: a few (--opened, default 100) escalations are opened through `Desk.open` (varied copies
of examples/all.json; each is assessed, stored, audited and indexed for patterns with MiniLM, about
60-100 ms each), then copied in bulk with SQLAlchemy Core up to --escalations: new ticket ids,
numbers and subjects, times shifted by 7 minutes per copy round, their pattern-index rows too
(with the original's MiniLM vector) so assess matches against a 10,000-ticket index. No audit
events or assessments are copied (the chain stays valid). The SQLite database is kept under
$TMPDIR/escalation-bench/, keyed by schema revision, seed format and sizes, and copied for each
run (--reseed builds it again); PostgreSQL is seeded the same way into a schema of its own
(`temporary_schema`, dropped afterwards) and VACUUM ANALYZEd, as autovacuum would after a bulk
load. Seeding times are printed.

PostgreSQL: --pg URL, else $ESCALATION_BENCH_PG, else
postgresql+psycopg://postgres@127.0.0.1:5432/test; skipped with the reason when unreachable.
--quick (the smoke test's mode): 3 s passes, 0.5 s warm-up, 500 escalations (40 opened), SQLite
only unless --pg or --backends asks for PostgreSQL, and no "assess (new text)" row unless
--endpoints asks for it. --json FILE writes every number.

    .venv/bin/python benchmarks/api_load.py [--quick] [--seconds 30] [--rate 200]
        [--concurrency 16] [--escalations 10000] [--workers 2] [--sqlite-workers 2]
        [--backends sqlite,postgresql]
        [--pg URL] [--endpoints bare,assess,assess-new,queue,follow-up] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import importlib.util
import itertools
import json
import math
import os
import random
import shlex
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
TICKET_FILE = EXAMPLES / "01-checkout-500-engineering.json"
PG_ENV = "ESCALATION_BENCH_PG"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SECRET_KEY = "bench-api-load-secret"
NO_LIMIT = "10000000"
SEED_FORMAT = 1  # bump when the seeded data changes: the cache key includes it

TARGET_P99_MS = 50.0
TARGET_RATE = 200.0
RATE_SHARE = 0.95  # got/s must reach this share of --rate for a PASS

SERVER_FLAGS = ["--log-level", "warning", "--no-access-log"]
ALL_ENDPOINTS = ("bare", "assess", "assess-new", "queue", "follow-up")
QUICK_ENDPOINTS = ("bare", "assess", "queue", "follow-up")


def _skip_sniffio_lookups() -> None:
    """httpcore asks sniffio which event loop runs, on every request. sniffio is not installed
    here, so each ask is a failed import that searches sys.path again (about 0.2 ms of the
    client's CPU a request); a None entry in sys.modules makes that import fail at once, and
    httpcore then assumes asyncio, which is what runs. Only the load generator does this."""
    if importlib.util.find_spec("sniffio") is None:
        sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]


def bare_app() -> Any:
    """The baseline: the cheapest FastAPI endpoint there is (`uvicorn --factory`)."""
    from fastapi import FastAPI

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/")
    async def ok() -> dict[str, bool]:
        return {"ok": True}

    return app


# --- seeding -----------------------------------------------------------------------------------


@dataclass
class Seeded:
    escalations: int
    opened: int
    open_s: float  # Desk.open of the first `opened`
    copy_s: float  # the bulk copies up to `escalations`
    total_s: float  # the whole fill, migrations and ANALYZE included
    cached: bool = False  # reused from the cache (times are those of the original fill)
    prepare_s: float = 0.0  # this run's own preparation (copying the cached file, token)
    indexed: int = 0  # rows of the pattern index


def _templates() -> list[dict[str, Any]]:
    tickets: list[dict[str, Any]] = json.loads((EXAMPLES / "all.json").read_text("utf-8"))
    return tickets


def bench_ticket(templates: list[dict[str, Any]], i: int) -> dict[str, Any]:
    """The i-th seeded ticket: an example with its own id, customer and subject."""
    raw = copy.deepcopy(templates[i % len(templates)])
    raw["id"] = f"BENCH-{i:05d}"
    raw["subject"] = f"{raw['subject']} (#{i})"
    customer = raw.setdefault("customer", {})
    customer["id"] = f"acct_bench_{i % 400:03d}"
    customer["name"] = f"Bench customer {i % 400}"
    return raw


def seed(url: str, count: int, opened: int, now: datetime) -> Seeded:
    """Fill an empty database with `count` open escalations (see the module docstring)."""
    from sqlalchemy import func, insert, select, text

    from escalation.adapters.db.store import Store
    from escalation.adapters.db.tables import (
        escalation_tickets,
        escalations,
        pattern_index,
        tickets,
    )
    from escalation.domain.model import Severity, Target
    from escalation.domain.policy import Policy
    from escalation.services import Desk, batch_mode

    start = time.perf_counter()
    opened = max(1, min(opened, count))
    store = Store(url)
    try:
        store.upgrade()
        desk = Desk(store, Policy(), "bench")
        templates = _templates()
        severities = [Severity.MEDIUM, Severity.HIGH, Severity.MEDIUM, Severity.CRITICAL,
                      Severity.HIGH, Severity.MEDIUM]
        targets = [Target.ENGINEERING, Target.L2, Target.PRODUCT, Target.ENGINEERING,
                   Target.LEADERSHIP]
        t0 = time.perf_counter()
        with batch_mode():
            for i in range(opened):
                desk.open(bench_ticket(templates, i), now - timedelta(minutes=opened - i),
                          force=True, target=targets[i % len(targets)],
                          severity=severities[i % len(severities)])
        open_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        with store.engine.begin() as conn:
            base = [r._asdict() for r in conn.execute(
                select(escalations).order_by(escalations.c.number))]
            ids = [r["ticket_id"] for r in base]
            ticket_rows = {r.ticket_id: r._asdict() for r in conn.execute(
                select(tickets).where(tickets.c.ticket_id.in_(ids)))}
            index_rows = {r.ticket_id: r._asdict() for r in conn.execute(
                select(pattern_index).where(pattern_index.c.ticket_id.in_(ids)))}
            first = int(max(r["number"] for r in base))
            batch: dict[str, list[dict[str, Any]]] = {"t": [], "e": [], "l": [], "p": []}

            def flush() -> None:
                for key, table in (("t", tickets), ("e", escalations),
                                   ("l", escalation_tickets), ("p", pattern_index)):
                    if batch[key]:
                        conn.execute(insert(table), batch[key])
                        batch[key] = []

            for j in range(len(base), count):
                src = base[j % len(base)]
                shift = timedelta(minutes=7 * (j // len(base)))
                raw_ticket = ticket_rows[src["ticket_id"]]
                new = bench_ticket(templates, j)
                new_id, new_subject = new["id"], new["subject"]
                raw = dict(raw_ticket["raw"], id=new_id, subject=new_subject,
                           customer=new["customer"])
                batch["t"].append({
                    **{k: v for k, v in raw_ticket.items() if k != "id"},
                    "ticket_id": new_id, "subject": new_subject, "raw": raw,
                    "customer_id": new["customer"]["id"],
                    "stored_at": raw_ticket["stored_at"] - shift,
                })
                number = first + 1 + j - len(base)
                row = {k: (v - shift if isinstance(v, datetime) else v) for k, v in src.items()}
                row.update(number=number, ticket_id=new_id, summary=new_subject,
                           customer=dict(src["customer"], id=new["customer"]["id"],
                                         name=new["customer"]["name"]))
                batch["e"].append(row)
                batch["l"].append({"escalation_number": number, "ticket_id": new_id,
                                   "linked_at": row["opened_at"]})
                indexed = index_rows.get(src["ticket_id"])
                if indexed is not None:
                    batch["p"].append({
                        **{k: v for k, v in indexed.items() if k != "id"},
                        "ticket_id": new_id, "customer_id": new["customer"]["id"],
                        "subject": new_subject, "cluster_id": None,
                        "text": indexed["text"].replace(src["summary"] or "", new_subject, 1),
                    })
                if len(batch["e"]) >= 2000:
                    flush()
            flush()
            if conn.dialect.name == "postgresql":  # explicit numbers: move the sequences on
                for table, column in ((escalations, "number"), (tickets, "id"),
                                      (pattern_index, "id")):
                    conn.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column}'), "
                        f"(SELECT max({column}) FROM {table.name}))"))
            total = conn.execute(select(func.count()).select_from(escalations)).scalar_one()
            indexed_count = conn.execute(
                select(func.count()).select_from(pattern_index)).scalar_one()
        copy_s = time.perf_counter() - t0
        with store.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                    text("VACUUM ANALYZE"))
    finally:
        store.close()
    if total != count:
        raise RuntimeError(f"seeding made {total} escalations, expected {count}")
    return Seeded(count, opened, open_s, copy_s, time.perf_counter() - start,
                  indexed=int(indexed_count))


def cached_sqlite(count: int, opened: int, reseed: bool) -> tuple[Path, Seeded]:
    """The seeded SQLite file for these sizes and this schema, filled once and kept."""
    from escalation.adapters.db.store import SCHEMA_REVISION

    folder = Path(tempfile.gettempdir()) / "escalation-bench"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"api_load-r{SCHEMA_REVISION}-f{SEED_FORMAT}-n{count}-o{min(opened, count)}"
    path, meta = folder / f"{name}.db", folder / f"{name}.json"
    if path.exists() and meta.exists() and not reseed:
        info = Seeded(**json.loads(meta.read_text("utf-8")))
        info.cached = True
        return path, info
    scratch = folder / f"{name}.{os.getpid()}.tmp"
    for leftover in scratch.parent.glob(f"{scratch.name}*"):
        leftover.unlink()
    try:
        info = seed(f"sqlite:///{scratch}", count, opened, datetime.now(UTC))
        with sqlite3.connect(scratch) as conn:  # fold the WAL into the file before moving it
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        os.replace(scratch, path)
        meta.write_text(json.dumps(asdict(info)), "utf-8")
    finally:
        for leftover in scratch.parent.glob(f"{scratch.name}*"):
            leftover.unlink()
    return path, info


def escalation_ids(url: str) -> list[str]:
    """Every escalation's public id, shuffled with random.Random(0)."""
    from sqlalchemy import select

    from escalation.adapters.db.store import Store, public_id
    from escalation.adapters.db.tables import escalations

    store = Store(url)
    try:
        with store.engine.connect() as conn:
            numbers = sorted(conn.execute(select(escalations.c.number)).scalars())
    finally:
        store.close()
    ids = [public_id(n) for n in numbers]
    random.Random(0).shuffle(ids)
    return ids


def admin_token(url: str) -> str:
    from escalation.adapters.db.store import Store
    from escalation.domain.access import Role
    from escalation.tokens import create_token

    store = Store(url)
    try:
        _, secret = create_token(store, name="bench", role=Role.ADMIN, team=None, by="bench",
                                 now=datetime.now(UTC))
    finally:
        store.close()
    return secret


def pg_unreachable(url: str) -> str | None:
    """Why PostgreSQL at `url` cannot be used (None when it can)."""
    from sqlalchemy import create_engine, text

    from escalation.adapters.db.store import database_url

    try:
        engine = create_engine(database_url(url), connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except Exception as exc:  # any failure: say what it was and go on without PostgreSQL
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"
    return None


# --- servers -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    label: str
    command: list[str]
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path
    ready_path: str

    def tail(self, lines: int = 25) -> str:
        try:
            text = self.log.read_text("utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def pids(self) -> list[int]:
        """The uvicorn process and every process descended from it."""
        family = {self.process.pid}
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        grew = True
        while grew:
            grew = False
            for pid, parent in parents.items():
                if parent in family and pid not in family:
                    family.add(pid)
                    grew = True
        return sorted(family)


@contextmanager
def serving(label: str, app: str, workers: int, env: dict[str, str], folder: Path,
            ready_path: str, extra: list[str] | None = None) -> Iterator[Server]:
    """Start `uvicorn app --factory` and wait until `ready_path` answers 200."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", app, "--factory", *(extra or []),
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
               *SERVER_FLAGS]
    log = folder / f"server-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   cwd=ROOT, start_new_session=True)
    server = Server(label, command, process, f"http://127.0.0.1:{port}", log, ready_path)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{label}: the server exited with {process.returncode}:\n"
                                   f"{server.tail()}")
            try:
                if httpx.get(server.base_url + ready_path, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{label}: no answer on {ready_path} after 120 s:\n"
                                   f"{server.tail()}")
            time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def server_env(db_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESCALATION_")}
    env.update({
        "ESCALATION_DB": db_url,
        "ESCALATION_SECRET_KEY": SECRET_KEY,
        "ESCALATION_RATE_LIMIT": NO_LIMIT,
        "ESCALATION_RATE_BURST": NO_LIMIT,
        "ESCALATION_RUN_WORKER": "0",
        "ESCALATION_MODEL_THREADS": "1",  # as `escalate serve --workers N` sets it
        "PYTHONUNBUFFERED": "1",
    })
    return env


# --- CPU ---------------------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _process_cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime
    return total


def _machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return float(sum(values) - idle), float(sum(values))


class CpuMeter:
    """CPU used by this process, by the server's processes and by the machine during a pass."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.pids = server.pids()
        self.wall = time.perf_counter()
        self.client = time.process_time()
        self.srv = _process_cpu(self.pids)
        self.machine = _machine_cpu()

    def read(self) -> dict[str, float]:
        wall = max(time.perf_counter() - self.wall, 1e-9)
        busy, total = _machine_cpu()
        span = total - self.machine[1]
        return {
            "client_pct": 100 * (time.process_time() - self.client) / wall,
            "server_pct": 100 * (_process_cpu(self.pids) - self.srv) / wall,
            "machine_pct": 100 * (busy - self.machine[0]) / span if span else math.nan,
        }


# --- load --------------------------------------------------------------------------------------


@dataclass
class Endpoint:
    key: str
    label: str
    method: str
    path: Callable[[int], str]
    body: Callable[[int], bytes | None]
    counter: Iterator[int] = field(default_factory=itertools.count)


def endpoints(ids: list[str]) -> list[Endpoint]:
    ticket = json.loads(TICKET_FILE.read_text("utf-8"))
    ticket_body = json.dumps(ticket).encode()
    head, _, tail = json.dumps(dict(ticket, subject="\0")).partition('"\\u0000"')

    def fresh(i: int) -> bytes:
        return (head + json.dumps(f"{ticket['subject']} [bench {i}]") + tail).encode()

    def follow_up(i: int) -> bytes:
        return json.dumps({"kind": "internal",
                           "note": f"Checked with engineering: fix in review (bench {i})"}
                          ).encode()

    return [
        Endpoint("bare", "bare FastAPI GET / (ceiling)", "GET", lambda _i: "/",
                 lambda _i: None),
        Endpoint("assess", "POST /api/v1/assess", "POST", lambda _i: "/api/v1/assess",
                 lambda _i: ticket_body),
        Endpoint("assess-new", "POST /api/v1/assess (new text)", "POST",
                 lambda _i: "/api/v1/assess", fresh),
        Endpoint("queue", "GET /api/v1/escalations?limit=50", "GET",
                 lambda _i: "/api/v1/escalations?limit=50", lambda _i: None),
        Endpoint("follow-up", "POST /api/v1/escalations/{id}/follow-ups", "POST",
                 lambda i: f"/api/v1/escalations/{ids[i % len(ids)]}/follow-ups", follow_up),
    ]


@dataclass
class Pass:
    """What one pass of requests saw."""

    mode: str  # open | closed | warm-up
    sent: int = 0
    answered: int = 0  # 2xx
    latency_ms: list[float] = field(default_factory=list)  # from the scheduled start
    send_latency_ms: list[float] = field(default_factory=list)  # from writing the request
    statuses: Counter[str] = field(default_factory=Counter)  # non-2xx and failures, by kind
    first_error: dict[str, str] = field(default_factory=dict)
    unfinished: int = 0
    seconds: float = 0.0  # t0 to the last response
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return sum(self.statuses.values())

    @property
    def rate(self) -> float:
        done = self.answered + sum(n for k, n in self.statuses.items() if k.isdigit())
        return done / self.seconds if self.seconds > 0 else 0.0

    def pct(self, q: float, sent: bool = False) -> float:
        values = self.send_latency_ms if sent else self.latency_ms
        return float(np.percentile(values, q)) if values else math.nan

    def summary(self) -> dict[str, Any]:
        return {
            "mode": self.mode, "requests": self.sent, "ok": self.answered,
            "errors": self.errors, "error_kinds": dict(self.statuses),
            "first_error": self.first_error, "unfinished": self.unfinished,
            "seconds": round(self.seconds, 3), "rate": round(self.rate, 2),
            **{f"p{q}_ms": round(self.pct(q), 3) for q in (50, 95, 99)},
            "max_ms": round(max(self.latency_ms), 3) if self.latency_ms else None,
            **{f"sent_p{q}_ms": round(self.pct(q, sent=True), 3) for q in (50, 95, 99)},
            **{k: round(v, 1) for k, v in self.cpu.items()},
        }


class Connections:
    """A keep-alive pool of `size` connections: one single-connection httpx.AsyncClient each,
    handed out first come, first served.

    httpx's own pool re-examines every connection (and every waiting request) each time a
    request comes or goes, which costs the client milliseconds per request at 64 connections
    and more when requests queue; one connection per client keeps that bookkeeping O(1).
    """

    def __init__(self, base_url: str, headers: dict[str, str], size: int) -> None:
        self.clients = [
            httpx.AsyncClient(base_url=base_url, headers=headers,
                              limits=httpx.Limits(max_connections=1,
                                                  max_keepalive_connections=1),
                              timeout=httpx.Timeout(120.0, pool=None))
            for _ in range(size)]
        self.free: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
        for client in self.clients:
            self.free.put_nowait(client)

    async def connect(self, path: str) -> None:
        """Open every connection (one GET of `path` each) before anything is timed."""
        await asyncio.gather(*(c.get(path) for c in self.clients), return_exceptions=True)

    async def close(self) -> None:
        await asyncio.gather(*(c.aclose() for c in self.clients), return_exceptions=True)


class Load:
    """Sends one endpoint's requests to one server and records what came back."""

    def __init__(self, server: Server, endpoint: Endpoint, token: str) -> None:
        self.server = server
        self.endpoint = endpoint
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    @asynccontextmanager
    async def connections(self, size: int) -> AsyncIterator[Connections]:
        pool = Connections(self.server.base_url, self.headers, size)
        try:
            await pool.connect(self.server.ready_path)
            yield pool
        finally:
            await pool.close()

    async def one(self, pool: Connections, result: Pass, scheduled: float) -> None:
        """One request; latency from `scheduled` and from when a connection was free."""
        loop = asyncio.get_running_loop()
        i = next(self.endpoint.counter)
        result.sent += 1
        client = await pool.free.get()
        try:
            sent = loop.time()
            response = await client.request(
                self.endpoint.method, self.endpoint.path(i), content=self.endpoint.body(i))
        except (httpx.HTTPError, OSError) as exc:
            kind = type(exc).__name__
            result.statuses[kind] += 1
            result.first_error.setdefault(kind, str(exc)[:300])
            return
        finally:
            pool.free.put_nowait(client)
        end = loop.time()
        result.latency_ms.append(1000 * (end - scheduled))
        result.send_latency_ms.append(1000 * (end - sent))
        if 200 <= response.status_code < 300:
            result.answered += 1
        else:
            code = str(response.status_code)
            result.statuses[code] += 1
            result.first_error.setdefault(code, response.text[:300])

    async def open_loop(self, rate: float, seconds: float, connections: int,
                        drain: float) -> Pass:
        loop = asyncio.get_running_loop()
        result = Pass("open")
        count = max(1, round(rate * seconds))
        pending: dict[asyncio.Task[None], float] = {}
        last = [0.0]

        def done(task: asyncio.Task[None]) -> None:
            pending.pop(task, None)
            last[0] = loop.time()

        async with self.connections(connections) as pool:
            meter = CpuMeter(self.server)
            t0 = loop.time() + 0.05
            for i in range(count):
                due = t0 + i / rate
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                task = asyncio.create_task(self.one(pool, result, due))
                pending[task] = due
                task.add_done_callback(done)
            if pending:
                await asyncio.wait(list(pending), timeout=drain)
            now = loop.time()
            for task, due in list(pending.items()):
                task.cancel()
                result.unfinished += 1
                result.latency_ms.append(1000 * (now - due))  # a lower bound
            if result.unfinished:
                result.statuses["unfinished"] += result.unfinished
                result.first_error.setdefault(
                    "unfinished", f"no answer {drain:g} s after the last request was due")
                await asyncio.gather(*pending, return_exceptions=True)
                last[0] = now
            # Not shorter than the schedule itself: n requests on time span n / rate.
            result.seconds = max(last[0] - t0, count / rate)
            result.cpu = meter.read()
        if result.unfinished:
            await asyncio.sleep(2)  # let the server finish what it had before the next pass
        return result

    async def closed_loop(self, concurrency: int, seconds: float, mode: str = "closed") -> Pass:
        loop = asyncio.get_running_loop()
        result = Pass(mode)
        async with self.connections(concurrency) as pool:
            meter = CpuMeter(self.server)
            t0 = loop.time()
            stop = t0 + seconds

            async def worker() -> None:
                while loop.time() < stop:
                    await self.one(pool, result, loop.time())

            await asyncio.gather(*(worker() for _ in range(concurrency)))
            result.seconds = loop.time() - t0
            result.cpu = meter.read()
        return result


# --- a backend ---------------------------------------------------------------------------------


@dataclass
class Row:
    backend: str
    workers: int
    endpoint: str
    label: str
    open: Pass
    closed: Pass
    verdict: str


def verdict(open_pass: Pass, rate: float) -> str:
    ok = (open_pass.errors == 0 and open_pass.pct(99) <= TARGET_P99_MS
          and open_pass.rate >= RATE_SHARE * rate)
    return "PASS" if ok else "MISS"


def _num(value: float, width: int, digits: int = 1) -> str:
    """Right-aligned, with `digits` decimals below 100 and none from there (always a gap)."""
    if math.isnan(value):
        return f"{'-':>{width}}"
    return f" {value:>{width - 1},.{digits if abs(value) < 100 else 0}f}"


LABEL = 42
OPEN_COLUMNS = (("got/s", 8), ("p50", 8), ("p95", 8), ("p99", 8), ("sent p99", 9),
                ("errors", 7), ("cli%", 5), ("srv%", 5), ("sys%", 5))
CLOSED_COLUMNS = (("max/s", 8), ("p99", 8), ("errors", 7), ("srv%", 5), ("sys%", 5))


def print_header() -> None:
    open_width = sum(w for _, w in OPEN_COLUMNS)
    closed_width = sum(w for _, w in CLOSED_COLUMNS)
    print(f"{'':{LABEL}}{'open loop (ms from the scheduled start)':^{open_width}} |"
          f"{'closed loop':^{closed_width}}")
    print(f"{'endpoint':{LABEL}}" + "".join(f"{n:>{w}}" for n, w in OPEN_COLUMNS) + " |"
          + "".join(f"{n:>{w}}" for n, w in CLOSED_COLUMNS) + "  verdict")


def print_row(row: Row) -> None:
    o, c = row.open, row.closed
    values = [o.rate, o.pct(50), o.pct(95), o.pct(99), o.pct(99, sent=True), o.errors,
              o.cpu["client_pct"], o.cpu["server_pct"], o.cpu["machine_pct"]]
    closed = [c.rate, c.pct(99), c.errors, c.cpu["server_pct"], c.cpu["machine_pct"]]

    def cells(numbers: list[float], columns: tuple[tuple[str, int], ...]) -> str:
        return "".join(_num(v, w, 0 if n in ("errors", "cli%", "srv%", "sys%") else 1)
                       for v, (n, w) in zip(numbers, columns, strict=True))

    print(f"{row.label:{LABEL}}{cells(values, OPEN_COLUMNS)} |"
          f"{cells(closed, CLOSED_COLUMNS)}  {row.verdict}", flush=True)


def print_errors(row: Row) -> None:
    for name, p in (("open loop", row.open), ("closed loop", row.closed)):
        for kind, n in sorted(p.statuses.items()):
            print(f"  ! {row.label}, {name}: {n} x {kind}; first: "
                  f"{p.first_error.get(kind, '')!r}")


async def measure(server: Server, endpoint: Endpoint, token: str, args: argparse.Namespace,
                  backend: str, workers: int) -> Row:
    load = Load(server, endpoint, token)
    warm = await load.closed_loop(args.concurrency, args.warmup, mode="warm-up")
    if warm.errors:
        kinds = ", ".join(f"{n} x {k}" for k, n in warm.statuses.items())
        print(f"  ({endpoint.label}: warm-up errors: {kinds}; first: "
              f"{next(iter(warm.first_error.values()))!r})", flush=True)
    opened = await load.open_loop(args.rate, args.seconds, args.connections, args.drain)
    closed = await load.closed_loop(args.concurrency, args.closed_seconds)
    return Row(backend, workers, endpoint.key, endpoint.label, opened, closed,
               verdict(opened, args.rate))


def run_backend(backend: str, db_url: str, workers: int, seeded: Seeded,
                args: argparse.Namespace, folder: Path) -> list[Row]:
    ids = escalation_ids(db_url)
    t0 = time.perf_counter()
    token = admin_token(db_url)
    seeded.prepare_s += time.perf_counter() - t0
    chosen = [e for e in endpoints(ids) if e.key in args.endpoints]
    label = f"{backend}, {workers} worker{'s' if workers > 1 else ''}"
    env = server_env(db_url)
    print(f"\n== {label}: {seeded.escalations:,} open escalations, {seeded.indexed:,} tickets "
          f"in the pattern index; open loop {args.rate:g} req/s for {args.seconds:g} s "
          f"({args.connections} connections), closed loop {args.concurrency} clients for "
          f"{args.closed_seconds:g} s, warm-up {args.warmup:g} s", flush=True)
    rows: list[Row] = []
    bare = [e for e in chosen if e.key == "bare"]
    desk = [e for e in chosen if e.key != "bare"]
    printed = False

    def show(row: Row) -> None:
        nonlocal printed
        if not printed:
            print_header()
            printed = True
        print_row(row)
        rows.append(row)

    if bare:
        with serving(f"{backend} bare", "api_load:bare_app", workers, env, folder, "/",
                     ["--app-dir", str(Path(__file__).resolve().parent)]) as server:
            print("bare:   " + shlex.join(server.command[1:]), flush=True)
            show(asyncio.run(measure(server, bare[0], token, args, backend, workers)))
    if desk:
        with serving(f"{backend} desk", "escalation.web.app:app_from_env", workers, env,
                     folder, "/api/v1/healthz") as server:
            print("server: " + shlex.join(server.command[1:]), flush=True)
            page = httpx.get(server.base_url + "/api/v1/escalations?limit=50", timeout=60,
                             headers={"Authorization": f"Bearer {token}"})
            if page.status_code == 200:
                body = page.json()
                print(f"queue as the API sees it: total {body.get('total')}, "
                      f"{len(body.get('items', []))} on the first page", flush=True)
            for endpoint in desk:
                show(asyncio.run(measure(server, endpoint, token, args, backend, workers)))
            failed = [r for r in rows if any(k.startswith("5") for k in
                                             (*r.open.statuses, *r.closed.statuses))]
            if failed:
                print(f"server log (last lines):\n{server.tail()}")
    for row in rows:
        print_errors(row)
    return rows


# --- main --------------------------------------------------------------------------------------


def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def _seed_line(backend: str, info: Seeded) -> str:
    how = "reused the cached database, which was filled" if info.cached else "filled"
    return (f"{backend} seeding: {how} in {info.total_s:.1f} s ({info.opened:,} escalations "
            f"through Desk.open in {info.open_s:.1f} s = {1000 * info.open_s / info.opened:.0f} "
            f"ms each, {info.escalations - info.opened:,} bulk copies in {info.copy_s:.1f} s); "
            f"this run's copy and token {info.prepare_s:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="3 s passes, 500 escalations, SQLite only (unless asked)")
    parser.add_argument("--seconds", type=float, default=None, help="open loop, default 30")
    parser.add_argument("--closed-seconds", type=float, default=None,
                        help="closed loop, default 10 (--quick: --seconds)")
    parser.add_argument("--warmup", type=float, default=None, help="default 3 (--quick: 0.5)")
    parser.add_argument("--drain", type=float, default=10.0,
                        help="seconds to wait for answers after the last request was due")
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="open loop req/s")
    parser.add_argument("--connections", type=int, default=64,
                        help="open loop: the client's connection pool")
    parser.add_argument("--concurrency", type=int, default=16, help="closed loop clients")
    parser.add_argument("--escalations", type=int, default=None, help="default 10,000")
    parser.add_argument("--opened", type=int, default=None,
                        help="escalations opened through Desk.open before the bulk copies "
                             "(default 100, --quick 40)")
    parser.add_argument("--workers", type=int, default=2, help="PostgreSQL server processes")
    parser.add_argument("--sqlite-workers", type=int, default=2,
                        help="SQLite server processes (WAL: reads run side by side, writes "
                             "take turns)")
    parser.add_argument("--backends", default=None,
                        help="sqlite,postgresql (default both; --quick: sqlite)")
    parser.add_argument("--pg", default=None,
                        help=f"PostgreSQL URL (default ${PG_ENV}, else {DEFAULT_PG})")
    parser.add_argument("--endpoints", default=None,
                        help=f"comma-separated, of {','.join(ALL_ENDPOINTS)} (default all; "
                             f"--quick: {','.join(QUICK_ENDPOINTS)})")
    parser.add_argument("--reseed", action="store_true", help="rebuild the cached SQLite file")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args()
    _skip_sniffio_lookups()
    args.seconds = args.seconds or (3.0 if args.quick else 30.0)
    args.closed_seconds = args.closed_seconds or (args.seconds if args.quick else 10.0)
    args.warmup = args.warmup if args.warmup is not None else (0.5 if args.quick else 3.0)
    args.escalations = args.escalations or (500 if args.quick else 10_000)
    args.opened = args.opened or (40 if args.quick else 100)
    args.endpoints = ([e.strip() for e in args.endpoints.split(",") if e.strip()]
                      if args.endpoints else list(QUICK_ENDPOINTS if args.quick
                                                  else ALL_ENDPOINTS))
    if set(args.endpoints) - set(ALL_ENDPOINTS):
        parser.error(f"--endpoints: unknown {set(args.endpoints) - set(ALL_ENDPOINTS)}")
    pg_url = args.pg or os.environ.get(PG_ENV, "").strip() or DEFAULT_PG
    if args.backends is None:
        backends = ["sqlite"] + (["postgresql"] if args.pg or not args.quick else [])
    else:
        backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"--backends: unknown {', '.join(sorted(unknown))}")

    print(f"{os.cpu_count()} CPUs, load average {_load()} at start. The load generator (this "
          "process, httpx) shares these cores with the servers and PostgreSQL: the numbers are "
          "what the server does with what the client leaves it.")
    print("command: " + shlex.join([sys.executable, *sys.argv]))
    print(f"target: p99 <= {TARGET_P99_MS:.0f} ms at {TARGET_RATE:.0f} req/s on 2 cores "
          f"(this run: {args.rate:g} req/s; PASS also needs 0 errors and got/s >= "
          f"{RATE_SHARE:.0%} of it)")
    results: dict[str, Any] = {
        "command": [sys.executable, *sys.argv], "cpus": os.cpu_count(),
        "load_start": os.getloadavg(), "settings": {
            k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "target": {"p99_ms": TARGET_P99_MS, "rate": TARGET_RATE}, "seeding": {}, "rows": [],
        "skipped": {},
    }
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="api-load-") as tmp:
        folder = Path(tmp)
        if "sqlite" in backends:
            path, info = cached_sqlite(args.escalations, args.opened, args.reseed)
            t0 = time.perf_counter()
            work = folder / "bench.db"
            with sqlite3.connect(path) as source, sqlite3.connect(work) as target:
                source.backup(target)
            info.prepare_s = time.perf_counter() - t0
            url = f"sqlite:///{work}"
            rows += run_backend("SQLite", url, args.sqlite_workers, info, args, folder)
            print(_seed_line("SQLite", info))
            results["seeding"]["sqlite"] = asdict(info)
        if "postgresql" in backends:
            reason = pg_unreachable(pg_url)
            if reason:
                print(f"\nPostgreSQL skipped: {pg_url} unreachable ({reason}); set {PG_ENV} "
                      "or --pg")
                results["skipped"]["postgresql"] = reason
            else:
                from escalation.adapters.db.schemas import temporary_schema

                with temporary_schema(pg_url, "bench_api") as url:
                    print(f"\nPostgreSQL: seeding a schema of its own in {pg_url} ...",
                          flush=True)
                    info = seed(url, args.escalations, args.opened, datetime.now(UTC))
                    rows += run_backend("PostgreSQL", url, args.workers, info, args, folder)
                    print(_seed_line("PostgreSQL", info))
                    results["seeding"]["postgresql"] = asdict(info)

    print(f"\n== summary against p99 <= {TARGET_P99_MS:.0f} ms at {args.rate:g} req/s "
          "(latency from the scheduled start)")
    ceilings = {r.backend: r.closed.rate for r in rows if r.endpoint == "bare"}
    for row in rows:
        o = row.open
        ceiling = ceilings.get(row.backend)
        share = (f"{100 * row.closed.rate / ceiling:5.1f} % of bare" if ceiling
                 and row.endpoint != "bare" else " " * 13)
        print(f"{row.backend + ' x' + str(row.workers):15}{row.label:42} p99 "
              f"{_num(o.pct(99), 8)} ms  got {_num(o.rate, 7)}/s  errors {o.errors:>5}  "
              f"max {_num(row.closed.rate, 8)}/s {share}  {row.verdict}")
        results["rows"].append({"backend": row.backend, "workers": row.workers,
                                "endpoint": row.endpoint, "label": row.label,
                                "verdict": row.verdict, "open": row.open.summary(),
                                "closed": row.closed.summary()})
    print(f"load average {_load()} at the end")
    results["load_end"] = os.getloadavg()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), "utf-8")
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
