"""Should this ticket go up, to whom, how urgently and why: the seed's rules as one pure function.

Precedence, decided once and documented here:

1. **Hard triggers** escalate even when a workaround or documented solution exists: every
   security trigger, data loss, data corruption, data integrity at risk, production down,
   multiple high-value customers, the same issue from N+ customers (policy, default 3) and an
   issue recurring after a fix.
2. **Firm triggers** escalate too, because a workaround does not remove them: a confirmed bug
   that needs a code change (Medium when the workaround unblocks the customer) and the business
   triggers that need leadership (high-value customer at risk, SLA breach on a key account,
   executive involvement requested, policy exception, PR or legal risk, cross-functional
   decision).
3. **Soft triggers** (infrastructure, complexity, several customers, time, rising severity,
   product gaps, a customer blocked with no way forward) escalate only when no rule of "Handle
   in Support When" applies.

Routing: Security is reached from any tier at once. Leadership is reached from any tier. From
L1 every other trigger goes to L2; from L2 technical triggers go to Engineering and product
triggers to Product, while time triggers with nothing technical behind them go to (support)
leadership. Breadth and pattern triggers (several customers, 3+ customers, rising severity, a
blocked customer) follow the kind of problem: a feature gap asked for by five customers goes
to Product, anything else to Engineering. When a technical or product problem comes with
business triggers, the technical target leads and leadership is in `also_notify`; leadership
leads when the business issue is the whole story, time triggers included (a PR threat after a
month's wait goes to leadership, with L2 notified: more urgency never lowers the target).
Security always leads, with everyone else in `also_notify`.

History: `history` holds the stored learnings that resemble the ticket (`match_learnings`,
best first); only the best match counts. When that escalation was resolved with a workaround or
at the support level (or de-escalated because support found the root cause or a workaround),
the support reason `support.resolved_before` cites it ("Previous similar tickets were resolved
at the support level"), so soft triggers stay in support like any other "Handle in Support
When" rule; it is not given when the ticket says the issue recurs after a fix. When that
escalation was fixed in code and the ticket arrived after the fix (or its arrival is unknown),
the hard trigger `pattern.recurring_after_fix` is derived and cites it — only for a close
match (score ≥ RECURRENCE_MIN_SCORE), since a false one would force an escalation. Facts
given explicitly win: an explicit `recurring_after_fix` keeps its own reason, never a second
derived one.

Patterns: `patterns` is the `PatternEvidence` of the tickets that resemble this one
(`patterns.evidence_for`). It only fills facts the ticket leaves unset, and every reason it
adds cites the tickets it came from:

- customers affected: with no `customers_affected` stated, the number of distinct customers
  of the matches (this ticket's included) counts for the several-customers trigger, the
  `pattern.three_plus_customers` hard trigger and the breadth of the impact, when it is more
  than the ticket alone says; the reasons cite one ticket per customer ("Same issue reported
  by 3 customers (threshold 3): ZD-1, ZD-4, ZD-9").
- previously resolved in support: a match whose escalation ended at the support level gives
  `support.previously_resolved` citing it — not when the issue recurs after a fix.
- recurring after a fix: a match fixed in code before this ticket arrived gives the hard
  trigger `pattern.recurring_after_fix` citing it and the fix date, unless the ticket says so
  itself or the history already derived it (never two recurrence reasons).
- severity increasing: rising severities across the matches give the soft trigger
  `pattern.severity_increasing` with the trend ("ZD-1 medium → ZD-7 high → ZD-9 critical").

The assessment's `missing` still reads the ticket itself: a derived count is not a stated one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from escalation.domain.extract import Extraction, with_derived
from escalation.domain.impact import (
    SlaStanding,
    customers_affected,
    is_high_value,
    is_key_customer,
    score_impact,
    severity_for,
    sla_standing,
)
from escalation.domain.learnings import Learning, LearningMatch
from escalation.domain.model import (
    N_,
    Assessment,
    Category,
    Decision,
    DeEscalationReason,
    FixKind,
    Reason,
    Severity,
    SlaStatus,
    Target,
    Ticket,
    Tier,
)
from escalation.domain.patterns import IndexedTicket, PatternEvidence, cite
from escalation.domain.policy import DEFAULT_POLICY, Policy

if TYPE_CHECKING:
    from escalation.domain.calendar import BusinessCalendar

# Strength of an escalation trigger (see the module docstring).
HARD, FIRM, SOFT = 3, 2, 1

# Where a trigger would go from L2 ("tier" = the next step up the normal path).
_ENG, _PRODUCT, _SECURITY, _LEADERSHIP, _TIER = "eng", "product", "security", "leadership", "tier"
# Breadth and pattern triggers say how big a problem is, not what kind: they follow the
# technical or product triggers beside them, and go to Engineering when they stand alone.
_ISSUE = "issue"


class _Trigger:
    __slots__ = ("reason", "route", "strength")

    def __init__(self, reason: Reason, strength: int, route: str):
        self.reason = reason
        self.strength = strength
        self.route = route


def assess(
    ticket: Ticket,
    policy: Policy = DEFAULT_POLICY,
    now: datetime | None = None,
    calendar: BusinessCalendar | None = None,
    *,
    history: Sequence[LearningMatch] = (),
    patterns: PatternEvidence | None = None,
    derived: Extraction | None = None,
) -> Assessment:
    """Decide escalate or handle in support, the target, the severity and every reason.

    `now` makes time-based judgements reproducible; without it SLA standing is unknown.
    `calendar` is the customer's business calendar, used when the policy counts SLA hours in
    business time. `history` is what earlier escalations of similar tickets taught and
    `patterns` what similar tickets say (see the module docstring). `derived` is what the
    ticket's own words say (`extract.extract`): its facts fill those the ticket leaves unset,
    and every reason resting on one cites the words it was read from.
    """
    evidence = patterns if patterns is not None else _NO_EVIDENCE
    stated = ticket
    read = ticket if not derived else with_derived(ticket, derived)
    ticket, customer_tickets = _with_pattern_facts(
        read, evidence, explicit_count=stated.facts.customers_affected is not None)
    if now is None:
        sla = SlaStanding(SlaStatus.UNKNOWN)
        scoring_now = ticket.created_at
    else:
        sla = sla_standing(ticket, policy, now, calendar)
        scoring_now = now
    best = _best_match(history)
    seen_before = best.learning if best is not None else None
    # A derived recurrence is a hard trigger, so it needs a closer match than a citation does.
    fixed_before = seen_before if best is not None and best.score >= RECURRENCE_MIN_SCORE else None
    recurs = (ticket.facts.recurring_after_fix or evidence.fixed_before is not None
              or (fixed_before is not None and _recurs_after_fix(ticket, fixed_before)))
    triggers = _escalation_triggers(ticket, policy, sla, fixed_before, evidence,
                                    customer_tickets)
    support = _support_reasons(ticket, seen_before,
                               None if recurs else evidence.resolved_in_support)
    strongest = 0
    for trigger in triggers:
        strongest = max(strongest, trigger.strength)
    escalate = strongest >= FIRM or (strongest == SOFT and not support)

    if not escalate:
        reasons = _cited(tuple(support), derived) or (
            Reason("support.no_trigger", "support",
                   N_("No escalation trigger of the playbook applies; handle in support")),
        )
        severity_drivers: tuple[str, ...] = ()
        impact = score_impact(ticket, policy, scoring_now or _EPOCH, sla, severity_drivers)
        return Assessment(
            ticket_id=stated.id,
            decision=Decision.HANDLE_IN_SUPPORT,
            target=None,
            also_notify=(),
            severity=None,
            reasons=reasons,
            impact=impact,
            sla_status=sla.status,
            missing=(),
            sla_hours_used=sla.hours_used,
            sla_hours=sla.hours,
        )

    severity, severity_drivers = severity_for(ticket, policy, sla)
    target, also_notify = _route(ticket, policy, triggers, severity)
    impact = score_impact(ticket, policy, scoring_now or _EPOCH, sla, severity_drivers)
    # Strongest first; the sort is stable, so rules keep the seed's order within a strength.
    reasons = _cited(tuple(
        t.reason for strength in (HARD, FIRM, SOFT) for t in triggers if t.strength == strength
    ), derived)
    return Assessment(
        ticket_id=stated.id,
        decision=Decision.ESCALATE,
        target=target,
        also_notify=also_notify,
        severity=severity,
        reasons=reasons,
        impact=impact,
        sla_status=sla.status,
        missing=missing_for(read, target),
        sla_hours_used=sla.hours_used,
        sla_hours=sla.hours,
    )


_EPOCH = datetime.fromisoformat("1970-01-01T00:00:00+00:00")
_NO_EVIDENCE = PatternEvidence()


# The facts each reason rests on, for citing the words a derived one was read from. A reason
# with parameters of its own (tickets, an escalation) cites those instead.
_REASON_FACTS: dict[str, tuple[str, ...]] = {
    "impact.potential_data_exposure": ("potential_data_exposure",),
    "impact.unauthorized_access": ("unauthorized_access",),
    "impact.vulnerability_report": ("vulnerability_report",),
    "impact.compliance_concern": ("compliance_concern",),
    "impact.security_concern": ("security_concern",),
    "technical.data_loss": ("data_loss",),
    "technical.data_corruption": ("data_corruption",),
    "impact.production_down": ("production_down",),
    "impact.data_integrity_at_risk": ("data_integrity_at_risk",),
    "impact.multiple_customers": ("customers_affected",),
    "pattern.three_plus_customers": ("customers_affected",),
    "impact.blocked_without_workaround": ("blocked", "major_functionality_broken"),
    "business.high_value_churn_risk": ("churn_risk",),
    "business.executive_involvement": ("executive_involvement_requested",),
    "business.policy_exception": ("policy_exception_needed",),
    "business.pr_or_legal_risk": ("pr_or_legal_risk",),
    "time.unreasonable_wait": ("hours_waiting",),
    "pattern.recurring_after_fix": ("recurring_after_fix",),
    "pattern.severity_increasing": ("severity_increasing",),
    "product.feature_gap": ("category",),
    "support.guidance": ("category",),
    "support.configuration": ("category",),
    "support.known_workaround": ("known_workaround",),
}
_CITES_ITS_OWN = frozenset({"tickets", "escalation", "trend", "ticket"})


def _cited(reasons: tuple[Reason, ...], derived: Extraction | None) -> tuple[Reason, ...]:
    """Each reason that rests on a derived fact, citing the words it was read from."""
    if not derived:
        return reasons
    out = []
    for reason in reasons:
        cites = None
        if not _CITES_ITS_OWN & reason.params.keys():
            for fact in _REASON_FACTS.get(reason.code, ()):
                # A fact read as false ("blocked": a minor inconvenience) is no reason's ground.
                found = derived.derived.get(fact)
                if found is not None and found.value is not False:
                    cites = found.cite()
                    break
        out.append(replace(reason, cites=cites) if cites is not None else reason)
    return tuple(out)


def _with_pattern_facts(
    ticket: Ticket, evidence: PatternEvidence, *, explicit_count: bool = False
) -> tuple[Ticket, tuple[str, ...] | None]:
    """The ticket with the customers affected the matches show, if it states none.

    Returns the ticket to assess and, when the count was derived, the tickets to cite for it
    (None when the count is the ticket's own).
    """
    derived = evidence.customers_affected
    if explicit_count or derived is None:
        return ticket, None
    if derived <= (customers_affected(ticket) or 0):
        return ticket, None
    facts = replace(ticket.facts, customers_affected=derived)
    return replace(ticket, facts=facts), evidence.customer_tickets


def _severity_trend(trend: Sequence[IndexedTicket]) -> str:
    """"ZD-1 medium → ZD-7 high → ZD-9 critical"; the first and last two of a longer trend."""
    steps = [f"{t.ticket_id} {t.severity.value}" if t.severity is not None else t.ticket_id
             for t in trend]
    if len(steps) > 4:
        steps = [*steps[:2], "…", *steps[-2:]]
    return " → ".join(steps)


def _day(at: datetime) -> str:
    return _utc(at).astimezone(UTC).date().isoformat()


def _route(
    ticket: Ticket, policy: Policy, triggers: list[_Trigger], severity: Severity
) -> tuple[Target, tuple[Target, ...]]:
    routes = {t.route for t in triggers}
    if _ISSUE in routes and not routes & {_ENG, _PRODUCT, _SECURITY}:
        routes.add(_ENG)
    from_l1 = ticket.current_tier is Tier.L1
    skip_l2 = (
        from_l1 and policy.tiers.critical_may_skip_l2 and severity is Severity.CRITICAL
    )
    up_path = from_l1 and not skip_l2

    wanted: list[Target] = []
    if _SECURITY in routes:
        wanted.append(Target.SECURITY)
    if _ENG in routes:
        wanted.append(Target.L2 if up_path else Target.ENGINEERING)
    if _PRODUCT in routes:
        wanted.append(Target.L2 if up_path else Target.PRODUCT)
    if _LEADERSHIP in routes and not routes & {_ENG, _PRODUCT}:
        # A business issue with nothing technical behind it leads to leadership, also when
        # time triggers come with it (more urgency never lowers the target).
        wanted.append(Target.LEADERSHIP)
    if _TIER in routes and not routes & {_ENG, _PRODUCT}:
        # Time alone: L1 asks L2; at L2 the normal channels have failed, so leadership.
        wanted.append(Target.L2 if from_l1 else Target.LEADERSHIP)
    if _LEADERSHIP in routes:
        wanted.append(Target.LEADERSHIP)
    ordered: list[Target] = []
    for target in wanted:
        if target not in ordered:
            ordered.append(target)
    return ordered[0], tuple(ordered[1:])


def _best_match(history: Sequence[LearningMatch]) -> LearningMatch | None:
    best: LearningMatch | None = None
    for match in history:
        if best is None or match.score > best.score:
            best = match
    return best


# Least match score for deriving `pattern.recurring_after_fix` (a hard trigger). On the gitbugs
# sample (tests/unit/test_learnings.py) 1.7% of unrelated pairs score 0.35 or more.
RECURRENCE_MIN_SCORE = 0.4


_SUPPORT_FIXES = frozenset({FixKind.WORKAROUND, FixKind.SUPPORT})
_SUPPORT_DEESCALATIONS = frozenset(
    {DeEscalationReason.ROOT_CAUSE_SUPPORT, DeEscalationReason.WORKAROUND_FOUND}
)


def _resolved_before(ticket: Ticket, learning: Learning | None) -> Reason | None:
    """`support.resolved_before` when the matched escalation was resolved in support."""
    if learning is None or ticket.facts.recurring_after_fix:
        return None
    if learning.fix_kind is FixKind.CODE_FIX:
        return None
    if not (learning.fix_kind in _SUPPORT_FIXES
            or learning.deescalation_reason in _SUPPORT_DEESCALATIONS):
        return None
    said = learning.learning.strip() or learning.resolution.strip()
    cited = {"escalation": learning.escalation_id}
    if not said:
        return Reason("support.resolved_before", "support",
                      N_("Resolved before in {escalation}"), cited)
    workaround = (learning.fix_kind is FixKind.WORKAROUND
                  or learning.deescalation_reason is DeEscalationReason.WORKAROUND_FOUND)
    return Reason("support.resolved_before", "support",
                  N_("Resolved before in {escalation} (workaround: {learning})") if workaround
                  else N_("Resolved before at the support level in {escalation}: {learning}"),
                  {**cited, "learning": said})


def _recurs_after_fix(ticket: Ticket, learning: Learning | None) -> bool:
    """The matched escalation was fixed in code and this ticket came in after the fix."""
    if learning is None or learning.fix_kind is not FixKind.CODE_FIX:
        return False
    return ticket.created_at is None or _utc(ticket.created_at) > _utc(learning.resolved_at)


def _utc(at: datetime) -> datetime:
    # Naive timestamps are read as UTC, so comparing them with aware ones never raises.
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _support_reasons(
    ticket: Ticket, seen_before: Learning | None = None, similar: IndexedTicket | None = None
) -> list[Reason]:
    f = ticket.facts
    out: list[Reason] = []
    if f.documented_solution is not None:
        out.append(Reason("support.documented_solution", "support",
                          N_("A documented solution exists: {solution}"),
                          {"solution": f.documented_solution}))
    if f.known_workaround is not None:
        out.append(Reason("support.known_workaround", "support",
                          N_("A known workaround exists: {workaround}"),
                          {"workaround": f.known_workaround}))
    if f.category is Category.CONFIGURATION:
        out.append(Reason("support.configuration", "support",
                          N_("A configuration or setup issue that support can resolve")))
    if f.category is Category.HOW_TO or f.category is Category.TRAINING:
        out.append(Reason("support.guidance", "support",
                          N_("The customer needs guidance, not a fix (a how-to question)")
                          if f.category is Category.HOW_TO
                          else N_("The customer needs training, not a fix")))
    if f.known_limitation and f.documented_alternative is not None:
        out.append(Reason("support.known_limitation", "support",
                          N_("A known limitation with a documented alternative: {alternative}"),
                          {"alternative": f.documented_alternative}))
    if f.previously_resolved_in_support:
        out.append(Reason("support.previously_resolved", "support",
                          N_("Similar tickets were resolved at the support level before")))
    elif similar is not None:
        escalation = similar.escalation_id
        out.append(Reason(
            "support.previously_resolved", "support",
            N_("A similar ticket, {ticket}, was resolved at the support level ({escalation})")
            if escalation is not None
            else N_("A similar ticket, {ticket}, was resolved at the support level"),
            {"ticket": similar.ticket_id, "escalation": escalation} if escalation is not None
            else {"ticket": similar.ticket_id}))
    resolved_before = _resolved_before(ticket, seen_before)
    if resolved_before is not None:
        out.append(resolved_before)
    return out


def _escalation_triggers(
    ticket: Ticket,
    policy: Policy,
    sla: SlaStanding,
    seen_before: Learning | None = None,
    evidence: PatternEvidence = _NO_EVIDENCE,
    customer_tickets: tuple[str, ...] | None = None,
) -> list[_Trigger]:
    """The triggers that apply; `customer_tickets` cites a count derived from `evidence`."""
    f = ticket.facts
    th = policy.thresholds
    out: list[_Trigger] = []

    def add(code: str, category: str, strength: int, route: str, template: str,
            params: dict[str, str] | None = None) -> None:
        out.append(_Trigger(Reason(code, category, template, params or {}), strength, route))

    # Security: "Any -> Security", immediately, whatever else is true.
    if f.potential_data_exposure:
        add("impact.potential_data_exposure", "impact", HARD, _SECURITY,
            N_("Potential data exposure reported"))
    if f.unauthorized_access:
        add("impact.unauthorized_access", "impact", HARD, _SECURITY,
            N_("Unauthorized access reported"))
    if f.vulnerability_report:
        add("impact.vulnerability_report", "impact", HARD, _SECURITY,
            N_("A vulnerability was reported"))
    if f.compliance_concern:
        add("impact.compliance_concern", "impact", HARD, _SECURITY,
            N_("A compliance concern was raised"))
    if f.security_concern or f.category is Category.SECURITY:
        add("impact.security_concern", "impact", HARD, _SECURITY,
            N_("A security concern was flagged") if f.security_concern
            else N_("A security concern: the ticket's category is security"))

    # Technical.
    if f.data_loss:
        add("technical.data_loss", "technical", HARD, _ENG, N_("Data loss reported"))
    if f.data_corruption:
        add("technical.data_corruption", "technical", HARD, _ENG,
            N_("Data corruption reported"))
    if f.bug_confirmed or f.needs_code_change:
        add("technical.bug_code_fix", "technical", FIRM, _ENG,
            N_("Confirmed bug that needs a code fix") if f.bug_confirmed and f.needs_code_change
            else N_("Bug confirmed: it needs a code fix") if f.bug_confirmed
            else N_("Needs a code change: a fix only engineering can make"))
    if f.infrastructure_suspected:
        add("technical.infrastructure", "technical", SOFT, _ENG,
            N_("Infrastructure investigation needed"))

    # Complexity.
    if f.beyond_support_diagnosis:
        add("complexity.beyond_support_diagnosis", "complexity", SOFT, _ENG,
            N_("Beyond support's ability to diagnose"))
    if f.requires_access_support_lacks:
        add("complexity.requires_access", "complexity", SOFT, _ENG,
            N_("Requires access support does not have"))
    if f.custom_implementation:
        add("complexity.custom_implementation", "complexity", SOFT, _ENG,
            N_("Involves a custom implementation"))

    # Impact.
    if f.production_down or f.category is Category.OUTAGE:
        add("impact.production_down", "impact", HARD, _ENG,
            N_("Production system down") if f.production_down
            else N_("Production system down: the ticket's category is outage"))
    if f.data_integrity_at_risk:
        add("impact.data_integrity_at_risk", "impact", HARD, _ENG,
            N_("Data integrity at risk"))
    count = customers_affected(ticket) or 0
    high_value = f.high_value_customers_affected or 0
    if high_value >= th.multiple_high_value_customers:
        add("impact.multiple_high_value_customers", "impact", HARD, _ISSUE,
            N_("{count} high-value customers affected"), {"count": str(high_value)})
    cited = cite(customer_tickets) if customer_tickets else None
    if 2 <= count < th.pattern_customers:
        if cited is None:
            add("impact.multiple_customers", "impact", SOFT, _ISSUE,
                N_("Multiple customers affected ({count})"), {"count": str(count)})
        else:
            add("impact.multiple_customers", "impact", SOFT, _ISSUE,
                N_("Multiple customers affected ({count}): {tickets}"),
                {"count": str(count), "tickets": cited})
    unblocked = f.known_workaround is not None or f.documented_solution is not None
    if (f.blocked or f.major_functionality_broken) and not unblocked:
        add("impact.blocked_without_workaround", "impact", SOFT, _ISSUE,
            N_("Customer blocked with no workaround: needs deeper investigation") if f.blocked
            else N_("Major functionality broken with no workaround: needs deeper "
                    "investigation"))

    # Business.
    # High-value: ARR at or above the threshold; with no ARR on file, a key account counts.
    high_value_customer = is_high_value(ticket, policy) or (
        ticket.customer.arr is None and is_key_customer(ticket, policy)
    )
    if f.churn_risk and (high_value_customer or high_value > 0):
        arr = ticket.customer.arr
        if arr is not None and arr >= th.high_value_arr:
            add("business.high_value_churn_risk", "business", FIRM, _LEADERSHIP,
                N_("High-value customer at risk of churn (ARR {arr})"), {"arr": f"{arr:,.0f}"})
        elif high_value_customer:
            add("business.high_value_churn_risk", "business", FIRM, _LEADERSHIP,
                N_("Key account at risk of churn (no ARR on file)"))
        else:
            add("business.high_value_churn_risk", "business", FIRM, _LEADERSHIP,
                N_("Churn risk with {count} high-value customers affected"),
                {"count": str(high_value)})
    if sla.status is SlaStatus.BREACHED and is_key_customer(ticket, policy):
        add("business.sla_breach_key_account", "business", FIRM, _LEADERSHIP,
            N_("SLA breached on a key account ({used} of {hours} h)"),
            {"used": f"{sla.hours_used:g}", "hours": f"{sla.hours:g}"})
    elif sla.status is SlaStatus.AT_RISK:
        add("business.sla_breach_imminent", "business", SOFT, _TIER,
            N_("SLA breach imminent ({used} of {hours} h used)"),
            {"used": f"{sla.hours_used:g}", "hours": f"{sla.hours:g}"})
    if f.executive_involvement_requested:
        add("business.executive_involvement", "business", FIRM, _LEADERSHIP,
            N_("Customer is requesting executive involvement"))
    if f.policy_exception_needed:
        add("business.policy_exception", "business", FIRM, _LEADERSHIP,
            N_("An exception to policy is required"))
    if f.pr_or_legal_risk:
        add("business.pr_or_legal_risk", "business", FIRM, _LEADERSHIP,
            N_("PR or legal risk"))
    if f.cross_functional_decision_needed:
        add("business.cross_functional_decision", "business", FIRM, _LEADERSHIP,
            N_("A cross-functional decision is needed"))

    # Time.
    if sla.status is SlaStatus.BREACHED:
        add("time.open_beyond_sla", "time", SOFT, _TIER,
            N_("Open beyond the SLA ({used} of {hours} h)"),
            {"used": f"{sla.hours_used:g}", "hours": f"{sla.hours:g}"})
    waited = f.hours_waiting
    if waited is not None and waited > th.unreasonable_wait_hours:
        add("time.unreasonable_wait", "time", SOFT, _TIER,
            N_("Customer has waited {hours} h for a real answer (over {limit} h)"),
            {"hours": f"{waited:g}", "limit": f"{th.unreasonable_wait_hours:g}"})
    if f.stalled:
        add("time.stalled", "time", SOFT, _TIER,
            N_("Normal support channels are not progressing"))

    # Pattern.
    if count >= th.pattern_customers:
        if cited is None:
            add("pattern.three_plus_customers", "pattern", HARD, _ISSUE,
                N_("Same issue reported by {count} customers (threshold {threshold})"),
                {"count": str(count), "threshold": str(th.pattern_customers)})
        else:
            add("pattern.three_plus_customers", "pattern", HARD, _ISSUE,
                N_("Same issue reported by {count} customers (threshold {threshold}): "
                   "{tickets}"),
                {"count": str(count), "threshold": str(th.pattern_customers),
                 "tickets": cited})
    if f.recurring_after_fix:
        add("pattern.recurring_after_fix", "pattern", HARD, _ENG,
            N_("Recurring issue that was supposedly fixed"))
    elif seen_before is not None and _recurs_after_fix(ticket, seen_before):
        fixed = seen_before.resolution.strip()
        add("pattern.recurring_after_fix", "pattern", HARD, _ENG,
            N_("Recurring after the fix in {escalation} ({resolution})") if fixed
            else N_("Recurring after the fix in {escalation}"),
            {"escalation": seen_before.escalation_id, "resolution": fixed} if fixed
            else {"escalation": seen_before.escalation_id})
    elif evidence.fixed_before is not None:
        add("pattern.recurring_after_fix", "pattern", HARD, _ENG,
            *_recurring_after(evidence.fixed_before))
    if f.severity_increasing:
        add("pattern.severity_increasing", "pattern", SOFT, _ISSUE,
            N_("Severity increasing over time"))
    elif evidence.severity_trend:
        add("pattern.severity_increasing", "pattern", SOFT, _ISSUE,
            N_("Severity increasing over time: {trend}"),
            {"trend": _severity_trend(evidence.severity_trend)})

    # Product (the L2 -> Product tier).
    if f.feature_gap or (f.category is Category.FEATURE_REQUEST and not f.known_limitation):
        add("product.feature_gap", "product", SOFT, _PRODUCT,
            N_("Feature gap causing customer pain"))
    if f.design_decision_needed:
        add("product.design_decision", "product", SOFT, _PRODUCT,
            N_("A design decision is needed"))
    if f.workflow_mismatch:
        add("product.workflow_mismatch", "product", SOFT, _PRODUCT,
            N_("Workflow does not match customer expectations"))
    if f.competing_needs:
        add("product.competing_needs", "product", SOFT, _PRODUCT,
            N_("Competing customer needs require prioritization"))
    return out


def _recurring_after(fixed: IndexedTicket) -> tuple[str, dict[str, str]]:
    """The template and params of a recurrence after the fix of a similar ticket."""
    params = {"ticket": fixed.ticket_id}
    if fixed.escalation_id is not None:
        params["escalation"] = fixed.escalation_id
    if fixed.resolved_at is not None:
        params["resolved"] = _day(fixed.resolved_at)
    if fixed.escalation_id is not None and fixed.resolved_at is not None:
        return (N_("Recurring after the fix of {ticket} in {escalation}, resolved {resolved}"),
                params)
    if fixed.escalation_id is not None:
        return N_("Recurring after the fix of {ticket} in {escalation}"), params
    if fixed.resolved_at is not None:
        return N_("Recurring after the fix of {ticket}, resolved {resolved}"), params
    return N_("Recurring after the fix of {ticket}"), params


def _no_decision_facts(t: Ticket) -> bool:
    f = t.facts
    return not (
        f.policy_exception_needed or f.executive_involvement_requested or f.churn_risk
        or f.pr_or_legal_risk or f.cross_functional_decision_needed
    )


# The seed's "What to include" per target: (ticket field, "it is missing when …").
_TARGET_NEEDS: dict[Target, tuple[tuple[str, Callable[[Ticket], bool]], ...]] = {
    Target.L2: (  # ticket summary, steps already tried, customer context
        ("description", lambda t: t.description is None and t.subject is None),
        ("steps_tried", lambda t: not t.steps_tried),
        ("customer", lambda t: t.customer.id is None and t.customer.name is None),
    ),
    Target.ENGINEERING: (  # repro steps, environment, logs, business impact, timeline
        ("reproduction.steps", lambda t: not t.reproduction.steps),
        ("reproduction.environment", lambda t: t.reproduction.environment is None),
        ("reproduction.evidence", lambda t: not t.reproduction.evidence),
        ("customer.arr",
         lambda t: t.customer.arr is None and t.facts.customers_affected is None),
        ("communications", lambda t: not t.communications and t.created_at is None),
    ),
    Target.PRODUCT: (  # use case, business impact, frequency of request
        ("description", lambda t: t.description is None),
        ("customer.arr", lambda t: t.customer.arr is None),
        ("facts.customers_affected", lambda t: t.facts.customers_affected is None),
    ),
    Target.SECURITY: (  # what was observed, who is affected, containment taken
        ("description", lambda t: t.description is None),
        ("facts.customers_affected", lambda t: t.facts.customers_affected is None),
        ("facts.containment", lambda t: t.facts.containment is None),
    ),
    Target.LEADERSHIP: (  # business context, revenue at risk, what's tried, the decision
        ("description", lambda t: t.description is None),
        ("customer.arr", lambda t: t.customer.arr is None),
        ("steps_tried", lambda t: not t.steps_tried),
        # The brief derives the decision from these facts when the ticket states no ask.
        ("ask", lambda t: t.ask is None and _no_decision_facts(t)),
    ),
}


def missing_for(ticket: Ticket, target: Target | None) -> tuple[str, ...]:
    """Ticket fields the brief still lacks for `target` (the seed's "What to include")."""
    if target is None:
        return ()
    return tuple(name for name, lacks in _TARGET_NEEDS[target] if lacks(ticket))
