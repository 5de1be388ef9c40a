"""Briefs rendered as text, Markdown, JSON and HTML in English and Chinese; catalog and goldens.

Run with UPDATE_GOLDEN=1 to rewrite the golden files in tests/golden/ from the current output.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import escalation.domain as domain_package
import escalation.render as render_package
from escalation.domain.assess import assess
from escalation.domain.brief import Brief, Phrase, Said, build_brief
from escalation.domain.calendar import BusinessCalendar
from escalation.domain.contract import ticket_from_mapping
from escalation.domain.model import Reason
from escalation.domain.policy import Policy
from escalation.render import FORMATS, LANGUAGES, render_brief, render_reason, translate
from escalation.render.html_page import environment
from escalation.render.i18n import (
    format_moment,
    format_money,
    format_number,
    placeholders,
    po_path,
)
from escalation.render.json_brief import brief_to_mapping
from escalation.render.values import ValueRenderer, markdown_escape
from escalation.render.view import SECTION_TITLES

NOW = datetime.fromisoformat("2026-11-26T10:00:00+00:00")
POLICY = Policy()
GOLDEN = Path(__file__).resolve().parents[1] / "golden"
TICKETS = GOLDEN / "tickets"
GOLDEN_TICKETS = ("engineering_export_bug", "security_exposure_l1", "leadership_policy_exception")

ENGLISH_LABELS = (
    "ESCALATION", "Severity", "Target", *SECTION_TITLES, "Customers affected",
    "Workflow impact", "Revenue at risk", "SLA status", "Expected", "Actual", "Environment",
    "Last update", "Customer expectation", "Escalation risk", "Deadline",
)


def brief_for(ticket: dict[str, Any]) -> Brief:
    """The brief the desk builds for `ticket` at NOW, in the customer's time zone."""
    parsed = ticket_from_mapping(ticket)
    calendar = BusinessCalendar(timezone=parsed.customer.timezone or "UTC")
    return build_brief(parsed, assess(parsed, POLICY, NOW), POLICY, NOW, calendar)


def load(name: str) -> dict[str, Any]:
    return json.loads((TICKETS / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def briefs() -> dict[str, Brief]:
    return {name: brief_for(load(name)) for name in GOLDEN_TICKETS}


PRODUCT_GAP: dict[str, Any] = {
    "id": "IC-311",
    "subject": "No bulk edit for custom fields",
    "description": "The team edits 4,000 records by hand every week.",
    "current_tier": "l2",
    "created_at": "2026-11-20T09:00:00Z",
    "customer": {"name": "Fabrikam Retail", "arr": 90000, "plan": "pro",
                 "timezone": "America/Los_Angeles"},
    "facts": {"category": "feature_request", "feature_gap": True,
              "competitive_pressure": "Their other vendor ships bulk edit"},
}

HANDLE_IN_SUPPORT: dict[str, Any] = {
    "id": "ZD-1",
    "subject": "How do I add a teammate?",
    "customer": {"name": "Tiny Co", "timezone": "Europe/Berlin"},
    "facts": {"category": "how_to", "documented_solution": "https://help.example/invite"},
}

HOSTILE: dict[str, Any] = {
    "id": "ZD-666",
    "subject": "<script>alert('x')</script> *bold* [click](http://evil.example) & co",
    "description": "# Not a heading\n- not a list\n1. not a step\n<img src=x onerror=alert(1)>",
    "current_tier": "l2",
    "customer": {"name": "<b>Evil</b> Corp", "arr": 1000, "timezone": "UTC"},
    "facts": {"category": "bug", "bug_confirmed": True},
    "reproduction": {"steps": ["Open `settings`\nthen _save_"]},
}


# -- the public entry point ------------------------------------------------------------------


def test_render_brief_rejects_an_unknown_format_naming_the_choices(briefs):
    with pytest.raises(ValueError, match=r"'pdf'.*text, markdown, json, html"):
        render_brief(briefs["security_exposure_l1"], "pdf", "en")


def test_render_brief_rejects_an_unknown_language_naming_the_choices(briefs):
    with pytest.raises(ValueError, match=r"'fr'.*en, zh"):
        render_brief(briefs["security_exposure_l1"], "text", "fr")


def test_formats_and_languages_are_the_documented_ones():
    assert FORMATS == ("text", "markdown", "json", "html")
    assert LANGUAGES == ("en", "zh")


@pytest.mark.parametrize("name", GOLDEN_TICKETS)
@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "html"])
def test_chinese_output_has_no_english_label_left(briefs, name, fmt):
    out = render_brief(briefs[name], fmt, "zh")
    left = [label for label in ENGLISH_LABELS if re.search(rf"\b{re.escape(label)}\b", out)]
    assert left == []
    assert "[needed:" not in out
    if fmt == "json":
        assert json.loads(out)["severity"]["text"] in ("严重", "高", "中")
    else:
        assert "升级" in out and "严重度" in out
        for title in SECTION_TITLES:
            if title != "REPRODUCTION STEPS" or briefs[name].reproduction is not None:
                assert translate(title, "zh") in out


