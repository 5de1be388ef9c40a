"""The title and paragraph every notifier shares: each event, reminders, the catch-up case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from escalation.adapters.notify import Outgoing, as_datetime, message_text, moment_text
from escalation.domain.notifications import Channel, ChannelKind, Event

CHANNEL = Channel(name="eng", kind=ChannelKind.WEBHOOK, events=frozenset(Event))
ESCALATION = {
    "id": "ESC-7", "ticket_id": "ZD-48213", "status": "acknowledged", "severity": "high",
    "target": "engineering", "owner": "alice", "customer": "Brightwave Retail",
    "customers_affected": 3, "summary": "Checkout returns HTTP 500 for saved cards",
    "revenue_at_risk": "$9,000/h", "next_internal_due": "2026-11-26T12:00:00+00:00",
    "next_customer_update_due": "2026-11-26T14:00:00+00:00",
    "link": "http://127.0.0.1:8000/escalations/ESC-7",
}
REMINDER = {"kind": "customer", "due_at": "2026-11-26T10:00:00+00:00",
            "overdue_at": "2026-11-26T14:00:00+00:00"}


def text(event: Event, details: dict[str, Any] | None = None,
         superseded: tuple[dict[str, Any], ...] = (), **escalation: Any) -> tuple[str, str]:
    return message_text(Outgoing(
        key="k", event=event, channel=CHANNEL, escalation={**ESCALATION, **escalation},
        details=details if details is not None else {}, due_at=datetime(2026, 11, 26, tzinfo=UTC),
        attempt=1, superseded=superseded))


# What each event's title says; the body of each is checked below.
TITLES: dict[Event, tuple[str, dict[str, Any], str]] = {
    Event.OPENED: ("escalation.opened", {},
                   "[HIGH] ESC-7 opened for engineering: Checkout returns HTTP 500 for saved "
                   "cards"),
    Event.ACKNOWLEDGED: ("escalation.acknowledged", {"from": "open", "to": "acknowledged"},
                         "[HIGH] ESC-7 acknowledged by engineering"),
    Event.SEVERITY_CHANGED: ("severity.changed",
                             {"from": "high", "to": "critical", "reason": "data loss confirmed"},
                             "[HIGH] ESC-7 severity raised: high → critical"),
    Event.DEESCALATED: ("escalation.deescalated",
                        {"from": "acknowledged", "reason": "workaround_found",
                         "note": "Customer uses new cards until the fix ships"},
                        "[HIGH] ESC-7 de-escalated: a workaround unblocks the customer"),
    Event.RESOLVED: ("escalation.resolved",
                     {"resolution": "Hotfix 2.41.1 deployed", "learning": "Test saved cards"},
                     "[HIGH] ESC-7 resolved: Checkout returns HTTP 500 for saved cards"),
    Event.CLOSED: ("escalation.closed", {"from": "resolved"},
                   "[HIGH] ESC-7 closed: Checkout returns HTTP 500 for saved cards"),
    Event.FOLLOWUP_DUE_SOON: ("followup.due_soon", {**REMINDER, "kind": "internal"},
                              "[HIGH] ESC-7 follow-up due soon: internal check-in due Nov 26 "
                              "10:00 UTC"),
    Event.FOLLOWUP_DUE: ("followup.due", REMINDER,
                         "[HIGH] ESC-7 follow-up due: customer update due Nov 26 10:00 UTC"),
    Event.FOLLOWUP_OVERDUE: ("followup.overdue", REMINDER,
                             "[HIGH] ESC-7 follow-up overdue: customer update was due Nov 26 "
                             "10:00 UTC (overdue since 14:00 UTC)"),
    Event.PATTERN_DETECTED: ("pattern.detected",
                             {"summary": "Webhook deliveries delayed",
                              "customers": ["acme", "globex", "initech"],
                              "tickets": ["ZD-1", "ZD-2", "ZD-3"]},
                             "[HIGH] ESC-7 pattern detected: Webhook deliveries delayed"),
}


def test_every_event_has_a_title_case() -> None:
    assert set(TITLES) == set(Event)
    assert {value for value, _, _ in TITLES.values()} == {e.value for e in Event}


@pytest.mark.parametrize("event", list(Event))
def test_title_and_one_paragraph_body_for_every_event(event: Event) -> None:
    _, details, expected_title = TITLES[event]
    title, body = text(event, details)
    assert title == expected_title
    assert "\n" not in title and "\n" not in body
    assert "  " not in body
    # The shared context: what, for whom, how bad, who, what is due next.
    assert "Checkout returns HTTP 500 for saved cards (ticket ZD-48213, Brightwave Retail)." in (
        body)
    assert "Impact: 3 customers affected, $9,000/h revenue at risk." in body
    assert "Target engineering, owner alice, status acknowledged." in body
    assert ("Next internal check-in due Nov 26 12:00 UTC; next customer update due Nov 26 "
            "14:00 UTC.") in body
    # The link is not in the paragraph: each kind places it (button, field, footer).
    assert "http://" not in body


def test_event_specific_sentences_lead_the_body() -> None:
    bodies = {event: text(event, details)[1] for event, (_, details, _) in TITLES.items()}
    assert bodies[Event.OPENED].startswith(
        "ESC-7 was escalated to engineering at high severity, owned by alice.")
    assert bodies[Event.SEVERITY_CHANGED].startswith(
        "Severity of ESC-7 raised from high to critical: data loss confirmed.")
    assert "Note: Customer uses new cards until the fix ships." in bodies[Event.DEESCALATED]
    assert bodies[Event.RESOLVED].startswith(
        "ESC-7 is resolved. Resolution: Hotfix 2.41.1 deployed. Learning: Test saved cards.")
    assert bodies[Event.FOLLOWUP_DUE].startswith(
        "The customer update on ESC-7 is due now (Nov 26 10:00 UTC); it becomes overdue at "
        "14:00 UTC.")
    assert bodies[Event.FOLLOWUP_OVERDUE].startswith(
        "The customer update on ESC-7 was due Nov 26 10:00 UTC and has not been recorded "
        "(overdue since 14:00 UTC)")
    assert "(3 customers; tickets ZD-1, ZD-2, ZD-3)" in bodies[Event.PATTERN_DETECTED]


def test_severity_lowered_and_without_a_reason() -> None:
    title, body = text(Event.SEVERITY_CHANGED, {"from": "critical", "to": "medium"},
                       severity="medium")
    assert title == "[MEDIUM] ESC-7 severity lowered: critical → medium"
    assert body.startswith("Severity of ESC-7 lowered from critical to medium. Follow-up")


def test_the_consolidated_catch_up_names_what_it_stands_for() -> None:
    superseded = (
        {"event": "followup.due_soon", "due_at": "2026-11-26T09:30:00+00:00",
         "details": {"kind": "customer"}},
        {"event": "followup.due", "due_at": "2026-11-26T10:00:00+00:00",
         "payload": {"kind": "customer"}},
    )
    title, body = text(Event.FOLLOWUP_OVERDUE, REMINDER, superseded)
    assert title == ("[HIGH] ESC-7 follow-up overdue: customer update was due Nov 26 10:00 UTC "
                     "(overdue since 14:00 UTC)")
    assert body.endswith(
        "This message stands for 2 earlier reminders that fell due while notifications were "
        "paused: customer update due soon at Nov 26 09:30 UTC; customer update due at Nov 26 "
        "10:00 UTC.")
    _, single = text(Event.FOLLOWUP_OVERDUE, REMINDER, superseded[:1])
    assert "stands for 1 earlier reminder that" in single
    _, alone = text(Event.FOLLOWUP_OVERDUE, REMINDER)
    assert "earlier reminder" not in alone


def test_a_sparse_summary_still_reads() -> None:
    title, body = message_text(Outgoing(
        key="k", event=Event.FOLLOWUP_DUE, channel=CHANNEL, escalation={"id": "ESC-9"},
        details={"due_at": "2026-11-26T10:00:00Z"}, due_at=datetime(2026, 11, 26, tzinfo=UTC),
        attempt=1))
    assert title == "ESC-9 follow-up due: follow-up due Nov 26 10:00 UTC"
    assert body == "The follow-up on ESC-9 is due now (Nov 26 10:00 UTC)."


def test_free_text_is_kept_on_one_line() -> None:
    title, body = text(Event.OPENED, summary="Export\nfails\tafter   upgrade.")
    assert title.endswith("opened for engineering: Export fails after upgrade")
    assert "Export fails after upgrade (ticket ZD-48213" in body


def test_moments_are_shown_in_utc() -> None:
    shanghai = timezone(timedelta(hours=8))
    assert moment_text(datetime(2026, 11, 26, 18, 5, tzinfo=shanghai)) == "Nov 26 10:05 UTC"
    assert moment_text("2026-11-26T10:05:00Z") == "Nov 26 10:05 UTC"
    assert moment_text("2026-11-26T10:05:00") == "Nov 26 10:05 UTC"  # naive means UTC
    assert moment_text("2026-11-26T14:00:00+00:00", same_day_as="2026-11-26T10:00:00Z") == (
        "14:00 UTC")
    assert moment_text("2026-11-27T01:00:00+00:00", same_day_as="2026-11-26T10:00:00Z") == (
        "Nov 27 01:00 UTC")
    assert moment_text("next week") == "next week"
    assert moment_text(None) == "(unknown time)"
    assert as_datetime("not a date") is None
