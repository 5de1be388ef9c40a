"""Reports: weekly volume by target and severity, time to acknowledge and resolve, overdue
follow-ups, de-escalation rate and top patterns, each chart with its numbers beside it.

Everything is computed over the escalations the viewer may see (security ones only for
security and admin), so a chart never reveals what a list would hide.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from escalation.domain.access import can_see
from escalation.domain.model import N_, Severity, Target
from escalation.domain.reports import build_report
from escalation.render.charts import (
    SEVERITY_COLOURS,
    TARGET_COLOURS,
    horizontal_bars,
    stacked_bars,
)
from escalation.web.dashboard import i18n
from escalation.web.dashboard.pages import PageRoute, context_of, render
from escalation.web.dashboard.session import ViewerDep

router = APIRouter(route_class=PageRoute)

WEEKS = 8
TOP_PATTERNS = 8


@dataclass(frozen=True, slots=True)
class WeeklyTable:
    """One stacked chart's numbers: a row per week, a column per series, and the totals."""

    columns: tuple[tuple[str, str], ...]  # (code, label)
    rows: tuple[tuple[str, tuple[int, ...], int], ...]  # (week label, counts, total)


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request, viewer: ViewerDep) -> HTMLResponse:
    """The charts and their numbers for the last eight weeks."""
    context = context_of(request)
    principal = viewer.principal
    lang = viewer.lang
    now = context.now()
    with context.store.unit_of_work(read_only=True) as uow:
        escalations = [e for e in uow.list_escalations() if can_see(principal, e)]
        acknowledged = uow.first_event_times("escalation.acknowledged")
    report = build_report(escalations, acknowledged, now, weeks=WEEKS)
    weeks = [i18n.week_label(w.week_start, lang) for w in report.weeks]

    def weekly(kind: str, codes: list[str], colours: dict[str, str], title: str,
               counts_of: str) -> tuple[Markup, WeeklyTable]:
        used = [c for c in codes if any(getattr(w, counts_of)[c] for w in report.weeks)]
        series = [(i18n.label(kind, c, lang), [getattr(w, counts_of)[c] for w in report.weeks],
                   colours[c]) for c in used]
        chart = Markup(stacked_bars(weeks, series, title=i18n.translate(title, lang)))
        rows = tuple(
            (label, tuple(getattr(w, counts_of)[c] for c in used),
             sum(getattr(w, counts_of).values()))
            for label, w in zip(weeks, report.weeks, strict=True))
        return chart, WeeklyTable(tuple((c, i18n.label(kind, c, lang)) for c in used), rows)

    by_target = weekly("target", [t.value for t in Target], dict(TARGET_COLOURS),
                       N_("Escalations per week by target"), "by_target")
    by_severity = weekly("severity", [s.value for s in Severity], dict(SEVERITY_COLOURS),
                         N_("Escalations per week by severity"), "by_severity")

    timings = [
        (N_("Time to acknowledge"), report.time_to_acknowledge),
        (N_("Time to resolve"), report.time_to_resolve),
    ]
    bars = []
    for name, duration in timings:
        for which, value in ((N_("median"), duration.median_hours),
                             (N_("90th percentile"), duration.p90_hours)):
            if value is not None:
                bars.append((f"{i18n.translate(name, lang)} · {i18n.translate(which, lang)}",
                             round(value, 1)))
    timing_chart = Markup(horizontal_bars(
        bars, title=i18n.translate(N_("Hours to acknowledge and to resolve"), lang),
        unit=i18n.translate(N_("h"), lang))) if bars else None

    clusters = context.desk(principal).stored_patterns(visible=lambda e: can_see(principal, e))
    top = [cluster for cluster, _members in clusters[:TOP_PATTERNS]]
    pattern_chart = Markup(horizontal_bars(
        [(c.label, c.distinct_customers) for c in top],
        title=i18n.translate(N_("Customers per pattern"), lang),
        unit=i18n.translate(N_("customers"), lang),
    )) if top else None

    return render(
        request, "reports.html", viewer=viewer, active="reports", report=report,
        weeks=WEEKS, by_target=by_target, by_severity=by_severity,
        timings=[(i18n.translate(name, lang), d) for name, d in timings],
        timing_chart=timing_chart, patterns=top, pattern_chart=pattern_chart,
    )
