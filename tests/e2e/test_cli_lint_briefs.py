"""`escalate lint` on written briefs and brief JSON, as people and scripts use it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cli_support import escalate

NOW = "2026-11-26T10:00:00Z"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BUG = str(EXAMPLES / "01-checkout-500-engineering.json")
HOWTO = str(EXAMPLES / "11-custom-domain-howto-support.json")

VAGUE = """\
ESCALATION: Export broken
Severity: High
Target: Engineering

IMPACT
- Customers affected: some customers

ISSUE DESCRIPTION
Export doesn't work.

REPRODUCTION STEPS
1. try to export

WHAT'S NEEDED
- Please look at this
- Deadline: ASAP
"""




def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    """The briefs `escalate brief` writes for a bug and a how-to, in several formats."""
    out: dict[str, str] = {}
    for key, ticket, fmt, lang in (
        ("bug.txt", BUG, "text", "en"), ("bug.md", BUG, "markdown", "en"),
        ("bug.json", BUG, "json", "en"), ("howto.zh.txt", HOWTO, "text", "zh"),
        ("howto.json", HOWTO, "json", "zh"),
    ):
        result = escalate("brief", ticket, "--now", NOW, "--format", fmt, "--lang", lang)
        assert result.returncode == 0, result.stderr
        out[key] = result.stdout
    return out


def lint_json(*args: str, stdin: str | None = None) -> tuple[int, dict[str, Any], str]:
    result = escalate("lint", *args, "--format", "json", stdin=stdin)
    payload = json.loads(result.stdout) if result.stdout.strip() else {}
    return result.returncode, payload, result.stderr


def test_a_text_brief_file_is_linted_like_its_ticket(tmp_path: Path,
                                                      rendered: dict[str, str]) -> None:
    code, payload, stderr = lint_json(write(tmp_path, "bug.txt", rendered["bug.txt"]))
    assert code == 0, stderr
    assert payload == {"ticket_id": "ZD-48213", "findings": []}
    text = escalate("lint", write(tmp_path, "bug.md", rendered["bug.md"]))
    assert text.returncode == 0, text.stderr
    assert text.stdout.strip() == "ZD-48213: no findings"


def test_brief_json_from_escalate_brief_is_linted(tmp_path: Path,
                                                  rendered: dict[str, str]) -> None:
    code, payload, stderr = lint_json(write(tmp_path, "bug.json", rendered["bug.json"]))
    assert code == 0, stderr
    assert payload == {"ticket_id": "ZD-48213", "findings": []}


def test_text_markdown_and_json_of_one_brief_get_the_same_findings(
        tmp_path: Path, rendered: dict[str, str]) -> None:
    zh_code, from_text, _ = lint_json(write(tmp_path, "h.txt", rendered["howto.zh.txt"]))
    json_code, from_json, _ = lint_json(write(tmp_path, "h.json", rendered["howto.json"]))
    assert zh_code == json_code == 1
    assert from_text == from_json
    codes = {f["code"] for f in from_text["findings"]}
    assert {"severity.missing", "target.missing", "ask.unclear", "deadline.missing"} <= codes


def test_standard_input_takes_text_and_brief_json(rendered: dict[str, str]) -> None:
    code, payload, stderr = lint_json("-", stdin=rendered["bug.txt"])
    assert code == 0, stderr
    assert payload["ticket_id"] == "ZD-48213"
    code, payload, stderr = lint_json("-", stdin=rendered["bug.json"])
    assert code == 0, stderr
    assert payload["ticket_id"] == "ZD-48213"


def test_a_vague_hand_written_brief_exits_1_and_is_named_after_its_file(tmp_path: Path) -> None:
    code, payload, _ = lint_json(write(tmp_path, "vague.txt", VAGUE.replace("\n", "\r\n")))
    assert code == 1
    assert payload["ticket_id"] == "vague.txt"
    codes = {f["code"] for f in payload["findings"]}
    assert {"summary.vague", "impact.not_quantified", "repro.vague_step", "ask.unclear",
            "deadline.vague", "repro.environment"} <= codes
    code, payload, _ = lint_json("-", stdin=VAGUE)
    assert (code, payload["ticket_id"]) == (1, "stdin")
    text = escalate("lint", "-", stdin=VAGUE)
    assert text.returncode == 1
    assert text.stdout.startswith("stdin: ")
    assert "deadline.vague" in text.stdout


def test_ticket_json_is_still_linted_through_its_brief() -> None:
    result = escalate("lint", BUG, "--now", NOW)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ZD-48213: no findings"


@pytest.mark.parametrize(("name", "text", "words"), [
    ("notes.txt", "hello world\nthis is not a brief\n", "ESCALATION"),
    ("empty.txt", "", "empty"),
    ("broken.json", '{"kind": "escalation_brief",', "not valid JSON"),
    ("shape.json", '{"kind": "escalation_brief", "summary": 3}', "summary"),
    ("version.json", '{"kind": "escalation_brief", "version": 7}', "version"),
])
def test_bad_input_exits_2_with_one_line_on_stderr(tmp_path: Path, name: str, text: str,
                                                   words: str) -> None:
    result = escalate("lint", write(tmp_path, name, text))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("escalate: ")
    assert words in lines[0]
    assert "Traceback" not in result.stderr


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = escalate("lint", str(tmp_path / "nope.txt"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"escalate: {tmp_path / 'nope.txt'}: no such file"
