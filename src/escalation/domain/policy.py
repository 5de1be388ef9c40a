"""The team's escalation policy as immutable values, with the seed's numbers as defaults."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import time
from enum import StrEnum
from typing import Any

from escalation.domain.errors import PolicyError
from escalation.domain.model import Severity, Target
from escalation.domain.notifications import (
    Channel,
    ChannelKind,
    Delivery,
    Event,
    Notifications,
    Person,
    Smtp,
)

POLICY_SCHEMA_VERSION = 1


class WindowUnit(StrEnum):
    """How a time window is counted."""

    HOURS = "h"  # wall-clock hours
    BUSINESS_HOURS = "bh"  # hours inside the customer's business hours
    DAYS = "d"  # wall-clock days
    BUSINESS_DAYS = "bd"  # the customer's business days
    END_OF_BUSINESS_DAY = "eod"  # close of the current (or next) business day
    END_OF_BUSINESS_WEEK = "eow"  # close of the last business day of the current week


_WINDOW = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)\s*(h|bh|d|bd)|(eod|eow))\s*$")


@dataclass(frozen=True, slots=True)
class Window:
    """A span of time such as "2h", "1bd" or "eod", counted in the customer's calendar."""

    amount: float
    unit: WindowUnit

    @classmethod
    def parse(cls, text: str, path: str = "") -> Window:
        """Read "2h", "4bh", "1d", "2bd", "eod" or "eow"; raise PolicyError naming `path`."""
        match = _WINDOW.match(text) if isinstance(text, str) else None
        if not match:
            raise PolicyError(
                path, 'a window like "2h", "4bh", "1d", "2bd", "eod" or "eow"', text
            )
        if match.group(3):
            return cls(0.0, WindowUnit(match.group(3)))
        amount = float(match.group(1))
        if amount <= 0:
            raise PolicyError(path, "a window longer than zero", text)
        return cls(amount, WindowUnit(match.group(2)))

    def __str__(self) -> str:
        if self.unit in (WindowUnit.END_OF_BUSINESS_DAY, WindowUnit.END_OF_BUSINESS_WEEK):
            return str(self.unit)
        amount = int(self.amount) if self.amount == int(self.amount) else self.amount
        return f"{amount}{self.unit.value}"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Numbers behind the seed's words "3+ customers", "high-value", "unreasonably long"."""

    pattern_customers: int = 3
    high_value_arr: float = 100_000.0
    multiple_high_value_customers: int = 2
    unreasonable_wait_hours: float = 48.0
    sla_at_risk_share: float = 0.75
    key_plans: tuple[str, ...] = ("enterprise",)
    # Two tickets describe the same issue when their similarity (see README, Patterns) is at
    # least this; the semantic weight is MiniLM's share of the similarity, the rest lexical.
    pattern_similarity: float = 0.50
    pattern_semantic_weight: float = 0.8


@dataclass(frozen=True, slots=True)
class Sla:
    """Resolution SLA per plan when the customer has no contractual `sla_hours` of their own."""

    plan_hours: Mapping[str, float] = field(
        default_factory=lambda: {"enterprise": 24.0, "business": 48.0, "pro": 72.0}
    )
    # "calendar": SLA hours run around the clock; "business": only in business hours.
    clock: str = "calendar"


@dataclass(frozen=True, slots=True)
class Attention:
    """The seed's attention windows, used for the brief's deadline."""

    critical: Window = Window(2.0, WindowUnit.HOURS)  # "Needs immediate attention"
    high: Window = Window(0.0, WindowUnit.END_OF_BUSINESS_DAY)  # "Needs same-day attention"
    medium: Window = Window(0.0, WindowUnit.END_OF_BUSINESS_WEEK)  # "attention this week"

    def for_severity(self, severity: Severity) -> Window:
        """The window for one severity."""
        return {
            Severity.CRITICAL: self.critical,
            Severity.HIGH: self.high,
            Severity.MEDIUM: self.medium,
        }[severity]


@dataclass(frozen=True, slots=True)
class Cadence:
    """Follow-up cadence for one severity (the seed's table).

    A customer-update window "2-4 h" is due at `customer_due` and overdue after
    `customer_overdue`.
    """

    internal: Window
    customer_due: Window
    customer_overdue: Window


