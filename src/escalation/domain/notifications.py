"""Notifications: which events reach which channel, retries, quiet hours, and reminder plans.

Every state change that should reach people becomes outbox messages in the same transaction
as the change; follow-up reminders are messages with a due time (due soon, due, overdue). A
worker delivers them. This module decides, purely: who gets what (`route`), when a message may
go (`release_at`, quiet hours), when to try again (`retry_at`, exponential backoff with
jitter, dead-letter after the limit), and how stale reminders of one escalation collapse into
one message after downtime (`consolidate`). `pattern_messages` announces a group of similar
tickets (`pattern.detected`), which may belong to no escalation at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from escalation.domain.errors import PolicyError
from escalation.domain.model import Escalation, FollowupClock, Severity, Target
from escalation.domain.patterns import Cluster, cluster_to_mapping

if TYPE_CHECKING:
    from escalation.domain.calendar import BusinessCalendar


class Event(StrEnum):
    """What happened, as notifications name it."""

    OPENED = "escalation.opened"
    ACKNOWLEDGED = "escalation.acknowledged"
    SEVERITY_CHANGED = "severity.changed"
    DEESCALATED = "escalation.deescalated"
    RESOLVED = "escalation.resolved"
    CLOSED = "escalation.closed"
    FOLLOWUP_DUE_SOON = "followup.due_soon"
    FOLLOWUP_DUE = "followup.due"
    FOLLOWUP_OVERDUE = "followup.overdue"
    PATTERN_DETECTED = "pattern.detected"


REMINDER_EVENTS = (Event.FOLLOWUP_DUE_SOON, Event.FOLLOWUP_DUE, Event.FOLLOWUP_OVERDUE)


class ChannelKind(StrEnum):
    """How a channel is reached."""

    WEBHOOK = "webhook"  # generic JSON webhook, HMAC-SHA256 signed
    SLACK = "slack"  # Slack-compatible incoming webhook (Block Kit)
    EMAIL = "email"  # SMTP


@dataclass(frozen=True, slots=True)
class Channel:
    """One configured destination and the events, targets and severities it wants."""

    name: str
    kind: ChannelKind
    events: frozenset[Event]
    url: str | None = None  # webhook, slack
    secret: str | None = None  # webhook: the HMAC key, written in the file
    secret_env: str | None = None  # …or the name of the environment variable holding it
    to: tuple[str, ...] = ()  # email recipients
    targets: frozenset[Target] | None = None  # None: every target
    severities: frozenset[Severity] | None = None  # None: every severity
    lang: str = "en"  # language of e-mailed briefs
    owner_only: bool = False  # reminders only for the escalation's owner (by e-mail address)
    leads: bool = False  # the team lead's channel: receives overdue reminders

    def wants(self, event: Event, target: Target, severity: Severity) -> bool:
        """Whether this channel receives `event` for an escalation of `target`/`severity`."""
        return (
            event in self.events
            and (self.targets is None or target in self.targets)
            and (self.severities is None or severity in self.severities)
        )


@dataclass(frozen=True, slots=True)
class Person:
    """Someone who receives notifications: their working hours decide quiet hours."""

    name: str
    timezone: str | None = None
    country: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """Outbox settings: how often to retry, when to give up, how long a claim lasts."""

    max_attempts: int = 8
    base_delay_seconds: float = 15.0
    max_delay_seconds: float = 3600.0
    lease_seconds: float = 60.0
    poll_seconds: float = 10.0
    batch_size: int = 100
    base_url: str = "http://127.0.0.1:8000"  # links in messages point here


@dataclass(frozen=True, slots=True)
class Smtp:
    """How e-mail leaves: host, port, STARTTLS; credentials are read from the environment."""

    host: str = "127.0.0.1"
    port: int = 25
    starttls: bool = False
    sender: str = "escalation-desk@localhost"
    username_env: str | None = None
    password_env: str | None = None


@dataclass(frozen=True, slots=True)
class Notifications:
    """The policy's notification settings."""

    channels: tuple[Channel, ...] = ()
    people: tuple[Person, ...] = ()
    delivery: Delivery = field(default_factory=Delivery)
    smtp: Smtp = field(default_factory=Smtp)

    def channel(self, name: str) -> Channel | None:
        """The channel of that name, if configured."""
        for channel in self.channels:
            if channel.name == name:
                return channel
        return None

    def person(self, name: str) -> Person | None:
        """The configured person of that name (case-insensitive), if any."""
        for person in self.people:
            if person.name.lower() == name.lower():
                return person
        return None


