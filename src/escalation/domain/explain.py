"""Explain what a ticket's words said: every derived fact with all its evidence, the facts the
ticket stated itself that overrode a reading, every phrase read but set aside and why, and the
decision with and without the derived facts (`escalate explain`, `POST /api/v1/explain`, the
MCP tool `explain_ticket`, the dashboard's "Read from the ticket")."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from escalation.domain.contract import assessment_to_mapping
from escalation.domain.extract import Evidence, Extraction, Mention
from escalation.domain.model import Assessment, Ticket

_OVERRIDDEN = "overridden"


@dataclass(frozen=True, slots=True)
class Overridden:
    """A fact the ticket states itself, and the words that would have derived it."""

    fact: str
    stated: Any
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class Explanation:
    """What was read from one ticket, and what it changes."""

    ticket: Ticket
    extraction: Extraction
    derive_enabled: bool  # the policy's `[derive] enabled` (the reading is shown either way)
    with_derived: Assessment
    without_derived: Assessment

    @property
    def overridden(self) -> tuple[Overridden, ...]:
        """Facts the ticket stated that overrode a reading, in the order first read."""
        found: dict[str, list[Evidence]] = {}
        for mention in self.extraction.mentions:
            if mention.why.startswith(_OVERRIDDEN):
                found.setdefault(mention.fact, []).append(mention.evidence)
        return tuple(Overridden(fact, stated_value(self.ticket, fact), tuple(evidence))
                     for fact, evidence in found.items())

    @property
    def set_aside(self) -> tuple[Mention, ...]:
        """Phrases read but not taken as said (negated, hedged, a question, quoted, …)."""
        return tuple(m for m in self.extraction.mentions
                     if not m.why.startswith(_OVERRIDDEN))

    @property
    def changed(self) -> bool:
        """Whether the derived facts change the decision, the target or the severity."""
        a, b = self.with_derived, self.without_derived
        return (a.decision, a.target, a.severity) != (b.decision, b.target, b.severity)


def stated_value(ticket: Ticket, fact: str) -> Any:
    """The value the ticket itself gives a fact (`facts.<fact>`, the category included)."""
    return getattr(ticket.facts, fact, None)


def plain(value: Any) -> Any:
    """A fact's value as JSON-ready data (a category as its name)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


def evidence_to_mapping(evidence: Evidence) -> dict[str, Any]:
    return {"field": evidence.field, "phrase": evidence.phrase, "start": evidence.start,
            "end": evidence.end, "source": evidence.source}


def _outcome(assessment: Assessment) -> dict[str, Any]:
    mapped = assessment_to_mapping(assessment)
    return {key: mapped[key]
            for key in ("decision", "target", "also_notify", "severity", "reasons")}


def explanation_to_mapping(explanation: Explanation) -> dict[str, Any]:
    """The explanation as plain JSON-ready data (the CLI's `--format json`, the API, MCP)."""
    extraction = explanation.extraction
    return {
        "ticket_id": explanation.ticket.id,
        "derive_enabled": explanation.derive_enabled,
        "languages": list(extraction.languages),
        "derived": [
            {"fact": fact.name, "value": plain(fact.value),
             "evidence": [evidence_to_mapping(e) for e in fact.evidence]}
            for fact in extraction.derived.values()
        ],
        "stated": [
            {"fact": o.fact, "value": plain(o.stated),
             "evidence": [evidence_to_mapping(e) for e in o.evidence]}
            for o in explanation.overridden
        ],
        "set_aside": [
            {"fact": m.fact, "why": m.why, "evidence": evidence_to_mapping(m.evidence)}
            for m in explanation.set_aside
        ],
        "with_derived": _outcome(explanation.with_derived),
        "without_derived": _outcome(explanation.without_derived),
        "changed": explanation.changed,
    }
