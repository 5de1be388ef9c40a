"""Who may see and do what over the API: a table of roles × actions × kinds of escalation.

The normal escalation is example 01 (sent to Engineering), the security one example 04 (sent to
Security); both are owned by alice, an agent of team emea. Each case opens fresh escalations,
so the cases are independent of each other and of their order.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from itertools import count
from typing import Any

import pytest

from api_support import API, Api, example, running_api
from escalation.adapters.db.schemas import temporary_schema
from escalation.domain.access import Role
from escalation.domain.brief import WITHHELD_REVENUE
from escalation.render import translate

PG_URL = os.environ.get("ESCALATION_TEST_PG", "").strip()

# Who is who: name, role, team. alice owns every escalation below.
PEOPLE: dict[str, tuple[str, Role, str | None]] = {
    "agent_own": ("alice", Role.AGENT, "emea"),
    "agent_team": ("bob", Role.AGENT, "emea"),
    "agent_other": ("carol", Role.AGENT, "apac"),
    "lead": ("lena", Role.LEAD, None),
    "engineering": ("eve", Role.ENGINEERING, None),
    "product": ("pat", Role.PRODUCT, None),
    "security": ("sam", Role.SECURITY, None),
    "leadership": ("lee", Role.LEADERSHIP, None),
    "admin": ("ada", Role.ADMIN, None),
}
ROLES = tuple(PEOPLE)

ACTIONS = ("get", "timeline", "draft_update", "ack", "start", "follow_up", "severity",
           "deescalate", "resolve", "checklist", "close", "reopen", "link")

# Expected status per action on the NORMAL escalation (sent to Engineering), by role.
_ALL_OK = dict.fromkeys(ACTIONS, 200)
_READ_ONLY = {**dict.fromkeys(ACTIONS, 403), "get": 200, "timeline": 200, "draft_update": 200}
NORMAL: dict[str, dict[str, int]] = {
    "agent_own": _ALL_OK,
    "agent_team": _ALL_OK,  # someone of their team owns it
    "agent_other": _READ_ONLY,
    "lead": _ALL_OK,
    # The receiving team takes it, reports, changes severity and resolves; no more.
    "engineering": {**_READ_ONLY, "ack": 200, "start": 200, "follow_up": 200,
                    "severity": 200, "resolve": 200},
    "product": _READ_ONLY,
    "security": _READ_ONLY,
    "leadership": _READ_ONLY,
    "admin": _ALL_OK,
}
# On the SECURITY escalation: it does not exist for anyone but security and admin.
_HIDDEN = dict.fromkeys(ACTIONS, 404)
SECURITY: dict[str, dict[str, int]] = {
    **{role: _HIDDEN for role in ROLES},
    "security": _ALL_OK,
    "admin": _ALL_OK,
}

CASES = [(role, action, kind, table[role][action])
         for kind, table in (("normal", NORMAL), ("security", SECURITY))
         for role in ROLES for action in ACTIONS]

_serial = count(1)


@pytest.fixture(scope="module", params=[
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.skipif(
        not PG_URL, reason="ESCALATION_TEST_PG not set: PostgreSQL suite skipped")),
])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[Api]:
    """One app for the whole matrix (each case opens escalations of its own).

    Everyone's token exists before the first request: an agent acts on what their team owns,
    and a team is known from its members' tokens.
    """
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('rbac') / 'escalation.db'}"
        with running_api(url) as running:
            yield _with_tokens(running)
        return
    with temporary_schema(PG_URL) as url, running_api(url) as running:
        yield _with_tokens(running)


def _with_tokens(api: Api) -> Api:
    for role in ROLES:
        _headers(api, role)
    return api


def _headers(api: Api, role: str) -> dict[str, str]:
    name, kind, team = PEOPLE[role]
    return api.token(name, kind, team)


def _ticket(kind: str) -> dict[str, Any]:
    """A fresh copy of the normal or the security example, with a ticket id of its own."""
    ticket = example("01" if kind == "normal" else "04")
    return {**ticket, "id": f"{ticket['id']}-{next(_serial)}"}


def _open(api: Api, kind: str) -> str:
    answer = api.client.post(f"{API}/escalations", json={"ticket": _ticket(kind),
                                                         "owner": "alice"},
                             headers=_headers(api, "admin"))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["escalation"]["target"] == ("engineering" if kind == "normal" else "security")
    assert body["escalation"]["also_notify"] == []
    escalation_id: str = body["id"]
    return escalation_id


def _other_severity(api: Api, escalation_id: str) -> str:
    shown = api.client.get(f"{API}/escalations/{escalation_id}", headers=_headers(api, "admin"))
    return "medium" if shown.json()["escalation"]["severity"] != "medium" else "high"


def _as_admin(api: Api, escalation_id: str, action: str, body: Any = None) -> None:
    answer = api.client.post(f"{API}/escalations/{escalation_id}/{action}", json=body,
                             headers=_headers(api, "admin"))
    assert answer.status_code == 200, answer.text


def _prepare(api: Api, kind: str, action: str) -> str:
    """A new escalation in the state `action` needs (resolved to close or reopen it)."""
    escalation_id = _open(api, kind)
    if action in ("close", "reopen"):
        _as_admin(api, escalation_id, "resolve", {"resolution": "fixed", "learning": "canary"})
    if action == "close":
        _as_admin(api, escalation_id, "checklist", {"items": [
            "notify_team", "update_ticket", "inform_customer", "document_learning"]})
    return escalation_id


# Refusals change nothing (test_matrix checks it), so every case expected to be refused on one
# kind of escalation and action shares one prepared escalation: (api, kind, action) -> its id.
_SHARED: dict[tuple[int, str, str], str] = {}


def _escalation_for(api: Api, kind: str, action: str, expected: int) -> str:
    if expected == 200:
        return _prepare(api, kind, action)
    key = (id(api), kind, action)
    if key not in _SHARED:
        _SHARED[key] = _prepare(api, kind, action)
    return _SHARED[key]


def _attempt(api: Api, role: str, action: str, escalation_id: str, kind: str) -> int:
    """Try `action` on the escalation as `role`; the answer's status."""
    url = f"{API}/escalations/{escalation_id}"
    requests: dict[str, tuple[str, str, Any]] = {
        "get": ("get", url, None),
        "timeline": ("get", f"{url}/timeline", None),
        "draft_update": ("get", f"{url}/draft-update", None),
        "ack": ("post", f"{url}/ack", None),
        "start": ("post", f"{url}/start", {"note": "looking"}),
        "follow_up": ("post", f"{url}/follow-ups", {"kind": "internal", "note": "checked"}),
        "severity": ("post", f"{url}/severity",
                     {"severity": _other_severity(api, escalation_id) if action == "severity"
                      else "high", "reason": "changed"}),
        "deescalate": ("post", f"{url}/deescalate",
                       {"reason": "workaround_found", "note": "cookie reset"}),
        "resolve": ("post", f"{url}/resolve", {"resolution": "fixed", "learning": "canary"}),
        "checklist": ("post", f"{url}/checklist", {"items": ["notify_team"]}),
        "close": ("post", f"{url}/close", None),
        "reopen": ("post", f"{url}/reopen", {"reason": "back again"}),
        "link": ("post", f"{url}/link", {"ticket": _ticket(kind)}),
    }
    method, path, body = requests[action]
    answer = api.client.request(method, path, json=body, headers=_headers(api, role))
    if answer.status_code in (403, 404):
        assert answer.json()["error"] == {403: "forbidden", 404: "not_found"}[
            answer.status_code]
    return answer.status_code


