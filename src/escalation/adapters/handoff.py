"""Post an issue payload to Jira, GitHub or Linear, and record the hand-off in the audit trail.

`create_issue` makes one HTTP call and returns the created issue's key and URL, or raises
`HandoffError` with one line fit for a person (no secrets, no paths of the tracker's URL).
`record_handoff` appends the "escalation.handed_off" event; call it only after a success.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

from escalation.adapters.notify._http import receiver

if TYPE_CHECKING:
    from escalation.adapters.db.store import Store
    from escalation.domain.audit import AuditEvent

HANDED_OFF = "escalation.handed_off"
DEFAULT_TIMEOUT = 15.0
DEFAULT_URLS: Mapping[str, str] = {
    "github": "https://api.github.com",
    "linear": "https://api.linear.app",
}
DEFAULT_TOKEN_ENV: Mapping[str, str] = {
    "jira": "JIRA_TOKEN",
    "github": "GITHUB_TOKEN",
    "linear": "LINEAR_API_KEY",
}

LINEAR_ISSUE_CREATE = (
    "mutation IssueCreate($input: IssueCreateInput!) { "
    "issueCreate(input: $input) { success issue { id identifier url } } }"
)


class HandoffError(Exception):
    """The tracker could not be reached or did not create the issue."""


@dataclass(frozen=True, slots=True)
class CreatedIssue:
    """The issue the tracker created: its key ("ESC-24", "acme/shop#42", "ENG-7") and URL."""

    tracker: str
    key: str
    url: str


def create_issue(
    tracker: str,
    payload: Mapping[str, Any],
    base_url: str,
    token: str,
    *,
    repo: str | None = None,
    team: str | None = None,
    client: httpx.Client | None = None,
) -> CreatedIssue:
    """POST `payload` to the tracker at `base_url`; the created issue, or `HandoffError`."""
    base = base_url.rstrip("/")
    own = client is None
    http = client or httpx.Client(timeout=httpx.Timeout(DEFAULT_TIMEOUT), follow_redirects=False)
    try:
        if tracker == "jira":
            return _jira(http, base, payload, token)
        if tracker == "github":
            if not repo or repo.count("/") != 1 or "" in repo.split("/"):
                raise HandoffError("github: --repo OWNER/NAME is required")
            return _github(http, base, payload, token, repo)
        if tracker == "linear":
            return _linear(http, base, payload, token, team)
        raise HandoffError(f"unknown tracker {tracker!r}: expected jira, github or linear")
    finally:
        if own:
            http.close()


def jira_auth(token: str) -> str:
    """`user@example.com:api-token` is Basic auth (Jira Cloud), anything else a Bearer PAT."""
    if ":" in token:
        return "Basic " + base64.b64encode(token.encode("utf-8")).decode("ascii")
    return f"Bearer {token}"


def _jira(http: httpx.Client, base: str, payload: Mapping[str, Any], token: str) -> CreatedIssue:
    data = _post(http, "jira", f"{base}/rest/api/3/issue", payload, {
        "Authorization": jira_auth(token), "Accept": "application/json"})
    key = data.get("key")
    if not isinstance(key, str) or not key:
        raise HandoffError(f"jira at {receiver(base)} answered without an issue key")
    return CreatedIssue("jira", key, f"{base}/browse/{key}")


def _github(
    http: httpx.Client, base: str, payload: Mapping[str, Any], token: str, repo: str
) -> CreatedIssue:
    data = _post(http, "github", f"{base}/repos/{repo}/issues", payload, {
        "Authorization": f"Bearer {token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    })
    number = data.get("number")
    if not isinstance(number, int):
        raise HandoffError(f"github at {receiver(base)} answered without an issue number")
    return CreatedIssue("github", f"{repo}#{number}", str(data.get("html_url") or ""))


def _linear(
    http: httpx.Client, base: str, payload: Mapping[str, Any], token: str, team: str | None
) -> CreatedIssue:
    issue_input = dict(payload)
    if team:
        issue_input["teamId"] = team
    data = _post(http, "linear", f"{base}/graphql", {
        "query": LINEAR_ISSUE_CREATE, "variables": {"input": issue_input},
    }, {"Authorization": token})  # Linear API keys go as they are; OAuth tokens carry "Bearer "
    errors = data.get("errors")
    if errors:
        first = errors[0].get("message") if isinstance(errors, list) and errors and isinstance(
            errors[0], dict) else errors
        raise HandoffError(f"linear at {receiver(base)} refused the issue: {first}")
    created = (data.get("data") or {}).get("issueCreate") or {}
    issue = created.get("issue") or {}
    key = issue.get("identifier")
    if not created.get("success") or not isinstance(key, str):
        raise HandoffError(f"linear at {receiver(base)} did not create the issue")
    return CreatedIssue("linear", key, str(issue.get("url") or ""))


def _post(
    http: httpx.Client, tracker: str, url: str, body: Mapping[str, Any],
    headers: Mapping[str, str],
) -> dict[str, Any]:
    where = f"{tracker} at {receiver(url)}"
    try:
        response = http.post(url, json=dict(body), headers={
            "User-Agent": "escalation-desk", **headers})
    except httpx.TimeoutException as exc:
        raise HandoffError(f"{where} did not answer in time") from exc
    except httpx.TransportError as exc:
        raise HandoffError(f"could not reach {where}: {exc or type(exc).__name__}") from exc
    if not 200 <= response.status_code < 300:
        said = " ".join(response.text.split())[:200]
        raise HandoffError(
            f"{where} answered HTTP {response.status_code}" + (f": {said}" if said else ""))
    try:
        data = response.json()
    except ValueError as exc:
        raise HandoffError(f"{where} answered with something that is not JSON") from exc
    if not isinstance(data, dict):
        raise HandoffError(f"{where} answered with unexpected JSON")
    return data


def record_handoff(
    store: Store, at: datetime, actor: str, escalation_id: str, issue: CreatedIssue,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append "escalation.handed_off" with the tracker and issue key (NotFoundError if unknown)."""
    with store.unit_of_work() as uow:
        escalation = uow.get_escalation(escalation_id)
        return uow.append_event(at, actor, HANDED_OFF, escalation.id, {
            "tracker": issue.tracker, "issue_key": issue.key, "issue_url": issue.url,
            **(details or {}),
        })
