"""The repository: tickets, escalations, follow-ups, learnings and the audit chain in SQL.

One `Store` per database URL (SQLite file by default, PostgreSQL through psycopg 3); every
read and write happens inside `Store.unit_of_work()`, one database transaction.

Concurrency:
- An escalation carries a `version`; `update_escalation` writes only where the stored version
  is still the one the caller read, so of two concurrent changes exactly one lands and the
  other gets `ConflictError` (optimistic locking, the same on both backends).
- The audit chain is serialised through the single `audit_head` row: PostgreSQL appenders lock
  it with `SELECT … FOR UPDATE`; on SQLite every writing unit of work starts with
  `BEGIN IMMEDIATE`, which takes the database write lock up front, so writers queue (busy
  timeout 30 s) instead of failing half-way with "database is locked".
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    and_,
    case,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    literal_column,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

if TYPE_CHECKING:
    from alembic.config import Config

from escalation.adapters.db.outbox import Outbox
from escalation.adapters.db.pattern_index import PatternIndexRows
from escalation.adapters.db.tables import (
    NO_FOLLOWUP,
    SEVERITY_RANK,
    assessments,
    audit_events,
    audit_head,
    checklist_items,
    customers,
    escalation_tickets,
    escalations,
    follow_ups,
    learnings,
    tickets,
)
from escalation.adapters.db.tokens import TokenRows
from escalation.domain.access import is_security
from escalation.domain.audit import AuditEvent, next_event
from escalation.domain.contract import assessment_to_mapping, ticket_from_mapping
from escalation.domain.learnings import Learning
from escalation.domain.model import (
    Assessment,
    Category,
    ChecklistItem,
    Customer,
    DeEscalationReason,
    Escalation,
    FixKind,
    FollowupClock,
    FollowupKind,
    Severity,
    Status,
    Target,
    Ticket,
)

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_S = 30
# pg_advisory_xact_lock key taken while migrating, so several instances starting at once on a
# fresh PostgreSQL database upgrade it one after the other.
_MIGRATION_LOCK = 0x45534344
_ACTIVE = tuple(s.value for s in Status if s.is_active)
_CUSTOMER_FIELDS = tuple(f.name for f in fields(Customer))


@dataclass(frozen=True, slots=True)
class FollowupRow:
    """One running follow-up clock with what a follow-up list shows about its escalation."""

    escalation_id: str
    clock: FollowupClock
    severity: Severity
    target: Target
    owner: str
    summary: str | None
    ticket_id: str
    customer: str | None
    timezone: str | None


class ConflictError(Exception):
    """Someone else changed the escalation since it was read: reload and retry."""

    def __init__(self, escalation_id: str, current_version: int, expected_version: int):
        self.escalation_id = escalation_id
        self.current_version = current_version
        self.expected_version = expected_version
        super().__init__(
            f"{escalation_id} was changed by someone else (version {current_version}, "
            f"you had {expected_version}): reload and retry"
        )


class NotFoundError(LookupError):
    """No escalation with that id."""

    def __init__(self, escalation_id: str):
        self.escalation_id = escalation_id
        number = _parse_number(escalation_id)
        shown = public_id(number) if number is not None else repr(escalation_id)
        hint = "" if number is not None else " (escalation ids look like ESC-7)"
        super().__init__(f"no escalation {shown}{hint}")


@dataclass(frozen=True, slots=True)
class FollowUpRecord:
    """One recorded follow-up: to whom, when, by whom, and what was said."""

    kind: FollowupKind
    at: datetime
    actor: str
    note: str


def public_id(number: int) -> str:
    """The id people use for escalation `number`: ESC-<number>."""
    return f"ESC-{number}"


# Escalation numbers are a 32-bit INTEGER column on every database: larger ones cannot exist
# (and would overflow the driver rather than simply not be found).
_MAX_NUMBER = 2**31 - 1


def _parse_number(escalation_id: str) -> int | None:
    value = escalation_id.strip()
    if value[:4].upper() == "ESC-":
        value = value[4:]
    if not (value.isascii() and value.isdigit()) or len(value) > 10:
        return None
    number = int(value)
    return number if number <= _MAX_NUMBER else None


def _number(escalation_id: str) -> int:
    number = _parse_number(escalation_id)
    if number is None:
        raise NotFoundError(escalation_id)
    return number


def _normalised_id(escalation_id: str | None) -> str | None:
    if escalation_id is None:
        return None
    number = _parse_number(escalation_id)
    return public_id(number) if number is not None else escalation_id


# --- engine -----------------------------------------------------------------------------------


def database_url(url: str) -> URL:
    """Parse a database URL; plain postgresql:// means psycopg 3. ValueError if unsupported."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ValueError(
            f"unsupported database URL {parsed.render_as_string(hide_password=True)!r}: use "
            "sqlite:///path/to/escalation.db or postgresql+psycopg://user@host:5432/dbname"
        )
    return parsed


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when a transaction begins (see _begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")
    cursor.execute("PRAGMA foreign_keys = ON")
    _use_wal(cursor)  # readers never block the writer
    cursor.close()


def _use_wal(cursor: Any) -> None:
    """Switch a SQLite file to write-ahead logging, waiting out others doing the same.

    WAL is stored in the file, so only the first connection to a fresh database changes it. That
    change needs the file to itself and SQLite answers "database is locked" at once, without
    its busy handler, when several processes open a fresh database together: retry until the
    busy timeout like any other lock.
    """
    if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    pause = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            locked = "locked" in str(error) or "busy" in str(error)
            if not locked or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.2)


