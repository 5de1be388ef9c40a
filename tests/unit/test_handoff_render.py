"""The brief as Jira, GitHub and Linear issue payloads: structure, labels, priorities, languages."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from escalation.adapters.policy_file import load_policy
from escalation.cli.tickets import BriefOutput
from escalation.domain.brief import Brief
from escalation.domain.contract import ticket_from_mapping
from escalation.formats import BriefFormat
from escalation.render import render_brief
from escalation.render.handoff import (
    TRACKERS,
    adf_document,
    github_payload,
    handoff_payload,
    jira_payload,
    linear_payload,
)
from escalation.services import brief_ticket

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def _brief(name: str) -> Brief:
    data = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return brief_ticket(ticket_from_mapping(data), load_policy(None), NOW).brief


@pytest.fixture(scope="module")
def high() -> Brief:
    return _brief("01-checkout-500-engineering.json")


@pytest.fixture(scope="module")
def critical() -> Brief:
    return _brief("14-calendar-sync-data-loss-critical.json")


@pytest.fixture(scope="module")
def medium() -> Brief:
    brief = _brief("03-scheduled-export-feature-gap-product.json")
    assert brief.severity_name == "medium", brief.severity_name
    return brief


# --- an ADF validator: the node types we emit and the shape Jira's ADF schema demands ----------

_BLOCKS = {"heading", "paragraph", "bulletList", "orderedList", "codeBlock"}
_INLINE = {"text", "hardBreak"}


def _check_inline(node: dict[str, Any]) -> None:
    assert node["type"] in _INLINE, node
    if node["type"] == "text":
        assert isinstance(node["text"], str) and node["text"], "ADF forbids empty text nodes"
        for mark in node.get("marks", []):
            assert mark["type"] in {"strong", "em", "code"}
    else:
        assert set(node) == {"type"}


def _check_block(node: dict[str, Any]) -> None:
    kind = node["type"]
    assert kind in _BLOCKS, node
    if kind == "heading":
        assert node["attrs"]["level"] in range(1, 7)
        assert node["content"]
        for child in node["content"]:
            _check_inline(child)
    elif kind == "paragraph":
        for child in node.get("content", []):
            _check_inline(child)
    elif kind == "codeBlock":
        assert all(c["type"] == "text" and "marks" not in c for c in node["content"])
    else:
        assert node["content"], "a list needs at least one item"
        for item in node["content"]:
            assert item["type"] == "listItem"
            assert item["content"] and item["content"][0]["type"] == "paragraph"
            for child in item["content"]:
                _check_block(child)


def _check_adf(doc: dict[str, Any]) -> None:
    assert doc["type"] == "doc"
    assert doc["version"] == 1
    assert doc["content"]
    for node in doc["content"]:
        _check_block(node)


def _texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "text" else []
        return own + [t for child in node.get("content", []) for t in _texts(child)]
    return []


# --- Jira ----------------------------------------------------------------------------------------


def test_jira_payload_is_a_create_issue_body_with_a_valid_adf_description(high: Brief) -> None:
    payload = jira_payload(high, "en", project="PAY", escalation_id="ESC-7")
    fields = payload["fields"]
    assert set(payload) == {"fields"}
    assert fields["project"] == {"key": "PAY"}
    assert fields["issuetype"] == {"name": "Bug"}
    assert fields["summary"] == (
        "[ESC-7] Checkout returns HTTP 500 for saved cards since release 2.41")
    assert fields["priority"] == {"name": "High"}
    assert fields["labels"] == ["escalation", "severity-high", "engineering"]
    doc = fields["description"]
    _check_adf(doc)
    kinds = [n["type"] for n in doc["content"]]
    assert {"heading", "paragraph", "bulletList", "orderedList", "codeBlock"} <= set(kinds)
    headings = [" ".join(_texts(n)) for n in doc["content"] if n["type"] == "heading"]
    assert headings[0].startswith("ESCALATION: Checkout returns HTTP 500")
    assert {"IMPACT", "REPRODUCTION STEPS", "WHAT'S BEEN TRIED", "WHAT'S NEEDED"} <= set(headings)
    code = next(n for n in doc["content"] if n["type"] == "codeBlock")
    reference = _texts(code)[0]
    assert "escalation: ESC-7" in reference and "ticket: ZD-48213" in reference
    assert "severity: high" in reference and "technical.bug_code_fix" in reference
    # The payload is JSON as it will be sent.
    assert json.loads(json.dumps(payload)) == payload


def test_jira_priority_and_issue_type_follow_the_severity_and_kind(
    critical: Brief, medium: Brief
) -> None:
    assert jira_payload(critical, "en")["fields"]["priority"] == {"name": "Highest"}
    assert "severity-critical" in jira_payload(critical, "en")["fields"]["labels"]
    fields = jira_payload(medium, "en")["fields"]
    assert fields["priority"] == {"name": "Medium"}
    assert fields["issuetype"] == {"name": "Task"}  # a feature gap: no reproduction section
    assert fields["labels"] == ["escalation", "severity-medium", "product"]
    assert fields["project"] == {"key": "ESC"}  # the default
    _check_adf(fields["description"])


def test_jira_zh_translates_the_structure_but_keeps_codes(high: Brief) -> None:
    fields = jira_payload(high, "zh")["fields"]
    doc = fields["description"]
    _check_adf(doc)
    words = " ".join(_texts(doc))
    assert "严重度" in words and "高" in words and "影响" in words
    assert "IMPACT" not in words
    assert fields["labels"] == ["escalation", "severity-high", "engineering"]
    assert fields["priority"] == {"name": "High"}


def test_adf_has_no_empty_text_even_for_sparse_tickets() -> None:
    ticket = ticket_from_mapping({"id": "T-1", "subject": "x",
                                  "facts": {"bug_confirmed": True, "production_down": True}})
    brief = brief_ticket(ticket, load_policy(None), NOW).brief
    _check_adf(adf_document(brief, "en"))
    _check_adf(adf_document(brief, "zh"))


# --- GitHub and Linear ---------------------------------------------------------------------------


def test_github_payload_is_title_markdown_body_and_labels(high: Brief) -> None:
    payload = github_payload(high, "en", escalation_id="ESC-1")
    assert set(payload) == {"title", "body", "labels"}
    assert payload["title"].startswith("[ESC-1] Checkout returns HTTP 500")
    assert payload["body"] == render_brief(high, "markdown", "en")
    assert payload["labels"] == ["escalation", "severity-high", "engineering"]


def test_linear_payload_priorities_by_severity(
    high: Brief, critical: Brief, medium: Brief
) -> None:
    assert linear_payload(critical, "en")["priority"] == 1
    assert linear_payload(high, "en")["priority"] == 2
    assert linear_payload(medium, "en")["priority"] == 3
    payload = linear_payload(high, "zh")
    assert set(payload) == {"title", "description", "priority", "labelNames"}
    assert payload["description"] == render_brief(high, "markdown", "zh")
    assert "严重度" in payload["description"]
    assert payload["labelNames"] == ["escalation", "severity-high", "engineering"]
    assert payload["title"] == "[ZD-48213] Checkout returns HTTP 500 for saved cards since " \
        "release 2.41"


def test_handoff_payload_dispatches_and_refuses_unknown_trackers(high: Brief) -> None:
    assert handoff_payload(high, "github", "en") == github_payload(high, "en")
    assert handoff_payload(high, "jira", "en", project="X")["fields"]["project"]["key"] == "X"
    with pytest.raises(ValueError, match="unknown tracker"):
        handoff_payload(high, "trello", "en")


def test_brief_command_offers_every_brief_format_and_every_tracker() -> None:
    assert {f.value for f in BriefOutput} == {f.value for f in BriefFormat} | set(TRACKERS)
