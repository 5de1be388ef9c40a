"""The API tokens' rows: who holds a token, with which role and team (the secret only hashed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Row, select, update

from escalation.adapters.db.tables import api_tokens
from escalation.domain.access import Role


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """One API token as stored (never the secret itself)."""

    id: int
    name: str
    role: Role
    team: str | None
    prefix: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    @property
    def active(self) -> bool:
        """Not revoked."""
        return self.revoked_at is None


def _record(row: Row[tuple[object, ...]]) -> TokenRecord:
    m = row._mapping
    return TokenRecord(
        id=m["id"], name=m["name"], role=Role(m["role"]), team=m["team"], prefix=m["prefix"],
        created_at=m["created_at"], created_by=m["created_by"], revoked_at=m["revoked_at"],
        last_used_at=m["last_used_at"],
    )


class TokenRows:
    """Reads and writes of `api_tokens`, inside the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, *, name: str, role: Role, team: str | None, token_hash: str, prefix: str,
            at: datetime, by: str) -> TokenRecord:
        """Store a new token's hash; returns its record."""
        new_id = self._conn.execute(api_tokens.insert().values(
            name=name, role=role.value, team=team, token_hash=token_hash, prefix=prefix,
            created_at=at, created_by=by,
        )).inserted_primary_key[0]  # type: ignore[index]
        return self.get(int(new_id))

    def get(self, token_id: int) -> TokenRecord:
        """The token with this id (LookupError when there is none)."""
        row = self._conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).first()
        if row is None:
            raise LookupError(f"no token with id {token_id}")
        return _record(row)

    def by_hash(self, token_hash: str) -> TokenRecord | None:
        """The token whose secret hashes to this (revoked ones too: the caller checks)."""
        row = self._conn.execute(
            select(api_tokens).where(api_tokens.c.token_hash == token_hash)).first()
        return _record(row) if row else None

    def all(self) -> list[TokenRecord]:
        """Every token, oldest first."""
        return [_record(r) for r in self._conn.execute(
            select(api_tokens).order_by(api_tokens.c.id))]

    def by_name(self, name: str) -> list[TokenRecord]:
        """The tokens held by `name`, oldest first."""
        return [_record(r) for r in self._conn.execute(
            select(api_tokens).where(api_tokens.c.name == name).order_by(api_tokens.c.id))]

    def revoke(self, token_id: int, at: datetime) -> TokenRecord:
        """Mark a token revoked (a second revoke keeps the first time)."""
        self._conn.execute(update(api_tokens).where(
            (api_tokens.c.id == token_id) & api_tokens.c.revoked_at.is_(None)
        ).values(revoked_at=at))
        return self.get(token_id)

    def touch(self, token_id: int, at: datetime) -> None:
        """Record that the token was just used."""
        self._conn.execute(update(api_tokens).where(api_tokens.c.id == token_id)
                           .values(last_used_at=at))

    def teams(self) -> dict[str, str]:
        """Each token holder's team (active tokens with a team; the newest token wins)."""
        rows = self._conn.execute(
            select(api_tokens.c.name, api_tokens.c.team)
            .where(api_tokens.c.revoked_at.is_(None) & api_tokens.c.team.is_not(None))
            .order_by(api_tokens.c.id))
        return {name: team for name, team in rows}
