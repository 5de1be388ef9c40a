"""`escalate brief --format jira|github|linear` and `escalate handoff`, as real processes.

The trackers are a real HTTP server on 127.0.0.1 that checks method, path, auth and payload
and answers the way Jira, GitHub and Linear do.
"""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from cli_support import escalate as run_escalate

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOW = "2026-11-26T10:00:00Z"


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Tracker:
    """A fake tracker: answers `status` with `answer` and keeps every request it got."""

    url: str
    status: int = 201
    answer: Any = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)


@pytest.fixture
def tracker() -> Iterator[Tracker]:
    state = Tracker(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            state.requests.append(Request(
                "POST", self.path, {k.lower(): v for k, v in self.headers.items()},
                json.loads(raw) if raw else None))
            body = json.dumps(state.answer).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    opened = escalate(url, "open", str(EXAMPLES / "01-checkout-500-engineering.json"),
                      "--now", NOW)
    assert opened.returncode == 0, opened.stderr
    assert opened.stdout.strip() == "ESC-1"
    return url


def escalate(db: str, *args: str, env: dict[str, str] | None = None,
             ) -> subprocess.CompletedProcess[str]:
    return run_escalate("--db", db, "--actor", "alice", *args,
                        env={"NO_PROXY": "127.0.0.1,localhost", **(env or {})})


def handoffs(db: str) -> list[dict[str, Any]]:
    result = escalate(db, "timeline", "ESC-1", "--format", "json")
    assert result.returncode == 0, result.stderr
    return [e for e in json.loads(result.stdout) if e["action"] == "escalation.handed_off"]


# --- brief --format ------------------------------------------------------------------------------


def test_brief_of_a_stored_escalation_as_tracker_payloads(db: str) -> None:
    jira = escalate(db, "brief", "ESC-1", "--format", "jira", "--project", "PAY", "--now", NOW)
    assert jira.returncode == 0, jira.stderr
    fields = json.loads(jira.stdout)["fields"]
    assert fields["project"] == {"key": "PAY"}
    assert fields["summary"].startswith("[ESC-1] Checkout returns HTTP 500")
    assert fields["description"]["type"] == "doc"
    assert fields["priority"] == {"name": "High"}
    github = json.loads(escalate(db, "brief", "ESC-1", "--format", "github", "--now", NOW).stdout)
    assert github["body"].startswith("## ESCALATION: Checkout returns HTTP 500")
    linear = json.loads(escalate(db, "brief", "esc-1", "--format", "linear", "--lang", "zh",
                                 "--now", NOW).stdout)
    assert linear["priority"] == 2 and "严重度" in linear["description"]
    # The old formats still work, from a file and from the store.
    md = escalate(db, "brief", str(EXAMPLES / "01-checkout-500-engineering.json"),
                  "--format", "markdown", "--now", NOW)
    assert md.returncode == 0 and md.stdout.startswith("## ESCALATION")
    text = escalate(db, "brief", "ESC-1", "--now", NOW)
    assert text.returncode == 0 and "ESCALATION" in text.stdout
    bad = escalate(db, "brief", "ESC-1", "--format", "trello")
    assert bad.returncode == 2


def test_brief_of_a_ticket_file_as_jira(tmp_path: Path) -> None:
    result = escalate(f"sqlite:///{tmp_path / 'unused.db'}", "brief",
                      str(EXAMPLES / "14-calendar-sync-data-loss-critical.json"),
                      "--format", "jira", "--now", NOW)
    assert result.returncode == 0, result.stderr
    fields = json.loads(result.stdout)["fields"]
    assert fields["priority"] == {"name": "Highest"}
    assert "severity-critical" in fields["labels"]


# --- handoff -------------------------------------------------------------------------------------


def test_handoff_to_jira_posts_the_issue_and_audits_it(db: str, tracker: Tracker) -> None:
    tracker.answer = {"id": "10042", "key": "PAY-24", "self": f"{tracker.url}/rest/api/3/issue/1"}
    result = escalate(db, "handoff", "ESC-1", "--to", "jira", "--url", tracker.url,
                      "--project", "PAY", "--now", "2026-11-26T10:30:00Z",
                      env={"JIRA_TOKEN": "alice@example.com:s3cret"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"ESC-1: handed off to jira as PAY-24 {tracker.url}/browse/PAY-24")
    [request] = tracker.requests
    assert (request.method, request.path) == ("POST", "/rest/api/3/issue")
    expected = base64.b64encode(b"alice@example.com:s3cret").decode()
    assert request.headers["authorization"] == f"Basic {expected}"
    assert request.headers["content-type"] == "application/json"
    fields = request.body["fields"]
    assert fields["project"] == {"key": "PAY"}
    assert fields["issuetype"] == {"name": "Bug"}
    assert fields["labels"] == ["escalation", "severity-high", "engineering"]
    assert fields["description"]["version"] == 1
    [event] = handoffs(db)
    assert event["actor"] == "alice"
    assert event["escalation_id"] == "ESC-1"
    assert event["details"]["tracker"] == "jira"
    assert event["details"]["issue_key"] == "PAY-24"
    assert "s3cret" not in json.dumps(event)
    verify = escalate(db, "audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_handoff_to_jira_with_a_bearer_token_from_a_named_variable(
    db: str, tracker: Tracker
) -> None:
    tracker.answer = {"id": "1", "key": "ESC-9"}
    result = escalate(db, "handoff", "1", "--to", "jira", "--url", tracker.url + "/",
                      "--token-env", "MY_JIRA_PAT", "--now", NOW, env={"MY_JIRA_PAT": "pat-123"})
    assert result.returncode == 0, result.stderr
    [request] = tracker.requests
    assert request.path == "/rest/api/3/issue"
    assert request.headers["authorization"] == "Bearer pat-123"
    assert request.body["fields"]["project"] == {"key": "ESC"}


def test_handoff_to_github(db: str, tracker: Tracker) -> None:
    tracker.answer = {"number": 42, "html_url": "https://github.com/acme/shop/issues/42"}
    result = escalate(db, "handoff", "ESC-1", "--to", "github", "--url", tracker.url,
                      "--repo", "acme/shop", "--now", NOW, env={"GITHUB_TOKEN": "ghp_x"})
    assert result.returncode == 0, result.stderr
    assert "acme/shop#42 https://github.com/acme/shop/issues/42" in result.stdout
    [request] = tracker.requests
    assert request.path == "/repos/acme/shop/issues"
    assert request.headers["authorization"] == "Bearer ghp_x"
    assert request.headers["accept"] == "application/vnd.github+json"
    assert set(request.body) == {"title", "body", "labels"}
    assert request.body["title"].startswith("[ESC-1] ")
    assert request.body["body"].startswith("## ESCALATION:")
    [event] = handoffs(db)
    assert event["details"]["tracker"] == "github"
    assert event["details"]["issue_key"] == "acme/shop#42"


def test_handoff_to_linear_uses_the_issue_create_mutation(db: str, tracker: Tracker) -> None:
    tracker.status = 200
    tracker.answer = {"data": {"issueCreate": {"success": True, "issue": {
        "id": "uuid-1", "identifier": "ENG-7", "url": "https://linear.app/acme/issue/ENG-7"}}}}
    result = escalate(db, "handoff", "ESC-1", "--to", "linear", "--url", tracker.url,
                      "--team", "team-uuid", "--lang", "zh", "--now", NOW,
                      env={"LINEAR_API_KEY": "lin_api_x"})
    assert result.returncode == 0, result.stderr
    assert "ENG-7" in result.stdout
    [request] = tracker.requests
    assert request.path == "/graphql"
    assert request.headers["authorization"] == "lin_api_x"
    assert "issueCreate" in request.body["query"]
    issue_input = request.body["variables"]["input"]
    assert issue_input["teamId"] == "team-uuid"
    assert issue_input["priority"] == 2
    assert issue_input["labelNames"] == ["escalation", "severity-high", "engineering"]
    assert "严重度" in issue_input["description"]
    [event] = handoffs(db)
    assert event["details"]["issue_key"] == "ENG-7"


def test_linear_graphql_errors_are_a_failure(db: str, tracker: Tracker) -> None:
    tracker.status = 200
    tracker.answer = {"errors": [{"message": "Argument Validation Error"}]}
    result = escalate(db, "handoff", "ESC-1", "--to", "linear", "--url", tracker.url,
                      "--now", NOW, env={"LINEAR_API_KEY": "k"})
    assert result.returncode == 2
    assert "Argument Validation Error" in result.stderr
    assert handoffs(db) == []


def test_a_server_error_exits_2_and_records_nothing(db: str, tracker: Tracker) -> None:
    tracker.status = 500
    tracker.answer = {"errorMessages": ["Internal server error"]}
    result = escalate(db, "handoff", "ESC-1", "--to", "jira", "--url", tracker.url,
                      "--now", NOW, env={"JIRA_TOKEN": "t"})
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "HTTP 500" in lines[0] and "ESC-1: not handed off" in lines[0]
    assert len(tracker.requests) == 1
    assert handoffs(db) == []


def test_a_refused_issue_exits_2(db: str, tracker: Tracker) -> None:
    tracker.status = 401
    tracker.answer = {"message": "Bad credentials"}
    result = escalate(db, "handoff", "ESC-1", "--to", "github", "--url", tracker.url,
                      "--repo", "acme/shop", "--now", NOW, env={"GITHUB_TOKEN": "bad"})
    assert result.returncode == 2
    assert "HTTP 401" in result.stderr and "Bad credentials" in result.stderr
    assert handoffs(db) == []


def test_connection_refused_exits_2_and_records_nothing(db: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = escalate(db, "handoff", "ESC-1", "--to", "jira", "--url",
                      f"http://127.0.0.1:{port}", "--now", NOW, env={"JIRA_TOKEN": "t"})
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "could not reach jira at http://127.0.0.1" in result.stderr
    assert "Traceback" not in result.stderr
    assert handoffs(db) == []


def test_missing_token_repo_url_or_escalation_are_one_line_errors(
    db: str, tracker: Tracker
) -> None:
    env = {"JIRA_TOKEN": "", "GITHUB_TOKEN": "g"}
    no_token = escalate(db, "handoff", "ESC-1", "--to", "jira", "--url", tracker.url, env=env)
    assert no_token.returncode == 2 and "JIRA_TOKEN" in no_token.stderr
    no_url = escalate(db, "handoff", "ESC-1", "--to", "jira", env={"JIRA_TOKEN": "t"})
    assert no_url.returncode == 2 and "--url is required" in no_url.stderr
    no_repo = escalate(db, "handoff", "ESC-1", "--to", "github", "--url", tracker.url, env=env)
    assert no_repo.returncode == 2 and "--repo" in no_repo.stderr
    unknown = escalate(db, "handoff", "ESC-99", "--to", "github", "--url", tracker.url,
                       "--repo", "a/b", env=env)
    assert unknown.returncode == 2 and "ESC-99" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    assert tracker.requests == []
    assert handoffs(db) == []
