"""The notification worker: claims due outbox messages, sends them, records every delivery.

`escalate worker` runs it alone (several may run against one PostgreSQL database);
`escalate serve` runs the same loop in-process. Each pass:
1. claims the due messages of a batch of escalations (leased, see adapters/db/outbox.py);
2. collapses stale reminders of one escalation into one message ("overdue since 10:00")
   instead of a storm after downtime;
3. sends each message through its channel's notifier, outside any transaction;
4. records the result and an audit event in one transaction: sent; or failed and retried
   later with exponential backoff and jitter; or dead-lettered after the policy's limit.
A worker killed between 3 and 4 leaves its lease to run out; the next worker re-sends with the
same idempotency key, so receivers that keep keys see every message exactly once.

A `pattern.detected` message may be about no escalation (`escalation_id` ""): it goes out with
an empty escalation summary and the group of tickets (`Outgoing.pattern`, from the payload's
"pattern"), its audit events have no escalation, and it never waits for another message.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from escalation.adapters.notify import DeliveryFailed, Notifier, Outgoing, notifier_for
from escalation.domain.model import Escalation
from escalation.domain.notifications import (
    Channel,
    ChannelKind,
    Event,
    Pending,
    consolidate,
    retry_at,
)
from escalation.domain.policy import Policy

if TYPE_CHECKING:
    from escalation.adapters.db.store import Store
    from escalation.domain.brief import Brief

log = logging.getLogger(__name__)

# A reminder that fell due longer ago than this is stale: it goes out consolidated.
STALE_AFTER = timedelta(minutes=5)


@dataclass
class PassReport:
    """What one pass of the worker did."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    superseded: int = 0
    errors: list[str] = field(default_factory=list)


