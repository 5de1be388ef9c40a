"""The README walk-through, as real `escalate` processes on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from cli_support import escalate as run_escalate
from escalation.adapters.db.store import database_url

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOW = "2026-11-26T10:00:00Z"


def escalate(db: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_escalate("--db", db, "--actor", "alice", *args, stdin=stdin)


def ok(db: str, *args: str) -> str:
    result = escalate(db, *args)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result.stdout


def test_walk_through_from_open_to_verified_audit(db_url: str) -> None:
    ticket = str(EXAMPLES / "01-checkout-500-engineering.json")
    esc = ok(db_url, "open", ticket, "--now", NOW).strip()
    assert esc == "ESC-1"
    assert "ESC-1: acknowledged" in ok(db_url, "ack", esc, "--now", "2026-11-26T10:05:00Z")
    ok(db_url, "follow-up", esc, "--internal", "--note", "Eng reproduced it",
       "--now", "2026-11-26T11:00:00Z")
    ok(db_url, "follow-up", esc, "--customer", "--note", "Told them a fix is coming",
       "--now", "2026-11-26T11:05:00Z")
    assert "critical" in ok(db_url, "severity", esc, "critical", "--reason",
                            "Black Friday traffic", "--now", "2026-11-26T12:00:00Z")
    due = json.loads(ok(db_url, "followups", "--now", "2026-11-26T14:10:00Z", "--format",
                        "json"))
    assert {(d["escalation_id"], d["kind"], d["state"]) for d in due} >= {
        ("ESC-1", "internal", "due")}
    draft = ok(db_url, "draft-update", esc, "--lang", "zh", "--now", "2026-11-26T12:30:00Z")
    assert "Eng reproduced it" in draft and "您好" in draft
    ok(db_url, "resolve", esc, "--resolution", "Rolled back the tokenizer change",
       "--learning", "Saved-card checkout needs a canary", "--now", "2026-11-26T15:00:00Z")
    refused = escalate(db_url, "close", esc, "--now", "2026-11-26T15:01:00Z")
    assert refused.returncode == 3
    assert refused.stdout == ""
    assert "inform_customer" in refused.stderr
    ok(db_url, "checklist", esc, "--done", "notify_team", "--done", "update_ticket",
       "--done", "inform_customer", "--done", "document_learning",
       "--now", "2026-11-26T15:10:00Z")
    assert "ESC-1: closed" in ok(db_url, "close", esc, "--now", "2026-11-26T15:20:00Z")
    timeline = json.loads(ok(db_url, "timeline", esc, "--format", "json"))
    assert [e["action"] for e in timeline][:3] == [
        "escalation.opened", "escalation.acknowledged", "followup.internal"]
    assert all(e["actor"] == "alice" for e in timeline)
    assert "audit chain ok: 11 events verified" in ok(db_url, "audit", "verify")
    shown = ok(db_url, "show", esc, "--now", "2026-11-26T16:00:00Z")
    assert "ESC-1  CLOSED  severity critical" in shown
    assert "ESCALATION: Checkout returns HTTP 500" in shown
    assert json.loads(ok(db_url, "show", esc, "--format", "json", "--now", NOW))[
        "escalation"]["status"] == "closed"


def test_refusals_and_unknown_ids_exit_non_zero_with_one_line(db_url: str) -> None:
    missing = escalate(db_url, "ack", "ESC-42")
    assert missing.returncode == 2
    assert missing.stderr.strip() == "escalate: no escalation ESC-42"
    howto = str(EXAMPLES / "11-custom-domain-howto-support.json")
    refused = escalate(db_url, "open", howto, "--now", NOW)
    assert refused.returncode == 3
    assert "should be handled in support" in refused.stderr
    esc = ok(db_url, "open", str(EXAMPLES / "02-sso-login-loop-l1-to-l2.json"), "--now",
             NOW).strip()
    twice = escalate(db_url, "reopen", esc, "--reason", "x")
    assert twice.returncode == 3
    assert len(twice.stderr.strip().splitlines()) == 1
    assert "cannot reopen while open" in twice.stderr
    bad = escalate(db_url, "deescalate", esc, "--reason", "bored", "--note", "x")
    assert bad.returncode == 2
    assert "bored" in bad.stderr
    assert json.loads(ok(db_url, "timeline", esc, "--format", "json"))[-1]["action"] == (
        "escalation.opened")


def test_link_updates_breadth_and_brief_reads_the_store(db_url: str, tmp_path: Path) -> None:
    first = json.loads((EXAMPLES / "08-webhook-delays-pattern-3plus.json").read_text("utf-8"))
    path = tmp_path / "first.json"
    path.write_text(json.dumps(first), encoding="utf-8")
    esc = ok(db_url, "open", str(path), "--now", NOW).strip()
    other = {**first, "id": "ZD-99999", "customer": {"id": "C-NEW", "name": "Newco"}}
    other_path = tmp_path / "other.json"
    other_path.write_text(json.dumps(other), encoding="utf-8")
    linked = ok(db_url, "link", str(other_path), esc, "--now", NOW)
    assert "customers affected" in linked
    brief = ok(db_url, "brief", esc, "--now", NOW)
    assert brief.startswith("ESCALATION: ")
    lint = escalate(db_url, "lint", esc, "--now", NOW, "--format", "json")
    assert lint.returncode in (0, 1)
    assert json.loads(lint.stdout)["ticket_id"] == first["id"]


def test_audit_verify_names_the_first_tampered_event(db_url: str) -> None:
    esc = ok(db_url, "open", str(EXAMPLES / "01-checkout-500-engineering.json"), "--now",
             NOW).strip()
    ok(db_url, "ack", esc, "--now", NOW)
    ok(db_url, "follow-up", esc, "--internal", "--note", "checked", "--now", NOW)
    engine = create_engine(database_url(db_url))
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
            names = [r[0] for r in conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type='trigger'"))]
            for name in names:
                conn.execute(text(f'DROP TRIGGER "{name}"'))
        else:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        conn.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE seq = 2"))
    engine.dispose()
    result = escalate(db_url, "audit", "verify")
    assert result.returncode == 1
    assert "audit event 2" in result.stderr
    assert "changed" in result.stderr


@pytest.mark.parametrize("command", [["db", "upgrade"]])
def test_db_upgrade_is_idempotent(db_url: str, command: list[str]) -> None:
    first = ok(db_url, *command)
    second = ok(db_url, *command)
    assert "at revision" in first
    assert first == second


def test_assess_with_a_store_cites_what_an_earlier_escalation_taught(
    db_url: str, tmp_path: Path
) -> None:
    ticket = json.loads((EXAMPLES / "02-sso-login-loop-l1-to-l2.json").read_text("utf-8"))
    esc = ok(db_url, "open", str(EXAMPLES / "02-sso-login-loop-l1-to-l2.json"), "--now",
             NOW).strip()
    ok(db_url, "resolve", esc, "--resolution", "Clear the stale IdP session cookie",
       "--learning", "SSO loops come from a stale IdP cookie", "--fix-kind", "workaround",
       "--now", "2026-11-26T12:00:00Z")
    again = {**ticket, "id": "FD-77777", "created_at": "2026-11-28T09:00:00Z",
             "customer": {"id": "C-OTHER", "name": "Other Co"}}
    path = tmp_path / "again.json"
    path.write_text(json.dumps(again), encoding="utf-8")
    with_store = json.loads(ok(db_url, "assess", str(path), "--now", "2026-11-28T10:00:00Z"))
    cited = [r for r in with_store["reasons"] if r["code"] == "support.resolved_before"]
    assert with_store["decision"] == "handle_in_support"
    assert cited and esc in cited[0]["text"]
    without = run_escalate("assess", str(path), "--now", "2026-11-28T10:00:00Z",
                           env={"ESCALATION_DB": None})
    assert without.returncode == 0, without.stderr
    assert "support.resolved_before" not in without.stdout