def _sqlite_on_begin(conn: Connection) -> None:
    # IMMEDIATE takes the write lock at BEGIN: a second writer waits for it (busy timeout)
    # instead of reading a snapshot it can later not upgrade to a write ("database is locked").
    mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
    conn.exec_driver_sql(f"BEGIN {mode}")


def _engine(url: URL) -> Engine:
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    connect_args: dict[str, Any] = {"timeout": SQLITE_BUSY_TIMEOUT_S}
    if url.database in (None, "", ":memory:"):
        # One shared connection, or every connection would see its own empty database.
        connect_args["check_same_thread"] = False
        engine = create_engine(url, connect_args=connect_args, poolclass=StaticPool)
    else:
        engine = create_engine(url, connect_args=connect_args)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


# The newest migration in migrations/versions. Kept here so opening a store needs no Alembic
# import (a third of a second per command); a test checks it equals Alembic's own head.
SCHEMA_REVISION = "0004"


def _alembic_config() -> Config:
    from alembic.config import Config  # noqa: PLC0415 - Alembic only when migrating

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@cache
def head_revision() -> str:
    """The newest migration shipped with this version of the package (asks Alembic)."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS}")
    return head


@dataclass(frozen=True, slots=True)
class EscalationQuery:
    """Which escalations a queue shows: every filter is optional (empty means any)."""

    statuses: tuple[Status, ...] = ()
    targets: tuple[Target, ...] = ()
    severities: tuple[Severity, ...] = ()
    owner: str | None = None
    overdue_at: datetime | None = None  # only those with a follow-up overdue at this moment
    hide_security: bool = False  # leave out security escalations (target or also notified)
    limit: int = 50
    offset: int = 0


def _query_filter(query: EscalationQuery) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = [true()]
    if query.statuses:
        conditions.append(escalations.c.status.in_([s.value for s in query.statuses]))
    if query.targets:
        conditions.append(escalations.c.target.in_([t.value for t in query.targets]))
    if query.severities:
        conditions.append(escalations.c.severity.in_([s.value for s in query.severities]))
    if query.owner is not None:
        conditions.append(escalations.c.owner == query.owner)
    if query.overdue_at is not None:
        conditions.append((escalations.c.internal_overdue_at <= query.overdue_at)
                          | (escalations.c.customer_overdue_at <= query.overdue_at))
    if query.hide_security:
        conditions.append(escalations.c.security.is_(False))
    return and_(*conditions)


# --- the store --------------------------------------------------------------------------------


class Store:
    """A database of escalations; open units of work on it."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = database_url(url)
        self.engine = _engine(self.url)
        self._migrate = migrate
        self._ready = not migrate
        self._lock = threading.Lock()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def upgrade(self) -> str:
        """Apply every pending migration in one transaction; return the revision now current."""
        from alembic import command  # noqa: PLC0415
        from alembic.runtime.migration import MigrationContext  # noqa: PLC0415

        config = _alembic_config()
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
            revision = MigrationContext.configure(conn).get_current_revision()
        self._ready = True
        if revision is None:
            raise RuntimeError("migrations ran but no revision was recorded")
        return revision

    def revision(self) -> str | None:
        """The migration the database is at (None for an empty database)."""
        with self.engine.connect() as conn:
            conn.execution_options(sqlite_begin="DEFERRED")
            with conn.begin():
                if not inspect(conn).has_table("alembic_version"):
                    return None
                row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
                return str(row[0]) if row else None

    def ensure_schema(self) -> None:
        """Migrate the database to the current schema if it is behind (once per process)."""
        self._ensure_schema()

    def _ensure_schema(self) -> None:
        if self._ready:
            return
        with self._lock:
            if not self._ready:
                if self.revision() != SCHEMA_REVISION:
                    self.upgrade()
                self._ready = True

    @contextmanager
    def unit_of_work(self, *, read_only: bool = False) -> Iterator[UnitOfWork]:
        """One transaction: committed when the block ends, rolled back on any exception.

        `read_only=True` is for queries: on SQLite it does not take the write lock, on
        PostgreSQL the transaction is READ ONLY; the write methods refuse to run in it.
        """
        self._ensure_schema()
        with self.engine.connect() as conn:
            if read_only:
                conn.execution_options(sqlite_begin="DEFERRED", postgresql_readonly=True)
            with conn.begin():
                yield UnitOfWork(conn, read_only=read_only)

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()


