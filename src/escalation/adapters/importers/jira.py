"""Jira (Software or Service Management) search results: `/rest/api/2/search` pages
(`{"issues": [...], "startAt": …, "total": …}`), several pages one after another in a file, or
single issues.

Mapped: key → `jira-<KEY>` (e.g. `jira-HELP-6043`); summary, description, created;
labels (and components) → facts.category; priority name → facts only through
`facts_by_priority`; the organisation custom field (JSM's "Organizations", a list) or the
project → customer; `customfield_*` values through `fields`; comments (`fields.comment`) →
communications (the reporter's inbound, others' outbound); status name kept as `status`.

Example mapping:

    [import.jira]
    category_by_tag = { regression = "bug", "FIWARE-LAB-HELP" = "how_to" }
    facts_by_priority = { blocker = { blocked = true } }
    fields = { customfield_10050 = "customer.arr", customfield_10060 = "product_area" }
    organization_field = "customfield_10002"
    customers = { "Acme Corp" = { arr = 250000, plan = "enterprise" } }
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import IO, Any

from escalation.adapters.importers._common import (
    COMMON_DEFAULTS,
    SkipRecordError,
    apply_fields,
    customer_from,
    finish,
    iso,
    settings,
)
from escalation.adapters.importers._stream import json_records

SOURCE = "jira"
DEFAULTS: dict[str, Any] = {
    **COMMON_DEFAULTS,
    "organization_field": "customfield_10002",
}


def records(stream: IO[str]) -> Iterator[tuple[int, Any]]:
    yield from enumerate(json_records(stream, ("issues",)), 1)


def to_ticket(record: Any, mapping: Mapping[str, Any] | None = None) -> dict[str, Any]:
    if not isinstance(record, Mapping) or not isinstance(record.get("fields"), Mapping):
        raise SkipRecordError("not a Jira issue (no fields object)")
    conf = settings(SOURCE, mapping, DEFAULTS)
    fields = record["fields"]
    key = record.get("key") or record.get("id")
    tags = [str(t) for t in fields.get("labels") or []]
    tags += [str(c.get("name")) for c in fields.get("components") or []
             if isinstance(c, Mapping) and c.get("name")]
    priority = fields.get("priority")
    status = fields.get("status")
    ticket: dict[str, Any] = {
        "id": f"{SOURCE}-{key}" if key else None,
        "subject": fields.get("summary"),
        "description": _text(fields.get("description")),
        "created_at": iso(fields.get("created")),
        "customer": _customer(fields, conf),
        "status": status.get("name") if isinstance(status, Mapping) else None,
        "url": _browse_url(record),
    }
    apply_fields(ticket, {k: _scalar(v) for k, v in fields.items()
                          if k.startswith("customfield_")}, conf)
    comments = _communications(fields)
    if comments:
        ticket["communications"] = comments
    name = priority.get("name") if isinstance(priority, Mapping) else None
    return finish(ticket, tags, name, conf)


def _customer(fields: Mapping[str, Any], conf: Mapping[str, Any]) -> dict[str, Any]:
    orgs = fields.get(str(conf.get("organization_field")))
    if isinstance(orgs, list) and orgs and isinstance(orgs[0], Mapping):
        name = orgs[0].get("name")
        return customer_from(conf, str(name), str(name), SOURCE)
    project = fields.get("project")
    if isinstance(project, Mapping) and project.get("key"):
        return customer_from(conf, str(project["key"]), project.get("name"), SOURCE)
    return {}


def _scalar(value: Any) -> Any:
    """A custom field's value: option objects give their value, lists their first item."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, Mapping):
        return value.get("value", value.get("name"))
    return value


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    # Atlassian Document Format (API v3): the text of its text nodes.
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            if node.get("type") == "text":
                parts.append(str(node.get("text", "")))
            for child in node.get("content") or []:
                walk(child)
            if node.get("type") == "paragraph":
                parts.append("\n")

    walk(value)
    return "".join(parts).strip() or None


def _browse_url(record: Mapping[str, Any]) -> str | None:
    link, key = record.get("self"), record.get("key")
    if isinstance(link, str) and "/rest/api/" in link and key:
        return f"{link.split('/rest/api/')[0]}/browse/{key}"
    return None


def _communications(fields: Mapping[str, Any]) -> list[dict[str, Any]]:
    holder = fields.get("comment")
    comments = holder.get("comments") if isinstance(holder, Mapping) else None
    reporter = fields.get("reporter")
    who = reporter.get("name") or reporter.get("accountId") if isinstance(reporter, Mapping) \
        else None
    out = []
    for comment in comments or []:
        if not isinstance(comment, Mapping):
            continue
        text = _text(comment.get("body"))
        if not text:
            continue
        author = comment.get("author")
        name = author.get("name") or author.get("accountId") if isinstance(author, Mapping) \
            else None
        out.append({"at": iso(comment.get("created")),
                    "direction": "inbound" if who and name == who else "outbound",
                    "summary": text[:500]})
    return out
