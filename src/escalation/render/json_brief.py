"""The brief as stable JSON for programs: every text in the requested language, codes in English.

Structure (version 1; keys are never renamed within a version, new keys may be added)::

    {
      "kind": "escalation_brief",
      "version": 1,
      "lang": "en" | "zh",
      "ticket_id": "T-1042",
      "timezone": "America/New_York",           # the zone every time below is shown in
      "summary": FIELD,
      "severity": {"code": "critical"|"high"|"medium"|null, "text": "High", "needed": null|str},
      "target": {"code": "l2"|"engineering"|"product"|"security"|"leadership"|null,
                 "text": "Engineering", "needed": null|str},
      "impact": {                                # in the brief's order; always the four below,
        "customers_affected": LABELLED,          # then extras such as request_frequency,
        "workflow_impact": LABELLED,             # competitive_pressure, containment, urgency,
        "revenue_at_risk": LABELLED,             # reputation
        "sla_status": LABELLED, ...
      },
      "description": FIELD,
      "reproduction": null | {                   # null when the issue is not a bug
        "steps": [FIELD, ...],
        "expected": FIELD, "actual": FIELD, "environment": FIELD,
        "extra": {"start_state"|"frequency"|"ruled_out": LABELLED, ...}
      },
      "tried": [{"action": FIELD, "result": FIELD}, ...],   # [] when nothing is recorded
      "communication": {"last_update": LABELLED, "customer_expectation": LABELLED,
                        "escalation_risk": LABELLED},
      "needed_asks": [FIELD, ...],               # investigate / fix / decide / approve
      "deadline": FIELD + {"at": ISO-8601 in `timezone` | null},
      "supporting": [FIELD, ...],
      "reasons": [{"code": "technical.bug_code_fix", "category": "technical", "text": "…"}],
      "needed": [{"what": "…", "field": "reproduction.steps"}, ...]   # every gap, in order
    }

    FIELD    = {"text": str, "needed": null | str}
    LABELLED = {"label": str, "text": str, "needed": null | str}

`text` is what a reader sees, with `[needed: …]` markers in place of missing information;
`needed` says what is missing when the value (or a part of it) is missing, else null.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from escalation.domain.brief import Brief, Line, Moment, Needed, Phrase, Value
from escalation.domain.brief_json import KIND
from escalation.render.i18n import translate
from escalation.render.values import ValueRenderer, render_reason

VERSION = 1


def brief_to_mapping(brief: Brief, lang: str) -> dict[str, Any]:
    """The brief as JSON-ready data (see the module docstring for the structure)."""
    renderer = ValueRenderer(lang, brief.timezone, "plain")

    def field(value: Value) -> dict[str, Any]:
        return {"text": renderer.render(value), "needed": _needed_text(value, lang)}

    def labelled(line: Line) -> dict[str, Any]:
        return {"label": translate(line.label, lang), **field(line.value)}

    repro = brief.reproduction
    deadline_at = _moment(brief.deadline)
    return {
        "kind": KIND,
        "version": VERSION,
        "lang": lang,
        "ticket_id": brief.ticket_id,
        "timezone": brief.timezone,
        "summary": field(brief.summary),
        "severity": {"code": brief.severity_name, **field(brief.severity)},
        "target": {"code": brief.target_name, **field(brief.target)},
        "impact": {line.key: labelled(line) for line in brief.impact},
        "description": field(brief.description),
        "reproduction": None if repro is None else {
            "steps": [field(step) for step in repro.steps],
            "expected": field(repro.expected),
            "actual": field(repro.actual),
            "environment": field(repro.environment),
            "extra": {line.key: labelled(line) for line in repro.extra},
        },
        "tried": [] if isinstance(brief.tried, Needed) else [
            {"action": field(a.action), "result": field(a.result)} for a in brief.tried
        ],
        "communication": {line.key: labelled(line) for line in brief.communication},
        "needed_asks": [field(ask) for ask in brief.asks],
        "deadline": {
            **field(brief.deadline),
            "at": None if deadline_at is None
            else deadline_at.astimezone(ZoneInfo(brief.timezone)).isoformat(),
        },
        "supporting": [field(item) for item in brief.supporting],
        "reasons": [
            {"code": r.code, "category": r.category, "text": render_reason(r, lang)}
            for r in brief.reasons
        ],
        "needed": [
            {"what": translate(n.what, lang), "field": n.field} for n in brief.needed
        ],
    }


def render_json(brief: Brief, lang: str) -> str:
    """The brief as indented JSON text, non-ASCII kept readable."""
    return json.dumps(brief_to_mapping(brief, lang), ensure_ascii=False, indent=2) + "\n"


def _needed_text(value: Value, lang: str) -> str | None:
    found = _needed_in(value)
    if not found:
        return None
    separator = "；" if lang == "zh" else "; "
    return separator.join(translate(n.what, lang) for n in found)


def _needed_in(value: Value) -> list[Needed]:
    if isinstance(value, Needed):
        return [value]
    if isinstance(value, Phrase):
        return [n for param in value.params.values() for n in _needed_in(param)]
    return []


def _moment(value: Value) -> datetime | None:
    """The point in time a deadline names, in the brief's zone, or None."""
    if isinstance(value, Moment):
        return value.at
    if isinstance(value, Phrase):
        for param in value.params.values():
            found = _moment(param)
            if found is not None:
                return found
    return None
