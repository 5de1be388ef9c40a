"""Learnings: what resolved escalations taught, kept so later assessments can cite them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from escalation.domain.model import Category, DeEscalationReason, FixKind


@dataclass(frozen=True, slots=True)
class Learning:
    """What one resolved or de-escalated escalation taught, with the issue's signature."""

    escalation_id: str
    ticket_id: str
    terms: frozenset[str]  # the signature: normalised subject/description terms
    product_area: str | None
    category: Category | None
    resolution: str
    learning: str
    fix_kind: FixKind | None
    deescalation_reason: DeEscalationReason | None
    resolved_at: datetime
