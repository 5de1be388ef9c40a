"""New escalation: paste a ticket or fill its main fields, see the assessment and the brief with
its lint findings, then open it (or link it to the open escalation it resembles).

Bad input is answered like the CLI answers it (the field's path and what was expected) with
everything typed kept in the form.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from escalation.adapters.db.store import ConflictError, NotFoundError
from escalation.domain.access import AccessDeniedError, may_open, sees_revenue
from escalation.domain.brief import build_brief
from escalation.domain.contract import ticket_from_mapping
from escalation.domain.errors import InputError
from escalation.domain.lifecycle import LifecycleError
from escalation.domain.lint import lint_brief
from escalation.domain.model import N_, Category, Severity, Target
from escalation.services import DeskError, calendar_for, derive_facts
from escalation.web.dashboard import i18n
from escalation.web.dashboard.briefs import assessment_view, brief_view, sorted_findings
from escalation.web.dashboard.pages import (
    PageRoute,
    Viewer,
    context_of,
    flash,
    render,
    see_other,
    text,
)
from escalation.web.dashboard.reading import reading_view
from escalation.web.dashboard.session import FormDep, ViewerDep

router = APIRouter(route_class=PageRoute)

FACTS: tuple[str, ...] = tuple(i18n.LABELS["fact"])
# Form field -> the ticket contract's path, so an error can point at the field typed in.
_FIELD_PATHS: Mapping[str, str] = {
    "id": "id", "subject": "subject", "description": "description",
    "created_at": "created_at", "current_tier": "current_tier",
    "product_area": "product_area", "category": "facts.category",
    "customer_name": "customer.name", "customer_id": "customer.id",
    "customer_arr": "customer.arr", "customer_plan": "customer.plan",
    "customers_affected": "facts.customers_affected", "hours_waiting": "facts.hours_waiting",
    "known_workaround": "facts.known_workaround", "repro_steps": "reproduction.steps",
    "expected": "reproduction.expected", "actual": "reproduction.actual",
    "environment": "reproduction.environment", "ask": "ask",
}


def _number_or_text(value: str) -> Any:
    """A typed number as a number; anything else as typed (the contract names the problem)."""
    cleaned = value.strip().replace(",", "")
    try:
        number = float(cleaned)
    except ValueError:
        return value.strip()
    return int(number) if number.is_integer() else number


def ticket_from_form(form: Mapping[str, Any]) -> dict[str, Any]:
    """The ticket as a JSON object: the pasted JSON when there is some, else the fields."""
    pasted = text(form, "ticket_json").strip()
    if pasted:
        try:
            raw = json.loads(pasted)
        except json.JSONDecodeError as exc:
            raise InputError("ticket_json", f"valid JSON (line {exc.lineno}, column "
                             f"{exc.colno}: {exc.msg})", show_got=False) from None
        if not isinstance(raw, dict):
            raise InputError("ticket_json", "one ticket object", raw)
        return dict(raw)

    def field(name: str) -> str:
        return text(form, name).strip()

    ticket: dict[str, Any] = {"id": field("id")}
    for name in ("subject", "description", "created_at", "current_tier", "product_area",
                 "ask"):
        if field(name):
            ticket[name] = field(name)
    customer = {key: field(f"customer_{key}") for key in ("name", "id", "plan")
                if field(f"customer_{key}")}
    if field("customer_arr"):
        customer["arr"] = _number_or_text(field("customer_arr"))
    if customer:
        ticket["customer"] = customer
    facts: dict[str, Any] = {name: True for name in FACTS if form.get(f"fact_{name}")}
    if field("category"):
        facts["category"] = field("category")
    for name in ("customers_affected", "hours_waiting"):
        if field(name):
            facts[name] = _number_or_text(field(name))
    if field("known_workaround"):
        facts["known_workaround"] = field("known_workaround")
    if facts:
        ticket["facts"] = facts
    steps = [line.strip() for line in text(form, "repro_steps").splitlines() if line.strip()]
    reproduction: dict[str, Any] = {"steps": steps} if steps else {}
    for name in ("expected", "actual", "environment"):
        if field(name):
            reproduction[name] = field(name)
    if reproduction:
        ticket["reproduction"] = reproduction
    return ticket


def _bad_field(form: Mapping[str, Any], path: str) -> str:
    if text(form, "ticket_json").strip():
        return "ticket_json"
    for name, contract_path in _FIELD_PATHS.items():
        if path == contract_path or path.startswith(contract_path + "["):
            return name
    return ""


def _typed(form: FormData) -> dict[str, Any]:
    return {key: value for key, value in form.multi_items() if isinstance(value, str)}


def _form_values(viewer: Viewer) -> dict[str, Any]:
    return {
        "active": "new",
        "facts": FACTS,
        "categories": [c.value for c in Category],
        "targets": [t.value for t in Target],
        "severities": [s.value for s in Severity],
        "may_open": may_open(viewer.principal),
        "typed": {},
        "error": None,
        "bad_field": "",
        "result": None,
        "refused_open": False,
    }


@router.get("/new", response_class=HTMLResponse)
def new_page(request: Request, viewer: ViewerDep) -> HTMLResponse:
    """An empty ticket form."""
    return render(request, "new.html", viewer=viewer, **_form_values(viewer))


def _assessed(request: Request, viewer: Viewer, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The assessment, brief and lint of a ticket, and the open escalations it resembles."""
    context = context_of(request)
    ticket = ticket_from_mapping(raw)
    desk = context.desk(viewer.principal)
    now = context.now()
    assessment = desk.assess(ticket, now)
    brief = build_brief(ticket, assessment, context.policy, now,
                        calendar_for(ticket.customer, context.policy))
    revenue = sees_revenue(viewer.principal)
    resembles = []
    for escalation_id, score in desk.matching_escalations(raw)[:3]:
        try:
            context.visible(viewer.principal, escalation_id)
        except NotFoundError:
            continue  # an escalation the viewer may not see does not exist for them
        resembles.append((escalation_id, score))
    return {
        "ticket": ticket,
        "assessed": assessment_view(assessment, viewer.lang, show_revenue=revenue),
        "brief": brief_view(brief, viewer.lang, show_revenue=revenue),
        "findings": sorted_findings(lint_brief(brief, ticket)),
        "resembles": resembles,
        "reading": reading_view(derive_facts(ticket, context.policy), viewer.lang),
    }


