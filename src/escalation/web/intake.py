"""Intake webhooks: helpdesks push tickets, verified by a per-source shared secret.

`POST /api/v1/intake/{source}` (zendesk, jira, generic) takes no bearer token; the body is
checked against the source's secret (`ESCALATION_INTAKE_SECRET_<SOURCE>`):

    zendesk  X-Zendesk-Webhook-Signature = base64(HMAC-SHA256(secret, timestamp + body)),
             X-Zendesk-Webhook-Signature-Timestamp = timestamp
    jira     X-Hub-Signature = sha256=<hex HMAC-SHA256(secret, body)>
    generic  X-Escalation-Signature = sha256=<hex HMAC-SHA256(secret, body)>

The body is mapped like the importer (`escalate import`), validated against the ticket contract,
upserted by ticket id and indexed for patterns, then assessed at once. When the assessment
escalates with a severity or target listed in ESCALATION_INTAKE_AUTO_OPEN, else in the policy's
`[intake] auto_open`, the escalation is opened
(actor `intake:<source>`) unless the ticket already has an active one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.concurrency import run_in_threadpool

from escalation.adapters.importers import SkipRecordError, jira, zendesk
from escalation.domain.contract import assessment_to_mapping, ticket_from_mapping
from escalation.domain.errors import InputError
from escalation.domain.model import Decision
from escalation.services import Desk
from escalation.web.deps import ContextDep, DeskContext, rate_limit
from escalation.web.schemas import ErrorBody
from escalation.web.settings import INTAKE_SECRET_PREFIX

router = APIRouter(prefix="/api/v1")

INTAKE_SOURCES = ("zendesk", "jira", "generic")

SourcePath = Annotated[str, Path(description="zendesk, jira or generic", examples=["zendesk"])]


def secret_variable(source: str) -> str:
    """The environment variable holding `source`'s shared secret."""
    return f"{INTAKE_SECRET_PREFIX}{source.upper()}"


