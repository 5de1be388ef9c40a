"""pattern.detected: who gets the alert about a group of tickets, its key and payload, and how
every kind of channel renders it (with and without an escalation)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from escalation.adapters.notify import Outgoing, message_text
from escalation.adapters.notify.email import email_message
from escalation.adapters.notify.slack import slack_message
from escalation.adapters.notify.webhook import payload
from escalation.domain.model import Severity, Target
from escalation.domain.notifications import (
    PATTERN_SEVERITY,
    Channel,
    ChannelKind,
    Event,
    pattern_messages,
)
from escalation.domain.patterns import Cluster, Signal

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
ALL = frozenset(Event)
CLUSTER = Cluster(
    id="c-1f3a",
    ticket_ids=tuple(f"ZD-{n}" for n in range(1, 13)),
    distinct_customers=4,
    label="CSV export drops rows after 10,000 lines",
    first_seen=datetime(2026, 11, 24, 13, 0, tzinfo=UTC),
    last_seen=datetime(2026, 11, 26, 9, 30, tzinfo=UTC),
    signals=(Signal.THREE_PLUS_CUSTOMERS, Signal.RECURRING_AFTER_FIX),
)
PATTERN = {
    "id": "c-1f3a",
    "ticket_ids": [f"ZD-{n}" for n in range(1, 13)],
    "distinct_customers": 4,
    "label": "CSV export drops rows after 10,000 lines",
    "first_seen": "2026-11-24T13:00:00+00:00",
    "last_seen": "2026-11-26T09:30:00+00:00",
    "signals": ["three_plus_customers", "recurring_after_fix"],
}


def channel(name: str, kind: ChannelKind = ChannelKind.WEBHOOK, events: frozenset[Event] = ALL,
            **settings: Any) -> Channel:
    return Channel(name=name, kind=kind, events=events, **settings)


# --- pattern_messages --------------------------------------------------------------------------


def test_one_message_per_channel_that_asks_for_patterns() -> None:
    channels = [
        channel("everything"),
        channel("no-patterns", events=frozenset({Event.OPENED, Event.RESOLVED})),
        channel("security-only", targets=frozenset({Target.SECURITY})),  # targets ignored
        channel("critical-only", severities=frozenset({Severity.CRITICAL})),
        channel("high-and-up", severities=frozenset({Severity.HIGH, Severity.CRITICAL})),
        channel("leads", leads=True, events=frozenset({Event.PATTERN_DETECTED})),
    ]
    messages = pattern_messages(CLUSTER, channels, NOW, 3)
    assert [m.channel for m in messages] == ["everything", "security-only", "high-and-up",
                                             "leads"]
    for m in messages:
        assert m.event is Event.PATTERN_DETECTED
        assert m.key == f"pattern:c-1f3a:3:{m.channel}"
        assert m.escalation_id == ""
        assert m.severity is Severity.HIGH is PATTERN_SEVERITY
        assert m.due_at == NOW and m.recipient is None
        assert m.payload == {"pattern": PATTERN, "threshold": 3}
    assert pattern_messages(CLUSTER, [], NOW, 3) == ()


def test_the_key_is_one_alert_per_cluster_crossing_and_channel() -> None:
    channels = [channel("eng")]
    first = pattern_messages(CLUSTER, channels, NOW, 3)
    again = pattern_messages(CLUSTER, channels, datetime(2026, 11, 27, tzinfo=UTC), 3)
    higher = pattern_messages(CLUSTER, channels, NOW, 5)
    with_escalation = pattern_messages(CLUSTER, channels, NOW, 3, escalation_id="ESC-7")
    assert first[0].key == again[0].key == with_escalation[0].key == "pattern:c-1f3a:3:eng"
    assert higher[0].key == "pattern:c-1f3a:5:eng"
    assert with_escalation[0].escalation_id == "ESC-7"
    assert with_escalation[0].payload == first[0].payload


def test_payload_is_plain_json_and_unknown_times_are_null() -> None:
    vague = Cluster(id="c-2", ticket_ids=("ZD-1", "ZD-2"), distinct_customers=2, label="",
                    first_seen=None, last_seen=None, signals=())
    [message] = pattern_messages(vague, [channel("eng")], NOW, 2)
    assert json.loads(json.dumps(message.payload)) == {
        "pattern": {"id": "c-2", "ticket_ids": ["ZD-1", "ZD-2"], "distinct_customers": 2,
                    "label": "", "first_seen": None, "last_seen": None, "signals": []},
        "threshold": 2,
    }


def test_owner_only_mail_without_recipients_is_left_out_unless_there_is_an_escalation() -> None:
    owners = channel("owners", kind=ChannelKind.EMAIL, owner_only=True)
    owners_and_list = channel("owners-and-list", kind=ChannelKind.EMAIL, owner_only=True,
                              to=("oncall@example.com",))
    alone = pattern_messages(CLUSTER, [owners, owners_and_list], NOW, 3)
    assert [m.channel for m in alone] == ["owners-and-list"]
    covered = pattern_messages(CLUSTER, [owners, owners_and_list], NOW, 3, escalation_id="ESC-7")
    assert [m.channel for m in covered] == ["owners", "owners-and-list"]


# --- rendering -----------------------------------------------------------------------------------

ESCALATION = {
    "id": "ESC-7", "ticket_id": "ZD-1", "status": "acknowledged", "severity": "high",
    "target": "engineering", "owner": "alice", "customer": "Brightwave Retail",
    "customers_affected": 4, "summary": "CSV export drops rows",
    "link": "http://127.0.0.1:8000/escalations/ESC-7",
}


def outgoing(escalation: dict[str, object] | None = None,
             kind: ChannelKind = ChannelKind.WEBHOOK, **pattern: object) -> Outgoing:
    return Outgoing(
        key="pattern:c-1f3a:3:eng", event=Event.PATTERN_DETECTED,
        channel=Channel(name="eng", kind=kind, events=ALL, to=("oncall@example.com",)),
        escalation=escalation or {}, details={"threshold": 3}, due_at=NOW, attempt=1,
        pattern={**PATTERN, **pattern})


def test_text_names_the_group_its_customers_tickets_and_signals() -> None:
    title, body = message_text(outgoing())
    assert title == "Pattern detected: CSV export drops rows after 10,000 lines — 4 customers"
    assert body == (
        "12 similar tickets from 4 customers, first seen Nov 24 13:00 UTC, last seen Nov 26 "
        "09:30 UTC: ZD-1, ZD-2, ZD-3, ZD-4, ZD-5, ZD-6, ZD-7, ZD-8, ZD-9, ZD-10 and 2 more. "
        "Signals: many customers, recurring after a fix. No escalation covers them yet: decide "
        "whether one is needed and whether one fix covers them all.")


def test_text_with_an_escalation_and_with_little_known() -> None:
    title, body = message_text(outgoing(ESCALATION))
    assert title.endswith("— 4 customers (ESC-7)")
    assert "They belong to ESC-7; check whether one fix covers them all." in body
    assert "owner alice" in body
    title, body = message_text(outgoing(label="", distinct_customers=1, ticket_ids=["ZD-9"],
                                        signals=[], first_seen=None, last_seen=None))
    assert title == "Pattern detected: group c-1f3a — 1 customer"
    assert body.startswith("1 similar ticket from 1 customer: ZD-9. No escalation covers")


def test_webhook_body_carries_the_pattern_and_no_escalation() -> None:
    body = json.loads(payload(outgoing(), NOW))
    assert body["event"] == "pattern.detected" and body["key"] == "pattern:c-1f3a:3:eng"
    assert body["pattern"] == PATTERN
    assert body["escalation"] == {} and body["link"] is None
    assert body["details"] == {"threshold": 3}
    assert body["title"].startswith("Pattern detected: CSV export")
    covered = json.loads(payload(outgoing(ESCALATION), NOW))
    assert covered["escalation"]["id"] == "ESC-7" and covered["link"] == ESCALATION["link"]


def test_escalation_messages_have_no_pattern_key() -> None:
    plain = Outgoing(key="k", event=Event.OPENED, channel=channel("eng"), escalation=ESCALATION,
                     details={}, due_at=NOW, attempt=1)
    assert "pattern" not in json.loads(payload(plain, NOW))


def test_slack_shows_the_group_as_fields_without_a_button() -> None:
    message = slack_message(outgoing())
    header, section, context = message["blocks"]
    assert header["text"]["text"].startswith("Pattern detected: CSV export")
    fields = [f["text"] for f in section["fields"]]
    assert fields[:3] == ["*Customers*\n4",
                          "*Tickets*\nZD-1, ZD-2, ZD-3, ZD-4, ZD-5, ZD-6, ZD-7, ZD-8, ZD-9, "
                          "ZD-10 and 2 more",
                          "*Signals*\nmany customers, recurring after a fix"]
    assert fields[3:] == ["*First seen*\nNov 24 13:00 UTC", "*Last seen*\nNov 26 09:30 UTC"]
    assert context["elements"][0]["text"] == "pattern c-1f3a · pattern.detected · Escalation Desk"
    covered = slack_message(outgoing(ESCALATION))
    assert covered["blocks"][-1]["type"] == "actions"
    assert covered["blocks"][2]["elements"][0]["text"].startswith("ESC-7 · pattern c-1f3a")


def test_email_lists_the_group_and_threads_by_it() -> None:
    mail = email_message(outgoing(kind=ChannelKind.EMAIL), "desk@example.com",
                         ["oncall@example.com"], "en", NOW)
    assert mail["Subject"] == ("Pattern detected: CSV export drops rows after 10,000 lines — "
                               "4 customers")
    assert mail["References"] == "<pattern.c-1f3a@example.com>"
    assert mail["X-Escalation-Event"] == "pattern.detected"
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None and html is not None
    plain = text.get_content()
    assert "Tickets: ZD-1, ZD-2," in plain and "Signals: many customers, recurring" in plain
    assert "Open " not in plain
    assert "<li><strong>Customers:</strong> 4</li>" in html.get_content()
    covered = email_message(outgoing(ESCALATION, kind=ChannelKind.EMAIL), "desk@example.com",
                            ["oncall@example.com"], "en", NOW)
    assert covered["References"] == "<escalation.ESC-7@example.com>"