@dataclass(frozen=True, slots=True)
class Message:
    """One outbox row to write: an event for one channel, due at a moment."""

    key: str  # idempotency key: stable across retries and re-sends
    event: Event
    escalation_id: str  # "" for a message about no escalation (a pattern without one)
    channel: str
    due_at: datetime
    severity: Severity
    recipient: str | None  # the person whose quiet hours apply (None: the channel's)
    payload: Mapping[str, Any]


def route(
    event: Event, escalation: Escalation, channels: Iterable[Channel]
) -> tuple[Channel, ...]:
    """The channels that receive `event` about `escalation`.

    Overdue reminders go to the owner and to the lead channels; other reminders only to the
    owner's channels; everything else to the channels that ask for it.
    """
    chosen = []
    for channel in channels:
        if not channel.wants(event, escalation.target, escalation.severity):
            continue
        if event in REMINDER_EVENTS and channel.leads and event is not Event.FOLLOWUP_OVERDUE:
            continue
        chosen.append(channel)
    return tuple(chosen)


def message_key(escalation_id: str, event: Event, channel: str, moment: datetime,
                kind: str = "") -> str:
    """The idempotency key of one message: the same inputs always give the same key."""
    stamp = moment.strftime("%Y%m%dT%H%M%S%z")
    return f"{escalation_id}:{event.value}{':' + kind if kind else ''}:{stamp}:{channel}"


def event_messages(
    event: Event,
    escalation: Escalation,
    channels: Iterable[Channel],
    at: datetime,
    details: Mapping[str, Any],
    seq: int,
) -> tuple[Message, ...]:
    """Messages for a state change, due at once, one per receiving channel."""
    return tuple(
        Message(
            key=f"{escalation.id}:{event.value}:{seq}:{channel.name}",
            event=event, escalation_id=escalation.id, channel=channel.name, due_at=at,
            severity=escalation.severity, recipient=None,
            payload={"details": dict(details)},
        )
        for channel in route(event, escalation, channels)
    )


# A pattern has no severity of its own: channels that filter by severity see it as High.
PATTERN_SEVERITY = Severity.HIGH


def pattern_messages(
    cluster: Cluster,
    channels: Iterable[Channel],
    at: datetime,
    threshold: int,
    escalation_id: str | None = None,
) -> tuple[Message, ...]:
    """`pattern.detected` messages for a group of similar tickets, due at once, one per channel.

    A channel receives it when its `events` include `pattern.detected`. Target filters do not
    apply (a group of tickets has no target yet); severity filters see the pattern as
    `PATTERN_SEVERITY` (High), and the message goes out at High. An e-mail channel meant only
    for escalation owners (`owner_only` without `to`) is left out when there is no escalation,
    since it would have nobody to write to.

    `threshold` is the level the group crossed (e.g. the distinct customers that make a
    pattern): the key `pattern:<cluster id>:<threshold>:<channel>` makes one alert per crossing
    per channel, however often the group is seen again. `escalation_id` names the open
    escalation the group belongs to, if any ("" in the message when none); the key does not
    depend on it.
    """
    escalation = escalation_id or ""
    payload: dict[str, Any] = {
        "pattern": cluster_to_mapping(cluster),
        "threshold": threshold,
    }
    out = []
    for channel in channels:
        if Event.PATTERN_DETECTED not in channel.events:
            continue
        if channel.severities is not None and PATTERN_SEVERITY not in channel.severities:
            continue
        if not escalation and channel.owner_only and not channel.to:
            continue
        out.append(Message(
            key=f"pattern:{cluster.id}:{threshold}:{channel.name}",
            event=Event.PATTERN_DETECTED, escalation_id=escalation, channel=channel.name,
            due_at=at, severity=PATTERN_SEVERITY, recipient=None, payload=payload,
        ))
    return tuple(out)


