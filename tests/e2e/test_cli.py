"""The `escalate` command as scripts use it: real processes, exit codes, stdout and stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_support import escalate

NOW = "2026-11-26T10:00:00Z"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

SECURITY_TICKET = {
    "id": "ZD-900",
    "subject": "Customer sees another tenant's invoices",
    "current_tier": "l1",
    "customer": {"id": "C-1", "name": "Globex", "arr": 80000, "plan": "enterprise"},
    "facts": {"potential_data_exposure": True, "known_workaround": "log out and in"},
}




def write(tmp_path: Path, name: str, data: object) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_assess_one_ticket_prints_the_assessment_contract(tmp_path: Path) -> None:
    result = escalate("assess", write(tmp_path, "t.json", SECURITY_TICKET), "--now", NOW)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert set(out) == {"ticket_id", "decision", "target", "also_notify", "severity", "reasons",
                        "impact", "sla_status", "missing"}
    assert out["decision"] == "escalate"
    assert out["target"] == "security"
    assert out["severity"] == "critical"
    assert out["reasons"][0]["code"] == "impact.potential_data_exposure"
    assert set(out["impact"]) >= {"breadth", "depth", "duration", "revenue", "reputation",
                                  "contractual"}


def test_assess_reads_standard_input_and_lists_give_lists() -> None:
    tickets = [SECURITY_TICKET, {"id": "ZD-2", "facts": {"category": "how_to"}}]
    result = escalate("assess", "-", "--now", NOW, stdin=json.dumps(tickets))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert [a["ticket_id"] for a in out] == ["ZD-900", "ZD-2"]
    assert out[1]["decision"] == "handle_in_support"
    assert out[1]["reasons"][0]["code"] == "support.guidance"


def test_same_now_same_output(tmp_path: Path) -> None:
    path = write(tmp_path, "t.json", SECURITY_TICKET)
    first = escalate("assess", path, "--now", NOW)
    second = escalate("assess", path, "--now", NOW)
    assert first.stdout == second.stdout


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("{not json", "not valid JSON (line 1, column 2"),
        (json.dumps({"id": "X", "facts": {"category": "nope"}}),
         'facts.category: expected one of "bug"'),
        (json.dumps([{"id": "A"}, {"id": "B", "facts": {"customers_affected": -1}}]),
         "tickets[1].facts.customers_affected: expected a whole number ≥ 0, got -1"),
        (json.dumps({"id": "X", "customer": {"arr": "lots"}}), "customer.arr: expected a number"),
        (json.dumps({"id": "X", "created_at": "yesterday"}), "created_at: expected an ISO-8601"),
        (json.dumps({"subject": "no id"}), "id: expected a non-empty string"),
        (json.dumps({"id": "X", "current_tier": "l3"}), 'current_tier: expected one of "l1"'),
        (json.dumps({"id": "X", "facts": {"blocked": "yes"}}),
         "facts.blocked: expected true or false"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_the_field(payload: str, expected: str) -> None:
    result = escalate("assess", "-", "--now", NOW, stdin=payload)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def test_missing_file_and_bad_now_are_clear(tmp_path: Path) -> None:
    missing = escalate("assess", str(tmp_path / "nope.json"))
    assert missing.returncode == 2
    assert "nope.json: no such file" in missing.stderr
    bad_now = escalate("assess", write(tmp_path, "t.json", SECURITY_TICKET), "--now", "soon")
    assert bad_now.returncode == 2
    assert "--now: expected an ISO-8601 timestamp" in bad_now.stderr


def test_skip_invalid_reports_each_skipped_ticket() -> None:
    tickets = [{"id": "A"}, {"id": "B", "facts": {"blocked": 3}}, SECURITY_TICKET]
    result = escalate("assess", "-", "--now", NOW, "--skip-invalid", stdin=json.dumps(tickets))
    assert result.returncode == 0
    assert [a["ticket_id"] for a in json.loads(result.stdout)] == ["A", "ZD-900"]
    assert "skipped tickets[1].facts.blocked" in result.stderr


def test_assess_text_format_names_reasons(tmp_path: Path) -> None:
    result = escalate("assess", write(tmp_path, "t.json", SECURITY_TICKET), "--now", NOW,
                      "--format", "text")
    assert result.returncode == 0
    assert "ESCALATE to security" in result.stdout
    assert "[impact.potential_data_exposure]" in result.stdout


def test_policy_file_changes_the_outcome(tmp_path: Path) -> None:
    ticket = {"id": "P-1", "current_tier": "l2", "facts": {"customers_affected": 3,
                                                           "known_workaround": "retry"}}
    path = write(tmp_path, "t.json", ticket)
    default = json.loads(escalate("assess", path, "--now", NOW).stdout)
    assert default["decision"] == "escalate"
    assert "pattern.three_plus_customers" in [r["code"] for r in default["reasons"]]
    policy = tmp_path / "policy.toml"
    policy.write_text("[thresholds]\npattern_customers = 5\n", encoding="utf-8")
    tuned = json.loads(escalate("--policy", str(policy), "assess", path, "--now", NOW).stdout)
    assert tuned["decision"] == "handle_in_support"


def test_policy_check_reports_key_and_line(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('schema = 1\n\n[thresholds]\nhigh_value_arr = "lots"\n'
                      'pattern_customers = 0\n', encoding="utf-8")
    result = escalate("policy", "check", str(policy))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert f"{policy}:4: thresholds.high_value_arr: expected a number ≥ 0" in lines[0]
    assert f"{policy}:5: thresholds.pattern_customers" in lines[1]
    broken = escalate("--policy", str(policy), "assess", "-", stdin='{"id": "X"}')
    assert broken.returncode == 2
    assert broken.stdout == ""


def test_policy_check_accepts_the_shipped_example_and_show_round_trips(tmp_path: Path) -> None:
    ok = escalate("policy", "check", str(EXAMPLES / "policy.toml"))
    assert ok.returncode == 0, ok.stderr
    assert "ok (policy acme-support@2026-11)" in ok.stdout
    shown = escalate("policy", "show")
    assert shown.returncode == 0
    path = tmp_path / "shown.toml"
    path.write_text(shown.stdout, encoding="utf-8")
    again = escalate("policy", "check", str(path))
    assert again.returncode == 0, again.stderr
    assert "seed-defaults@1" in again.stdout


def test_brief_text_follows_the_seed_format(tmp_path: Path) -> None:
    result = escalate("brief", write(tmp_path, "t.json", SECURITY_TICKET), "--now", NOW)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith("ESCALATION: Customer sees another tenant's invoices\n")
    order = [text.index(title) for title in (
        "Severity:", "Target:", "IMPACT", "ISSUE DESCRIPTION", "WHAT'S BEEN TRIED",
        "CUSTOMER COMMUNICATION", "WHAT'S NEEDED", "SUPPORTING CONTEXT")]
    assert order == sorted(order)
    assert "[needed:" in text


@pytest.mark.parametrize("fmt", ["markdown", "json", "html"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_brief_formats_and_languages(tmp_path: Path, fmt: str, lang: str) -> None:
    result = escalate("brief", write(tmp_path, "t.json", SECURITY_TICKET), "--now", NOW,
                      "--format", fmt, "--lang", lang)
    assert result.returncode == 0, result.stderr
    if fmt == "json":
        payload = json.loads(result.stdout)
        assert payload["lang"] == lang
        assert payload["severity"]["text"] == ("严重" if lang == "zh" else "Critical")
        return
    if fmt == "html":
        assert '<html lang="' in result.stdout
    assert ("严重度" in result.stdout) is (lang == "zh")


def test_brief_rejects_unknown_format(tmp_path: Path) -> None:
    result = escalate("brief", write(tmp_path, "t.json", SECURITY_TICKET), "--format", "pdf")
    assert result.returncode == 2
    assert "pdf" in result.stderr


def test_lint_exits_1_on_errors_and_0_when_clean(tmp_path: Path) -> None:
    vague = {"id": "L-1", "subject": "Export broken", "current_tier": "l2",
             "facts": {"bug_confirmed": True, "needs_code_change": True}}
    result = escalate("lint", write(tmp_path, "v.json", vague), "--now", NOW, "--format", "json")
    assert result.returncode == 1
    codes = {f["code"] for f in json.loads(result.stdout)["findings"]}
    assert {"repro.missing", "impact.not_quantified"} <= codes
    for finding in json.loads(result.stdout)["findings"]:
        assert finding["level"] in {"error", "warning", "info"}
        assert finding["hint"]


def test_examples_assess_without_errors() -> None:
    result = escalate("assess", str(EXAMPLES / "all.json"), "--now", NOW)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    targets = {a["target"] for a in out}
    assert {"l2", "engineering", "product", "security", "leadership", None} <= targets


# Its fields state no facts but `blocked`; its words say more, some of it set aside.
WORDS_TICKET = {
    "id": "ZD-950", "subject": "Contacts gone after the sync",
    "description": "Since the sync half of our contacts disappeared. No security issue as far "
                   "as we know. We are blocked.",
    "facts": {"blocked": False},
}


def test_no_derive_assesses_only_the_stated_facts(tmp_path: Path) -> None:
    path = write(tmp_path, "t.json", WORDS_TICKET)
    read = json.loads(escalate("assess", path, "--now", NOW).stdout)
    assert (read["decision"], read["severity"]) == ("escalate", "critical")
    [loss] = [r for r in read["reasons"] if r["code"] == "technical.data_loss"]
    assert loss["text"] == ('Data loss reported (read in description: "half of our contacts '
                            'disappeared")')
    unread = escalate("assess", path, "--now", NOW, "--no-derive")
    assert unread.returncode == 0, unread.stderr
    assert json.loads(unread.stdout)["decision"] == "handle_in_support"
    brief = escalate("brief", path, "--now", NOW, "--no-derive")
    assert brief.returncode == 0 and "should be handled in support" in brief.stderr


def test_explain_shows_evidence_set_aside_and_both_outcomes(tmp_path: Path) -> None:
    path = write(tmp_path, "t.json", WORDS_TICKET)
    text = escalate("explain", path, "--now", NOW)
    assert text.returncode == 0, text.stderr
    out = text.stdout
    assert "ZD-950: read from the words: 1" in out
    assert '    data_loss = true\n      description: "half of our contacts disappeared"  [' in out
    assert "stated by the ticket (wins over the reading):\n    blocked = false\n" \
           '      description: "We are blocked"' in out
    assert "security_concern — negated: no" in out
    assert "with derived facts:    ESCALATE to l2, severity critical" in out
    assert "without derived facts: handle in support" in out
    chinese = escalate("explain", path, "--now", NOW, "--lang", "zh").stdout
    assert "推断出的事实" in chinese and "（依据：description:" in chinese

    listed = escalate("explain", "-", "--now", NOW, "--format", "json",
                      stdin=json.dumps([WORDS_TICKET, {"id": "ZD-2"}]))
    assert listed.returncode == 0, listed.stderr
    first, second = json.loads(listed.stdout)
    assert set(first) == {"ticket_id", "derive_enabled", "languages", "derived", "stated",
                          "set_aside", "with_derived", "without_derived", "changed"}
    assert first["derived"][0]["evidence"][0]["field"] == "description"
    assert first["stated"][0]["fact"] == "blocked" and first["stated"][0]["value"] is False
    assert first["changed"] is True
    assert (second["derived"], second["changed"]) == ([], False)


def test_explain_bad_input_is_one_line_naming_the_field() -> None:
    result = escalate("explain", "-", stdin=json.dumps([{"id": "A"}, {"id": "B",
                                                         "customer": {"arr": -1}}]))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("escalate: tickets[1].customer.arr: ")
    assert len(result.stderr.splitlines()) == 1
