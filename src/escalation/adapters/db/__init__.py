"""Storage: SQLAlchemy Core tables, the repository and Alembic migrations (SQLite, PostgreSQL)."""

from escalation.adapters.db.store import (
    ConflictError,
    FollowUpRecord,
    NotFoundError,
    Store,
    UnitOfWork,
)

__all__ = ["ConflictError", "FollowUpRecord", "NotFoundError", "Store", "UnitOfWork"]