class Worker:
    """Delivers the outbox of one store under one policy."""

    def __init__(
        self,
        store: Store,
        policy: Policy,
        *,
        name: str | None = None,
        env: Mapping[str, str] | None = None,
        jitter: Callable[[], float] = random.random,
        notifier_factory: Callable[[Channel], Notifier] | None = None,
        brief_for: Callable[[Escalation, datetime], Brief | None] | None = None,
    ) -> None:
        self.store = store
        self.policy = policy
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self._jitter = jitter
        environment = dict(os.environ if env is None else env)
        smtp = policy.notifications.smtp
        self._factory = notifier_factory or (lambda ch: notifier_for(ch, smtp, environment))
        self._notifiers: dict[str, Notifier] = {}
        self._brief_for = brief_for

    def _notifier(self, channel: Channel) -> Notifier:
        if channel.name not in self._notifiers:
            self._notifiers[channel.name] = self._factory(channel)
        return self._notifiers[channel.name]

    def run_once(self, now: datetime) -> PassReport:
        """Claim, send and record everything due at `now` (one batch of escalations)."""
        delivery = self.policy.notifications.delivery
        report = PassReport()
        with self.store.unit_of_work() as uow:
            claimed = uow.outbox.claim(now, delivery.batch_size, delivery.lease_seconds,
                                       self.name)
            escalations = uow.get_escalations(
                {p.escalation_id for p, _ in claimed if p.escalation_id})
        report.claimed = len(claimed)
        if not claimed:
            return report
        attempts = {p.id: tries for p, tries in claimed}
        to_send, _superseded = consolidate([p for p, _ in claimed], now, STALE_AFTER)
        # Once a message fails, the later ones of its escalation and channel wait for it (in
        # order per escalation): they are not sent in this pass but released, and the claim
        # holds them back until the failed one went out or was dead-lettered.
        stopped: set[tuple[str, str]] = set()
        held: list[int] = []
        for message, older in to_send:
            # Messages about no escalation are independent: each is a group of its own.
            group = (message.escalation_id or f"#{message.id}", message.channel)
            if group in stopped:
                held += [message.id, *(o.id for o in older)]
                continue
            escalation = escalations.get(message.escalation_id)
            if not self._deliver(message, older, attempts[message.id] + 1, escalation, now,
                                 report):
                stopped.add(group)
        if held:
            with self.store.unit_of_work() as uow:
                uow.outbox.release(held)
        return report

    def _deliver(
        self,
        message: Pending,
        older: list[Pending],
        attempt: int,
        escalation: Escalation | None,
        now: datetime,
        report: PassReport,
    ) -> bool:
        """Send one message and record the outcome; whether it was sent."""
        channel = self.policy.notifications.channel(message.channel)
        error: str | None = None
        retryable = True
        standalone = not message.escalation_id
        if channel is None:
            error, retryable = f"channel {message.channel} is no longer configured", False
        elif standalone and message.event is not Event.PATTERN_DETECTED:
            error = f"a {message.event.value} message needs an escalation but names none"
            retryable = False
        elif escalation is None and not standalone:
            error, retryable = f"{message.escalation_id} no longer exists", False
        else:
            try:
                self._notifier(channel).send(self._outgoing(message, older, attempt, channel,
                                                            escalation, now))
            except DeliveryFailed as exc:
                error, retryable = str(exc), exc.retryable
            except Exception as exc:  # a notifier bug must not stop the worker
                error, retryable = f"{type(exc).__name__}: {exc}", True
        actor = f"worker:{self.name}"
        about = message.escalation_id or None  # audit events of no escalation
        extra = _pattern_ref(message)
        with self.store.unit_of_work() as uow:
            if error is None:
                uow.outbox.mark_sent(message.id, now)
                uow.outbox.mark_superseded([o.id for o in older], message.key)
                uow.append_event(now, actor, "notification.sent", about, {
                    "key": message.key, "event": message.event.value,
                    "channel": message.channel, "attempt": attempt,
                    "consolidated": [o.key for o in older], **extra,
                })
                report.sent += 1
                report.superseded += len(older)
                return True
            delivery = self.policy.notifications.delivery
            again = retry_at(attempt, now, delivery, self._jitter()) if retryable else None
            uow.outbox.mark_failed(message.id, error, again)
            for o in older:  # the stale ones wait with the message that stands for them
                uow.outbox.mark_failed(o.id, f"waiting with {message.key}", again)
            if again is None:
                uow.append_event(now, actor, "notification.dead", about, {
                    "key": message.key, "event": message.event.value,
                    "channel": message.channel, "attempts": attempt, "error": error, **extra,
                })
                report.dead += 1
            else:
                report.retrying += 1
            report.errors.append(f"{message.key}: {error}")
        return False

    def _outgoing(
        self,
        message: Pending,
        older: list[Pending],
        attempt: int,
        channel: Channel,
        escalation: Escalation | None,
        now: datetime,
    ) -> Outgoing:
        brief = None
        if (channel.kind is ChannelKind.EMAIL and self._brief_for is not None
                and escalation is not None):
            brief = self._brief_for(escalation, now)
        pattern = message.payload.get("pattern") if (
            message.event is Event.PATTERN_DETECTED) else None
        if isinstance(pattern, Mapping):
            # A group of tickets: the pattern rides apart, the rest (threshold) as details.
            details = {k: v for k, v in message.payload.items() if k != "pattern"}
        else:
            pattern = None
            details = dict(message.payload.get("details", message.payload))
        return Outgoing(
            key=message.key,
            event=message.event,
            channel=channel,
            escalation=self._summary(escalation) if escalation is not None else {},
            details=details,
            due_at=message.due_at,
            attempt=attempt,
            superseded=tuple({"key": o.key, "event": o.event.value,
                              "due_at": o.due_at.isoformat()} for o in older),
            brief=brief,
            pattern=dict(pattern) if pattern is not None else None,
        )

    def _summary(self, e: Escalation) -> dict[str, Any]:
        notes = self.policy.notifications
        owner = notes.person(e.owner)
        arr = e.customer.arr
        return {
            "id": e.id, "ticket_id": e.ticket_id, "status": e.status.value,
            "severity": e.severity.value, "target": e.target.value, "owner": e.owner,
            "owner_email": owner.email if owner else None,
            "customer": e.customer.name or e.customer.id,
            "customers_affected": e.customers_affected, "summary": e.summary,
            "revenue_at_risk": f"{arr:,.0f} {self.policy.currency} ARR" if arr else None,
            "next_internal_due": e.internal.due_at.isoformat() if e.internal else None,
            "next_customer_update_due": (e.customer_update.due_at.isoformat()
                                         if e.customer_update else None),
            "link": f"{notes.delivery.base_url.rstrip('/')}/escalations/{e.id}",
        }

    def run(self, stop: threading.Event, clock: Callable[[], datetime] | None = None) -> None:
        """Poll until `stop` is set; a pass that found work is followed at once by another."""
        now = clock or (lambda: datetime.now(UTC))
        poll = self.policy.notifications.delivery.poll_seconds
        while not stop.is_set():
            try:
                report = self.run_once(now())
            except Exception:  # keep serving: a database blip must not end the loop
                log.exception("worker %s: pass failed; retrying in %s s", self.name, poll)
                stop.wait(poll)
                continue
            if report.claimed == 0:
                stop.wait(poll)


def _pattern_ref(message: Pending) -> dict[str, Any]:
    """{"pattern": <cluster id>} for the audit event of a pattern alert; {} otherwise."""
    pattern = message.payload.get("pattern")
    if message.event is Event.PATTERN_DETECTED and isinstance(pattern, Mapping) \
            and pattern.get("id"):
        return {"pattern": str(pattern["id"])}
    return {}
