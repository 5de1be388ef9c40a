"""Intake webhooks over HTTP (TestClient on the test database): signed Zendesk, Jira and generic
posts are mapped, stored, indexed and assessed; bad signatures 401, unconfigured sources 403,
invalid tickets 422 naming the field; the auto-open policy; re-posts update, not duplicate."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api_support import API, Api, error_of, example, running_api
from escalation.adapters.importers import jira
from escalation.web.settings import WebSettings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "importers"
SECRETS = {"zendesk": "zd-secret", "jira": "jira-secret", "generic": "generic-secret"}
TIMESTAMP = "2026-11-26T10:00:00Z"


@pytest.fixture
def api(db_url: str) -> Iterator[Api]:
    with running_api(db_url, intake_secrets=SECRETS,
                     intake_auto_open=("critical", "security")) as running:
        yield running


def _body(payload: Any) -> bytes:
    return json.dumps(payload).encode("utf-8")


def _signed(source: str, body: bytes, secret: str | None = None) -> dict[str, str]:
    key = (secret or SECRETS[source]).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    if source == "zendesk":
        digest = hmac.new(key, TIMESTAMP.encode("utf-8") + body, hashlib.sha256).digest()
        headers["X-Zendesk-Webhook-Signature"] = base64.b64encode(digest).decode("ascii")
        headers["X-Zendesk-Webhook-Signature-Timestamp"] = TIMESTAMP
    else:
        name = "X-Hub-Signature" if source == "jira" else "X-Escalation-Signature"
        headers[name] = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
    return headers


def _post(api: Api, source: str, payload: Any, secret: str | None = None) -> Any:
    body = _body(payload)
    return api.client.post(f"{API}/intake/{source}", content=body,
                           headers=_signed(source, body, secret))


def _ok(answer: Any) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    return data


def _zendesk_ticket() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (FIXTURES / "zendesk_ticket.json").read_text(encoding="utf-8"))
    return data.get("ticket", data)


def _jira_issue() -> dict[str, Any]:
    with (FIXTURES / "jira_search.json").open(encoding="utf-8") as stream:
        _position, issue = next(iter(jira.records(stream)))
    return dict(issue)


def _events(api: Api, kind: str) -> list[Any]:
    with api.store.unit_of_work(read_only=True) as uow:
        return [e for e in uow.events() if e.action == kind]


def test_signed_zendesk_webhook_is_stored_indexed_and_assessed(api: Api) -> None:
    data = _ok(_post(api, "zendesk", {"ticket": _zendesk_ticket()}))
    assert data["ticket_id"] == "zendesk-1"
    assert data["assessment"]["ticket_id"] == "zendesk-1"
    assert data["assessment"]["decision"] in ("escalate", "handle_in_support")
    assert data["escalation"] is None
    with api.store.unit_of_work(read_only=True) as uow:
        stored = uow.get_ticket("zendesk-1")
        assert stored is not None
        assert stored.subject.startswith("This is a sample ticket")
        assert uow.patterns.indexed(["zendesk-1"])


def test_a_bare_zendesk_ticket_object_is_accepted(api: Api) -> None:
    assert _ok(_post(api, "zendesk", _zendesk_ticket()))["ticket_id"] == "zendesk-1"


def test_signed_jira_webhook_maps_the_issue(api: Api) -> None:
    issue = _jira_issue()
    data = _ok(_post(api, "jira", {"webhookEvent": "jira:issue_created", "issue": issue}))
    assert data["ticket_id"] == f"jira-{issue['key']}"
    with api.store.unit_of_work(read_only=True) as uow:
        assert uow.get_ticket(data["ticket_id"]) is not None


def test_a_deleted_jira_issue_is_skipped(api: Api) -> None:
    data = _ok(_post(api, "jira", {"webhookEvent": "jira:issue_deleted",
                                   "issue": _jira_issue()}))
    assert data["ticket_id"] is None
    assert "deleted" in data["skipped"]


def test_signed_generic_ticket_is_assessed_without_opening_below_the_policy(api: Api) -> None:
    data = _ok(_post(api, "generic", example("02")))
    assert data["ticket_id"] == example("02")["id"]
    assert data["assessment"]["decision"] == "escalate"
    assert data["assessment"]["severity"] not in ("critical",)
    assert data["assessment"]["target"] != "security"
    assert data["escalation"] is None


@pytest.mark.parametrize("source", ["zendesk", "jira", "generic"])
def test_a_bad_signature_is_401(api: Api, source: str) -> None:
    answer = _post(api, source, example("01"), secret="wrong")
    body = error_of(answer, 401, "unauthorized")
    assert "signature" in body["detail"]


@pytest.mark.parametrize("source", ["zendesk", "jira", "generic"])
def test_a_missing_signature_is_401(api: Api, source: str) -> None:
    answer = api.client.post(f"{API}/intake/{source}", content=_body(example("01")))
    error_of(answer, 401, "unauthorized")


def test_a_tampered_body_is_401(api: Api) -> None:
    headers = _signed("generic", _body(example("01")))
    tampered = example("01") | {"subject": "something else"}
    answer = api.client.post(f"{API}/intake/generic", content=_body(tampered), headers=headers)
    error_of(answer, 401, "unauthorized")


def test_a_source_without_a_secret_is_403_naming_the_variable(db_url: str) -> None:
    with running_api(db_url, intake_secrets={"jira": "x"}) as api:
        body = error_of(_post(api, "zendesk", _zendesk_ticket()), 403, "forbidden")
        assert "ESCALATION_INTAKE_SECRET_ZENDESK" in body["detail"]


def test_an_unknown_source_is_404(api: Api) -> None:
    body = error_of(api.client.post(f"{API}/intake/freshdesk", content=b"{}"), 404, "not_found")
    assert "zendesk, jira, generic" in body["detail"]


def test_an_invalid_ticket_is_422_naming_the_field(api: Api) -> None:
    ticket = example("01")
    ticket["customer"]["arr"] = "lots"
    body = error_of(_post(api, "generic", ticket), 422, "invalid_input")
    assert body["field"] == "customer.arr"
    with api.store.unit_of_work(read_only=True) as uow:
        assert uow.get_ticket(ticket["id"]) is None


def test_a_body_that_is_not_json_is_422(api: Api) -> None:
    body = b"not json"
    answer = api.client.post(f"{API}/intake/generic", content=body,
                             headers=_signed("generic", body))
    error_of(answer, 422, "invalid_input")


@pytest.mark.parametrize("name", ["14", "04"])
def test_critical_or_security_tickets_are_opened_by_policy(api: Api, name: str) -> None:
    ticket = example(name)
    data = _ok(_post(api, "generic", ticket))
    assessment = data["assessment"]
    assert assessment["severity"] == "critical" or assessment["target"] == "security"
    escalation_id = data["escalation"]
    assert escalation_id is not None
    with api.store.unit_of_work(read_only=True) as uow:
        escalation = uow.get_escalation(escalation_id)
    assert escalation.ticket_id == ticket["id"]
    assert escalation.owner == "intake:generic"
    opened = _events(api, "escalation.opened")
    assert [e.actor for e in opened] == ["intake:generic"]


def test_no_auto_open_without_the_policy(db_url: str) -> None:
    with running_api(db_url, intake_secrets=SECRETS) as api:
        data = _ok(_post(api, "generic", example("14")))
        assert data["assessment"]["severity"] == "critical"
        assert data["escalation"] is None
        assert _events(api, "escalation.opened") == []


def test_a_repost_updates_instead_of_duplicating(api: Api) -> None:
    ticket = example("14")
    first = _ok(_post(api, "generic", ticket))
    assert first["outcome"] == "new"
    again = _ok(_post(api, "generic", ticket))
    assert again["outcome"] == "unchanged"
    changed = ticket | {"subject": ticket["subject"] + " (update)"}
    third = _ok(_post(api, "generic", changed))
    assert third["outcome"] == "updated"
    # One escalation, reported on every post; one stored ticket with the latest text.
    assert first["escalation"] == again["escalation"] == third["escalation"]
    assert len(_events(api, "escalation.opened")) == 1
    with api.store.unit_of_work(read_only=True) as uow:
        assert len(uow.escalations_for_ticket(ticket["id"])) == 1
        stored = uow.get_ticket(ticket["id"])
        assert stored is not None and stored.subject.endswith("(update)")


def test_zendesk_repost_updates_the_same_ticket(api: Api) -> None:
    record = _zendesk_ticket()
    assert _ok(_post(api, "zendesk", {"ticket": record}))["outcome"] == "new"
    record["subject"] = "Changed subject"
    assert _ok(_post(api, "zendesk", {"ticket": record}))["outcome"] == "updated"
    with api.store.unit_of_work(read_only=True) as uow:
        stored = uow.get_ticket("zendesk-1")
        assert stored is not None and stored.subject == "Changed subject"


def test_intake_is_rate_limited_by_client_address(db_url: str) -> None:
    with running_api(db_url, intake_secrets=SECRETS, requests_per_minute=1, burst=1) as api:
        _ok(_post(api, "generic", example("02")))
        answer = _post(api, "generic", example("02"))
        error_of(answer, 429, "rate_limited")
        assert "Retry-After" in answer.headers


def test_settings_read_the_intake_environment() -> None:
    settings = WebSettings.from_env({
        "ESCALATION_INTAKE_SECRET_ZENDESK": "a", "ESCALATION_INTAKE_SECRET_JIRA": "b",
        "ESCALATION_INTAKE_SECRET_GENERIC": "",
        "ESCALATION_INTAKE_AUTO_OPEN": " Critical, security,",
    })
    assert dict(settings.intake_secrets) == {"zendesk": "a", "jira": "b"}
    assert settings.intake_auto_open == ("critical", "security")
    default = WebSettings.from_env({})
    assert dict(default.intake_secrets) == {} and default.intake_auto_open == ()


def test_the_policy_files_intake_table_opens_when_the_server_sets_nothing(
        db_url: str, tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('schema = 1\n\n[intake]\nauto_open = ["security"]\n', encoding="utf-8")
    with running_api(db_url, intake_secrets=SECRETS, policy_path=str(policy)) as api:
        security = _ok(_post(api, "generic", example("04")))
        assert security["assessment"]["target"] == "security"
        assert security["escalation"] is not None
        critical = _ok(_post(api, "generic", example("14")))
        assert critical["assessment"]["severity"] == "critical"
        assert critical["assessment"]["target"] != "security"
        assert critical["escalation"] is None  # not in this policy's list
    # The server's ESCALATION_INTAKE_AUTO_OPEN wins over the policy.
    with running_api(db_url, intake_secrets=SECRETS, policy_path=str(policy),
                     intake_auto_open=("critical",)) as api:
        assert _ok(_post(api, "generic", example("14")))["escalation"] is not None


def test_a_policy_with_an_unknown_auto_open_value_is_refused(tmp_path: Path) -> None:
    from escalation.adapters.policy_file import PolicyFileError, load_policy

    policy = tmp_path / "policy.toml"
    policy.write_text('schema = 1\n\n[intake]\nauto_open = ["urgent"]\n', encoding="utf-8")
    with pytest.raises(PolicyFileError, match=r"intake\.auto_open\[0\].*critical"):
        load_policy(policy)
