"""Intercom conversations and tickets (API 2.x): `GET /conversations` and
`POST /conversations/search` pages (`{"conversations": [...]}`), `POST /tickets/search` pages
(`{"tickets": [...]}`), and single conversation or ticket objects, pages one after another.

Mapped: a conversation → `intercom-<id>`, a ticket → `intercom-ticket-<ticket_id>`; title (or
the first message's subject) and the first message's body (HTML stripped), created_at (unix
seconds); the first contact → customer (`intercom-org-<external_id or id>`, details from
`customers`); tags → facts.category; `priority` (`priority`/`not_priority`) → facts only
through `facts_by_priority`; `custom_attributes` and ticket attributes through `fields`;
conversation parts → communications (user/lead parts inbound, admin/bot outbound); state
kept as `status`.

Example mapping:

    [import.intercom]
    category_by_tag = { "Bug report" = "bug", Billing = "billing" }
    facts_by_priority = { priority = { blocked = true } }
    fields = { "ARR" = "customer.arr", "Product area" = "product_area" }
    customers = { "70" = { name = "Acme Corp", plan = "enterprise" } }
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
    plain,
    settings,
)
from escalation.adapters.importers._stream import json_records

SOURCE = "intercom"
DEFAULTS: dict[str, Any] = {
    **COMMON_DEFAULTS,
}
_INBOUND = {"user", "lead", "contact"}


def records(stream: IO[str]) -> Iterator[tuple[int, Any]]:
    yield from enumerate(json_records(stream, ("conversations", "tickets", "data")), 1)


def to_ticket(record: Any, mapping: Mapping[str, Any] | None = None) -> dict[str, Any]:
    if not isinstance(record, Mapping) or record.get("id") is None:
        raise SkipRecordError("not an Intercom conversation or ticket (no id)")
    conf = settings(SOURCE, mapping, DEFAULTS)
    is_ticket = record.get("type") == "ticket"
    source: Mapping[str, Any] = _mapping(record.get("source"))
    attributes = _mapping(record.get("ticket_attributes"))
    tags = [str(t.get("name")) for t in _list(record.get("tags"), "tags")
            if isinstance(t, Mapping) and t.get("name")]
    contacts = _list(record.get("contacts"), "contacts")
    contact = contacts[0] if contacts and isinstance(contacts[0], Mapping) else {}
    contact_key = contact.get("external_id") or contact.get("id")
    ticket: dict[str, Any] = {
        "id": (f"{SOURCE}-ticket-{record.get('ticket_id') or record['id']}" if is_ticket
               else f"{SOURCE}-{record['id']}"),
        "subject": (attributes.get("_default_title_") if is_ticket else None)
        or record.get("title") or source.get("subject") or None,
        "description": (attributes.get("_default_description_") if is_ticket else None)
        or plain(source.get("body")),
        "created_at": iso(record.get("created_at")),
        "customer": customer_from(conf, None if contact_key is None else str(contact_key),
                                  None, SOURCE),
        "status": record.get("ticket_state") if is_ticket else record.get("state"),
    }
    custom = {**_mapping(record.get("custom_attributes")), **attributes}
    apply_fields(ticket, custom, conf)
    comms = []
    for part in _list(record.get("conversation_parts"), "conversation_parts"):
        if not isinstance(part, Mapping) or not part.get("body"):
            continue
        author = _mapping(part.get("author"))
        comms.append({"at": iso(part.get("created_at")),
                      "direction": "inbound" if author.get("type") in _INBOUND else "outbound",
                      "summary": (plain(part.get("body")) or "")[:500]})
    if comms:
        ticket["communications"] = [c for c in comms if c["summary"]]
    priority = record.get("priority")
    return finish(ticket, tags, priority if isinstance(priority, str) else None, conf)


def _list(value: Any, key: str) -> list[Any]:
    """Intercom wraps lists: `{"type": "tag.list", "tags": [...]}`."""
    if isinstance(value, Mapping):
        value = value.get(key)
    return value if isinstance(value, list) else []


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