@pytest.mark.parametrize(("role", "action", "kind", "expected"), CASES,
                         ids=[f"{k}-{r}-{a}" for r, a, k, _ in CASES])
def test_matrix(api: Api, role: str, action: str, kind: str, expected: int) -> None:
    escalation_id = _escalation_for(api, kind, action, expected)
    assert _attempt(api, role, action, escalation_id, kind) == expected
    if expected != 200 and action not in ("get", "timeline", "draft_update"):
        # A refusal changes nothing: the timeline ends where the preparation left it.
        timeline = api.client.get(f"{API}/escalations/{escalation_id}/timeline",
                                  headers=_headers(api, "admin")).json()
        assert all(e["actor"] == "ada" for e in timeline)


def test_the_matrix_covers_every_role_and_action() -> None:
    assert len(CASES) == 2 * len(ROLES) * len(ACTIONS)
    assert {status for *_rest, status in CASES} == {200, 403, 404}


def test_a_refused_change_names_the_role_and_the_reason(api: Api) -> None:
    escalation_id = _open(api, "normal")
    answer = api.client.post(f"{API}/escalations/{escalation_id}/close",
                             headers=_headers(api, "agent_other"))
    assert answer.status_code == 403
    assert "a agent token may not close it (owned by alice" in answer.json()["detail"]


