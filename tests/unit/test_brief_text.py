"""Written briefs (text, Markdown, our JSON) read back into Briefs the linter judges alike."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalation.domain.assess import assess
from escalation.domain.brief import (
    Attempt,
    Brief,
    Line,
    Needed,
    Phrase,
    Said,
    Term,
    build_brief,
)
from escalation.domain.brief_json import brief_from_json, is_brief_json
from escalation.domain.brief_text import parse_brief_text
from escalation.domain.calendar import BusinessCalendar
from escalation.domain.contract import ticket_from_mapping
from escalation.domain.errors import InputError
from escalation.domain.lint import has_errors, lint_brief
from escalation.domain.policy import Policy
from escalation.render import render_brief

NOW = datetime.fromisoformat("2026-11-26T10:00:00+00:00")
POLICY = Policy()
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_FILES = sorted(p.name for p in EXAMPLES.glob("*.json") if p.name != "all.json")
LANGS = ("en", "zh")


def example_brief(name: str) -> Brief:
    """The brief the desk builds for an example ticket at NOW, in the customer's time zone."""
    ticket = ticket_from_mapping(json.loads((EXAMPLES / name).read_text(encoding="utf-8")))
    calendar = BusinessCalendar(timezone=ticket.customer.timezone or "UTC")
    return build_brief(ticket, assess(ticket, POLICY, NOW), POLICY, NOW, calendar)


def codes(brief: Brief) -> list[str]:
    return sorted(f.code for f in lint_brief(brief, None))


def findings(brief: Brief) -> list[tuple[str, str]]:
    return sorted((f.code, f.field) for f in lint_brief(brief, None))


@pytest.fixture(scope="module")
def briefs() -> dict[str, Brief]:
    return {name: example_brief(name) for name in EXAMPLE_FILES}


def test_every_example_is_covered() -> None:
    assert len(EXAMPLE_FILES) >= 14


# -- round trips: the parser loses nothing the linter needs -----------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_text_round_trip_keeps_every_lint_code(briefs: dict[str, Brief], name: str,
                                              lang: str) -> None:
    brief = briefs[name]
    parsed = parse_brief_text(render_brief(brief, "text", lang))
    assert codes(parsed) == codes(brief)
    assert findings(parsed) == findings(brief)
    assert [n.field for n in parsed.needed] == [n.field for n in brief.needed]
    assert parsed.ticket_id == brief.ticket_id
    assert (parsed.severity_name, parsed.target_name) == (brief.severity_name, brief.target_name)


@pytest.mark.parametrize("fmt", ["text", "markdown"])
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_parsed_brief_renders_exactly_as_the_original(briefs: dict[str, Brief], name: str,
                                                      lang: str, fmt: str) -> None:
    brief = briefs[name]
    written = render_brief(brief, fmt, lang)
    parsed = parse_brief_text(written)
    assert render_brief(parsed, fmt, lang) == written
    assert codes(parsed) == codes(brief)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_json_round_trip_keeps_every_lint_code_and_renders_the_same(
        briefs: dict[str, Brief], name: str, lang: str) -> None:
    brief = briefs[name]
    data = json.loads(render_brief(brief, "json", lang))
    assert is_brief_json(data)
    parsed = brief_from_json(data)
    assert findings(parsed) == findings(brief)
    assert [n.field for n in parsed.needed] == [n.field for n in brief.needed]
    for fmt in ("json", "text", "html"):
        assert render_brief(parsed, fmt, lang) == render_brief(brief, fmt, lang)


# -- hand-written briefs ----------------------------------------------------------------------

