"""Withholding revenue: no amount of money survives anywhere in a brief or an assessment."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from datetime import datetime
from typing import Any

import pytest

from escalation.domain.assess import assess
from escalation.domain.brief import (
    WITHHELD_REVENUE,
    Attempt,
    Brief,
    Line,
    Money,
    Number,
    Phrase,
    ReproductionSection,
    Said,
    build_brief,
    withhold_revenue,
    withhold_revenue_assessment,
)
from escalation.domain.calendar import BusinessCalendar
from escalation.domain.contract import assessment_to_mapping, ticket_from_mapping
from escalation.domain.model import Assessment
from escalation.domain.policy import Policy
from escalation.render import FORMATS, render_brief, render_reason, translate

NOW = datetime.fromisoformat("2026-11-26T10:00:00+00:00")
POLICY = Policy()

CHURN: dict[str, Any] = {
    "id": "JSM-3402",
    "subject": "Renewal at risk: reporting gaps",
    "description": "The customer says they will leave at renewal unless reporting improves.",
    "created_at": "2026-11-25T09:00:00Z",
    "current_tier": "l2",
    "customer": {"id": "C-9", "name": "Northwind", "arr": 480000, "plan": "enterprise",
                 "reference_customer": True, "timezone": "America/New_York", "country": "US"},
    "facts": {"churn_risk": True, "executive_involvement_requested": True,
              "bug_confirmed": True, "blocked": True},
}


def _brief_and_assessment(ticket: dict[str, Any]) -> tuple[Brief, Assessment]:
    parsed = ticket_from_mapping(ticket)
    calendar = BusinessCalendar(timezone=parsed.customer.timezone or "UTC")
    assessment = assess(parsed, POLICY, NOW)
    return build_brief(parsed, assessment, POLICY, NOW, calendar), assessment


def _values(node: object) -> list[object]:
    """Every value reachable from a brief part: phrases' params, lines, tuples, sections."""
    found: list[object] = [node]
    if isinstance(node, Phrase):
        for param in node.params.values():
            found += _values(param)
    elif isinstance(node, Line):
        found += _values(node.value)
    elif isinstance(node, Attempt):
        found += _values(node.action) + _values(node.result)
    elif isinstance(node, tuple):
        for item in node:
            found += _values(item)
    elif isinstance(node, ReproductionSection | Brief):
        for f in fields(node):
            found += _values(getattr(node, f.name))
    return found


def test_the_churn_brief_carries_money_before_withholding() -> None:
    brief, _ = _brief_and_assessment(CHURN)
    assert any(isinstance(v, Money) for v in _values(brief))
    assert "480,000" in render_brief(brief, "text", "en")


def test_no_money_is_left_anywhere_and_the_marker_takes_its_place() -> None:
    brief, _ = _brief_and_assessment(CHURN)
    withheld = withhold_revenue(brief)
    values = _values(withheld)
    assert not any(isinstance(v, Money) for v in values)
    assert Phrase(WITHHELD_REVENUE) in values
    revenue = next(line for line in withheld.impact if line.key == "revenue_at_risk")
    assert revenue.value == Phrase("{arr} ARR (churn risk)", {"arr": Phrase(WITHHELD_REVENUE)})


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_no_rendering_shows_the_amount(fmt: str, lang: str) -> None:
    brief, _ = _brief_and_assessment(CHURN)
    shown = render_brief(withhold_revenue(brief), fmt, lang)
    assert "480,000" not in shown and "480000" not in shown
    assert translate(WITHHELD_REVENUE, lang) in shown


def test_the_marker_is_translated() -> None:
    zh = translate(WITHHELD_REVENUE, "zh")
    assert zh != WITHHELD_REVENUE
    assert "已隐去" in zh


def test_reasons_quoting_the_arr_are_withheld_in_both_languages() -> None:
    brief, _ = _brief_and_assessment(CHURN)
    churn = next(r for r in brief.reasons if r.code == "business.high_value_churn_risk")
    assert "480,000" in churn.text
    withheld = next(r for r in withhold_revenue(brief).reasons if r.code == churn.code)
    assert "480,000" not in withheld.text
    assert WITHHELD_REVENUE in render_reason(withheld, "en")
    assert translate(WITHHELD_REVENUE, "zh") in render_reason(withheld, "zh")


def test_everything_but_money_is_kept() -> None:
    brief, _ = _brief_and_assessment(CHURN)
    withheld = withhold_revenue(brief)
    for name in ("ticket_id", "summary", "severity", "target", "description", "tried",
                 "communication", "asks", "deadline", "supporting", "timezone",
                 "target_name", "severity_name", "reproduction"):
        assert getattr(withheld, name) == getattr(brief, name), name
    kept = [line for line in brief.impact if line.key != "revenue_at_risk"]
    assert [line for line in withheld.impact if line.key != "revenue_at_risk"] == kept
    assert withheld.needed == brief.needed


def test_a_brief_without_money_is_unchanged_and_withholding_is_idempotent() -> None:
    no_arr = {**CHURN, "customer": {**CHURN["customer"], "arr": None}}
    brief, _ = _brief_and_assessment(no_arr)
    assert withhold_revenue(brief) == brief
    full, _ = _brief_and_assessment(CHURN)
    once = withhold_revenue(full)
    assert withhold_revenue(once) == once


def test_money_nested_anywhere_is_withheld() -> None:
    brief, _ = _brief_and_assessment(CHURN)
    deep = Phrase("{a} and {b}", {"a": Phrase("{x}", {"x": Money(5, "EUR")}),
                                  "b": Number(3)})
    planted = replace(
        brief,
        summary=Money(1, "USD"),
        deadline=deep,
        tried=(Attempt(Money(2, "USD"), Said("refunded")),),
        supporting=(Said("see ticket"), Money(3, "USD")),
        communication=(Line("last_update", "Last update", deep),),
        reproduction=ReproductionSection(
            steps=(Money(4, "USD"),), expected=Said("ok"), actual=deep,
            environment=Said("Chrome"), extra=(Line("frequency", "Frequency", Money(6, "USD")),)),
    )
    withheld = withhold_revenue(planted)
    assert not any(isinstance(v, Money) for v in _values(withheld))
    assert withheld.supporting[0] == Said("see ticket")
    assert isinstance(withheld.deadline, Phrase)
    assert withheld.deadline.params["b"] == Number(3)


def test_the_assessment_withholds_revenue_evidence_and_reasons() -> None:
    _, assessment = _brief_and_assessment(CHURN)
    before = json.dumps(assessment_to_mapping(assessment))
    assert "480,000" in before
    withheld = withhold_revenue_assessment(assessment)
    after = assessment_to_mapping(withheld)
    assert "480,000" not in json.dumps(after)
    assert after["impact"]["revenue"] == {"level": assessment.impact.revenue.level.value,
                                          "evidence": WITHHELD_REVENUE}
    assert after["decision"] == assessment.decision.value
    assert [r["code"] for r in after["reasons"]] == [r.code for r in assessment.reasons]