class UnitOfWork:
    """Reads and writes inside one transaction (get one from `Store.unit_of_work()`)."""

    def __init__(self, conn: Connection, *, read_only: bool = False) -> None:
        self._conn = conn
        self._read_only = read_only
        self._postgresql = conn.dialect.name == "postgresql"

    @property
    def outbox(self) -> Outbox:
        """The notification outbox, in this same transaction."""
        return Outbox(self._conn, public_id, _number)

    @property
    def patterns(self) -> PatternIndexRows:
        """The pattern index, in this same transaction."""
        return PatternIndexRows(self._conn, public_id)

    @property
    def tokens(self) -> TokenRows:
        """API tokens, in this same transaction."""
        return TokenRows(self._conn)

    def _writing(self) -> None:
        if self._read_only:
            raise RuntimeError("this unit of work is read-only: open it with "
                               "store.unit_of_work() to write")

    def _insert(self, table: Any) -> Any:
        return (postgresql.insert if self._postgresql else sqlite.insert)(table)

    # --- tickets and customers ---

    def save_ticket(self, ticket: Ticket, raw: Mapping[str, Any], at: datetime) -> None:
        """Store the ticket as received (upsert by ticket id) and upsert its customer."""
        self._writing()
        customer = ticket.customer
        if customer.id:
            values = {name: getattr(customer, name) for name in _CUSTOMER_FIELDS if name != "id"}
            stmt = self._insert(customers).values(customer_id=customer.id, updated_at=at,
                                                  **values)
            # A later ticket that omits a field keeps what an earlier one said.
            keep = {
                name: (stmt.excluded[name] if name == "reference_customer"
                       else func.coalesce(stmt.excluded[name], customers.c[name]))
                for name in values
            }
            self._conn.execute(stmt.on_conflict_do_update(
                index_elements=[customers.c.customer_id],
                set_={**keep, "updated_at": stmt.excluded.updated_at},
            ))
        row = {
            "customer_id": customer.id,
            "subject": ticket.subject,
            "created_at": ticket.created_at,
            "raw": dict(raw),
            "stored_at": at,
        }
        stmt = self._insert(tickets).values(ticket_id=ticket.id, **row)
        self._conn.execute(stmt.on_conflict_do_update(
            index_elements=[tickets.c.ticket_id],
            set_={name: stmt.excluded[name] for name in row},
        ))

    def get_ticket(self, ticket_id: str) -> Ticket | None:
        """The stored ticket, rebuilt from the mapping it arrived as."""
        raw = self._conn.execute(
            select(tickets.c.raw).where(tickets.c.ticket_id == ticket_id)
        ).scalar_one_or_none()
        return None if raw is None else ticket_from_mapping(raw)

    def open_tickets(self, limit: int | None = None) -> list[Ticket]:
        """Stored tickets without an active escalation, in the order they were first stored.

        A ticket is left out when it opened, or is linked to, an escalation that is open,
        acknowledged or in progress; one query, however many tickets are stored.
        """
        active = select(escalations.c.number).where(escalations.c.status.in_(_ACTIVE))
        busy = union_all(
            select(escalations.c.ticket_id).where(escalations.c.status.in_(_ACTIVE)),
            select(escalation_tickets.c.ticket_id)
            .where(escalation_tickets.c.escalation_number.in_(active)),
        )
        query = (select(tickets.c.raw).where(tickets.c.ticket_id.not_in(busy))
                 .order_by(tickets.c.id))
        if limit is not None:
            query = query.limit(limit)
        return [ticket_from_mapping(raw) for raw in self._conn.execute(query).scalars()]

    # --- assessments ---

    def save_assessment(
        self, assessment: Assessment, policy_version: str, at: datetime,
        escalation_id: str | None,
    ) -> None:
        """Keep a snapshot of an assessment and the policy version that produced it."""
        self._writing()
        self._conn.execute(insert(assessments).values(
            ticket_id=assessment.ticket_id,
            escalation_number=None if escalation_id is None else _number(escalation_id),
            assessed_at=at,
            policy_version=policy_version,
            decision=assessment.decision.value,
            target=assessment.target.value if assessment.target else None,
            severity=assessment.severity.value if assessment.severity else None,
            snapshot=assessment_to_mapping(assessment),
        ))

    # --- escalations ---

    def add_escalation(self, escalation: Escalation) -> Escalation:
        """Store a new escalation (its ticket saved first); returns it with its ESC-<n> id."""
        self._writing()
        if escalation.id:
            raise ValueError(f"a new escalation has no id yet (got {escalation.id!r})")
        number = self._conn.execute(insert(escalations).values(
            updated_at=escalation.opened_at, **_escalation_values(escalation)
        ).returning(escalations.c.number)).scalar_one()
        self._conn.execute(insert(escalation_tickets).values(
            escalation_number=number, ticket_id=escalation.ticket_id,
            linked_at=escalation.opened_at,
        ))
        if escalation.checklist:
            self._conn.execute(insert(checklist_items), [
                {"escalation_number": number, "item": item.value,
                 "done_at": escalation.opened_at, "actor": escalation.owner}
                for item in sorted(escalation.checklist)
            ])
        return replace(escalation, id=public_id(number))

    def get_escalation(self, escalation_id: str) -> Escalation:
        """The escalation ("ESC-7", "esc-7" or "7"); NotFoundError when there is none."""
        found = self._load(escalations.c.number == _number(escalation_id))
        if not found:
            raise NotFoundError(escalation_id)
        return found[0]

    def update_escalation(
        self, escalation: Escalation, expected_version: int, at: datetime, actor: str
    ) -> None:
        """Write a changed escalation if nobody else changed it since `expected_version`.

        `escalation.version` must be `expected_version + 1`. Checklist items new in
        `escalation.checklist` are recorded as done by `actor` at `at`; items no longer in it
        (a reopen) are removed. ConflictError when the stored version moved on.
        """
        self._writing()
        number = _number(escalation.id)
        if escalation.version != expected_version + 1:
            raise ValueError(
                f"{escalation.id}: a change must carry version {expected_version + 1} "
                f"(expected {expected_version} + 1), got {escalation.version}"
            )
        result = self._conn.execute(
            update(escalations)
            .where(escalations.c.number == number, escalations.c.version == expected_version)
            .values(updated_at=at, **_escalation_values(escalation))
        )
        if result.rowcount != 1:
            current = self._conn.execute(
                select(escalations.c.version).where(escalations.c.number == number)
            ).scalar_one_or_none()
            if current is None:
                raise NotFoundError(escalation.id)
            raise ConflictError(public_id(number), current, expected_version)
        done = set(self._conn.execute(
            select(checklist_items.c.item).where(checklist_items.c.escalation_number == number)
        ).scalars())
        wanted = {item.value for item in escalation.checklist}
        if done - wanted:
            self._conn.execute(delete(checklist_items).where(
                checklist_items.c.escalation_number == number,
                checklist_items.c.item.in_(sorted(done - wanted)),
            ))
        if wanted - done:
            self._conn.execute(insert(checklist_items), [
                {"escalation_number": number, "item": item, "done_at": at, "actor": actor}
                for item in sorted(wanted - done)
            ])

    def list_escalations(self, statuses: Sequence[Status] | None = None) -> list[Escalation]:
        """Every escalation (or those in `statuses`), oldest first."""
        if statuses is None:
            return self._load(None)
        return self._load(escalations.c.status.in_([s.value for s in statuses]))

    def query_escalations(self, query: EscalationQuery) -> tuple[list[Escalation], int]:
        """One page of the escalations `query` selects, most urgent first, and how many match.

        Most urgent: critical before high before medium, then the soonest follow-up due, then
        the oldest. Filtering, ordering and paging all happen in the database, so a page of a
        queue of 10,000 costs one indexed query, not loading the queue.
        """
        where = _query_filter(query)
        total = self._conn.execute(
            select(func.count()).select_from(escalations).where(where)).scalar_one()
        numbers = [n for (n,) in self._conn.execute(
            select(escalations.c.number).where(where)
            .order_by(escalations.c.severity_rank, escalations.c.next_due_at,
                      escalations.c.number)
            .limit(query.limit).offset(query.offset))]
        if not numbers:
            return [], int(total)
        loaded = {e.id: e for e in self._load(escalations.c.number.in_(numbers))}
        return [loaded[public_id(n)] for n in numbers], int(total)

    def get_escalations(self, escalation_ids: Iterable[str]) -> dict[str, Escalation]:
        """Many escalations in one query, by id (unknown ids are left out)."""
        numbers = sorted({n for n in (_parse_number(e) for e in escalation_ids) if n is not None})
        found: dict[str, Escalation] = {}
        # In chunks: SQLite limits the bound parameters of one statement.
        for start in range(0, len(numbers), 5000):
            chunk = numbers[start:start + 5000]
            found.update((e.id, e) for e in self._load(escalations.c.number.in_(chunk)))
        return found

    def escalations_for_ticket(self, ticket_id: str) -> list[Escalation]:
        """Escalations the ticket opened or was linked to, oldest first."""
        linked = select(escalation_tickets.c.escalation_number).where(
            escalation_tickets.c.ticket_id == ticket_id
        )
        return self._load(
            (escalations.c.ticket_id == ticket_id) | escalations.c.number.in_(linked)
        )

    def _load(self, where: ColumnElement[bool] | None) -> list[Escalation]:
        query = select(escalations).order_by(escalations.c.number)
        items = select(checklist_items.c.escalation_number, checklist_items.c.item)
        if where is not None:
            query = query.where(where)
            items = items.where(checklist_items.c.escalation_number.in_(
                select(escalations.c.number).where(where)
            ))
        rows = self._conn.execute(query).all()
        if not rows:
            return []
        checklists: dict[int, set[ChecklistItem]] = {}
        for number, item in self._conn.execute(items):
            checklists.setdefault(number, set()).add(ChecklistItem(item))
        return [_escalation(row, frozenset(checklists.get(row.number, ()))) for row in rows]

    def _existing(self, escalation_id: str) -> int:
        number = _number(escalation_id)
        found = self._conn.execute(
            select(escalations.c.number).where(escalations.c.number == number)
        ).scalar_one_or_none()
        if found is None:
            raise NotFoundError(escalation_id)
        return number

    # --- linked tickets ---

    def link_ticket(self, escalation_id: str, ticket_id: str, at: datetime) -> bool:
        """Attach a further ticket (saved first) to an escalation; False if already linked."""
        self._writing()
        number = self._existing(escalation_id)
        stmt = self._insert(escalation_tickets).values(
            escalation_number=number, ticket_id=ticket_id, linked_at=at
        ).on_conflict_do_nothing(
            index_elements=[escalation_tickets.c.escalation_number, escalation_tickets.c.ticket_id]
        ).returning(escalation_tickets.c.ticket_id)
        return self._conn.execute(stmt).first() is not None

    def linked_tickets(self, escalation_id: str) -> list[str]:
        """The escalation's tickets in the order they were linked, the opening ticket first."""
        number = self._existing(escalation_id)
        et, e = escalation_tickets, escalations
        query = (
            select(et.c.ticket_id)
            .select_from(et.join(e, e.c.number == et.c.escalation_number))
            .where(et.c.escalation_number == number)
            .order_by(case((et.c.ticket_id == e.c.ticket_id, 0), else_=1), et.c.linked_at,
                      et.c.ticket_id)
        )
        return list(self._conn.execute(query).scalars())

    # --- follow-ups ---

    def add_follow_up(
        self, escalation_id: str, kind: FollowupKind, at: datetime, actor: str, note: str
    ) -> None:
        """Record an internal check-in or a customer update."""
        self._writing()
        number = self._existing(escalation_id)
        self._conn.execute(insert(follow_ups).values(
            escalation_number=number, kind=kind.value, at=at, actor=actor, note=note
        ))

    def follow_ups(self, escalation_id: str) -> list[FollowUpRecord]:
        """The escalation's recorded follow-ups, oldest first."""
        number = self._existing(escalation_id)
        rows = self._conn.execute(
            select(follow_ups.c.kind, follow_ups.c.at, follow_ups.c.actor, follow_ups.c.note)
            .where(follow_ups.c.escalation_number == number)
            .order_by(follow_ups.c.at, follow_ups.c.id)
        )
        return [FollowUpRecord(FollowupKind(r.kind), r.at, r.actor, r.note) for r in rows]

    def due_clocks(self, horizon: datetime) -> list[tuple[str, FollowupClock]]:
        """Every internal and customer clock due at or before `horizon`, earliest due first.

        Two index range scans (internal_due_at, customer_due_at); no status filter is needed
        because a clock is stored only while its escalation is active.
        """
        e = escalations
        return self._clocks(e.c.internal_due_at <= horizon, e.c.customer_due_at <= horizon)

    def active_clocks(self) -> list[tuple[str, FollowupClock]]:
        """Every running clock of every active escalation, earliest due first."""
        e = escalations
        active = e.c.status.in_(_ACTIVE)
        return self._clocks(active & e.c.internal_due_at.is_not(None),
                            active & e.c.customer_due_at.is_not(None))

    def _clocks(
        self, internal_where: ColumnElement[bool], customer_where: ColumnElement[bool]
    ) -> list[tuple[str, FollowupClock]]:
        rows = self._clock_rows(internal_where, customer_where)
        # Unpacked tuples and a dict, not Row attributes and FollowupKind(...): at thousands of
        # due clocks those took a quarter of the query's time (benchmarks/followups.py).
        kinds = {kind.value: kind for kind in FollowupKind}
        return [
            (public_id(number), FollowupClock(kinds[kind], due_at, overdue_at))
            for number, kind, due_at, overdue_at in rows
        ]

    def _clock_rows(
        self,
        internal_where: ColumnElement[bool],
        customer_where: ColumnElement[bool],
        *extra: Any,
    ) -> Sequence[Any]:
        """Both kinds of clock as rows (number, kind, due_at, overdue_at, *extra), by due."""
        e = escalations
        internal = select(
            e.c.number, literal_column("'internal'").label("kind"),
            e.c.internal_due_at.label("due_at"), e.c.internal_overdue_at.label("overdue_at"),
            *extra,
        ).where(internal_where)
        customer = select(
            e.c.number, literal_column("'customer'").label("kind"),
            e.c.customer_due_at.label("due_at"), e.c.customer_overdue_at.label("overdue_at"),
            *extra,
        ).where(customer_where)
        both = union_all(internal, customer).subquery()
        return self._conn.execute(
            select(both).order_by(both.c.due_at, both.c.number, both.c.kind.desc())
        ).all()

    def followup_rows(self, horizon: datetime | None) -> list[FollowupRow]:
        """Clocks due by `horizon` (every running clock when None) with what a list shows.

        The same two index range scans as `due_clocks`, plus the few columns a follow-up list
        needs, so no full escalation is built per row (benchmarks/followups.py).
        """
        e = escalations
        internal_where: ColumnElement[bool]
        customer_where: ColumnElement[bool]
        if horizon is None:
            active = e.c.status.in_(_ACTIVE)
            internal_where = active & e.c.internal_due_at.is_not(None)
            customer_where = active & e.c.customer_due_at.is_not(None)
        else:
            internal_where = e.c.internal_due_at <= horizon
            customer_where = e.c.customer_due_at <= horizon
        rows = self._clock_rows(internal_where, customer_where, e.c.severity, e.c.target,
                                e.c.owner, e.c.summary, e.c.ticket_id, e.c.customer)
        kinds = {kind.value: kind for kind in FollowupKind}
        severities = {s.value: s for s in Severity}
        targets = {t.value: t for t in Target}
        return [
            FollowupRow(
                public_id(number), FollowupClock(kinds[kind], due_at, overdue_at),
                severities[severity], targets[target], owner, summary, ticket_id,
                (customer or {}).get("name") or (customer or {}).get("id"),
                (customer or {}).get("timezone"),
            )
            for (number, kind, due_at, overdue_at, severity, target, owner, summary, ticket_id,
                 customer) in rows
        ]

    # --- learnings ---

    def add_learning(self, learning: Learning) -> None:
        """Keep what a resolved or de-escalated escalation taught, with its signature."""
        self._writing()
        self._conn.execute(insert(learnings).values(
            escalation_number=_number(learning.escalation_id),
            ticket_id=learning.ticket_id,
            terms=sorted(learning.terms),
            product_area=learning.product_area,
            category=learning.category.value if learning.category else None,
            resolution=learning.resolution,
            learning=learning.learning,
            fix_kind=learning.fix_kind.value if learning.fix_kind else None,
            deescalation_reason=(learning.deescalation_reason.value
                                 if learning.deescalation_reason else None),
            resolved_at=learning.resolved_at,
        ))

    def learnings(self) -> list[Learning]:
        """Every learning, oldest first."""
        rows = self._conn.execute(select(learnings).order_by(learnings.c.id))
        return [
            Learning(
                escalation_id=public_id(r.escalation_number),
                ticket_id=r.ticket_id,
                terms=frozenset(r.terms),
                product_area=r.product_area,
                category=Category(r.category) if r.category else None,
                resolution=r.resolution,
                learning=r.learning,
                fix_kind=FixKind(r.fix_kind) if r.fix_kind else None,
                deescalation_reason=(DeEscalationReason(r.deescalation_reason)
                                     if r.deescalation_reason else None),
                resolved_at=r.resolved_at,
            )
            for r in rows
        ]

    # --- audit trail ---

    def append_event(
        self, at: datetime, actor: str, action: str, escalation_id: str | None,
        details: Mapping[str, Any],
    ) -> AuditEvent:
        """Append the next event of the chain (call it last in the unit of work).

        The head row is locked until the transaction ends, so concurrent appenders take
        turns and the sequence has no gaps: a rolled-back transaction takes its event and
        its head move with it.
        """
        self._writing()
        head = self._conn.execute(
            select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)
            .with_for_update()
        ).one_or_none()
        if head is None:
            raise RuntimeError("the audit head record is missing, so the log cannot be "
                               "extended: run `escalate audit verify`")
        event_ = next_event(
            (head.seq, head.hash) if head.seq else None, at, actor, action,
            _normalised_id(escalation_id), details,
        )
        self._conn.execute(insert(audit_events).values(
            seq=event_.seq, at=event_.at, actor=event_.actor, action=event_.action,
            escalation_id=event_.escalation_id, details=_details_text(event_.details),
            prev_hash=event_.prev_hash, hash=event_.hash,
        ))
        self._conn.execute(update(audit_head).where(audit_head.c.id == 1)
                           .values(seq=event_.seq, hash=event_.hash))
        return event_

    def events(self, escalation_id: str | None = None) -> Iterator[AuditEvent]:
        """The audit events in seq order (one escalation's, or the whole log), streamed.

        Consume it inside the unit of work.
        """
        query = select(audit_events).order_by(audit_events.c.seq)
        if escalation_id is not None:
            query = query.where(audit_events.c.escalation_id == _normalised_id(escalation_id))
        with self._conn.execute(query.execution_options(yield_per=1000)) as result:
            for r in result:
                yield AuditEvent(r.seq, r.at, r.actor, r.action, r.escalation_id,
                                 json.loads(r.details), r.prev_hash, r.hash)

    def first_event_times(self, action: str) -> dict[str, datetime]:
        """When each escalation first had an audit event of `action` (e.g. acknowledged)."""
        rows = self._conn.execute(
            select(audit_events.c.escalation_id, func.min(audit_events.c.at))
            .where((audit_events.c.action == action) & audit_events.c.escalation_id.is_not(None))
            .group_by(audit_events.c.escalation_id))
        return {escalation_id: at for escalation_id, at in rows}

    def audit_head(self) -> tuple[int, str] | None:
        """The last event's (seq, hash) as recorded apart from the log; None when empty."""
        head = self._conn.execute(
            select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)
        ).one_or_none()
        return None if head is None or head.seq == 0 else (int(head.seq), str(head.hash))


