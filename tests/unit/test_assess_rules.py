"""One rule at a time: every reason code `assess.py` can emit, fired by a minimal ticket and not
fired by a near-identical one (one fact flipped, or a value just across the threshold)."""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest

import escalation.domain.assess as assess_module
from escalation.domain.assess import assess
from escalation.domain.contract import assessment_to_mapping, parse_timestamp, ticket_from_mapping
from escalation.domain.learnings import Learning, LearningMatch
from escalation.domain.model import FixKind
from escalation.domain.policy import DEFAULT_POLICY

NOW = parse_timestamp("2026-11-26T10:00:00Z")


def t(tier: str = "l2", customer: dict[str, Any] | None = None,
      created_at: str | None = None, **facts: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": "R-1", "current_tier": tier, "facts": facts}
    if customer is not None:
        out["customer"] = customer
    if created_at is not None:
        out["created_at"] = created_at
    return out


ENT = {"id": "e", "plan": "enterprise"}
PRO = {"id": "p", "plan": "pro"}

# (code, ticket that fires it, near-identical ticket that must not, pytest id)
RULES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    # Handle in Support When
    ("support.documented_solution", t(documented_solution="KB-1"), t(), "documented_solution"),
    ("support.known_workaround", t(known_workaround="Use CSV"), t(), "known_workaround"),
    ("support.configuration", t(category="configuration"), t(category="bug"), "configuration"),
    ("support.guidance", t(category="how_to"), t(category="other"), "guidance-how_to"),
    ("support.guidance", t(category="training"), t(category="account"), "guidance-training"),
    ("support.known_limitation",
     t(known_limitation=True, documented_alternative="Use the API"),
     t(known_limitation=True), "known_limitation-needs-alternative"),
    ("support.previously_resolved", t(previously_resolved_in_support=True),
     t(previously_resolved_in_support=False), "previously_resolved"),
    ("support.no_trigger", t(), t(documented_solution="KB-1"), "no_trigger"),
    # Security (Any -> Security)
    ("impact.potential_data_exposure", t(potential_data_exposure=True),
     t(potential_data_exposure=False), "potential_data_exposure"),
    ("impact.unauthorized_access", t(unauthorized_access=True), t(unauthorized_access=False),
     "unauthorized_access"),
    ("impact.vulnerability_report", t(vulnerability_report=True), t(vulnerability_report=False),
     "vulnerability_report"),
    ("impact.compliance_concern", t(compliance_concern=True), t(compliance_concern=False),
     "compliance_concern"),
    ("impact.security_concern", t(security_concern=True), t(security_concern=False),
     "security_concern-flag"),
    ("impact.security_concern", t(category="security"), t(category="bug"),
     "security_concern-category"),
    # Technical
    ("technical.data_loss", t(data_loss=True), t(data_loss=False), "data_loss"),
    ("technical.data_corruption", t(data_corruption=True), t(data_corruption=False),
     "data_corruption"),
    ("technical.bug_code_fix", t(bug_confirmed=True), t(bug_confirmed=False),
     "bug_code_fix-confirmed"),
    ("technical.bug_code_fix", t(needs_code_change=True), t(needs_code_change=False),
     "bug_code_fix-code_change"),
    ("technical.infrastructure", t(infrastructure_suspected=True),
     t(infrastructure_suspected=False), "infrastructure"),
    # Complexity
    ("complexity.beyond_support_diagnosis", t(beyond_support_diagnosis=True),
     t(beyond_support_diagnosis=False), "beyond_support_diagnosis"),
    ("complexity.requires_access", t(requires_access_support_lacks=True),
     t(requires_access_support_lacks=False), "requires_access"),
    ("complexity.custom_implementation", t(custom_implementation=True),
     t(custom_implementation=False), "custom_implementation"),
    # Impact
    ("impact.production_down", t(production_down=True), t(production_down=False),
     "production_down-flag"),
    ("impact.production_down", t(category="outage"), t(category="performance"),
     "production_down-category"),
    ("impact.data_integrity_at_risk", t(data_integrity_at_risk=True),
     t(data_integrity_at_risk=False), "data_integrity_at_risk"),
    ("impact.multiple_high_value_customers", t(high_value_customers_affected=2),
     t(high_value_customers_affected=1), "multiple_high_value_customers"),
    ("impact.multiple_customers", t(customers_affected=2), t(customers_affected=1),
     "multiple_customers-2-vs-1"),
    ("impact.multiple_customers", t(customers_affected=2), t(customers_affected=3),
     "multiple_customers-3-is-the-pattern"),
    ("impact.blocked_without_workaround", t(blocked=True),
     t(blocked=True, known_workaround="Use CSV"), "blocked-vs-workaround"),
    ("impact.blocked_without_workaround", t(major_functionality_broken=True),
     t(major_functionality_broken=True, documented_solution="KB-2"),
     "major_broken-vs-documented_solution"),
    # Business
    ("business.high_value_churn_risk", t(churn_risk=True, customer={"id": "c", "arr": 100_000}),
     t(churn_risk=True, customer={"id": "c", "arr": 99_999}), "high_value_churn-arr-threshold"),
    ("business.high_value_churn_risk", t(churn_risk=True, high_value_customers_affected=1),
     t(churn_risk=True, high_value_customers_affected=0), "high_value_churn-affected-count"),
    ("business.high_value_churn_risk", t(churn_risk=True, customer={"id": "c", "arr": 500_000}),
     t(churn_risk=False, customer={"id": "c", "arr": 500_000}), "high_value_churn-needs-churn"),
    ("business.sla_breach_key_account", t(customer=ENT, created_at="2026-11-25T09:00:00Z"),
     t(customer={**ENT, "plan": "business", "sla_hours": 24}, created_at="2026-11-25T09:00:00Z"),
     "sla_breach_key_account-vs-non-key"),
    ("business.sla_breach_imminent", t(customer=ENT, created_at="2026-11-25T16:00:00Z"),
     t(customer=ENT, created_at="2026-11-25T17:00:00Z"), "sla_breach_imminent-75pct-vs-71pct"),
    ("business.executive_involvement", t(executive_involvement_requested=True),
     t(executive_involvement_requested=False), "executive_involvement"),
    ("business.policy_exception", t(policy_exception_needed=True),
     t(policy_exception_needed=False), "policy_exception"),
    ("business.pr_or_legal_risk", t(pr_or_legal_risk=True), t(pr_or_legal_risk=False),
     "pr_or_legal_risk"),
    ("business.cross_functional_decision", t(cross_functional_decision_needed=True),
     t(cross_functional_decision_needed=False), "cross_functional_decision"),
    # Time
    ("time.open_beyond_sla", t(customer=PRO, created_at="2026-11-23T10:00:00Z"),
     t(customer=PRO, created_at="2026-11-23T10:01:00Z"), "open_beyond_sla-72h-boundary"),
    ("time.unreasonable_wait", t(hours_waiting=48.5), t(hours_waiting=48),
     "unreasonable_wait-48h-boundary"),
    ("time.stalled", t(stalled=True), t(stalled=False), "stalled"),
    # Pattern
    ("pattern.three_plus_customers", t(customers_affected=3), t(customers_affected=2),
     "three_plus_customers"),
    ("pattern.recurring_after_fix", t(recurring_after_fix=True), t(recurring_after_fix=False),
     "recurring_after_fix"),
    ("pattern.severity_increasing", t(severity_increasing=True), t(severity_increasing=False),
     "severity_increasing"),
    # Product
    ("product.feature_gap", t(feature_gap=True), t(feature_gap=False), "feature_gap-flag"),
    ("product.feature_gap", t(category="feature_request"),
     t(category="feature_request", known_limitation=True), "feature_gap-category"),
    ("product.design_decision", t(design_decision_needed=True),
     t(design_decision_needed=False), "design_decision"),
    ("product.workflow_mismatch", t(workflow_mismatch=True), t(workflow_mismatch=False),
     "workflow_mismatch"),
    ("product.competing_needs", t(competing_needs=True), t(competing_needs=False),
     "competing_needs"),
]



