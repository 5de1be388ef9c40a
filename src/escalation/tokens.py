"""API tokens: create (the secret is shown once, only its hash is kept), list, revoke, and check.

A token is `esd_` plus 43 URL-safe characters (256 random bits). Because the secret is random
and long, one SHA-256 is enough to store it safely and lets a request be checked by one indexed
lookup. Creating and revoking is audited.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from escalation.domain.access import Principal, Role
from escalation.domain.errors import InputError

if TYPE_CHECKING:
    from escalation.adapters.db.store import Store
    from escalation.adapters.db.tokens import TokenRecord

PREFIX = "esd_"
_SHOWN = 8  # characters of the secret kept to tell tokens apart in `token list`
_NAME_LIMIT = 200


def hash_secret(secret: str) -> str:
    """The stored form of a token's secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _clean(value: str, field: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise InputError(field, "a non-empty name", value)
    if len(cleaned) > _NAME_LIMIT or any(ch.isspace() and ch != " " for ch in cleaned):
        raise InputError(field, f"one line of at most {_NAME_LIMIT} characters", value)
    return cleaned


def create_token(
    store: Store, *, name: str, role: Role, team: str | None, by: str, now: datetime
) -> tuple[TokenRecord, str]:
    """Store a new token for `name`; returns its record and the secret (shown only now)."""
    name = _clean(name, "name")
    team = _clean(team, "team") if team is not None else None
    secret = PREFIX + secrets.token_urlsafe(32)
    with store.unit_of_work() as uow:
        record = uow.tokens.add(name=name, role=role, team=team, token_hash=hash_secret(secret),
                                prefix=secret[:len(PREFIX) + _SHOWN], at=now, by=by)
        uow.append_event(now, by, "token.created", None,
                         {"token_id": record.id, "name": name, "role": role.value,
                          "team": team})
    return record, secret


def list_tokens(store: Store) -> list[TokenRecord]:
    """Every token, revoked ones too, oldest first."""
    with store.unit_of_work(read_only=True) as uow:
        return uow.tokens.all()


def revoke_token(store: Store, which: str, *, by: str, now: datetime) -> list[TokenRecord]:
    """Revoke token `which`: its id, its prefix, or a name (every active token of that name)."""
    with store.unit_of_work() as uow:
        rows = uow.tokens
        if which.isdigit():
            targets = [t for t in rows.all() if t.id == int(which)]
        elif which.startswith(PREFIX):
            targets = [t for t in rows.all() if t.prefix == which[:len(PREFIX) + _SHOWN]]
        else:
            targets = [t for t in rows.by_name(which) if t.active]
        if not targets:
            raise InputError("token", "the id, prefix or name of a token (see `escalate token "
                             "list`)", which)
        revoked = []
        for token in targets:
            if token.active:
                uow.append_event(now, by, "token.revoked", None,
                                 {"token_id": token.id, "name": token.name})
            revoked.append(rows.revoke(token.id, now))
        return revoked


@dataclass(frozen=True, slots=True)
class _Known:
    principal: Principal | None
    token_id: int | None
    checked: float


class Authenticator:
    """Checks bearer secrets against the store, remembering answers for a few seconds.

    A revoked token stops working within `ttl` seconds in every process; last use is written
    at most once a minute per token, so checking a token costs no write on most requests.
    """

    def __init__(self, store: Store, *, ttl: float = 5.0) -> None:
        self.store = store
        self.ttl = ttl
        self._known: dict[str, _Known] = {}
        self._teams: tuple[float, dict[str, str]] = (0.0, {})
        self._touched: dict[int, float] = {}
        self._lock = threading.Lock()

    def principal(self, secret: str, now: datetime) -> Principal | None:
        """Who holds this secret (None for an unknown or revoked token)."""
        if not secret.startswith(PREFIX) or len(secret) > 100:
            return None
        return self.principal_for_hash(hash_secret(secret), now)

    def principal_for_hash(self, digest: str, now: datetime) -> Principal | None:
        """Who holds the token with this hash (a dashboard session keeps only the hash)."""
        clock = time.monotonic()
        known = self._known.get(digest)
        if known is None or clock - known.checked > self.ttl:
            with self.store.unit_of_work(read_only=True) as uow:
                record = uow.tokens.by_hash(digest)
            principal = (Principal(record.name, record.role, record.team)
                         if record is not None and record.active else None)
            known = _Known(principal, record.id if record else None, clock)
            with self._lock:
                if len(self._known) > 10_000:
                    self._known.clear()
                self._known[digest] = known
        if known.principal is not None and known.token_id is not None:
            self._touch(known.token_id, now, clock)
        return known.principal

    def _touch(self, token_id: int, now: datetime, clock: float) -> None:
        if clock - self._touched.get(token_id, -1e9) < 60:
            return
        self._touched[token_id] = clock
        with self.store.unit_of_work() as uow:
            uow.tokens.touch(token_id, now)

    def team_of(self, name: str) -> str | None:
        """The team of the person `name` (from their tokens), None when they have none."""
        clock = time.monotonic()
        checked, teams = self._teams
        if clock - checked > self.ttl:
            with self.store.unit_of_work(read_only=True) as uow:
                teams = uow.tokens.teams()
            self._teams = (clock, teams)
        return teams.get(name)