OPENERS = {"agent_own": 201, "agent_team": 201, "agent_other": 201, "lead": 201,
           "engineering": 403, "product": 403, "security": 201, "leadership": 403,
           "admin": 201}


@pytest.mark.parametrize("role", ROLES)
def test_opening_and_indexing_need_an_opening_role(api: Api, role: str) -> None:
    headers = _headers(api, role)
    opened = api.client.post(f"{API}/escalations", json={"ticket": _ticket("normal")},
                             headers=headers)
    assert opened.status_code == OPENERS[role]
    indexed = api.client.post(f"{API}/patterns", json=[_ticket("normal")], headers=headers)
    assert indexed.status_code == (200 if OPENERS[role] == 201 else 403)
    # Assessing, explaining, briefing and linting need only a valid token.
    for path in ("/assess", "/explain", "/briefs", "/lint"):
        assert api.client.post(f"{API}{path}", json=_ticket("normal"),
                               headers=headers).status_code == 200


AUDITORS = {"lead", "security", "leadership", "admin"}


@pytest.mark.parametrize("role", ROLES)
def test_audit_verify_is_for_lead_security_leadership_and_admin(api: Api, role: str) -> None:
    answer = api.client.get(f"{API}/audit/verify", headers=_headers(api, role))
    assert answer.status_code == (200 if role in AUDITORS else 403)
    if role in AUDITORS:
        assert answer.json()["ok"] is True


SEES_SECURITY = {"security", "admin"}


@pytest.mark.parametrize("role", ROLES)
def test_security_escalations_are_absent_from_lists_followups_and_patterns(
        api: Api, role: str) -> None:
    normal, secret = _open(api, "normal"), _open(api, "security")
    headers = _headers(api, role)
    listed: set[str] = set()
    offset = 0
    while True:
        page = api.client.get(f"{API}/escalations", params={"limit": 200, "offset": offset},
                              headers=headers).json()
        listed |= {e["id"] for e in page["items"]}
        offset += 200
        if offset >= page["total"]:
            break
    assert normal in listed
    assert (secret in listed) == (role in SEES_SECURITY)
    owed = api.client.get(f"{API}/followups", params={"include_upcoming": True},
                          headers=headers).json()
    owed_ids = {f["escalation_id"] for f in owed}
    assert normal in owed_ids
    assert (secret in owed_ids) == (role in SEES_SECURITY)

    # A ticket like the security escalation's, from another customer, joins its cluster.
    alike = {**example("04"), "id": f"LIKE-{next(_serial)}",
             "customer": {"id": f"acct_like_{role}", "name": "Lookalike Health"}}
    indexed = api.client.post(f"{API}/patterns", json=[alike], headers=_headers(api, "admin"))
    seen_by_admin = [c for c in indexed.json()["clusters"] if alike["id"] in c["ticket_ids"]]
    assert seen_by_admin, "the lookalike should cluster with the security tickets"
    stored = api.client.get(f"{API}/patterns", headers=headers).json()["clusters"]
    with_secret = [c for c in stored if secret in c["escalations"]]
    assert bool(with_secret) == (role in SEES_SECURITY)
    assert all(alike["id"] not in c["ticket_ids"] for c in stored) or role in SEES_SECURITY
    if OPENERS[role] == 201:
        again = {**alike, "id": f"LIKE-{next(_serial)}"}
        answer = api.client.post(f"{API}/patterns", json=[again], headers=headers).json()
        clustered = [c for c in answer["clusters"] if again["id"] in c["ticket_ids"]]
        assert bool(clustered) == (role in SEES_SECURITY)


