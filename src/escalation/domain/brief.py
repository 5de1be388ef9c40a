"""The seed's Structured Escalation Format as a value, filled from ticket and assessment.

A brief never invents facts: what the ticket does not say becomes a visible `Needed` marker.
Values keep who wrote them: `Said` is a person's words (kept as written in every language),
`Phrase` is a sentence the desk generated (translated by the renderers), `Money` and `Moment`
are formatted for the reader's locale and the customer's time zone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Union

from escalation.domain.impact import customers_affected
from escalation.domain.model import (
    N_,
    Assessment,
    Category,
    Direction,
    Facts,
    Reason,
    Severity,
    SlaStatus,
    Target,
    Ticket,
)
from escalation.domain.policy import Policy, WindowUnit

if TYPE_CHECKING:
    from escalation.domain.calendar import BusinessCalendar


@dataclass(frozen=True, slots=True)
class Said:
    """Words a customer or agent wrote; shown as written, never translated."""

    text: str


@dataclass(frozen=True, slots=True)
class Phrase:
    """A sentence the desk generated: an English template translated by the renderers."""

    template: str
    params: Mapping[str, Value] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Needed:
    """Information the brief lacks, shown as a visible `[needed: …]` marker."""

    what: str
    field: str = ""  # the ticket field that would supply it, e.g. "reproduction.steps"


@dataclass(frozen=True, slots=True)
class Money:
    """An amount of money, formatted for the reader's locale."""

    amount: float
    currency: str


@dataclass(frozen=True, slots=True)
class Moment:
    """A point in time, shown in the brief's time zone and the reader's locale."""

    at: datetime


@dataclass(frozen=True, slots=True)
class Number:
    """A count, formatted for the reader's locale."""

    value: float


@dataclass(frozen=True, slots=True)
class Term:
    """A word of the desk's vocabulary (severity, target, SLA status), translated."""

    kind: str  # "severity" | "target" | "sla_status"
    value: str


Value = Union[Said, Phrase, Needed, Money, Moment, Number, Term]  # noqa: UP007


@dataclass(frozen=True, slots=True)
class Line:
    """One `- Label: value` line of a section; `key` is stable across languages."""

    key: str
    label: str
    value: Value


@dataclass(frozen=True, slots=True)
class Attempt:
    """One `Action → Result` of WHAT'S BEEN TRIED."""

    action: Value
    result: Value


@dataclass(frozen=True, slots=True)
class ReproductionSection:
    """REPRODUCTION STEPS: the steps, then Expected, Actual and Environment."""

    steps: tuple[Value, ...]
    expected: Value
    actual: Value
    environment: Value
    extra: tuple[Line, ...] = ()  # start state, frequency, ruled out, when known


@dataclass(frozen=True, slots=True)
class Brief:
    """A complete escalation brief in the seed's structure."""

    ticket_id: str
    summary: Value
    severity: Value
    target: Value
    impact: tuple[Line, ...]
    description: Value
    reproduction: ReproductionSection | None
    tried: tuple[Attempt, ...] | Needed
    communication: tuple[Line, ...]
    asks: tuple[Value, ...]
    deadline: Value
    supporting: tuple[Value, ...]
    timezone: str
    reasons: tuple[Reason, ...] = ()
    target_name: str | None = None  # the target's code, for readers that route on it
    severity_name: str | None = None

    @property
    def needed(self) -> tuple[Needed, ...]:
        """Every `[needed: …]` marker in the brief, in reading order."""
        found: list[Needed] = []

        def walk(value: object) -> None:
            if isinstance(value, Needed):
                found.append(value)
            elif isinstance(value, Phrase):
                for param in value.params.values():
                    walk(param)
            elif isinstance(value, Line):
                walk(value.value)
            elif isinstance(value, Attempt):
                walk(value.action)
                walk(value.result)
            elif isinstance(value, tuple):
                for item in value:
                    walk(item)
            elif isinstance(value, ReproductionSection):
                walk(value.steps)
                walk(value.expected)
                walk(value.actual)
                walk(value.environment)
                walk(value.extra)

        for part in (
            self.summary, self.severity, self.target, self.impact, self.description,
            self.reproduction, self.tried, self.communication, self.asks, self.deadline,
            self.supporting,
        ):
            walk(part)
        return tuple(found)