def seen(fix_kind: FixKind, resolved_at: str = "2026-11-01T00:00:00Z") -> tuple[LearningMatch]:
    """History: one matching escalation, ESC-41, resolved the way `fix_kind` says."""
    learning = Learning("ESC-41", "R-0", frozenset({"export"}), None, None, "Patched",
                        "Export per month", fix_kind, None, parse_timestamp(resolved_at))
    return (LearningMatch(learning, 0.8, ("export",)),)


# Codes derived from history (what earlier escalations taught): (code, ticket, history that
# fires it, near-identical history that must not, pytest id).
HISTORY_RULES: list[tuple[str, dict[str, Any], tuple[LearningMatch, ...],
                          tuple[LearningMatch, ...], str]] = [
    ("support.resolved_before", t(), seen(FixKind.WORKAROUND), seen(FixKind.CODE_FIX),
     "resolved_before-workaround"),
    ("support.resolved_before", t(), seen(FixKind.SUPPORT), seen(FixKind.OTHER),
     "resolved_before-support"),
    ("pattern.recurring_after_fix", t(created_at="2026-11-26T08:00:00Z"),
     seen(FixKind.CODE_FIX), seen(FixKind.CODE_FIX, "2026-11-26T09:00:00Z"),
     "recurring_after_fix-derived"),
]


