"""Freshdesk v2 tickets: `GET /api/v2/tickets` (a JSON array per page, pages one after another
in a file), search results (`{"results": [...], "total": …}`) and single tickets.

Mapped: id → `freshdesk-<id>`; subject, description_text (else description, HTML stripped),
created_at; company_id → customer (`freshdesk-org-<id>`, details from `customers`); tags and
the ticket `type` → facts.category; priority (1 low, 2 medium, 3 high, 4 urgent) → facts only
through `facts_by_priority` (keyed by name); `custom_fields` through `fields`; conversations
embedded as `conversations` → communications (`incoming` inbound, else outbound).

Example mapping:

    [import.freshdesk]
    category_by_type = { Incident = "bug", Question = "how_to", Problem = "bug" }
    facts_by_priority = { urgent = { blocked = true } }
    fields = { cf_arr = "customer.arr", cf_module = "product_area" }
    customers = { "5000123" = { name = "Acme Corp", plan = "enterprise" } }
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
    plain,
    settings,
)
from escalation.adapters.importers._stream import json_records

SOURCE = "freshdesk"
PRIORITIES = {1: "low", 2: "medium", 3: "high", 4: "urgent"}
DEFAULTS: dict[str, Any] = {
    **COMMON_DEFAULTS,
    "category_by_type": {"Question": "how_to", "Incident": "bug", "Problem": "bug",
                         "Feature Request": "feature_request"},
}


def records(stream: IO[str]) -> Iterator[tuple[int, Any]]:
    yield from enumerate(json_records(stream, ("results", "tickets")), 1)


def to_ticket(record: Any, mapping: Mapping[str, Any] | None = None) -> dict[str, Any]:
    if not isinstance(record, Mapping) or record.get("id") is None:
        raise SkipRecordError("not a Freshdesk ticket (no id)")
    conf = settings(SOURCE, mapping, DEFAULTS)
    if record.get("deleted") or record.get("spam"):
        raise SkipRecordError(f"ticket {record['id']} is deleted or spam in Freshdesk")
    tags = [str(t) for t in record.get("tags") or []]
    kind = record.get("type") or record.get("ticket_type")
    requester = record.get("requester")
    company = record.get("company_id")
    ticket: dict[str, Any] = {
        "id": f"{SOURCE}-{record['id']}",
        "subject": record.get("subject"),
        "description": record.get("description_text") or plain(record.get("description")),
        "created_at": iso(record.get("created_at")),
        "customer": customer_from(conf, None if company is None else str(company), None,
                                  SOURCE),
        "status": record.get("status_name") or record.get("status"),
    }
    by_type = conf.get("category_by_type", {})
    if not category_for(tags, conf) and kind in by_type:
        ticket["facts"] = {"category": by_type[kind]}
    custom = record.get("custom_fields") or record.get("custom_field") or {}
    if isinstance(custom, Mapping):
        apply_fields(ticket, custom, conf)
    comms = [
        {"at": iso(c.get("created_at")),
         "direction": "inbound" if c.get("incoming") else "outbound",
         "summary": str(c.get("body_text") or plain(c.get("body")) or "")[:500]}
        for c in record.get("conversations") or []
        if isinstance(c, Mapping) and (c.get("body_text") or c.get("body"))
    ]
    if comms:
        ticket["communications"] = comms
    if isinstance(requester, Mapping) and not ticket["customer"] and requester.get("email"):
        ticket["customer"] = {"name": requester.get("name") or requester.get("email")}
    priority = record.get("priority_name") or PRIORITIES.get(record.get("priority") or 0)
    return finish(ticket, tags, priority, conf)