_BUG_CATEGORIES = frozenset(
    {Category.BUG, Category.PERFORMANCE, Category.DATA, Category.INTEGRATION, Category.OUTAGE}
)


def is_bug_report(ticket: Ticket, target: Target | None) -> bool:
    """Whether the brief needs REPRODUCTION STEPS ("for bugs")."""
    f = ticket.facts
    return bool(
        not ticket.reproduction.is_empty
        or f.bug_confirmed
        or f.needs_code_change
        or f.data_loss
        or f.data_corruption
        or (f.category is not None and f.category in _BUG_CATEGORIES)
        or target is Target.ENGINEERING
    )


def build_brief(
    ticket: Ticket,
    assessment: Assessment,
    policy: Policy,
    now: datetime,
    calendar: BusinessCalendar,
) -> Brief:
    """Fill the structured escalation format from what the ticket and assessment say."""
    target = assessment.target
    severity = assessment.severity
    f = ticket.facts
    return Brief(
        ticket_id=ticket.id,
        summary=_summary(ticket),
        severity=Term("severity", severity.value) if severity else Needed(
            N_("severity (the assessment says handle in support)"), "severity"),
        target=Term("target", target.value) if target else Needed(
            N_("target (the assessment says handle in support)"), "target"),
        impact=_impact_lines(ticket, assessment, policy),
        description=Said(ticket.description) if ticket.description else Needed(
            N_("3-5 sentences: what is happening, when it started, how it shows, scope"),
            "description"),
        reproduction=_reproduction(ticket) if is_bug_report(ticket, target) else None,
        tried=tuple(
            Attempt(Said(step.action), Said(step.result) if step.result else Needed(
                N_("result"), f"steps_tried[{i}].result"))
            for i, step in enumerate(ticket.steps_tried)
        ) or Needed(N_("what support has already tried, and what happened"), "steps_tried"),
        communication=_communication(ticket, assessment),
        asks=(Said(ticket.ask),) if ticket.ask else _default_asks(ticket, target),
        deadline=_deadline(ticket, severity, policy, now, calendar),
        supporting=_supporting(ticket, assessment, f.containment),
        timezone=calendar.timezone,
        reasons=assessment.reasons,
        target_name=target.value if target else None,
        severity_name=severity.value if severity else None,
    )


def _summary(ticket: Ticket) -> Value:
    for text, first_sentence in ((ticket.subject, False), (ticket.description, True)):
        lines = (text or "").strip().splitlines()
        if lines:
            line = lines[0].split(". ")[0] if first_sentence else lines[0]
            return Said(line[:120])
    return Needed(N_("one-line summary"), "subject")


def _impact_lines(ticket: Ticket, assessment: Assessment, policy: Policy) -> tuple[Line, ...]:
    f = ticket.facts
    customer = ticket.customer
    lines = [
        Line("customers_affected", N_("Customers affected"), _customers(ticket)),
        Line("workflow_impact", N_("Workflow impact"), _workflow(ticket)),
        Line("revenue_at_risk", N_("Revenue at risk"), _revenue(ticket, policy)),
        Line("sla_status", N_("SLA status"), _sla(assessment)),
    ]
    target = assessment.target
    if target is Target.PRODUCT:
        count = f.customers_affected
        lines.append(Line(
            "request_frequency", N_("Request frequency"),
            (Phrase(N_("Requested by {count} customers"), {"count": Number(count)}) if count != 1
             else Phrase(N_("Requested by one customer so far")))
            if count is not None else Needed(N_("how many customers ask for this"),
                                             "facts.customers_affected"),
        ))
        lines.append(Line(
            "competitive_pressure", N_("Competitive pressure"),
            Said(f.competitive_pressure) if f.competitive_pressure
            else Phrase(N_("None known")),
        ))
    if target is Target.SECURITY:
        lines.append(Line(
            "containment", N_("Containment taken"),
            Said(f.containment) if f.containment else Needed(
                N_("immediate containment steps taken"), "facts.containment"),
        ))
        lines.append(Line(
            "urgency", N_("Urgency"),
            Phrase(N_("{severity}: escalate immediately, whatever the tier"),
                   {"severity": Term("severity", (assessment.severity or Severity.HIGH).value)}),
        ))
    if customer.reference_customer:
        lines.append(Line("reputation", N_("Reputation"), Phrase(N_("Reference customer"))))
    return tuple(lines)