GOOD = """\
ESCALATION: CSV export returns HTTP 500 for Enterprise workspaces since 24 Nov
Severity: High
Target: Engineering

IMPACT
- Customers affected: 3 (Acme Corp, Globex, Initech)
- Workflow impact: Blocked: month-end reporting cannot be exported
- Revenue at risk: $120,000 ARR
- SLA status: At risk (20 of 24 h used)
- Region: EU and US workspaces

ISSUE DESCRIPTION
Since 24 November 2026 the CSV export on the Dashboard fails with HTTP 500 for Enterprise
workspaces. It started after release 4.12.0 was deployed. Users click Export and get an error
banner instead of a file. Three enterprise customers are blocked from month-end reporting.

REPRODUCTION STEPS (for bugs)
1. Log in as admin@acme.test (Admin role) on Enterprise workspace 8812
2. Open the Dashboard page and set the date range to 2026-11-01 – 2026-11-24
3. Click the Export button in the top-right of the Dashboard page
Expected: A file dashboard-2026-11.csv downloads
Actual: Error banner "Export failed (code EXP-500)"; HTTP 500 from /api/v2/exports
Environment: Chrome 131 on macOS 15.1, Enterprise plan, flag new_exports on
Frequency: Always (10 of 10 attempts)
Ruled out: Tested in Chrome and Firefox — same behavior; not account-specific

WHAT'S BEEN TRIED
1. Cleared browser cache and retried in Firefox 132 → Same HTTP 500
2. Exported a 7-day range instead of 24 days -> Same HTTP 500

CUSTOMER COMMUNICATION
- Last update: 2026-11-25 15:00 UTC — told them engineering is investigating
- Customer expectation: A fix before month-end close on 30 Nov
- Escalation risk: Yes, their CFO asked for a call

WHAT'S NEEDED
- Fix: find the root cause and ship a patch
- Deadline: 2026-11-27 17:00 America/New_York

SUPPORTING CONTEXT
- Ticket ZD-1234: https://acme.zendesk.example/tickets/1234
- Logs: HAR file export-500.har, screenshot exp-500.png
"""

VAGUE = """\
ESCALATION: Export broken
Severity: High
Target: Engineering

IMPACT
- Customers affected: some customers
- Workflow impact: they can't export
- Revenue at risk: a big account
- SLA status: At risk

ISSUE DESCRIPTION
Export doesn't work.

REPRODUCTION STEPS
1. try to export
2. enter some data
Expected: it works
Actual: it fails
Environment:

WHAT'S BEEN TRIED
1. Restarted the browser

CUSTOMER COMMUNICATION
- Last update:
- Customer expectation: ASAP

WHAT'S NEEDED
- Please look at this
- Deadline: ASAP
"""

# The seed's "Structured Escalation Format", every placeholder left in.
TEMPLATE = """\
ESCALATION: [One-line summary]
Severity: [Critical / High / Medium]
Target: [Engineering / Product / Security / Leadership]
IMPACT
- Customers affected: [Number and names if relevant]
- Workflow impact: [What's broken for them]
- Revenue at risk: [If applicable]
- SLA status: [Within SLA / At risk / Breached]
ISSUE DESCRIPTION
[3-5 sentences: what's happening, when it started,
how it manifests, scope of impact]
REPRODUCTION STEPS (for bugs)
1. [Step]
2. [Step]
3. [Step]
Expected: [X]
Actual: [Y]
Environment: [Details]
WHAT'S BEEN TRIED
1. [Action] → [Result]
2. [Action] → [Result]
3. [Action] → [Result]
CUSTOMER COMMUNICATION
- Last update: [Date — what was said]
- Customer expectation: [What they expect and by when]
- Escalation risk: [Will they escalate further?]
WHAT'S NEEDED
- [Specific ask: investigate, fix, decide, approve]
- Deadline: [Date/time]
SUPPORTING CONTEXT
- [Ticket links]
- [Internal threads]
- [Logs or screenshots]
"""

MARKDOWN = """\
# Escalation: CSV export returns HTTP 500 for Enterprise workspaces

**Severity:** High
**Target**: Engineering (Reporting team)

## Impact
* **Customers affected**: 3 (Acme Corp, Globex, Initech)
* **Workflow impact**: Blocked
• **Revenue at risk**: $120,000 ARR
* **SLA status**: At risk



## Issue description
Since 24 November 2026 the CSV export fails with HTTP 500. It started after release 4.12.0.
Users click Export and get an error banner. Three enterprise customers are blocked.

## Reproduction steps
1) Log in as an Admin on Enterprise workspace 8812
2) Click the **Export** button in the top\\-right of the Dashboard page
- **Expected:** a file `dashboard.csv` downloads
- **Actual:** banner "Export failed (code EXP-500)"
- **Environment:** Chrome 131, macOS 15.1

## What’s been tried
1. Cleared cache -> same error

## Customer communication
- **Last update:** TBD
- **Customer expectation:** fix by Friday

## What's needed
- Investigate the root cause
- **Deadline:** Friday 2026-11-27 17:00 UTC

## Supporting context
- Ticket: ZD-77
"""


