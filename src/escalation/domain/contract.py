"""The JSON contracts of SPEC.md: tickets in (validated, nothing lost) and assessments out."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from types import MappingProxyType
from typing import Any

from escalation.domain.errors import InputError
from escalation.domain.model import (
    BOOL_FACTS,
    IMPACT_DIMENSIONS,
    TEXT_FACTS,
    Assessment,
    Category,
    Communication,
    Customer,
    Decision,
    Direction,
    Facts,
    Level,
    Reproduction,
    Severity,
    SlaStatus,
    StepTried,
    Target,
    Ticket,
    Tier,
)

_TICKET_KEYS = frozenset(
    {
        "id", "subject", "description", "created_at", "current_tier", "product_area",
        "customer", "facts", "steps_tried", "reproduction", "communications", "ask",
        "deadline", "customer_expectation", "url", "links",
    }
)
_CUSTOMER_KEYS = frozenset(
    {"id", "name", "arr", "plan", "reference_customer", "sla_hours", "update_hours",
     "timezone", "country"}
)
_BOOL_FACTS = frozenset(BOOL_FACTS)
_TEXT_FACTS = frozenset(TEXT_FACTS)
_CATEGORIES = {c.value: c for c in Category}
_TIERS = {t.value: t for t in Tier}
_DIRECTIONS = {d.value: d for d in Direction}
_EMPTY_FACTS = Facts()
_EMPTY_CUSTOMER = Customer()
_EMPTY_REPRO = Reproduction()
_NO_EXTRA: Mapping[str, Any] = MappingProxyType({})


def ticket_from_mapping(data: Any, path: str = "") -> Ticket:
    """Validate one ticket (a parsed JSON object) into a Ticket.

    Unknown fields are kept in `Ticket.extra`. Raises InputError naming the field path
    (`facts.category`, `steps_tried[2].action`) and what was expected.
    """
    if not isinstance(data, Mapping):
        raise InputError(path, "a ticket object", data)
    at = _prefix(path)
    ticket_id = data.get("id")
    if isinstance(ticket_id, int) and not isinstance(ticket_id, bool):
        ticket_id = str(ticket_id)
    if not isinstance(ticket_id, str) or not ticket_id.strip():
        raise InputError(at + "id", "a non-empty string (the helpdesk's ticket id)", ticket_id)
    extra = (
        _NO_EXTRA if data.keys() <= _TICKET_KEYS
        else {k: v for k, v in data.items() if k not in _TICKET_KEYS}
    )
    tier = data.get("current_tier")
    return Ticket(
        id=ticket_id,
        subject=_text(data, "subject", at),
        description=_text(data, "description", at),
        created_at=_timestamp(data.get("created_at"), at + "created_at"),
        current_tier=Tier.L1 if tier is None else _enum(tier, _TIERS, at + "current_tier"),
        product_area=_text(data, "product_area", at),
        customer=_customer(data.get("customer"), at + "customer"),
        facts=_facts(data.get("facts"), at + "facts"),
        steps_tried=_steps_tried(data.get("steps_tried"), at + "steps_tried"),
        reproduction=_reproduction(data.get("reproduction"), at + "reproduction"),
        communications=_communications(data.get("communications"), at + "communications"),
        ask=_text(data, "ask", at),
        deadline=_timestamp(data.get("deadline"), at + "deadline"),
        customer_expectation=_text(data, "customer_expectation", at),
        url=_text(data, "url", at),
        links=_strings(data.get("links"), at + "links"),
        extra=extra,
    )


def tickets_from_json(data: Any) -> tuple[list[Ticket], bool]:
    """A ticket or a list of tickets; returns (tickets, was_a_list)."""
    if isinstance(data, list):
        return [ticket_from_mapping(item, f"[{i}]") for i, item in enumerate(data)], True
    return [ticket_from_mapping(data)], False


def assessment_to_mapping(assessment: Assessment) -> dict[str, Any]:
    """The assessment contract of SPEC.md as plain JSON-ready data."""
    impact = assessment.impact
    value = _ENUM_VALUES  # a dict lookup is several times cheaper than Enum.value
    dims: dict[str, Any] = {}
    for name in IMPACT_DIMENSIONS:
        score = getattr(impact, name)
        dims[name] = {"level": value[score.level], "evidence": score.evidence}
    dims["drivers"] = list(impact.drivers)
    target, severity = assessment.target, assessment.severity
    return {
        "ticket_id": assessment.ticket_id,
        "decision": value[assessment.decision],
        "target": value[target] if target is not None else None,
        "also_notify": [value[t] for t in assessment.also_notify],
        "severity": value[severity] if severity is not None else None,
        "reasons": [
            {"code": r.code, "category": r.category, "text": r.text} for r in assessment.reasons
        ],
        "impact": dims,
        "sla_status": value[assessment.sla_status],
        "missing": list(assessment.missing),
    }


_ENUM_VALUES: dict[Enum, str] = {
    member: member.value
    for enum in (Decision, Target, Severity, SlaStatus, Level)
    for member in enum
}


def _prefix(path: str) -> str:
    return f"{path}." if path else ""


def _text(data: Mapping[str, Any], key: str, prefix: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if value.__class__ is not str and not isinstance(value, str):
        raise InputError(prefix + key, "a string", value)
    return value if value.strip() else None


_FIRST_YEAR, _LAST_YEAR = 1900, 2999
# Larger contractual intervals or revenue are typos (and overflow date and money arithmetic).
_MAX_HOURS = 8760.0  # a year
_MAX_ARR = 1e15


def _timestamp(value: Any, path: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(path, "an ISO-8601 timestamp with a zone, like 2026-11-26T10:00:00Z",
                         value)
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise InputError(path, "an ISO-8601 timestamp with a zone, like 2026-11-26T10:00:00Z",
                         value)
    if not _FIRST_YEAR <= parsed.year <= _LAST_YEAR:
        # Far-off dates are typos, and calendar arithmetic on them overflows.
        raise InputError(path, f"a timestamp between the years {_FIRST_YEAR} and {_LAST_YEAR}",
                         value)
    return parsed


def parse_timestamp(value: str, path: str = "now") -> datetime:
    """Parse an ISO-8601 timestamp with a zone (for `--now` and friends)."""
    parsed = _timestamp(value, path)
    if parsed is None:
        raise InputError(path, "an ISO-8601 timestamp with a zone", value)
    return parsed


def _enum(value: Any, allowed: Mapping[str, Any], path: str) -> Any:
    if isinstance(value, str):
        found = allowed.get(value) or allowed.get(value.strip().lower())
        if found is not None:
            return found
    raise InputError(path, "one of " + ", ".join(f'"{k}"' for k in allowed), value)


def _boolean(value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    raise InputError(path, "true or false", value)


def _number(value: Any, path: str, what: str = "a number ≥ 0") -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or (
        isinstance(value, float) and not math.isfinite(value)
    ):
        raise InputError(path, what, value)
    return float(value)


def _count(value: Any, path: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(path, "a whole number ≥ 0", value)
    return value


def _strings(value: Any, path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    if not isinstance(value, list):
        raise InputError(path, "a list of strings", value)
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise InputError(f"{path}[{i}]", "a string", item)
        if item.strip():
            out.append(item)
    return tuple(out)


def _customer(value: Any, path: str) -> Customer:
    if value is None:
        return _EMPTY_CUSTOMER
    if not isinstance(value, Mapping):
        raise InputError(path, "an object with the customer's id, name, arr, plan …", value)
    at = _prefix(path)
    cid = value.get("id")
    if isinstance(cid, int) and not isinstance(cid, bool):
        cid = str(cid)
    if cid is not None and not isinstance(cid, str):
        raise InputError(at + "id", "a string", cid)
    reference = value.get("reference_customer")
    country = _text(value, "country", at)
    if country is not None and not (len(country) == 2 and country.isalpha()):
        raise InputError(at + "country", 'an ISO 3166 two-letter code like "US"', country)
    sla = _number(value.get("sla_hours"), at + "sla_hours", "a number of hours > 0")
    if sla == 0:
        raise InputError(at + "sla_hours", "a number of hours > 0", value.get("sla_hours"))
    update = _number(value.get("update_hours"), at + "update_hours", "a number of hours > 0")
    if update == 0:
        raise InputError(at + "update_hours", "a number of hours > 0", value.get("update_hours"))
    for key, hours in (("sla_hours", sla), ("update_hours", update)):
        if hours is not None and hours > _MAX_HOURS:
            raise InputError(at + key, f"a number of hours > 0 and at most {_MAX_HOURS:,.0f} "
                             "(a year)", value.get(key))
    arr = _number(value.get("arr"), at + "arr", "a number ≥ 0 (annual recurring revenue)")
    if arr is not None and arr > _MAX_ARR:
        raise InputError(at + "arr", "a number ≥ 0 and at most 10^15 (annual recurring "
                         "revenue)", value.get("arr"))
    plan = _text(value, "plan", at)
    return Customer(
        id=cid or None,
        name=_text(value, "name", at),
        arr=arr,
        plan=plan.strip().lower() if plan else None,
        reference_customer=False if reference is None else _boolean(
            reference, at + "reference_customer"
        ),
        sla_hours=sla,
        update_hours=update,
        timezone=_text(value, "timezone", at),
        country=country.upper() if country else None,
    )


def _facts(value: Any, path: str) -> Facts:
    if value is None:
        return _EMPTY_FACTS
    if not isinstance(value, Mapping):
        raise InputError(path, "an object of facts", value)
    kwargs: dict[str, Any] = {}
    for key, item in value.items():
        if item is None:
            continue
        if key in _BOOL_FACTS:
            kwargs[key] = _boolean(item, f"{path}.{key}")
        elif key in _TEXT_FACTS:
            if isinstance(item, bool):
                # `"known_workaround": true` says one exists without saying what it is.
                if item:
                    kwargs[key] = "yes (not described)"
                continue
            if not isinstance(item, str):
                raise InputError(f"{path}.{key}", "a string (a link or text)", item)
            if item.strip():
                kwargs[key] = item
        elif key == "category":
            kwargs[key] = _enum(item, _CATEGORIES, f"{path}.category")
        elif key in ("customers_affected", "high_value_customers_affected", "users_affected"):
            kwargs[key] = _count(item, f"{path}.{key}")
        elif key == "hours_waiting":
            kwargs[key] = _number(item, f"{path}.hours_waiting", "a number of hours ≥ 0")
        # Unknown facts are kept in the ticket's raw form and ignored here.
    if not kwargs:
        return _EMPTY_FACTS
    return Facts(**kwargs, stated=frozenset(kwargs))


def _steps_tried(value: Any, path: str) -> tuple[StepTried, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InputError(path, "a list of {action, result}", value)
    out = []
    for i, item in enumerate(value):
        where = f"{path}[{i}]"
        if isinstance(item, str):
            if item.strip():
                out.append(StepTried(action=item))
            continue
        if not isinstance(item, Mapping):
            raise InputError(where, "an object {action, result}", item)
        action = _text(item, "action", where + ".")
        if action is None:
            raise InputError(f"{where}.action", "a non-empty string", item.get("action"))
        out.append(StepTried(action=action, result=_text(item, "result", where + ".")))
    return tuple(out)


def _reproduction(value: Any, path: str) -> Reproduction:
    if value is None:
        return _EMPTY_REPRO
    if not isinstance(value, Mapping):
        raise InputError(path, "an object {steps, expected, actual, environment, …}", value)
    at = _prefix(path)
    return Reproduction(
        steps=_strings(value.get("steps"), at + "steps"),
        expected=_text(value, "expected", at),
        actual=_text(value, "actual", at),
        environment=_text(value, "environment", at),
        frequency=_text(value, "frequency", at),
        evidence=_strings(value.get("evidence"), at + "evidence"),
        ruled_out=_strings(value.get("ruled_out"), at + "ruled_out"),
        start_state=_text(value, "start_state", at),
    )


def _communications(value: Any, path: str) -> tuple[Communication, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InputError(path, "a list of {at, direction, summary}", value)
    out = []
    for i, item in enumerate(value):
        where = f"{path}[{i}]"
        if not isinstance(item, Mapping):
            raise InputError(where, "an object {at, direction, summary}", item)
        summary = _text(item, "summary", where + ".")
        if summary is None:
            raise InputError(f"{where}.summary", "a non-empty string", item.get("summary"))
        direction = item.get("direction")
        out.append(
            Communication(
                at=_timestamp(item.get("at"), f"{where}.at"),
                direction=Direction.INBOUND if direction is None else _enum(
                    direction, _DIRECTIONS, f"{where}.direction"
                ),
                summary=summary,
            )
        )
    return tuple(out)
