"""Lint findings on briefs: every code fires when it should and stays quiet when it should not."""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalation.domain import lint as lint_module
from escalation.domain.assess import assess
from escalation.domain.brief import (
    Attempt,
    Brief,
    Line,
    Money,
    Needed,
    Phrase,
    ReproductionSection,
    Said,
    Term,
    build_brief,
)
from escalation.domain.calendar import BusinessCalendar
from escalation.domain.contract import ticket_from_mapping
from escalation.domain.lint import (
    CODES,
    Finding,
    LintLevel,
    count_sentences,
    has_errors,
    lint_brief,
)
from escalation.domain.model import BOOL_FACTS, TEXT_FACTS, Category, Ticket
from escalation.domain.policy import DEFAULT_POLICY

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
CALENDAR = BusinessCalendar(timezone="UTC")

# A bug escalation that follows every practice of the seed's "Writing Reproduction Steps".
GOOD: dict[str, Any] = {
    "id": "T-100",
    "subject": "CSV export returns HTTP 500 for Enterprise workspaces since 24 Nov",
    "description": (
        "Since 24 November 2026 the CSV export on the Dashboard fails with HTTP 500 for "
        "Enterprise workspaces. It started after release 4.12.0 was deployed, e.g. on "
        "workspace 8812. Users click Export and get an error banner instead of a file. "
        "Three enterprise customers are blocked from their month-end reporting."
    ),
    "created_at": "2026-11-25T09:00:00Z",
    "current_tier": "l2",
    "product_area": "Reporting",
    "customer": {
        "id": "C-1", "name": "Acme Corp", "arr": 120000, "plan": "enterprise",
        "sla_hours": 48, "timezone": "America/New_York", "country": "US",
    },
    "facts": {
        "category": "bug", "bug_confirmed": True, "needs_code_change": True, "blocked": True,
        "customers_affected": 3, "high_value_customers_affected": 1,
    },
    "steps_tried": [
        {"action": "Cleared browser cache and retried in Firefox 132", "result": "Same HTTP 500"},
        {"action": "Exported a 7-day range instead of 24 days", "result": "Same HTTP 500"},
    ],
    "reproduction": {
        "start_state": "Enterprise plan workspace, Admin role, feature flag new_exports=on",
        "steps": [
            "Log in as admin@acme.test on workspace 8812",
            "Open the Dashboard page and set the date range to 2026-11-01 – 2026-11-24",
            "Click the Export button in the top-right of the Dashboard page",
            'Choose "CSV" in the format dialog and click Download',
        ],
        "expected": "A file dashboard-2026-11.csv downloads within 10 seconds",
        "actual": 'Error banner "Export failed (code EXP-500)" and HTTP 500 from /api/v2/exports',
        "environment": "Chrome 131 on macOS 15.1, Enterprise plan, new_exports flag on",
        "frequency": "Always: 10 of 10 attempts",
        "evidence": ["HAR file export-500.har", "Console: TypeError at exporter.js:212"],
        "ruled_out": [
            "Tested in Chrome and Firefox: same behaviour",
            "Not account-specific: reproduced on test account",
        ],
    },
    "communications": [
        {"at": "2026-11-25T15:00:00Z", "direction": "outbound",
         "summary": "Told Acme engineering is investigating; next update by 18:00 UTC"},
    ],
    "customer_expectation": "A fix or workaround before month-end close on 30 Nov",
    "ask": "Fix: find the root cause of the HTTP 500 and ship a patch",
}

LEADERSHIP: dict[str, Any] = {
    "id": "T-200",
    "subject": "Globex threatens not to renew after three weeks of failed invoices",
    "description": (
        "Globex has had failed invoice runs for three weeks. Their CFO wrote to our CEO on "
        "20 Nov. They will not renew the 400k contract unless we act. Support has no further "
        "levers."
    ),
    "current_tier": "l2",
    "customer": {"id": "C-9", "name": "Globex", "arr": 400000, "plan": "enterprise"},
    "facts": {"churn_risk": True, "customers_affected": 1},
    "steps_tried": [{"action": "Offered a call with the account manager", "result": "Declined"}],
    "deadline": "2026-11-28T17:00:00Z",
}

