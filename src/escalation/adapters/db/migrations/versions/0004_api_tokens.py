"""API and dashboard tokens (hashed), with role and team; the queue's order as indexed columns.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from escalation.adapters.db.tables import NO_FOLLOWUP, SEVERITY_RANK, UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("team", sa.String(200)),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(20), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("revoked_at", _when()),
        sa.Column("last_used_at", _when()),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_api_tokens_name", "api_tokens", ["name"])
    # The queue is sorted by severity, then the next follow-up due: kept as two columns with an
    # index, a page of a 10,000-escalation queue is read in index order instead of sorting.
    with op.batch_alter_table("escalations") as batch:
        batch.add_column(sa.Column("severity_rank", sa.Integer(), nullable=False,
                                   server_default="2"))
        batch.add_column(sa.Column("next_due_at", _when(), nullable=False,
                                   server_default="9999-01-01 00:00:00"))
        batch.add_column(sa.Column("security", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    bind = op.get_bind()
    escalations = sa.table("escalations", sa.column("number", sa.Integer()),
                           sa.column("severity", sa.String()),
                           sa.column("internal_due_at", UtcDateTime()),
                           sa.column("customer_due_at", UtcDateTime()),
                           sa.column("target", sa.String()),
                           sa.column("also_notify", sa.JSON()),
                           sa.column("security", sa.Boolean()),
                           sa.column("severity_rank", sa.Integer()),
                           sa.column("next_due_at", UtcDateTime()))
    rows = bind.execute(sa.select(escalations.c.number, escalations.c.severity,
                                  escalations.c.internal_due_at,
                                  escalations.c.customer_due_at, escalations.c.target,
                                  escalations.c.also_notify)).all()
    for number, severity, internal, customer, target, also_notify in rows:
        bind.execute(sa.update(escalations).where(escalations.c.number == number).values(
            severity_rank=SEVERITY_RANK.get(severity, 2),
            security=target == "security" or "security" in (also_notify or []),
            next_due_at=min([d for d in (internal, customer) if d is not None],
                            default=NO_FOLLOWUP)))
    op.create_index("ix_escalations_queue", "escalations",
                    ["severity_rank", "next_due_at", "number"])
    op.create_index("ix_escalations_security", "escalations", ["security"])


def downgrade() -> None:
    op.drop_index("ix_escalations_security", table_name="escalations")
    op.drop_index("ix_escalations_queue", table_name="escalations")
    with op.batch_alter_table("escalations") as batch:
        batch.drop_column("security")
        batch.drop_column("next_due_at")
        batch.drop_column("severity_rank")
    op.drop_index("ix_api_tokens_name", table_name="api_tokens")
    op.drop_table("api_tokens")
