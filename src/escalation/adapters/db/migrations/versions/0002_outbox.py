"""The outbox: notifications and follow-up reminders waiting to go out, and their fate.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False,
                  autoincrement=True),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("event", sa.String(60), nullable=False),
        sa.Column("escalation_number", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20)),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("recipient", sa.String(200)),
        sa.Column("payload", _json(), nullable=False),
        sa.Column("due_at", _when(), nullable=False),
        sa.Column("available_at", _when(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("lease_until", _when()),
        sa.Column("claimed_by", sa.String(200)),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("sent_at", _when()),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("key", name="uq_outbox_key"),
        sa.ForeignKeyConstraint(["escalation_number"], ["escalations.number"],
                                name="fk_outbox_escalation_number_escalations"),
    )
    op.create_index("ix_outbox_status_available_at", "outbox", ["status", "available_at"])
    op.create_index("ix_outbox_escalation_number_channel", "outbox",
                    ["escalation_number", "channel"])


def downgrade() -> None:
    op.drop_index("ix_outbox_escalation_number_channel", table_name="outbox")
    op.drop_index("ix_outbox_status_available_at", table_name="outbox")
    op.drop_table("outbox")
