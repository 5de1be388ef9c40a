"""Notifiers: one small class per kind of outside system (webhook, Slack, e-mail), one interface.

The worker hands a notifier one `Outgoing` message at a time. `send` returns when the receiver
accepted it and raises `DeliveryFailed` otherwise, saying whether trying again can help
(timeouts, connection errors, HTTP 5xx/429, SMTP 4xx) or not (other HTTP 4xx, SMTP 5xx).
`notifier_for` builds the notifier of a configured channel; `message_text` is the title and
one-paragraph body every kind shares, so a reminder reads the same in Slack, mail and JSON.

A `pattern.detected` alert about a group of similar tickets carries the group in
`Outgoing.pattern` (id, ticket_ids, distinct_customers, label, first_seen, last_seen, signals);
its escalation summary is empty when the group has no escalation. `pattern_facts` and
`pattern_subject` are what every kind shows of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from escalation.domain.brief import Brief
from escalation.domain.notifications import Channel, ChannelKind, Event, Smtp


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message as the worker hands it over: the event, its channel and what to say."""

    key: str  # idempotency key: stable across retries and re-sends
    event: Event
    channel: Channel
    # Summary of the escalation: id, ticket_id, status, severity, target, owner, customer,
    # customers_affected, summary, revenue_at_risk (text or None), next_internal_due,
    # next_customer_update_due (ISO or None), link (URL); owner_email when known.
    escalation: Mapping[str, Any]
    # The event's details, e.g. {"from": "high", "to": "critical", "reason": …}, or for
    # reminders {"kind": "internal", "due_at": …, "overdue_at": …}.
    details: Mapping[str, Any]
    due_at: datetime
    attempt: int  # 1 for the first try
    # Older stale reminders this one stands for after downtime ("overdue since 10:00").
    superseded: tuple[Mapping[str, Any], ...] = ()
    brief: Brief | None = None  # for e-mail: rendered in the channel's language
    # pattern.detected about a group of tickets: id, ticket_ids, distinct_customers, label,
    # first_seen, last_seen (ISO or None), signals. `escalation` is {} when it has none.
    pattern: Mapping[str, Any] | None = None