@pytest.mark.parametrize("name", GOLDEN_TICKETS)
@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_said_text_stays_as_written_in_chinese(briefs, name, fmt):
    out = render_brief(briefs[name], fmt, "zh")
    summary = load(name)["subject"]
    assert summary in out


# -- text: the seed's Structured Escalation Format -------------------------------------------


def test_text_follows_the_seed_layout_line_for_line(briefs):
    out = render_brief(briefs["engineering_export_bug"], "text", "en")
    lines = out.split("\n")
    assert lines[0] == (
        "ESCALATION: Dashboard CSV export fails with HTTP 500 for date ranges over 31 days"
    )
    assert lines[1:5] == ["Severity: High", "Target: Engineering", "", "IMPACT"]
    impact = lines[5:9]
    assert [line.split(": ")[0] for line in impact] == [
        "- Customers affected", "- Workflow impact", "- Revenue at risk", "- SLA status"]
    assert impact[0] == "- Customers affected: 2 (1 high-value), including Northwind Logistics"
    assert impact[2].startswith("- Revenue at risk: $180,000 ARR")
    assert impact[3] == "- SLA status: At risk (19.5 h used of a 24 h SLA)"
    titles = [line for line in lines if line in SECTION_TITLES]
    assert titles == list(SECTION_TITLES)
    # Each section is preceded by exactly one blank line, and there are never two.
    for title in titles:
        assert lines[lines.index(title) - 1] == ""
    assert "\n\n\n" not in out
    assert out.endswith("\n") and not out.endswith("\n\n")


def test_text_reproduction_steps_then_expected_actual_environment(briefs):
    out = render_brief(briefs["engineering_export_bug"], "text", "en")
    section = out.split("REPRODUCTION STEPS\n")[1].split("\n\n")[0].split("\n")
    assert section[0] == "1. Log in as an Admin on workspace 8812"
    assert [line[:3] for line in section[:4]] == ["1. ", "2. ", "3. ", "4. "]
    assert section[4].startswith("Expected: A file operations-")
    assert section[5].startswith("Actual: Banner ")
    assert section[6].startswith("Environment: Chrome 131")
    assert [line.split(": ")[0] for line in section[7:]] == [
        "Start state", "Frequency", "Ruled out"]


def test_text_tried_communication_needed_and_supporting(briefs):
    out = render_brief(briefs["engineering_export_bug"], "text", "en")
    tried = out.split("WHAT'S BEEN TRIED\n")[1].split("\n\n")[0].split("\n")
    assert tried[0] == ("1. Cleared browser cache and retried in Chrome and Firefox → "
                        "Same EXP-500 banner in both browsers")
    assert len(tried) == 3
    communication = out.split("CUSTOMER COMMUNICATION\n")[1].split("\n\n")[0].split("\n")
    assert communication[0] == (
        "- Last update: Wed, Nov 25, 2026, 3:15 PM EST — Confirmed we reproduced it; "
        "engineering will be engaged, next update tomorrow 10:00 ET")
    assert communication[1].startswith("- Customer expectation: A fix or a single-file")
    assert communication[2].startswith("- Escalation risk: No signs in the ticket")
    needed = out.split("WHAT'S NEEDED\n")[1].split("\n\n")[0].split("\n")
    assert needed == [
        "- Fix: confirm the root cause and an ETA for the code fix",
        "- Deadline: Thu, Nov 26, 2026, 5:00 PM EST (High: by the customer's close of business)",
    ]
    supporting = out.split("SUPPORTING CONTEXT\n")[1].rstrip("\n").split("\n")
    assert supporting[0] == (
        "- Ticket ZD-48213: https://northwind.zendesk.example/agent/tickets/48213")
    assert "- Screenshot: exp-500-banner.png" in supporting


