"""pattern.detected through the real outbox and worker: a message about no escalation is
enqueued in a unit of work, claimed, signed and POSTed to a local receiver (or mailed to a
local SMTP server), marked sent and audited without an escalation.

Runs on SQLite and (with ESCALATION_TEST_PG) on PostgreSQL.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from escalation.adapters.db.store import Store
from escalation.adapters.notify.loopback import loopback_server, server_url
from escalation.adapters.notify.webhook import verify_signature
from escalation.domain.model import Severity
from escalation.domain.notifications import Event, Message, pattern_messages
from escalation.domain.patterns import Cluster, Signal
from escalation.domain.policy import Policy, policy_from_mapping
from escalation.services import Desk
from escalation.worker import Worker

SECRET = "pattern-hook-secret"
ENV = {"PATTERN_HOOK_SECRET": SECRET}
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def cluster(cluster_id: str = "c-1", customers: int = 3) -> Cluster:
    return Cluster(
        id=cluster_id,
        ticket_ids=tuple(f"ZD-{n}" for n in range(1, customers + 2)),
        distinct_customers=customers,
        label="CSV export drops rows after 10,000 lines",
        first_seen=NOW - timedelta(days=2),
        last_seen=NOW - timedelta(minutes=30),
        signals=(Signal.THREE_PLUS_CUSTOMERS,),
    )


@dataclass
class Receiver:
    """Records every POST; answers with the next of `answers` (then 200)."""

    url: str = ""
    hits: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def bodies(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(body) for body, _ in self.hits]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()

    def handle(request: BaseHTTPRequestHandler, body: bytes) -> None:
        with rec.lock:
            rec.hits.append((body, dict(request.headers.items())))
            status = rec.answers.pop(0) if rec.answers else 200
        request.send_response(status)
        request.send_header("Content-Length", "2")
        request.end_headers()
        request.wfile.write(b"ok")

    with loopback_server(handle) as server:
        rec.url = server_url(server, "/hooks/patterns")
        yield rec


def make_policy(receiver: Receiver, **delivery: Any) -> Policy:
    return policy_from_mapping({
        "channels": [{"name": "eng", "kind": "webhook", "url": receiver.url,
                      "secret_env": "PATTERN_HOOK_SECRET"}],
        "delivery": {"base_delay_seconds": 2, "max_delay_seconds": 60, "max_attempts": 3,
                     "lease_seconds": 30, **delivery},
    })


def worker(store: Store, policy: Policy) -> Worker:
    return Worker(store, policy, name="w1", env=ENV, jitter=lambda: 0.0)


def release(message: Message) -> datetime:
    return message.due_at  # no quiet hours: a pattern alert names no person


def enqueue(store: Store, messages: tuple[Message, ...], now: datetime = NOW) -> int:
    with store.unit_of_work() as uow:
        return uow.outbox.enqueue(messages, now, release)


def rows(store: Store) -> dict[str, Any]:
    with store.unit_of_work(read_only=True) as uow:
        return {r.key: r for r in uow.outbox.deliveries(limit=1000)}


def audit(store: Store) -> list[tuple[str, str | None, dict[str, Any]]]:
    with store.unit_of_work(read_only=True) as uow:
        return [(e.action, e.escalation_id, dict(e.details)) for e in uow.events()]


def test_pattern_without_escalation_is_delivered_signed_and_audited(
        store: Store, receiver: Receiver) -> None:
    policy = make_policy(receiver)
    messages = pattern_messages(cluster(), policy.notifications.channels, NOW, 3)
    assert enqueue(store, messages) == 1
    assert enqueue(store, messages) == 0  # the same crossing again: nothing new
    [row] = rows(store).values()
    assert (row.key, row.escalation_id, row.status) == ("pattern:c-1:3:eng", "", "pending")

    report = worker(store, policy).run_once(NOW)
    assert (report.claimed, report.sent, report.errors) == (1, 1, [])
    [(body, headers)] = receiver.hits
    assert verify_signature(body, headers["X-Escalation-Signature"], SECRET)
    assert headers["X-Escalation-Event"] == "pattern.detected"
    assert headers["X-Escalation-Delivery"] == "pattern:c-1:3:eng"
    message = json.loads(body)
    assert message["event"] == "pattern.detected" and message["key"] == "pattern:c-1:3:eng"
    assert message["pattern"] == {
        "id": "c-1", "ticket_ids": ["ZD-1", "ZD-2", "ZD-3", "ZD-4"], "distinct_customers": 3,
        "label": "CSV export drops rows after 10,000 lines",
        "first_seen": "2026-11-24T10:00:00+00:00", "last_seen": "2026-11-26T09:30:00+00:00",
        "signals": ["three_plus_customers"],
    }
    assert message["details"] == {"threshold": 3}
    assert message["escalation"] == {} and message["link"] is None
    assert message["title"] == ("Pattern detected: CSV export drops rows after 10,000 lines — "
                                "3 customers")
    assert "ZD-1, ZD-2, ZD-3, ZD-4" in message["text"]

    [row] = rows(store).values()
    assert (row.status, row.attempts, row.escalation_id, row.sent_at) == ("sent", 1, "", NOW)
    assert audit(store) == [("notification.sent", None, {
        "key": "pattern:c-1:3:eng", "event": "pattern.detected", "channel": "eng",
        "attempt": 1, "consolidated": [], "pattern": "c-1"})]
    assert Desk(store, policy, "alice").verify_audit() == (1, None)  # the chain holds
    assert worker(store, policy).run_once(NOW + timedelta(hours=1)).claimed == 0


def test_patterns_without_escalation_never_wait_for_each_other(
        store: Store, receiver: Receiver) -> None:
    policy = make_policy(receiver)
    channels = policy.notifications.channels
    enqueue(store, pattern_messages(cluster("c-1"), channels, NOW, 3))
    enqueue(store, pattern_messages(cluster("c-2"), channels, NOW + timedelta(seconds=1), 3))
    receiver.answers = [500]  # the first one fails, the second still goes
    report = worker(store, policy).run_once(NOW + timedelta(seconds=1))
    assert (report.claimed, report.sent, report.retrying) == (2, 1, 1)
    found = rows(store)
    assert found["pattern:c-1:3:eng"].status == "pending"
    assert found["pattern:c-2:3:eng"].status == "sent"
    # The retry (2 s later) goes out on its own.
    report = worker(store, policy).run_once(NOW + timedelta(seconds=3))
    assert (report.claimed, report.sent) == (1, 1)
    assert [b["pattern"]["id"] for b in receiver.bodies()] == ["c-1", "c-2", "c-1"]


def test_each_pattern_counts_as_one_group_of_the_batch(store: Store, receiver: Receiver) -> None:
    policy = make_policy(receiver, batch_size=1)
    channels = policy.notifications.channels
    enqueue(store, pattern_messages(cluster("c-late"), channels, NOW + timedelta(seconds=5), 3))
    enqueue(store, pattern_messages(cluster("c-early"), channels, NOW, 3))
    w = worker(store, policy)
    moment = NOW + timedelta(seconds=5)
    assert (w.run_once(moment).sent, w.run_once(moment).sent, w.run_once(moment).claimed) == (
        1, 1, 0)
    assert [b["pattern"]["id"] for b in receiver.bodies()] == ["c-early", "c-late"]


def test_a_refused_pattern_is_dead_lettered_without_an_escalation(
        store: Store, receiver: Receiver) -> None:
    policy = make_policy(receiver)
    enqueue(store, pattern_messages(cluster(), policy.notifications.channels, NOW, 3))
    receiver.answers = [400]
    report = worker(store, policy).run_once(NOW)
    assert (report.sent, report.dead) == (0, 1)
    [row] = rows(store).values()
    assert row.status == "dead" and "HTTP 400" in (row.last_error or "")
    [(action, escalation_id, details)] = audit(store)
    assert (action, escalation_id, details["pattern"], details["attempts"]) == (
        "notification.dead", None, "c-1", 1)


def test_other_events_without_an_escalation_are_dead_lettered(
        store: Store, receiver: Receiver) -> None:
    policy = make_policy(receiver)
    stray = Message(key="stray", event=Event.OPENED, escalation_id="", channel="eng",
                    due_at=NOW, severity=Severity.HIGH, recipient=None, payload={"details": {}})
    enqueue(store, (stray,))
    report = worker(store, policy).run_once(NOW)
    assert (report.sent, report.dead) == (0, 1) and receiver.hits == []
    assert "needs an escalation" in (rows(store)["stray"].last_error or "")
    assert audit(store)[0][:2] == ("notification.dead", None)


def test_email_alert_about_a_pattern(store: Store) -> None:
    received: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            received.append(envelope.content)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        policy = policy_from_mapping({
            "channels": [{"name": "oncall", "kind": "email", "to": ["oncall@example.com"],
                          "events": ["pattern.detected"]}],
            "smtp": {"host": "127.0.0.1", "port": port, "sender": "desk@example.com"},
        })
        enqueue(store, pattern_messages(cluster(), policy.notifications.channels, NOW, 3))
        report = worker(store, policy).run_once(NOW)
    finally:
        controller.stop()
    assert (report.sent, report.errors) == (1, [])
    [raw] = received
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    # (The stdlib folds the long non-ASCII subject with a doubled space: compare the words.)
    assert " ".join(mail["Subject"].split()) == (
        "Pattern detected: CSV export drops rows after 10,000 lines — 3 customers")
    assert mail["X-Escalation-Delivery"] == "pattern:c-1:3:oncall"
    assert mail["References"] == "<pattern.c-1@example.com>"
    body = mail.get_body(("plain",))
    assert body is not None and "Tickets: ZD-1, ZD-2, ZD-3, ZD-4" in body.get_content()
