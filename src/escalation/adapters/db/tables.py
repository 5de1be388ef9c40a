"""The database schema as SQLAlchemy Core tables, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC; always read back aware, in UTC.

    PostgreSQL keeps it as `timestamptz`; SQLite has no zones, so the UTC wall time is stored
    (a fixed-width text that sorts and compares correctly) and UTC is attached on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given: pass a timezone-aware "
                             "datetime (e.g. datetime.now(UTC))")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# The queue's order columns (see `escalations`): severity as a rank, and the far-future due
# time of an escalation with no follow-up running (so it sorts last on every database).
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2}
NO_FOLLOWUP = datetime(9999, 1, 1, tzinfo=UTC)


def json_type() -> Any:
    """JSON everywhere, stored as JSONB on PostgreSQL."""
    return JSON().with_variant(JSONB(), "postgresql")


# Stable constraint names so migrations can refer to them on every backend.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", String(200), nullable=False, unique=True),
    Column("customer_id", String(200)),
    Column("subject", Text),
    Column("created_at", UtcDateTime),
    Column("raw", json_type(), nullable=False),  # the ticket mapping exactly as received
    Column("stored_at", UtcDateTime, nullable=False),
)

customers = Table(
    "customers",
    metadata,
    Column("customer_id", String(200), primary_key=True),
    Column("name", Text),
    Column("arr", Float),
    Column("plan", String(100)),
    Column("reference_customer", Boolean, nullable=False, default=False),
    Column("sla_hours", Float),
    Column("update_hours", Float),
    Column("timezone", String(100)),
    Column("country", String(2)),
    Column("updated_at", UtcDateTime, nullable=False),
)

escalations = Table(
    "escalations",
    metadata,
    Column("number", Integer, primary_key=True, autoincrement=True),  # public id ESC-<number>
    Column("ticket_id", String(200), ForeignKey("tickets.ticket_id"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("severity", String(20), nullable=False),
    Column("target", String(20), nullable=False),
    Column("also_notify", json_type(), nullable=False),
    Column("owner", String(200), nullable=False),
    Column("summary", Text),
    Column("customer", json_type(), nullable=False),
    Column("customers_affected", Integer, nullable=False, default=1),
    Column("opened_at", UtcDateTime, nullable=False),
    # The follow-up clocks; NULL whenever the clock is not running, so the due query is an
    # index range scan with no status filter.
    Column("internal_due_at", UtcDateTime, index=True),
    Column("internal_overdue_at", UtcDateTime),
    Column("customer_due_at", UtcDateTime, index=True),
    Column("customer_overdue_at", UtcDateTime),
    Column("last_internal_at", UtcDateTime),
    Column("last_customer_at", UtcDateTime),
    Column("resolution", Text),
    Column("learning", Text),
    Column("fix_kind", String(20)),
    Column("deescalation_reason", String(40)),
    Column("deescalation_note", Text),
    Column("resolved_at", UtcDateTime),
    Column("closed_at", UtcDateTime),
    Column("version", Integer, nullable=False),  # optimistic concurrency
    Column("updated_at", UtcDateTime, nullable=False),
    # The queue's order, kept by the store on every write: severity (0 critical, 1 high,
    # 2 medium), then the sooner of the two follow-ups due (NO_FOLLOWUP when none runs).
    Column("severity_rank", Integer, nullable=False, server_default="2"),
    Column("next_due_at", UtcDateTime, nullable=False, server_default="9999-01-01 00:00:00"),
    Index("ix_escalations_status", "status"),
    # Sent to Security or Security told alongside (domain access.is_security): such an
    # escalation exists only for the security and admin roles.
    Column("security", Boolean, nullable=False, server_default=false()),
    Index("ix_escalations_queue", "severity_rank", "next_due_at", "number"),
    Index("ix_escalations_security", "security"),
    Index("ix_escalations_ticket_id", "ticket_id"),
    sqlite_autoincrement=True,  # never reuse an escalation number
)

escalation_tickets = Table(
    "escalation_tickets",
    metadata,
    Column("escalation_number", Integer, ForeignKey("escalations.number"), primary_key=True),
    Column("ticket_id", String(200), ForeignKey("tickets.ticket_id"), primary_key=True),
    Column("linked_at", UtcDateTime, nullable=False),
    Index("ix_escalation_tickets_ticket_id", "ticket_id"),
)

follow_ups = Table(
    "follow_ups",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("escalation_number", Integer, ForeignKey("escalations.number"), nullable=False,
           index=True),
    Column("kind", String(20), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("note", Text, nullable=False),
)

checklist_items = Table(
    "checklist_items",
    metadata,
    Column("escalation_number", Integer, ForeignKey("escalations.number"), primary_key=True),
    Column("item", String(40), primary_key=True),
    Column("done_at", UtcDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
)

assessments = Table(
    "assessments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", String(200), nullable=False, index=True),
    Column("escalation_number", Integer, ForeignKey("escalations.number"), index=True),
    Column("assessed_at", UtcDateTime, nullable=False),
    Column("policy_version", String(100), nullable=False),
    Column("decision", String(40), nullable=False),
    Column("target", String(20)),
    Column("severity", String(20)),
    Column("snapshot", json_type(), nullable=False),  # the assessment contract mapping
)

learnings = Table(
    "learnings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("escalation_number", Integer, ForeignKey("escalations.number"), nullable=False,
           index=True),
    Column("ticket_id", String(200), nullable=False),
    Column("terms", json_type(), nullable=False),  # sorted list of signature terms
    Column("product_area", Text),
    Column("category", String(40)),
    Column("resolution", Text, nullable=False),
    Column("learning", Text, nullable=False),
    Column("fix_kind", String(20)),
    Column("deescalation_reason", String(40)),
    Column("resolved_at", UtcDateTime, nullable=False),
)

audit_events = Table(
    "audit_events",
    metadata,
    # The chain assigns seq (head + 1) under the head lock; the database must not.
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(100), nullable=False),
    Column("escalation_id", String(40), index=True),
    Column("details", Text, nullable=False),  # canonical JSON text, hashed as written
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("seq", BigInteger, nullable=False),  # 0 while the log is empty
    Column("hash", String(64), nullable=False),
    CheckConstraint("id = 1", name="ck_audit_head_single_row"),
)

# Messages waiting to go out (and what became of them). Written in the same transaction as the
# change they announce; reminders are rows with a due time. Not an audit table: a pending
# reminder is cancelled when its clock is re-planned.
outbox = Table(
    "outbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("key", String(300), nullable=False, unique=True),  # idempotency key
    Column("event", String(60), nullable=False),
    # NULL for a message about no escalation (pattern.detected on a group with none yet).
    Column("escalation_number", Integer, ForeignKey("escalations.number")),
    Column("channel", String(200), nullable=False),
    Column("kind", String(20)),  # internal | customer, for follow-up reminders
    Column("severity", String(20), nullable=False),
    Column("recipient", String(200)),
    Column("payload", json_type(), nullable=False),
    Column("due_at", UtcDateTime, nullable=False),  # when it fell due (the order it goes in)
    Column("available_at", UtcDateTime, nullable=False),  # not before (quiet hours, backoff)
    Column("status", String(20), nullable=False),  # pending|sent|dead|superseded|cancelled
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("lease_until", UtcDateTime),
    Column("claimed_by", String(200)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    Index("ix_outbox_status_available_at", "status", "available_at"),
    Index("ix_outbox_escalation_number_channel", "escalation_number", "channel"),
)

# Every ticket the desk has seen (opened, linked, imported, clustered), for pattern matching:
# the text it is compared by and its MiniLM vector (float16); the lexical side is recomputed
# from the text when the index is loaded (its weights depend on the whole corpus).
pattern_index = Table(
    "pattern_index",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("ticket_id", String(200), nullable=False, unique=True),
    Column("customer_id", String(200)),
    Column("created_at", UtcDateTime),
    Column("subject", Text),
    Column("product_area", Text),
    Column("text", Text, nullable=False),
    Column("semantic", LargeBinary, nullable=False),
    Column("model", String(100), nullable=False),
    Column("cluster_id", String(40), index=True),
    Column("indexed_at", UtcDateTime, nullable=False),
    sqlite_autoincrement=True,  # ids only grow: the index loads rows by id
)

# API and dashboard tokens: only a SHA-256 of the secret is kept (the secret is shown once).
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),  # who acts: the audit trail's actor
    Column("role", String(20), nullable=False),
    Column("team", String(200)),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(20), nullable=False),  # the secret's first characters, to tell apart
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("revoked_at", UtcDateTime),
    Column("last_used_at", UtcDateTime),
    Index("ix_api_tokens_name", "name"),
    sqlite_autoincrement=True,  # a revoked token's id is never reused
)
