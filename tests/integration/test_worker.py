"""The outbox worker end to end: a real desk, a real store and a real local webhook receiver.

Runs on SQLite and (with ESCALATION_TEST_PG) on PostgreSQL. The worker is driven pass by pass
with `Worker.run_once(now)` at chosen moments and a fixed jitter, so every retry time is exact.
The receiver is a ThreadingHTTPServer on 127.0.0.1 that records every request (idempotency key,
event, escalation id, raw body) and can be told to answer 500 or to hang for a while.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from cli_support import escalate as run_escalate
from escalation.adapters.db.store import Store
from escalation.adapters.notify import Notifier
from escalation.adapters.notify.loopback import loopback_server, server_url
from escalation.adapters.notify.webhook import WebhookNotifier, verify_signature
from escalation.domain.model import FollowupKind, Severity
from escalation.domain.notifications import Channel
from escalation.domain.policy import Policy, policy_from_mapping
from escalation.services import Desk
from escalation.worker import PassReport, Worker
from support import T0, bug_ticket

SECRET = "eng-hook-secret"
ENV = {"ENG_HOOK_SECRET": SECRET}


def at(hours: float = 0, minutes: float = 0, seconds: float = 0) -> datetime:
    return T0 + timedelta(hours=hours, minutes=minutes, seconds=seconds)


# --- The receiver ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """One request the receiver got."""

    key: str  # X-Escalation-Delivery
    event: str
    escalation_id: str
    body: bytes
    headers: dict[str, str]
    path: str
    status: int  # what the receiver answered (0: it hung)

    @property
    def message(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


@dataclass
class Receiver:
    """A local webhook receiver; `fail` answers 500 to every request, `fail_next` to the next n,
    `hang` sleeps that long before answering."""

    server: ThreadingHTTPServer
    hits: list[Hit] = field(default_factory=list)
    fail: bool = False
    fail_next: int = 0
    hang: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hooks/eng") -> str:
        return server_url(self.server, path)

    def delivered(self, escalation_id: str | None = None) -> list[Hit]:
        """Requests answered 2xx, in arrival order (optionally of one escalation)."""
        with self.lock:
            return [h for h in self.hits if 200 <= h.status < 300
                    and (escalation_id is None or h.escalation_id == escalation_id)]

    def take(self) -> list[Hit]:
        """Delivered requests since the last call."""
        with self.lock:
            out = [h for h in self.hits if 200 <= h.status < 300]
            self.hits.clear()
        return out


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    holder: dict[str, Receiver] = {}

    def handle(request: BaseHTTPRequestHandler, body: bytes) -> None:
        rec = holder["r"]
        with rec.lock:
            hang = rec.hang
            if rec.fail or rec.fail_next > 0:
                rec.fail_next = max(0, rec.fail_next - 1)
                status = 500
            else:
                status = 0 if hang else 200
            message = json.loads(body)
            rec.hits.append(Hit(
                key=request.headers.get("X-Escalation-Delivery", ""),
                event=request.headers.get("X-Escalation-Event", ""),
                escalation_id=message["escalation"]["id"], body=body,
                headers=dict(request.headers.items()), path=request.path, status=status))
        if hang:
            time.sleep(hang)
        request.send_response(status or 200)
        request.send_header("Content-Length", "2")
        request.end_headers()
        request.wfile.write(b"ok")

    with loopback_server(handle) as server:
        holder["r"] = Receiver(server)
        yield holder["r"]


# --- Desk, policy and worker -------------------------------------------------------------------


def make_policy(receiver: Receiver, **delivery: Any) -> Policy:
    return policy_from_mapping({
        "channels": [{"name": "eng", "kind": "webhook", "url": receiver.url(),
                      "secret_env": "ENG_HOOK_SECRET"}],
        "people": [{"name": "ana", "timezone": "Asia/Tokyo"}],
        "delivery": {"base_delay_seconds": 2, "max_delay_seconds": 60, "max_attempts": 4,
                     "lease_seconds": 30, **delivery},
    })


def ticket(n: int = 1) -> dict[str, Any]:
    """A confirmed bug blocking an enterprise customer: High, to engineering."""
    return bug_ticket(f"ZD-{n}", f"C-{n}")


@dataclass
class Setup:
    store: Store
    desk: Desk
    worker: Worker
    receiver: Receiver

    def run(self, moment: datetime) -> PassReport:
        return self.worker.run_once(moment)

    def rows(self, escalation_id: str | None = None) -> dict[str, Any]:
        """Outbox rows by key."""
        with self.store.unit_of_work(read_only=True) as uow:
            return {r.key: r for r in uow.outbox.deliveries(limit=10_000)
                    if escalation_id is None or r.escalation_id == escalation_id}

    def actions(self) -> list[tuple[str, dict[str, Any]]]:
        with self.store.unit_of_work(read_only=True) as uow:
            return [(e.action, dict(e.details)) for e in uow.events()]


def setup(store: Store, receiver: Receiver, policy: Policy | None = None,
          notifier: Any = None) -> Setup:
    chosen = policy or make_policy(receiver)
    worker = Worker(store, chosen, name="w1", env=ENV, jitter=lambda: 0.0,
                    notifier_factory=notifier)
    return Setup(store, Desk(store, chosen, "alice"), worker, receiver)


@pytest.fixture
def s(store: Store, receiver: Receiver) -> Setup:
    return setup(store, receiver)


def events_of(hits: list[Hit]) -> list[tuple[str, str]]:
    return [(h.escalation_id, h.event) for h in hits]


# --- Delivery, reminders and re-planning -------------------------------------------------------


def test_opened_is_delivered_once_signed_with_its_key(s: Setup) -> None:
    esc, _ = s.desk.open(ticket(), T0)
    report = s.run(T0)
    assert (report.claimed, report.sent) == (1, 1)
    [hit] = s.receiver.take()
    assert hit.event == "escalation.opened" and hit.escalation_id == esc.id == "ESC-1"
    assert hit.key == "ESC-1:escalation.opened:1:eng"
    assert verify_signature(hit.body, hit.headers["X-Escalation-Signature"], SECRET)
    assert not verify_signature(hit.body, hit.headers["X-Escalation-Signature"], "wrong")
    message = hit.message
    assert message["key"] == hit.key and message["event"] == "escalation.opened"
    assert message["escalation"]["severity"] == "high"
    assert message["link"].endswith("/escalations/ESC-1")
    assert int(hit.headers["X-Escalation-Timestamp"]) > 0
    # Nothing else is due, and the sent message never goes again.
    for moment in (T0, at(minutes=1), at(hours=1)):
        assert s.run(moment).claimed == 0
    assert s.receiver.take() == []
    row = s.rows()[hit.key]
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, T0)


def test_reminders_go_out_at_their_times_and_not_before(s: Setup) -> None:
    s.desk.open(ticket(), T0)
    s.run(T0)
    s.receiver.take()
    # High: internal due at +4 h (overdue 30 min later), customer update due +4 h, overdue +8 h;
    # "due soon" 30 minutes before each due time.
    schedule = [
        (at(hours=3, minutes=29), []),
        (at(hours=3, minutes=30), ["followup.due_soon", "followup.due_soon"]),
        (at(hours=3, minutes=59), []),
        (at(hours=4), ["followup.due", "followup.due"]),
        (at(hours=4, minutes=29), []),
        (at(hours=4, minutes=30), ["followup.overdue"]),
        (at(hours=7, minutes=59), []),
        (at(hours=8), ["followup.overdue"]),
        (at(hours=12), []),
    ]
    kinds = []
    for moment, expected in schedule:
        s.run(moment)
        hits = s.receiver.take()
        assert [h.event for h in hits] == expected, moment
        for hit in hits:
            message = hit.message
            assert datetime.fromisoformat(message["due_at"]) == moment  # on time, not early
            assert message["superseded"] == []
            kinds.append((hit.event, message["details"]["kind"]))
    assert sorted(kinds) == sorted([
        ("followup.due_soon", "internal"), ("followup.due_soon", "customer"),
        ("followup.due", "internal"), ("followup.due", "customer"),
        ("followup.overdue", "internal"), ("followup.overdue", "customer")])
    assert {r.status for r in s.rows().values()} == {"sent"}


def test_a_follow_up_restarts_the_clock_and_its_old_reminders_never_go(s: Setup) -> None:
    esc, _ = s.desk.open(ticket(), T0)
    s.run(T0)
    old_internal = {k for k, r in s.rows().items()
                    if r.event.startswith("followup.") and ":internal:" in k}
    assert len(old_internal) == 3
    s.desk.record_follow_up(esc.id, FollowupKind.INTERNAL, "eng reproduced it", at(hours=3))
    rows = s.rows()
    assert {rows[k].status for k in old_internal} == {"cancelled"}
    new_internal = {k for k, r in rows.items() if r.status == "pending" and ":internal:" in k}
    assert len(new_internal) == 3 and not new_internal & old_internal
    s.receiver.take()
    sent: list[tuple[datetime, str, str]] = []
    for moment in (at(hours=3, minutes=30), at(hours=4), at(hours=4, minutes=30),
                   at(hours=6, minutes=30), at(hours=7), at(hours=7, minutes=30), at(hours=8)):
        s.run(moment)
        sent += [(moment, h.event, h.message["details"]["kind"]) for h in s.receiver.take()]
    assert sent == [
        (at(hours=3, minutes=30), "followup.due_soon", "customer"),
        (at(hours=4), "followup.due", "customer"),
        (at(hours=6, minutes=30), "followup.due_soon", "internal"),  # the new clock: +3 h + 4 h
        (at(hours=7), "followup.due", "internal"),
        (at(hours=7, minutes=30), "followup.overdue", "internal"),
        (at(hours=8), "followup.overdue", "customer"),
    ]
    keys = {h.key for h in s.receiver.hits}
    assert not keys & old_internal
    assert {s.rows()[k].status for k in old_internal} == {"cancelled"}


def test_a_severity_change_re_plans_the_reminders(s: Setup) -> None:
    esc, _ = s.desk.open(ticket(), T0)
    before = {k for k, r in s.rows().items() if r.event.startswith("followup.")}
    s.desk.change_severity(esc.id, Severity.CRITICAL, "second customer down", at(hours=1))
    s.run(at(hours=1))
    assert events_of(s.receiver.take()) == [("ESC-1", "escalation.opened"),
                                            ("ESC-1", "severity.changed")]
    # Critical: internal due 2 h after the change (+3 h), customer update due +3 h, overdue +5 h.
    sent = []
    for moment in (at(hours=2, minutes=29), at(hours=2, minutes=30), at(hours=3),
                   at(hours=3, minutes=30), at(hours=4), at(hours=4, minutes=30), at(hours=5),
                   at(hours=8)):
        s.run(moment)
        sent += [(moment, h.event) for h in s.receiver.take()]
    assert sent == [
        (at(hours=2, minutes=30), "followup.due_soon"), (at(hours=2, minutes=30),
                                                         "followup.due_soon"),
        (at(hours=3), "followup.due"), (at(hours=3), "followup.due"),
        (at(hours=3, minutes=30), "followup.overdue"),
        (at(hours=5), "followup.overdue"),
    ]
    rows = s.rows()
    assert {rows[k].status for k in before} == {"cancelled"}
    assert not before & {h.key for h in s.receiver.hits}


def test_resolving_cancels_pending_reminders(s: Setup) -> None:
    esc, _ = s.desk.open(ticket(), T0)
    s.run(T0)
    s.desk.resolve(esc.id, "Patched the exporter", "Exports need paging", at(hours=1))
    s.run(at(hours=1))
    for hours in (3.5, 4, 4.5, 8, 24):
        s.run(at(hours=hours))
    assert events_of(s.receiver.delivered()) == [("ESC-1", "escalation.opened"),
                                                 ("ESC-1", "escalation.resolved")]
    reminders = [r for r in s.rows().values() if r.event.startswith("followup.")]
    assert len(reminders) == 6 and {r.status for r in reminders} == {"cancelled"}


def test_snooze_moves_the_reminders_and_is_audited(s: Setup) -> None:
    esc, _ = s.desk.open(ticket(), T0)
    s.run(T0)
    s.receiver.take()
    moved = s.desk.snooze(esc.id, FollowupKind.INTERNAL, timedelta(hours=2), "vendor on it",
                          at(hours=1))
    assert moved.internal is not None and moved.internal.due_at == at(hours=6)
    sent = []
    for moment in (at(hours=3, minutes=30), at(hours=4), at(hours=4, minutes=30),
                   at(hours=5, minutes=30), at(hours=6), at(hours=6, minutes=30)):
        s.run(moment)
        sent += [(moment, h.event, h.message["details"]["kind"]) for h in s.receiver.take()]
    assert sent == [
        (at(hours=3, minutes=30), "followup.due_soon", "customer"),
        (at(hours=4), "followup.due", "customer"),
        (at(hours=5, minutes=30), "followup.due_soon", "internal"),
        (at(hours=6), "followup.due", "internal"),
        (at(hours=6, minutes=30), "followup.overdue", "internal"),
    ]
    snoozed = [d for a, d in s.actions() if a == "followup.snoozed"]
    assert snoozed == [{"kind": "internal", "for": "2:00:00", "reason": "vendor on it",
                        "due_at": at(hours=6).isoformat()}]


# --- Failures: retries, order, dead letters ----------------------------------------------------


def test_a_failing_receiver_gets_everything_in_order_once_it_recovers(s: Setup) -> None:
    s.receiver.fail = True
    s.desk.open(ticket(1), T0)
    report = s.run(T0)
    assert (report.sent, report.retrying) == (0, 1)
    assert "answered HTTP 500" in report.errors[0]
    key = "ESC-1:escalation.opened:1:eng"
    # Exponential backoff (base 2 s, jitter 0 → half the delay): +1 s, +2 s, +4 s.
    assert s.rows()[key].available_at == at(seconds=1)
    s.desk.acknowledge("ESC-1", at(minutes=1))
    s.run(at(minutes=1))
    rows = s.rows()
    assert rows[key].attempts == 2 and rows[key].available_at == at(minutes=1, seconds=2)
    assert "answered HTTP 500" in (rows[key].last_error or "")
    ack = "ESC-1:escalation.acknowledged:2:eng"
    assert rows[ack].status == "pending"
    assert s.run(at(minutes=1, seconds=1)).claimed == 0  # waiting; the later one waits too
    s.run(at(minutes=1, seconds=2))
    assert s.rows()[key].available_at == at(minutes=1, seconds=6)
    s.receiver.fail = False
    s.run(at(minutes=1, seconds=6))
    assert [h.key for h in s.receiver.delivered()] == [key, ack]
    assert [s.rows()[k].status for k in (key, ack)] == ["sent", "sent"]
    assert s.rows()[key].attempts == 4
    # Every failed attempt carried the same key; the acknowledgement was never tried before it.
    assert [h.key for h in s.receiver.hits if h.status == 500] == [key] * 3


def test_a_later_event_never_overtakes_an_earlier_one_that_is_retrying(s: Setup) -> None:
    s.desk.open(ticket(1), T0)
    s.desk.acknowledge("ESC-1", at(seconds=30))
    s.desk.open(ticket(2), at(seconds=40))
    s.receiver.fail_next = 1  # only the very first request fails (ESC-1's opened)
    report = s.run(at(minutes=1))
    assert report.claimed == 3 and report.retrying == 1
    # ESC-1's acknowledgement waits for its opening; the other escalation is not held up.
    assert events_of(s.receiver.delivered()) == [("ESC-2", "escalation.opened")]
    assert s.rows()["ESC-1:escalation.acknowledged:2:eng"].attempts == 0
    assert s.run(at(minutes=1)).claimed == 0
    s.run(at(minutes=1, seconds=1))
    assert events_of(s.receiver.delivered()) == [
        ("ESC-2", "escalation.opened"), ("ESC-1", "escalation.opened"),
        ("ESC-1", "escalation.acknowledged")]
    assert {r.status for r in s.rows().values() if not r.event.startswith("followup.")} == {
        "sent"}


def test_a_hanging_receiver_times_out_and_the_retry_carries_the_same_key(
        store: Store, receiver: Receiver) -> None:
    def notifier(channel: Channel) -> Notifier:
        assert channel.url is not None
        return WebhookNotifier(channel.url, secret=SECRET, timeout=0.3)

    s = setup(store, receiver, notifier=notifier)
    s.desk.open(ticket(), T0)
    s.receiver.hang = 1.0
    report = s.run(T0)
    assert report.retrying == 1 and "did not answer in time" in report.errors[0]
    s.receiver.hang = 0.0
    s.run(at(seconds=1))
    hits = s.receiver.hits
    assert [h.status for h in hits] == [0, 200]
    assert hits[0].key == hits[1].key == "ESC-1:escalation.opened:1:eng"
    assert json.loads(hits[1].body)["key"] == hits[0].key


def test_dead_letter_after_max_attempts_then_retry_requeues(store: Store,
                                                            receiver: Receiver) -> None:
    s = setup(store, receiver, make_policy(receiver, max_attempts=3))
    s.receiver.fail = True
    s.desk.open(ticket(), T0)
    key = "ESC-1:escalation.opened:1:eng"
    assert s.run(T0).retrying == 1
    assert s.run(at(seconds=1)).retrying == 1
    report = s.run(at(seconds=3))
    assert (report.retrying, report.dead) == (0, 1)
    assert s.run(at(hours=1)).claimed == 0  # dead: no more tries
    with store.unit_of_work(read_only=True) as uow:
        [dead] = uow.outbox.deliveries(["dead"])
    assert (dead.key, dead.attempts, dead.escalation_id) == (key, 3, "ESC-1")
    assert dead.last_error is not None and "answered HTTP 500" in dead.last_error
    assert len([h for h in s.receiver.hits if h.key == key]) == 3
    # A dead letter does not hold up what comes after it.
    s.receiver.fail = False
    s.desk.acknowledge("ESC-1", at(hours=1))
    s.run(at(hours=1))
    assert [h.event for h in s.receiver.delivered()] == ["escalation.acknowledged"]
    # Re-queued by hand, it goes on the next pass.
    with store.unit_of_work() as uow:
        record = uow.outbox.retry(dead.id, at(hours=2))
    assert record is not None and record.status == "pending"
    s.run(at(hours=2))
    assert [h.event for h in s.receiver.delivered()] == ["escalation.acknowledged",
                                                         "escalation.opened"]
    assert s.rows()[key].status == "sent"
    with store.unit_of_work(read_only=True) as uow:
        assert uow.outbox.deliveries(["dead"]) == []
    # Both outcomes are in the audit trail, and the chain still verifies.
    actions = s.actions()
    [dead_event] = [d for a, d in actions if a == "notification.dead"]
    assert dead_event["key"] == key and dead_event["attempts"] == 3
    assert "answered HTTP 500" in dead_event["error"]
    sent = [d for a, d in actions if a == "notification.sent"]
    assert [d["key"] for d in sent] == ["ESC-1:escalation.acknowledged:2:eng", key]
    assert sent[1]["attempt"] == 1  # a re-queued dead letter starts a fresh set of attempts
    assert s.desk.verify_audit() == (len(actions), None)
    with store.unit_of_work(read_only=True) as uow:
        actors = {e.actor for e in uow.events() if e.action.startswith("notification.")}
    assert actors == {"worker:w1"}


def test_a_worker_claiming_alongside_another_takes_the_next_escalations(
        db_url: str, receiver: Receiver) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite serialises claims with its write lock: no claims side by side")
    policy = make_policy(receiver, batch_size=2)
    first, second = Store(db_url), Store(db_url)
    try:
        desk = Desk(first, policy, "alice")
        for n in range(1, 6):
            desk.open(ticket(n), T0)
        with first.unit_of_work() as one, second.unit_of_work() as two:
            mine = one.outbox.claim(T0, 2, 30, "one")  # its transaction still open
            theirs = two.outbox.claim(T0, 2, 30, "two")
        assert {p.escalation_id for p, _ in mine} == {"ESC-1", "ESC-2"}
        assert {p.escalation_id for p, _ in theirs} == {"ESC-3", "ESC-4"}
    finally:
        first.close()
        second.close()


# --- Catch-up and quiet hours ------------------------------------------------------------------


def test_catch_up_after_downtime_sends_one_consolidated_message_per_channel(
        store: Store, receiver: Receiver) -> None:
    policy = policy_from_mapping({
        "channels": [
            {"name": "eng", "kind": "webhook", "url": receiver.url(), "secret": SECRET},
            {"name": "ops", "kind": "webhook", "url": receiver.url("/hooks/ops"),
             "events": ["followup.due_soon", "followup.due", "followup.overdue"]},
        ],
    })
    s = setup(store, receiver, policy)
    for n in (1, 2, 3):
        s.desk.open(ticket(n), T0)
    s.run(T0)
    # Three escalation.opened, and pattern.detected: three customers report the same bug.
    assert sorted(h.event for h in s.receiver.take()) == ["escalation.opened"] * 3 + [
        "pattern.detected"]
    # The worker is down for six hours: five reminders of each escalation fell due per channel.
    report = s.run(at(hours=6))
    hits = s.receiver.take()
    assert (report.sent, report.superseded) == (6, 24)
    assert sorted((h.escalation_id, h.path) for h in hits) == sorted(
        (f"ESC-{n}", path) for n in (1, 2, 3) for path in ("/hooks/eng", "/hooks/ops"))
    rows = s.rows()
    for hit in hits:
        message = hit.message
        assert hit.event == "followup.overdue" and message["details"]["kind"] == "internal"
        stood_for = {item["key"] for item in message["superseded"]}
        assert len(stood_for) == 4
        assert {rows[k].status for k in stood_for} == {"superseded"}
        assert {rows[k].last_error for k in stood_for} == {f"consolidated into {hit.key}"}
        assert "stands for 4 earlier reminders" in message["text"]
    assert s.run(at(hours=6)).claimed == 0
    # The next reminder that falls due while the worker runs goes out on time, alone.
    s.run(at(hours=8))
    hits = s.receiver.take()
    assert len(hits) == 6 and {h.event for h in hits} == {"followup.overdue"}
    assert all(h.message["superseded"] == [] for h in hits)
    with store.unit_of_work(read_only=True) as uow:
        assert uow.outbox.counts() == {"sent": 3 + 1 + 6 + 6, "superseded": 24}  # 1: pattern


def test_quiet_hours_hold_medium_reminders_until_the_owners_working_hours(s: Setup) -> None:
    # ana works in Tokyo (09:00-17:00 JST = 00:00-08:00 UTC); T0 is midnight there.
    s.desk.open(ticket(1), T0, owner="ana", severity=Severity.MEDIUM)
    s.desk.open(ticket(2), T0, owner="ana", severity=Severity.CRITICAL)
    s.run(T0)
    assert sorted(events_of(s.receiver.take())) == [("ESC-1", "escalation.opened"),
                                                    ("ESC-2", "escalation.opened")]
    # Critical reminders go at once, night or not (02:00 JST and on).
    s.run(at(hours=1, minutes=30))
    assert events_of(s.receiver.take()) == [("ESC-2", "followup.due_soon")] * 2
    # The Medium one falls due on Wednesday at 15:00 UTC (midnight in Tokyo): it waits.
    thursday_9_jst = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    medium = s.rows("ESC-1")
    first = [r for r in medium.values() if r.event.startswith("followup.")
             and r.due_at < thursday_9_jst]
    assert len(first) == 5
    assert {r.available_at for r in first} == {thursday_9_jst}
    for moment in (datetime(2026, 11, 25, 14, 30, tzinfo=UTC),
                   datetime(2026, 11, 25, 15, 0, tzinfo=UTC),
                   datetime(2026, 11, 25, 15, 30, tzinfo=UTC),
                   datetime(2026, 11, 25, 23, 59, tzinfo=UTC)):
        s.run(moment)
    assert [h for h in s.receiver.take() if h.escalation_id == "ESC-1"] == []
    s.run(thursday_9_jst)
    [hit] = [h for h in s.receiver.take() if h.escalation_id == "ESC-1"]
    assert hit.event == "followup.overdue" and len(hit.message["superseded"]) == 4


# --- The CLI -----------------------------------------------------------------------------------


def test_cli_worker_deliveries_retry_and_snooze(db_url: str, receiver: Receiver,
                                               tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(
        "schema = 1\n"
        "[[channels]]\n"
        'name = "eng"\nkind = "webhook"\n'
        f'url = "{receiver.url()}"\n'
        'secret_env = "ENG_HOOK_SECRET"\n'
        "[delivery]\nbase_delay_seconds = 1\nmax_attempts = 2\n", encoding="utf-8")
    source = tmp_path / "ticket.json"
    source.write_text(json.dumps(ticket()), encoding="utf-8")

    def escalate(*args: str) -> subprocess.CompletedProcess[str]:
        return run_escalate("--db", db_url, "--policy", str(policy), "--actor", "alice", *args,
                            env=ENV)

    def ok(*args: str) -> str:
        result = escalate(*args)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result.stdout

    def iso(moment: datetime) -> str:
        return moment.isoformat()

    assert ok("open", str(source), "--now", iso(T0)).strip() == "ESC-1"
    assert "claimed 1, sent 1," in ok("worker", "--once", "--now", iso(T0))
    [hit] = receiver.take()
    assert hit.event == "escalation.opened"
    assert verify_signature(hit.body, hit.headers["X-Escalation-Signature"], SECRET)
    assert "internal follow-up now due 2026-11-24 14:30 EST" in ok(
        "snooze", "ESC-1", "--internal", "--for", "30m", "--reason", "waiting on the vendor",
        "--now", iso(at(minutes=10)))
    receiver.fail = True
    result = escalate("worker", "--once", "--now", iso(at(hours=3, minutes=30)))
    assert result.returncode == 0
    assert "claimed 1, sent 0, retrying 1, dead 0" in result.stdout  # the internal one moved
    assert "answered HTTP 500" in result.stderr
    assert "dead 1" in ok("worker", "--once", "--now", iso(at(hours=3, minutes=31)))
    listed = ok("deliveries", "--failed")
    assert "followup.due_soon" in listed and "answered HTTP 500" in listed
    [dead] = json.loads(ok("deliveries", "--failed", "--format", "json"))
    assert dead["status"] == "dead" and dead["attempts"] == 2
    receiver.fail = False
    assert f"#{dead['id']} re-queued: {dead['key']}" in ok(
        "deliveries", "retry", str(dead["id"]), "--now", iso(at(hours=3, minutes=40)))
    assert "sent 1" in ok("worker", "--once", "--now", iso(at(hours=3, minutes=40)))
    assert [h.key for h in receiver.take()] == [dead["key"]]
    assert "No dead-lettered deliveries." in ok("deliveries", "--failed")
    missing = escalate("deliveries", "retry", "99999")
    assert missing.returncode == 2 and "no delivery #99999" in missing.stderr
    timeline = json.loads(ok("timeline", "ESC-1", "--format", "json"))
    actions = [e["action"] for e in timeline]
    assert actions.count("notification.sent") == 2
    assert {"followup.snoozed", "notification.dead", "notification.requeued"} <= set(actions)
    ok("audit", "verify")
