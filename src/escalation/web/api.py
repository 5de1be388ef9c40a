"""The JSON API under /api/v1: the desk's use cases, one route each.

Every route but /healthz needs `Authorization: Bearer <token>`; the token's name is the audit
trail's actor and its role decides what exists and what is allowed (domain/access.py):

- a security escalation does not exist for roles that may not see security ones: 404 on every
  route, left out of lists, follow-ups and patterns;
- a change first checks the escalation is visible (else 404), then that the role may do it
  (else 403), then the lifecycle (else 409);
- opening, linking and indexing tickets need a role that may open escalations (else 403);
- briefs and views hide revenue (ARR, revenue at risk) from roles that may not see it.

Validation mirrors the CLI: tickets are checked by the domain, whose messages name the field
path (`customer.arr`, `tickets[2].facts.category`, `ticket.customer.arr` inside a request that
carries a ticket), and the same refusals come back as 409.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Response

from escalation.adapters.db.store import EscalationQuery
from escalation.domain.access import (
    AccessDeniedError,
    Principal,
    can_see,
    may_open,
    may_verify_audit,
    sees_revenue,
    sees_security,
)
from escalation.domain.brief import withhold_revenue, withhold_revenue_assessment
from escalation.domain.contract import (
    assessment_to_mapping,
    parse_timestamp,
    ticket_from_mapping,
)
from escalation.domain.errors import InputError
from escalation.domain.lifecycle import Action
from escalation.domain.model import Assessment, Decision, Escalation, Severity, Status, Target
from escalation.domain.model import Ticket as TicketValue
from escalation.domain.patterns import cluster_to_mapping
from escalation.formats import BriefFormat, Lang
from escalation.render.records import (
    escalation_json,
    event_json,
    followup_json,
    lint_result_json,
    view_json,
)
from escalation.services import (
    BriefedTicket,
    Desk,
    EscalationView,
    assess_ticket,
    brief_ticket,
    explain_ticket,
    without_derive,
)
from escalation.web.deps import ContextDep, DeskContext, PrincipalDep
from escalation.web.schemas import (
    AssessmentOut,
    AuditCheck,
    BriefResponse,
    ChecklistRequest,
    DeEscalateRequest,
    DraftUpdate,
    ErrorBody,
    EscalationOut,
    EscalationPage,
    EventOut,
    ExplanationOut,
    FollowupOut,
    FollowUpRequest,
    Health,
    LinkRequest,
    LintResult,
    OpenRequest,
    OpenResult,
    Patterns,
    ReopenRequest,
    ResolveRequest,
    SeverityRequest,
    StartRequest,
    StoredPatterns,
    TicketJson,
    TicketsJson,
)
from escalation.web.schemas import EscalationView as EscalationViewOut

router = APIRouter(prefix="/api/v1")

_ERRORS: dict[int, str] = {
    400: "Malformed request body (it could not be read as JSON text)",
    401: "No valid bearer token (missing, unknown or revoked)",
    403: "The token's role may not do this",
    404: "No such escalation (or one this role may not see)",
    409: "Refused: the escalation's state does not allow it, or someone changed it meanwhile",
    413: "Request body too large",
    422: "Invalid input: `field` names the field path",
    429: "Too many requests: retry after the Retry-After header's seconds",
}


def _responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The documented error answers of a route: always 401, 413, 422 and 429, plus `codes`."""
    return {code: {"model": ErrorBody, "description": _ERRORS[code]}
            for code in sorted({401, 413, 422, 429, *codes})}


_BODY = (400,)  # a body that cannot be read as JSON text
_ON_ESCALATION = (*_BODY, 403, 404, 409)

EscalationId = Annotated[str, Path(
    description="The escalation's id: ESC-7, esc-7 or 7", examples=["ESC-1"])]
NowQuery = Annotated[str | None, Query(
    description="Judge time as of this ISO-8601 timestamp with a zone (default: now)",
    examples=["2026-11-26T10:00:00Z"])]