def _customers(ticket: Ticket) -> Value:
    count = customers_affected(ticket)
    if count is None:
        return Needed(N_("number and names of customers affected"), "facts.customers_affected")
    name = ticket.customer.name or ticket.customer.id
    high_value = ticket.facts.high_value_customers_affected
    params: dict[str, Value] = {"count": Number(count)}
    if high_value:
        params["high_value"] = Number(high_value)
    if name:
        params["name"] = Said(name)
    if high_value and name:
        template = N_("{count} ({high_value} high-value), including {name}")
    elif high_value:
        template = N_("{count} ({high_value} high-value)")
    elif name and count == 1:
        template = N_("{count} ({name})")
    elif name:
        template = N_("{count}, including {name}")
    else:
        template = N_("{count}")
    return Phrase(template, params)


# What is broken for the customer, most severe first: (is it so?, how the brief says it).
_BREAKAGE: tuple[tuple[Callable[[Facts], bool], str], ...] = (
    (lambda f: f.production_down or f.category is Category.OUTAGE, N_("Production down")),
    (lambda f: f.data_loss, N_("Data lost")),
    (lambda f: f.data_corruption, N_("Data corrupted")),
    (lambda f: f.data_integrity_at_risk, N_("Data integrity at risk")),
    (lambda f: f.unauthorized_access, N_("Unauthorized access")),
    (lambda f: f.potential_data_exposure, N_("Potential data exposure")),
    (lambda f: f.major_functionality_broken, N_("Major functionality broken")),
    (lambda f: f.known_workaround is not None, N_("Inconvenienced: a workaround exists")),
    (lambda f: f.blocked and f.known_workaround is None, N_("Blocked")),
)
# With nothing technically broken: what the business case is waiting on.
_BUSINESS_WAIT: tuple[tuple[Callable[[Facts], bool], str], ...] = (
    (lambda f: f.feature_gap or f.category is Category.FEATURE_REQUEST,
     N_("Missing capability: the product cannot do what they need")),
    (lambda f: f.workflow_mismatch, N_("The workflow does not match how they work")),
    (lambda f: f.policy_exception_needed, N_("Waiting on a decision about a policy exception")),
    (lambda f: f.churn_risk, N_("Relationship at risk: they are considering leaving")),
    (lambda f: f.executive_involvement_requested, N_("They asked for executive involvement")),
)


def _workflow(ticket: Ticket) -> Value:
    f = ticket.facts
    states = [text for holds, text in _BREAKAGE if holds(f)] or [
        text for holds, text in _BUSINESS_WAIT if holds(f)
    ]
    if not states:
        return Needed(N_("what is broken for them: blocked or inconvenienced"), "facts.blocked")
    parts: dict[str, Value] = {f"s{i}": Phrase(s) for i, s in enumerate(states)}
    template = "; ".join(f"{{s{i}}}" for i in range(len(states)))
    if ticket.product_area:
        parts["area"] = Said(ticket.product_area)
        template = template + " ({area})"
    return Phrase(template, parts)


