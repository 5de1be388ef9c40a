"""The pattern index's rows: what the similarity engine needs of every ticket, and what became of
the escalations those tickets belong to (for the pattern signals)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from escalation.adapters.db.tables import (
    assessments,
    escalation_tickets,
    escalations,
    pattern_index,
)
from escalation.domain.model import DeEscalationReason, FixKind, Severity, Status
from escalation.domain.patterns import IndexedTicket


@dataclass(frozen=True, slots=True)
class IndexRow:
    """One indexed ticket as stored."""

    ticket_id: str
    customer_id: str | None
    created_at: datetime | None
    subject: str | None
    product_area: str | None
    text: str
    semantic: bytes  # float16 MiniLM vector
    model: str
    cluster_id: str | None = None
    id: int = 0


def _index_row(r: Any) -> IndexRow:
    return IndexRow(ticket_id=r.ticket_id, customer_id=r.customer_id, created_at=r.created_at,
                    subject=r.subject, product_area=r.product_area, text=r.text,
                    semantic=bytes(r.semantic), model=r.model, cluster_id=r.cluster_id, id=r.id)


class PatternIndexRows:
    """Reads and writes of `pattern_index`, inside the caller's transaction."""

    def __init__(self, conn: Connection, public_id: Any) -> None:
        self._conn = conn
        self._public_id = public_id
        self._postgresql = conn.dialect.name == "postgresql"

    def add(self, row: IndexRow, at: datetime) -> int:
        """Insert or refresh a ticket's row (keeps its cluster); returns the row id."""
        values = {
            "customer_id": row.customer_id, "created_at": row.created_at,
            "subject": row.subject, "product_area": row.product_area, "text": row.text,
            "semantic": row.semantic, "model": row.model, "indexed_at": at,
        }
        insert = (postgresql.insert if self._postgresql else sqlite.insert)(pattern_index)
        stmt = insert.values(ticket_id=row.ticket_id, **values)
        self._conn.execute(stmt.on_conflict_do_update(
            index_elements=[pattern_index.c.ticket_id],
            set_={name: stmt.excluded[name] for name in values}))
        return int(self._conn.execute(
            select(pattern_index.c.id).where(pattern_index.c.ticket_id == row.ticket_id)
        ).scalar_one())

    def rows(self, after_id: int = 0) -> list[IndexRow]:
        """Every row with an id above `after_id`, in id order."""
        result = self._conn.execute(
            select(pattern_index).where(pattern_index.c.id > after_id)
            .order_by(pattern_index.c.id))
        return [_index_row(r) for r in result]

    def heads(self, after_id: int = 0) -> list[tuple[int, str, str | None]]:
        """(id, ticket id, cluster id) of every row with an id above `after_id`, in id order."""
        return [(r.id, r.ticket_id, r.cluster_id) for r in self._conn.execute(
            select(pattern_index.c.id, pattern_index.c.ticket_id, pattern_index.c.cluster_id)
            .where(pattern_index.c.id > after_id).order_by(pattern_index.c.id))]

    def rows_by_id(self, row_ids: Sequence[int]) -> list[IndexRow]:
        """The rows with these ids, in id order."""
        found: list[IndexRow] = []
        for start in range(0, len(row_ids), 5000):  # SQLite limits bound parameters
            chunk = list(row_ids[start:start + 5000])
            found.extend(_index_row(r) for r in self._conn.execute(
                select(pattern_index).where(pattern_index.c.id.in_(chunk))
                .order_by(pattern_index.c.id)))
        return sorted(found, key=lambda r: r.id)

    def changed_since(self, at: datetime) -> list[str]:
        """Tickets re-indexed at or after `at` (their text may have changed)."""
        return list(self._conn.execute(
            select(pattern_index.c.ticket_id).where(pattern_index.c.indexed_at >= at)).scalars())

    def count(self) -> int:
        return int(self._conn.execute(select(func.count()).select_from(pattern_index))
                   .scalar_one())

    def set_cluster(self, ticket_ids: Iterable[str], cluster_id: str | None) -> None:
        """Put tickets in a cluster."""
        ids = list(ticket_ids)
        if ids:
            self._conn.execute(update(pattern_index)
                               .where(pattern_index.c.ticket_id.in_(ids))
                               .values(cluster_id=cluster_id))

    def cluster_of(self, ticket_id: str) -> str | None:
        return self._conn.execute(select(pattern_index.c.cluster_id)
                                  .where(pattern_index.c.ticket_id == ticket_id)
                                  ).scalar_one_or_none()

    def cluster_members(self, cluster_id: str) -> list[str]:
        return list(self._conn.execute(
            select(pattern_index.c.ticket_id).where(pattern_index.c.cluster_id == cluster_id)
            .order_by(pattern_index.c.id)).scalars())

    def indexed(self, ticket_ids: Sequence[str]) -> dict[str, IndexedTicket]:
        """What the index and the escalations know of these tickets, by ticket id."""
        ids = list(dict.fromkeys(ticket_ids))
        if not ids:
            return {}
        out: dict[str, IndexedTicket] = {}
        base = {r.ticket_id: r for r in self._conn.execute(
            select(pattern_index.c.ticket_id, pattern_index.c.customer_id,
                   pattern_index.c.created_at, pattern_index.c.subject,
                   pattern_index.c.product_area).where(pattern_index.c.ticket_id.in_(ids)))}
        # The escalation each ticket opened or was linked to (the latest one).
        # The filter sits inside each branch so both use their ticket_id index (a filter on
        # the union would scan every escalation on SQLite).
        owned = select(escalations.c.ticket_id.label("ticket_id"),
                       escalations.c.number.label("number")
                       ).where(escalations.c.ticket_id.in_(ids))
        linked = select(escalation_tickets.c.ticket_id.label("ticket_id"),
                        escalation_tickets.c.escalation_number.label("number")
                        ).where(escalation_tickets.c.ticket_id.in_(ids))
        pairs = owned.union_all(linked).subquery()
        e = escalations.c
        esc_rows = self._conn.execute(
            select(pairs.c.ticket_id, e.number, e.status, e.severity, e.fix_kind,
                   e.deescalation_reason, e.resolved_at)
            .join(escalations, e.number == pairs.c.number)
            .order_by(e.number))
        by_ticket = {r.ticket_id: r for r in esc_rows}
        severities = {r.ticket_id: r.severity for r in self._conn.execute(
            select(assessments.c.ticket_id, assessments.c.severity)
            .where(and_(assessments.c.ticket_id.in_(ids), assessments.c.severity.is_not(None)))
            .order_by(assessments.c.id))}
        for ticket_id in ids:
            row = base.get(ticket_id)
            esc = by_ticket.get(ticket_id)
            severity = esc.severity if esc is not None else severities.get(ticket_id)
            out[ticket_id] = IndexedTicket(
                ticket_id=ticket_id,
                customer=row.customer_id if row is not None else None,
                created_at=row.created_at if row is not None else None,
                subject=(row.subject or "") if row is not None else "",
                product_area=row.product_area if row is not None else None,
                escalation_id=self._public_id(esc.number) if esc is not None else None,
                status=Status(esc.status) if esc is not None else None,
                severity=Severity(severity) if severity else None,
                fix_kind=FixKind(esc.fix_kind) if esc is not None and esc.fix_kind else None,
                deescalation_reason=(DeEscalationReason(esc.deescalation_reason)
                                     if esc is not None and esc.deescalation_reason else None),
                resolved_at=esc.resolved_at if esc is not None else None,
            )
        return out
