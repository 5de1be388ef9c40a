"""Importers on genuine helpdesk payloads (tests/fixtures/importers, see its README) and the
import service over a real store: counts, mapped fields, idempotent re-import, updates,
skipped records with their position, CSV column mapping, streaming."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from escalation.adapters.db.store import Store
from escalation.adapters.importers import SOURCES, importer
from escalation.adapters.importers._stream import json_records
from escalation.adapters.policy_file import load_policy
from escalation.domain.contract import ticket_from_mapping
from escalation.imports import ImportFailedError, import_file

FIXTURES = Path(__file__).parent.parent / "fixtures" / "importers"
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
ACTOR = "importer@example.com"


def mapped(source: str, name: str, mapping: dict[str, Any] | None = None
           ) -> list[dict[str, Any]]:
    records, to_ticket = importer(source)
    with (FIXTURES / name).open(encoding="utf-8") as stream:
        out = [to_ticket(record, mapping) for _, record in records(stream)]
    for ticket in out:
        ticket_from_mapping(ticket)  # every mapped record is a valid contract ticket
    return out


def run(store: Store, source: str, path: Path | str,
        mapping: dict[str, Any] | None = None) -> Any:
    return import_file(store, load_policy(None), source, path, mapping, NOW, ACTOR)


# --- each importer on its genuine payloads ---------------------------------------------------


def test_zendesk_incremental_export_pages() -> None:
    tickets = mapped("zendesk", "zendesk_incremental.json")
    assert len(tickets) == 22  # 22 pages of one ticket; ticket 103 appears twice
    assert len({t["id"] for t in tickets}) == 21
    assert tickets[0] == {
        "id": "zendesk-103", "subject": "test", "description": "test",
        "created_at": "2023-09-18T15:58:42+00:00",
        "customer": {"id": "zendesk-org-6130869157658"}, "status": "new",
    }


def test_zendesk_ticket_with_priority_tags_and_mapping() -> None:
    mapping = {"import": {"zendesk": {
        "category_by_tag": {"sample": "how_to"},
        "facts_by_priority": {"high": {"blocked": True}},
        "customers": {"256244608": {"name": "Acme Corp", "arr": 250000, "plan": "enterprise"}},
    }}}
    default, = mapped("zendesk", "zendesk_ticket.json")
    assert default["id"] == "zendesk-1"
    assert default["facts"] == {"category": "bug"}  # type incident, no tag names a category
    assert "blocked" not in default["facts"]  # priority asserts nothing by default
    ticket, = mapped("zendesk", "zendesk_ticket.json", mapping)
    assert ticket["facts"] == {"category": "how_to", "blocked": True}
    assert ticket["customer"] == {"id": "zendesk-org-256244608", "name": "Acme Corp",
                                  "arr": 250000, "plan": "enterprise"}
    assert ticket["created_at"] == "2015-07-25T02:21:13+00:00"


def test_zendesk_api_page() -> None:
    ticket, = mapped("zendesk", "zendesk_tickets_page.json")
    assert ticket["id"] == "zendesk-4013"
    assert ticket["subject"] == "test"


def test_jira_search_pages() -> None:
    tickets = mapped("jira", "jira_search.json")
    assert [t["id"] for t in tickets] == ["jira-HELP-6043", "jira-HELP-6042", "jira-HELP-6041"]
    first = tickets[0]
    assert first["subject"] == "[Fiware-lab-help] FIWARE Lab Assistance"
    assert first["created_at"] == "2016-03-03T13:40:01+00:00"
    assert first["url"] == "https://jira.fiware.org/browse/HELP-6043"
    assert first["customer"] == {"id": "jira-org-HELP", "name": "Help-Desk"}
    blocked = mapped("jira", "jira_search.json",
                     {"import": {"jira": {"facts_by_priority": {"major": {"blocked": True}},
                                          "category_by_tag": {"FIWARE-LAB-HELP": "how_to"}}}})
    assert blocked[0]["facts"] == {"category": "how_to", "blocked": True}


def test_github_issue_pages() -> None:
    tickets = mapped("github", "github_issues.json")
    assert len(tickets) == 13
    assert tickets[0]["id"] == "github-octokit-fixture-org-paginate-issues-13"
    assert tickets[-1]["id"] == "github-octokit-fixture-org-paginate-issues-1"
    assert tickets[0]["subject"] == "Test issue 13"
    assert tickets[0]["url"] == "https://github.com/octokit-fixture-org/paginate-issues/issues/13"
    assert tickets[0]["customer"]["id"] == "github-org-octokit-fixture-org"


def test_freshdesk_list_search_and_single() -> None:
    listed, = mapped("freshdesk", "freshdesk_tickets.json")
    assert listed["id"] == "freshdesk-1"
    assert listed["subject"] == "This is a sample ticket"
    assert listed["created_at"] == "2014-12-31T12:27:09+10:00"
    assert listed["facts"] == {"category": "how_to"}  # ticket_type Question
    assert len(mapped("freshdesk", "freshdesk_search.json")) == 2
    single, = mapped("freshdesk", "freshdesk_ticket.json")
    assert single["description"] == "This is a sample ticket, feel free to delete it."


def test_intercom_conversations_and_tickets() -> None:
    conversation, ticket = mapped("intercom", "intercom_conversations.json")
    assert conversation["id"] == "intercom-335"
    assert conversation["description"] == "this is the message body"
    assert conversation["created_at"] == "2024-06-27T12:53:15+00:00"
    assert conversation["customer"] == {"id": "intercom-org-70"}
    assert ticket["id"] == "intercom-ticket-53"
    assert ticket["subject"] == "attribute_value"


def test_every_source_is_registered() -> None:
    assert set(SOURCES) == {"zendesk", "freshdesk", "jira", "intercom", "github", "csv"}


def test_records_stream_one_at_a_time() -> None:
    """A page far larger than the read chunk still yields records as they are decoded."""
    many = {"tickets": [{"id": i, "subject": "x" * 300} for i in range(2000)], "count": 2000}

    class Counting(io.StringIO):
        reads = 0

        def read(self, size: int | None = -1) -> str:
            Counting.reads += 1
            return super().read(size)

    stream = Counting(json.dumps(many))
    first = next(iter(json_records(stream, ("tickets",))))
    assert first["id"] == 0
    assert Counting.reads == 1  # only the first chunk was read for the first record


# --- the import service over a store ---------------------------------------------------------


def test_import_is_idempotent_and_indexed(store: Store) -> None:
    first = run(store, "zendesk", FIXTURES / "zendesk_incremental.json")
    assert (first.new, first.updated, first.unchanged, first.skipped) == (21, 0, 1, [])
    again = run(store, "zendesk", FIXTURES / "zendesk_incremental.json")
    assert (again.new, again.updated, again.unchanged) == (0, 0, 22)
    with store.unit_of_work(read_only=True) as uow:
        ticket = uow.get_ticket("zendesk-103")
        assert ticket is not None and ticket.subject == "test"
        assert set(uow.patterns.indexed(["zendesk-103", "zendesk-92"])) == {
            "zendesk-103", "zendesk-92"}
        imported = [e for e in uow.events() if e.action == "tickets.imported"]
    assert [e.details["new"] for e in imported] == [21, 0]
    assert imported[-1].details["unchanged"] == 22


def test_changed_record_counts_as_updated(store: Store, tmp_path: Path) -> None:
    run(store, "jira", FIXTURES / "jira_search.json")
    text = (FIXTURES / "jira_search.json").read_text(encoding="utf-8")
    changed = tmp_path / "jira.json"
    changed.write_text(text.replace("[Fiware-lab-help] FIWARE Lab Assistance",
                                    "[Fiware-lab-help] Lab down", 1), encoding="utf-8")
    summary = run(store, "jira", changed)
    assert (summary.new, summary.updated, summary.unchanged) == (0, 1, 2)
    with store.unit_of_work(read_only=True) as uow:
        ticket = uow.get_ticket("jira-HELP-6043")
    assert ticket is not None and ticket.subject == "[Fiware-lab-help] Lab down"


def test_bad_records_are_skipped_with_position(store: Store, tmp_path: Path) -> None:
    records, _ = importer("github")
    with (FIXTURES / "github_issues.json").open(encoding="utf-8") as stream:
        page: list[Any] = [record for _, record in records(stream)][:3]
    page[1]["created_at"] = "yesterday"
    page.insert(2, "not an issue")
    path = tmp_path / "issues.json"
    path.write_text(json.dumps(page), encoding="utf-8")
    summary = run(store, "github", path)
    assert (summary.new, summary.updated, summary.unchanged) == (2, 0, 0)
    assert [p for p, _ in summary.skipped] == [2, 3]
    assert "created_at" in summary.skipped[0][1]
    assert "GitHub issue" in summary.skipped[1][1]


def test_pull_requests_are_skipped(store: Store) -> None:
    summary = run(store, "github", FIXTURES / "github_pull_request.json")
    assert summary.skipped == [(1, "#1 is a pull request")]
    included = run(store, "github", FIXTURES / "github_pull_request.json",
                   {"import": {"github": {"include_pull_requests": True}}})
    assert included.new == 1


def test_csv_with_column_mapping(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Ticket ID,Title,Opened,Org,ARR (USD),Prio,Labels\n"
        "481,Checkout returns 500,2026-11-25T09:00:00Z,Acme,\"250,000\",Urgent,bug checkout\n"
        "482,How do I export?,2026-11-25T10:00:00+01:00,Globex,,Low,question\n"
        "483,Broken date,last tuesday,Initech,,Low,\n",
        encoding="utf-8")
    mapping = {"import": {"csv": {
        "id_prefix": "zendesk", "tag_separator": " ",
        "columns": {"id": "Ticket ID", "subject": "Title", "created_at": "Opened",
                    "customer.id": "Org", "customer.name": "Org",
                    "customer.arr": "ARR (USD)", "priority": "Prio", "tags": "Labels"},
        "facts_by_priority": {"urgent": {"blocked": True}},
    }}}
    summary = run(store, "csv", path, mapping)
    assert (summary.new, summary.skipped[0][0]) == (2, 3)
    assert "created_at" in summary.skipped[0][1]
    with store.unit_of_work(read_only=True) as uow:
        ticket = uow.get_ticket("zendesk-481")
        other = uow.get_ticket("zendesk-482")
    assert ticket is not None and other is not None
    assert ticket.customer.arr == 250000
    assert ticket.customer.name == "Acme"
    assert ticket.facts.blocked is True
    assert ticket.facts.category == "bug"
    assert other.facts.category == "how_to"
    assert other.facts.blocked is not True


def test_unreadable_file_fails_clearly(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"tickets": [{"id": 1}, {"id": 2,', encoding="utf-8")
    with pytest.raises(ImportFailedError, match="not valid JSON"):
        run(store, "zendesk", path)
    with pytest.raises(ImportFailedError, match="unknown source"):
        run(store, "servicenow", path)


def test_a_real_csv_export_without_ids_imports_by_row(store: Store) -> None:
    """IT service tickets (CC0): text and a topic per row, no id column."""
    mapping = {"import": {"csv": {
        "id_prefix": "it", "columns": {"id": "#row", "description": "Document",
                                       "tags": "Topic_group"},
        "category_by_tag": {"Access": "account", "Hardware": "other"},
    }}}
    first = run(store, "csv", FIXTURES / "it_service_tickets_sample.csv", mapping)
    assert (first.new, first.updated, first.skipped) == (40, 0, [])
    with store.unit_of_work(read_only=True) as uow:
        second_row = uow.get_ticket("it-2")
    assert second_row is not None
    assert second_row.description is not None
    assert second_row.description.startswith("work experience user")
    assert second_row.facts.category is not None and second_row.facts.category.value == "account"
    again = run(store, "csv", FIXTURES / "it_service_tickets_sample.csv", mapping)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 40)