def reminder_messages(
    escalation: Escalation,
    clock: FollowupClock,
    channels: Iterable[Channel],
    due_soon_minutes: int,
) -> tuple[Message, ...]:
    """The three reminders of one follow-up clock: due soon, due, overdue."""
    moments = (
        (Event.FOLLOWUP_DUE_SOON, clock.due_at - timedelta(minutes=due_soon_minutes)),
        (Event.FOLLOWUP_DUE, clock.due_at),
        (Event.FOLLOWUP_OVERDUE, clock.overdue_at),
    )
    channel_list = tuple(channels)
    out = []
    for event, moment in moments:
        for channel in route(event, escalation, channel_list):
            out.append(Message(
                key=message_key(escalation.id, event, channel.name, clock.due_at,
                                clock.kind.value),
                event=event, escalation_id=escalation.id, channel=channel.name,
                due_at=moment, severity=escalation.severity,
                recipient=None if channel.leads else escalation.owner,
                payload={"kind": clock.kind.value, "due_at": clock.due_at.isoformat(),
                         "overdue_at": clock.overdue_at.isoformat()},
            ))
    return tuple(out)


def release_at(
    due_at: datetime, severity: Severity, calendar: BusinessCalendar | None
) -> datetime:
    """When a message may go out: at once for Critical, else within the recipient's hours."""
    if severity is Severity.CRITICAL or calendar is None:
        return due_at
    return calendar.next_open(due_at)


def retry_at(attempts: int, now: datetime, delivery: Delivery, jitter: float) -> datetime | None:
    """When to try again after `attempts` failures; None once the limit is reached.

    Exponential backoff (base × 2^(attempts-1), capped) with "full jitter": `jitter` in [0, 1)
    picks the delay between half and all of it, so failing messages do not retry in lockstep.
    """
    if attempts >= delivery.max_attempts:
        return None
    delay = min(delivery.max_delay_seconds, delivery.base_delay_seconds * 2 ** (attempts - 1))
    return now + timedelta(seconds=delay * (0.5 + 0.5 * jitter))


@dataclass(frozen=True, slots=True)
class Pending:
    """A message the worker holds, as read from the outbox."""

    id: int
    key: str
    event: Event
    escalation_id: str  # "" when the message is about no escalation
    channel: str
    due_at: datetime
    payload: Mapping[str, Any]


def consolidate(batch: Sequence[Pending], now: datetime, stale_after: timedelta) -> tuple[
        list[tuple[Pending, list[Pending]]], list[Pending]]:
    """Collapse stale reminders of one escalation and channel into one message.

    After downtime several reminders of one escalation may be due at once ("due soon", "due"
    and "overdue" of the same clock, or of several clocks). The newest stale reminder stands
    for the group ("overdue since 10:00") and the others are marked superseded. Returns
    (to_send as (message, superseded_by_it), superseded).
    """
    groups: dict[tuple[str, str], list[Pending]] = {}
    send: list[tuple[Pending, list[Pending]]] = []
    for item in batch:
        if item.event in REMINDER_EVENTS and now - item.due_at > stale_after:
            groups.setdefault((item.escalation_id, item.channel), []).append(item)
        else:
            send.append((item, []))
    superseded: list[Pending] = []
    for items in groups.values():
        items.sort(key=lambda p: (_REMINDER_RANK[p.event], p.due_at, p.id))
        lead, rest = items[-1], items[:-1]
        send.append((lead, rest))
        superseded.extend(rest)
    send.sort(key=lambda pair: (pair[0].due_at, pair[0].id))
    return send, superseded


_REMINDER_RANK = {Event.FOLLOWUP_DUE_SOON: 0, Event.FOLLOWUP_DUE: 1, Event.FOLLOWUP_OVERDUE: 2}

_DURATION = re.compile(r"^\s*(\d+)\s*(m|h|d)\s*$")


def parse_duration(text: str, path: str = "--for") -> timedelta:
    """"30m", "2h" or "1d" (for snoozes)."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if not match or int(match.group(1)) == 0:
        raise PolicyError(path, 'a duration like "30m", "2h" or "1d"', text)
    amount = int(match.group(1))
    unit = {"m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
    return timedelta(**{unit: amount})
