"""The queue: escalations most urgent first, with live countdowns to the next follow-ups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import QueryParams

from escalation.adapters.db.store import EscalationQuery
from escalation.domain.access import sees_revenue, sees_security
from escalation.domain.model import Severity, Status, Target
from escalation.web.dashboard.pages import PageRoute, Viewer, context_of, render, wants_fragment
from escalation.web.dashboard.session import ViewerDep

router = APIRouter(route_class=PageRoute)

PAGE_SIZE = 25
ACTIVE = "active"
ANY = "all"
_ACTIVE_STATUSES = tuple(s for s in Status if s.is_active)


@dataclass(frozen=True, slots=True)
class QueueFilters:
    """What the queue's filter form asks for (unknown values fall back to the defaults)."""

    status: str = ACTIVE  # "active", "all" or one status
    target: str = ""
    severity: str = ""
    owner: str = ""
    overdue: bool = False
    page: int = 1

    @classmethod
    def from_query(cls, params: QueryParams) -> QueueFilters:
        """Filters from the page's query string."""
        status = params.get("status", ACTIVE)
        if status not in {ACTIVE, ANY, *(s.value for s in Status)}:
            status = ACTIVE
        target = params.get("target", "")
        severity = params.get("severity", "")
        page = params.get("page", "1")
        return cls(
            status=status,
            target=target if target in {t.value for t in Target} else "",
            severity=severity if severity in {s.value for s in Severity} else "",
            owner=params.get("owner", "").strip()[:200],
            overdue=params.get("overdue") in ("1", "on", "true"),
            page=max(1, min(int(page), 100_000)) if page.isdigit() else 1,
        )

    def query(self, viewer: Viewer, now: datetime) -> EscalationQuery:
        """The store query: security escalations stay out for who may not see them."""
        if self.status == ACTIVE:
            statuses: tuple[Status, ...] = _ACTIVE_STATUSES
        elif self.status == ANY:
            statuses = ()
        else:
            statuses = (Status(self.status),)
        return EscalationQuery(
            statuses=statuses,
            targets=(Target(self.target),) if self.target else (),
            severities=(Severity(self.severity),) if self.severity else (),
            owner=self.owner or None,
            overdue_at=now if self.overdue else None,
            hide_security=not sees_security(viewer.principal),
            limit=PAGE_SIZE,
            offset=(self.page - 1) * PAGE_SIZE,
        )

    def link(self, **changes: object) -> str:
        """The query string of these filters with `changes` (page 1 unless given)."""
        values: dict[str, object] = {
            "status": self.status, "target": self.target, "severity": self.severity,
            "owner": self.owner, "overdue": "1" if self.overdue else "", "page": 1,
        }
        values.update(changes)
        kept = {k: v for k, v in values.items()
                if v not in ("", None) and not (k == "status" and v == ACTIVE)
                and not (k == "page" and v == 1)}
        return urlencode(kept)


def _queue(request: Request, viewer: Viewer) -> dict[str, Any]:
    context = context_of(request)
    filters = QueueFilters.from_query(request.query_params)
    now = context.now()
    escalations, total = context.desk(viewer.principal).queue(filters.query(viewer, now))
    pages = max(1, -(-total // PAGE_SIZE))
    return {
        "filters": filters,
        "escalations": escalations,
        "total": total,
        "pages": pages,
        "show_revenue": sees_revenue(viewer.principal),
        "statuses": [s.value for s in Status],
        "targets": [t.value for t in Target],
        "severities": [s.value for s in Severity],
        "active_filter": ACTIVE,
        "any_filter": ANY,
    }


@router.get("/", response_class=HTMLResponse)
def queue_page(request: Request, viewer: ViewerDep) -> HTMLResponse:
    """The queue, most urgent first, with filters and pages."""
    template = "_queue_rows.html" if wants_fragment(request) else "queue.html"
    return render(request, template, viewer=viewer, active="queue", **_queue(request, viewer))


@router.get("/queue/rows", response_class=HTMLResponse)
def queue_rows(request: Request, viewer: ViewerDep) -> HTMLResponse:
    """The queue's rows alone: htmx refreshes them every 30 seconds."""
    return render(request, "_queue_rows.html", viewer=viewer, **_queue(request, viewer))