LangQuery = Annotated[Lang, Query(description="en or zh")]
DeriveQuery = Annotated[bool, Query(
    description="Read facts from the ticket's words (policy [derive]); false: only the facts "
                "the ticket states")]


# --- helpers -------------------------------------------------------------------------------------


def _now(context: DeskContext, value: str | None) -> datetime:
    return context.now() if value is None else parse_timestamp(value, "now")


def _tickets(data: Any) -> tuple[list[TicketValue], bool]:
    """One ticket or a list of them, with the CLI's field paths (`tickets[2].customer.arr`)."""
    if isinstance(data, list):
        return [ticket_from_mapping(item, f"tickets[{i}]") for i, item in enumerate(data)], True
    return [ticket_from_mapping(data)], False


def _ticket_under(raw: Any, where: str) -> dict[str, Any]:
    """The ticket object of a request, checked; errors name it under `where`."""
    try:
        ticket_from_mapping(raw)
    except InputError as exc:
        raise exc.under(where) from None
    return dict(raw)


def _refuse(principal: Principal, what: str) -> AccessDeniedError:
    return AccessDeniedError(
        f"a {principal.role.value} token may not {what} (agent, lead, security and admin "
        "tokens may)")


def _visible_ids(context: DeskContext, principal: Principal, ids: Iterable[str]) -> set[str]:
    """Which of these escalation ids exist for `principal`."""
    wanted = set(ids)
    if sees_security(principal) or not wanted:
        return wanted
    with context.store.unit_of_work(read_only=True) as uow:
        found = uow.get_escalations(wanted)
    return {i for i in wanted if i in found and can_see(principal, found[i])}


def _shown_brief(principal: Principal, briefed: BriefedTicket) -> BriefedTicket:
    """The brief as `principal` may read it (revenue withheld unless their role sees it)."""
    if sees_revenue(principal):
        return briefed
    return replace(briefed, brief=withhold_revenue(briefed.brief),
                   assessment=withhold_revenue_assessment(briefed.assessment))


def _shown_view(principal: Principal, view: EscalationView) -> EscalationView:
    if view.briefed is None or sees_revenue(principal):
        return view
    return replace(view, briefed=_shown_brief(principal, view.briefed))


_CITED = re.compile(r"\bESC-\d+\b")


def _cited_escalations(assessment: Assessment) -> set[str]:
    return {found for r in assessment.reasons for value in r.params.values()
            for found in _CITED.findall(str(value))}


def _change(
    context: DeskContext, principal: Principal, action: Action, escalation_id: str,
    change: Callable[[str], Escalation],
) -> dict[str, Any]:
    """Check visibility and permission, then make the change as the token's holder."""
    escalation = context.allowed(principal, action, escalation_id)
    return escalation_json(change(escalation.id))


# --- tickets: assess, brief, lint ----------------------------------------------------------------


@router.post(
    "/assess", tags=["tickets"], summary="Assess a ticket or a list of tickets",
    response_model=AssessmentOut | list[AssessmentOut], responses=_responses(*_BODY),
)
def assess_route(
    body: Annotated[TicketsJson, Body(description="A ticket, or a list of tickets")],
    principal: PrincipalDep, context: ContextDep, now: NowQuery = None,
    derive: DeriveQuery = True,
) -> Any:
    """Decide: escalate or handle in support, to which target, at which severity, and why.

    Like `escalate assess --db`: earlier escalations' learnings and the pattern index are
    consulted. A list gives a list. When a ticket's assessment would cite an escalation the
    caller may not see, that ticket is assessed without the stored history. Facts read from
    the ticket's words fill those it leaves unset, each reason resting on one citing the words
    (`?derive=false`: like `escalate assess --no-derive`).
    """
    moment = _now(context, now)
    tickets, as_list = _tickets(body)
    policy = context.policy if derive else without_derive(context.policy)
    desk = context.desk(principal)
    if not derive:
        desk = Desk(desk.store, policy, desk.actor)
    assessments = desk.assess_many(tickets, moment)
    if not sees_security(principal):
        cited = set().union(*(_cited_escalations(a) for a in assessments))
        hidden = cited - _visible_ids(context, principal, cited)
        assessments = [
            assess_ticket(ticket, policy, moment)
            if _cited_escalations(a) & hidden else a
            for ticket, a in zip(tickets, assessments, strict=True)
        ]
    mapped = [assessment_to_mapping(a) for a in assessments]
    return mapped if as_list else mapped[0]