def _revenue(ticket: Ticket, policy: Policy) -> Value:
    arr = ticket.customer.arr
    high_value = ticket.facts.high_value_customers_affected
    if arr is None:
        return Needed(N_("ARR at risk"), "customer.arr")
    params: dict[str, Value] = {"arr": Money(arr, policy.currency)}
    if ticket.facts.churn_risk:
        return Phrase(N_("{arr} ARR (churn risk)"), params)
    if high_value and high_value > 1:
        params["high_value"] = Number(high_value)
        return Phrase(N_("{arr} ARR for this customer; {high_value} high-value customers "
                         "affected"), params)
    return Phrase(N_("{arr} ARR"), params)


def _sla(assessment: Assessment) -> Value:
    status = assessment.sla_status
    if status is SlaStatus.UNKNOWN:
        return Needed(N_("the customer's SLA (customer.sla_hours or plan) and created_at"),
                      "customer.sla_hours")
    term = Term("sla_status", status.value)
    if assessment.sla_hours_used is None or assessment.sla_hours is None:
        return term
    return Phrase(N_("{status} ({used} h used of a {hours} h SLA)"), {
        "status": term,
        "used": Number(assessment.sla_hours_used),
        "hours": Number(assessment.sla_hours),
    })


def _reproduction(ticket: Ticket) -> ReproductionSection:
    repro = ticket.reproduction
    extra: list[Line] = []
    if repro.start_state:
        extra.append(Line("start_state", N_("Start state"), Said(repro.start_state)))
    if repro.frequency:
        extra.append(Line("frequency", N_("Frequency"), Said(repro.frequency)))
    if repro.ruled_out:
        extra.append(Line("ruled_out", N_("Ruled out"), Said("; ".join(repro.ruled_out))))
    return ReproductionSection(
        steps=tuple(Said(step) for step in repro.steps) or (
            Needed(N_("exact steps from a clean start state"), "reproduction.steps"),
        ),
        expected=Said(repro.expected) if repro.expected else Needed(
            N_("what should happen"), "reproduction.expected"),
        actual=Said(repro.actual) if repro.actual else Needed(
            N_("what happens instead, with the exact error text"), "reproduction.actual"),
        environment=Said(repro.environment) if repro.environment else Needed(
            N_("browser, OS, account type, feature flags, plan"), "reproduction.environment"),
        extra=tuple(extra),
    )


def _communication(ticket: Ticket, assessment: Assessment) -> tuple[Line, ...]:
    outbound = [c for c in ticket.communications if c.direction is Direction.OUTBOUND]
    last_update: Value
    if outbound:
        last = max(outbound, key=lambda c: c.at.timestamp() if c.at else float("-inf"))
        when: Value = Moment(last.at) if last.at else Needed(
            N_("date of the last update"), "communications.at")
        last_update = Phrase(N_("{at} — {summary}"), {"at": when, "summary": Said(last.summary)})
    else:
        last_update = Needed(N_("date and content of the last update to the customer"),
                             "communications")
    expectation: Value
    if ticket.customer_expectation:
        expectation = Said(ticket.customer_expectation)
    elif ticket.created_at is not None and assessment.sla_hours is not None:
        from datetime import timedelta  # noqa: PLC0415 - only needed on this path

        due = ticket.created_at + timedelta(hours=assessment.sla_hours)
        expectation = Phrase(
            N_("Resolution within the {hours} h SLA, which was due {at}")
            if assessment.sla_status is SlaStatus.BREACHED
            else N_("Resolution within the {hours} h SLA, by {at}"),
            {"hours": Number(assessment.sla_hours), "at": Moment(due)},
        )
    else:
        expectation = Needed(N_("what the customer expects, and by when"),
                             "customer_expectation")
    f = ticket.facts
    risks: list[str] = []
    if f.executive_involvement_requested:
        risks.append(N_("they asked for executive involvement"))
    if f.churn_risk:
        risks.append(N_("they are considering leaving"))
    if f.pr_or_legal_risk:
        risks.append(N_("PR or legal risk"))
    if assessment.sla_status is SlaStatus.BREACHED:
        risks.append(N_("the SLA is already breached"))
    risk: Value
    if risks:
        params: dict[str, Value] = {f"r{i}": Phrase(r) for i, r in enumerate(risks)}
        risk = Phrase(N_("Yes: {reasons}"), {"reasons": Phrase(
            "; ".join(f"{{r{i}}}" for i in range(len(risks))), params)})
    else:
        risk = Phrase(N_("No signs in the ticket (no churn threat, executive request or "
                         "legal risk)"))
    return (
        Line("last_update", N_("Last update"), last_update),
        Line("customer_expectation", N_("Customer expectation"), expectation),
        Line("escalation_risk", N_("Escalation risk"), risk),
    )