def _default_cadences() -> Mapping[Severity, Cadence]:
    return {
        Severity.CRITICAL: Cadence(Window(2, WindowUnit.HOURS), Window(2, WindowUnit.HOURS),
                                   Window(4, WindowUnit.HOURS)),
        Severity.HIGH: Cadence(Window(4, WindowUnit.HOURS), Window(4, WindowUnit.HOURS),
                               Window(8, WindowUnit.HOURS)),
        Severity.MEDIUM: Cadence(Window(1, WindowUnit.DAYS), Window(1, WindowUnit.BUSINESS_DAYS),
                                 Window(2, WindowUnit.BUSINESS_DAYS)),
    }


@dataclass(frozen=True, slots=True)
class Followups:
    """Follow-up cadences per severity and when a follow-up counts as "due soon"."""

    cadences: Mapping[Severity, Cadence] = field(default_factory=_default_cadences)
    due_soon_minutes: int = 30
    internal_grace_minutes: int = 30  # an internal follow-up is overdue this long after due


@dataclass(frozen=True, slots=True)
class CalendarPolicy:
    """Business hours and days used when a customer gives none of their own."""

    start: time = time(9, 0)
    end: time = time(17, 0)
    workdays: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday = 0
    default_timezone: str = "UTC"
    default_country: str | None = None


@dataclass(frozen=True, slots=True)
class Tiers:
    """Tier rules. The seed: L1 goes to L2; Security and Leadership from any tier."""

    critical_may_skip_l2: bool = False


@dataclass(frozen=True, slots=True)
class Derive:
    """Fact extraction from the ticket's text (`[derive]`)."""

    enabled: bool = True
    lexicons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Policy:
    """Everything a team may tune; `Policy()` is the seed's playbook as written."""

    name: str = "seed-defaults"
    revision: str = "1"
    currency: str = "USD"  # ISO 4217 code of the ARR figures
    thresholds: Thresholds = field(default_factory=Thresholds)
    sla: Sla = field(default_factory=Sla)
    attention: Attention = field(default_factory=Attention)
    followups: Followups = field(default_factory=Followups)
    calendar: CalendarPolicy = field(default_factory=CalendarPolicy)
    tiers: Tiers = field(default_factory=Tiers)
    notifications: Notifications = field(default_factory=Notifications)
    # `[import.SOURCE]` tables: how each helpdesk's export maps onto the ticket contract
    # (read by the importers, which check their keys); (source, canonical JSON text) pairs so
    # the policy stays hashable.
    imports: tuple[tuple[str, str], ...] = ()
    # `[intake] auto_open`: severities and targets whose escalations the intake webhook opens
    # at once (empty: intake only assesses).
    intake_auto_open: tuple[str, ...] = ()
    # `[derive]`: whether facts are read from the ticket's words, and the team's own lexicon
    # files (added to the shipped English and Chinese ones; paths as written in the policy,
    # resolved and checked by the policy loader).
    derive: Derive = field(default_factory=Derive)

    def import_mapping(self) -> dict[str, Any]:
        """The policy's import mappings as `{"import": {source: table}}` (empty without any)."""
        return {"import": {source: json.loads(text) for source, text in self.imports}}

    @property
    def version(self) -> str:
        """`name@revision`, stored with every assessment so it can be explained later."""
        return f"{self.name}@{self.revision}"


DEFAULT_POLICY = Policy()

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def policy_from_mapping(data: Mapping[str, Any]) -> Policy:
    """Validate a parsed policy file into a Policy; missing keys keep the seed's defaults.

    Raises PolicyError whose `path` is the dotted key (`thresholds.high_value_arr`).
    """
    reader = _Reader(data, "")
    reader.only(
        "schema", "name", "revision", "currency", "thresholds", "sla", "attention", "followups",
        "calendar", "tiers", "channels", "people", "delivery", "smtp", "import", "intake",
        "derive",
    )
    schema = reader.integer("schema", POLICY_SCHEMA_VERSION, minimum=1)
    if schema != POLICY_SCHEMA_VERSION:
        raise PolicyError("schema", f"{POLICY_SCHEMA_VERSION} (the only schema this desk reads)",
                          schema)
    policy = Policy(
        name=reader.string("name", DEFAULT_POLICY.name),
        revision=str(reader.scalar("revision", DEFAULT_POLICY.revision)),
        currency=_currency(reader),
        thresholds=_thresholds(reader.table("thresholds")),
        sla=_sla(reader.table("sla")),
        attention=_attention(reader.table("attention")),
        followups=_followups(reader.table("followups")),
        calendar=_calendar(reader.table("calendar")),
        tiers=_tiers(reader.table("tiers")),
        notifications=_notifications(reader),
        imports=_imports(data.get("import", {})),
        intake_auto_open=_intake_auto_open(reader.table("intake")),
        derive=_derive(reader.table("derive")),
    )
    return policy