def test_a_good_hand_written_brief_has_no_findings() -> None:
    brief = parse_brief_text(GOOD)
    assert lint_brief(brief, None) == ()
    assert brief.ticket_id == "ZD-1234"
    assert brief.severity == Term("severity", "high")
    assert brief.target == Term("target", "engineering")
    assert brief.target_name == "engineering"
    assert brief.tried == (
        Attempt(Said("Cleared browser cache and retried in Firefox 132"), Said("Same HTTP 500")),
        Attempt(Said("Exported a 7-day range instead of 24 days"), Said("Same HTTP 500")),
    )
    # An IMPACT line the format does not name is kept, after the four it does.
    assert [line.key for line in brief.impact] == [
        "customers_affected", "workflow_impact", "revenue_at_risk", "sla_status", "region"]
    assert brief.impact[-1] == Line("region", "Region", Said("EU and US workspaces"))
    assert brief.reproduction is not None
    assert [line.key for line in brief.reproduction.extra] == ["frequency", "ruled_out"]
    assert brief.description == Said(
        "Since 24 November 2026 the CSV export on the Dashboard fails with HTTP 500 for "
        "Enterprise\nworkspaces. It started after release 4.12.0 was deployed. Users click "
        "Export and get an error\nbanner instead of a file. Three enterprise customers are "
        "blocked from month-end reporting.")


def test_a_vague_brief_gets_the_findings_a_receiving_team_would_send_back() -> None:
    brief = parse_brief_text(VAGUE)
    found = findings(brief)
    assert found == sorted([
        ("summary.vague", "subject"),
        ("impact.not_quantified", "impact"),
        ("description.length", "description"),
        ("repro.vague_step", "reproduction.steps[0]"),  # "try to export"
        ("repro.exact_values", "reproduction.steps[1]"),  # "enter some data"
        ("repro.environment", "reproduction.environment"),
        ("repro.start_state", "reproduction.start_state"),
        ("repro.frequency", "reproduction.frequency"),
        ("repro.evidence", "reproduction.evidence"),
        ("repro.ruled_out", "reproduction.ruled_out"),
        ("tried.no_result", "steps_tried[0].result"),
        ("communication.missing", "communications"),
        ("ask.unclear", "ask"),
        ("deadline.vague", "deadline"),  # "ASAP"
    ])
    assert has_errors(lint_brief(brief, None))
    assert brief.reproduction is not None
    assert brief.reproduction.environment == Needed(
        "browser, OS, account type, feature flags, plan", "reproduction.environment")
    assert brief.deadline == Said("ASAP")


def test_the_seeds_template_with_its_placeholders_left_in_is_all_needed() -> None:
    brief = parse_brief_text(TEMPLATE)
    assert brief.summary == Needed("One-line summary", "subject")
    assert brief.severity == Needed("Critical / High / Medium", "severity")
    assert brief.target == Needed("Engineering / Product / Security / Leadership", "target")
    assert [line.value for line in brief.impact] == [
        Needed("Number and names if relevant", "facts.customers_affected"),
        Needed("What's broken for them", "facts.blocked"),
        Needed("If applicable", "customer.arr"),
        Needed("Within SLA / At risk / Breached", "customer.sla_hours"),
    ]
    assert brief.description == Needed(
        "3-5 sentences: what's happening, when it started, how it manifests, scope of impact",
        "description")
    assert brief.reproduction is not None
    assert brief.reproduction.steps == (Needed("Step", "reproduction.steps"),)
    assert brief.reproduction.expected == Needed("X", "reproduction.expected")
    assert isinstance(brief.tried, Needed)
    assert brief.tried.field == "steps_tried"
    assert brief.asks == (Needed("Specific ask: investigate, fix, decide, approve", "ask"),)
    assert brief.deadline == Needed("Date/time", "deadline")
    assert [s.field for s in brief.supporting if isinstance(s, Needed)] == [
        "url", "links", "reproduction.evidence"]
    assert not any(isinstance(v, Said) for v in (brief.summary, brief.description,
                                                  brief.deadline, *brief.asks))
    assert set(codes(brief)) >= {
        "severity.missing", "target.missing", "summary.vague", "impact.not_quantified",
        "impact.sla_status", "description.missing", "repro.missing", "repro.environment",
        "repro.expected_actual", "tried.none", "communication.missing",
        "communication.expectation", "ask.unclear", "deadline.missing",
    }