def _hmac(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()


def _hex_signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    scheme, _, given = (header or "").strip().partition("=")
    if scheme.lower() != "sha256" or not given:
        return False
    expected = _hmac(secret, body).hex()
    return hmac.compare_digest(expected.encode("ascii"), given.strip().lower().encode("utf-8"))


def _zendesk_signature_ok(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    given = headers.get("x-zendesk-webhook-signature")
    timestamp = headers.get("x-zendesk-webhook-signature-timestamp")
    if not given or timestamp is None:
        return False
    expected = base64.b64encode(_hmac(secret, timestamp.encode("utf-8") + body))
    return hmac.compare_digest(expected, given.strip().encode("utf-8"))


def signature_ok(source: str, secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """Whether the request carries `source`'s valid signature of `body` (constant time)."""
    if source == "zendesk":
        return _zendesk_signature_ok(secret, body, headers)
    header = "x-hub-signature" if source == "jira" else "x-escalation-signature"
    return _hex_signature_ok(secret, body, headers.get(header))


# --- mapping -------------------------------------------------------------------------------------


def _zendesk_record(payload: Any) -> Any:
    """The ticket of a Zendesk webhook: `{"ticket": {...}}` (trigger JSON), an event webhook's
    `{"type": "zen:event-type:ticket…", "detail": {...}}`, or a bare ticket object."""
    if isinstance(payload, Mapping):
        if isinstance(payload.get("ticket"), Mapping):
            return payload["ticket"]
        if str(payload.get("type", "")).startswith("zen:event-type:ticket") and isinstance(
                payload.get("detail"), Mapping):
            return payload["detail"]
    return payload


def _jira_record(payload: Any) -> Any:
    """The issue of a Jira webhook (`{"webhookEvent": …, "issue": {...}}`) or a bare issue."""
    if isinstance(payload, Mapping) and "issue" in payload:
        if payload.get("webhookEvent") == "jira:issue_deleted":
            raise SkipRecordError("the issue was deleted in Jira")
        return payload["issue"]
    return payload


def _generic(payload: Any, _mapping: Mapping[str, Any] | None = None) -> dict[str, Any]:
    if not isinstance(payload, Mapping):
        raise InputError("", "a ticket object", payload)
    return dict(payload)


MAPPERS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "zendesk": lambda payload: zendesk.to_ticket(_zendesk_record(payload), None),
    "jira": lambda payload: jira.to_ticket(_jira_record(payload), None),
    "generic": _generic,
}


# --- the route -----------------------------------------------------------------------------------


@router.post(
    "/intake/{source}", tags=["intake"], summary="Receive a helpdesk webhook (signed)",
    responses={code: {"model": ErrorBody, "description": text} for code, text in {
        401: "Missing or invalid signature",
        403: "No shared secret configured for this source",
        404: "Unknown source",
        413: "Request body too large",
        422: "Invalid input: `field` names the field path",
        429: "Too many requests: retry after the Retry-After header's seconds",
    }.items()},
)
async def intake_route(source: SourcePath, request: Request,
                       context: ContextDep) -> dict[str, Any]:
    """Map, store, index and assess one ticket a helpdesk pushes; maybe open its escalation.

    Verified by the source's shared secret instead of a bearer token (see the module docs).
    Answers `{"ticket_id", "assessment", "escalation"}`: the escalation is the one opened now
    (auto-open policy) or the ticket's active one, else null. Re-posting a ticket updates it.
    A record that is no ticket to import (e.g. a deleted one) answers 200 with `skipped`.
    """
    client = request.client.host if request.client else "unknown"
    rate_limit(context, f"intake:{client}")
    if source not in INTAKE_SOURCES:
        raise HTTPException(status_code=404, detail=(
            f"unknown intake source {source!r}; one of {', '.join(INTAKE_SOURCES)}"))
    secret = context.settings.intake_secrets.get(source)
    if not secret:
        raise HTTPException(status_code=403, detail=(
            f"intake from {source} is not configured: set {secret_variable(source)} to the "
            "webhook's shared secret"))
    body = await request.body()
    if not signature_ok(source, secret, body, request.headers):
        raise HTTPException(status_code=401, detail=f"{source} webhook: missing or invalid "
                                                    "signature")
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError("", "a JSON object", show_got=False) from None
    return await run_in_threadpool(_receive, context, source, payload)


def _receive(context: DeskContext, source: str, payload: Any) -> dict[str, Any]:
    try:
        raw = MAPPERS[source](payload)
    except SkipRecordError as exc:
        return {"ticket_id": None, "assessment": None, "escalation": None,
                "skipped": str(exc)}
    ticket = ticket_from_mapping(raw)
    now = context.now()
    actor = f"intake:{source}"
    desk = Desk(context.store, context.policy, actor)
    with context.store.unit_of_work() as uow:
        before = uow.get_ticket(ticket.id)
        outcome = "new" if before is None else ("unchanged" if before == ticket else "updated")
        if outcome != "unchanged":
            uow.save_ticket(ticket, raw, now)
            uow.append_event(now, actor, "tickets.imported", None, {
                "source": source, "via": "intake", "ticket": ticket.id,
                "new": int(outcome == "new"), "updated": int(outcome == "updated"),
                "unchanged": 0, "skipped": 0,
            })
        active = [e.id for e in uow.escalations_for_ticket(ticket.id) if e.status.is_active]
    if outcome != "unchanged":
        # An already indexed ticket keeps its first text (as with `escalate import`).
        desk.index_tickets([ticket], now)
    assessment = desk.assess(ticket, now)
    escalation = active[0] if active else None
    # ESCALATION_INTAKE_AUTO_OPEN (the server's settings) wins over the policy's [intake].
    wanted = set(context.settings.intake_auto_open or context.policy.intake_auto_open)
    if (escalation is None and assessment.decision is Decision.ESCALATE and wanted and (
            (assessment.severity is not None and assessment.severity.value in wanted)
            or (assessment.target is not None and assessment.target.value in wanted))):
        opened, assessment = desk.open(raw, now)
        escalation = opened.id
    return {"ticket_id": ticket.id, "assessment": assessment_to_mapping(assessment),
            "escalation": escalation, "outcome": outcome}
