"""A throwaway PostgreSQL schema, for test suites and benchmarks that share one database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

from escalation.adapters.db.store import database_url


@contextmanager
def temporary_schema(base_url: str, prefix: str = "t") -> Iterator[str]:
    """A database URL whose connections use a fresh schema of their own, dropped afterwards.

    The schema reaches every connection through psycopg's `options=-csearch_path=…`, so the
    store, its migrations and any raw SQL all land in it; parallel runs never meet.
    """
    base = database_url(base_url)
    schema = f"{prefix}_{uuid.uuid4().hex}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = base.update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