def test_text_leaves_out_reproduction_steps_when_the_issue_is_not_a_bug(briefs):
    brief = briefs["leadership_policy_exception"]
    assert brief.reproduction is None
    for lang in LANGUAGES:
        out = render_brief(brief, "text", lang)
        assert translate("REPRODUCTION STEPS", lang) not in out
        assert "\n" + translate("Expected", lang) + ("：" if lang == "zh" else ":") not in out


def test_security_brief_adds_containment_and_urgency_after_the_seed_impact_lines(briefs):
    out = render_brief(briefs["security_exposure_l1"], "text", "en")
    impact = out.split("IMPACT\n")[1].split("\n\n")[0].split("\n")
    assert impact[4] == "- Containment taken: [needed: immediate containment steps taken]"
    assert impact[5] == "- Urgency: Critical: escalate immediately, whatever the tier"
    assert "Severity: Critical\nTarget: Security\n" in out


def test_product_brief_shows_request_frequency_and_competitive_pressure():
    brief = brief_for(PRODUCT_GAP)
    assert brief.target_name == "product"
    en = render_brief(brief, "text", "en")
    assert "- Request frequency: [needed: how many customers ask for this]" in en
    assert "- Competitive pressure: Their other vendor ships bulk edit" in en
    zh = render_brief(brief, "text", "zh")
    assert "- 需求频率：[待补充：有多少客户提出此需求]" in zh
    assert "- 竞争压力：Their other vendor ships bulk edit" in zh
    assert "接收方：产品团队" in zh


def test_chinese_text_uses_the_seed_terms(briefs):
    out = render_brief(briefs["engineering_export_bug"], "text", "zh")
    assert out.startswith("升级：Dashboard CSV export fails")
    assert "\n严重度：高\n接收方：工程团队\n\n影响\n- 受影响客户：2家" in out
    assert "- 面临风险的收入：ARR US$180,000" in out
    assert "\n复现步骤\n1. Log in as an Admin" in out
    assert "\n预期：A file" in out and "\n实际：Banner" in out and "\n环境：Chrome" in out
    assert "- 截止日期：2026年11月26日（周四）17:00 北美东部标准时间（高：客户当地下班前）" in out
    leadership = render_brief(briefs["leadership_policy_exception"], "text", "zh")
    assert "- 审批：批准或拒绝此次政策豁免" in leadership
    assert "接收方：领导层" in leadership


# -- needed markers ----------------------------------------------------------------------------


def test_needed_markers_are_visible_in_every_format(briefs):
    brief = briefs["security_exposure_l1"]
    assert [(n.what, n.field) for n in brief.needed] == [
        ("immediate containment steps taken", "facts.containment"),
        ("date and content of the last update to the customer", "communications"),
    ]
    text = render_brief(brief, "text", "en")
    assert "[needed: immediate containment steps taken]" in text
    assert "[待补充：已采取的即时遏制措施]" in render_brief(brief, "text", "zh")
    markdown = render_brief(brief, "markdown", "en")
    assert "**[needed: immediate containment steps taken]**" in markdown
    html = render_brief(brief, "html", "zh")
    assert ('<mark class="needed" data-field="facts.containment">'
            "[待补充：已采取的即时遏制措施]</mark>") in html
    data = json.loads(render_brief(brief, "json", "en"))
    assert data["impact"]["containment"]["needed"] == "immediate containment steps taken"
    assert data["communication"]["last_update"]["text"] == (
        "[needed: date and content of the last update to the customer]")
    assert data["needed"] == [
        {"what": "immediate containment steps taken", "field": "facts.containment"},
        {"what": "date and content of the last update to the customer",
         "field": "communications"},
    ]