def test_markdown_headings_bold_labels_and_other_bullets() -> None:
    brief = parse_brief_text(MARKDOWN)
    assert brief.summary == Said("CSV export returns HTTP 500 for Enterprise workspaces")
    assert brief.severity == Term("severity", "high")
    assert brief.target == Term("target", "engineering")
    assert [line.value for line in brief.impact] == [
        Said("3 (Acme Corp, Globex, Initech)"), Said("Blocked"), Said("$120,000 ARR"),
        Said("At risk")]
    assert brief.reproduction is not None
    assert brief.reproduction.steps == (
        Said("Log in as an Admin on Enterprise workspace 8812"),
        Said("Click the Export button in the top-right of the Dashboard page"),
    )
    # Code spans stay: the linter reads them as exact values.
    assert brief.reproduction.expected == Said("a file `dashboard.csv` downloads")
    assert brief.tried == (Attempt(Said("Cleared cache"), Said("same error")),)
    assert brief.communication[0].value == Needed(
        "date and content of the last update to the customer", "communications")  # "TBD"
    assert brief.asks == (Said("Investigate the root cause"),)
    assert brief.deadline == Said("Friday 2026-11-27 17:00 UTC")
    assert brief.ticket_id == "ZD-77"
    assert codes(brief) == sorted(
        ["communication.missing", "repro.frequency", "repro.ruled_out"])


def test_windows_line_endings_and_a_byte_order_mark_change_nothing() -> None:
    for text in (GOOD, VAGUE, TEMPLATE, MARKDOWN):
        assert parse_brief_text("\ufeff" + text.replace("\n", "\r\n")) == parse_brief_text(text)


def test_titles_in_any_case_and_extra_blank_lines() -> None:
    relaxed = GOOD.replace("IMPACT\n", "\n\nImpact:\n\n").replace(
        "WHAT'S BEEN TRIED", "What’s been tried").replace("WHAT'S NEEDED", "what's needed")
    assert parse_brief_text(relaxed) == parse_brief_text(GOOD)


def test_a_marker_inside_other_words_keeps_both() -> None:
    brief = parse_brief_text(
        "ESCALATION: Login loop after SSO change for Contoso admins\n"
        "CUSTOMER COMMUNICATION\n"
        "- Last update: [needed: date of the last update] — promised a fix this week\n")
    last = brief.communication[0].value
    assert isinstance(last, Phrase)
    assert list(last.params.values()) == [
        Needed("date of the last update", "communications.at"),
        Said(" — promised a fix this week"),
    ]
    assert "communication.missing" not in codes(brief)


def test_missing_sections_become_needed_and_no_repro_section_means_none() -> None:
    brief = parse_brief_text("ESCALATION: Billing portal shows another company's invoices\n"
                             "Severity: Critical\nTarget: Security\n")
    assert brief.reproduction is None
    assert brief.description == Needed(
        "3-5 sentences: what is happening, when it started, how it shows, scope",
        "description")
    assert brief.tried == Needed("what support has already tried, and what happened",
                                 "steps_tried")
    assert brief.asks == (Needed("specific ask: investigate, fix, decide or approve", "ask"),)
    assert brief.deadline == Needed("date and time", "deadline")
    assert brief.supporting == ()
    assert {"security.containment_missing", "description.missing", "deadline.missing"} <= set(
        codes(brief))


def test_an_engineering_brief_without_repro_steps_is_flagged() -> None:
    text = GOOD[:GOOD.index("REPRODUCTION STEPS")] + GOOD[GOOD.index("WHAT'S BEEN TRIED"):]
    brief = parse_brief_text(text)
    assert brief.reproduction is None
    assert ("repro.missing", "reproduction") in findings(brief)


