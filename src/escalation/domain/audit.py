"""The audit trail: append-only events chained by SHA-256, so an edit, deletion or reorder shows.

Each event's `hash` is SHA-256 over the previous event's hash and the event's canonical form
(sorted-key JSON of seq, at, actor, action, escalation_id, details). The first event chains
to GENESIS. `verify_chain` walks the events in `seq` order and names the first one that does
not fit; the store keeps the last (seq, hash) apart from the events, so even removing the
newest event is caught.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One thing that happened, who did it, and its link in the chain."""

    seq: int
    at: datetime
    actor: str
    action: str
    escalation_id: str | None
    details: Mapping[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS
    hash: str = ""


def canonical(
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    escalation_id: str | None,
    details: Mapping[str, Any],
) -> bytes:
    """The bytes that are hashed: stable across processes, databases and Python versions."""
    if at.tzinfo is None:
        raise ValueError("audit event time must carry a time zone (the hash is of UTC time)")
    body = {
        "seq": seq,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "escalation_id": escalation_id,
        "details": details,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode("utf-8")


def event_hash(prev_hash: str, body: bytes) -> str:
    """SHA-256 over the previous hash and the canonical event."""
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + body).hexdigest()


def next_event(
    head: tuple[int, str] | None,
    at: datetime,
    actor: str,
    action: str,
    escalation_id: str | None,
    details: Mapping[str, Any],
) -> AuditEvent:
    """The event that follows `head` (the last seq and hash, or None for an empty log)."""
    seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
    # Round-trip details through JSON so the stored form hashes the same when read back.
    plain = json.loads(json.dumps(details, ensure_ascii=False, default=str))
    body = canonical(seq, at, actor, action, escalation_id, plain)
    return AuditEvent(seq, at, actor, action, escalation_id, plain, prev, event_hash(prev, body))


@dataclass(frozen=True, slots=True)
class ChainProblem:
    """The first place the chain breaks, and why."""

    seq: int
    reason: str

    def __str__(self) -> str:
        return f"audit event {self.seq}: {self.reason}"


def verify_chain(
    events: Iterable[AuditEvent], head: tuple[int, str] | None
) -> tuple[int, ChainProblem | None]:
    """Walk the events in order; return how many were checked and the first problem, if any."""
    expected_seq, prev = 1, GENESIS
    checked = 0
    for event in events:
        if event.seq != expected_seq:
            what = "missing" if event.seq > expected_seq else "out of order or duplicated"
            return checked, ChainProblem(
                expected_seq if event.seq > expected_seq else event.seq,
                f"event {expected_seq} is {what} (found {event.seq} next)",
            )
        if event.prev_hash != prev:
            return checked, ChainProblem(event.seq, "does not link to the event before it "
                                                    "(reordered, or an earlier event changed)")
        body = canonical(event.seq, event.at, event.actor, event.action, event.escalation_id,
                         event.details)
        if event_hash(prev, body) != event.hash:
            return checked, ChainProblem(event.seq, "its content was changed after it was "
                                                    "written (hash mismatch)")
        prev = event.hash
        expected_seq += 1
        checked += 1
    last = (expected_seq - 1, prev) if checked else None
    if head is not None and last != head:
        if last is not None and last[0] == head[0]:
            return checked, ChainProblem(
                head[0], "does not match the recorded chain head (the newest event was changed)")
        return checked, ChainProblem(
            head[0], f"the log ends at event {expected_seq - 1} but event {head[0]} was "
                     "written: events were removed from the end")
    if head is None and checked:
        return checked, ChainProblem(1, "the chain head record is missing")
    return checked, None
