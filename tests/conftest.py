"""Shared fixtures: one database per test, on SQLite always and on PostgreSQL when configured.

Set ESCALATION_TEST_PG (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to run every
database test on PostgreSQL too. Each PostgreSQL test gets a schema of its own (dropped
afterwards) through the connection's search_path, so tests stay independent under xdist.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from escalation.adapters.db.schemas import temporary_schema
from escalation.adapters.db.store import Store

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
    with temporary_schema(PG_URL) as url:
        yield url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A migrated Store on the test's own database."""
    opened = Store(db_url)
    try:
        yield opened
    finally:
        opened.close()
