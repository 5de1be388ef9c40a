"""The initial schema: tickets, customers, assessments, escalations and their follow-ups,
checklist items and linked tickets, learnings, and the append-only, hash-chained audit log.

Revision ID: 0001
Revises:
Create Date: 2026-05-01
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

GENESIS = "0" * 64  # domain.audit.GENESIS, frozen here as migrations must not change


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.String(200), nullable=False),
        sa.Column("customer_id", sa.String(200)),
        sa.Column("subject", sa.Text()),
        sa.Column("created_at", _when()),
        sa.Column("raw", _json(), nullable=False),
        sa.Column("stored_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tickets"),
        sa.UniqueConstraint("ticket_id", name="uq_tickets_ticket_id"),
    )
    op.create_table(
        "customers",
        sa.Column("customer_id", sa.String(200), nullable=False),
        sa.Column("name", sa.Text()),
        sa.Column("arr", sa.Float()),
        sa.Column("plan", sa.String(100)),
        sa.Column("reference_customer", sa.Boolean(), nullable=False),
        sa.Column("sla_hours", sa.Float()),
        sa.Column("update_hours", sa.Float()),
        sa.Column("timezone", sa.String(100)),
        sa.Column("country", sa.String(2)),
        sa.Column("updated_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name="pk_customers"),
    )
    op.create_table(
        "escalations",
        sa.Column("number", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("ticket_id", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("target", sa.String(20), nullable=False),
        sa.Column("also_notify", _json(), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text()),
        sa.Column("customer", _json(), nullable=False),
        sa.Column("customers_affected", sa.Integer(), nullable=False),
        sa.Column("opened_at", _when(), nullable=False),
        sa.Column("internal_due_at", _when()),
        sa.Column("internal_overdue_at", _when()),
        sa.Column("customer_due_at", _when()),
        sa.Column("customer_overdue_at", _when()),
        sa.Column("last_internal_at", _when()),
        sa.Column("last_customer_at", _when()),
        sa.Column("resolution", sa.Text()),
        sa.Column("learning", sa.Text()),
        sa.Column("fix_kind", sa.String(20)),
        sa.Column("deescalation_reason", sa.String(40)),
        sa.Column("deescalation_note", sa.Text()),
        sa.Column("resolved_at", _when()),
        sa.Column("closed_at", _when()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("number", name="pk_escalations"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.ticket_id"],
                                name="fk_escalations_ticket_id_tickets"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_escalations_internal_due_at", "escalations", ["internal_due_at"])
    op.create_index("ix_escalations_customer_due_at", "escalations", ["customer_due_at"])
    op.create_index("ix_escalations_status", "escalations", ["status"])
    op.create_index("ix_escalations_ticket_id", "escalations", ["ticket_id"])

    op.create_table(
        "escalation_tickets",
        sa.Column("escalation_number", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.String(200), nullable=False),
        sa.Column("linked_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("escalation_number", "ticket_id", name="pk_escalation_tickets"),
        sa.ForeignKeyConstraint(["escalation_number"], ["escalations.number"],
                                name="fk_escalation_tickets_escalation_number_escalations"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.ticket_id"],
                                name="fk_escalation_tickets_ticket_id_tickets"),
    )
    op.create_index("ix_escalation_tickets_ticket_id", "escalation_tickets", ["ticket_id"])

    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escalation_number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("at", _when(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_follow_ups"),
        sa.ForeignKeyConstraint(["escalation_number"], ["escalations.number"],
                                name="fk_follow_ups_escalation_number_escalations"),
    )
    op.create_index("ix_follow_ups_escalation_number", "follow_ups", ["escalation_number"])

    op.create_table(
        "checklist_items",
        sa.Column("escalation_number", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(40), nullable=False),
        sa.Column("done_at", _when(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("escalation_number", "item", name="pk_checklist_items"),
        sa.ForeignKeyConstraint(["escalation_number"], ["escalations.number"],
                                name="fk_checklist_items_escalation_number_escalations"),
    )

    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.String(200), nullable=False),
        sa.Column("escalation_number", sa.Integer()),
        sa.Column("assessed_at", _when(), nullable=False),
        sa.Column("policy_version", sa.String(100), nullable=False),
        sa.Column("decision", sa.String(40), nullable=False),
        sa.Column("target", sa.String(20)),
        sa.Column("severity", sa.String(20)),
        sa.Column("snapshot", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_assessments"),
        sa.ForeignKeyConstraint(["escalation_number"], ["escalations.number"],
                                name="fk_assessments_escalation_number_escalations"),
    )
    op.create_index("ix_assessments_ticket_id", "assessments", ["ticket_id"])
    op.create_index("ix_assessments_escalation_number", "assessments", ["escalation_number"])

    op.create_table(
        "learnings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("escalation_number", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.String(200), nullable=False),
        sa.Column("terms", _json(), nullable=False),
        sa.Column("product_area", sa.Text()),
        sa.Column("category", sa.String(40)),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("learning", sa.Text(), nullable=False),
        sa.Column("fix_kind", sa.String(20)),
        sa.Column("deescalation_reason", sa.String(40)),
        sa.Column("resolved_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_learnings"),
        sa.ForeignKeyConstraint(["escalation_number"], ["escalations.number"],
                                name="fk_learnings_escalation_number_escalations"),
    )
    op.create_index("ix_learnings_escalation_number", "learnings", ["escalation_number"])

    op.create_table(
        "audit_events",
        sa.Column("seq", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("at", _when(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("escalation_id", sa.String(40)),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_events"),
    )
    op.create_index("ix_audit_events_escalation_id", "audit_events", ["escalation_id"])

    audit_head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_head"),
        sa.CheckConstraint("id = 1", name="ck_audit_head_single_row"),
    )
    # The head row always exists, so appenders always have a row to lock.
    op.bulk_insert(audit_head, [{"id": 1, "seq": 0, "hash": GENESIS}])

    _install_append_only_triggers()


def _install_append_only_triggers() -> None:
    """The database itself refuses to change or remove audit rows, whoever connects."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION audit_events_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit events are append-only';
            END
            $$
            """
        )
        op.execute(
            """
            CREATE FUNCTION audit_head_forward_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP <> 'UPDATE' THEN
                    RAISE EXCEPTION 'the audit head only moves forward, one event at a time';
                END IF;
                IF NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1 THEN
                    RAISE EXCEPTION 'the audit head only moves forward, one event at a time';
                END IF;
                RETURN NEW;
            END
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_head_forward_only BEFORE UPDATE OR DELETE ON audit_head "
            "FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_head_forward_only()"
        )
        return
    op.execute(
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head "
        "WHEN NEW.id <> OLD.id OR NEW.seq <> OLD.seq + 1 "
        "BEGIN SELECT RAISE(ABORT, 'the audit head only moves forward, one event at a time'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head "
        "BEGIN SELECT RAISE(ABORT, 'the audit head only moves forward, one event at a time'); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_head_no_truncate ON audit_head")
        op.execute("DROP TRIGGER IF EXISTS audit_head_forward_only ON audit_head")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_head_forward_only()")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    else:
        for name in ("audit_head_no_delete", "audit_head_forward_only",
                     "audit_events_no_delete", "audit_events_no_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for table in ("audit_head", "audit_events", "learnings", "assessments", "checklist_items",
                  "follow_ups", "escalation_tickets", "escalations", "customers", "tickets"):
        op.drop_table(table)
