"""Stored escalations, audit events, follow-ups, views and lint findings as JSON-ready data."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from escalation.domain.audit import AuditEvent
    from escalation.domain.cadence import FollowupStatus
    from escalation.domain.lint import Finding
    from escalation.domain.model import Escalation
    from escalation.services import EscalationView, FollowupView


def escalation_json(e: Escalation) -> dict[str, Any]:
    """The stored state of an escalation as JSON-ready data."""
    return {
        "id": e.id,
        "ticket_id": e.ticket_id,
        "status": e.status.value,
        "severity": e.severity.value,
        "target": e.target.value,
        "also_notify": [t.value for t in e.also_notify],
        "owner": e.owner,
        "receiving_team": e.receiving_team.value,
        "customer": e.customer.name or e.customer.id,
        "customers_affected": e.customers_affected,
        "summary": e.summary,
        "opened_at": e.opened_at.isoformat(),
        "next_internal_due": e.internal.due_at.isoformat() if e.internal else None,
        "next_customer_update_due": (e.customer_update.due_at.isoformat()
                                     if e.customer_update else None),
        "checklist": sorted(item.value for item in e.checklist),
        "resolution": e.resolution,
        "learning": e.learning,
        "fix_kind": e.fix_kind.value if e.fix_kind else None,
        "deescalation_reason": e.deescalation_reason.value if e.deescalation_reason else None,
        "deescalation_note": e.deescalation_note,
        "version": e.version,
    }


def event_json(event: AuditEvent) -> dict[str, Any]:
    """One audit event as JSON-ready data."""
    return {
        "seq": event.seq, "at": event.at.isoformat(), "actor": event.actor,
        "action": event.action, "escalation_id": event.escalation_id,
        "details": dict(event.details), "prev_hash": event.prev_hash, "hash": event.hash,
    }


def followup_status_json(s: FollowupStatus) -> dict[str, Any]:
    """One follow-up clock's state at a moment as JSON-ready data."""
    return {
        "escalation_id": s.escalation_id,
        "kind": s.kind.value,
        "state": s.state.value,
        "due_at": s.due_at.isoformat(),
        "overdue_at": s.overdue_at.isoformat(),
        "minutes_until_due": round(s.delta.total_seconds() / 60),
    }


def followup_json(v: FollowupView) -> dict[str, Any]:
    """One follow-up owed, with what a follow-up list shows about its escalation."""
    return {**followup_status_json(v.status), "severity": v.escalation.severity.value,
            "target": v.escalation.target.value, "owner": v.escalation.owner,
            "customer": v.escalation.customer, "summary": v.escalation.summary}


def finding_json(f: Finding) -> dict[str, Any]:
    """One lint finding as JSON-ready data."""
    return {"code": f.code, "level": f.level.value, "field": f.field,
            "message": f.message, "hint": f.hint}


def findings_json(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """Lint findings as JSON-ready data, in order."""
    return [finding_json(f) for f in findings]


def lint_result_json(ticket_id: str, findings: Iterable[Finding]) -> dict[str, Any]:
    """The lint answer for one ticket or brief: its id and its findings."""
    return {"ticket_id": ticket_id, "findings": findings_json(findings)}


def view_json(view: EscalationView, lang: str = "en") -> dict[str, Any]:
    """Everything `show` knows about an escalation, with its brief written in `lang`."""
    from escalation.render import render_brief  # noqa: PLC0415 - loads the catalogs

    return {
        "escalation": escalation_json(view.escalation),
        "linked_tickets": list(view.linked_tickets),
        "followups": [followup_status_json(s) for s in view.followups],
        "closing_gaps": list(view.closing_gaps),
        "brief": json.loads(render_brief(view.briefed.brief, "json", lang))
        if view.briefed else None,
        "lint": findings_json(view.briefed.findings if view.briefed else ()),
        "follow_up_log": [{"kind": r.kind.value, "at": r.at.isoformat(), "actor": r.actor,
                           "note": r.note} for r in view.follow_up_log],
        "timeline": [event_json(e) for e in view.events],
    }
