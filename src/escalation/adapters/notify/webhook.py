"""Generic webhook: the event as signed JSON, POSTed to any HTTP receiver.

Each delivery is one POST of compact UTF-8 JSON::

    {"event": "followup.overdue", "key": "ESC-7:followup.overdue:customer:…:eng",
     "sent_at": "2026-11-26T14:00:03+00:00", "due_at": "2026-11-26T14:00:00+00:00",
     "title": "[HIGH] ESC-7 follow-up overdue: …", "text": "The customer update on ESC-7 …",
     "escalation": {"id": "ESC-7", "ticket_id": …, "severity": "high", …},
     "details": {"kind": "customer", "due_at": …, "overdue_at": …},
     "superseded": [], "link": "http://127.0.0.1:8000/escalations/ESC-7"}

A ``pattern.detected`` alert about a group of similar tickets adds the group as ``pattern``;
when no escalation covers it yet, ``escalation`` is ``{}`` and ``link`` is ``null``::

    {"event": "pattern.detected", "key": "pattern:c-1f3a:3:eng", …,
     "title": "Pattern detected: CSV export drops rows — 3 customers", "text": "4 similar …",
     "escalation": {}, "details": {"threshold": 3},
     "pattern": {"id": "c-1f3a", "ticket_ids": ["ZD-1", …], "distinct_customers": 3,
                 "label": "CSV export drops rows", "first_seen": "2026-11-24T13:00:00+00:00",
                 "last_seen": …, "signals": ["three_plus_customers"]},
     "superseded": [], "link": null}

with these headers:

- ``X-Escalation-Event``: the event, e.g. ``followup.overdue``.
- ``X-Escalation-Delivery``: the idempotency key. It is the same on every retry and on a
  re-send after a worker crash, so it identifies the message, not the attempt.
- ``X-Escalation-Timestamp``: when this attempt was sent, in Unix seconds (``sent_at``).
- ``X-Escalation-Signature: sha256=<hex>``: HMAC-SHA256 of the exact raw request body, keyed
  with the channel's secret (sent only when the channel has a secret).

How a receiver verifies a delivery:

1. Read the raw body bytes *before* parsing JSON: re-serialising changes bytes and breaks the
   signature.
2. Compute ``hmac.new(secret, body, sha256).hexdigest()`` and compare it with the header's hex
   using ``hmac.compare_digest`` (constant time), or call `verify_signature`. Reject on
   mismatch.
3. Reject stale messages: parse the body's ``sent_at`` (it is covered by the signature; the
   timestamp header repeats it for quick filtering) and refuse anything older than a few
   minutes, so a captured request cannot be replayed later.

How a receiver dedupes: store each ``X-Escalation-Delivery`` key it has processed (a unique
column, kept at least as long as the retry window) and answer 2xx without acting again when a
key comes back. Answer 2xx only after the message is safely stored: any other answer means the
desk tries again later (5xx, 429, timeouts and connection errors) or gives up (other 4xx).

```python
import json, time
from datetime import datetime
from escalation.adapters.notify.webhook import verify_signature  # or hmac.compare_digest

def accept(body: bytes, headers, secret: str, seen: set[str]) -> int:
    if not verify_signature(body, headers.get("X-Escalation-Signature", ""), secret):
        return 401
    message = json.loads(body)
    sent = datetime.fromisoformat(message["sent_at"]).timestamp()
    if abs(time.time() - sent) > 300:
        return 400
    key = headers["X-Escalation-Delivery"]
    if key not in seen:
        seen.add(key)
        handle(message)
    return 204
```
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

import httpx

from escalation.adapters.notify import Outgoing, message_text
from escalation.adapters.notify._http import DEFAULT_TIMEOUT, new_client, post

SIGNATURE_PREFIX = "sha256="


class WebhookNotifier:
    """POSTs signed JSON to one generic webhook receiver."""

    def __init__(
        self,
        url: str,
        secret: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        client: httpx.Client | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.url = url
        self._secret = secret
        self._client = client or new_client(timeout)
        self._owns_client = client is None
        self._clock = clock or (lambda: datetime.now(UTC))

    def send(self, outgoing: Outgoing) -> None:
        """POST `outgoing`; raise `DeliveryFailed` unless the receiver answers 2xx."""
        sent_at = self._clock().astimezone(UTC)
        body = payload(outgoing, sent_at)
        headers = {
            "Content-Type": "application/json",
            "X-Escalation-Event": outgoing.event.value,
            "X-Escalation-Delivery": outgoing.key,
            "X-Escalation-Timestamp": str(int(sent_at.timestamp())),
        }
        if self._secret:
            headers["X-Escalation-Signature"] = sign(body, self._secret)
        post(self._client, self.url, body, headers)

    def close(self) -> None:
        """Close the HTTP connections this notifier opened."""
        if self._owns_client:
            self._client.close()


def payload(outgoing: Outgoing, sent_at: datetime) -> bytes:
    """The request body: compact UTF-8 JSON of the event, the escalation and a link."""
    title, text = message_text(outgoing)
    message: dict[str, Any] = {
        "event": outgoing.event.value,
        "key": outgoing.key,
        "sent_at": sent_at.isoformat(),
        "due_at": outgoing.due_at.isoformat(),
        "title": title,
        "text": text,
        "escalation": dict(outgoing.escalation),
        "details": dict(outgoing.details),
        "superseded": [dict(item) for item in outgoing.superseded],
        "link": outgoing.escalation.get("link"),
    }
    if outgoing.pattern is not None:
        message["pattern"] = dict(outgoing.pattern)
    return json.dumps(
        message, ensure_ascii=False, separators=(",", ":"), default=_plain
    ).encode("utf-8")


def sign(body: bytes, secret: str) -> str:
    """The signature header value of `body`: ``sha256=<hex HMAC-SHA256>``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify_signature(body: bytes, header: str, secret: str) -> bool:
    """Whether `header` (``sha256=<hex>``) is the signature of the raw `body` under `secret`.

    Compares in constant time. Also check the body's ``sent_at`` for staleness (see above).
    """
    if not header or not header.startswith(SIGNATURE_PREFIX) or not secret:
        return False
    expected = sign(body, secret)
    return hmac.compare_digest(expected.encode("ascii"),
                               header.strip().lower().encode("ascii", "replace"))


def _plain(value: Any) -> Any:
    """JSON for the few non-JSON values a summary may carry."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"cannot send {type(value).__name__} in a webhook body: {value!r}")
