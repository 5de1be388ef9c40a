"""Shared by the HTTP API tests: an app over a test database with a settable clock, and tokens."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from escalation.adapters.db.store import Store
from escalation.domain.access import Role
from escalation.tokens import create_token
from escalation.web.app import create_app
from escalation.web.settings import WebSettings

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FIXED = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)  # the examples are judged at this moment
API = "/api/v1"


def example(name: str) -> dict[str, Any]:
    """One example ticket by its file name's start, e.g. example("01")."""
    (path,) = sorted(EXAMPLES.glob(f"{name}*.json"))
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def example_files() -> list[Path]:
    """The fourteen single-ticket examples, in order."""
    return sorted(p for p in EXAMPLES.glob("[0-9][0-9]-*.json"))


@dataclass
class Clock:
    """A clock tests move by hand (the app reads it through WebSettings.clock)."""

    at: datetime = FIXED

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **span: float) -> datetime:
        self.at += timedelta(**span)
        return self.at


@dataclass
class Api:
    """A TestClient over one app, its store and clock, and a way to mint tokens."""

    client: TestClient
    store: Store
    clock: Clock
    _headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def token(self, name: str, role: Role, team: str | None = None) -> dict[str, str]:
        """Headers carrying a new bearer token for `name` (one per name, then reused)."""
        if name not in self._headers:
            _record, secret = create_token(self.store, name=name, role=role, team=team,
                                           by="test", now=self.clock())
            self._headers[name] = {"Authorization": f"Bearer {secret}"}
        return self._headers[name]


@contextmanager
def running_api(db_url: str, *, raise_server_exceptions: bool = True,
                **settings: Any) -> Iterator[Api]:
    """An app over `db_url` with a fixed clock and (unless given) generous rate limits."""
    clock = Clock()
    values: dict[str, Any] = {"requests_per_minute": 100_000, "burst": 100_000, **settings}
    app = create_app(WebSettings(db_url=db_url, clock=clock, **values))
    store: Store = app.state.desk.store
    try:
        with TestClient(app, raise_server_exceptions=raise_server_exceptions) as client:
            yield Api(client, store, clock)
    finally:
        store.close()


def error_of(answer: Any, status: int, code: str) -> dict[str, Any]:
    """The error body of `answer`, checked: its status, the one error shape, its code."""
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    assert set(body) == {"error", "detail", "field"}
    assert body["error"] == code
    return body