def test_handle_in_support_brief_marks_severity_and_target_as_needed():
    brief = brief_for(HANDLE_IN_SUPPORT)
    out = render_brief(brief, "text", "en")
    assert "Severity: [needed: severity (the assessment says handle in support)]" in out
    assert "Target: [needed: target (the assessment says handle in support)]" in out
    zh = render_brief(brief, "text", "zh")
    assert "严重度：[待补充：严重度（评估结论为由支持团队自行处理）]" in zh
    data = brief_to_mapping(brief, "en")
    assert data["severity"] == {
        "code": None,
        "text": "[needed: severity (the assessment says handle in support)]",
        "needed": "severity (the assessment says handle in support)",
    }


# -- escaping ---------------------------------------------------------------------------------


def test_html_escapes_every_said_value():
    brief = brief_for(HOSTILE)
    for lang in LANGUAGES:
        html = render_brief(brief, "html", lang)
        assert "<script" not in html
        assert "<img" not in html and "<b>Evil" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert "&lt;b&gt;Evil&lt;/b&gt; Corp" in html


def test_html_page_is_self_contained_with_lang_and_autoescape(briefs):
    assert environment().autoescape is True
    for lang, attribute in (("en", 'lang="en"'), ("zh", 'lang="zh-Hans"')):
        html = render_brief(briefs["engineering_export_bug"], "html", lang)
        assert html.startswith("<!DOCTYPE html>")
        assert f"<html {attribute}>" in html
        assert "<style>" in html
        assert not re.search(r"<(script|link|iframe|img)\b", html)
        assert "src=" not in html and "@import" not in html and "url(" not in html
        assert html.count("<section") == 8  # seven brief sections and the reasons


def test_markdown_escapes_structure_in_said_text():
    brief = brief_for(HOSTILE)
    md = render_brief(brief, "markdown", "en")
    lines = md.split("\n")
    assert lines[0].startswith("## ESCALATION: \\<script>alert('x')\\</script> \\*bold\\* "
                               "\\[click\\](http://evil.example) & co")
    assert [line for line in lines if line.startswith("#")] == [
        lines[0], *(f"### {title}" for title in SECTION_TITLES)]
    assert "\\# Not a heading\n\\- not a list\n1\\. not a step\n\\<img" in md
    # A multi-line step stays inside its list item, code and emphasis escaped.
    assert "1. Open \\`settings\\`\n   then \\_save\\_" in md


def test_markdown_layout_headings_bold_block_and_lists(briefs):
    md = render_brief(briefs["engineering_export_bug"], "markdown", "en")
    assert md.startswith(
        "## ESCALATION: Dashboard CSV export fails with HTTP 500 for date ranges over 31 days\n"
        "\n**Severity**: High\\\n**Target**: Engineering\n\n### IMPACT\n\n"
        "- **Customers affected**: 2 (1 high-value), including Northwind Logistics\n")
    assert "### REPRODUCTION STEPS\n\n1. Log in as an Admin on workspace 8812\n" in md
    assert "\n\n- **Expected**: A file operations-2026-10-01_2026-11-24.csv downloads\n" in md
    assert "### WHAT'S BEEN TRIED\n\n1. Cleared browser cache" in md
    assert ("- **Deadline**: Thu, Nov 26, 2026, 5:00 PM EST "
            "(High: by the customer's close of business)") in md


def test_markdown_escape_leaves_plain_words_and_identifiers_alone():
    assert markdown_escape("created_at and new_exports on 2026-11-24") == (
        "created_at and new_exports on 2026-11-24")
    assert markdown_escape("> quoted\n+ plus\n10) ten") == "\\> quoted\n\\+ plus\n10\\) ten"


# -- JSON -------------------------------------------------------------------------------------

JSON_KEYS = {
    "kind", "version", "lang", "ticket_id", "timezone", "summary", "severity", "target",
    "impact", "description", "reproduction", "tried", "communication", "needed_asks",
    "deadline", "supporting", "reasons", "needed",
}


