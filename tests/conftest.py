"""Shared fixtures: one database per test, on SQLite always and on PostgreSQL when configured.

Set ESCALATION_TEST_PG (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to run every
database test on PostgreSQL too. Each PostgreSQL test gets a schema of its own (dropped
afterwards) through the connection's search_path, so tests stay independent under xdist.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from escalation.adapters.db.store import Store, database_url

PG_ENV = "ESCALATION_TEST_PG"
PG_URL = os.environ.get(PG_ENV, "").strip()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not PG_URL, reason=f"{PG_ENV} not set: PostgreSQL suite skipped"
            ),
        ),
    ]
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'escalation.db'}"
        return
    base = database_url(PG_URL)
    schema = f"t_{uuid.uuid4().hex}"
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


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A migrated Store on the test's own database."""
    opened = Store(db_url)
    try:
        yield opened
    finally:
        opened.close()
