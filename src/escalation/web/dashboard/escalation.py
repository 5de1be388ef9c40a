"""One escalation's page: header, brief (en/zh), lint, impact, follow-ups, timeline, actions.

Each action form is shown only when the escalation's state allows it and the viewer's role may
do it; the server checks both again and calls the same use case as the CLI, so a refusal
carries the CLI's message (409 refused by the lifecycle, 422 bad input, 403 not your role) and
changes nothing. Forms post with htmx and swap the page's escalation section; without
JavaScript they post normally and are redirected back (POST-redirect-GET).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from escalation.adapters.db.store import ConflictError
from escalation.domain.access import AccessDeniedError, Principal, may_act, sees_revenue
from escalation.domain.errors import InputError
from escalation.domain.lifecycle import ALLOWED_FROM, Action, LifecycleError, closing_gaps
from escalation.domain.model import (
    N_,
    ChecklistItem,
    DeEscalationReason,
    Escalation,
    FixKind,
    FollowupKind,
    Severity,
)
from escalation.render import render_customer_update
from escalation.services import Desk, DeskError, derive_facts
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
    wants_fragment,
)
from escalation.web.dashboard.reading import reading_view
from escalation.web.dashboard.session import FormDep, ViewerDep
from escalation.web.deps import DeskContext

router = APIRouter(route_class=PageRoute)

Run = Callable[[Desk, str, FormData, datetime], Escalation]


@dataclass(frozen=True, slots=True)
class Step:
    """One action form: the lifecycle action it is, how to run it, and what it says when done."""

    action: Action
    run: Run
    done: str


def _choice(form: FormData, name: str, choices: type[Any], expected: str) -> Any:
    value = text(form, name).strip()
    try:
        return choices(value)
    except ValueError:
        raise InputError(name, expected, value) from None


def _acknowledge(desk: Desk, esc: str, _form: FormData, now: datetime) -> Escalation:
    return desk.acknowledge(esc, now)


def _start(desk: Desk, esc: str, form: FormData, now: datetime) -> Escalation:
    return desk.start(esc, now, text(form, "note").strip())


def _follow_up(desk: Desk, esc: str, form: FormData, now: datetime) -> Escalation:
    kind = _choice(form, "kind", FollowupKind,
                   "which follow-up: internal (with the receiving team) or customer")
    return desk.record_follow_up(esc, kind, text(form, "note"), now)


def _severity(desk: Desk, esc: str, form: FormData, now: datetime) -> Escalation:
    level = _choice(form, "severity", Severity, "one of critical, high, medium")
    return desk.change_severity(esc, level, text(form, "reason"), now)


def _de_escalate(desk: Desk, esc: str, form: FormData, now: datetime) -> Escalation:
    reason = _choice(form, "reason", DeEscalationReason,
                     "one of " + ", ".join(r.value for r in DeEscalationReason))
    return desk.de_escalate(esc, reason, text(form, "note"), now)


def _checklist(desk: Desk, esc: str, form: FormData, now: datetime) -> Escalation:
    chosen = [value for value in form.getlist("item") if isinstance(value, str)]
    if not chosen:
        raise InputError("item", "at least one checklist item: "
                         + ", ".join(i.value for i in ChecklistItem), show_got=False)
    items = []
    for value in chosen:
        try:
            items.append(ChecklistItem(value))
        except ValueError:
            raise InputError("item", "one of " + ", ".join(i.value for i in ChecklistItem),
                             value) from None
    # One audited tick each, like `escalate checklist --done … --done …`.
    return [desk.tick(esc, item, now) for item in items][-1]


def _resolve(desk: Desk, esc: str, form: FormData, now: datetime) -> Escalation:
    fix_kind = None
    if text(form, "fix_kind").strip():
        fix_kind = _choice(form, "fix_kind", FixKind,
                           "one of " + ", ".join(k.value for k in FixKind))
    return desk.resolve(esc, text(form, "resolution"), text(form, "learning"), now, fix_kind)


def _close(desk: Desk, esc: str, _form: FormData, now: datetime) -> Escalation:
    return desk.close(esc, now)


def _reopen(desk: Desk, esc: str, form: FormData, now: datetime) -> Escalation:
    return desk.reopen(esc, text(form, "reason"), now)


STEPS: Mapping[str, Step] = {
    "acknowledge": Step(Action.ACKNOWLEDGE, _acknowledge, N_("Acknowledged.")),
    "start": Step(Action.START, _start, N_("Marked in progress.")),
    "follow-up": Step(Action.FOLLOW_UP, _follow_up, N_("Follow-up recorded.")),
    "severity": Step(Action.CHANGE_SEVERITY, _severity, N_("Severity changed.")),
    "de-escalate": Step(Action.DE_ESCALATE, _de_escalate, N_("De-escalated.")),
    "checklist": Step(Action.CHECKLIST, _checklist, N_("Checklist updated.")),
    "resolve": Step(Action.RESOLVE, _resolve, N_("Resolved.")),
    "close": Step(Action.CLOSE, _close, N_("Closed.")),
    "reopen": Step(Action.REOPEN, _reopen, N_("Reopened.")),
}


def available_steps(context: DeskContext, principal: Principal,
                    escalation: Escalation) -> frozenset[str]:
    """The action forms to show: allowed by the lifecycle now and by the viewer's role.

    Close waits for the closing checklist too: until then the checklist card says what is
    missing (a close posted anyway is refused with the same list).
    """
    return frozenset(
        slug for slug, step in STEPS.items()
        if escalation.status in ALLOWED_FROM[step.action]
        and not (step.action is Action.CLOSE and closing_gaps(escalation))
        and may_act(principal, step.action, escalation, context.authenticator.team_of)
    )


def _details(details: Mapping[str, Any]) -> list[tuple[str, str]]:
    shown = []
    for key, value in details.items():
        if value in (None, "", [], {}):
            continue
        shown.append((key, value if isinstance(value, str)
                      else json.dumps(value, ensure_ascii=False)))
    return shown


def page_values(
    request: Request,
    viewer: Viewer,
    escalation_id: str,
    *,
    brief_lang: str | None = None,
    draft_lang: str | None = None,
) -> dict[str, Any]:
    """Everything the escalation page shows (NotFoundError when the viewer may not see it)."""
    context = context_of(request)
    principal = viewer.principal
    escalation = context.visible(principal, escalation_id)
    now = context.now()
    desk = context.desk(principal)
    view = desk.show(escalation.id, now)
    lang = i18n.language(brief_lang or viewer.lang)
    revenue = sees_revenue(principal)
    briefed = view.briefed
    e = view.escalation
    return {
        "e": e,
        "view": view,
        "ticket": view.ticket,
        "brief_lang": lang,
        "brief": brief_view(briefed.brief, lang, show_revenue=revenue) if briefed else None,
        "assessed": (assessment_view(briefed.assessment, viewer.lang, show_revenue=revenue)
                     if briefed else None),
        "findings": sorted_findings(briefed.findings) if briefed else (),
        "reading": (reading_view(derive_facts(view.ticket, context.policy), viewer.lang)
                    if view.ticket is not None else None),
        "events": [(event, _details(event.details)) for event in reversed(view.events)],
        "follow_up_log": sorted(view.follow_up_log, key=lambda r: r.at, reverse=True),
        "steps": available_steps(context, principal, e),
        "gaps": [i18n.label("checklist", gap.removeprefix("checklist: "), viewer.lang)
                 if gap.startswith("checklist: ")
                 else i18n.translate(N_("A resolution or a de-escalation"), viewer.lang)
                 for gap in view.closing_gaps],
        "checklist_done": [i.value for i in ChecklistItem if i in e.checklist],
        "checklist_todo": [i.value for i in ChecklistItem if i not in e.checklist],
        "severities": [s.value for s in Severity if s is not e.severity],
        "deescalation_reasons": [r.value for r in DeEscalationReason],
        "fix_kinds": [k.value for k in FixKind],
        "show_revenue": revenue,
        "draft": _draft(desk, e.id, now, draft_lang) if draft_lang else None,
        "draft_lang": draft_lang,
        "typed": {},
        "failed": None,
        "error": None,
        "active": "queue",
    }


def _draft(desk: Desk, escalation_id: str, now: datetime, lang: str) -> str:
    escalation, paragraphs = desk.draft_update(escalation_id, now)
    return render_customer_update(paragraphs, i18n.language(lang),
                                  escalation.customer.timezone or "UTC")


@router.get("/escalations/{escalation_id}", response_class=HTMLResponse)
def escalation_page(
    request: Request,
    escalation_id: str,
    viewer: ViewerDep,
    brief: Annotated[str | None, Query()] = None,
    draft: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    """The escalation: brief in the chosen language, follow-ups, timeline and actions."""
    values = page_values(request, viewer, escalation_id, brief_lang=brief,
                         draft_lang=i18n.language(draft) if draft else None)
    return render(request, "escalation.html", viewer=viewer, **values)


@router.get("/escalations/{escalation_id}/brief", response_class=HTMLResponse)
def brief_fragment(
    request: Request, escalation_id: str, viewer: ViewerDep,
    lang: Annotated[str | None, Query()] = None,
) -> Response:
    """The brief alone in another language (htmx swaps it in place)."""
    if not wants_fragment(request):
        return see_other(f"/escalations/{escalation_id}?brief={i18n.language(lang)}#brief")
    values = page_values(request, viewer, escalation_id, brief_lang=lang)
    return render(request, "_brief_card.html", viewer=viewer, **values)


@router.get("/escalations/{escalation_id}/draft", response_class=HTMLResponse)
def draft_fragment(
    request: Request, escalation_id: str, viewer: ViewerDep,
    draft: Annotated[str | None, Query()] = None,
) -> Response:
    """The next customer update, drafted from the escalation's state (changes nothing)."""
    chosen = i18n.language(draft or viewer.lang)
    if not wants_fragment(request):
        return see_other(f"/escalations/{escalation_id}?draft={chosen}#draft")
    values = page_values(request, viewer, escalation_id, draft_lang=chosen)
    return render(request, "_draft.html", viewer=viewer, **values)