SEES_REVENUE = {"lead", "leadership", "admin"}
ARR_SHOWN = "$180,000"  # example 01's ARR as the English brief writes it


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("role", ROLES)
def test_revenue_is_withheld_from_briefs_unless_the_role_sees_it(api: Api, role: str,
                                                                lang: str) -> None:
    headers = _headers(api, role)
    escalation_id = _open(api, "normal")
    view = api.client.get(f"{API}/escalations/{escalation_id}", params={"lang": lang},
                          headers=headers)
    briefed = api.client.post(f"{API}/briefs", params={"format": "json", "lang": lang},
                              json=example("01"), headers=headers)
    text = api.client.post(f"{API}/briefs", params={"format": "text", "lang": lang},
                           json=example("01"), headers=headers)
    assert view.status_code == briefed.status_code == text.status_code == 200
    revenue = view.json()["brief"]["impact"]["revenue_at_risk"]["text"]
    marker = translate(WITHHELD_REVENUE, lang)
    if role in SEES_REVENUE:
        assert "180,000" in revenue
        assert "180,000" in text.json()["brief"]
        assert marker not in json.dumps(view.json(), ensure_ascii=False)
    else:
        assert marker in revenue
        assert marker in briefed.json()["brief"]["impact"]["revenue_at_risk"]["text"]
        assert marker in text.json()["brief"]
        for answer in (view, briefed, text):
            assert "180,000" not in answer.text and "180000" not in answer.text
        assert briefed.json()["assessment"]["impact"]["revenue"]["evidence"] == (
            WITHHELD_REVENUE)
    if lang == "en" and role in SEES_REVENUE:
        assert ARR_SHOWN in revenue


def test_an_assessment_never_cites_an_escalation_the_caller_may_not_see(db_url: str) -> None:
    with running_api(db_url) as api:
        admin = api.token("ada", Role.ADMIN)
        agent = api.token("alice", Role.AGENT, "emea")
        secret = api.client.post(f"{API}/escalations", json={"ticket": example("04")},
                                 headers=admin).json()["id"]
        api.client.post(f"{API}/escalations/{secret}/resolve", json={
            "resolution": "Expired all public links", "learning": "Shared links must expire",
            "fix_kind": "workaround"}, headers=admin)
        # The same words, but nothing security about it: history decides.
        alike = {**example("04"), "id": "ZD-1", "current_tier": "l2",
                 "customer": {"id": "acct_other", "name": "Other"}, "facts": {"blocked": True}}
        told_admin = api.client.post(f"{API}/assess", json=alike, headers=admin).json()
        assert "support.resolved_before" in {r["code"] for r in told_admin["reasons"]}
        assert secret in json.dumps(told_admin)
        told_agent = api.client.post(f"{API}/assess", json=alike, headers=agent)
        assert told_agent.status_code == 200
        for leak in (secret, "Shared links must expire", "ZD-48260"):
            assert leak not in told_agent.text
        assert told_agent.json()["decision"] == "escalate"