@router.post(
    "/explain", tags=["tickets"], summary="What was read from a ticket's words",
    response_model=ExplanationOut | list[ExplanationOut], responses=_responses(*_BODY),
)
def explain_route(
    body: Annotated[TicketsJson, Body(description="A ticket, or a list of tickets")],
    principal: PrincipalDep, context: ContextDep, now: NowQuery = None,
) -> Any:
    """Each fact derived from the ticket's words with all its evidence (field, phrase as
    written, lexicon entry), the facts the ticket states that won over a reading, every phrase
    read but set aside and why, and the decision with and without the derived facts
    (`escalate explain --format json`). A list gives a list. Stored history is not consulted.
    """
    from escalation.domain.explain import explanation_to_mapping  # noqa: PLC0415

    del principal  # any valid token, like /assess
    moment = _now(context, now)
    tickets, as_list = _tickets(body)
    mapped = [explanation_to_mapping(explain_ticket(t, context.policy, moment))
              for t in tickets]
    return mapped if as_list else mapped[0]


@router.post(
    "/briefs", tags=["tickets"], summary="Build a ticket's escalation brief",
    response_model=BriefResponse, responses=_responses(*_BODY),
)
def brief_route(
    body: Annotated[TicketJson, Body(description="One ticket")],
    principal: PrincipalDep, context: ContextDep,
    fmt: Annotated[BriefFormat, Query(alias="format",
                                      description="text, markdown, json or html")]
    = BriefFormat.text,
    lang: LangQuery = Lang.en, now: NowQuery = None,
) -> dict[str, Any]:
    """The structured escalation brief in the playbook's format, its lint findings and the
    assessment it was built from (`escalate brief`). Revenue is withheld unless the token's
    role may see it (lead, leadership, admin)."""
    from escalation.render import render_brief  # noqa: PLC0415 - loads the catalogs

    moment = _now(context, now)
    if isinstance(body, list):
        raise InputError("", "one ticket object (brief takes one ticket)", body)
    briefed = _shown_brief(principal, brief_ticket(ticket_from_mapping(body), context.policy,
                                                   moment))
    rendered = render_brief(briefed.brief, fmt.value, lang.value)
    assessment = briefed.assessment
    note = (f"{briefed.ticket.id} should be handled in support ({assessment.reasons[0].code}); "
            "the brief is for reference only"
            if assessment.decision is Decision.HANDLE_IN_SUPPORT else None)
    return {
        "ticket_id": briefed.ticket.id,
        "format": fmt.value,
        "lang": lang.value,
        "brief": json.loads(rendered) if fmt is BriefFormat.json else rendered,
        "lint": lint_result_json(briefed.ticket.id, briefed.findings)["findings"],
        "assessment": assessment_to_mapping(assessment),
        "note": note,
    }


@router.post(
    "/lint", tags=["tickets"], summary="Lint the brief of a ticket or of each ticket of a list",
    response_model=LintResult | list[LintResult], responses=_responses(*_BODY),
)
def lint_route(
    body: Annotated[TicketsJson, Body(description="A ticket, or a list of tickets")],
    principal: PrincipalDep, context: ContextDep, now: NowQuery = None,
) -> Any:
    """Check each ticket's brief like a demanding receiving team (`escalate lint`): stable
    codes, a level (error, warning, info) and a fix hint per finding."""
    del principal  # any valid token
    moment = _now(context, now)
    tickets, as_list = _tickets(body)
    results = [lint_result_json(t.id, brief_ticket(t, context.policy, moment).findings)
               for t in tickets]
    return results if as_list else results[0]


# --- escalations ---------------------------------------------------------------------------------


