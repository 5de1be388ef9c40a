"""`escalate assess --all-open` as a real process on a temporary SQLite database: every stored
ticket without an active escalation, assessed and triaged (escalate first by severity, then
handle in support), as a table or as JSON; argument errors exit 2 naming the options."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cli_support import escalate as run_escalate
from escalation.adapters.db.store import Store
from escalation.domain.contract import ticket_from_mapping

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
GITHUB = ROOT / "tests" / "fixtures" / "importers" / "github_issues.json"
NOW = "2026-11-26T10:00:00Z"

# Stored as received (as an importer or the intake would), none of them escalated.
STORED = (
    "14-calendar-sync-data-loss-critical.json",  # ZD-48310: critical, engineering
    "11-custom-domain-howto-support.json",  # IC-77310: handle in support
    "06-renewal-churn-exec-leadership.json",  # JSM-3402: medium, leadership
    "12-wecom-sync-cn-l1-to-l2.json",  # ZD-48244: high, l2
    "04-shared-link-data-exposure-security.json",  # ZD-48260: critical, security
)


def escalate(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_escalate("--db", f"sqlite:///{db}", "--actor", "ci", *args)


def ok(db: Path, *args: str) -> str:
    result = escalate(db, *args)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result.stdout


@pytest.fixture
def desk(tmp_path: Path) -> Path:
    """A store with five stored tickets, one open escalation with a linked ticket, and one
    de-escalated escalation (its ticket is open for triage again)."""
    db = tmp_path / "desk.db"
    at = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    with Store(f"sqlite:///{db}") as store, store.unit_of_work() as uow:
        for name in STORED:
            raw = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
            uow.save_ticket(ticket_from_mapping(raw), raw, at)
    assert ok(db, "open", str(EXAMPLES / "01-checkout-500-engineering.json"),
              "--now", NOW).strip() == "ESC-1"
    ok(db, "link", str(EXAMPLES / "07-report-timeout-engineering-leadership.json"), "ESC-1",
       "--now", NOW)
    assert ok(db, "open", str(EXAMPLES / "02-sso-login-loop-l1-to-l2.json"),
              "--now", NOW).strip() == "ESC-2"
    ok(db, "deescalate", "ESC-2", "--reason", "severity_reassessed",
       "--note", "Only one user affected after all", "--now", "2026-11-26T09:30:00Z")
    return db


def _rows(table: str) -> list[list[str]]:
    """The table's data rows split into columns (2+ spaces apart), header and summary left out."""
    lines = table.rstrip("\n").split("\n")
    assert lines[0].split() == ["TICKET", "DECISION", "TARGET", "SEVERITY", "CUSTOMER", "TOP",
                                "REASON", "MISSING"]
    return [re.split(r"\s{2,}", line.strip()) for line in lines[1:-1]]


def test_table_triages_stored_tickets_without_an_active_escalation(desk: Path) -> None:
    out = ok(desk, "assess", "--db", f"sqlite:///{desk}", "--all-open", "--now", NOW)
    rows = _rows(out)
    ids = [row[0] for row in rows]
    # ZD-48213 opened ESC-1 and ZD-48177 is linked to it: both are being handled already.
    assert "ZD-48213" not in ids
    assert "ZD-48177" not in ids
    # FD-20944's escalation was de-escalated, so the ticket is back in triage.
    assert sorted(ids) == sorted(["ZD-48310", "IC-77310", "JSM-3402", "ZD-48244", "ZD-48260",
                                  "FD-20944"])
    escalating = [row for row in rows if row[1] == "escalate"]
    support = [row for row in rows if row[1] == "handle_in_support"]
    assert rows == escalating + support  # escalations first
    rank = {"critical": 0, "high": 1, "medium": 2}
    severities = [row[3] for row in escalating]
    assert severities == sorted(severities, key=rank.__getitem__)
    # Within a severity, the order they were stored in.
    assert [row[0] for row in escalating if row[3] == "critical"] == ["ZD-48310", "ZD-48260"]
    by_id = {row[0]: row for row in rows}
    assert by_id["ZD-48310"][1:5] == ["escalate", "engineering", "critical", "Aurora Fitness"]
    assert by_id["ZD-48260"][2] == "security"
    assert by_id["ZD-48244"][2:4] == ["l2", "high"]
    assert by_id["IC-77310"][1:4] == ["handle_in_support", "-", "-"]
    assert by_id["IC-77310"][5] == "support.documented_solution"
    assert all(row[6].isdigit() for row in rows)  # missing-information count
    crit = sum(1 for row in escalating if row[3] == "critical")
    high = sum(1 for row in escalating if row[3] == "high")
    med = sum(1 for row in escalating if row[3] == "medium")
    assert out.rstrip("\n").split("\n")[-1] == (
        f"6 tickets: {len(escalating)} to escalate ({crit} critical, {high} high, {med} medium), "
        f"{len(support)} to handle in support")
    assert crit == 2 and high >= 1 and len(support) >= 1


def test_json_lists_the_assessments_in_triage_order(desk: Path) -> None:
    table = ok(desk, "assess", "--all-open", "--now", NOW)
    data = json.loads(ok(desk, "assess", "--all-open", "--now", NOW, "--format", "json"))
    assert isinstance(data, list)
    assert [a["ticket_id"] for a in data] == [row[0] for row in _rows(table)]
    first = data[0]
    assert first["decision"] == "escalate" and first["severity"] == "critical"
    assert {"target", "reasons", "missing"} <= set(first)


def test_imported_tickets_are_triaged(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    ok(db, "import", "github", str(GITHUB), "--now", NOW)
    out = ok(db, "assess", "--all-open", "--now", NOW)
    rows = _rows(out)
    assert len(rows) == 13
    assert all(row[0].startswith("github-") for row in rows)
    summary = out.rstrip("\n").split("\n")[-1]
    assert summary.startswith("13 tickets: ")
    assert summary.endswith(" to handle in support")


def test_an_empty_store_prints_only_the_summary(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    out = ok(db, "assess", "--all-open", "--now", NOW)
    assert out == ("0 tickets: 0 to escalate (0 critical, 0 high, 0 medium), "
                   "0 to handle in support\n")
    assert json.loads(ok(db, "assess", "--all-open", "--now", NOW, "--format", "json")) == []


@pytest.mark.parametrize(("args", "named"), [
    ((), "--all-open"),
    ((str(EXAMPLES / "01-checkout-500-engineering.json"), "--all-open"), "not both"),
])
def test_file_xor_all_open(tmp_path: Path, args: tuple[str, ...], named: str) -> None:
    result = escalate(tmp_path / "desk.db", "assess", *args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "FILE" in result.stderr and "--all-open" in result.stderr and named in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_file_is_still_assessed_as_before(tmp_path: Path) -> None:
    out = ok(tmp_path / "desk.db", "assess", str(EXAMPLES / "11-custom-domain-howto-support.json"),
             "--now", NOW)
    assert json.loads(out)["decision"] == "handle_in_support"
