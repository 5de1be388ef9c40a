"""Business impact: the seed's six dimensions, SLA standing, and the severity they lead to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from escalation.domain.model import (
    Category,
    DimensionScore,
    Impact,
    Level,
    Severity,
    SlaStatus,
    Ticket,
)
from escalation.domain.policy import Policy

if TYPE_CHECKING:
    from escalation.domain.calendar import BusinessCalendar


@dataclass(frozen=True, slots=True)
class SlaStanding:
    """Where the ticket stands against its resolution SLA."""

    status: SlaStatus
    hours_used: float | None = None
    hours: float | None = None


def sla_hours_for(ticket: Ticket, policy: Policy) -> float | None:
    """The customer's contractual SLA, else their plan's default, else None."""
    customer = ticket.customer
    if customer.sla_hours is not None:
        return customer.sla_hours
    if customer.plan is not None:
        return policy.sla.plan_hours.get(customer.plan)
    return None


def sla_standing(
    ticket: Ticket, policy: Policy, now: datetime, calendar: BusinessCalendar | None = None
) -> SlaStanding:
    """within / at_risk (policy share of the SLA used) / breached / unknown."""
    hours = sla_hours_for(ticket, policy)
    if hours is None or ticket.created_at is None:
        return SlaStanding(SlaStatus.UNKNOWN, None, hours)
    if policy.sla.clock == "business" and calendar is not None:
        used = max(0.0, calendar.business_hours_between(ticket.created_at, now))
    else:
        used = max(0.0, (now - ticket.created_at).total_seconds() / 3600.0)
    if used >= hours:
        status = SlaStatus.BREACHED
    elif used >= hours * policy.thresholds.sla_at_risk_share:
        status = SlaStatus.AT_RISK
    else:
        status = SlaStatus.WITHIN
    return SlaStanding(status, round(used, 2), hours)


def is_high_value(ticket: Ticket, policy: Policy) -> bool:
    """ARR at or above the policy's high-value threshold."""
    arr = ticket.customer.arr
    return arr is not None and arr >= policy.thresholds.high_value_arr


def is_key_customer(ticket: Ticket, policy: Policy) -> bool:
    """High-value, a reference customer, or on one of the policy's key plans."""
    customer = ticket.customer
    return (
        is_high_value(ticket, policy)
        or customer.reference_customer
        or (customer.plan is not None and customer.plan in policy.thresholds.key_plans)
    )


def customers_affected(ticket: Ticket) -> int | None:
    """Customers affected as stated; a ticket with a customer counts at least that one."""
    stated = ticket.facts.customers_affected
    if stated is not None:
        return stated
    return 1 if (ticket.customer.id or ticket.customer.name) else None


def severity_for(
    ticket: Ticket, policy: Policy, sla: SlaStanding
) -> tuple[Severity, tuple[str, ...]]:
    """The seed's severity shorthand and the facts that set it.

    Critical: production down, data at risk, security breach, multiple high-value customers.
    High: major functionality broken, key customer blocked, SLA at risk (or breached); also a
    security concern that is not (yet) a breach, which the seed routes "immediately".
    Medium: everything else that goes up, e.g. a significant issue with a workaround.
    A known workaround or documented solution means the customer is no longer blocked, so it
    removes "blocked" and "major functionality broken" as High drivers — never Critical ones.
    """
    f = ticket.facts
    critical: list[str] = []
    if f.production_down or f.category is Category.OUTAGE:
        critical.append("production down")
    if f.data_loss:
        critical.append("data loss")
    if f.data_corruption:
        critical.append("data corruption")
    if f.data_integrity_at_risk:
        critical.append("data integrity at risk")
    if f.unauthorized_access:
        critical.append("security breach: unauthorized access")
    if f.potential_data_exposure:
        critical.append("security breach: potential data exposure")
    high_value = f.high_value_customers_affected or 0
    if high_value >= policy.thresholds.multiple_high_value_customers:
        critical.append(f"{high_value} high-value customers affected")
    if critical:
        return Severity.CRITICAL, tuple(critical)

    high: list[str] = []
    unblocked = f.known_workaround is not None or f.documented_solution is not None
    if f.major_functionality_broken and not unblocked:
        high.append("major functionality broken")
    if f.blocked and not unblocked and is_key_customer(ticket, policy):
        high.append("key customer blocked")
    if sla.status is SlaStatus.AT_RISK:
        high.append(f"SLA at risk ({sla.hours_used:g} of {sla.hours:g} h used)")
    elif sla.status is SlaStatus.BREACHED:
        high.append(f"SLA breached ({sla.hours_used:g} of {sla.hours:g} h used)")
    if f.vulnerability_report:
        high.append("vulnerability report")
    if f.compliance_concern:
        high.append("compliance concern")
    if (f.security_concern or (f.category is Category.SECURITY)) and (
        not high or high[-1] not in ("vulnerability report", "compliance concern")
    ):
        high.append("security concern")
    if high:
        return Severity.HIGH, tuple(high)

    medium: list[str] = []
    if unblocked and (f.blocked or f.major_functionality_broken or f.bug_confirmed):
        medium.append("significant issue with a workaround")
    else:
        medium.append("important but not urgent business impact")
    return Severity.MEDIUM, tuple(medium)


def score_impact(
    ticket: Ticket,
    policy: Policy,
    now: datetime,
    sla: SlaStanding,
    drivers: tuple[str, ...],
) -> Impact:
    """Score breadth, depth, duration, revenue, reputation and contractual from ticket facts."""
    return Impact(
        breadth=_breadth(ticket, policy),
        depth=_depth(ticket),
        duration=_duration(ticket, now, sla),
        revenue=_revenue(ticket, policy),
        reputation=_reputation(ticket, policy),
        contractual=_contractual(ticket, sla),
        drivers=drivers,
    )