@pytest.mark.parametrize(("written", "expected"), [
    ("Critical", Term("severity", "critical")),
    ("high (key customer blocked)", Term("severity", "high")),
    ("MEDIUM", Term("severity", "medium")),
    ("严重", Term("severity", "critical")),
    ("高", Term("severity", "high")),
    ("中", Term("severity", "medium")),
    ("[Critical / High / Medium]", Needed("Critical / High / Medium", "severity")),
    ("", Needed("Severity", "severity")),
])
def test_severity_words(written: str, expected: object) -> None:
    brief = parse_brief_text(f"ESCALATION: Something specific fails for one customer\n"
                             f"Severity: {written}\n")
    assert brief.severity == expected


def test_an_unknown_severity_is_needed_and_quotes_the_word() -> None:
    brief = parse_brief_text("ESCALATION: Something specific fails\nSeverity: Low\n")
    assert isinstance(brief.severity, Needed)
    assert brief.severity.field == "severity"
    assert "Low" in brief.severity.what
    assert brief.severity_name is None


@pytest.mark.parametrize(("written", "code"), [
    ("Engineering", "engineering"), ("Product", "product"), ("Security", "security"),
    ("Leadership", "leadership"), ("L2", "l2"), ("L2 (senior support)", "l2"),
    ("工程团队", "engineering"), ("产品团队", "product"), ("安全团队", "security"),
    ("领导层", "leadership"), ("资深支持（L2）", "l2"),
])
def test_target_words(written: str, code: str) -> None:
    brief = parse_brief_text(f"升级：某个具体功能对一位客户失败\n接收方：{written}\n")
    assert brief.target == Term("target", code)
    assert brief.target_name == code


def test_a_target_outside_the_seed_is_needed() -> None:
    brief = parse_brief_text("ESCALATION: Something specific fails\nTarget: Marketing\n")
    assert isinstance(brief.target, Needed)
    assert "target.missing" in codes(brief)


def test_a_chinese_brief_written_by_hand() -> None:
    brief = parse_brief_text(
        "升级：企业微信通讯录同步失败，新员工无法登录\n严重度：高\n接收方：资深支持（L2）\n\n"
        "影响\n- 受影响客户：1家（上海云帆）\n- 面临风险的收入：ARR US$88,000\n\n"
        "已尝试的措施\n1. 重新授权企业微信应用 → 同步仍报错 60011\n\n"
        "所需行动\n- 调查：同步失败的原因\n- 截止日期：[待补充：日期和时间]\n")
    assert brief.impact[0] == Line("customers_affected", "Customers affected",
                                   Said("1家（上海云帆）"))
    assert brief.impact[1].value == Needed("what is broken for them: blocked or inconvenienced",
                                           "facts.blocked")
    assert brief.tried == (Attempt(Said("重新授权企业微信应用"), Said("同步仍报错 60011")),)
    assert brief.deadline == Needed("日期和时间", "deadline")
    assert "ask.unclear" not in codes(brief)


def test_nothing_tried_and_attempts_without_a_result() -> None:
    none = parse_brief_text("ESCALATION: Export fails\nWHAT'S BEEN TRIED\nNothing yet\n")
    assert isinstance(none.tried, Needed)
    some = parse_brief_text("ESCALATION: Export fails\nWHAT'S BEEN TRIED\n"
                            "* Restarted the sync\n* Re-sent the invite → bounced\n")
    assert some.tried == (
        Attempt(Said("Restarted the sync"), Needed("result", "steps_tried[0].result")),
        Attempt(Said("Re-sent the invite"), Said("bounced")),
    )


def test_continuation_lines_stay_with_their_item() -> None:
    brief = parse_brief_text(
        "ESCALATION: Export fails\nREPRODUCTION STEPS\n1. Open the Dashboard page and\n"
        "   click Export\n2. Choose CSV\nExpected: a file\n  named report.csv\n")
    assert brief.reproduction is not None
    assert brief.reproduction.steps == (Said("Open the Dashboard page and\nclick Export"),
                                        Said("Choose CSV"))
    assert brief.reproduction.expected == Said("a file\nnamed report.csv")