def _default_asks(ticket: Ticket, target: Target | None) -> tuple[Value, ...]:
    f = ticket.facts
    if target is Target.ENGINEERING:
        if f.production_down or f.category is Category.OUTAGE:
            asks = [N_("Fix: restore service first, then find the root cause")]
        elif f.bug_confirmed or f.needs_code_change:
            asks = [N_("Fix: confirm the root cause and an ETA for the code fix")]
        else:
            asks = [N_("Investigate: find the root cause and tell us whether a fix is needed")]
        if f.data_loss or f.data_corruption:
            asks.append(N_("Investigate: can the affected data be recovered?"))
        return tuple(Phrase(a) for a in asks)
    if target is Target.PRODUCT:
        return (Phrase(N_("Decide: will we close this gap, and what can we tell the customer "
                          "meanwhile?")),)
    if target is Target.SECURITY:
        return (Phrase(N_("Investigate: confirm scope and containment, and whether customers "
                          "must be notified")),)
    if target is Target.L2:
        return (Phrase(N_("Investigate: deeper troubleshooting with specialised product "
                          "knowledge")),)
    if target is Target.LEADERSHIP:
        decisions: list[Value] = []
        if f.policy_exception_needed:
            decisions.append(Phrase(N_("Approve or decline the policy exception")))
        if f.executive_involvement_requested:
            decisions.append(Phrase(N_("Decide who from leadership joins, and when")))
        if f.churn_risk:
            decisions.append(Phrase(N_("Decide on a retention action")))
        if f.pr_or_legal_risk:
            decisions.append(Phrase(N_("Decide how we respond to the PR or legal risk")))
        if f.cross_functional_decision_needed:
            decisions.append(Phrase(N_("Decide across the teams involved")))
        return tuple(decisions) or (
            Needed(N_("the specific decision or action needed"), "ask"),
        )
    return (Needed(N_("specific ask: investigate, fix, decide or approve"), "ask"),)


def _deadline(
    ticket: Ticket,
    severity: Severity | None,
    policy: Policy,
    now: datetime,
    calendar: BusinessCalendar,
) -> Value:
    if ticket.deadline is not None:
        return Moment(ticket.deadline)
    if severity is None:
        return Needed(N_("date and time"), "deadline")
    window = policy.attention.for_severity(severity)
    due = calendar.advance(now, window)
    params: dict[str, Value] = {"at": Moment(due), "severity": Term("severity", severity.value)}
    if window.unit is WindowUnit.END_OF_BUSINESS_DAY:
        return Phrase(N_("{at} ({severity}: by the customer's close of business)"), params)
    if window.unit is WindowUnit.END_OF_BUSINESS_WEEK:
        return Phrase(N_("{at} ({severity}: by the end of the customer's business week)"),
                      params)
    params["amount"] = Number(window.amount)
    if window.unit in (WindowUnit.BUSINESS_DAYS, WindowUnit.BUSINESS_HOURS):
        template = (N_("{at} ({severity}: within {amount} business days)")
                    if window.unit is WindowUnit.BUSINESS_DAYS
                    else N_("{at} ({severity}: within {amount} business hours)"))
    elif window.unit is WindowUnit.DAYS:
        template = N_("{at} ({severity}: within {amount} days)")
    else:
        template = N_("{at} ({severity}: within {amount} h)")
    return Phrase(template, params)


