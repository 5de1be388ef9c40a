"""CSV exports from any helpdesk, through a column mapping.

Each row is a record (its position is the row number after the header). `columns` maps a
ticket-contract path to a column header; the default expects the contract's own names
(`id, subject, description, created_at, priority, tags, customer.id, customer.name,
customer.arr, customer.plan, product_area, facts.category, …` — any contract path works as a
header). Ids become `<id_prefix>-<id>` (`csv-<id>` by default; `id_prefix = ""` keeps them); an
export with no id column can use the row number, `id = "#row"` (stable while rows keep their
order).
Tags are split on `tag_separator` and map to a category like any other source's; numbers
(ARR, hours, counts) and yes/no facts are read from their text.

Example mapping for a Zendesk "views" CSV export:

    [import.csv]
    id_prefix = "zendesk"
    tag_separator = " "
    columns = { id = "ID", subject = "Subject", created_at = "Requested",
                priority = "Priority", tags = "Tags", "customer.name" = "Organization",
                "customer.id" = "Organization", "customer.arr" = "ARR (USD)" }
    facts_by_priority = { urgent = { blocked = true } }
"""

from __future__ import annotations

import csv as _csv
from collections.abc import Iterator, Mapping
from typing import IO, Any

from escalation.adapters.importers._common import (
    MappingError,
    SkipRecordError,
    finish,
    iso,
    set_path,
    settings,
)

SOURCE = "csv"
DEFAULTS: dict[str, Any] = {
    "id_prefix": "csv",
    "tag_separator": ",",
    "columns": {},
    "category_by_tag": {},
    "facts_by_priority": {},
    "facts_by_tag": {},
}
_SPECIAL = ("priority", "tags")


ROW = "#row"  # a pseudo-column holding the row number, for exports without an id column


def records(stream: IO[str]) -> Iterator[tuple[int, Any]]:
    """(row number after the header, {header: cell}) — one row in memory at a time. Each row
    also carries its number under `#row` (map `id = "#row"` when the export has no ids)."""
    reader = _csv.DictReader(stream)
    for position, row in enumerate(reader, 1):
        row[ROW] = str(position)
        yield position, row


def to_ticket(record: Any, mapping: Mapping[str, Any] | None = None) -> dict[str, Any]:
    if not isinstance(record, Mapping):
        raise SkipRecordError("not a CSV row")
    conf = settings(SOURCE, mapping, DEFAULTS)
    columns = conf.get("columns", {})
    if not isinstance(columns, Mapping):
        raise MappingError("[import.csv] columns must be a table of contract path = header")
    if None in record:
        raise SkipRecordError(f"{len(record[None])} more cell(s) than the header has columns")
    # Each header that is itself a contract path maps to itself unless a column says otherwise.
    chosen = {str(h): str(h) for h in record if h}
    chosen.update({str(path): str(header) for path, header in columns.items()})
    ticket: dict[str, Any] = {}
    priority: str | None = None
    tags: list[str] = []
    for path, header in chosen.items():
        if header not in record:
            if path in columns:
                raise MappingError(f"[import.csv] columns.{path}: no column {header!r} "
                                   "in the file")
            continue
        value = (record[header] or "").strip()
        if not value:
            continue
        if path == "priority":
            priority = value
        elif path == "tags":
            sep = str(conf.get("tag_separator") or ",")
            tags = [t.strip() for t in value.split(sep) if t.strip()]
        elif path == "id":
            prefix = str(conf.get("id_prefix") or "")
            ticket["id"] = f"{prefix}-{value}" if prefix else value
        elif path in ("created_at", "deadline"):
            ticket[path] = iso(value)
        elif path in columns or _known(path):
            set_path(ticket, path, value)
    return finish(ticket, tags, priority, conf)


_TOP = ("subject", "description", "current_tier", "product_area", "ask",
        "customer_expectation", "url")


def _known(path: str) -> bool:
    """Headers used without a mapping: the contract's top-level text fields and dotted
    `customer.*` / `facts.*` paths; other columns are ignored."""
    return path in _TOP or path.startswith(("customer.", "facts."))
