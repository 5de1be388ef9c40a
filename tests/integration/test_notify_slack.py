"""The Slack notifier: Block Kit payloads that pass Slack's rules, posted to a local receiver."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from escalation.adapters.notify import DeliveryFailed, NotifierConfigError, Outgoing, notifier_for
from escalation.adapters.notify.loopback import loopback_server, server_url
from escalation.adapters.notify.slack import SlackNotifier, escape, mrkdwn, slack_message
from escalation.domain.notifications import Channel, ChannelKind, Event, Smtp

# --- a small Block Kit validator (the rules of the blocks we may send) ----------------------

TEXT_TYPES = {"plain_text", "mrkdwn"}
BLOCK_KEYS = {
    "header": {"type", "text", "block_id"},
    "section": {"type", "text", "fields", "accessory", "block_id"},
    "context": {"type", "elements", "block_id"},
    "actions": {"type", "elements", "block_id"},
    "divider": {"type", "block_id"},
}
ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")


def check_text(obj: Any, where: str, limit: int, *, plain_only: bool = False) -> list[str]:
    problems: list[str] = []
    if not isinstance(obj, dict) or obj.get("type") not in TEXT_TYPES:
        return [f"{where}: not a text object: {obj!r}"]
    allowed = {"type", "text", "emoji"} if obj["type"] == "plain_text" else {
        "type", "text", "verbatim"}
    if set(obj) - allowed:
        problems.append(f"{where}: unknown keys {set(obj) - allowed}")
    if plain_only and obj["type"] != "plain_text":
        problems.append(f"{where}: must be plain_text")
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        problems.append(f"{where}: empty text")
        return problems
    if len(text) > limit:
        problems.append(f"{where}: {len(text)} characters > {limit}")
    if obj["type"] == "mrkdwn":
        if "<" in text or ">" in text:
            problems.append(f"{where}: unescaped < or > in mrkdwn: {text!r}")
        if ENTITY.search(text):
            problems.append(f"{where}: unescaped & in mrkdwn: {text!r}")
    return problems


def check_button(element: Any, where: str) -> list[str]:
    problems = []
    if set(element) - {"type", "text", "url", "action_id", "value", "style"}:
        problems.append(f"{where}: unknown keys")
    problems += check_text(element.get("text"), f"{where}.text", 75, plain_only=True)
    url = element.get("url")
    if url is not None and (not isinstance(url, str) or len(url) > 3000
                            or not url.startswith(("http://", "https://"))):
        problems.append(f"{where}.url: {url!r}")
    if len(element.get("action_id", "")) > 255:
        problems.append(f"{where}.action_id too long")
    if element.get("style") not in (None, "primary", "danger"):
        problems.append(f"{where}.style: {element['style']!r}")
    return problems


def block_kit_problems(message: Any) -> list[str]:
    """Everything in `message` that Slack would reject (or render unescaped)."""
    problems: list[str] = []
    if not isinstance(message, dict) or set(message) - {"text", "blocks"}:
        return [f"top level: {message!r}"]
    if not isinstance(message.get("text"), str) or not message["text"]:
        problems.append("top level: fallback text missing")
    elif "<" in message["text"] or ">" in message["text"] or ENTITY.search(message["text"]):
        problems.append("top level: fallback text not escaped")
    blocks = message.get("blocks")
    if not isinstance(blocks, list) or not 1 <= len(blocks) <= 50:
        return [*problems, "blocks: 1 to 50 needed"]
    for i, block in enumerate(blocks):
        where = f"blocks[{i}]"
        kind = block.get("type")
        if kind not in BLOCK_KEYS:
            problems.append(f"{where}: block type {kind!r} not allowed")
            continue
        if set(block) - BLOCK_KEYS[kind]:
            problems.append(f"{where}: unknown keys {set(block) - BLOCK_KEYS[kind]}")
        if kind == "header":
            problems += check_text(block.get("text"), f"{where}.text", 150, plain_only=True)
        elif kind == "section":
            if "text" not in block and "fields" not in block:
                problems.append(f"{where}: needs text or fields")
            if "text" in block:
                problems += check_text(block["text"], f"{where}.text", 3000)
            fields = block.get("fields", [])
            if "fields" in block and not 1 <= len(fields) <= 10:
                problems.append(f"{where}.fields: {len(fields)} fields, 1 to 10 allowed")
            for j, item in enumerate(fields):
                problems += check_text(item, f"{where}.fields[{j}]", 2000)
        elif kind == "context":
            elements = block.get("elements", [])
            if not 1 <= len(elements) <= 10:
                problems.append(f"{where}.elements: {len(elements)}, 1 to 10 allowed")
            for j, item in enumerate(elements):
                problems += check_text(item, f"{where}.elements[{j}]", 3000)
        elif kind == "actions":
            elements = block.get("elements", [])
            if not 1 <= len(elements) <= 25:
                problems.append(f"{where}.elements: {len(elements)}, 1 to 25 allowed")
            for j, item in enumerate(elements):
                if item.get("type") != "button":
                    problems.append(f"{where}.elements[{j}]: only buttons expected")
                else:
                    problems += check_button(item, f"{where}.elements[{j}]")
    return problems


def test_the_validator_catches_what_slack_rejects() -> None:
    bad = {"text": "a <b>", "blocks": [
        {"type": "header", "text": {"type": "mrkdwn", "text": "x" * 151}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "&x"}] * 11},
        {"type": "table"},
        {"type": "actions", "elements": [{"type": "button", "url": "ftp://x",
                                          "text": {"type": "plain_text", "text": "go"}}]},
    ]}
    problems = " | ".join(block_kit_problems(bad))
    for expected in ("fallback text not escaped", "must be plain_text", "151 characters",
                     "11 fields", "unescaped &", "'table' not allowed", ".url"):
        assert expected in problems
    assert block_kit_problems({"text": "x", "blocks": [{"type": "divider"}] * 51})


# --- the messages ----------------------------------------------------------------------------

CHANNEL = Channel(name="support-leads", kind=ChannelKind.SLACK, events=frozenset(Event),
                  url="http://127.0.0.1:9/services/T000/B000/XXXX")


def outgoing(event: Event = Event.FOLLOWUP_OVERDUE, **escalation: Any) -> Outgoing:
    summary = {
        "id": "ESC-12", "ticket_id": "ZD-48213", "status": "in_progress",
        "severity": "critical", "target": "engineering", "owner": "alice",
        "customer": "Brightwave Retail", "customers_affected": 4,
        "summary": "Checkout returns HTTP 500 for saved cards",
        "revenue_at_risk": "$9,000/h", "next_internal_due": "2026-11-26T16:00:00+00:00",
        "next_customer_update_due": "2026-11-26T15:00:00+00:00",
        "link": "http://127.0.0.1:8000/escalations/ESC-12",
    }
    summary.update(escalation)
    return Outgoing(
        key="ESC-12:followup.overdue:customer:20261126T110000+0000:support-leads",
        event=event, channel=CHANNEL, escalation=summary,
        details={"kind": "customer", "due_at": "2026-11-26T11:00:00+00:00",
                 "overdue_at": "2026-11-26T12:00:00+00:00",
                 "from": "high", "to": "critical", "reason": "data loss confirmed"},
        due_at=datetime(2026, 11, 26, 12, tzinfo=UTC), attempt=1,
    )


@pytest.mark.parametrize("event", list(Event))
def test_every_event_makes_a_valid_block_kit_message(event: Event) -> None:
    message = slack_message(outgoing(event))
    assert block_kit_problems(message) == []
    # The round trip through JSON keeps it (no non-JSON values).
    assert json.loads(json.dumps(message)) == message


def test_message_shows_severity_target_customer_impact_next_follow_up_and_link() -> None:
    message = slack_message(outgoing())
    header, section, context, actions = message["blocks"]
    assert header["type"] == "header"
    assert header["text"]["text"].startswith("[CRITICAL] ESC-12 follow-up overdue")
    fields = {f["text"].split("\n", 1)[0]: f["text"].split("\n", 1)[1]
              for f in section["fields"]}
    assert fields["*Severity*"] == "Critical"
    assert fields["*Target*"] == "engineering"
    assert fields["*Customer*"] == "Brightwave Retail"
    assert fields["*Impact*"] == "4 customers affected, $9,000/h at risk"
    # The earlier of the two: the customer update at 15:00 before the internal one at 16:00.
    assert fields["*Next follow-up*"] == "customer update, Nov 26 15:00 UTC"
    assert "ESC-12" in context["elements"][0]["text"]
    [button] = actions["elements"]
    assert button["url"] == "http://127.0.0.1:8000/escalations/ESC-12"
    assert button["text"]["text"] == "Open ESC-12"
    assert message["text"] == header["text"]["text"]


def test_mrkdwn_is_escaped_so_a_subject_cannot_ping_or_forge_links() -> None:
    hostile = "Export <!channel> & <https://evil.example|click here> > 5 rows"
    message = slack_message(outgoing(Event.OPENED, summary=hostile, customer="A&B <Corp>"))
    assert block_kit_problems(message) == []
    section = message["blocks"][1]
    assert ("Export &lt;!channel&gt; &amp; &lt;https://evil.example|click here&gt; &gt; 5 rows"
            in section["text"]["text"])
    assert "*Customer*\nA&amp;B &lt;Corp&gt;" in [f["text"] for f in section["fields"]]
    # The header is plain_text: shown literally, so it is not escaped.
    assert "<!channel>" in message["blocks"][0]["text"]["text"]
    assert "&lt;!channel&gt;" in message["text"]
    assert escape("a & b < c > d") == "a &amp; b &lt; c &gt; d"


def test_long_values_are_cut_to_slack_limits_without_breaking_an_entity() -> None:
    message = slack_message(outgoing(Event.OPENED, summary="Export & import fail " * 400,
                                     customer="<" * 3000))
    assert block_kit_problems(message) == []
    assert len(message["blocks"][0]["text"]["text"]) <= 150
    assert message["blocks"][0]["text"]["text"].endswith("…")
    section = message["blocks"][1]
    assert len(section["text"]["text"]) <= 3000
    assert section["text"]["text"].endswith("…")
    # Cut where an entity would be split: the entity goes whole, never as "&am…".
    assert mrkdwn("aaaaaaaa&b", 11) == "aaaaaaaa…"
    assert mrkdwn("aaaaaaaa&b", 14) == "aaaaaaaa&amp;b"


def test_no_button_without_a_web_link() -> None:
    message = slack_message(outgoing(link=None))
    assert block_kit_problems(message) == []
    assert [b["type"] for b in message["blocks"]] == ["header", "section", "context"]


# --- posting ---------------------------------------------------------------------------------


@dataclass
class SlackReceiver:
    server: ThreadingHTTPServer
    bodies: list[bytes] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)
    answer: tuple[int, bytes] = (200, b"ok")

    def url(self, path: str = "/services/T000/B000/XXXX") -> str:
        return server_url(self.server, path)


@pytest.fixture
def slack() -> Iterator[SlackReceiver]:
    state: dict[str, SlackReceiver] = {}

    def handle(request: BaseHTTPRequestHandler, body: bytes) -> None:
        rec = state["r"]
        rec.bodies.append(body)
        rec.content_types.append(request.headers["Content-Type"])
        status, text = rec.answer
        request.send_response(status)
        request.send_header("Content-Type", "text/html")
        request.end_headers()
        request.wfile.write(text)

    with loopback_server(handle) as server:
        state["r"] = SlackReceiver(server)
        yield state["r"]


def test_posts_the_block_kit_message(slack: SlackReceiver) -> None:
    message = outgoing(customer="北京云帆科技")
    SlackNotifier(slack.url()).send(message)
    [body] = slack.bodies
    assert slack.content_types == ["application/json; charset=utf-8"]
    assert json.loads(body) == slack_message(message)
    assert "北京云帆科技".encode() in body
    assert block_kit_problems(json.loads(body)) == []


def test_slack_refusals_are_not_retried_and_keep_the_url_token_out(
        slack: SlackReceiver) -> None:
    slack.answer = (404, b"no_service")
    with pytest.raises(DeliveryFailed) as failed:
        SlackNotifier(slack.url("/services/T1/B1/secret-token")).send(outgoing())
    assert not failed.value.retryable
    assert "no_service" in str(failed.value)
    assert "secret-token" not in str(failed.value)


@pytest.mark.parametrize(("status", "text"), [(429, b"rate_limited"), (500, b"rollup_error")])
def test_slack_throttling_and_outages_are_retried(
        slack: SlackReceiver, status: int, text: bytes) -> None:
    slack.answer = (status, text)
    with pytest.raises(DeliveryFailed) as failed:
        SlackNotifier(slack.url()).send(outgoing())
    assert failed.value.retryable
    assert text.decode() in str(failed.value)


def test_the_webhook_url_may_come_from_the_environment(slack: SlackReceiver) -> None:
    configured = Channel(name="leads", kind=ChannelKind.SLACK, events=frozenset(Event),
                         secret_env="SLACK_LEADS_URL")
    notifier_for(configured, Smtp(), {"SLACK_LEADS_URL": slack.url()}).send(outgoing())
    assert len(slack.bodies) == 1
    with pytest.raises(NotifierConfigError, match="SLACK_LEADS_URL"):
        notifier_for(configured, Smtp(), {})
    with pytest.raises(NotifierConfigError, match="incoming-webhook URL"):
        notifier_for(Channel(name="x", kind=ChannelKind.SLACK, events=frozenset()), Smtp(), {})