def _supporting(ticket: Ticket, assessment: Assessment, containment: str | None) -> tuple[
        Value, ...]:
    out: list[Value] = []
    if ticket.url:
        out.append(Phrase(N_("Ticket {id}: {url}"), {"id": Said(ticket.id),
                                                      "url": Said(ticket.url)}))
    else:
        out.append(Phrase(N_("Ticket {id}"), {"id": Said(ticket.id)}))
    out.extend(Said(link) for link in ticket.links)
    out.extend(Said(item) for item in ticket.reproduction.evidence)
    if assessment.target is Target.ENGINEERING and not ticket.reproduction.evidence:
        out.append(Needed(N_("logs, error messages or screenshots"), "reproduction.evidence"))
    if assessment.also_notify:
        out.append(Phrase(N_("Also notify: {targets}"), {"targets": Phrase(
            ", ".join(f"{{t{i}}}" for i in range(len(assessment.also_notify))),
            {f"t{i}": Term("target", t.value) for i, t in enumerate(assessment.also_notify)},
        )}))
    return tuple(out)


# What stands in for revenue figures a reader may not see (see escalation.domain.access).
WITHHELD_REVENUE = N_("withheld (shown to lead, leadership and admin)")

# Reason parameters that carry revenue figures (e.g. "at risk of churn (ARR {arr})").
_REVENUE_PARAMS = frozenset({"arr"})


def withhold_revenue(brief: Brief) -> Brief:
    """The brief with every amount of money replaced by the withheld marker.

    For readers who may not see revenue: `Money` values anywhere (inside phrases, lines,
    attempts, reproduction) and revenue figures quoted in the reasons are withheld; everything
    else is kept as it was.
    """
    return replace(
        brief,
        summary=_withheld(brief.summary),
        severity=_withheld(brief.severity),
        target=_withheld(brief.target),
        impact=_withheld_lines(brief.impact),
        description=_withheld(brief.description),
        reproduction=None if brief.reproduction is None else replace(
            brief.reproduction,
            steps=tuple(_withheld(step) for step in brief.reproduction.steps),
            expected=_withheld(brief.reproduction.expected),
            actual=_withheld(brief.reproduction.actual),
            environment=_withheld(brief.reproduction.environment),
            extra=_withheld_lines(brief.reproduction.extra),
        ),
        tried=brief.tried if isinstance(brief.tried, Needed) else tuple(
            Attempt(_withheld(a.action), _withheld(a.result)) for a in brief.tried),
        communication=_withheld_lines(brief.communication),
        asks=tuple(_withheld(ask) for ask in brief.asks),
        deadline=_withheld(brief.deadline),
        supporting=tuple(_withheld(item) for item in brief.supporting),
        reasons=withhold_revenue_reasons(brief.reasons),
    )


def withhold_revenue_assessment(assessment: Assessment) -> Assessment:
    """The assessment with its revenue evidence and quoted revenue figures withheld."""
    impact = assessment.impact
    revenue = replace(impact.revenue, evidence=WITHHELD_REVENUE)
    return replace(assessment, impact=replace(impact, revenue=revenue),
                   reasons=withhold_revenue_reasons(assessment.reasons))


def withhold_revenue_reasons(reasons: tuple[Reason, ...]) -> tuple[Reason, ...]:
    """The reasons with quoted revenue figures replaced by the withheld marker."""
    return tuple(
        replace(r, params={k: WITHHELD_REVENUE if k in _REVENUE_PARAMS else v
                           for k, v in r.params.items()})
        if _REVENUE_PARAMS & r.params.keys() else r
        for r in reasons
    )


def _withheld(value: Value) -> Value:
    if isinstance(value, Money):
        return Phrase(WITHHELD_REVENUE)
    if isinstance(value, Phrase) and value.params:
        return Phrase(value.template, {k: _withheld(v) for k, v in value.params.items()})
    return value


def _withheld_lines(lines: tuple[Line, ...]) -> tuple[Line, ...]:
    return tuple(replace(line, value=_withheld(line.value)) for line in lines)
