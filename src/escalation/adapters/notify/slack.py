"""Slack-compatible incoming webhook: the event as a Block Kit message with a link button.

The message is a header (the title), a section with the body and up to ten fields (severity,
target, customer, impact, next follow-up, owner, status), a context line and a button that
opens the escalation. A pattern alert (a group of similar tickets) has fields for the group
(customers, tickets, signals, first and last seen), then the escalation's when it has one.
Text in mrkdwn has ``&``, ``<`` and ``>`` escaped as Slack requires, so
a ticket subject cannot ping ``<!channel>`` or forge a link. Slack answers 200 ``ok``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from escalation.adapters.notify import (
    Outgoing,
    as_datetime,
    message_text,
    moment_text,
    pattern_facts,
)
from escalation.adapters.notify._http import DEFAULT_TIMEOUT, new_client, post

# Block Kit limits (https://api.slack.com/reference/block-kit/blocks).
HEADER_LIMIT = 150
SECTION_TEXT_LIMIT = 3000
FIELD_LIMIT = 2000
MAX_FIELDS = 10
BUTTON_TEXT_LIMIT = 75
URL_LIMIT = 3000


class SlackNotifier:
    """POSTs Block Kit messages to one Slack(-compatible) incoming webhook."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        client: httpx.Client | None = None,
    ) -> None:
        self.url = url
        self._client = client or new_client(timeout)
        self._owns_client = client is None

    def send(self, outgoing: Outgoing) -> None:
        """POST `outgoing` as a Block Kit message; raise `DeliveryFailed` unless 2xx."""
        body = json.dumps(
            slack_message(outgoing), ensure_ascii=False, separators=(",", ":")
        ).encode("utf-8")
        post(self._client, self.url, body, {"Content-Type": "application/json; charset=utf-8"})

    def close(self) -> None:
        """Close the HTTP connections this notifier opened."""
        if self._owns_client:
            self._client.close()


def slack_message(outgoing: Outgoing) -> dict[str, Any]:
    """The incoming-webhook payload: fallback `text` and Block Kit `blocks`."""
    title, body = message_text(outgoing)
    esc = outgoing.escalation
    ident = str(esc.get("id") or "escalation")
    fields = _fields(esc)
    about = ident
    if outgoing.pattern is not None:
        fields = pattern_facts(outgoing.pattern) + fields
        group = f"pattern {outgoing.pattern.get('id') or ''}".strip()
        about = f"{esc['id']} · {group}" if esc.get("id") else group
    blocks: list[dict[str, Any]] = [
        {"type": "header",
         "text": {"type": "plain_text", "text": clip(title, HEADER_LIMIT), "emoji": True}},
        {"type": "section",
         "text": {"type": "mrkdwn", "text": mrkdwn(body, SECTION_TEXT_LIMIT)},
         "fields": [
             {"type": "mrkdwn",
              "text": f"*{label}*\n" + mrkdwn(value, FIELD_LIMIT - len(label) - 3)}
             for label, value in fields
         ][:MAX_FIELDS]},
    ]
    context = " · ".join(escape(str(part)) for part in (
        about, f"ticket {esc['ticket_id']}" if esc.get("ticket_id") else None,
        outgoing.event.value, "Escalation Desk") if part)
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    link = esc.get("link")
    if isinstance(link, str) and link.startswith(("http://", "https://")) and (
            len(link) <= URL_LIMIT):
        blocks.append({"type": "actions", "elements": [{
            "type": "button",
            "text": {"type": "plain_text", "text": clip(f"Open {ident}", BUTTON_TEXT_LIMIT)},
            "url": link,
            "action_id": "open_escalation",
        }]})
    if not blocks[1]["fields"]:
        del blocks[1]["fields"]
    return {"text": escape(title), "blocks": blocks}


def _fields(esc: Mapping[str, Any]) -> list[tuple[str, str]]:
    fields = []
    if esc.get("severity"):
        fields.append(("Severity", str(esc["severity"]).capitalize()))
    if esc.get("target"):
        fields.append(("Target", str(esc["target"])))
    if esc.get("customer"):
        fields.append(("Customer", str(esc["customer"])))
    impact = []
    if esc.get("customers_affected"):
        count = esc["customers_affected"]
        impact.append(f"{count} customer{'s' if count != 1 else ''} affected")
    if esc.get("revenue_at_risk"):
        impact.append(f"{esc['revenue_at_risk']} at risk")
    if impact:
        fields.append(("Impact", ", ".join(impact)))
    upcoming = next_follow_up(esc)
    if upcoming:
        fields.append(("Next follow-up", upcoming))
    if esc.get("owner"):
        fields.append(("Owner", str(esc["owner"])))
    if esc.get("status"):
        fields.append(("Status", str(esc["status"]).replace("_", " ")))
    return fields


def next_follow_up(esc: Mapping[str, Any]) -> str | None:
    """The earlier of the next internal check-in and the next customer update, as text."""
    options = [
        (moment, what, esc[key])
        for key, what in (("next_internal_due", "internal check-in"),
                          ("next_customer_update_due", "customer update"))
        if (moment := as_datetime(esc.get(key))) is not None
    ]
    if not options:
        return None
    _, what, raw = min(options, key=lambda option: option[0])
    return f"{what}, {moment_text(raw)}"


def escape(text: str) -> str:
    """Text safe inside Slack mrkdwn: ``&``, ``<`` and ``>`` as HTML entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str, limit: int) -> str:
    """`text` escaped for mrkdwn and cut to `limit` characters without splitting an entity."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    amp = cut.rfind("&")
    if amp > cut.rfind(";"):
        cut = cut[:amp]
    return cut + "…"


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