@router.post("/escalations/{escalation_id}/{step}", response_class=HTMLResponse)
def act(
    request: Request, escalation_id: str, step: str, viewer: ViewerDep, form: FormDep,
) -> Response:
    """Run one action form; a refusal re-shows the page with the desk's message."""
    chosen = STEPS.get(step)
    if chosen is None:
        raise HTTPException(404)
    context = context_of(request)
    principal = viewer.principal
    status, message = 200, ""
    escalation = context.visible(principal, escalation_id)  # 404 page when it is not theirs
    try:
        context.allowed(principal, chosen.action, escalation.id)
        chosen.run(context.desk(principal), escalation.id, form, context.now())
    except AccessDeniedError as exc:
        status, message = 403, str(exc)
    except InputError as exc:
        status, message = 422, exc.message
    except (LifecycleError, DeskError, ConflictError) as exc:
        status, message = 409, str(exc)
    if status == 200 and not wants_fragment(request):
        flash(request, i18n.translate(chosen.done, viewer.lang))
        return see_other(f"/escalations/{escalation.id}")
    values = page_values(request, viewer, escalation.id)
    if status == 200:
        values["flash"] = {"kind": "ok", "text": i18n.translate(chosen.done, viewer.lang)}
    else:
        values.update(error=message, failed=step, typed={
            key: value for key, value in form.multi_items() if isinstance(value, str)})
    template = "_escalation.html" if wants_fragment(request) else "escalation.html"
    return render(request, template, viewer=viewer, status=status, **values)