SECURITY: dict[str, Any] = {
    "id": "T-300",
    "subject": "Workspace 8812 shows another tenant's invoices to its admins",
    "description": (
        "An Acme admin saw invoices of another tenant on 25 Nov. The page was the Billing "
        "history. We captured the tenant ids from the screenshot. Only Acme reported it so far."
    ),
    "customer": {"id": "C-1", "name": "Acme Corp", "arr": 120000},
    "facts": {"potential_data_exposure": True, "customers_affected": 1,
              "containment": "Disabled the Billing history page via flag at 09:40 UTC"},
}


def variant(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """`base` with dotted paths changed (`reproduction__frequency=None` removes that key)."""
    out = copy.deepcopy(base)
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("__")
        node = out
        for key in parents:
            node = node.setdefault(key, {})
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return out


def brief_for(mapping: dict[str, Any]) -> tuple[Brief, Ticket]:
    ticket = ticket_from_mapping(mapping)
    assessment = assess(ticket, DEFAULT_POLICY, NOW)
    return build_brief(ticket, assessment, DEFAULT_POLICY, NOW, CALENDAR), ticket


def lint_mapping(mapping: dict[str, Any]) -> tuple[Finding, ...]:
    brief, ticket = brief_for(mapping)
    return lint_brief(brief, ticket)


def hand_brief(**changes: Any) -> Brief:
    """A hand-written Engineering brief that follows the seed; `changes` spoil one part."""
    base = Brief(
        ticket_id="H-1",
        summary=Said("SSO login loops back to the sign-in page for Globex admins"),
        severity=Term("severity", "high"),
        target=Term("target", "engineering"),
        impact=(
            Line("customers_affected", "Customers affected", Said("2 (Globex, Initech)")),
            Line("workflow_impact", "Workflow impact", Said("Admins blocked from Settings")),
            Line("revenue_at_risk", "Revenue at risk", Money(80000, "USD")),
            Line("sla_status", "SLA status", Term("sla_status", "at_risk")),
        ),
        description=Said(
            "Since Monday 23 Nov, Globex admins cannot finish SSO login. After the IdP redirect "
            "they land on the sign-in page again. It began with release 4.12.0. Two customers "
            "with 40 admins in total are blocked."
        ),
        reproduction=ReproductionSection(
            steps=(
                Said("Log in as an Admin on the Globex workspace 8812 via Okta SSO"),
                Said("Click the Settings link in the left sidebar"),
            ),
            expected=Said("The Settings page opens"),
            actual=Said('Redirect loop to /login with error "SAML assertion expired"'),
            environment=Said("Chrome 131 on Windows 11, Enterprise plan"),
            extra=(
                Line("start_state", "Start state", Said("Enterprise workspace with Okta SAML")),
                Line("frequency", "Frequency", Said("Always, 5 of 5 attempts")),
                Line("ruled_out", "Ruled out", Said("Tested in Chrome and Firefox: same")),
            ),
        ),
        tried=(Attempt(Said("Cleared cookies and retried"), Said("Same loop")),),
        communication=(
            Line("last_update", "Last update", Said("2026-11-25 — told them we escalated")),
            Line("customer_expectation", "Customer expectation", Said("Login works by Fri")),
            Line("escalation_risk", "Escalation risk", Said("No")),
        ),
        asks=(Said("Investigate: find the root cause of the SAML loop"),),
        deadline=Said("2026-11-27 17:00 UTC"),
        supporting=(Said("HAR capture sso-loop.har"),),
        timezone="UTC",
    )
    return dataclasses.replace(base, **changes)


def hand_repro(**changes: Any) -> ReproductionSection:
    base = hand_brief().reproduction
    assert base is not None
    return dataclasses.replace(base, **changes)


Make = Callable[[], tuple[Brief, Ticket | None]]


def from_mapping(mapping: dict[str, Any]) -> Make:
    return lambda: brief_for(mapping)


def from_hand(**changes: Any) -> Make:
    return lambda: (hand_brief(**changes), None)


NO_CUSTOMER = {"plan": "enterprise", "sla_hours": 48}
LEADERSHIP_NO_DECISION = variant(LEADERSHIP, facts={"stalled": True, "customers_affected": 1})

# (code, case id, brief maker, should the code fire?)
CASES: list[tuple[str, str, Make, bool]] = [
    ("severity.missing", "handled-in-support", from_mapping({"id": "S-1"}), True),
    ("severity.missing", "hand-needed", from_hand(severity=Needed("severity", "severity")),
     True),
    ("severity.missing", "good", from_mapping(GOOD), False),
    ("target.missing", "handled-in-support", from_mapping({"id": "S-1"}), True),
    ("target.missing", "good", from_mapping(GOOD), False),
    ("summary.vague", "generic", from_mapping(variant(GOOD, subject="Urgent issue, please help")),
     True),
    ("summary.vague", "three-words", from_mapping(variant(GOOD, subject="Export not working")),
     True),
    ("summary.vague", "none", from_mapping(variant(GOOD, subject=None, description=None)), True),
    ("summary.vague", "hand-generic",
     from_hand(summary=Said("Customer has a problem, app not working")), True),
    ("summary.vague", "chinese-generic", from_hand(summary=Said("紧急问题求助")), True),
    ("summary.vague", "good", from_mapping(GOOD), False),
    ("summary.vague", "chinese-specific", from_hand(summary=Said("导出按钮返回500错误")), False),
    ("impact.not_quantified", "no-count-no-arr",
     from_mapping(variant(GOOD, customer=NO_CUSTOMER,
                          facts__customers_affected=None,
                          facts__high_value_customers_affected=None)), True),
    ("impact.not_quantified", "hand-words-only", from_hand(impact=(
        Line("customers_affected", "Customers affected", Said("Globex and others")),
        Line("revenue_at_risk", "Revenue at risk", Said("significant")),
    )), True),
    ("impact.not_quantified", "hand-no-lines", from_hand(impact=()), True),
    ("impact.not_quantified", "good", from_mapping(GOOD), False),
    ("impact.not_quantified", "only-arr-missing",
     from_mapping(variant(GOOD, customer__arr=None)), False),
    ("impact.partly_quantified", "arr-missing", from_mapping(variant(GOOD, customer__arr=None)),
     True),
    ("impact.partly_quantified", "hand-revenue-words", from_hand(impact=(
        Line("customers_affected", "Customers affected", Said("2 (Globex, Initech)")),
        Line("revenue_at_risk", "Revenue at risk", Said("a big renewal")),
    )), True),
    ("impact.partly_quantified", "good", from_mapping(GOOD), False),
    ("impact.sla_status", "no-created-at", from_mapping(variant(GOOD, created_at=None)), True),
    ("impact.sla_status", "good", from_mapping(GOOD), False),
    ("description.missing", "none", from_mapping(variant(GOOD, description=None)), True),
    ("description.missing", "good", from_mapping(GOOD), False),
    ("description.length", "one-sentence",
     from_mapping(variant(GOOD, description="Export fails for Acme.")), True),
    ("description.length", "seven-sentences",
     from_mapping(variant(GOOD, description="A. B. C. D. E. F. G.")), True),
    ("description.length", "good", from_mapping(GOOD), False),
    ("description.length", "chinese-three",
     from_hand(description=Said("导出从11月24日起失败。企业工作区都受影响。三家客户无法出报表。")),
     False),
    ("repro.missing", "no-steps", from_mapping(variant(GOOD, reproduction__steps=None)), True),
    ("repro.missing", "hand-engineering-without-section", from_hand(reproduction=None), True),
    ("repro.missing", "good", from_mapping(GOOD), False),
    ("repro.missing", "leadership-no-bug", from_mapping(LEADERSHIP), False),
    ("repro.start_state", "none",
     from_mapping(variant(GOOD, reproduction__start_state=None, reproduction__steps=[
         "Open the Dashboard page of workspace 8812",
         "Click the Export button in the top-right of the Dashboard page",
     ])), True),
    ("repro.start_state", "good", from_mapping(GOOD), False),
    ("repro.start_state", "first-step-sets-it",
     from_mapping(variant(GOOD, reproduction__start_state=None)), False),
    ("repro.vague_step", "try-to-export",
     from_mapping(variant(GOOD, reproduction__steps=["try to export"])), True),
    ("repro.vague_step", "do-some-stuff",
     from_mapping(variant(GOOD, reproduction__steps=[
         "Log in as admin on workspace 8812", "do some stuff"])), True),
    ("repro.vague_step", "etc", from_mapping(variant(GOOD, reproduction__steps=[
        "Open the Dashboard page, pick dates, etc"])), True),
    ("repro.vague_step", "no-verb", from_mapping(variant(GOOD, reproduction__steps=[
        "The report is slow today"])), True),
    ("repro.vague_step", "chinese-try", from_hand(reproduction=hand_repro(steps=(
        Said("尝试导出"),))), True),
    ("repro.vague_step", "good", from_mapping(GOOD), False),
    ("repro.vague_step", "chinese-specific", from_hand(reproduction=hand_repro(steps=(
        Said("以管理员身份登录工作区 8812"), Said("点击仪表盘右上角的导出按钮")))), False),
    ("repro.exact_values", "some-data", from_mapping(variant(GOOD, reproduction__steps=[
        "Log in as admin on workspace 8812", "Enter some data in the Filter field"])), True),
    ("repro.exact_values", "no-value-anywhere", from_hand(reproduction=hand_repro(
        steps=(Said("Open the Settings page as an admin"),
               Said("Click the Save button at the bottom")),
        expected=Said("The settings are saved"), actual=Said("Nothing happens"))), True),
    ("repro.exact_values", "good", from_mapping(GOOD), False),
    ("repro.environment", "none", from_mapping(variant(GOOD, reproduction__environment=None)),
     True),
    ("repro.environment", "good", from_mapping(GOOD), False),
    ("repro.expected_actual", "no-expected",
     from_mapping(variant(GOOD, reproduction__expected=None)), True),
    ("repro.expected_actual", "no-actual",
     from_mapping(variant(GOOD, reproduction__actual=None)), True),
    ("repro.expected_actual", "good", from_mapping(GOOD), False),
    ("repro.frequency", "none", from_mapping(variant(GOOD, reproduction__frequency=None)), True),
    ("repro.frequency", "good", from_mapping(GOOD), False),
    ("repro.frequency", "hand-in-actual", from_hand(reproduction=hand_repro(
        extra=(), actual=Said('Fails every time with "SAML assertion expired"'))), False),
    ("repro.evidence", "none", from_mapping(variant(GOOD, reproduction__evidence=None)), True),
    ("repro.evidence", "hand-none", from_hand(
        supporting=(Said("Ticket H-1"),),
        reproduction=hand_repro(actual=Said("Redirect loop back to /login"))), True),
    ("repro.evidence", "hand-quoted-error-text", from_hand(supporting=(Said("Ticket H-1"),)),
     False),
    ("repro.evidence", "good", from_mapping(GOOD), False),
    ("repro.evidence", "hand-screenshot", from_hand(supporting=(Said("login-loop.png"),)),
     False),
    ("repro.ruled_out", "none", from_mapping(variant(GOOD, reproduction__ruled_out=None)), True),
    ("repro.ruled_out", "good", from_mapping(GOOD), False),
    ("tried.none", "none", from_mapping(variant(GOOD, steps_tried=None)), True),
    ("tried.none", "hand-empty", from_hand(tried=()), True),
    ("tried.none", "good", from_mapping(GOOD), False),
    ("tried.no_result", "no-result", from_mapping(variant(GOOD, steps_tried=[
        {"action": "Restarted the export worker"}])), True),
    ("tried.no_result", "good", from_mapping(GOOD), False),
    ("communication.missing", "none", from_mapping(variant(GOOD, communications=None)), True),
    ("communication.missing", "good", from_mapping(GOOD), False),
    ("communication.expectation", "none",
     from_mapping(variant(GOOD, customer_expectation=None, created_at=None)), True),
    ("communication.expectation", "good", from_mapping(GOOD), False),
    ("communication.expectation", "derived-from-sla",
     from_mapping(variant(GOOD, customer_expectation=None)), False),
    ("ask.unclear", "please-help", from_mapping(variant(GOOD, ask="Please help ASAP")), True),
    ("ask.unclear", "hand-phrase", from_hand(asks=(Phrase("Please look at this"),)), True),
    ("ask.unclear", "hand-needed", from_hand(asks=(Needed("specific ask", "ask"),)), True),
    ("ask.unclear", "good", from_mapping(GOOD), False),
    ("ask.unclear", "derived-phrase", from_mapping(variant(GOOD, ask=None)), False),
    ("ask.unclear", "leadership-reports-decision-instead",
     from_mapping(LEADERSHIP_NO_DECISION), False),
    ("leadership.decision_missing", "no-decision", from_mapping(LEADERSHIP_NO_DECISION), True),
    ("leadership.decision_missing", "investigate-only",
     from_mapping(variant(LEADERSHIP, ask="Investigate why Globex is unhappy")), True),
    ("leadership.decision_missing", "derived-decide", from_mapping(LEADERSHIP), False),
    ("leadership.decision_missing", "approve",
     from_mapping(variant(LEADERSHIP, ask="Approve a 20% service credit for Globex")), False),
    ("security.containment_missing", "none",
     from_mapping(variant(SECURITY, facts__containment=None)), True),
    ("security.containment_missing", "stated", from_mapping(SECURITY), False),
    ("security.containment_missing", "not-security", from_mapping(GOOD), False),
    ("deadline.missing", "handled-in-support", from_mapping({"id": "S-1"}), True),
    ("deadline.missing", "hand-needed", from_hand(deadline=Needed("date and time", "deadline")),
     True),
    ("deadline.missing", "good", from_mapping(GOOD), False),
    ("deadline.vague", "asap", from_hand(deadline=Said("ASAP")), True),
    ("deadline.vague", "weekday", from_hand(deadline=Said("Friday 17:00 CET")), False),
    ("deadline.vague", "derived", from_mapping(GOOD), False),
    ("target.missing_field", "engineering-workflow",
     from_mapping(variant(GOOD, facts__blocked=None)), True),
    ("target.missing_field", "l2-customer-context",
     from_mapping(variant(GOOD, current_tier="l1", customer=NO_CUSTOMER)), True),
    ("target.missing_field", "good", from_mapping(GOOD), False),
    ("target.missing_field", "deduped-by-repro-environment",
     from_mapping(variant(GOOD, reproduction__environment=None)), False),
]


def test_every_code_has_a_firing_and_a_quiet_case() -> None:
    fires = {code for code, _, _, fire in CASES if fire}
    quiet = {code for code, _, _, fire in CASES if not fire}
    assert fires == set(CODES)
    assert quiet == set(CODES)


@pytest.mark.parametrize(
    ("code", "make", "fires"),
    [pytest.param(code, make, fires, id=f"{code}-{name}") for code, name, make, fires in CASES],
)
def test_code(code: str, make: Make, fires: bool) -> None:
    brief, ticket = make()
    findings = lint_brief(brief, ticket)
    found = [f for f in findings if f.code == code]
    assert bool(found) is fires, [(f.code, f.field, f.message) for f in findings]
    for finding in found:
        assert finding.level is CODES[code]


def codes(findings: tuple[Finding, ...]) -> set[str]:
    return {f.code for f in findings}


def test_well_written_engineering_ticket_has_no_errors_or_warnings() -> None:
    brief, ticket = brief_for(GOOD)
    assert brief.target_name == "engineering"
    findings = lint_brief(brief, ticket)
    assert [f for f in findings if f.level is not LintLevel.INFO] == []
    assert not has_errors(findings)


def test_well_written_hand_brief_has_no_errors_or_warnings() -> None:
    findings = lint_brief(hand_brief())
    assert [f for f in findings if f.level is not LintLevel.INFO] == []


def test_good_leadership_and_security_briefs_have_no_errors() -> None:
    for mapping in (LEADERSHIP, SECURITY):
        findings = lint_mapping(mapping)
        assert not has_errors(findings), [(f.code, f.field) for f in findings]


def test_findings_are_sorted_by_level_then_field_and_deterministic() -> None:
    mapping = variant(GOOD, subject="Urgent issue", customer=NO_CUSTOMER, steps_tried=None,
                      reproduction={"steps": ["try to export", "enter some data"]},
                      facts__customers_affected=None, ask="help")
    first = lint_mapping(mapping)
    order = {LintLevel.ERROR: 0, LintLevel.WARNING: 1, LintLevel.INFO: 2}
    keys = [(order[f.level], f.field) for f in first]
    assert keys == sorted(keys)
    assert len({f.level for f in first}) == 3
    assert lint_mapping(mapping) == first


def test_vague_step_is_reported_per_step_and_quotes_it() -> None:
    findings = lint_mapping(variant(GOOD, reproduction__steps=[
        "try to export", "Click the Export button in the top-right of the Dashboard page",
        "do some stuff"]))
    vague = [f for f in findings if f.code == "repro.vague_step"]
    assert [f.field for f in vague] == ["reproduction.steps[0]", "reproduction.steps[2]"]
    assert '"try to export"' in vague[0].message
    assert "Click the Export button in the top-right of the Dashboard page" in vague[0].hint
    assert "try to export" in vague[0].hint


def test_exact_values_flags_the_step_with_placeholder_data() -> None:
    findings = lint_mapping(variant(GOOD, reproduction__steps=[
        "Log in as admin on workspace 8812", "Enter some data in the Filter field"]))
    found = [f for f in findings if f.code == "repro.exact_values"]
    assert [f.field for f in found] == ["reproduction.steps[1]"]
    assert '"some data"' in found[0].message


def test_impact_not_quantified_is_not_reported_again_as_target_fields() -> None:
    findings = lint_mapping(variant(GOOD, customer=NO_CUSTOMER,
                                    facts__customers_affected=None,
                                    facts__high_value_customers_affected=None))
    assert "impact.not_quantified" in codes(findings)
    assert "impact.partly_quantified" not in codes(findings)
    target_fields = {f.field for f in findings if f.code == "target.missing_field"}
    assert not target_fields & {"customer.arr", "facts.customers_affected"}


def test_target_missing_field_never_repeats_a_field_reported_by_another_code() -> None:
    sparse = variant(GOOD, reproduction={"steps": ["try to export"]}, communications=None,
                     customer_expectation=None, created_at=None, facts__blocked=None,
                     customer__arr=None)
    findings = lint_mapping(sparse)
    target = [f.field for f in findings if f.code == "target.missing_field"]
    others = {f.field for f in findings if f.code != "target.missing_field"}
    assert target == ["facts.blocked"]
    assert len(target) == len(set(target))
    assert not set(target) & others
    assert "reproduction.evidence" in others


def test_partly_quantified_names_the_missing_field() -> None:
    findings = lint_mapping(variant(GOOD, customer__arr=None))
    found = [f for f in findings if f.code == "impact.partly_quantified"]
    assert [f.field for f in found] == ["customer.arr"]


def test_leadership_without_decision_reports_one_finding_not_two() -> None:
    findings = lint_mapping(LEADERSHIP_NO_DECISION)
    assert "leadership.decision_missing" in codes(findings)
    assert "ask.unclear" not in codes(findings)
    assert "ask" not in {f.field for f in findings if f.code == "target.missing_field"}


@pytest.mark.parametrize("ask", [
    "Investigate the failed exports",
    "Please look into why exports fail",
    "Find the root cause of the HTTP 500",
    "Diagnose the SAML loop",
    "Fix the exporter",
    "Patch the exporter before Friday",
    "Repair the search index",
    "Decide whether we support XLSX",
    "Choose between the two retention offers",
    "Sign off on the 20% credit",
    "Authorise a refund of 3 months",
    "Authorize a refund of 3 months",
    "Approve the policy exception",
    "请调查导出失败的原因",
    "请修复导出功能",
    "需要领导决策",
    "请决定是否退款",
    "请审批该例外",
    "请批准退款",
])
def test_ask_verbs_and_synonyms_count_as_explicit(ask: str) -> None:
    findings = lint_brief(hand_brief(asks=(Said(ask),)))
    assert "ask.unclear" not in codes(findings)


@pytest.mark.parametrize("ask", ["Please help", "Need an update ASAP", "Urgent!!", "请尽快处理"])
def test_asks_without_a_verb_are_unclear(ask: str) -> None:
    findings = lint_brief(hand_brief(asks=(Said(ask),)))
    found = [f for f in findings if f.code == "ask.unclear"]
    assert len(found) == 1
    assert ask in found[0].message


@pytest.mark.parametrize(("text", "count"), [
    ("", 0),
    ("No terminator at all", 1),
    ("One. Two. Three.", 3),
    ("Version 4.12.0 broke it. It costs 2.5 hours a day. See e.g. the log.", 3),
    ("Visit https://example.com/a.b?c=d. It fails!", 2),
    ("The file report.csv at acme.com fails? Yes.", 2),
    ('It said "Export failed." Then it hung.', 2),
    ("We tried Chrome, Firefox, etc. and it fails.", 1),
    ("Wait... what?! Really.", 3),
    ("导出失败。用户无法下载！为什么？", 3),
    ("导出失败。Users cannot download. 为什么？", 3),
])
def test_count_sentences(text: str, count: int) -> None:
    assert count_sentences(text) == count


def test_every_finding_is_well_formed() -> None:
    findings = lint_mapping({"id": "S-1", "subject": "x", "facts": {"bug_confirmed": True},
                             "reproduction": {"steps": ["etc"]}})
    assert findings
    for f in findings:
        assert f.code in CODES
        assert f.level is CODES[f.code]
        assert f.field
        assert f.message
        assert "\n" not in f.message
        assert f.hint


def test_has_errors() -> None:
    warning = Finding("summary.vague", LintLevel.WARNING, "subject", "m", "h")
    error = Finding("deadline.missing", LintLevel.ERROR, "deadline", "m", "h")
    assert not has_errors([])
    assert not has_errors([warning])
    assert has_errors([warning, error])


def test_docstring_table_documents_exactly_the_codes() -> None:
    doc = lint_module.__doc__ or ""
    rows = re.findall(r"^\| ([a-z_]+\.[a-z_]+)\s+\| (error|warning|info)\s+\|", doc, re.M)
    assert dict(rows) == {code: level.value for code, level in CODES.items()}
    assert len(rows) == len(CODES)


# -- property: lint never raises on briefs built from arbitrary valid tickets ----------------

TEXTS = st.one_of(
    st.none(),
    st.just(""),
    st.just("   "),
    st.sampled_from([
        "导出失败。请修复！", "e.g. 1.2.3? v4.12.0.", "Click the Export button",
        "{braces} and {0} and {", "try to export etc", "https://x.test/a?b=c.", "…", "%s %d",
    ]),
    st.text(max_size=40),
)
NONBLANK = st.text(min_size=1, max_size=30).filter(lambda s: bool(s.strip()))
STAMPS = st.one_of(st.none(), st.sampled_from([
    "2026-11-20T08:00:00Z", "2026-11-26T09:59:00+08:00", "2025-01-01T00:00:00-05:00",
]))


def _without_none(mapping: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if v is not None}


@st.composite
def tickets(draw: st.DrawFn) -> dict[str, Any]:
    facts: dict[str, Any] = {name: draw(st.booleans()) for name in BOOL_FACTS}
    for name in TEXT_FACTS:
        facts[name] = draw(TEXTS)
    facts["category"] = draw(st.one_of(st.none(), st.sampled_from([c.value for c in Category])))
    facts["customers_affected"] = draw(st.one_of(st.none(), st.integers(0, 50)))
    facts["high_value_customers_affected"] = draw(st.one_of(st.none(), st.integers(0, 5)))
    facts["hours_waiting"] = draw(st.one_of(st.none(), st.floats(0, 500)))
    customer = _without_none({
        "id": draw(TEXTS), "name": draw(TEXTS),
        "arr": draw(st.one_of(st.none(), st.floats(0, 5e6))),
        "plan": draw(st.one_of(st.none(), st.sampled_from(["free", "pro", "enterprise"]))),
        "reference_customer": draw(st.booleans()),
        "sla_hours": draw(st.one_of(st.none(), st.floats(1, 200))),
    })
    reproduction = _without_none({
        "steps": draw(st.lists(st.one_of(NONBLANK, st.just(""), st.just("etc")), max_size=4)),
        "expected": draw(TEXTS), "actual": draw(TEXTS), "environment": draw(TEXTS),
        "frequency": draw(TEXTS), "start_state": draw(TEXTS),
        "evidence": draw(st.lists(NONBLANK, max_size=2)),
        "ruled_out": draw(st.lists(NONBLANK, max_size=2)),
    })
    return _without_none({
        "id": "P-1",
        "subject": draw(TEXTS),
        "description": draw(TEXTS),
        "created_at": draw(STAMPS),
        "current_tier": draw(st.sampled_from(["l1", "l2"])),
        "customer": customer,
        "facts": _without_none(facts),
        "steps_tried": draw(st.lists(st.fixed_dictionaries(
            {"action": NONBLANK}, optional={"result": TEXTS.filter(lambda t: t is not None)}),
            max_size=3)),
        "reproduction": reproduction,
        "communications": draw(st.lists(st.fixed_dictionaries({
            "summary": NONBLANK,
            "direction": st.sampled_from(["inbound", "outbound"]),
        }, optional={"at": STAMPS.filter(lambda s: s is not None)}), max_size=2)),
        "ask": draw(TEXTS),
        "deadline": draw(STAMPS),
        "customer_expectation": draw(TEXTS),
    })


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tickets())
def test_lint_never_raises_and_uses_documented_codes(mapping: dict[str, Any]) -> None:
    brief, ticket = brief_for(mapping)
    for findings in (lint_brief(brief, ticket), lint_brief(brief)):
        for f in findings:
            assert f.code in CODES
            assert f.level is CODES[f.code]
            assert f.field
            assert "\n" not in f.message
        order = {LintLevel.ERROR: 0, LintLevel.WARNING: 1, LintLevel.INFO: 2}
        keys = [(order[f.level], f.field) for f in findings]
        assert keys == sorted(keys)