def _breadth(ticket: Ticket, policy: Policy) -> DimensionScore:
    count = customers_affected(ticket)
    high_value = ticket.facts.high_value_customers_affected or 0
    if count is None:
        return DimensionScore(Level.UNKNOWN, "customers affected not stated")
    detail = f"{count} customer{'s' if count != 1 else ''}"
    if high_value:
        detail += f" ({high_value} high-value)"
    if ticket.facts.severity_increasing:
        detail += ", growing"
    if count >= policy.thresholds.pattern_customers or (
        high_value >= policy.thresholds.multiple_high_value_customers
    ):
        return DimensionScore(Level.HIGH, detail)
    if count >= 2 or ticket.facts.severity_increasing:
        return DimensionScore(Level.MEDIUM, detail)
    return DimensionScore(Level.LOW, detail)


def _depth(ticket: Ticket) -> DimensionScore:
    f = ticket.facts
    if f.production_down or (f.category is Category.OUTAGE):
        return DimensionScore(Level.HIGH, "blocked: production down")
    if f.data_loss or f.data_corruption:
        return DimensionScore(Level.HIGH, "data lost or corrupted")
    if f.known_workaround is not None:
        return DimensionScore(Level.LOW, "inconvenienced: a workaround exists")
    if f.blocked:
        return DimensionScore(Level.HIGH, "blocked")
    if f.major_functionality_broken:
        return DimensionScore(Level.MEDIUM, "major functionality broken")
    if f.data_integrity_at_risk:
        return DimensionScore(Level.MEDIUM, "data integrity at risk")
    return DimensionScore(Level.UNKNOWN, "blocked or inconvenienced not stated")


def _duration(ticket: Ticket, now: datetime, sla: SlaStanding) -> DimensionScore:
    waited = ticket.facts.hours_waiting
    open_hours = (
        max(0.0, (now - ticket.created_at).total_seconds() / 3600.0)
        if ticket.created_at is not None
        else None
    )
    parts = []
    if open_hours is not None:
        parts.append(f"open {open_hours:.1f} h")
    if waited is not None:
        parts.append(f"customer waiting {waited:g} h")
    if sla.status is SlaStatus.BREACHED:
        return DimensionScore(Level.HIGH, ", ".join([*parts, "past the SLA"]))
    if sla.status is SlaStatus.AT_RISK:
        return DimensionScore(Level.MEDIUM, ", ".join([*parts, "SLA at risk"]))
    if not parts:
        return DimensionScore(Level.UNKNOWN, "no created_at or hours_waiting")
    longest = max(h for h in (open_hours, waited) if h is not None)
    level = Level.HIGH if longest >= 72 else Level.MEDIUM if longest >= 24 else Level.LOW
    return DimensionScore(level, ", ".join(parts))


def _revenue(ticket: Ticket, policy: Policy) -> DimensionScore:
    arr = ticket.customer.arr
    churn = ticket.facts.churn_risk
    if arr is None:
        if churn:
            return DimensionScore(Level.MEDIUM, "churn risk, ARR not stated")
        return DimensionScore(Level.UNKNOWN, "ARR not stated")
    threshold = policy.thresholds.high_value_arr
    detail = f"ARR {arr:,.0f}" + (", churn risk" if churn else "")
    if arr >= threshold or (churn and arr >= threshold / 4):
        return DimensionScore(Level.HIGH, detail)
    if arr >= threshold / 4 or churn:
        return DimensionScore(Level.MEDIUM, detail)
    return DimensionScore(Level.LOW, detail)


def _reputation(ticket: Ticket, policy: Policy) -> DimensionScore:
    f = ticket.facts
    reasons = []
    if f.pr_or_legal_risk:
        reasons.append("PR or legal risk")
    if f.potential_data_exposure or f.unauthorized_access:
        reasons.append("possible security breach")
    if ticket.customer.reference_customer:
        reasons.append("reference customer")
    if f.executive_involvement_requested:
        reasons.append("executive involvement requested")
    if reasons and (f.pr_or_legal_risk or f.potential_data_exposure or f.unauthorized_access):
        return DimensionScore(Level.HIGH, ", ".join(reasons))
    if reasons:
        return DimensionScore(Level.MEDIUM, ", ".join(reasons))
    if is_key_customer(ticket, policy):
        return DimensionScore(Level.LOW, "key account, no public exposure stated")
    return DimensionScore(Level.LOW, "no public exposure stated")


def _contractual(ticket: Ticket, sla: SlaStanding) -> DimensionScore:
    f = ticket.facts
    if f.compliance_concern:
        return DimensionScore(Level.HIGH, "compliance obligation in question")
    if sla.status is SlaStatus.BREACHED:
        return DimensionScore(Level.HIGH, f"SLA of {sla.hours:g} h breached")
    if sla.status is SlaStatus.AT_RISK:
        return DimensionScore(Level.MEDIUM, f"SLA of {sla.hours:g} h at risk")
    if sla.status is SlaStatus.WITHIN:
        return DimensionScore(Level.LOW, f"within the SLA of {sla.hours:g} h")
    if ticket.customer.update_hours is not None:
        hours = ticket.customer.update_hours
        return DimensionScore(Level.LOW, f"contractual updates every {hours:g} h")
    return DimensionScore(Level.UNKNOWN, "no SLA known")