@router.post("/new", response_class=HTMLResponse)
def new_submit(request: Request, viewer: ViewerDep, form: FormDep) -> Response:
    """Assess (shows everything, opens nothing), open, open anyway, or link."""
    context = context_of(request)
    intent = text(form, "intent") or "assess"
    values = _form_values(viewer)
    values["typed"] = _typed(form)
    status = 200
    try:
        raw = ticket_from_form(form)
        values["result"] = _assessed(request, viewer, raw)
        if intent in ("open", "force") or intent.startswith("link:"):
            if not may_open(viewer.principal):
                raise AccessDeniedError(
                    f"a {viewer.principal.role.value} token may not open or link escalations")
            desk = context.desk(viewer.principal)
            now = context.now()
            if intent.startswith("link:"):
                target_id = intent.removeprefix("link:")
                context.visible(viewer.principal, target_id)
                linked = desk.link(target_id, raw, now)
                flash(request, i18n.translate(N_("Linked %(ticket)s to %(escalation)s."),
                                              viewer.lang, ticket=raw.get("id"),
                                              escalation=linked.id))
                return see_other(f"/escalations/{linked.id}")
            force = intent == "force"
            target = severity = None
            if force:
                target = _pick(form, "force_target", Target)
                severity = _pick(form, "force_severity", Severity)
            escalation, _assessment = desk.open(raw, now, force=force, target=target,
                                                severity=severity)
            flash(request, i18n.translate(N_("Opened %(escalation)s."), viewer.lang,
                                          escalation=escalation.id))
            return see_other(f"/escalations/{escalation.id}")
    except InputError as exc:
        status = 422
        values.update(error=exc.message, bad_field=_bad_field(form, exc.path))
    except AccessDeniedError as exc:
        status = 403
        values["error"] = str(exc)
    except NotFoundError as exc:
        status = 404
        values["error"] = str(exc).strip("'\"")
    except (DeskError, LifecycleError, ConflictError) as exc:
        status = 409
        values["error"] = str(exc)
    values["refused_open"] = status == 409 and intent == "open"
    return render(request, "new.html", viewer=viewer, status=status, **values)


def _pick(form: FormData, name: str, choices: type[Any]) -> Any:
    value = text(form, name).strip()
    if not value:
        return None
    try:
        return choices(value)
    except ValueError:
        allowed = ", ".join(c.value for c in choices)
        raise InputError(name, f"one of {allowed}", value) from None
