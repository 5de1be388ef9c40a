"""The support team's vocabulary: tickets, customers, facts, targets, severities, assessments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Tier(StrEnum):
    """Support tier that currently owns the ticket."""

    L1 = "l1"
    L2 = "l2"


class Target(StrEnum):
    """Where an escalation goes (the seed's Escalation Tiers)."""

    L2 = "l2"
    ENGINEERING = "engineering"
    PRODUCT = "product"
    SECURITY = "security"
    LEADERSHIP = "leadership"


class Severity(StrEnum):
    """The seed's severity shorthand, most urgent first."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"

    @property
    def rank(self) -> int:
        """3 for critical, 2 for high, 1 for medium: bigger is more urgent."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.CRITICAL: 3, Severity.HIGH: 2, Severity.MEDIUM: 1}


class Decision(StrEnum):
    """Outcome of an assessment."""

    ESCALATE = "escalate"
    HANDLE_IN_SUPPORT = "handle_in_support"


class SlaStatus(StrEnum):
    """Where the ticket stands against the customer's resolution SLA."""

    WITHIN = "within"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    UNKNOWN = "unknown"


class Category(StrEnum):
    """What kind of problem the ticket is about."""

    BUG = "bug"
    HOW_TO = "how_to"
    FEATURE_REQUEST = "feature_request"
    BILLING = "billing"
    ACCOUNT = "account"
    INTEGRATION = "integration"
    SECURITY = "security"
    DATA = "data"
    PERFORMANCE = "performance"
    CONFIGURATION = "configuration"
    TRAINING = "training"
    OUTAGE = "outage"
    OTHER = "other"


class Direction(StrEnum):
    """Who spoke in a customer communication."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


@dataclass(frozen=True, slots=True)
class Customer:
    """The customer behind a ticket; business hours and holidays are theirs."""

    id: str | None = None
    name: str | None = None
    arr: float | None = None
    plan: str | None = None
    reference_customer: bool = False
    sla_hours: float | None = None
    update_hours: float | None = None
    timezone: str | None = None
    country: str | None = None


# Boolean facts of the ticket contract, in the order SPEC.md lists them.
BOOL_FACTS: tuple[str, ...] = (
    "known_limitation",
    "previously_resolved_in_support",
    "bug_confirmed",
    "needs_code_change",
    "infrastructure_suspected",
    "data_loss",
    "data_corruption",
    "data_integrity_at_risk",
    "beyond_support_diagnosis",
    "requires_access_support_lacks",
    "custom_implementation",
    "production_down",
    "blocked",
    "major_functionality_broken",
    "security_concern",
    "potential_data_exposure",
    "unauthorized_access",
    "vulnerability_report",
    "compliance_concern",
    "churn_risk",
    "executive_involvement_requested",
    "policy_exception_needed",
    "pr_or_legal_risk",
    "cross_functional_decision_needed",
    "feature_gap",
    "design_decision_needed",
    "workflow_mismatch",
    "competing_needs",
    "recurring_after_fix",
    "severity_increasing",
    "stalled",
)

# Text facts: a non-empty string means the thing exists and says where or what it is.
TEXT_FACTS: tuple[str, ...] = (
    "documented_solution",
    "known_workaround",
    "documented_alternative",
    "competitive_pressure",
    "containment",
)


@dataclass(frozen=True, slots=True)
class Facts:
    """What support knows about the ticket; every fact defaults to "not known to be so"."""

    category: Category | None = None
    documented_solution: str | None = None
    known_workaround: str | None = None
    known_limitation: bool = False
    documented_alternative: str | None = None
    previously_resolved_in_support: bool = False
    bug_confirmed: bool = False
    needs_code_change: bool = False
    infrastructure_suspected: bool = False
    data_loss: bool = False
    data_corruption: bool = False
    data_integrity_at_risk: bool = False
    beyond_support_diagnosis: bool = False
    requires_access_support_lacks: bool = False
    custom_implementation: bool = False
    production_down: bool = False
    blocked: bool = False
    major_functionality_broken: bool = False
    security_concern: bool = False
    potential_data_exposure: bool = False
    unauthorized_access: bool = False
    vulnerability_report: bool = False
    compliance_concern: bool = False
    churn_risk: bool = False
    executive_involvement_requested: bool = False
    policy_exception_needed: bool = False
    pr_or_legal_risk: bool = False
    cross_functional_decision_needed: bool = False
    feature_gap: bool = False
    design_decision_needed: bool = False
    workflow_mismatch: bool = False
    competing_needs: bool = False
    recurring_after_fix: bool = False
    severity_increasing: bool = False
    stalled: bool = False
    customers_affected: int | None = None
    high_value_customers_affected: int | None = None
    hours_waiting: float | None = None
    # Extensions beyond SPEC.md's list, used by the Product and Security briefs.
    competitive_pressure: str | None = None
    containment: str | None = None
    # Users of this one customer affected ("all our 300 users"): depth of the customer's
    # problem, not breadth across customers.
    users_affected: int | None = None
    # The facts the ticket named itself (even as false or zero): derived facts never replace
    # them. Not part of equality: two tickets with the same facts are the same.
    stated: frozenset[str] = field(default=frozenset(), compare=False)


@dataclass(frozen=True, slots=True)
class StepTried:
    """Something support already tried, and what happened."""

    action: str
    result: str | None = None


@dataclass(frozen=True, slots=True)
class Reproduction:
    """How to make the problem happen again (the seed's seven practices)."""

    steps: tuple[str, ...] = ()
    expected: str | None = None
    actual: str | None = None
    environment: str | None = None
    frequency: str | None = None
    evidence: tuple[str, ...] = ()
    ruled_out: tuple[str, ...] = ()
    start_state: str | None = None

    @property
    def is_empty(self) -> bool:
        """True when nothing at all is known about reproducing the problem."""
        return not (
            self.steps
            or self.expected
            or self.actual
            or self.environment
            or self.frequency
            or self.evidence
            or self.ruled_out
            or self.start_state
        )


@dataclass(frozen=True, slots=True)
class Communication:
    """One message between the customer and support."""

    at: datetime | None
    direction: Direction
    summary: str


@dataclass(frozen=True, slots=True)
class Ticket:
    """A helpdesk ticket as the desk sees it (SPEC.md's ticket contract).

    `extra` keeps every field the contract does not know, so nothing sent is lost.
    `ask`, `deadline`, `customer_expectation`, `links` and `url` are optional extensions that
    let the author of a ticket state what the brief should say instead of the desk deriving it.
    """

    id: str
    subject: str | None = None
    description: str | None = None
    created_at: datetime | None = None
    current_tier: Tier = Tier.L1
    product_area: str | None = None
    customer: Customer = field(default_factory=Customer)
    facts: Facts = field(default_factory=Facts)
    steps_tried: tuple[StepTried, ...] = ()
    reproduction: Reproduction = field(default_factory=Reproduction)
    communications: tuple[Communication, ...] = ()
    ask: str | None = None
    deadline: datetime | None = None
    customer_expectation: str | None = None
    url: str | None = None
    links: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reason:
    """Why the assessment decided what it did, tied to one rule of the seed.

    `template` is an English sentence with `{name}` placeholders filled from `params`; the
    renderers translate the template through the message catalog, so `text` is the English form.
    """

    code: str
    category: str
    template: str
    params: Mapping[str, str] = field(default_factory=dict)
    # For a reason that rests on a fact read from the ticket's words: where and what was
    # read (`description: "half of our contacts disappeared"`).
    cites: str = ""

    @property
    def text(self) -> str:
        """The reason as one English sentence."""
        said = self.template.format(**self.params) if self.params else self.template
        return READ_IN.format(reason=said, cites=self.cites) if self.cites else said


def N_(template: str) -> str:  # noqa: N802 - the gettext convention
    """Mark a sentence for the message catalog without translating it here."""
    return template


# How a reason shows the words it was read from (translated by the renderers).
READ_IN = N_("{reason} (read in {cites})")


class Level(StrEnum):
    """How strongly one impact dimension is affected."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class DimensionScore:
    """One of the six impact dimensions: its level and the facts that set it."""

    level: Level
    evidence: str


@dataclass(frozen=True, slots=True)
class Impact:
    """The seed's six impact dimensions and what drove the severity."""

    breadth: DimensionScore
    depth: DimensionScore
    duration: DimensionScore
    revenue: DimensionScore
    reputation: DimensionScore
    contractual: DimensionScore
    drivers: tuple[str, ...] = ()


IMPACT_DIMENSIONS: tuple[str, ...] = (
    "breadth",
    "depth",
    "duration",
    "revenue",
    "reputation",
    "contractual",
)


@dataclass(frozen=True, slots=True)
class Assessment:
    """The answer to "should this go up, where, how urgently, and why?"."""

    ticket_id: str
    decision: Decision
    target: Target | None
    also_notify: tuple[Target, ...]
    severity: Severity | None
    reasons: tuple[Reason, ...]
    impact: Impact
    sla_status: SlaStatus
    missing: tuple[str, ...]
    # Hours of the SLA used so far and the SLA length, when known (for the brief).
    sla_hours_used: float | None = None
    sla_hours: float | None = None


class Status(StrEnum):
    """Where an escalation is in its life."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    DE_ESCALATED = "de_escalated"
    CLOSED = "closed"

    @property
    def is_active(self) -> bool:
        """Open, acknowledged or in progress: the follow-up clocks run."""
        return self in _ACTIVE


_ACTIVE = frozenset({Status.OPEN, Status.ACKNOWLEDGED, Status.IN_PROGRESS})


class DeEscalationReason(StrEnum):
    """The seed's four reasons to de-escalate."""

    ROOT_CAUSE_SUPPORT = "root_cause_support"  # root cause found, support can resolve it
    WORKAROUND_FOUND = "workaround_found"  # a workaround unblocks the customer
    SELF_RESOLVED = "self_resolved"  # resolved itself (root cause still documented)
    SEVERITY_REASSESSED = "severity_reassessed"  # new information changed the severity


class ChecklistItem(StrEnum):
    """The seed's "When de-escalating" / "close the loop" steps, all required to close."""

    NOTIFY_TEAM = "notify_team"  # notify the team you escalated to
    UPDATE_TICKET = "update_ticket"  # update the ticket with the resolution
    INFORM_CUSTOMER = "inform_customer"  # inform the customer of the resolution
    DOCUMENT_LEARNING = "document_learning"  # document what was learned


class FixKind(StrEnum):
    """How an escalation was resolved; a code fix makes a recurrence a pattern trigger."""

    CODE_FIX = "code_fix"
    WORKAROUND = "workaround"
    SUPPORT = "support"  # resolvable at support level (configuration, guidance, data fix)
    OTHER = "other"


class FollowupKind(StrEnum):
    """Who a follow-up is owed to."""

    INTERNAL = "internal"  # check with the receiving team
    CUSTOMER = "customer"  # update the customer, even with no news


@dataclass(frozen=True, slots=True)
class FollowupClock:
    """When the next follow-up of one kind falls due and when it becomes overdue."""

    kind: FollowupKind
    due_at: datetime
    overdue_at: datetime


@dataclass(frozen=True, slots=True)
class Escalation:
    """One escalation as the desk keeps it, from open to closed."""

    id: str
    ticket_id: str
    status: Status
    severity: Severity
    target: Target
    opened_at: datetime
    owner: str
    also_notify: tuple[Target, ...] = ()
    customer: Customer = field(default_factory=Customer)
    summary: str | None = None
    customers_affected: int = 1
    internal: FollowupClock | None = None
    customer_update: FollowupClock | None = None
    last_internal_at: datetime | None = None
    last_customer_at: datetime | None = None
    checklist: frozenset[ChecklistItem] = frozenset()
    resolution: str | None = None
    learning: str | None = None
    fix_kind: FixKind | None = None
    deescalation_reason: DeEscalationReason | None = None
    deescalation_note: str | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    version: int = 1

    @property
    def receiving_team(self) -> Target:
        """The team the escalation went to (the owner keeps the customer relationship)."""
        return self.target
