"""Request and response bodies of the JSON API, so /openapi.json says exactly what goes in and out.

Tickets are documented here field by field (SPEC.md's ticket contract) but validated by the
domain, like every other interface: a bad ticket is answered with the domain's message and the
field path it names (`customer.arr`, `tickets[2].facts.category`), never with a second,
differently worded set of rules. Everything else is validated by these models.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    GetPydanticSchema,
    create_model,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from escalation.domain.cadence import FollowupState
from escalation.domain.lint import LintLevel
from escalation.domain.model import (
    BOOL_FACTS,
    TEXT_FACTS,
    Category,
    ChecklistItem,
    Decision,
    DeEscalationReason,
    Direction,
    FixKind,
    FollowupKind,
    Level,
    Severity,
    SlaStatus,
    Status,
    Target,
    Tier,
)
from escalation.domain.patterns import Signal
from escalation.formats import BriefFormat, Lang

# Timestamps are answered as ISO-8601 text with the zone, exactly as the CLI prints them.
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class ErrorBody(BaseModel):
    """Every error answer: a stable code, one readable line, and the field it is about."""

    model_config = ConfigDict(extra="forbid")

    error: str = Field(description="invalid_input, unauthorized, forbidden, not_found, refused, "
                                   "conflict, too_large, rate_limited or internal")
    detail: str = Field(description="What went wrong, in one line")
    field: str | None = Field(description="The field path the error is about, e.g. "
                                          "customer.arr or tickets[2].facts.category")


# --- the ticket contract (documentation only: the domain validates) ---------------------------


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")  # unknown fields are kept and ignored


class TicketCustomer(_Open):
    """The customer behind a ticket; business hours and holidays are theirs."""

    id: str | int | None = None
    name: str | None = None
    arr: float | None = Field(None, ge=0, description="Annual recurring revenue")
    plan: str | None = Field(None, examples=["enterprise"])
    reference_customer: bool | None = None
    sla_hours: float | None = Field(None, gt=0, description="Contractual resolution time")
    update_hours: float | None = Field(None, gt=0, description="Contractual update interval")
    timezone: str | None = Field(None, examples=["America/New_York"], description="IANA zone")
    country: str | None = Field(None, pattern="^[A-Za-z]{2}$", examples=["US"],
                                description="ISO 3166 code for the holiday calendar")


_FACT_FIELDS: dict[str, Any] = {
    "category": (Category | None, None),
    **{name: (bool | None, None) for name in BOOL_FACTS},
    **{name: (str | bool | None, Field(None, description="A link or text; true says one "
                                       "exists without saying what"))
       for name in TEXT_FACTS},
    "customers_affected": (int | None, Field(None, ge=0)),
    "high_value_customers_affected": (int | None, Field(None, ge=0)),
    "hours_waiting": (float | None, Field(None, ge=0)),
}
TicketFacts: type[BaseModel] = create_model(
    "TicketFacts", __base__=_Open, __doc__="What support knows; every fact is optional.",
    **_FACT_FIELDS,
)


class TicketStepTried(_Open):
    """Something support already tried, and what happened."""

    action: str = Field(min_length=1)
    result: str | None = None


class TicketReproduction(_Open):
    """How to make the problem happen again."""

    steps: list[str] | None = None
    expected: str | None = None
    actual: str | None = None
    environment: str | None = None
    frequency: str | None = None
    evidence: list[str] | None = None
    ruled_out: list[str] | None = None
    start_state: str | None = None


class TicketCommunication(_Open):
    """One message between the customer and support."""

    at: datetime | None = None
    direction: Direction | None = None
    summary: str = Field(min_length=1)


class Ticket(_Open):
    """A helpdesk ticket (SPEC.md's ticket contract): every field but `id` is optional."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "id": "ZD-48213", "subject": "Checkout fails with a 500 for saved cards",
        "created_at": "2026-11-25T14:30:00Z", "current_tier": "l2",
        "customer": {"id": "C-1", "name": "Acme", "arr": 120000, "plan": "enterprise",
                     "timezone": "America/New_York", "country": "US"},
        "facts": {"category": "bug", "bug_confirmed": True, "blocked": True},
    }]})

    id: str | int = Field(description="The helpdesk's ticket id")
    subject: str | None = None
    description: str | None = None
    created_at: datetime | None = None
    current_tier: Tier | None = None
    product_area: str | None = None
    customer: TicketCustomer | None = None
    facts: TicketFacts | None = None  # type: ignore[valid-type]
    steps_tried: list[TicketStepTried | str] | None = None
    reproduction: TicketReproduction | None = None
    communications: list[TicketCommunication] | None = None
    ask: str | None = None
    deadline: datetime | None = None
    customer_expectation: str | None = None
    url: str | None = None
    links: list[str] | None = None


