"""Patterns: groups of similar tickets across customers, their signals, and what to do next.

A group with no open escalation can be escalated (its first stored ticket is opened); a group
with one lets its other tickets be linked to it, so one escalation carries every customer.
Groups touching an escalation the viewer may not see do not exist for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from escalation.adapters.db.store import ConflictError
from escalation.domain.access import AccessDeniedError, can_see, may_open
from escalation.domain.lifecycle import LifecycleError
from escalation.domain.model import N_, Ticket
from escalation.domain.patterns import Cluster, IndexedTicket
from escalation.services import DeskError
from escalation.web.dashboard import i18n
from escalation.web.dashboard.pages import (
    PageRoute,
    Viewer,
    context_of,
    flash,
    render,
    see_other,
    text,
)
from escalation.web.dashboard.session import FormDep, ViewerDep

router = APIRouter(route_class=PageRoute)


@dataclass(frozen=True, slots=True)
class Member:
    """One ticket of a group, whether the store holds it, and whether it can be linked."""

    ticket: IndexedTicket
    stored: bool
    linkable: bool  # not yet part of the group's open escalation


@dataclass(frozen=True, slots=True)
class Group:
    """A cluster as the page shows it."""

    cluster: Cluster
    members: tuple[Member, ...]
    open_escalation: str | None
    can_escalate: bool  # no open escalation and a stored ticket to open


def _first_seen(member: IndexedTicket) -> tuple[datetime, str]:
    return (member.created_at or datetime.max.replace(tzinfo=UTC), member.ticket_id)


def groups_for(request: Request, viewer: Viewer) -> list[Group]:
    """The clusters the viewer may see, most customers first."""
    context = context_of(request)
    principal = viewer.principal
    desk = context.desk(principal)
    clusters = desk.stored_patterns(visible=lambda e: can_see(principal, e))
    wanted = [m.ticket_id for _c, members in clusters for m in members]
    with context.store.unit_of_work(read_only=True) as uow:
        stored = {ticket_id for ticket_id in wanted if uow.get_ticket(ticket_id) is not None}
    groups = []
    for cluster, members in clusters:
        active = sorted({m.active_escalation for m in members if m.active_escalation},
                        key=lambda e: int(e.split("-")[-1]) if e.split("-")[-1].isdigit() else 0)
        open_id = active[0] if active else None
        ordered = sorted(members, key=_first_seen)
        shown = tuple(Member(m, m.ticket_id in stored,
                             open_id is not None and m.active_escalation != open_id)
                      for m in ordered)
        groups.append(Group(cluster, shown, open_id,
                            open_id is None and any(m.stored for m in shown)))
    return groups


def ticket_mapping(ticket: Ticket) -> dict[str, Any]:
    """A stored ticket back in the ticket contract's JSON shape (unknown fields kept)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Enum):
            return value.value
        if isinstance(value, datetime):
            return value.isoformat()
        if is_dataclass(value) and not isinstance(value, type):
            out = {}
            for f in fields(value):
                item = getattr(value, f.name)
                if isinstance(item, frozenset):
                    continue  # Facts.stated: bookkeeping, not part of the contract
                if item is None or item is False or (
                        isinstance(item, tuple | list | Mapping) and not item):
                    continue  # absent: the contract's default
                out[f.name] = plain(item)
            return out
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if isinstance(value, Mapping):
            return {k: plain(v) for k, v in value.items()}
        return value

    mapping: dict[str, Any] = plain(ticket)
    extra = mapping.pop("extra", {})
    return {**extra, **mapping}


@router.get("/patterns", response_class=HTMLResponse)
def patterns_page(request: Request, viewer: ViewerDep) -> HTMLResponse:
    """Every group of similar tickets with its signals and open escalation."""
    return render(request, "patterns.html", viewer=viewer, active="patterns",
                  groups=groups_for(request, viewer), may_open=may_open(viewer.principal),
                  error=None)


