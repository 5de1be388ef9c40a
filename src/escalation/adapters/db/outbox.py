"""The outbox in SQL: enqueue messages with the change they announce, claim, record delivery.

Claiming is what makes reminders exactly-once in effect with several workers:
- PostgreSQL: a worker locks the escalations it will serve with `FOR UPDATE SKIP LOCKED`
  (two workers never serve the same escalation at once, so one escalation's messages go out in
  order) and leases their due rows for `lease_seconds`. A worker that dies (kill -9) leaves
  leased rows behind; when the lease runs out another worker sends them again, with the same
  idempotency key, so a receiver that stores keys sees each message once.
- SQLite: the claim runs under the database write lock (`BEGIN IMMEDIATE`), which serialises
  workers the same way.
A message whose earlier sibling (same escalation and channel) is leased or waiting to retry
is held back, so a receiver that was down gets everything in order once it is back.

A message about no escalation (`pattern.detected` for a group of tickets without one) has a
NULL escalation number and its `escalation_id` reads "". Such messages are independent of each
other and of every escalation: each is claimed as a group of its own (PostgreSQL: its row is
locked with `FOR UPDATE SKIP LOCKED`), and none waits for another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from escalation.adapters.db.tables import escalations, outbox
from escalation.domain.notifications import REMINDER_EVENTS, Event, Message, Pending

PENDING, SENT, DEAD, SUPERSEDED, CANCELLED = "pending", "sent", "dead", "superseded", "cancelled"
_REMINDERS = [e.value for e in REMINDER_EVENTS]


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One outbox row as `escalate deliveries` lists it."""

    id: int
    key: str
    event: str
    escalation_id: str  # "" for a message about no escalation
    channel: str
    status: str
    attempts: int
    due_at: datetime
    available_at: datetime
    sent_at: datetime | None
    last_error: str | None