def _codes(mapping: dict[str, Any], history: tuple[LearningMatch, ...] = ()
           ) -> tuple[list[str], dict[str, Any]]:
    out = assessment_to_mapping(
        assess(ticket_from_mapping(mapping), DEFAULT_POLICY, NOW, history=history))
    return [r["code"] for r in out["reasons"]], out


def _source_codes() -> set[str]:
    src = inspect.getsource(assess_module)
    prefixes = "support|technical|complexity|impact|business|time|pattern|product"
    return set(re.findall(rf'"((?:{prefixes})\.[a-z_]+)"', src))


@pytest.mark.parametrize(("code", "fires", "quiet"),
                         [pytest.param(c, f, q, id=i) for c, f, q, i in RULES])
def test_rule_fires(code: str, fires: dict[str, Any], quiet: dict[str, Any]) -> None:
    codes, out = _codes(fires)
    assert code in codes, codes
    reason = next(r for r in out["reasons"] if r["code"] == code)
    assert reason["category"] == code.split(".", maxsplit=1)[0]
    assert reason["text"].strip() and "{" not in reason["text"]
    expected_decision = "handle_in_support" if code.startswith("support.") else "escalate"
    assert out["decision"] == expected_decision


@pytest.mark.parametrize(("code", "fires", "quiet"),
                         [pytest.param(c, f, q, id=i) for c, f, q, i in RULES])
def test_rule_stays_quiet_on_near_identical_ticket(
    code: str, fires: dict[str, Any], quiet: dict[str, Any]
) -> None:
    codes, _ = _codes(quiet)
    assert code not in codes, codes


@pytest.mark.parametrize(("code", "mapping", "fires", "quiet"),
                         [pytest.param(c, m, f, q, id=i) for c, m, f, q, i in HISTORY_RULES])
def test_history_rule_fires_and_stays_quiet(
    code: str, mapping: dict[str, Any], fires: tuple[LearningMatch, ...],
    quiet: tuple[LearningMatch, ...],
) -> None:
    codes, out = _codes(mapping, fires)
    assert code in codes, codes
    reason = next(r for r in out["reasons"] if r["code"] == code)
    assert reason["category"] == code.split(".", maxsplit=1)[0]
    assert "ESC-41" in reason["text"] and "{" not in reason["text"]
    expected_decision = "handle_in_support" if code.startswith("support.") else "escalate"
    assert out["decision"] == expected_decision
    quiet_codes, _ = _codes(mapping, quiet)
    assert code not in quiet_codes, quiet_codes


def test_table_covers_every_code_assess_can_emit() -> None:
    emitted = _source_codes()
    assert len(emitted) >= 40  # sanity: the regex found the codes
    assert {code for code, *_ in RULES} | {code for code, *_ in HISTORY_RULES} == emitted
    # Only the history rules reach `support.resolved_before`; the facts alone never do.
    assert {code for code, *_ in HISTORY_RULES} - {code for code, *_ in RULES} == {
        "support.resolved_before"}


def test_pairs_are_near_identical() -> None:
    # The quiet ticket differs from the firing one in at most two leaf values.
    def leaves(m: Any, prefix: str = "") -> dict[str, Any]:
        if isinstance(m, dict):
            out: dict[str, Any] = {}
            for k, v in m.items():
                out.update(leaves(v, f"{prefix}.{k}"))
            return out
        return {prefix: m}

    for code, fires, quiet, rid in RULES:
        a, b = leaves(fires), leaves(quiet)
        diff = {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)}
        assert 1 <= len(diff) <= 2, (code, rid, diff)


def test_sla_breach_on_key_account_replaces_imminent() -> None:
    # The business SLA reasons are exclusive: breached on a key account is not "imminent".
    codes, out = _codes(t(customer=ENT, created_at="2026-11-24T10:00:00Z"))
    assert out["sla_status"] == "breached"
    assert "business.sla_breach_key_account" in codes
    assert "business.sla_breach_imminent" not in codes
