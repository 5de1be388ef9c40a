"""The signed webhook against a real local HTTP receiver: body, headers, signature, failures."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from escalation.adapters.notify import (
    DeliveryFailed,
    NotifierConfigError,
    Outgoing,
    message_text,
    notifier_for,
)
from escalation.adapters.notify.loopback import loopback_server, server_url
from escalation.adapters.notify.webhook import WebhookNotifier, sign, verify_signature
from escalation.domain.notifications import Channel, ChannelKind, Event, Smtp

SECRET = "s3cret-hook-key"
SENT_AT = datetime(2026, 11, 26, 14, 0, 3, tzinfo=UTC)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A local HTTP receiver: records each POST and answers with the queued status codes."""

    server: ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answered in order, then 200
    delay: float = 0.0

    @property
    def url(self) -> str:
        return server_url(self.server, "/hooks/escalations")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state: dict[str, Receiver] = {}

    def handle(request: BaseHTTPRequestHandler, body: bytes) -> None:
        rec = state["receiver"]
        rec.requests.append(Received(request.path, dict(request.headers.items()), body))
        if rec.delay:
            time.sleep(rec.delay)
        status = rec.statuses.pop(0) if rec.statuses else 200
        request.send_response(status)
        request.send_header("Content-Type", "text/plain")
        request.end_headers()
        request.wfile.write(b"ok" if status < 300 else b"receiver trouble")

    with loopback_server(handle) as server:
        state["receiver"] = Receiver(server)
        yield state["receiver"]


def channel(**overrides: Any) -> Channel:
    values: dict[str, Any] = {
        "name": "eng", "kind": ChannelKind.WEBHOOK, "events": frozenset(Event),
        "url": "http://127.0.0.1:9/hook", "secret": SECRET,
    }
    values.update(overrides)
    return Channel(**values)


def outgoing(attempt: int = 1, event: Event = Event.FOLLOWUP_OVERDUE) -> Outgoing:
    return Outgoing(
        key="ESC-7:followup.overdue:customer:20261126T100000+0000:eng",
        event=event,
        channel=channel(),
        escalation={
            "id": "ESC-7", "ticket_id": "ZD-48213", "status": "acknowledged",
            "severity": "high", "target": "engineering", "owner": "alice",
            "customer": "北京云帆科技", "customers_affected": 3,
            "summary": "Checkout returns HTTP 500 for saved cards",
            "revenue_at_risk": "$9,000/h", "next_internal_due": "2026-11-26T12:00:00+00:00",
            "next_customer_update_due": "2026-11-26T14:00:00+00:00",
            "link": "http://127.0.0.1:8000/escalations/ESC-7",
        },
        details={"kind": "customer", "due_at": "2026-11-26T10:00:00+00:00",
                 "overdue_at": "2026-11-26T14:00:00+00:00"},
        due_at=datetime(2026, 11, 26, 14, 0, tzinfo=UTC),
        attempt=attempt,
        superseded=({"event": "followup.due", "due_at": "2026-11-26T10:00:00+00:00",
                     "details": {"kind": "customer"}},),
    )


def notifier(url: str, secret: str | None = SECRET, **kwargs: Any) -> WebhookNotifier:
    return WebhookNotifier(url, secret, clock=lambda: SENT_AT, **kwargs)


def test_posts_compact_utf8_json_with_event_escalation_and_link(receiver: Receiver) -> None:
    message = outgoing()
    notifier(receiver.url).send(message)

    [request] = receiver.requests
    assert request.path == "/hooks/escalations"
    body = json.loads(request.body.decode("utf-8"))
    assert body["event"] == "followup.overdue"
    assert body["key"] == message.key
    assert body["sent_at"] == "2026-11-26T14:00:03+00:00"
    assert body["escalation"] == dict(message.escalation)
    assert body["details"] == dict(message.details)
    assert body["superseded"] == [dict(s) for s in message.superseded]
    assert body["link"] == "http://127.0.0.1:8000/escalations/ESC-7"
    assert (body["title"], body["text"]) == message_text(message)
    # Compact and UTF-8 as written, not \u escapes.
    assert request.body == json.dumps(body, ensure_ascii=False,
                                      separators=(",", ":")).encode("utf-8")
    assert "北京云帆科技".encode() in request.body


def test_headers_carry_event_key_timestamp_and_a_verifiable_signature(
        receiver: Receiver) -> None:
    message = outgoing()
    notifier(receiver.url).send(message)

    [request] = receiver.requests
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["content-type"] == "application/json"
    assert headers["x-escalation-event"] == "followup.overdue"
    assert headers["x-escalation-delivery"] == message.key
    assert headers["x-escalation-timestamp"] == str(int(SENT_AT.timestamp()))
    signature = headers["x-escalation-signature"]
    assert signature.startswith("sha256=") and len(signature) == len("sha256=") + 64
    assert verify_signature(request.body, signature, SECRET)
    assert not verify_signature(request.body, signature, "another-secret")
    assert not verify_signature(request.body + b" ", signature, SECRET)
    assert not verify_signature(request.body, signature.replace("sha256=", "sha1="), SECRET)
    assert not verify_signature(request.body, "", SECRET)


def test_no_signature_header_without_a_secret(receiver: Receiver) -> None:
    notifier(receiver.url, secret=None).send(outgoing())
    [request] = receiver.requests
    assert "x-escalation-signature" not in {k.lower() for k in request.headers}
    assert request.headers["X-Escalation-Delivery"]