@router.post(
    "/escalations", tags=["escalations"], summary="Open an escalation for a ticket",
    status_code=201, response_model=OpenResult,
    responses={**_responses(*_BODY, 403, 409),
               200: {"model": OpenResult, "description": "Linked to a matching escalation "
                                                         "instead (link_if_match)"}},
)
def open_route(
    body: OpenRequest, principal: PrincipalDep, context: ContextDep, response: Response,
) -> dict[str, Any]:
    """Store the ticket and its assessment and open an escalation (`escalate open`).

    A ticket that resembles an open escalation's tickets is probably the same issue: `similar`
    and `notes` say so; with `link_if_match` it is linked to the best match instead (200).
    A ticket the assessment sends to Security, opened by a role that may not see security
    escalations, is opened all the same, but only its id comes back (`visible` false).
    """
    if not may_open(principal):
        raise _refuse(principal, "open escalations")
    raw = _ticket_under(body.ticket, "ticket")
    desk = context.desk(principal)
    moment = context.now()
    found = desk.matching_escalations(raw)
    shown = _visible_ids(context, principal, (i for i, _s in found))
    matching = [(i, score) for i, score in found if i in shown]
    similar = [{"id": i, "similarity": round(score, 4)} for i, score in matching]
    if matching and body.link_if_match:
        best, score = matching[0]
        context.allowed(principal, Action.LINK, best)
        linked = desk.link(best, raw, moment)
        response.status_code = 200
        return {"id": linked.id, "visible": True, "linked": True,
                "escalation": escalation_json(linked), "similarity": round(score, 4),
                "similar": similar,
                "notes": [f"linked to {linked.id} (similarity {score:.2f}), not opened: "
                          f"{linked.customers_affected} customers affected"]}
    escalation, _assessment = desk.open(raw, moment, owner=body.owner, force=body.force,
                                        target=body.target, severity=body.severity)
    visible = can_see(principal, escalation)
    notes = [f"this ticket resembles {other} (similarity {score:.2f}); if it is the same "
             f"issue, link it instead: POST /api/v1/escalations/{other}/link"
             for other, score in matching[:3]]
    return {"id": escalation.id, "visible": visible, "linked": False,
            "escalation": escalation_json(escalation) if visible else None,
            "similarity": None, "similar": similar, "notes": notes}


