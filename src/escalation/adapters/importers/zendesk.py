"""Zendesk tickets: API list/search pages (`{"tickets": [...]}`, `{"results": [...]}`), the
incremental export (`/api/v2/incremental/tickets.json` pages, one after another in a file),
single-ticket responses (`{"ticket": {...}}`) and bare ticket objects.

Mapped: id → `zendesk-<id>`; subject, description, created_at; organization_id → customer
(`zendesk-org-<id>`; name, ARR, plan from the mapping's `customers` table or custom fields);
tags (and the ticket `type`) → facts.category; priority → facts only through
`facts_by_priority`; comments (when a record carries them, e.g. exported with comments) →
communications (the requester's inbound, everyone else's outbound); status kept as `status`.
Deleted tickets of the incremental export are skipped.

Example mapping (`escalate import zendesk tickets.json --mapping zendesk.toml`):

    [import.zendesk]
    category_by_tag = { checkout_error = "bug", refund = "billing" }
    facts_by_priority = { urgent = { blocked = true } }
    facts_by_tag = { prod_down = { production_down = true } }
    fields = { "360001234" = "customer.arr", "360005678" = "product_area" }
    customers = { "256244608" = { name = "Acme Corp", plan = "enterprise", arr = 250000 } }
    tier = "l1"
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import IO, Any

from escalation.adapters.importers._common import (
    COMMON_DEFAULTS,
    SkipRecordError,
    apply_fields,
    category_for,
    customer_from,
    finish,
    iso,
    settings,
)
from escalation.adapters.importers._stream import json_records

SOURCE = "zendesk"
DEFAULTS: dict[str, Any] = {
    **COMMON_DEFAULTS,
    "category_by_type": {"question": "how_to", "problem": "bug", "incident": "bug"},
}


def records(stream: IO[str]) -> Iterator[tuple[int, Any]]:
    """(1-based position, ticket object) for each ticket of the file, streamed."""
    yield from enumerate(json_records(stream, ("tickets", "results"), ("ticket",)), 1)


def to_ticket(record: Any, mapping: Mapping[str, Any] | None = None) -> dict[str, Any]:
    if not isinstance(record, Mapping):
        raise SkipRecordError("not a ticket object")
    conf = settings(SOURCE, mapping, DEFAULTS)
    if record.get("status") == "deleted":
        raise SkipRecordError(f"ticket {record.get('id')} is deleted in Zendesk")
    tags = [str(t) for t in record.get("tags") or []]
    ticket_type = record.get("type")
    ticket: dict[str, Any] = {
        "id": f"{SOURCE}-{record.get('id')}" if record.get("id") is not None else None,
        "subject": record.get("subject") or record.get("raw_subject"),
        "description": record.get("description"),
        "created_at": iso(record.get("created_at")),
        "customer": customer_from(conf, _key(record.get("organization_id")), None, SOURCE),
        "status": record.get("status"),
    }
    by_type = conf.get("category_by_type", {})
    if not category_for(tags, conf) and ticket_type in by_type:
        # A tag naming a category is more specific than the ticket type.
        ticket["facts"] = {"category": by_type[ticket_type]}
    custom = {str(f.get("id")): f.get("value")
              for f in record.get("custom_fields") or [] if isinstance(f, Mapping)}
    apply_fields(ticket, custom, conf)
    comments = _communications(record)
    if comments:
        ticket["communications"] = comments
    return finish(ticket, tags, record.get("priority"), conf)


def _key(value: Any) -> str | None:
    return None if value is None else str(value)


def _communications(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    requester = record.get("requester_id")
    out = []
    for comment in record.get("comments") or []:
        if not isinstance(comment, Mapping):
            continue
        text = comment.get("plain_body") or comment.get("body")
        if not text:
            continue
        author = comment.get("author_id")
        out.append({
            "at": iso(comment.get("created_at")),
            "direction": "inbound" if author is not None and author == requester else "outbound",
            "summary": str(text)[:500],
        })
    return out
