"""Importers: read helpdesk exports as they come (Zendesk, Freshdesk, Jira, Intercom, GitHub,
CSV) and map each record to the ticket contract (SPEC.md).

Each source module has `records(stream) -> Iterator[(position, record)]`, streaming the file
(one record in memory at a time, see `_stream`), and `to_ticket(record, mapping) -> dict`, the
ticket-contract mapping with the source's defaults overridden by the `[import.SOURCE]` section
of a mapping TOML file (an example per source in each module's docstring). Common keys:

    category_by_tag    { tag = category }        adds to the built-in tag → category table
    facts_by_priority  { priority = { fact = value } }   nothing by default (conservative)
    facts_by_tag       { tag = { fact = value } }
    fields             { custom field = "contract.path" }   e.g. an ARR field → customer.arr
    customers          { org key = { name, arr, plan, … } }
    tier, product_area  defaults for every imported ticket

A record that is not a ticket to import raises `SkipRecordError`; the service reports it with its
position and goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from types import ModuleType
from typing import IO, Any

from escalation.adapters.importers import csvfile, freshdesk, github, intercom, jira, zendesk
from escalation.adapters.importers._common import MappingError, SkipRecordError
from escalation.adapters.importers._stream import StreamError

SOURCES: dict[str, ModuleType] = {
    "zendesk": zendesk, "freshdesk": freshdesk, "jira": jira, "intercom": intercom,
    "github": github, "csv": csvfile,
}

Records = Callable[[IO[str]], Iterator[tuple[int, Any]]]
ToTicket = Callable[[Any, Mapping[str, Any] | None], dict[str, Any]]


def importer(source: str) -> tuple[Records, ToTicket]:
    """The (records, to_ticket) pair of a source; KeyError names the unknown source."""
    module = SOURCES[source]
    return module.records, module.to_ticket


__all__ = ["SOURCES", "MappingError", "SkipRecordError", "StreamError", "importer"]