class DeliveryFailed(Exception):  # noqa: N818 - reads as an outcome: "delivery failed"
    """The receiver did not accept a message; `retryable` says whether trying again can help."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


class NotifierConfigError(ValueError):
    """A channel that cannot be reached as configured (no URL, a secret variable unset, …)."""


class Notifier(Protocol):
    """Delivers messages to one channel."""

    def send(self, outgoing: Outgoing) -> None:
        """Deliver `outgoing`; return when accepted, raise `DeliveryFailed` otherwise."""
        ...


def notifier_for(channel: Channel, smtp: Smtp, env: Mapping[str, str]) -> Notifier:
    """The notifier of `channel`; secrets come from the channel or from `env`.

    Raises `NotifierConfigError` naming the setting or environment variable to fix.
    """
    # Imported on demand: the kinds import `Outgoing` from this package, and a desk with only
    # e-mail channels never needs to load the HTTP client.
    if channel.kind is ChannelKind.WEBHOOK:
        from escalation.adapters.notify.webhook import WebhookNotifier  # noqa: PLC0415

        if not channel.url:
            raise NotifierConfigError(
                f"channel {channel.name!r}: a webhook needs `url` (the receiver's address)")
        return WebhookNotifier(channel.url, secret=_secret(channel, env))
    if channel.kind is ChannelKind.SLACK:
        from escalation.adapters.notify.slack import SlackNotifier  # noqa: PLC0415

        # A Slack incoming-webhook URL is itself the credential, so it may live in the
        # environment (`secret_env`) instead of the policy file.
        url = channel.url or _secret(channel, env)
        if not url:
            raise NotifierConfigError(
                f"channel {channel.name!r}: a Slack channel needs `url` (the incoming-webhook "
                "URL), or `secret_env` naming the environment variable that holds it")
        return SlackNotifier(url)
    if channel.kind is ChannelKind.EMAIL:
        from escalation.adapters.notify.email import EmailNotifier  # noqa: PLC0415

        if bool(smtp.username_env) != bool(smtp.password_env):
            raise NotifierConfigError(
                "smtp: set both `username_env` and `password_env` (the variables holding the "
                "SMTP user and password), or neither")
        if not channel.to and not channel.owner_only:
            raise NotifierConfigError(
                f"channel {channel.name!r}: an e-mail channel needs `to` (recipient addresses) "
                "or `owner_only = true`")
        return EmailNotifier(
            smtp,
            to=channel.to,
            lang=channel.lang,
            owner_only=channel.owner_only,
            username=_env_value(channel, env, smtp.username_env, "smtp.username_env"),
            password=_env_value(channel, env, smtp.password_env, "smtp.password_env"),
        )
    raise NotifierConfigError(f"channel {channel.name!r}: unknown kind {channel.kind!r}")


def _secret(channel: Channel, env: Mapping[str, str]) -> str | None:
    if channel.secret:
        return channel.secret
    return _env_value(channel, env, channel.secret_env, "secret_env")


def _env_value(
    channel: Channel, env: Mapping[str, str], name: str | None, setting: str
) -> str | None:
    if not name:
        return None
    value = env.get(name, "")
    if not value:
        raise NotifierConfigError(
            f"channel {channel.name!r}: environment variable {name} is not set "
            f"(named by `{setting}`); export it before starting the worker")
    return value


# --- The words every kind shares -------------------------------------------------------------

_FOLLOWUP_KINDS = {"internal": "internal check-in", "customer": "customer update"}

_DEESCALATION_REASONS = {
    "root_cause_support": "root cause found, support can resolve it",
    "workaround_found": "a workaround unblocks the customer",
    "self_resolved": "the issue resolved itself",
    "severity_reassessed": "new information changed the severity",
}

_SEVERITY_ORDER = ("medium", "high", "critical")

# "followup.due_soon" -> "due soon", for the list of missed reminders.
_EVENT_LABELS = {e.value: e.value.split(".", 1)[1].replace("_", " ") for e in Event}


def message_text(outgoing: Outgoing) -> tuple[str, str]:
    """The title and one-paragraph body of `outgoing`, shared by every kind of channel.

    For example ("[HIGH] ESC-7 follow-up overdue: customer update was due Nov 26 10:00 UTC
    (overdue since 14:00 UTC)", "The customer update on ESC-7 … Next customer update due …").
    """
    if outgoing.pattern is not None:
        return _pattern_alert(outgoing, outgoing.pattern)
    esc = outgoing.escalation
    details = outgoing.details
    ident = str(esc.get("id") or "escalation")
    severity = str(esc.get("severity") or "").lower()
    tag = f"[{severity.upper()}] " if severity else ""
    target = str(esc.get("target") or "the receiving team")
    summary = _one_line(str(esc.get("summary") or "")).rstrip(".")  # for titles
    event = outgoing.event

    headline: str
    lead: str
    if event is Event.OPENED:
        owner = esc.get("owner")
        headline = f"{ident} opened for {target}" + (f": {summary}" if summary else "")
        lead = f"{ident} was escalated to {target} at {severity or 'unknown'} severity" + (
            f", owned by {owner}." if owner else ".")
    elif event is Event.ACKNOWLEDGED:
        by = details.get("by") or details.get("actor")
        headline = f"{ident} acknowledged by {by or target}"
        lead = f"{_upper_first(str(by or target))} acknowledged {ident}; follow-ups continue."
    elif event is Event.SEVERITY_CHANGED:
        before, after = str(details.get("from") or "?"), str(details.get("to") or severity)
        verb = _severity_verb(before, after)
        headline = f"{ident} severity {verb}: {before} → {after}"
        lead = f"Severity of {ident} {verb} from {before} to {after}" + _because(details)
        lead += " Follow-up times were re-planned."
    elif event is Event.DEESCALATED:
        code = str(details.get("reason") or "")
        reason = _DEESCALATION_REASONS.get(code, code.replace("_", " ") or "no reason given")
        headline = f"{ident} de-escalated: {reason}"
        note = _sentence(details.get("note"))
        lead = f"{ident} was de-escalated ({reason})." + (f" Note: {note}" if note else "")
    elif event is Event.RESOLVED:
        headline = f"{ident} resolved" + (f": {summary}" if summary else "")
        resolution = _sentence(details.get("resolution"))
        learning = _sentence(details.get("learning"))
        lead = f"{ident} is resolved." + (f" Resolution: {resolution}" if resolution else "")
        lead += f" Learning: {learning}" if learning else ""
        lead += " Confirm with the customer and finish the closing checklist."
    elif event is Event.CLOSED:
        headline = f"{ident} closed" + (f": {summary}" if summary else "")
        lead = f"{ident} is closed: the resolution is confirmed and the closing checklist done."
    elif event in (Event.FOLLOWUP_DUE_SOON, Event.FOLLOWUP_DUE, Event.FOLLOWUP_OVERDUE):
        headline, lead = _reminder(event, ident, details)
    elif event is Event.PATTERN_DETECTED:
        headline, lead = _pattern(ident, details, summary)
    else:  # pragma: no cover - every Event is handled above
        headline, lead = f"{ident}: {event.value}", f"{ident}: {event.value}."

    title = _one_line(tag + headline)
    parts = [lead, _context(esc), _missed(outgoing.superseded)]
    return title, _one_line(" ".join(p for p in parts if p))


def _reminder(event: Event, ident: str, details: Mapping[str, Any]) -> tuple[str, str]:
    kind = str(details.get("kind") or "")
    what = _FOLLOWUP_KINDS.get(kind, f"{kind} follow-up" if kind else "follow-up")
    due = moment_text(details.get("due_at"))
    overdue = moment_text(details.get("overdue_at"), same_day_as=details.get("due_at"))
    if event is Event.FOLLOWUP_DUE_SOON:
        return (f"{ident} follow-up due soon: {what} due {due}",
                f"The {what} on {ident} is due {due}; do it and record it before then.")
    if event is Event.FOLLOWUP_DUE:
        return (f"{ident} follow-up due: {what} due {due}",
                f"The {what} on {ident} is due now ({due})"
                + (f"; it becomes overdue at {overdue}." if details.get("overdue_at") else "."))
    since = f" (overdue since {overdue})" if details.get("overdue_at") else ""
    return (f"{ident} follow-up overdue: {what} was due {due}{since}",
            f"The {what} on {ident} was due {due} and has not been recorded{since}; "
            "do it now and record it.")


def _pattern(ident: str, details: Mapping[str, Any], summary: str) -> tuple[str, str]:
    about = _one_line(str(details.get("summary") or details.get("description")
                          or details.get("signal") or details.get("kind") or "")).rstrip(".")
    about = about or summary
    headline = f"{ident} pattern detected" + (f": {about}" if about else "")
    facts = []
    customers = details.get("customers")
    count = len(customers) if isinstance(customers, Sequence) and not isinstance(
        customers, str) else customers
    if count:
        facts.append(f"{count} customers")
    tickets = details.get("tickets")
    if isinstance(tickets, Sequence) and not isinstance(tickets, str) and tickets:
        facts.append("tickets " + ", ".join(str(t) for t in tickets[:10])
                     + (f" and {len(tickets) - 10} more" if len(tickets) > 10 else ""))
    lead = f"A pattern was detected around {ident}" + (
        f" ({'; '.join(facts)})." if facts else ".")
    return headline, lead + " Check whether one fix covers them all."


# How a group's signals read in a message.
_SIGNAL_TEXT = {
    "three_plus_customers": "many customers",
    "recurring_after_fix": "recurring after a fix",
    "severity_increasing": "severity increasing",
}

# Tickets a message lists by id; the rest are counted.
PATTERN_TICKETS_SHOWN = 10


def pattern_subject(pattern: Mapping[str, Any]) -> str:
    """What the group is about: its label, or "group <id>" when it has none."""
    label = _one_line(str(pattern.get("label") or ""))
    return label or f"group {pattern.get('id') or '(unknown)'}"


def _count(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return len(value) if isinstance(value, Sequence) and not isinstance(value, str) else None


def pattern_customers(pattern: Mapping[str, Any]) -> str:
    """"3 customers" (or "1 customer"; "? customers" when unknown)."""
    count = _count(pattern.get("distinct_customers"))
    if count is None:
        return "? customers"
    return f"{count} customer{'s' if count != 1 else ''}"


def _strings(raw: object) -> list[str]:
    """A payload list as strings ([] when it is not a list)."""
    if isinstance(raw, Sequence) and not isinstance(raw, str):
        return [str(item) for item in raw]
    return []


def pattern_tickets(pattern: Mapping[str, Any], limit: int = PATTERN_TICKETS_SHOWN) -> str:
    """"ZD-1, ZD-2, … and 4 more": the first `limit` ticket ids of the group."""
    ids = _strings(pattern.get("ticket_ids"))
    shown = ", ".join(ids[:limit])
    rest = len(ids) - limit
    return shown + (f" and {rest} more" if rest > 0 else "")


def pattern_signals(pattern: Mapping[str, Any]) -> list[str]:
    """The group's signals as words ("recurring after a fix", …), in their order."""
    return [_SIGNAL_TEXT.get(code, code.replace("_", " "))
            for code in _strings(pattern.get("signals"))]


def pattern_facts(pattern: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs of a group for fields and lists: customers, tickets, signals, when."""
    count = _count(pattern.get("distinct_customers"))
    facts = [("Customers", str(count) if count is not None else "?")]
    tickets = pattern_tickets(pattern)
    if tickets:
        facts.append(("Tickets", tickets))
    signals = pattern_signals(pattern)
    if signals:
        facts.append(("Signals", ", ".join(signals)))
    if pattern.get("first_seen"):
        facts.append(("First seen", moment_text(pattern["first_seen"])))
    if pattern.get("last_seen"):
        facts.append(("Last seen", moment_text(pattern["last_seen"])))
    return facts


def _pattern_alert(outgoing: Outgoing, pattern: Mapping[str, Any]) -> tuple[str, str]:
    """A group of similar tickets, with or without an escalation."""
    esc = outgoing.escalation
    ident = str(esc.get("id") or "")
    customers = pattern_customers(pattern)
    title = f"Pattern detected: {pattern_subject(pattern)} — {customers}" + (
        f" ({ident})" if ident else "")
    count = _count(pattern.get("ticket_ids"))
    tickets = pattern_tickets(pattern)
    lead = (f"{count} similar ticket{'s' if count != 1 else ''} from {customers}"
            if count else f"Similar tickets from {customers}")
    first = pattern.get("first_seen")
    last = pattern.get("last_seen")
    if first and last:
        lead += f", first seen {moment_text(first)}, last seen {moment_text(last, first)}"
    lead += f": {tickets}." if tickets else "."
    signals = pattern_signals(pattern)
    parts = [lead]
    if signals:
        parts.append(f"Signals: {', '.join(signals)}.")
    if ident:
        parts.append(f"They belong to {ident}; check whether one fix covers them all.")
        parts.append(_context(esc))
    else:
        parts.append("No escalation covers them yet: decide whether one is needed and whether "
                     "one fix covers them all.")
    return _one_line(title), _one_line(" ".join(p for p in parts if p))


def _context(esc: Mapping[str, Any]) -> str:
    """The escalation at a glance: what, for whom, how bad, what is due next."""
    bits = []
    summary = _sentence(esc.get("summary"))
    ticket = esc.get("ticket_id")
    customer = esc.get("customer")
    who = ", ".join(str(x) for x in (f"ticket {ticket}" if ticket else None, customer) if x)
    if summary or who:
        bits.append(f"{summary.rstrip('.')} ({who})." if summary and who
                    else (summary or f"{_upper_first(who)}."))
    impact = []
    affected = esc.get("customers_affected")
    if affected:
        impact.append(f"{affected} customer{'s' if affected != 1 else ''} affected")
    if esc.get("revenue_at_risk"):
        impact.append(f"{esc['revenue_at_risk']} revenue at risk")
    if impact:
        bits.append(f"Impact: {', '.join(impact)}.")
    people = []
    if esc.get("target"):
        people.append(f"target {esc['target']}")
    if esc.get("owner"):
        people.append(f"owner {esc['owner']}")
    if esc.get("status"):
        people.append(f"status {str(esc['status']).replace('_', ' ')}")
    if people:
        bits.append(f"{_upper_first(', '.join(people))}.")
    due = []
    if esc.get("next_internal_due"):
        due.append(f"next internal check-in due {moment_text(esc['next_internal_due'])}")
    if esc.get("next_customer_update_due"):
        due.append(f"next customer update due {moment_text(esc['next_customer_update_due'])}")
    if due:
        bits.append(f"{_upper_first('; '.join(due))}.")
    return " ".join(bits)


def _missed(superseded: Sequence[Mapping[str, Any]]) -> str:
    """The consolidated case: what fell due while notifications were paused."""
    if not superseded:
        return ""
    items = []
    for old in superseded:
        event = str(old.get("event") or "reminder")
        label = _EVENT_LABELS.get(event, event)
        inner = old.get("details") or old.get("payload") or {}
        kind = inner.get("kind") if isinstance(inner, Mapping) else None
        kind = kind or old.get("kind")
        what = _FOLLOWUP_KINDS.get(str(kind), "") if kind else ""
        when = moment_text(old.get("due_at")) if old.get("due_at") else ""
        items.append(" ".join(x for x in (what, label, f"at {when}" if when else "") if x))
    count = len(superseded)
    return (f"This message stands for {count} earlier reminder{'s' if count != 1 else ''} "
            f"that fell due while notifications were paused: {'; '.join(items)}.")


def _because(details: Mapping[str, Any]) -> str:
    reason = _sentence(details.get("reason"))
    return f": {reason}" if reason else "."


def _severity_verb(before: str, after: str) -> str:
    if before in _SEVERITY_ORDER and after in _SEVERITY_ORDER:
        if _SEVERITY_ORDER.index(after) > _SEVERITY_ORDER.index(before):
            return "raised"
        if _SEVERITY_ORDER.index(after) < _SEVERITY_ORDER.index(before):
            return "lowered"
    return "changed"


def _sentence(value: object) -> str:
    """A free-text value as one sentence ending in a full stop, or "" when absent."""
    text = _one_line(str(value)) if value not in (None, "") else ""
    if text and text[-1] not in ".!?。！？":
        text += "."
    return text


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def as_datetime(value: object) -> datetime | None:
    """A datetime from a datetime or an ISO 8601 string (naive means UTC); None otherwise."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def moment_text(value: object, same_day_as: object = None) -> str:
    """A moment as "Nov 26 10:00 UTC", or "14:00 UTC" when on the day of `same_day_as`."""
    moment = as_datetime(value)
    if moment is None:
        return str(value) if value not in (None, "") else "(unknown time)"
    reference = as_datetime(same_day_as)
    if reference is not None and reference.date() == moment.date():
        return moment.strftime("%H:%M UTC")
    return f"{moment.strftime('%b')} {moment.day} {moment.strftime('%H:%M')} UTC"


__all__ = [
    "DeliveryFailed",
    "Notifier",
    "NotifierConfigError",
    "Outgoing",
    "as_datetime",
    "message_text",
    "moment_text",
    "notifier_for",
    "pattern_customers",
    "pattern_facts",
    "pattern_signals",
    "pattern_subject",
    "pattern_tickets",
]