def _derive(reader: _Reader) -> Derive:
    reader.only("enabled", "lexicons")
    return Derive(enabled=reader.boolean("enabled", True),
                  lexicons=reader.strings("lexicons", ()))


def _intake_auto_open(reader: _Reader) -> tuple[str, ...]:
    reader.only("auto_open")
    values = reader.strings("auto_open", ())
    allowed = [s.value for s in Severity] + [t.value for t in Target]
    for index, value in enumerate(values):
        if value not in allowed:
            raise PolicyError(f"intake.auto_open[{index}]", f"one of {', '.join(allowed)}",
                              value)
    return tuple(str(v) for v in values)


IMPORT_SOURCES = ("zendesk", "freshdesk", "jira", "intercom", "github", "csv")


def _imports(data: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(data, Mapping):
        raise PolicyError("import", "a table of [import.SOURCE] tables", data)
    found = []
    for source, table in data.items():
        if source not in IMPORT_SOURCES:
            raise PolicyError(f"import.{source}", f"one of {', '.join(IMPORT_SOURCES)}",
                              source, show_got=False)
        if not isinstance(table, Mapping):
            raise PolicyError(f"import.{source}", "a table (the importer's mapping)", table)
        found.append((str(source), json.dumps(table, sort_keys=True, default=str)))
    return tuple(sorted(found))


def policy_to_mapping(policy: Policy) -> dict[str, Any]:
    """The policy as plain data in the policy file's shape (for `policy show`)."""
    t, c = policy.thresholds, policy.calendar
    return {
        "schema": POLICY_SCHEMA_VERSION,
        "name": policy.name,
        "revision": policy.revision,
        "currency": policy.currency,
        "thresholds": {
            "pattern_customers": t.pattern_customers,
            "high_value_arr": t.high_value_arr,
            "multiple_high_value_customers": t.multiple_high_value_customers,
            "unreasonable_wait_hours": t.unreasonable_wait_hours,
            "sla_at_risk_share": t.sla_at_risk_share,
            "key_plans": list(t.key_plans),
            "pattern_similarity": t.pattern_similarity,
            "pattern_semantic_weight": t.pattern_semantic_weight,
        },
        "sla": {"clock": policy.sla.clock, "plan_hours": dict(policy.sla.plan_hours)},
        "attention": {
            s.value: str(policy.attention.for_severity(s)) for s in Severity
        },
        "followups": {
            "due_soon_minutes": policy.followups.due_soon_minutes,
            "internal_grace_minutes": policy.followups.internal_grace_minutes,
            **{
                s.value: {
                    "internal": str(cad.internal),
                    "customer_update": [str(cad.customer_due), str(cad.customer_overdue)],
                }
                for s, cad in policy.followups.cadences.items()
            },
        },
        "calendar": {
            "business_hours": [c.start.strftime("%H:%M"), c.end.strftime("%H:%M")],
            "workdays": [_WEEKDAYS[d] for d in c.workdays],
            "default_timezone": c.default_timezone,
            **({"default_country": c.default_country} if c.default_country else {}),
        },
        "tiers": {"critical_may_skip_l2": policy.tiers.critical_may_skip_l2},
        **_notifications_mapping(policy.notifications),
        **(policy.import_mapping() if policy.imports else {}),
        **({"intake": {"auto_open": list(policy.intake_auto_open)}}
           if policy.intake_auto_open else {}),
        **({"derive": {"enabled": policy.derive.enabled, "lexicons": list(policy.derive.lexicons)}}
           if policy.derive != Derive() else {}),
    }


def _notifications_mapping(n: Notifications) -> dict[str, Any]:
    def channel(c: Channel) -> dict[str, Any]:
        out: dict[str, Any] = {"name": c.name, "kind": c.kind.value}
        # A secret written in the file is never shown back; secret_env names where one lives.
        optional = {"url": c.url, "secret_env": c.secret_env}
        out.update({k: v for k, v in optional.items() if v})
        if c.to:
            out["to"] = list(c.to)
        out["events"] = sorted(e.value for e in c.events)
        if c.targets is not None:
            out["targets"] = sorted(t.value for t in c.targets)
        if c.severities is not None:
            out["severities"] = sorted(s.value for s in c.severities)
        out.update(lang=c.lang, owner_only=c.owner_only, leads=c.leads)
        return out

    d, m = n.delivery, n.smtp
    mapping: dict[str, Any] = {
        "delivery": {
            "max_attempts": d.max_attempts, "base_delay_seconds": d.base_delay_seconds,
            "max_delay_seconds": d.max_delay_seconds, "lease_seconds": d.lease_seconds,
            "poll_seconds": d.poll_seconds, "batch_size": d.batch_size, "base_url": d.base_url,
        },
        "smtp": {"host": m.host, "port": m.port, "starttls": m.starttls, "sender": m.sender,
                 **({"username_env": m.username_env} if m.username_env else {}),
                 **({"password_env": m.password_env} if m.password_env else {})},
    }
    if n.channels:
        mapping["channels"] = [channel(c) for c in n.channels]
    if n.people:
        mapping["people"] = [{k: v for k, v in (("name", p.name), ("timezone", p.timezone),
                                                ("country", p.country), ("email", p.email))
                              if v} for p in n.people]
    return mapping


class _Reader:
    """Reads one table of the policy, checking types and refusing unknown keys."""

    def __init__(self, data: Any, path: str):
        if not isinstance(data, Mapping):
            raise PolicyError(path, "a table", data)
        self.data = data
        self.path = path

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def only(self, *keys: str) -> None:
        for key in self.data:
            if key not in keys:
                raise PolicyError(self.at(str(key)), "a known key (one of " + ", ".join(keys)
                                  + "); this key is unknown", key, show_got=False)

    def table(self, key: str) -> _Reader:
        return _Reader(self.data.get(key, {}), self.at(key))

    def scalar(self, key: str, default: Any) -> Any:
        value = self.data.get(key, default)
        if isinstance(value, Mapping | list):
            raise PolicyError(self.at(key), "a single value", value)
        return value

    def string(self, key: str, default: str) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise PolicyError(self.at(key), "a non-empty string", value)
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise PolicyError(self.at(key), "true or false", value)
        return value

    def integer(self, key: str, default: int, minimum: int = 0) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise PolicyError(self.at(key), f"a whole number ≥ {minimum}", value)
        return value

    def number(self, key: str, default: float, minimum: float = 0.0,
               maximum: float | None = None, exclusive_min: bool = False) -> float:
        value = self.data.get(key, default)
        bad = isinstance(value, bool) or not isinstance(value, int | float)
        if not bad:
            bad = value <= minimum if exclusive_min else value < minimum
            bad = bad or (maximum is not None and value > maximum)
        if bad:
            low = f"> {minimum:g}" if exclusive_min else f"≥ {minimum:g}"
            high = f" and ≤ {maximum:g}" if maximum is not None else ""
            raise PolicyError(self.at(key), f"a number {low}{high}", value)
        return float(value)

    def window(self, key: str, default: Window) -> Window:
        value = self.data.get(key)
        if value is None:
            return default
        return Window.parse(value, self.at(key))

    def strings(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self.data.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise PolicyError(self.at(key), "a list of strings", value)
        return tuple(value)


def _thresholds(r: _Reader) -> Thresholds:
    r.only(*(f.name for f in fields(Thresholds)))
    d = Thresholds()
    return Thresholds(
        pattern_customers=r.integer("pattern_customers", d.pattern_customers, minimum=2),
        high_value_arr=r.number("high_value_arr", d.high_value_arr),
        multiple_high_value_customers=r.integer(
            "multiple_high_value_customers", d.multiple_high_value_customers, minimum=1
        ),
        unreasonable_wait_hours=r.number(
            "unreasonable_wait_hours", d.unreasonable_wait_hours, exclusive_min=True
        ),
        sla_at_risk_share=r.number(
            "sla_at_risk_share", d.sla_at_risk_share, exclusive_min=True, maximum=1.0
        ),
        key_plans=tuple(p.lower() for p in r.strings("key_plans", d.key_plans)),
        pattern_similarity=r.number("pattern_similarity", d.pattern_similarity,
                                    exclusive_min=True, maximum=1.0),
        pattern_semantic_weight=r.number("pattern_semantic_weight", d.pattern_semantic_weight,
                                         maximum=1.0),
    )


def _sla(r: _Reader) -> Sla:
    r.only("plan_hours", "clock")
    d = Sla()
    clock = r.string("clock", d.clock)
    if clock not in ("calendar", "business"):
        raise PolicyError(r.at("clock"), '"calendar" or "business"', clock)
    plans = r.table("plan_hours")
    if "plan_hours" not in r.data:
        return Sla(clock=clock)
    hours = {
        str(plan).lower(): plans.number(str(plan), 0.0, exclusive_min=True) for plan in plans.data
    }
    return Sla(plan_hours=hours, clock=clock)


def _attention(r: _Reader) -> Attention:
    r.only("critical", "high", "medium")
    d = Attention()
    return Attention(
        critical=r.window("critical", d.critical),
        high=r.window("high", d.high),
        medium=r.window("medium", d.medium),
    )


def _followups(r: _Reader) -> Followups:
    r.only("due_soon_minutes", "internal_grace_minutes", *(s.value for s in Severity))
    d = Followups()
    cadences = dict(d.cadences)
    for severity in Severity:
        if severity.value not in r.data:
            continue
        sub = r.table(severity.value)
        sub.only("internal", "customer_update")
        base = cadences[severity]
        internal = sub.window("internal", base.internal)
        due, overdue = base.customer_due, base.customer_overdue
        if "customer_update" in sub.data:
            raw = sub.data["customer_update"]
            path = sub.at("customer_update")
            if isinstance(raw, str):
                due = overdue = Window.parse(raw, path)
            elif isinstance(raw, list) and len(raw) == 2:
                due = Window.parse(raw[0], f"{path}[0]")
                overdue = Window.parse(raw[1], f"{path}[1]")
            else:
                raise PolicyError(path, 'a window or a pair of windows like ["2h", "4h"]', raw)
        cadences[severity] = replace(base, internal=internal, customer_due=due,
                                     customer_overdue=overdue)
    return Followups(
        cadences=cadences,
        due_soon_minutes=r.integer("due_soon_minutes", d.due_soon_minutes),
        internal_grace_minutes=r.integer("internal_grace_minutes", d.internal_grace_minutes),
    )


_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _clock(value: Any, path: str) -> time:
    match = _CLOCK.match(value) if isinstance(value, str) else None
    if not match:
        raise PolicyError(path, 'a time of day like "09:00"', value)
    return time(int(match.group(1)), int(match.group(2)))


def _calendar(r: _Reader) -> CalendarPolicy:
    r.only("business_hours", "workdays", "default_timezone", "default_country")
    d = CalendarPolicy()
    start, end = d.start, d.end
    if "business_hours" in r.data:
        raw = r.data["business_hours"]
        path = r.at("business_hours")
        if not isinstance(raw, list) or len(raw) != 2:
            raise PolicyError(path, 'a pair of times like ["09:00", "17:00"]', raw)
        start, end = _clock(raw[0], f"{path}[0]"), _clock(raw[1], f"{path}[1]")
        if end <= start:
            raise PolicyError(path, "an end later than the start", raw)
    workdays = d.workdays
    if "workdays" in r.data:
        names = r.strings("workdays", ())
        bad = [n for n in names if n.lower()[:3] not in _WEEKDAYS]
        if bad or not names:
            raise PolicyError(r.at("workdays"), 'day names like "mon", "tue"', bad or names)
        workdays = tuple(sorted({_WEEKDAYS.index(n.lower()[:3]) for n in names}))
    country = r.data.get("default_country")
    if country is not None and (not isinstance(country, str) or not re.fullmatch(
            r"[A-Za-z]{2}", country)):
        raise PolicyError(r.at("default_country"), 'an ISO 3166 country code like "US"', country)
    return CalendarPolicy(
        start=start,
        end=end,
        workdays=workdays,
        default_timezone=r.string("default_timezone", d.default_timezone),
        default_country=country.upper() if country else None,
    )


def _currency(r: _Reader) -> str:
    value = r.string("currency", DEFAULT_POLICY.currency)
    if not re.fullmatch(r"[A-Za-z]{3}", value):
        raise PolicyError(r.at("currency"), 'an ISO 4217 currency code like "USD"', value)
    return value.upper()


def _tiers(r: _Reader) -> Tiers:
    r.only("critical_may_skip_l2")
    return Tiers(critical_may_skip_l2=r.boolean("critical_may_skip_l2", False))


def _enum_set(r: _Reader, key: str, enum: Any, what: str) -> frozenset[Any] | None:
    if key not in r.data:
        return None
    names = r.strings(key, ())
    allowed = {member.value: member for member in enum}
    bad = [n for n in names if n not in allowed]
    if bad or not names:
        raise PolicyError(r.at(key), f"a list of {what}: " + ", ".join(allowed), bad or names)
    return frozenset(allowed[n] for n in names)


def _list_of_tables(reader: _Reader, key: str) -> list[_Reader]:
    raw = reader.data.get(key, [])
    if not isinstance(raw, list):
        raise PolicyError(key, f"an array of tables ([[{key}]])", raw)
    return [_Reader(item, f"{key}[{i}]") for i, item in enumerate(raw)]


def _channel(r: _Reader) -> Channel:
    r.only("name", "kind", "url", "secret", "secret_env", "to", "events", "targets",
           "severities", "lang", "owner_only", "leads")
    kind_name = r.string("kind", "webhook")
    if kind_name not in {k.value for k in ChannelKind}:
        raise PolicyError(r.at("kind"), "webhook, slack or email", kind_name)
    kind = ChannelKind(kind_name)
    url = r.data.get("url")
    if kind in (ChannelKind.WEBHOOK, ChannelKind.SLACK) and not (
        isinstance(url, str) and re.match(r"^https?://\S+$", url)
    ):
        raise PolicyError(r.at("url"), "an http:// or https:// URL", url)
    to = r.strings("to", ())
    owner_only = r.boolean("owner_only", False)
    if kind is ChannelKind.EMAIL and not to and not owner_only:
        raise PolicyError(r.at("to"), "a list of e-mail addresses (or owner_only = true)", None)
    lang = r.string("lang", "en")
    if lang not in ("en", "zh"):
        raise PolicyError(r.at("lang"), '"en" or "zh"', lang)
    events = _enum_set(r, "events", Event, "events")
    return Channel(
        name=r.string("name", ""),
        kind=kind,
        events=events if events is not None else frozenset(Event),
        url=url if isinstance(url, str) else None,
        secret=r.data.get("secret") if isinstance(r.data.get("secret"), str) else None,
        secret_env=r.data.get("secret_env") if isinstance(r.data.get("secret_env"), str)
        else None,
        to=to,
        targets=_enum_set(r, "targets", Target, "targets"),
        severities=_enum_set(r, "severities", Severity, "severities"),
        lang=lang,
        owner_only=owner_only,
        leads=r.boolean("leads", False),
    )


def _notifications(reader: _Reader) -> Notifications:
    channels = tuple(_channel(r) for r in _list_of_tables(reader, "channels"))
    names = [c.name for c in channels]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise PolicyError("channels", "unique channel names", duplicate)
    people = []
    for r in _list_of_tables(reader, "people"):
        r.only("name", "timezone", "country", "email")
        people.append(Person(
            name=r.string("name", ""),
            timezone=r.data.get("timezone") if isinstance(r.data.get("timezone"), str) else None,
            country=r.data.get("country") if isinstance(r.data.get("country"), str) else None,
            email=r.data.get("email") if isinstance(r.data.get("email"), str) else None,
        ))
    d = reader.table("delivery")
    d.only("max_attempts", "base_delay_seconds", "max_delay_seconds", "lease_seconds",
           "poll_seconds", "batch_size", "base_url")
    dd = Delivery()
    delivery = Delivery(
        max_attempts=d.integer("max_attempts", dd.max_attempts, minimum=1),
        base_delay_seconds=d.number("base_delay_seconds", dd.base_delay_seconds,
                                    exclusive_min=True),
        max_delay_seconds=d.number("max_delay_seconds", dd.max_delay_seconds,
                                   exclusive_min=True),
        lease_seconds=d.number("lease_seconds", dd.lease_seconds, exclusive_min=True),
        poll_seconds=d.number("poll_seconds", dd.poll_seconds, exclusive_min=True,
                              maximum=15.0),
        batch_size=d.integer("batch_size", dd.batch_size, minimum=1),
        base_url=d.string("base_url", dd.base_url),
    )
    m = reader.table("smtp")
    m.only("host", "port", "starttls", "sender", "username_env", "password_env")
    sm = Smtp()
    smtp = Smtp(
        host=m.string("host", sm.host),
        port=m.integer("port", sm.port, minimum=1),
        starttls=m.boolean("starttls", sm.starttls),
        sender=m.string("sender", sm.sender),
        username_env=m.data.get("username_env") if isinstance(m.data.get("username_env"), str)
        else None,
        password_env=m.data.get("password_env") if isinstance(m.data.get("password_env"), str)
        else None,
    )
    return Notifications(channels=channels, people=tuple(people), delivery=delivery, smtp=smtp)