def _any(_source: Any, _handler: Any) -> CoreSchema:
    return core_schema.any_schema()


def _one_ticket(_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
    return handler(Ticket.__pydantic_core_schema__)


def _ticket_or_list(_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
    one = handler(Ticket.__pydantic_core_schema__)
    return {"anyOf": [one, {"type": "array", "items": one}]}


# A ticket as sent (validated by the domain, documented as the Ticket schema).
TicketJson = Annotated[Any, GetPydanticSchema(_any, _one_ticket)]
# A ticket or a list of tickets.
TicketsJson = Annotated[Any, GetPydanticSchema(_any, _ticket_or_list)]


# --- assessments, briefs and lint ---------------------------------------------------------------


class ReasonOut(BaseModel):
    """Why the assessment decided what it did, tied to one rule of the playbook."""

    code: str = Field(examples=["technical.bug_code_fix"])
    category: str
    text: str


class DimensionOut(BaseModel):
    """One impact dimension: its level and the facts that set it."""

    level: Level
    evidence: str


class ImpactOut(BaseModel):
    """The playbook's six impact dimensions and what drove the severity."""

    breadth: DimensionOut
    depth: DimensionOut
    duration: DimensionOut
    revenue: DimensionOut
    reputation: DimensionOut
    contractual: DimensionOut
    drivers: list[str]


class AssessmentOut(BaseModel):
    """SPEC.md's assessment contract: escalate or not, where, how severe, and why."""

    model_config = ConfigDict(extra="forbid")

    ticket_id: str
    decision: Decision
    target: Target | None
    also_notify: list[Target]
    severity: Severity | None
    reasons: list[ReasonOut]
    impact: ImpactOut
    sla_status: SlaStatus
    missing: list[str]


class EvidenceOut(BaseModel):
    """Where a fact was read: the field, the words as written, their place, the lexicon entry."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(examples=["description"],
                       description="subject, description, communications[N] or tags")
    phrase: str = Field(examples=["half of our contacts disappeared"])
    start: int
    end: int
    source: str = Field(examples=["en.toml: facts.data_loss.phrases[4]"],
                        description="The lexicon entry that matched")


FactValue = bool | int | float | str | None


class DerivedFactOut(BaseModel):
    """A fact read from the ticket's words, with all its evidence (first = strongest)."""

    model_config = ConfigDict(extra="forbid")

    fact: str = Field(examples=["data_loss"], description="A fact of the contract, or category")
    value: FactValue
    evidence: list[EvidenceOut]


class SetAsideOut(BaseModel):
    """A phrase that matched but was not taken as said, and why."""

    model_config = ConfigDict(extra="forbid")

    fact: str
    why: str = Field(examples=["negated: no"],
                     description="negated, hedged, question, quoted, excluded, outweighed …")
    evidence: EvidenceOut


class OutcomeOut(BaseModel):
    """The decision, target, severity and reasons of one assessment."""

    model_config = ConfigDict(extra="forbid")

    decision: Decision
    target: Target | None
    also_notify: list[Target]
    severity: Severity | None
    reasons: list[ReasonOut]


class ExplanationOut(BaseModel):
    """What was read from a ticket's words (`escalate explain --format json`)."""

    model_config = ConfigDict(extra="forbid")

    ticket_id: str
    derive_enabled: bool = Field(description="The policy's [derive] enabled: whether the desk "
                                             "acts on the derived facts")
    languages: list[str]
    derived: list[DerivedFactOut]
    stated: list[DerivedFactOut] = Field(
        description="Facts the ticket states itself that won over a reading (value = stated)")
    set_aside: list[SetAsideOut]
    with_derived: OutcomeOut
    without_derived: OutcomeOut
    changed: bool = Field(description="Whether the derived facts change decision, target or "
                                      "severity")


class FindingOut(BaseModel):
    """One thing a receiving team would send back, and how to fix it."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(examples=["repro.environment"])
    level: LintLevel
    field: str
    message: str
    hint: str


class LintResult(BaseModel):
    """The lint findings of one ticket's brief."""

    model_config = ConfigDict(extra="forbid")

    ticket_id: str
    findings: list[FindingOut]


class BriefText(BaseModel):
    """A value of the brief: what a reader sees, and what is missing from it (if anything)."""

    model_config = ConfigDict(extra="forbid")

    text: str
    needed: str | None


class BriefCoded(BaseModel):
    """A severity or target: its code, its text, and whether it is missing."""

    model_config = ConfigDict(extra="forbid")

    code: str | None
    text: str
    needed: str | None


class BriefLabelled(BaseModel):
    """A `Label: value` line of the brief."""

    model_config = ConfigDict(extra="forbid")

    label: str
    text: str
    needed: str | None


class BriefDeadline(BaseModel):
    """The deadline, with the moment it names in the brief's time zone."""

    model_config = ConfigDict(extra="forbid")

    text: str
    needed: str | None
    at: Timestamp | None


class BriefReproduction(BaseModel):
    """REPRODUCTION STEPS (for bugs)."""

    model_config = ConfigDict(extra="forbid")

    steps: list[BriefText]
    expected: BriefText
    actual: BriefText
    environment: BriefText
    extra: dict[str, BriefLabelled]


class BriefAttempt(BaseModel):
    """One `Action → Result` of WHAT'S BEEN TRIED."""

    model_config = ConfigDict(extra="forbid")

    action: BriefText
    result: BriefText


class BriefNeeded(BaseModel):
    """A gap in the brief and the ticket field that would fill it."""

    model_config = ConfigDict(extra="forbid")

    what: str
    field: str


class BriefDocument(BaseModel):
    """The brief as structured JSON (`escalate brief --format json`, version 1)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["escalation_brief"]
    version: int
    lang: Lang
    ticket_id: str
    timezone: str
    summary: BriefText
    severity: BriefCoded
    target: BriefCoded
    impact: dict[str, BriefLabelled]
    description: BriefText
    reproduction: BriefReproduction | None
    tried: list[BriefAttempt]
    communication: dict[str, BriefLabelled]
    needed_asks: list[BriefText]
    deadline: BriefDeadline
    supporting: list[BriefText]
    reasons: list[ReasonOut]
    needed: list[BriefNeeded]


class BriefResponse(BaseModel):
    """A ticket's brief in the asked format and language, with its lint and assessment."""

    model_config = ConfigDict(extra="forbid")

    ticket_id: str
    format: BriefFormat
    lang: Lang
    brief: BriefDocument | str = Field(
        description="The brief: an object for format=json, else the rendered text, Markdown "
                    "or HTML page")
    lint: list[FindingOut]
    assessment: AssessmentOut
    note: str | None = Field(description="Set when the ticket should be handled in support "
                                          "(the brief is then for reference only)")


# --- escalations ---------------------------------------------------------------------------------


class EscalationOut(BaseModel):
    """The stored state of an escalation (as `escalate show --format json` prints it)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(examples=["ESC-7"])
    ticket_id: str
    status: Status
    severity: Severity
    target: Target
    also_notify: list[Target]
    owner: str
    receiving_team: Target
    customer: str | None
    customers_affected: int
    summary: str | None
    opened_at: Timestamp
    next_internal_due: Timestamp | None
    next_customer_update_due: Timestamp | None
    checklist: list[ChecklistItem]
    resolution: str | None
    learning: str | None
    fix_kind: FixKind | None
    deescalation_reason: DeEscalationReason | None
    deescalation_note: str | None
    version: int


class EscalationPage(BaseModel):
    """One page of the queue, most urgent first, and how many escalations match in all."""

    model_config = ConfigDict(extra="forbid")

    items: list[EscalationOut]
    total: int
    limit: int
    offset: int


class SimilarOut(BaseModel):
    """An active escalation whose tickets resemble the one sent."""

    model_config = ConfigDict(extra="forbid")

    id: str
    similarity: float


class OpenResult(BaseModel):
    """What opening did: the escalation opened (or linked to), and similar escalations.

    `visible` is false when the new escalation is a security one and the caller's role may not
    see security escalations: it was opened (and security told), but from then on it is
    answered as not found for this caller, so only its id is returned.
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    visible: bool
    linked: bool = Field(description="True when the ticket was linked to a matching "
                                     "escalation instead of opening one (link_if_match)")
    escalation: EscalationOut | None
    similarity: float | None = Field(description="The match's similarity when linked")
    similar: list[SimilarOut]
    notes: list[str]


class FollowupStatusOut(BaseModel):
    """A follow-up clock's state now."""

    model_config = ConfigDict(extra="forbid")

    escalation_id: str
    kind: FollowupKind
    state: FollowupState
    due_at: Timestamp
    overdue_at: Timestamp
    minutes_until_due: int


class FollowupOut(BaseModel):
    """A follow-up owed, with what a follow-up list shows about its escalation."""

    model_config = ConfigDict(extra="forbid")

    escalation_id: str
    kind: FollowupKind
    state: FollowupState
    due_at: Timestamp
    overdue_at: Timestamp
    minutes_until_due: int
    severity: Severity
    target: Target
    owner: str
    customer: str | None
    summary: str | None


class FollowUpLogEntry(BaseModel):
    """A recorded follow-up."""

    model_config = ConfigDict(extra="forbid")

    kind: FollowupKind
    at: Timestamp
    actor: str
    note: str


class EventOut(BaseModel):
    """One audit event, chained to the one before by its hash."""

    model_config = ConfigDict(extra="forbid")

    seq: int
    at: Timestamp
    actor: str
    action: str = Field(examples=["escalation.opened"])
    escalation_id: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


class EscalationView(BaseModel):
    """An escalation with its brief, lint, follow-ups, linked tickets and timeline."""

    model_config = ConfigDict(extra="forbid")

    escalation: EscalationOut
    linked_tickets: list[str]
    followups: list[FollowupStatusOut]
    closing_gaps: list[str]
    brief: BriefDocument | None
    lint: list[FindingOut]
    follow_up_log: list[FollowUpLogEntry]
    timeline: list[EventOut]


class DraftUpdate(BaseModel):
    """The next customer update, drafted from the escalation's state."""

    model_config = ConfigDict(extra="forbid")

    escalation_id: str
    lang: Lang
    text: str


# --- requests on escalations --------------------------------------------------------------------


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpenRequest(_Request):
    """Open an escalation for a ticket (`escalate open`)."""

    ticket: TicketJson
    owner: str | None = Field(None, description="Who keeps the customer relationship "
                                                "(default: the token's name)")
    force: bool = Field(False, description="Open even when the assessment says handle in "
                                           "support (then give target and severity)")
    target: Target | None = None
    severity: Severity | None = None
    link_if_match: bool = Field(False, description="When the ticket matches an open "
                                                   "escalation, link it there instead")


class LinkRequest(_Request):
    """Attach another customer's ticket to an escalation."""

    ticket: TicketJson


class StartRequest(_Request):
    """The receiving team started work."""

    note: str = Field("", description="What the team is doing")


class FollowUpRequest(_Request):
    """A follow-up done: with the receiving team (internal) or an update to the customer."""

    kind: FollowupKind
    note: str = Field(description="What was checked or told")


class SeverityRequest(_Request):
    """Change severity (up or down); the follow-up clocks re-plan at once."""

    severity: Severity
    reason: str = Field(description="Why the situation changed")


class DeEscalateRequest(_Request):
    """De-escalate for one of the playbook's four reasons."""

    reason: DeEscalationReason
    note: str = Field(description="Root cause and what changed")


class ChecklistRequest(_Request):
    """Tick closing-checklist items, in order."""

    items: list[ChecklistItem] = Field(min_length=1)


class ResolveRequest(_Request):
    """Record the resolution and the learning (later assessments cite it)."""

    resolution: str = Field(description="How it was resolved")
    learning: str = Field(description="What to remember next time")
    fix_kind: FixKind | None = Field(None, description="Default: code_fix for engineering, "
                                                       "else support")


class ReopenRequest(_Request):
    """Reopen a resolved, de-escalated or closed escalation."""

    reason: str = Field(description="Why it is back")


# --- patterns, audit, health ---------------------------------------------------------------------


class ClusterOut(BaseModel):
    """Tickets that describe the same issue, and the pattern signals they raise."""

    model_config = ConfigDict(extra="forbid")

    id: str
    ticket_ids: list[str]
    distinct_customers: int
    label: str
    first_seen: Timestamp | None
    last_seen: Timestamp | None
    signals: list[Signal]


class Patterns(BaseModel):
    """Clusters, most customers first."""

    model_config = ConfigDict(extra="forbid")

    clusters: list[ClusterOut]


class StoredClusterOut(ClusterOut):
    """A cluster of the pattern index, with the escalations its tickets belong to."""

    escalations: list[str]


class StoredPatterns(BaseModel):
    """The pattern index's clusters, most customers first."""

    model_config = ConfigDict(extra="forbid")

    clusters: list[StoredClusterOut]


class AuditCheck(BaseModel):
    """The result of walking the whole audit hash chain."""

    model_config = ConfigDict(extra="forbid")

    ok: bool
    checked: int = Field(description="Events verified")
    problem: str | None = Field(description="The first broken event, when the chain is broken")


class Health(BaseModel):
    """Liveness and the database's migration revision."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["ok"]
    schema_revision: str | None = Field(alias="schema")
