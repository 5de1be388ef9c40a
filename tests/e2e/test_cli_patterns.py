"""`escalate patterns` and the pattern side of `open` and `assess`, as real processes: the JSON
contract, the text format, exit codes, and the store's pattern index behind --db."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cli_support import escalate

NOW = "2026-11-26T10:00:00Z"

pytestmark = pytest.mark.slow  # every command here loads MiniLM




def ok(*args: str, stdin: str | None = None) -> str:
    result = escalate(*args, stdin=stdin)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result.stdout


def write(tmp_path: Path, name: str, data: object) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def ticket(ticket_id: str, customer: str, subject: str, description: str,
           created: str = "2026-11-24T08:00:00Z", **facts: Any) -> dict[str, Any]:
    return {
        "id": ticket_id, "subject": subject, "description": description,
        "created_at": created, "current_tier": "l2", "product_area": "exports",
        "customer": {"id": customer, "name": f"Customer {customer}", "plan": "business"},
        "facts": {"category": "bug", **facts},
    }


EXPORT_500 = [
    ticket("ZD-101", "C-ACME", "CSV export fails with HTTP 500",
           "Clicking Export > CSV on the Reports page shows 'Internal Server Error (500)'.",
           "2026-11-24T08:00:00Z"),
    ticket("ZD-102", "C-GLOBEX", "Report export to CSV broken - error 500",
           "None of our users can download reports as CSV any more, the server returns a 500 "
           "error.", "2026-11-24T11:30:00Z"),
    ticket("ZD-103", "C-INITECH", "Exporting reports as CSV gives a server error",
           "When we try to export the monthly report to CSV we get error 500 and no file is "
           "downloaded.", "2026-11-25T09:15:00Z"),
]
FOURTH = ticket("ZD-104", "C-UMBRELLA", "CSV download of reports returns 500",
                "Export to CSV on any report fails with a 500 internal server error since "
                "yesterday.", "2026-11-26T09:00:00Z")
LOGIN = [
    ticket("ZD-201", "C-ACME", "SSO login loops back to the sign-in page",
           "After entering credentials in Okta, users land on our sign-in page again and "
           "again.", "2026-11-23T10:00:00Z"),
    ticket("ZD-202", "C-ACME", "Single sign-on redirect loop",
           "Our staff are stuck in a redirect loop between Okta and the login page.",
           "2026-11-23T12:00:00Z"),
]
HOW_TO = ticket("ZD-900", "C-HOOLI", "How do I add a teammate to our workspace?",
                "We hired someone new and want to invite them; where is the invite button?",
                "2026-11-25T10:00:00Z", category="how_to")
KEYS = {"id", "ticket_ids", "distinct_customers", "label", "first_seen", "last_seen", "signals"}


def test_patterns_prints_groups_of_two_or_more_most_customers_first(tmp_path: Path) -> None:
    source = write(tmp_path, "tickets.json", [LOGIN[0], EXPORT_500[1], HOW_TO, EXPORT_500[0],
                                              LOGIN[1], EXPORT_500[2]])
    out = json.loads(ok("patterns", source, "--now", NOW))
    assert set(out) == {"clusters"}
    clusters = out["clusters"]
    assert [set(c) for c in clusters] == [KEYS, KEYS]
    export, login = clusters
    assert export == {
        "id": "C1",
        "ticket_ids": ["ZD-101", "ZD-102", "ZD-103"],
        "distinct_customers": 3,
        "label": export["label"],
        "first_seen": "2026-11-24T08:00:00+00:00",
        "last_seen": "2026-11-25T09:15:00+00:00",
        "signals": ["three_plus_customers"],
    }
    assert "CSV" in export["label"] and len(export["label"]) <= 80
    assert login["id"] == "C2"
    assert login["ticket_ids"] == ["ZD-201", "ZD-202"]
    assert login["distinct_customers"] == 1
    assert login["signals"] == []
    assert all("ZD-900" not in c["ticket_ids"] for c in clusters)


def test_patterns_reads_standard_input_and_an_empty_list_has_no_clusters() -> None:
    assert json.loads(ok("patterns", "-", stdin="[]")) == {"clusters": []}
    alone = json.dumps([EXPORT_500[0], HOW_TO])
    assert json.loads(ok("patterns", "-", stdin=alone)) == {"clusters": []}


def test_patterns_text_format(tmp_path: Path) -> None:
    source = write(tmp_path, "tickets.json", [*EXPORT_500, *LOGIN])
    text = ok("patterns", source, "--format", "text")
    blocks = text.strip().split("\n\n")
    assert len(blocks) == 2
    head, summary, ids = blocks[0].splitlines()
    assert head.startswith("C1: ") and "CSV" in head
    assert summary == ("  3 tickets, 3 customers, 2026-11-24 .. 2026-11-25; "
                       "three_plus_customers")
    assert ids == "  ZD-101, ZD-102, ZD-103"
    assert blocks[1].splitlines()[1] == (
        "  2 tickets, 1 customers, 2026-11-23 .. 2026-11-23; no signal")
    nothing = ok("patterns", write(tmp_path, "none.json", [HOW_TO]), "--format", "text")
    assert nothing.strip() == "no pattern: no two tickets look alike"


def test_an_invalid_ticket_exits_2_naming_the_field(tmp_path: Path) -> None:
    no_id = {k: v for k, v in EXPORT_500[1].items() if k != "id"}
    result = escalate("patterns", write(tmp_path, "bad.json", [EXPORT_500[0], no_id]))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "tickets[1].id: expected a non-empty string" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    bad_date = escalate("patterns", "-", stdin=json.dumps([{**HOW_TO, "created_at": "soon"}]))
    assert bad_date.returncode == 2
    assert "tickets[0].created_at" in bad_date.stderr
    not_json = escalate("patterns", "-", stdin="[{")
    assert not_json.returncode == 2
    assert "not valid JSON" in not_json.stderr


def test_skip_invalid_groups_the_valid_tickets(tmp_path: Path) -> None:
    no_id = {k: v for k, v in HOW_TO.items() if k != "id"}
    result = escalate("patterns", write(tmp_path, "mixed.json", [*EXPORT_500, no_id]),
                      "--skip-invalid")
    assert result.returncode == 0, result.stderr
    assert "skipped tickets[3].id" in result.stderr
    assert json.loads(result.stdout)["clusters"][0]["ticket_ids"] == ["ZD-101", "ZD-102",
                                                                      "ZD-103"]


# -- with a store ----------------------------------------------------------------------------------


def test_patterns_with_a_store_indexes_and_assess_cites_the_customers(
        db_url: str, tmp_path: Path) -> None:
    db = ("--db", db_url, "--actor", "agent@example.com")
    out = json.loads(ok(*db, "patterns", write(tmp_path, "batch.json", EXPORT_500),
                        "--now", NOW))
    assert out["clusters"][0]["ticket_ids"] == ["ZD-101", "ZD-102", "ZD-103"]
    # Without the store the fourth ticket alone says nothing about breadth…
    alone = json.loads(ok("assess", write(tmp_path, "fourth.json", FOURTH), "--now", NOW))
    assert "pattern.three_plus_customers" not in [r["code"] for r in alone["reasons"]]
    # …with it, the three indexed customers and this one make a pattern.
    assessed = json.loads(ok(*db, "assess", str(tmp_path / "fourth.json"), "--now", NOW))
    reasons = {r["code"]: r["text"] for r in assessed["reasons"]}
    assert "pattern.three_plus_customers" in reasons
    assert reasons["pattern.three_plus_customers"] == (
        "Same issue reported by 4 customers (threshold 3): ZD-101, ZD-102, ZD-103, ZD-104")
    assert assessed["decision"] == "escalate"
    # Listing the fourth with the store groups it with the indexed three.
    again = json.loads(ok(*db, "patterns", str(tmp_path / "fourth.json"), "--now", NOW))
    assert again["clusters"][0]["ticket_ids"] == ["ZD-101", "ZD-102", "ZD-103", "ZD-104"]
    assert again["clusters"][0]["distinct_customers"] == 4


def test_open_notes_a_similar_open_escalation_and_link_if_match_links_instead(
        db_url: str, tmp_path: Path) -> None:
    db = ("--db", db_url, "--actor", "agent@example.com")
    facts = {"bug_confirmed": True, "needs_code_change": True, "blocked": True}
    first, second, third = ({**t, "facts": {**t["facts"], **facts}} for t in EXPORT_500)
    opened = escalate(*db, "open", write(tmp_path, "first.json", first), "--now", NOW)
    assert opened.returncode == 0, opened.stderr
    assert opened.stdout.strip() == "ESC-1"
    assert "resembles" not in opened.stderr

    linked = escalate(*db, "open", write(tmp_path, "second.json", second), "--link-if-match",
                      "--now", NOW)
    assert linked.returncode == 0, linked.stderr
    assert linked.stdout.strip() == "ESC-1"
    assert "linked to ESC-1" in linked.stderr
    assert "2 customers affected" in linked.stderr
    shown = json.loads(ok(*db, "show", "ESC-1", "--format", "json", "--now", NOW))
    assert shown["escalation"]["customers_affected"] == 2

    third_path = write(tmp_path, "third.json", third)
    noted = escalate(*db, "open", third_path, "--now", NOW)
    assert noted.returncode == 0, noted.stderr
    assert noted.stdout.strip() == "ESC-2"
    assert "note: this ticket resembles ESC-1 (similarity " in noted.stderr
    assert f"escalate link {third_path} ESC-1" in noted.stderr

    unrelated = {**HOW_TO, "id": "ZD-950", "facts": {"category": "bug", **facts}}
    other = escalate(*db, "open", write(tmp_path, "other.json", unrelated), "--link-if-match",
                     "--now", NOW)
    assert other.returncode == 0, other.stderr
    assert other.stdout.strip() == "ESC-3"
    assert "resembles" not in other.stderr and "linked" not in other.stderr


@pytest.mark.slow
def test_the_shipped_pattern_example_groups_by_issue_in_both_languages() -> None:
    example = Path(__file__).parents[2] / "examples" / "patterns" / "tickets.json"
    clusters = json.loads(ok("patterns", str(example)))["clusters"]
    groups = [(c["ticket_ids"], c["signals"]) for c in clusters]
    assert groups == [
        (["ZD-2101", "ZD-2107", "ZD-2115"], ["three_plus_customers"]),  # late webhooks
        (["ZD-2124", "ZD-2131"], []),  # CSV export 500
        (["ZD-2140", "ZD-2146"], []),  # the report export, in Chinese
    ]  # and the how-to question (ZD-2120) stays alone


@pytest.mark.slow
def test_db_may_follow_the_command_as_the_issue_writes_it(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'desk.db'}"
    ok("patterns", write(tmp_path, "batch.json", EXPORT_500), "--db", db)
    out = json.loads(ok("assess", write(tmp_path, "fourth.json", FOURTH), "--db", db,
                        "--now", "2026-11-26T10:00:00Z"))
    reasons = {r["code"]: r["text"] for r in out["reasons"]}
    assert reasons["pattern.three_plus_customers"].endswith("ZD-101, ZD-102, ZD-103, ZD-104")
    # Without the store nothing is derived: the count came from the index.
    alone = json.loads(ok("assess", write(tmp_path, "alone.json", FOURTH),
                          "--now", "2026-11-26T10:00:00Z"))
    assert "pattern.three_plus_customers" not in {r["code"] for r in alone["reasons"]}
