"""Import a helpdesk export into the store: map, validate, upsert, index, audit.

`import_file` streams the file through the source's importer (one record in memory at a time,
see `escalation.adapters.importers`), validates each mapped ticket against the ticket contract,
and upserts it by ticket id (`<source>-<external id>`), counting new, updated and unchanged
tickets. A record that cannot be mapped or validated is skipped with its position and reason;
the rest import. Tickets are written and indexed for patterns in batches of `BATCH`, each batch
its own transaction, and one `tickets.imported` audit event records the counts at the end.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from escalation.adapters.db.store import Store
from escalation.adapters.importers import (
    SOURCES,
    MappingError,
    SkipRecordError,
    StreamError,
    importer,
)
from escalation.domain.assess import assess
from escalation.domain.contract import ticket_from_mapping
from escalation.domain.errors import InputError
from escalation.domain.model import Decision, Ticket
from escalation.domain.policy import Policy
from escalation.services import Desk, calendar_for, derive_facts

BATCH = 200


class ImportFailedError(ValueError):
    """Nothing more could be read (the file or the mapping is wrong); counts so far stand."""


@dataclass
class ImportSummary:
    """What an import did: counts, and each skipped record as (position, reason)."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)
    # New or updated tickets with facts read from their words, and how many of those the
    # assessment would escalate (policy `[derive]`; history and patterns not consulted).
    derived: int = 0
    derived_escalate: int = 0

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged + len(self.skipped)

    def line(self) -> str:
        return (f"imported {self.new} new, {self.updated} updated, {self.unchanged} unchanged, "
                f"{len(self.skipped)} skipped")

    def derived_line(self) -> str:
        """How many imported tickets had facts read from their words, and escalate."""
        return (f"facts read from the words of {self.derived} imported ticket(s): "
                f"{self.derived_escalate} would escalate")


def load_mapping(path: str | Path | None) -> dict[str, Any] | None:
    """The mapping TOML (`[import.SOURCE]` sections), or None."""
    if path is None:
        return None
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ImportFailedError(f"{path}: cannot read ({exc.strerror})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ImportFailedError(f"{path}: not a valid TOML mapping ({exc})") from exc


def import_file(
    store: Store, policy: Policy, source: str, path: str | Path,
    mapping: Mapping[str, Any] | None, now: datetime, actor: str,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import FILE from SOURCE; see the module docstring. `progress(records_seen)` is called
    after each batch."""
    if source not in SOURCES:
        raise ImportFailedError(f"unknown source {source!r}; one of {', '.join(SOURCES)}")
    records, to_ticket = importer(source)
    desk = Desk(store, policy, actor)
    summary = ImportSummary()
    batch: list[tuple[Ticket, dict[str, Any]]] = []
    try:
        with Path(path).open(encoding="utf-8-sig", newline="") as stream:
            for position, record in records(stream):
                try:
                    raw = to_ticket(record, mapping)
                    ticket = ticket_from_mapping(raw)
                except SkipRecordError as exc:
                    summary.skipped.append((position, str(exc)))
                    continue
                except InputError as exc:
                    summary.skipped.append((position, exc.message))
                    continue
                batch.append((ticket, raw))
                if len(batch) >= BATCH:
                    _write(desk, batch, now, summary)
                    batch = []
                    if progress:
                        progress(summary.total)
            _write(desk, batch, now, summary)
    except MappingError as exc:
        raise ImportFailedError(f"mapping: {exc}") from exc
    except StreamError as exc:
        raise ImportFailedError(f"{path}: {exc} after {summary.total} record(s)") from exc
    except UnicodeDecodeError as exc:
        raise ImportFailedError(f"{path}: not UTF-8 text") from exc
    except OSError as exc:
        raise ImportFailedError(f"{path}: cannot read ({exc.strerror})") from exc
    if progress:
        progress(summary.total)
    with store.unit_of_work() as uow:
        uow.append_event(now, actor, "tickets.imported", None, {
            "source": source, "file": Path(path).name, "new": summary.new,
            "updated": summary.updated, "unchanged": summary.unchanged,
            "skipped": len(summary.skipped),
        })
    return summary


def _write(desk: Desk, batch: list[tuple[Ticket, dict[str, Any]]], now: datetime,
           summary: ImportSummary) -> None:
    """Upsert one batch (one transaction), then index what is new or changed."""
    if not batch:
        return
    changed: list[Ticket] = []
    with desk.store.unit_of_work() as uow:
        for ticket, raw in batch:
            before = uow.get_ticket(ticket.id)
            if before is None:
                summary.new += 1
            elif before == ticket:
                summary.unchanged += 1
                continue
            else:
                summary.updated += 1
            uow.save_ticket(ticket, raw, now)
            changed.append(ticket)
    _count_derived(desk.policy, changed, now, summary)
    if changed:
        # Already indexed tickets are skipped by the index: an update keeps its first text.
        desk.index_tickets(changed, now)


def _count_derived(policy: Policy, tickets: list[Ticket], now: datetime,
                   summary: ImportSummary) -> None:
    """Count the tickets whose words derive facts, and those of them that would escalate."""
    for ticket in tickets:
        derived = derive_facts(ticket, policy)
        if not derived:
            continue
        summary.derived += 1
        calendar = calendar_for(ticket.customer, policy) if policy.sla.clock == "business" \
            else None
        if assess(ticket, policy, now, calendar, derived=derived).decision is Decision.ESCALATE:
            summary.derived_escalate += 1
