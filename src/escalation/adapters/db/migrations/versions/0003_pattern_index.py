"""The pattern index: every ticket opened, linked, imported or clustered, with its vector.

Also lets an outbox message stand without an escalation (`pattern.detected` is about a group
of tickets, which may have none yet).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pattern_index",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False,
                  autoincrement=True),
        sa.Column("ticket_id", sa.String(200), nullable=False),
        sa.Column("customer_id", sa.String(200)),
        sa.Column("created_at", _when()),
        sa.Column("subject", sa.Text()),
        sa.Column("product_area", sa.Text()),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("semantic", sa.LargeBinary(), nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("cluster_id", sa.String(40)),
        sa.Column("indexed_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pattern_index"),
        sa.UniqueConstraint("ticket_id", name="uq_pattern_index_ticket_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_pattern_index_cluster_id", "pattern_index", ["cluster_id"])
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("escalation_number", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM outbox WHERE escalation_number IS NULL")
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("escalation_number", existing_type=sa.Integer(), nullable=False)
    op.drop_index("ix_pattern_index_cluster_id", table_name="pattern_index")
    op.drop_table("pattern_index")
