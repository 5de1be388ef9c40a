"""What every importer shares: the mapping settings, tag and priority rules, field paths."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from html import unescape
from typing import Any

# Tags (or labels) that name a category by default; a mapping's `category_by_tag` adds to
# and overrides these. The first of a ticket's tags that names a category wins.
DEFAULT_CATEGORY_BY_TAG: dict[str, str] = {
    "bug": "bug", "defect": "bug", "question": "how_to", "how_to": "how_to", "howto": "how_to",
    "feature": "feature_request", "feature_request": "feature_request",
    "enhancement": "feature_request", "billing": "billing", "invoice": "billing",
    "account": "account", "login": "account", "integration": "integration", "api": "integration",
    "security": "security", "vulnerability": "security", "data": "data",
    "data_loss": "data", "performance": "performance", "slow": "performance",
    "configuration": "configuration", "config": "configuration", "training": "training",
    "outage": "outage", "incident": "outage", "documentation": "how_to",
}

CATEGORIES = frozenset({
    "bug", "how_to", "feature_request", "billing", "account", "integration", "security",
    "data", "performance", "configuration", "training", "outage", "other",
})

_NUMBER_PATHS = frozenset({
    "customer.arr", "customer.sla_hours", "customer.update_hours", "facts.customers_affected",
    "facts.high_value_customers_affected", "facts.hours_waiting",
})
_TEXT_FACTS = frozenset({
    "facts.category", "facts.documented_solution", "facts.known_workaround",
    "facts.documented_alternative",
})


class SkipRecordError(ValueError):
    """A well-formed record that is not a ticket to import (the reason is the message)."""


class MappingError(ValueError):
    """The mapping file is not what an importer understands."""


# The mapping tables every helpdesk source reads (each adds its own defaults beside them).
COMMON_DEFAULTS: dict[str, Any] = {
    "category_by_tag": {},
    "facts_by_priority": {},
    "facts_by_tag": {},
    "fields": {},
    "customers": {},
}


def settings(source: str, mapping: Mapping[str, Any] | None,
             defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The source's defaults with the `[import.SOURCE]` section of the mapping laid over them
    (tables merge one level deep: a mapping's `category_by_tag` adds to the defaults)."""
    section: Any = {}
    if mapping:
        section = mapping.get("import", {}).get(source, {}) if "import" in mapping else mapping
    if not isinstance(section, Mapping):
        raise MappingError(f"[import.{source}] must be a table")
    out = {key: (dict(value) if isinstance(value, Mapping) else value)
           for key, value in defaults.items()}
    for key, value in section.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def category_for(tags: Iterable[str], conf: Mapping[str, Any]) -> str | None:
    rules = {str(k).lower(): v for k, v in
             {**DEFAULT_CATEGORY_BY_TAG, **conf.get("category_by_tag", {})}.items()}
    for tag in tags:
        category = rules.get(str(tag).lower())
        if category:
            return str(category)
    return None


def facts_for(tags: Iterable[str], priority: str | None,
              conf: Mapping[str, Any]) -> dict[str, Any]:
    """Facts the mapping derives from the priority (`facts_by_priority`) and tags
    (`facts_by_tag`). Nothing by default: a helpdesk priority is the agent's guess, not a
    fact about impact, so the desk asserts facts from it only when a team says so."""
    facts: dict[str, Any] = {}
    if priority is not None:
        by_priority = {str(k).lower(): v for k, v in conf.get("facts_by_priority", {}).items()}
        facts.update(by_priority.get(str(priority).lower(), {}))
    by_tag = {str(k).lower(): v for k, v in conf.get("facts_by_tag", {}).items()}
    for tag in tags:
        facts.update(by_tag.get(str(tag).lower(), {}))
    return facts


def set_path(target: dict[str, Any], path: str, value: Any) -> None:
    """Set `customer.arr`-style paths, coercing text from CSV cells and custom fields."""
    if value is None or value == "":
        return
    value = _coerce(path, value)
    parts = path.split(".")
    node = target
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


def _coerce(path: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip()
    if path in _NUMBER_PATHS:
        cleaned = re.sub(r"[,$€£_\s]", "", text)
        try:
            number = float(cleaned)
        except ValueError:
            return text  # left for the contract to reject with the field's name
        return int(number) if number.is_integer() else number
    if (path.startswith("facts.") and path not in _TEXT_FACTS) or \
            path == "customer.reference_customer":
        lowered = text.lower()
        if lowered in {"true", "yes", "y", "1", "x"}:
            return True
        if lowered in {"false", "no", "n", "0", ""}:
            return False
    return text


def apply_fields(ticket: dict[str, Any], values: Mapping[str, Any],
                 conf: Mapping[str, Any]) -> None:
    """`fields = { "<custom field>" = "<contract path>" }`: custom field values into the
    ticket (e.g. an ARR field into `customer.arr`)."""
    for key, path in conf.get("fields", {}).items():
        if str(key) in values:
            set_path(ticket, str(path), values[str(key)])


def customer_from(conf: Mapping[str, Any], key: str | None, name: str | None,
                  source: str) -> dict[str, Any]:
    """The customer: `{source}-org-{key}` unless the mapping's `customers` table names it."""
    if key is None and name is None:
        return {}
    customer: dict[str, Any] = {}
    if key is not None:
        customer["id"] = f"{source}-org-{key}"
    if name:
        customer["name"] = name
    known = conf.get("customers", {}).get(str(key), {}) if key is not None else {}
    if not isinstance(known, Mapping):
        raise MappingError(f"customers.{key} must be a table")
    for field, value in known.items():
        set_path(customer, str(field), value)
    return customer


def iso(value: Any) -> str | None:
    """A timestamp as ISO-8601 with zone: unix seconds, `...+0000`, `...Z` all accepted."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC).isoformat()
    if isinstance(value, str):
        text = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", value.strip())
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return value  # the contract names the field and what it expected
        return parsed.isoformat() if parsed.tzinfo else value
    return value  # type: ignore[no-any-return]


def plain(html: str | None) -> str | None:
    """Text of an HTML body (Intercom, Freshdesk), tags dropped."""
    if not html:
        return html
    text = re.sub(r"<br\s*/?>|</p>|</div>", "\n", html)
    return unescape(re.sub(r"<[^>]+>", "", text)).strip()


def finish(ticket: dict[str, Any], tags: list[str], priority: str | None,
           conf: Mapping[str, Any]) -> dict[str, Any]:
    """Category and facts from tags and priority, the tags themselves (an extra field the
    fact extractor reads), the tier, and no empty parts."""
    facts = dict(ticket.get("facts") or {})
    if tags and "tags" not in ticket:
        ticket["tags"] = [str(tag) for tag in tags if str(tag).strip()]
    category = category_for(tags, conf)
    if category and "category" not in facts:
        facts["category"] = category
    for key, value in facts_for(tags, priority, conf).items():
        facts.setdefault(key, value)
    if facts:
        ticket["facts"] = facts
    if conf.get("tier") and "current_tier" not in ticket:
        ticket["current_tier"] = conf["tier"]
    if conf.get("product_area") and "product_area" not in ticket:
        ticket["product_area"] = conf["product_area"]
    return {k: v for k, v in ticket.items() if v not in (None, "", {}, [])}