class Outbox:
    """Outbox reads and writes on one connection (inside a unit of work)."""

    def __init__(self, conn: Connection, public_id: Callable[[int], str],
                 number_of: Callable[[str], int]) -> None:
        self._conn = conn
        self._public_id = public_id
        self._number_of = number_of
        self._postgresql = conn.dialect.name == "postgresql"

    def _insert(self) -> Any:
        return (postgresql.insert if self._postgresql else sqlite.insert)(outbox)

    def _row(self, message: Message, number: int | None, kind: str | None,
             available_at: datetime,
             now: datetime) -> dict[str, Any]:
        return {
            "key": message.key, "event": message.event.value, "escalation_number": number,
            "channel": message.channel, "kind": kind, "severity": message.severity.value,
            "recipient": message.recipient, "payload": dict(message.payload),
            "due_at": message.due_at, "available_at": available_at, "status": PENDING,
            "attempts": 0, "created_at": now,
        }

    def _number(self, escalation_id: str) -> int | None:
        """The escalation's number; None for a message about no escalation ("")."""
        return self._number_of(escalation_id) if escalation_id else None

    def _escalation_id(self, number: int | None) -> str:
        return self._public_id(number) if number is not None else ""

    def enqueue(self, messages: Iterable[Message], now: datetime,
                release: Callable[[Message], datetime]) -> int:
        """Add messages (a key already present is left alone); returns how many were new.

        A message with `escalation_id` "" is stored without an escalation (NULL number).
        """
        rows = [self._row(m, self._number(m.escalation_id), None, release(m), now)
                for m in messages]
        if not rows:
            return 0
        # Counted from RETURNING: a many-row insert's rowcount is -1 on psycopg.
        result = self._conn.execute(self._insert().on_conflict_do_nothing(
            index_elements=["key"]).returning(outbox.c.id), rows)
        return len(result.all())

    def replace_reminders(self, escalation_id: str, kind: str, messages: Sequence[Message],
                          now: datetime, release: Callable[[Message], datetime]) -> None:
        """Make the pending reminders of one clock exactly `messages` (a re-planned clock)."""
        number = self._number_of(escalation_id)
        wanted = {m.key: m for m in messages}
        current = dict(self._conn.execute(
            select(outbox.c.key, outbox.c.status).where(
                outbox.c.escalation_number == number, outbox.c.kind == kind,
                outbox.c.event.in_(_REMINDERS),
                outbox.c.status.in_([PENDING, CANCELLED]))).all())
        stale = [key for key, status in current.items() if status == PENDING and key not in wanted]
        if stale:
            self._conn.execute(update(outbox).where(outbox.c.key.in_(stale)).values(
                status=CANCELLED, lease_until=None))
        for key, message in wanted.items():
            if current.get(key) == CANCELLED:
                self._conn.execute(update(outbox).where(outbox.c.key == key).values(
                    status=PENDING, due_at=message.due_at, available_at=release(message),
                    attempts=0, last_error=None, lease_until=None))
        new = [self._row(m, number, kind, release(m), now)
               for key, m in wanted.items() if key not in current]
        if new:
            self._conn.execute(self._insert().on_conflict_do_nothing(index_elements=["key"]),
                               new)

    def cancel_reminders(self, escalation_id: str, kind: str | None = None) -> None:
        """Cancel pending reminders of an escalation (its clocks stopped)."""
        number = self._number_of(escalation_id)
        where = [outbox.c.escalation_number == number, outbox.c.status == PENDING,
                 outbox.c.event.in_(_REMINDERS)]
        if kind is not None:
            where.append(outbox.c.kind == kind)
        self._conn.execute(update(outbox).where(*where).values(status=CANCELLED,
                                                               lease_until=None))

    @staticmethod
    def _free(now: datetime) -> Any:
        """Pending, released (quiet hours, backoff) and not leased by a live worker."""
        return and_(
            outbox.c.status == PENDING,
            outbox.c.available_at <= now,
            or_(outbox.c.lease_until.is_(None), outbox.c.lease_until <= now),
        )

    def _eligible(self, now: datetime) -> Any:
        # NULL = NULL is not true, so a message without an escalation never blocks another.
        earlier = aliased(outbox)
        blocked = exists().where(
            earlier.c.escalation_number == outbox.c.escalation_number,
            earlier.c.channel == outbox.c.channel,
            earlier.c.status == PENDING,
            or_(earlier.c.due_at < outbox.c.due_at,
                and_(earlier.c.due_at == outbox.c.due_at, earlier.c.id < outbox.c.id)),
            or_(earlier.c.lease_until > now,
                and_(earlier.c.attempts > 0, earlier.c.available_at > now)),
        )
        return and_(self._free(now), ~blocked)

    def claim(self, now: datetime, limit: int, lease_seconds: float,
              worker: str) -> list[tuple[Pending, int]]:
        """Lease the due messages of up to `limit` groups; (message, attempts so far).

        A group is one escalation's due messages, or one message about no escalation; the
        groups whose first message fell due earliest go first.
        """
        eligible = self._eligible(now)
        alone = (select(outbox.c.due_at, outbox.c.id)
                 .where(self._free(now), outbox.c.escalation_number.is_(None))
                 .order_by(outbox.c.due_at, outbox.c.id).limit(limit))
        if self._postgresql:
            alone = alone.with_for_update(skip_locked=True, of=outbox)
        singles = [(due, ident) for due, ident in self._conn.execute(alone)]
        if self._postgresql:
            # The limit applies after the locked escalations are skipped, so a worker that
            # claims while another one does takes the next ones instead of none.
            first_due = (
                select(outbox.c.escalation_number.label("number"),
                       func.min(outbox.c.due_at).label("first_due"))
                .where(eligible).group_by(outbox.c.escalation_number).subquery()
            )
            locked = (
                select(escalations.c.number, first_due.c.first_due)
                .join(first_due, first_due.c.number == escalations.c.number)
                .order_by(first_due.c.first_due, escalations.c.number).limit(limit)
                .with_for_update(skip_locked=True, of=escalations)
            )
            groups = [(due, n) for n, due in self._conn.execute(locked)]
        else:
            first = func.min(outbox.c.due_at)
            groups = [(due, n) for n, due in self._conn.execute(
                select(outbox.c.escalation_number, first)
                .where(eligible, outbox.c.escalation_number.is_not(None))
                .group_by(outbox.c.escalation_number)
                .order_by(first, outbox.c.escalation_number).limit(limit))]
        # The earliest `limit` groups of either kind (the escalations left out stay locked
        # only until this transaction ends).
        chosen = sorted([(due, 0, n) for due, n in groups] + [(due, 1, i) for due, i in singles],
                        key=lambda unit: (unit[0], unit[1], unit[2]))[:limit]
        numbers = [key for _, kind, key in chosen if kind == 0]
        ids = [key for _, kind, key in chosen if kind == 1]
        if not chosen:
            return []
        lease = now + timedelta(seconds=lease_seconds)
        whose = [clause for clause in (
            outbox.c.escalation_number.in_(numbers) if numbers else None,
            and_(outbox.c.id.in_(ids), outbox.c.escalation_number.is_(None)) if ids else None,
        ) if clause is not None]
        rows = self._conn.execute(
            update(outbox)
            .where(or_(*whose), eligible)
            .values(lease_until=lease, claimed_by=worker)
            .returning(outbox.c.id, outbox.c.key, outbox.c.event, outbox.c.escalation_number,
                       outbox.c.channel, outbox.c.due_at, outbox.c.payload,
                       outbox.c.attempts)
        ).all()
        claimed = [
            (Pending(r.id, r.key, Event(r.event), self._escalation_id(r.escalation_number),
                     r.channel, r.due_at, dict(r.payload)), int(r.attempts))
            for r in rows
        ]
        claimed.sort(key=lambda pair: (pair[0].due_at, pair[0].id))
        return claimed

    def mark_sent(self, message_id: int, now: datetime) -> None:
        """The message reached its receiver."""
        self._conn.execute(update(outbox).where(outbox.c.id == message_id).values(
            status=SENT, sent_at=now, attempts=outbox.c.attempts + 1, lease_until=None,
            last_error=None))

    def mark_failed(self, message_id: int, error: str, retry_at: datetime | None) -> None:
        """A failed attempt: try again at `retry_at`, or dead-letter when it is None."""
        values: dict[str, Any] = {"attempts": outbox.c.attempts + 1, "lease_until": None,
                                  "last_error": error[:2000]}
        if retry_at is None:
            values["status"] = DEAD
        else:
            values["available_at"] = retry_at
        self._conn.execute(update(outbox).where(outbox.c.id == message_id).values(**values))

    def release(self, message_ids: Sequence[int]) -> None:
        """Give back claimed messages unsent (they wait for an earlier one that failed)."""
        if message_ids:
            self._conn.execute(update(outbox).where(outbox.c.id.in_(message_ids),
                                                    outbox.c.status == PENDING)
                               .values(lease_until=None))

    def mark_superseded(self, message_ids: Sequence[int], by_key: str) -> None:
        """Stale reminders one consolidated message stood for."""
        if message_ids:
            self._conn.execute(update(outbox).where(outbox.c.id.in_(message_ids)).values(
                status=SUPERSEDED, lease_until=None, last_error=f"consolidated into {by_key}"))

    def deliveries(self, statuses: Sequence[str] | None = None, limit: int = 200,
                   message_id: int | None = None) -> list[DeliveryRecord]:
        """Messages newest first, optionally only some statuses (or one message by id)."""
        query = select(outbox).order_by(outbox.c.id.desc()).limit(limit)
        if statuses:
            query = query.where(outbox.c.status.in_(list(statuses)))
        if message_id is not None:
            query = query.where(outbox.c.id == message_id)
        return [
            DeliveryRecord(r.id, r.key, r.event, self._escalation_id(r.escalation_number),
                           r.channel, r.status, r.attempts, r.due_at, r.available_at,
                           r.sent_at, r.last_error)
            for r in self._conn.execute(query)
        ]

    def retry(self, message_id: int, now: datetime) -> DeliveryRecord | None:
        """Re-queue a dead (or any unsent) message to go out now with a fresh set of attempts.

        None when there is no such message or it was already sent.
        """
        result = self._conn.execute(
            update(outbox).where(outbox.c.id == message_id,
                                 outbox.c.status.in_([DEAD, PENDING, CANCELLED]))
            .values(status=PENDING, available_at=now, lease_until=None, attempts=0))
        if not result.rowcount:
            return None
        found = self.deliveries(message_id=message_id)
        return found[0] if found else None

    def counts(self) -> dict[str, int]:
        """How many messages are in each status."""
        return {status: int(n) for status, n in self._conn.execute(
            select(outbox.c.status, func.count()).group_by(outbox.c.status))}