def test_a_retry_carries_the_same_key_and_a_fresh_signature(receiver: Receiver) -> None:
    receiver.statuses = [500]
    moments = iter([SENT_AT, datetime(2026, 11, 26, 14, 0, 20, tzinfo=UTC)])
    hook = WebhookNotifier(receiver.url, SECRET, clock=lambda: next(moments))

    with pytest.raises(DeliveryFailed) as failed:
        hook.send(outgoing(attempt=1))
    assert failed.value.retryable
    hook.send(outgoing(attempt=2))

    first, second = receiver.requests
    assert first.headers["X-Escalation-Delivery"] == second.headers["X-Escalation-Delivery"]
    assert first.headers["X-Escalation-Timestamp"] != second.headers["X-Escalation-Timestamp"]
    for request in (first, second):
        assert verify_signature(request.body, request.headers["X-Escalation-Signature"], SECRET)
    assert json.loads(first.body)["key"] == json.loads(second.body)["key"]


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
def test_server_errors_and_throttling_are_retryable(receiver: Receiver, status: int) -> None:
    receiver.statuses = [status]
    with pytest.raises(DeliveryFailed) as failed:
        notifier(receiver.url).send(outgoing())
    assert failed.value.retryable
    assert f"HTTP {status}" in str(failed.value)
    assert "receiver trouble" in str(failed.value)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_client_errors_are_not_retryable(receiver: Receiver, status: int) -> None:
    receiver.statuses = [status]
    with pytest.raises(DeliveryFailed) as failed:
        notifier(receiver.url).send(outgoing())
    assert not failed.value.retryable
    assert f"HTTP {status}" in str(failed.value)


def test_a_redirect_is_reported_not_followed(receiver: Receiver) -> None:
    receiver.statuses = [302]
    with pytest.raises(DeliveryFailed) as failed:
        notifier(receiver.url).send(outgoing())
    assert not failed.value.retryable
    assert len(receiver.requests) == 1


def test_errors_name_the_receiver_but_not_its_path(receiver: Receiver) -> None:
    receiver.statuses = [404]
    with pytest.raises(DeliveryFailed) as failed:
        notifier(receiver.url + "/T000/B000/token-in-path").send(outgoing())
    assert receiver.url.split("/hooks")[0] in str(failed.value)
    assert "token-in-path" not in str(failed.value)


def test_a_receiver_slower_than_the_timeout_is_retryable(receiver: Receiver) -> None:
    receiver.delay = 1.0
    started = time.monotonic()
    with pytest.raises(DeliveryFailed) as failed:
        notifier(receiver.url, timeout=0.2).send(outgoing())
    assert failed.value.retryable
    assert "did not answer in time" in str(failed.value)
    assert time.monotonic() - started < 0.9


def test_connection_refused_is_retryable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DeliveryFailed) as failed:
        notifier(f"http://127.0.0.1:{port}/hook", timeout=2.0).send(outgoing())
    assert failed.value.retryable
    assert "could not reach http://127.0.0.1" in str(failed.value)


def test_notifier_for_reads_the_secret_from_the_environment(receiver: Receiver) -> None:
    configured = channel(url=receiver.url, secret=None, secret_env="ENG_HOOK_SECRET")
    hook = notifier_for(configured, Smtp(), {"ENG_HOOK_SECRET": "from-env"})
    hook.send(outgoing())
    [request] = receiver.requests
    assert verify_signature(request.body, request.headers["X-Escalation-Signature"], "from-env")
    assert not verify_signature(request.body, request.headers["X-Escalation-Signature"], SECRET)


def test_a_secret_written_in_the_file_wins_over_the_environment(receiver: Receiver) -> None:
    configured = channel(url=receiver.url, secret="in-file", secret_env="ENG_HOOK_SECRET")
    notifier_for(configured, Smtp(), {"ENG_HOOK_SECRET": "from-env"}).send(outgoing())
    [request] = receiver.requests
    assert sign(request.body, "in-file") == request.headers["X-Escalation-Signature"]


def test_a_missing_secret_variable_is_a_clear_error() -> None:
    configured = channel(secret=None, secret_env="ENG_HOOK_SECRET")
    with pytest.raises(NotifierConfigError) as error:
        notifier_for(configured, Smtp(), {"OTHER": "x"})
    assert "ENG_HOOK_SECRET" in str(error.value)
    assert "'eng'" in str(error.value)
    with pytest.raises(NotifierConfigError, match="ENG_HOOK_SECRET"):
        notifier_for(configured, Smtp(), {"ENG_HOOK_SECRET": ""})


def test_a_webhook_without_url_is_a_clear_error() -> None:
    with pytest.raises(NotifierConfigError, match="needs `url`"):
        notifier_for(channel(url=None), Smtp(), {})


def test_verify_signature_matches_a_receiver_computing_hmac_itself() -> None:
    import hashlib
    import hmac

    body = b'{"event":"escalation.opened"}'
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert verify_signature(body, f"sha256={expected}", SECRET)
    assert verify_signature(body, f"sha256={expected.upper()}", SECRET)
    assert not verify_signature(body, f"sha256={expected[:-1]}0"
                                if expected[-1] != "0" else f"sha256={expected[:-1]}1", SECRET)
    assert not verify_signature(body, f"sha256={expected}", "")