@pytest.mark.parametrize("text", [
    "",
    "hello world\nthis is not a brief",
    "Dear team, the export is broken again. Please help!",
    "id,subject\nT-1,Export fails\n",
])
def test_text_that_is_not_a_brief_is_refused(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_brief_text(text)
    assert caught.value.path == "brief"
    assert "ESCALATION" in caught.value.expected
    assert "\n" not in caught.value.message


_PIECES = st.sampled_from([
    "ESCALATION: ", "升级：", "Severity: ", "Target: ", "High", "IMPACT", "影响", "## ", "**",
    "- ", "* ", "1. ", "2) ", " → ", "->", "[needed: x]", "[待补充：y]", "[", "]", "{p0}", "\\",
    "\n", "\r\n", "  ", "ISSUE DESCRIPTION", "REPRODUCTION STEPS", "Expected:", "Actual: ",
    "WHAT'S BEEN TRIED", "CUSTOMER COMMUNICATION", "Last update:", "WHAT'S NEEDED",
    "Deadline:", "SUPPORTING CONTEXT", "Ticket T-12", "TBD",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_PIECES, st.text(max_size=6)), max_size=40).map("".join))
def test_any_text_is_refused_cleanly_or_read_into_a_brief_that_reads_back_alike(
        text: str) -> None:
    try:
        brief = parse_brief_text(text)
    except InputError as exc:
        assert exc.path == "brief"
        return
    written = render_brief(brief, "text", "en")
    assert codes(parse_brief_text(written)) == codes(brief)
    for fmt in ("markdown", "json", "html"):
        assert render_brief(brief, fmt, "zh")


# -- our own brief JSON -----------------------------------------------------------------------


def brief_json(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render_brief(example_brief(EXAMPLE_FILES[0]), "json", "en"))
    data.update(changes)
    return data


def test_json_text_wins_over_a_stale_needed_and_empty_text_uses_needed() -> None:
    data = brief_json(
        summary={"text": "Checkout fails with HTTP 500 on EU stores", "needed": "summary"},
        description={"text": "", "needed": "what is happening"},
    )
    brief = brief_from_json(data)
    assert brief.summary == Said("Checkout fails with HTTP 500 on EU stores")
    assert brief.description == Needed("what is happening", "description")


def test_json_missing_parts_are_needed() -> None:
    brief = brief_from_json({"kind": "escalation_brief", "version": 1, "ticket_id": "T-9"})
    assert brief.ticket_id == "T-9"
    assert brief.severity == Needed("Severity", "severity")
    assert brief.reproduction is None
    assert isinstance(brief.tried, Needed)
    assert [line.key for line in brief.impact] == [
        "customers_affected", "workflow_impact", "revenue_at_risk", "sla_status"]
    assert {"severity.missing", "target.missing", "deadline.missing"} <= set(codes(brief))


@pytest.mark.parametrize(("changes", "path"), [
    ({"kind": "ticket"}, "kind"),
    ({"version": 2}, "version"),
    ({"summary": "Checkout fails"}, "summary"),
    ({"summary": {"text": 3}}, "summary.text"),
    ({"summary": {"text": "x", "needed": 4}}, "summary.needed"),
    ({"severity": {"code": "urgent", "text": "Urgent"}}, "severity.code"),
    ({"impact": []}, "impact"),
    ({"impact": {"customers_affected": {"label": 1, "text": "3"}}},
     "impact.customers_affected.label"),
    ({"reproduction": {"steps": "click"}}, "reproduction.steps"),
    ({"tried": [{"action": {"text": "x"}, "result": "y"}]}, "tried[0].result"),
    ({"needed_asks": {"text": "Fix"}}, "needed_asks"),
    ({"deadline": {"text": "Friday", "at": "soon"}}, "deadline.at"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"supporting": [1]}, "supporting[0]"),
])
def test_json_of_the_wrong_shape_names_the_field(changes: dict[str, Any], path: str) -> None:
    with pytest.raises(InputError) as caught:
        brief_from_json(brief_json(**changes))
    assert caught.value.path == path


def test_json_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(InputError):
        brief_from_json([])  # type: ignore[arg-type]
    assert not is_brief_json({"id": "T-1"})
    assert not is_brief_json([{"kind": "escalation_brief"}])
