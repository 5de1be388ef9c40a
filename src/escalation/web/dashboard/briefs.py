"""A brief, its lint findings and its assessment laid out for a dashboard page.

The brief's words come from the renderers' own layout and catalog (`escalation.render`), so the
dashboard shows exactly what the HTML, text and Markdown briefs say. Readers who may not see
revenue get the brief and the assessment with every revenue figure withheld.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from escalation.domain.brief import Brief, withhold_revenue, withhold_revenue_assessment
from escalation.domain.lint import Finding
from escalation.domain.model import IMPACT_DIMENSIONS, Assessment
from escalation.render import render_reason, translate
from escalation.render.values import ValueRenderer
from escalation.render.view import BriefView, build_view


def brief_view(brief: Brief, lang: str, *, show_revenue: bool) -> BriefView:
    """The brief's sections rendered to safe HTML in `lang` (revenue withheld unless shown)."""
    shown = brief if show_revenue else withhold_revenue(brief)
    return build_view(shown, ValueRenderer(lang, shown.timezone, "html"), finish=Markup)


@dataclass(frozen=True, slots=True)
class Dimension:
    """One impact dimension as a row: its name, level and the facts that set it."""

    name: str
    level: str
    evidence: str


@dataclass(frozen=True, slots=True)
class AssessmentView:
    """An assessment with its reasons written out in the viewer's language."""

    assessment: Assessment
    reasons: tuple[str, ...]
    dimensions: tuple[Dimension, ...]
    drivers: tuple[str, ...]


def assessment_view(assessment: Assessment, lang: str, *, show_revenue: bool) -> AssessmentView:
    """The assessment for display (revenue evidence withheld unless shown)."""
    shown = assessment if show_revenue else withhold_revenue_assessment(assessment)
    impact = shown.impact
    dimensions = tuple(
        Dimension(name, getattr(impact, name).level.value,
                  translate(getattr(impact, name).evidence, lang))
        for name in IMPACT_DIMENSIONS
    )
    return AssessmentView(
        assessment=shown,
        reasons=tuple(render_reason(r, lang) for r in shown.reasons),
        dimensions=dimensions,
        drivers=tuple(translate(d, lang) for d in impact.drivers),
    )


def sorted_findings(findings: tuple[Finding, ...]) -> tuple[Finding, ...]:
    """Errors first, then warnings, then notes (the linter's own order within each)."""
    order = {"error": 0, "warning": 1, "info": 2}
    return tuple(sorted(findings, key=lambda f: order.get(f.level.value, 3)))
