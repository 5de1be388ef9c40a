"""Precedence decisions the seed leaves open, pinned down (see assess.py's module docstring)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from escalation.domain.assess import assess
from escalation.domain.contract import ticket_from_mapping
from escalation.domain.model import Decision, Severity, Target

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def run(**fields: Any) -> Any:
    return assess(ticket_from_mapping({"id": "T-1", **fields}), now=NOW)


def test_a_feature_gap_asked_for_by_many_customers_goes_to_product_not_engineering() -> None:
    result = run(current_tier="l2", facts={"feature_gap": True, "customers_affected": 5})
    assert result.target is Target.PRODUCT
    assert result.also_notify == ()
    codes = [r.code for r in result.reasons]
    assert "pattern.three_plus_customers" in codes


def test_breadth_alone_goes_to_engineering_from_l2_and_l2_from_l1() -> None:
    assert run(current_tier="l2", facts={"customers_affected": 4}).target is Target.ENGINEERING
    assert run(current_tier="l1", facts={"customers_affected": 4}).target is Target.L2


def test_breadth_beside_a_security_trigger_does_not_pull_in_engineering() -> None:
    result = run(current_tier="l2", facts={"unauthorized_access": True, "customers_affected": 2})
    assert result.target is Target.SECURITY
    assert result.also_notify == ()


def test_a_bug_beside_a_feature_gap_lets_engineering_lead_with_product_notified() -> None:
    result = run(current_tier="l2", facts={"bug_confirmed": True, "feature_gap": True})
    assert result.target is Target.ENGINEERING
    assert result.also_notify == (Target.PRODUCT,)


def test_churn_threat_of_a_key_account_without_arr_on_file_goes_to_leadership() -> None:
    result = run(customer={"name": "Initech", "plan": "enterprise"}, facts={"churn_risk": True})
    assert result.decision is Decision.ESCALATE
    assert result.target is Target.LEADERSHIP
    assert result.reasons[0].text == "Key account at risk of churn (no ARR on file)"


def test_churn_threat_of_a_small_customer_is_not_a_leadership_trigger() -> None:
    result = run(customer={"arr": 1200, "plan": "pro"}, facts={"churn_risk": True})
    assert result.decision is Decision.HANDLE_IN_SUPPORT


def test_a_documented_solution_unblocks_like_a_workaround_for_severity() -> None:
    blocked = {"bug_confirmed": True, "needs_code_change": True, "blocked": True}
    key = {"plan": "enterprise"}
    without = run(current_tier="l2", customer=key, facts=blocked)
    with_solution = run(current_tier="l2", customer=key,
                        facts={**blocked, "documented_solution": "KB-12"})
    with_workaround = run(current_tier="l2", customer=key,
                          facts={**blocked, "known_workaround": "use v1 export"})
    assert without.severity is Severity.HIGH
    assert with_solution.severity is Severity.MEDIUM
    assert with_workaround.severity is Severity.MEDIUM


def test_time_alone_at_l2_goes_to_support_leadership() -> None:
    result = run(current_tier="l2", facts={"stalled": True})
    assert result.target is Target.LEADERSHIP
    assert [r.code for r in result.reasons] == ["time.stalled"]