def _refused(request: Request, viewer: Viewer, status: int, message: str) -> HTMLResponse:
    return render(request, "patterns.html", viewer=viewer, active="patterns", status=status,
                  groups=groups_for(request, viewer), may_open=may_open(viewer.principal),
                  error=message)


def _group(request: Request, viewer: Viewer, cluster_id: str) -> Group | None:
    return next((g for g in groups_for(request, viewer) if g.cluster.id == cluster_id), None)


def _stored_raw(request: Request, ticket_id: str) -> dict[str, Any] | None:
    with context_of(request).store.unit_of_work(read_only=True) as uow:
        ticket = uow.get_ticket(ticket_id)
    return ticket_mapping(ticket) if ticket is not None else None


@router.post("/patterns/escalate", response_class=HTMLResponse)
def escalate_pattern(request: Request, viewer: ViewerDep, form: FormDep) -> Response:
    """Open the group's first stored ticket as an escalation (none may be open yet)."""
    context = context_of(request)
    cluster_id = text(form, "cluster")
    try:
        if not may_open(viewer.principal):
            raise AccessDeniedError(
                f"a {viewer.principal.role.value} token may not open escalations")
        group = _group(request, viewer, cluster_id)
        if group is None:
            return _refused(request, viewer, 404, f"no pattern {cluster_id}")
        if group.open_escalation:
            raise DeskError(f"{cluster_id} already has the open escalation "
                            f"{group.open_escalation}: link its tickets to it instead")
        first = next((m.ticket.ticket_id for m in group.members if m.stored), None)
        raw = _stored_raw(request, first) if first else None
        if raw is None:
            raise DeskError(f"{cluster_id}: none of its tickets is stored; open one from New "
                            "escalation by pasting it")
        escalation, _assessment = context.desk(viewer.principal).open(raw, context.now())
    except AccessDeniedError as exc:
        return _refused(request, viewer, 403, str(exc))
    except (DeskError, LifecycleError, ConflictError) as exc:
        return _refused(request, viewer, 409, str(exc))
    flash(request, i18n.translate(
        N_("Opened %(escalation)s from %(ticket)s. Link the group's other tickets to it."),
        viewer.lang, escalation=escalation.id, ticket=raw.get("id")))
    return see_other(f"/patterns#{cluster_id}")


@router.post("/patterns/link", response_class=HTMLResponse)
def link_pattern_ticket(request: Request, viewer: ViewerDep, form: FormDep) -> Response:
    """Link one ticket of a group to the group's open escalation."""
    context = context_of(request)
    cluster_id, ticket_id = text(form, "cluster"), text(form, "ticket")
    try:
        if not may_open(viewer.principal):
            raise AccessDeniedError(
                f"a {viewer.principal.role.value} token may not link tickets")
        group = _group(request, viewer, cluster_id)
        member = next((m for m in group.members if m.ticket.ticket_id == ticket_id),
                      None) if group else None
        if group is None or member is None:
            return _refused(request, viewer, 404, f"no ticket {ticket_id} in pattern {cluster_id}")
        if group.open_escalation is None:
            raise DeskError(f"{cluster_id} has no open escalation to link {ticket_id} to: "
                            "escalate it first")
        raw = _stored_raw(request, ticket_id)
        if raw is None:
            raise DeskError(f"{ticket_id} is not stored; link it from New escalation by "
                            "pasting it")
        linked = context.desk(viewer.principal).link(group.open_escalation, raw, context.now())
    except AccessDeniedError as exc:
        return _refused(request, viewer, 403, str(exc))
    except (DeskError, LifecycleError, ConflictError) as exc:
        return _refused(request, viewer, 409, str(exc))
    flash(request, i18n.translate(N_("Linked %(ticket)s to %(escalation)s."), viewer.lang,
                                  ticket=ticket_id, escalation=linked.id))
    return see_other(f"/patterns#{cluster_id}")