@router.get(
    "/escalations", tags=["escalations"], summary="List escalations, most urgent first",
    response_model=EscalationPage, responses=_responses(),
)
def list_route(
    principal: PrincipalDep, context: ContextDep,
    status: Annotated[list[Status] | None, Query(description="Repeatable")] = None,
    target: Annotated[list[Target] | None, Query(description="Repeatable")] = None,
    severity: Annotated[list[Severity] | None, Query(description="Repeatable")] = None,
    overdue: Annotated[bool, Query(description="Only those with a follow-up overdue now")]
    = False,
    owner: Annotated[str | None, Query(description="Only this owner's")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> dict[str, Any]:
    """One page of the queue: critical before high before medium, then the soonest follow-up
    due, then the oldest; `total` counts every match."""
    query = EscalationQuery(
        statuses=tuple(status or ()), targets=tuple(target or ()),
        severities=tuple(severity or ()), owner=owner,
        overdue_at=context.now() if overdue else None,
        hide_security=not sees_security(principal), limit=limit, offset=offset,
    )
    page, total = context.desk(principal).queue(query)
    return {"items": [escalation_json(e) for e in page if can_see(principal, e)],
            "total": total, "limit": limit, "offset": offset}


@router.get(
    "/escalations/{escalation_id}", tags=["escalations"], summary="Show one escalation",
    response_model=EscalationViewOut, responses=_responses(404),
)
def show_route(
    escalation_id: EscalationId, principal: PrincipalDep, context: ContextDep,
    lang: LangQuery = Lang.en,
) -> dict[str, Any]:
    """The escalation with its brief (in `lang`; revenue withheld unless the role may see it),
    lint, next follow-ups, follow-up log, linked tickets, closing gaps and timeline."""
    escalation = context.visible(principal, escalation_id)
    view = context.desk(principal).show(escalation.id, context.now())
    return view_json(_shown_view(principal, view), lang.value)


@router.get(
    "/escalations/{escalation_id}/timeline", tags=["escalations"],
    summary="An escalation's audit events", response_model=list[EventOut],
    responses=_responses(404),
)
def timeline_route(
    escalation_id: EscalationId, principal: PrincipalDep, context: ContextDep,
) -> list[dict[str, Any]]:
    """The audit events of one escalation, oldest first (`escalate timeline`)."""
    escalation = context.visible(principal, escalation_id)
    return [event_json(e) for e in context.desk(principal).timeline(escalation.id)]


@router.get(
    "/escalations/{escalation_id}/draft-update", tags=["escalations"],
    summary="Draft the next customer update", response_model=DraftUpdate,
    responses=_responses(404),
)
def draft_update_route(
    escalation_id: EscalationId, principal: PrincipalDep, context: ContextDep,
    lang: LangQuery = Lang.en,
) -> dict[str, Any]:
    """The next customer update drafted from the escalation's state, owed even with no news
    (`escalate draft-update`), in the customer's time zone."""
    from escalation.render import render_customer_update  # noqa: PLC0415

    visible = context.visible(principal, escalation_id)
    escalation, paragraphs = context.desk(principal).draft_update(visible.id, context.now())
    zone = escalation.customer.timezone or "UTC"
    return {"escalation_id": escalation.id, "lang": lang.value,
            "text": render_customer_update(paragraphs, lang.value, zone)}


@router.post(
    "/escalations/{escalation_id}/link", tags=["escalations"],
    summary="Link a further customer's ticket", response_model=EscalationOut,
    responses=_responses(*_ON_ESCALATION),
)
def link_route(
    escalation_id: EscalationId, body: LinkRequest, principal: PrincipalDep,
    context: ContextDep,
) -> dict[str, Any]:
    """Attach another customer's ticket instead of escalating it again (`escalate link`);
    customers affected updates."""
    escalation = context.allowed(principal, Action.LINK, escalation_id)
    if not may_open(principal):
        raise _refuse(principal, "link tickets")
    raw = _ticket_under(body.ticket, "ticket")
    return escalation_json(context.desk(principal).link(escalation.id, raw, context.now()))


@router.post(
    "/escalations/{escalation_id}/ack", tags=["escalations"],
    summary="Acknowledge an escalation", response_model=EscalationOut,
    responses=_responses(403, 404, 409),
)
def ack_route(
    escalation_id: EscalationId, principal: PrincipalDep, context: ContextDep,
) -> dict[str, Any]:
    """The receiving team has seen it (`escalate ack`)."""
    desk = context.desk(principal)
    return _change(context, principal, Action.ACKNOWLEDGE, escalation_id,
                   lambda i: desk.acknowledge(i, context.now()))


@router.post(
    "/escalations/{escalation_id}/start", tags=["escalations"],
    summary="Start work on an escalation", response_model=EscalationOut,
    responses=_responses(*_ON_ESCALATION),
)
def start_route(
    escalation_id: EscalationId, principal: PrincipalDep, context: ContextDep,
    body: StartRequest | None = None,
) -> dict[str, Any]:
    """The receiving team is working on it (`escalate start`); the body is optional."""
    desk = context.desk(principal)
    note = body.note if body is not None else ""
    return _change(context, principal, Action.START, escalation_id,
                   lambda i: desk.start(i, context.now(), note))


@router.post(
    "/escalations/{escalation_id}/follow-ups", tags=["escalations"],
    summary="Record a follow-up", response_model=EscalationOut,
    responses=_responses(*_ON_ESCALATION),
)
def follow_up_route(
    escalation_id: EscalationId, body: FollowUpRequest, principal: PrincipalDep,
    context: ContextDep,
) -> dict[str, Any]:
    """An internal follow-up (with the receiving team) or a customer update was done; that
    clock restarts from now (`escalate follow-up`)."""
    desk = context.desk(principal)
    return _change(context, principal, Action.FOLLOW_UP, escalation_id,
                   lambda i: desk.record_follow_up(i, body.kind, body.note, context.now()))


@router.post(
    "/escalations/{escalation_id}/severity", tags=["escalations"],
    summary="Change an escalation's severity", response_model=EscalationOut,
    responses=_responses(*_ON_ESCALATION),
)
def severity_route(
    escalation_id: EscalationId, body: SeverityRequest, principal: PrincipalDep,
    context: ContextDep,
) -> dict[str, Any]:
    """Up or down, with a reason; both follow-up clocks re-plan at once (`escalate severity`)."""
    desk = context.desk(principal)
    return _change(context, principal, Action.CHANGE_SEVERITY, escalation_id,
                   lambda i: desk.change_severity(i, body.severity, body.reason,
                                                  context.now()))


@router.post(
    "/escalations/{escalation_id}/deescalate", tags=["escalations"],
    summary="De-escalate", response_model=EscalationOut,
    responses=_responses(*_ON_ESCALATION),
)
def deescalate_route(
    escalation_id: EscalationId, body: DeEscalateRequest, principal: PrincipalDep,
    context: ContextDep,
) -> dict[str, Any]:
    """Step down for one of the playbook's four reasons, with a note on the root cause
    (`escalate deescalate`); what was learned is kept."""
    desk = context.desk(principal)
    return _change(context, principal, Action.DE_ESCALATE, escalation_id,
                   lambda i: desk.de_escalate(i, body.reason, body.note, context.now()))


@router.post(
    "/escalations/{escalation_id}/checklist", tags=["escalations"],
    summary="Tick closing-checklist items", response_model=EscalationOut,
    responses=_responses(*_ON_ESCALATION),
)
def checklist_route(
    escalation_id: EscalationId, body: ChecklistRequest, principal: PrincipalDep,
    context: ContextDep,
) -> dict[str, Any]:
    """Mark closing-checklist items done, in order (`escalate checklist --done …`); an item
    already done is refused (409) and the ones after it are left."""
    desk = context.desk(principal)

    def tick_all(escalation_id: str) -> Escalation:
        moment = context.now()
        changed = None
        for item in body.items:
            changed = desk.tick(escalation_id, item, moment)
        assert changed is not None  # at least one item (min_length=1)
        return changed

    return _change(context, principal, Action.CHECKLIST, escalation_id, tick_all)


@router.post(
    "/escalations/{escalation_id}/resolve", tags=["escalations"],
    summary="Resolve an escalation", response_model=EscalationOut,
    responses=_responses(*_ON_ESCALATION),
)
def resolve_route(
    escalation_id: EscalationId, body: ResolveRequest, principal: PrincipalDep,
    context: ContextDep,
) -> dict[str, Any]:
    """Record the resolution and the learning; later assessments cite it (`escalate
    resolve`)."""
    desk = context.desk(principal)
    return _change(context, principal, Action.RESOLVE, escalation_id,
                   lambda i: desk.resolve(i, body.resolution, body.learning, context.now(),
                                          body.fix_kind))


@router.post(
    "/escalations/{escalation_id}/close", tags=["escalations"],
    summary="Close an escalation", response_model=EscalationOut,
    responses=_responses(403, 404, 409),
)
def close_route(
    escalation_id: EscalationId, principal: PrincipalDep, context: ContextDep,
) -> dict[str, Any]:
    """Close the loop; refused (409) while the resolution or a checklist item is missing
    (`escalate close`)."""
    desk = context.desk(principal)
    return _change(context, principal, Action.CLOSE, escalation_id,
                   lambda i: desk.close(i, context.now()))


@router.post(
    "/escalations/{escalation_id}/reopen", tags=["escalations"],
    summary="Reopen an escalation", response_model=EscalationOut,
    responses=_responses(*_ON_ESCALATION),
)
def reopen_route(
    escalation_id: EscalationId, body: ReopenRequest, principal: PrincipalDep,
    context: ContextDep,
) -> dict[str, Any]:
    """Bring a resolved, de-escalated or closed escalation back (e.g. the issue recurred);
    the clocks restart from now (`escalate reopen`)."""
    desk = context.desk(principal)
    return _change(context, principal, Action.REOPEN, escalation_id,
                   lambda i: desk.reopen(i, body.reason, context.now()))


# --- follow-ups, patterns, audit -----------------------------------------------------------------


@router.get(
    "/followups", tags=["follow-ups"], summary="Follow-ups owed, most urgent first",
    response_model=list[FollowupOut], responses=_responses(),
)
def followups_route(
    principal: PrincipalDep, context: ContextDep,
    include_upcoming: Annotated[bool, Query(
        description="Also list follow-ups not yet due soon")] = False,
) -> list[dict[str, Any]]:
    """Due-soon, due and overdue follow-ups across active escalations (`escalate
    followups`)."""
    views = context.desk(principal).followups(context.now(), include_upcoming=include_upcoming)
    shown = _visible_ids(context, principal, {v.status.escalation_id for v in views})
    return [followup_json(v) for v in views if v.status.escalation_id in shown]


@router.post(
    "/patterns", tags=["patterns"], summary="Index tickets and group those alike",
    response_model=Patterns, responses=_responses(*_BODY, 403),
)
def patterns_route(
    body: Annotated[TicketsJson, Body(description="A list of tickets (one ticket works too)")],
    principal: PrincipalDep, context: ContextDep, now: NowQuery = None,
) -> dict[str, Any]:
    """Add the tickets to the pattern index and group them with the indexed tickets they
    resemble (`escalate patterns FILE --db`): clusters of two or more, most customers first,
    with the signals three_plus_customers, recurring_after_fix and severity_increasing.
    Clusters holding a ticket of an escalation the caller may not see are left out."""
    from escalation.patterns import find_patterns  # noqa: PLC0415 - loads the model

    if not may_open(principal):
        raise _refuse(principal, "index tickets")
    moment = _now(context, now)
    tickets, _as_list = _tickets(body)
    desk = context.desk(principal)
    desk.index_tickets(tickets, moment)
    with desk.store.unit_of_work(read_only=True) as uow:
        clusters = find_patterns(tickets, context.policy, index=desk.patterns, uow=uow)
        members = uow.patterns.indexed([t for c in clusters for t in c.ticket_ids])
    owners = {t: m.escalation_id for t, m in members.items() if m.escalation_id}
    shown = _visible_ids(context, principal, owners.values())
    return {"clusters": [
        cluster_to_mapping(c) for c in clusters
        if all(owners[t] in shown for t in c.ticket_ids if t in owners)
    ]}


@router.get(
    "/patterns", tags=["patterns"], summary="The pattern index's clusters",
    response_model=StoredPatterns, responses=_responses(),
)
def stored_patterns_route(principal: PrincipalDep, context: ContextDep) -> dict[str, Any]:
    """Every cluster of similar tickets the index holds, most customers first, with the
    escalations its tickets belong to; clusters touching an escalation the caller may not see
    are left out."""
    found = context.desk(principal).stored_patterns(visible=lambda e: can_see(principal, e))
    return {"clusters": [
        {**cluster_to_mapping(cluster),
         "escalations": sorted({m.escalation_id for m in members if m.escalation_id})}
        for cluster, members in found
    ]}


@router.get(
    "/audit/verify", tags=["audit"], summary="Verify the audit trail",
    response_model=AuditCheck, responses=_responses(403),
)
def audit_verify_route(principal: PrincipalDep, context: ContextDep) -> dict[str, Any]:
    """Walk the whole hash chain (`escalate audit verify`): `ok` false names the first bad
    event. For lead, security, leadership and admin tokens."""
    if not may_verify_audit(principal):
        raise AccessDeniedError(
            f"a {principal.role.value} token may not verify the audit trail (lead, security, "
            "leadership and admin tokens may)")
    checked, problem = context.desk(principal).verify_audit()
    return {"ok": problem is None, "checked": checked,
            "problem": str(problem) if problem is not None else None}


@router.get("/healthz", tags=["meta"], summary="Liveness", response_model=Health)
def healthz(context: ContextDep) -> dict[str, Any]:
    """Liveness and the database revision (no token needed)."""
    return {"status": "ok", "schema": context.store.revision()}
