"""Alembic environment: runs on the connection Store.upgrade() hands over (no alembic.ini)."""

from __future__ import annotations

from alembic import context

from escalation.adapters.db.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError(
        "run migrations with `escalate db upgrade` (Store.upgrade()), which passes the "
        "database connection in; offline SQL generation is not supported"
    )

# Store.upgrade() already opened the transaction (and holds the migration lock), so Alembic
# joins it: the whole upgrade commits or rolls back as one.
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