@pytest.mark.parametrize("name", GOLDEN_TICKETS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_json_round_trips_with_the_documented_keys(briefs, name, lang):
    data = json.loads(render_brief(briefs[name], "json", lang))
    assert set(data) == JSON_KEYS
    assert (data["kind"], data["version"], data["lang"]) == ("escalation_brief", 1, lang)
    assert data["ticket_id"] == load(name)["id"]
    assert set(data["summary"]) == {"text", "needed"}
    assert set(data["severity"]) == set(data["target"]) == {"code", "text", "needed"}
    assert list(data["impact"])[:4] == [
        "customers_affected", "workflow_impact", "revenue_at_risk", "sla_status"]
    assert all(set(line) == {"label", "text", "needed"} for line in data["impact"].values())
    assert list(data["communication"]) == [
        "last_update", "customer_expectation", "escalation_risk"]
    assert set(data["deadline"]) == {"text", "needed", "at"}
    assert all(set(r) == {"code", "category", "text"} for r in data["reasons"])
    assert data["reasons"]
    assert all(set(n) == {"what", "field"} for n in data["needed"])


def test_json_values_codes_and_deadline(briefs):
    en = brief_to_mapping(briefs["engineering_export_bug"], "en")
    zh = brief_to_mapping(briefs["engineering_export_bug"], "zh")
    assert en["severity"] == {"code": "high", "text": "High", "needed": None}
    assert zh["severity"] == {"code": "high", "text": "高", "needed": None}
    assert zh["target"] == {"code": "engineering", "text": "工程团队", "needed": None}
    assert zh["impact"]["customers_affected"]["label"] == "受影响客户"
    assert en["deadline"]["at"] == "2026-11-26T17:00:00-05:00"
    assert en["reproduction"]["steps"][0] == {
        "text": "Log in as an Admin on workspace 8812", "needed": None}
    assert list(en["reproduction"]["extra"]) == ["start_state", "frequency", "ruled_out"]
    assert en["tried"][2]["result"]["text"].startswith("Works, but finance")
    assert [r["code"] for r in en["reasons"]] == [r["code"] for r in zh["reasons"]]
    assert zh["reasons"][0]["text"] == "已确认是Bug且需要代码修复"
    leadership = brief_to_mapping(briefs["leadership_policy_exception"], "en")
    assert leadership["reproduction"] is None
    assert leadership["target"]["code"] == "leadership"
    assert [a["text"] for a in leadership["needed_asks"]] == [
        "Approve or decline the policy exception",
        "Decide who from leadership joins, and when",
        "Decide on a retention action",
    ]


# -- reasons, values and formatting ------------------------------------------------------------


def test_render_reason_english_is_the_reason_text_and_chinese_is_translated(briefs):
    for brief in briefs.values():
        for reason in brief.reasons:
            assert render_reason(reason, "en") == reason.text
            zh = render_reason(reason, "zh")
            assert zh != reason.text and re.search(r"[\u4e00-\u9fff]", zh)
    security = Reason("impact.security_concern", "impact",
                      "A security concern: the ticket's category is security")
    assert render_reason(security, "zh") == "存在安全隐患：工单类别为安全"
    solution = Reason("support.documented_solution", "support",
                      "A documented solution exists: {solution}", {"solution": "KB-12 {x}"})
    assert render_reason(solution, "zh") == "已有文档化的解决方案：KB-12 {x}"
    churn = Reason("business.high_value_churn_risk", "business",
                   "Churn risk with {count} high-value customers affected", {"count": "2"})
    assert render_reason(churn, "zh") == "存在流失风险：2家高价值客户受影响"


def test_translate_is_identity_in_english_and_uses_the_catalog_in_chinese():
    assert translate("IMPACT", "en") == "IMPACT"
    assert translate("IMPACT", "zh") == "影响"
    assert translate("WHAT'S BEEN TRIED", "zh") == "已尝试的措施"
    assert translate("not in the catalog", "zh") == "not in the catalog"
    with pytest.raises(ValueError, match="'de'"):
        translate("IMPACT", "de")


def test_structural_phrases_use_chinese_separators():
    renderer = ValueRenderer("zh", "UTC")
    phrase = Phrase("{s0}; {s1} ({area})", {
        "s0": Phrase("Production down"), "s1": Phrase("Data lost"), "area": Said("Exports")})
    assert renderer.render(phrase) == "生产系统宕机；数据丢失（Exports）"
    assert ValueRenderer("en", "UTC").render(phrase) == "Production down; Data lost (Exports)"
    listed = Phrase("{t0}, {t1}", {"t0": Said("A"), "t1": Said("B")})
    assert renderer.render(listed) == "A、B"


def test_numbers_money_and_moments_follow_the_locale_and_name_the_zone():
    assert format_number(1234.5, "en") == "1,234.5"
    assert format_money(240000, "USD", "en") == "$240,000"
    assert format_money(1234.5, "USD", "en") == "$1,234.50"
    assert format_money(240000, "USD", "zh") == "US$240,000"
    at = datetime.fromisoformat("2026-11-26T17:00:00+00:00")
    assert format_moment(at, "America/New_York", "en") == "Thu, Nov 26, 2026, 12:00 PM EST"
    assert format_moment(at, "Europe/Zurich", "en") == "Thu, Nov 26, 2026, 6:00 PM GMT+01:00"
    assert format_moment(at, "Asia/Shanghai", "zh") == "2026年11月27日（周五）01:00 中国标准时间"


# -- the message catalog -----------------------------------------------------------------------


def _catalog() -> Any:
    with po_path("zh").open("rb") as source:
        return read_po(source, locale="zh_Hans")


def _msgids_in_code() -> dict[str, str]:
    """Every msgid marked with N_() in the domain and the renderers, with where it is."""
    found: dict[str, str] = {}
    for package in (domain_package, render_package):
        root = Path(package.__file__).parent
        for filename, lineno, msgid, _comments, _context in extract_from_dir(
                root, method_map=[("**.py", "python")], keywords={"N_": None}):
            found.setdefault(str(msgid), f"{root.name}/{filename}:{lineno}")
    return found


def test_every_marked_msgid_has_a_chinese_translation():
    catalog = _catalog()
    in_code = _msgids_in_code()
    assert len(in_code) > 150
    untranslated = [
        f"{where}: {msgid!r}" for msgid, where in in_code.items()
        if not ((message := catalog.get(msgid)) and message.string and not message.fuzzy)
    ]
    assert untranslated == []


def test_catalog_placeholders_match_their_msgids():
    mismatched = [
        f"{message.id!r}: {sorted(placeholders(message.string))}"
        for message in _catalog() if message.id
        if placeholders(str(message.id)) != placeholders(str(message.string))
    ]
    assert mismatched == []


def test_catalog_has_no_stale_entries():
    in_code = _msgids_in_code()
    stale = [message.id for message in _catalog() if message.id and message.id not in in_code]
    assert stale == []


def test_catalog_ships_as_source_only_with_the_templates():
    package = Path(render_package.__file__).parent
    assert not list(package.rglob("*.mo"))
    assert (package / "locale" / "zh_Hans" / "LC_MESSAGES" / "escalation.po").is_file()
    assert (package / "templates" / "brief.html.j2").is_file()


# -- golden files ------------------------------------------------------------------------------

_SUFFIX = {"text": "txt", "markdown": "md"}


@pytest.mark.parametrize("name", GOLDEN_TICKETS)
@pytest.mark.parametrize("fmt", ["text", "markdown"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_golden(briefs, name, fmt, lang):
    out = render_brief(briefs[name], fmt, lang)
    path = GOLDEN / f"{name}.{lang}.{_SUFFIX[fmt]}"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(out, encoding="utf-8", newline="\n")
    assert path.exists(), f"missing {path.name}: run with UPDATE_GOLDEN=1 to create it"
    assert out == path.read_text(encoding="utf-8"), (
        f"{path.name} differs; if the change is intended, rerun with UPDATE_GOLDEN=1"
    )
