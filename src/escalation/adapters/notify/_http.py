"""One JSON POST whose outcome is sorted into accepted, worth retrying, or not (webhook, Slack)."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

import httpx

from escalation.adapters.notify import DeliveryFailed

DEFAULT_TIMEOUT = 10.0  # seconds, for connecting and for each read and write

# Besides 5xx: the receiver asks us to slow down (429) or gave up waiting for us (408).
_RETRYABLE_4XX = frozenset({408, 429})


def new_client(timeout: float) -> httpx.Client:
    """An HTTP client for notifiers: no redirects followed, so a moved receiver is noticed."""
    return httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False)


def post(client: httpx.Client, url: str, body: bytes, headers: Mapping[str, str]) -> None:
    """POST `body` to `url`; return on 2xx, raise `DeliveryFailed` otherwise."""
    where = receiver(url)
    try:
        response = client.post(url, content=body, headers=dict(headers))
    except httpx.TimeoutException as exc:
        raise DeliveryFailed(
            f"{where} did not answer in time ({type(exc).__name__})", retryable=True) from exc
    except httpx.TransportError as exc:
        raise DeliveryFailed(
            f"could not reach {where}: {exc or type(exc).__name__}", retryable=True) from exc
    status = response.status_code
    if 200 <= status < 300:
        return
    said = " ".join(response.text.split())[:200]
    answer = f"{where} answered HTTP {status}" + (f": {said}" if said else "")
    if 300 <= status < 400:
        moved = response.headers.get("location", "")
        raise DeliveryFailed(
            f"{answer}; it redirects{' to ' + receiver(moved) if moved else ''}: point the "
            "channel's url at the final address", retryable=False)
    if status >= 500 or status in _RETRYABLE_4XX:
        raise DeliveryFailed(answer, retryable=True)
    raise DeliveryFailed(
        f"{answer}; the receiver refused the message, check the channel's url and secret",
        retryable=False)


def receiver(url: str) -> str:
    """The receiver as scheme://host[:port]: webhook URLs (Slack's above all) can hold secrets,
    so paths and queries stay out of errors that are stored and shown."""
    parts = urlsplit(url)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{parts.hostname}{port}" if parts.hostname else "the receiver"