# --- row <-> domain ---------------------------------------------------------------------------


def _details_text(details: Mapping[str, Any]) -> str:
    return json.dumps(details, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _escalation_values(escalation: Escalation) -> dict[str, Any]:
    """Column values for an escalation (all but number and updated_at)."""
    internal, customer_update = escalation.internal, escalation.customer_update
    if not escalation.status.is_active and (internal or customer_update):
        raise ValueError(f"{escalation.id or 'new escalation'}: follow-up clocks run only "
                         f"while active, but it is {escalation.status.value}")
    if internal is not None and internal.kind is not FollowupKind.INTERNAL:
        raise ValueError("the internal clock must be of kind internal")
    if customer_update is not None and customer_update.kind is not FollowupKind.CUSTOMER:
        raise ValueError("the customer_update clock must be of kind customer")
    return {
        "ticket_id": escalation.ticket_id,
        "status": escalation.status.value,
        "severity": escalation.severity.value,
        "target": escalation.target.value,
        "also_notify": [t.value for t in escalation.also_notify],
        "owner": escalation.owner,
        "summary": escalation.summary,
        "customer": asdict(escalation.customer),
        "customers_affected": escalation.customers_affected,
        "opened_at": escalation.opened_at,
        "internal_due_at": internal.due_at if internal else None,
        "internal_overdue_at": internal.overdue_at if internal else None,
        "customer_due_at": customer_update.due_at if customer_update else None,
        "customer_overdue_at": customer_update.overdue_at if customer_update else None,
        "severity_rank": SEVERITY_RANK[escalation.severity.value],
        "security": is_security(escalation),
        "next_due_at": min((c.due_at for c in (internal, customer_update) if c is not None),
                           default=NO_FOLLOWUP),
        "last_internal_at": escalation.last_internal_at,
        "last_customer_at": escalation.last_customer_at,
        "resolution": escalation.resolution,
        "learning": escalation.learning,
        "fix_kind": escalation.fix_kind.value if escalation.fix_kind else None,
        "deescalation_reason": (escalation.deescalation_reason.value
                                if escalation.deescalation_reason else None),
        "deescalation_note": escalation.deescalation_note,
        "resolved_at": escalation.resolved_at,
        "closed_at": escalation.closed_at,
        "version": escalation.version,
    }


def _clock(kind: FollowupKind, due_at: datetime | None, overdue_at: datetime | None
           ) -> FollowupClock | None:
    if due_at is None or overdue_at is None:
        return None
    return FollowupClock(kind, due_at, overdue_at)


def _escalation(row: Row[Any], checklist: frozenset[ChecklistItem]) -> Escalation:
    stored = row.customer or {}
    return Escalation(
        id=public_id(row.number),
        ticket_id=row.ticket_id,
        status=Status(row.status),
        severity=Severity(row.severity),
        target=Target(row.target),
        opened_at=row.opened_at,
        owner=row.owner,
        also_notify=tuple(Target(t) for t in row.also_notify),
        customer=Customer(**{k: stored[k] for k in _CUSTOMER_FIELDS if k in stored}),
        summary=row.summary,
        customers_affected=row.customers_affected,
        internal=_clock(FollowupKind.INTERNAL, row.internal_due_at, row.internal_overdue_at),
        customer_update=_clock(FollowupKind.CUSTOMER, row.customer_due_at,
                               row.customer_overdue_at),
        last_internal_at=row.last_internal_at,
        last_customer_at=row.last_customer_at,
        checklist=checklist,
        resolution=row.resolution,
        learning=row.learning,
        fix_kind=FixKind(row.fix_kind) if row.fix_kind else None,
        deescalation_reason=(DeEscalationReason(row.deescalation_reason)
                             if row.deescalation_reason else None),
        deescalation_note=row.deescalation_note,
        resolved_at=row.resolved_at,
        closed_at=row.closed_at,
        version=row.version,
    )
