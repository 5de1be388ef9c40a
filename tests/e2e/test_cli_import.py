"""`escalate import` as a real process on a temporary SQLite database: the summary line on
stdout, skipped records on stderr, idempotent re-import, exit codes, no progress when stderr
is not a terminal."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from cli_support import escalate as run_escalate

FIXTURES = Path(__file__).parent.parent / "fixtures" / "importers"
NOW = "2026-11-26T10:00:00Z"


def escalate(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_escalate("--db", f"sqlite:///{db}", "--actor", "ci", *args)


def test_import_then_reimport(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    first = escalate(db, "import", "jira", str(FIXTURES / "jira_search.json"), "--now", NOW)
    assert first.returncode == 0, first.stderr
    assert first.stdout == "imported 3 new, 0 updated, 0 unchanged, 0 skipped\n"
    assert first.stderr == ""  # no progress indicator: stderr is not a terminal
    again = escalate(db, "import", "jira", str(FIXTURES / "jira_search.json"), "--now", NOW)
    assert again.stdout == "imported 0 new, 0 updated, 3 unchanged, 0 skipped\n"


def test_skipped_records_on_stderr_and_mapping(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    mapping = tmp_path / "map.toml"
    mapping.write_text('[import.github]\ninclude_pull_requests = false\n'
                       'customers = { "octokit-fixture-org" = { arr = 50000 } }\n',
                       encoding="utf-8")
    page = json.loads((FIXTURES / "github_pull_request.json").read_text(encoding="utf-8"))
    issues = tmp_path / "issues.json"
    issues.write_text(json.dumps([{"number": 7, "title": "Crash", "created_at": "soon"},
                                  *page]), encoding="utf-8")
    result = escalate(db, "import", "github", str(issues), "--mapping", str(mapping),
                      "--now", NOW)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "imported 0 new, 0 updated, 0 unchanged, 2 skipped\n"
    lines = result.stderr.splitlines()
    assert lines[0].startswith("record 1: created_at")
    assert lines[1] == "record 2: #1 is a pull request"
    ok = escalate(db, "import", "github", str(FIXTURES / "github_issues.json"),
                  "--mapping", str(mapping), "--now", NOW)
    assert ok.stdout == "imported 13 new, 0 updated, 0 unchanged, 0 skipped\n"


def test_bad_input_exits_2(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    missing = escalate(db, "import", "zendesk", str(tmp_path / "nope.json"))
    assert missing.returncode == 2
    assert missing.stderr.startswith("escalate: ")
    broken = tmp_path / "broken.json"
    broken.write_text('{"tickets": [{"id": 1', encoding="utf-8")
    result = escalate(db, "import", "zendesk", str(broken))
    assert result.returncode == 2
    assert "not valid JSON" in result.stderr
    unknown = escalate(db, "import", "servicenow", str(broken))
    assert unknown.returncode == 2
    bad_map = tmp_path / "bad.toml"
    bad_map.write_text("[import.zendesk\n", encoding="utf-8")
    mapped = escalate(db, "import", "zendesk", str(FIXTURES / "zendesk_ticket.json"),
                      "--mapping", str(bad_map))
    assert mapped.returncode == 2
    assert "TOML" in mapped.stderr


def test_the_policy_files_import_tables_are_the_default_mapping(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    pull = str(FIXTURES / "github_pull_request.json")
    skipped = escalate(db, "import", "github", pull, "--now", NOW)
    assert skipped.stdout == "imported 0 new, 0 updated, 0 unchanged, 1 skipped\n"
    policy = tmp_path / "policy.toml"
    policy.write_text("schema = 1\n\n[import.github]\ninclude_pull_requests = true\n",
                      encoding="utf-8")
    included = escalate(db, "--policy", str(policy), "import", "github", pull, "--now", NOW)
    assert included.returncode == 0, included.stderr
    assert included.stdout == "imported 1 new, 0 updated, 0 unchanged, 0 skipped\n"
    shown = escalate(db, "--policy", str(policy), "policy", "show", "--format", "json")
    assert json.loads(shown.stdout)["import"] == {"github": {"include_pull_requests": True}}
    wrong = tmp_path / "wrong.toml"
    wrong.write_text("schema = 1\n\n[import.servicenow]\nx = 1\n", encoding="utf-8")
    refused = escalate(db, "--policy", str(wrong), "import", "github", pull, "--now", NOW)
    assert refused.returncode == 2
    assert "import.servicenow" in refused.stderr and "zendesk" in refused.stderr


def test_imported_ticket_escalates_from_its_words(tmp_path: Path) -> None:
    """A Zendesk ticket whose fields state no facts (no mapping, priority only "normal") is
    escalated by the triage from what its words say, and the JSON reasons cite the words; with
    --no-derive the same ticket stays in support."""
    db = tmp_path / "desk.db"
    record = json.loads((FIXTURES / "zendesk_ticket.json").read_text(encoding="utf-8"))
    record.update({
        "id": 4242, "priority": "normal", "status": "open", "type": "problem",
        "created_at": "2026-11-26T08:00:00Z", "updated_at": "2026-11-26T08:05:00Z",
        "subject": "Contacts missing after the nightly sync",
        "description": "Since the nightly sync half of our contacts disappeared from the "
                       "address book. Our sales team cannot call anyone today.",
        "tags": ["sync", "contacts"],
    })
    export = tmp_path / "zendesk.json"
    export.write_text(json.dumps({"tickets": [record]}), encoding="utf-8")
    imported = escalate(db, "import", "zendesk", str(export), "--now", NOW)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.splitlines() == [
        "imported 1 new, 0 updated, 0 unchanged, 0 skipped",
        "facts read from the words of 1 imported ticket(s): 1 would escalate",
    ]
    table = escalate(db, "assess", "--all-open", "--now", NOW)
    assert table.returncode == 0, table.stderr
    row = next(line for line in table.stdout.splitlines() if line.startswith("zendesk-4242"))
    assert "escalate" in row.split() and "technical.data_loss" in row
    assert "1 to escalate" in table.stdout
    as_json = escalate(db, "assess", "--all-open", "--format", "json", "--now", NOW)
    [assessment] = json.loads(as_json.stdout)
    reasons = {r["code"]: r["text"] for r in assessment["reasons"]}
    assert 'read in description: "half of our contacts disappeared' in \
        reasons["technical.data_loss"]
    words_off = escalate(db, "assess", "--all-open", "--no-derive", "--format", "json",
                         "--now", NOW)
    assert json.loads(words_off.stdout)[0]["decision"] == "handle_in_support"
