"""The JSON API over HTTP (TestClient) on SQLite, and PostgreSQL when ESCALATION_TEST_PG is set.

Every endpoint's happy path with the shipped examples, a whole lifecycle audited under the
token's name, and the error answers: 401, 404, 409, 413, 422 (with the field path), 429, 500.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from api_support import API, FIXED, Api, error_of, example, example_files, running_api
from escalation.adapters.policy_file import load_policy
from escalation.domain.access import Role
from escalation.domain.contract import assessment_to_mapping, ticket_from_mapping
from escalation.domain.explain import explanation_to_mapping
from escalation.formats import BriefFormat, Lang
from escalation.render import FORMATS, LANGUAGES, render_brief
from escalation.render.records import lint_result_json
from escalation.services import assess_ticket, brief_ticket, explain_ticket
from escalation.tokens import revoke_token

POLICY = load_policy(None)


@pytest.fixture
def api(db_url: str) -> Iterator[Api]:
    with running_api(db_url) as running:
        yield running


@pytest.fixture
def admin(api: Api) -> dict[str, str]:
    return api.token("ada", Role.ADMIN)


@pytest.fixture
def agent(api: Api) -> dict[str, str]:
    return api.token("alice", Role.AGENT, team="emea")


def _open(api: Api, headers: dict[str, str], ticket: dict[str, Any], **options: Any) -> str:
    answer = api.client.post(f"{API}/escalations", json={"ticket": ticket, **options},
                             headers=headers)
    assert answer.status_code == 201, answer.text
    escalation_id: str = answer.json()["id"]
    return escalation_id


# --- meta ----------------------------------------------------------------------------------------


def test_healthz_needs_no_token_and_names_the_schema_revision(api: Api) -> None:
    answer = api.client.get(f"{API}/healthz")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"
    assert answer.json()["schema"]


def test_openapi_documents_every_route_with_summary_tags_and_errors(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    operations = [(path, method, op) for path, item in schema["paths"].items()
                  for method, op in item.items()]
    assert len(operations) >= 22
    for path, method, op in operations:
        assert op.get("summary") and op.get("tags"), (method, path)
        if path != f"{API}/healthz":
            assert {"401", "429"} <= set(op["responses"]), (method, path)
            for code in set(op["responses"]) - {"200", "201"}:
                ref = op["responses"][code]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorBody"), (method, path, code)
    assert "Ticket" in json.dumps(schema["paths"][f"{API}/assess"]["post"]["requestBody"])
    # The API offers exactly the renderers' formats and languages.
    assert tuple(f.value for f in BriefFormat) == FORMATS
    assert tuple(lang.value for lang in Lang) == LANGUAGES


# --- tickets: assess, brief, lint ------------------------------------------------------------


@pytest.mark.parametrize("path", example_files(), ids=lambda p: p.name[:2])
def test_assess_answers_like_the_cli_for_every_example(api: Api, agent: dict[str, str],
                                                        path: Any) -> None:
    ticket = json.loads(path.read_text(encoding="utf-8"))
    answer = api.client.post(f"{API}/assess", json=ticket, headers=agent)
    assert answer.status_code == 200, answer.text
    expected = assessment_to_mapping(assess_ticket(ticket_from_mapping(ticket), POLICY, FIXED))
    assert answer.json() == expected


def test_assess_takes_a_list_and_a_now(api: Api, agent: dict[str, str]) -> None:
    tickets = json.loads((example_files()[0].parent / "all.json").read_text(encoding="utf-8"))
    answer = api.client.post(f"{API}/assess", json=tickets, headers=agent)
    assert answer.status_code == 200
    assert [a["ticket_id"] for a in answer.json()] == [t["id"] for t in tickets]
    breached = example("10")
    later = api.client.post(f"{API}/assess", json=breached, headers=agent).json()
    earlier = api.client.post(f"{API}/assess", params={"now": "2026-11-24T12:00:00Z"},
                              json=breached, headers=agent).json()
    assert later["sla_status"] == "breached"
    assert earlier["sla_status"] != "breached"
    bad = api.client.post(f"{API}/assess", params={"now": "yesterday"}, json=breached,
                          headers=agent)
    assert error_of(bad, 422, "invalid_input")["field"] == "now"


# Its fields state no facts: only its words say the data is gone.
WORDS_ONLY = {"id": "ZD-1", "subject": "Contacts gone",
              "description": "Since the sync half of our contacts disappeared. No security "
                             "issue as far as we can tell."}


def test_assess_reads_the_words_unless_derive_is_false(api: Api, agent: dict[str, str]) -> None:
    read = api.client.post(f"{API}/assess", json=WORDS_ONLY, headers=agent).json()
    assert (read["decision"], read["severity"]) == ("escalate", "critical")
    [loss] = [r for r in read["reasons"] if r["code"] == "technical.data_loss"]
    assert loss["text"].endswith('(read in description: "half of our contacts disappeared")')
    unread = api.client.post(f"{API}/assess", params={"derive": "false"}, json=[WORDS_ONLY],
                             headers=agent)
    assert unread.status_code == 200
    assert unread.json()[0]["decision"] == "handle_in_support"
    bad = api.client.post(f"{API}/assess", params={"derive": "perhaps"}, json=WORDS_ONLY,
                          headers=agent)
    assert error_of(bad, 422, "invalid_input")["field"] == "derive"


def test_explain_answers_like_the_cli(api: Api, agent: dict[str, str]) -> None:
    answer = api.client.post(f"{API}/explain", json=WORDS_ONLY, headers=agent)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body == explanation_to_mapping(
        explain_ticket(ticket_from_mapping(WORDS_ONLY), POLICY, FIXED))
    assert [f["fact"] for f in body["derived"]] == ["data_loss"]
    assert body["derived"][0]["evidence"][0] == {
        "field": "description", "phrase": "half of our contacts disappeared",
        "start": 15, "end": 47, "source": body["derived"][0]["evidence"][0]["source"]}
    assert [(m["fact"], m["why"]) for m in body["set_aside"]] == [
        ("security_concern", "negated: no")]
    assert body["with_derived"]["decision"] == "escalate"
    assert body["without_derived"]["decision"] == "handle_in_support"
    assert body["changed"] is True
    many = api.client.post(f"{API}/explain", json=[WORDS_ONLY, example("11")], headers=agent)
    assert [e["ticket_id"] for e in many.json()] == ["ZD-1", "IC-77310"]
    bad = api.client.post(f"{API}/explain", json={"id": "T-1", "customer": {"arr": "lots"}},
                          headers=agent)
    assert error_of(bad, 422, "invalid_input")["field"] == "customer.arr"
    anonymous = api.client.post(f"{API}/explain", json=WORDS_ONLY)
    assert anonymous.status_code == 401


@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "html"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_briefs_render_like_the_cli(api: Api, admin: dict[str, str], fmt: str,
                                    lang: str) -> None:
    ticket = example("01")
    answer = api.client.post(f"{API}/briefs", params={"format": fmt, "lang": lang},
                             json=ticket, headers=admin)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    briefed = brief_ticket(ticket_from_mapping(ticket), POLICY, FIXED)
    rendered = render_brief(briefed.brief, fmt, lang)
    assert body["brief"] == (json.loads(rendered) if fmt == "json" else rendered)
    assert body["lint"] == lint_result_json(ticket["id"], briefed.findings)["findings"]
    assert body["assessment"] == assessment_to_mapping(briefed.assessment)
    assert (body["ticket_id"], body["format"], body["lang"]) == (ticket["id"], fmt, lang)
    assert body["note"] is None


def test_brief_of_a_support_ticket_says_it_is_for_reference(api: Api,
                                                             admin: dict[str, str]) -> None:
    body = api.client.post(f"{API}/briefs", json=example("11"), headers=admin).json()
    assert body["assessment"]["decision"] == "handle_in_support"
    assert "should be handled in support" in body["note"]
    listed = api.client.post(f"{API}/briefs", json=[example("11")], headers=admin)
    assert "one ticket" in error_of(listed, 422, "invalid_input")["detail"]


def test_lint_answers_one_or_a_list(api: Api, agent: dict[str, str]) -> None:
    one = api.client.post(f"{API}/lint", json=example("02"), headers=agent)
    assert one.status_code == 200
    briefed = brief_ticket(ticket_from_mapping(example("02")), POLICY, FIXED)
    assert one.json() == lint_result_json("FD-20944", briefed.findings)
    many = api.client.post(f"{API}/lint", json=[example("01"), example("11")], headers=agent)
    assert [r["ticket_id"] for r in many.json()] == ["ZD-48213", "IC-77310"]
    assert all({"code", "level", "field", "message", "hint"} == set(f)
               for r in many.json() for f in r["findings"])


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/assess", {"id": ""}, "id"),
    ("/assess", {"id": "T-1", "customer": {"arr": "lots"}}, "customer.arr"),
    ("/assess", {"id": "T-1", "facts": {"category": "outrage"}}, "facts.category"),
    ("/assess", [{"id": "T-1"}, {"id": "T-2", "facts": {"blocked": "yes"}}],
     "tickets[1].facts.blocked"),
    ("/briefs", {"id": "T-1", "steps_tried": [{"result": "nothing"}]}, "steps_tried[0].action"),
    ("/lint", {"id": "T-1", "created_at": "last week"}, "created_at"),
    ("/patterns", [{"id": "T-1", "customer": "acme"}], "tickets[0].customer"),
    ("/escalations", {"ticket": {"id": "T-1", "customer": {"arr": -5}}}, "ticket.customer.arr"),
    ("/escalations", {"ticket": {"id": "T-1"}, "severity": "urgent"}, "severity"),
    ("/escalations", {"ticket": {"id": "T-1"}, "owner": "x", "colour": "red"}, "colour"),
    ("/escalations", {"owner": "x"}, "ticket"),
    # Values whose date or money arithmetic would overflow are refused up front.
    ("/escalations", {"ticket": {"id": "T-1", "customer": {"update_hours": 1e9}}},
     "ticket.customer.update_hours"),
    ("/briefs", {"id": "T-1", "deadline": "9999-12-31T23:59:59Z"}, "deadline"),
    ("/briefs", {"id": "T-1", "customer": {"arr": 1e300}}, "customer.arr"),
])
def test_bad_input_is_422_naming_the_field(api: Api, admin: dict[str, str], path: str,
                                           body: Any, field: str) -> None:
    answer = api.client.post(f"{API}{path}", json=body, headers=admin)
    error = error_of(answer, 422, "invalid_input")
    assert error["field"] == field
    assert error["detail"].startswith(f"{field}: ")


def test_not_json_is_422(api: Api, admin: dict[str, str]) -> None:
    answer = api.client.post(f"{API}/assess", content=b"{not json",
                             headers={**admin, "Content-Type": "application/json"})
    error_of(answer, 422, "invalid_input")


# --- escalations: open, list, show ----------------------------------------------------------------


def test_open_answers_201_with_the_escalation(api: Api, agent: dict[str, str]) -> None:
    answer = api.client.post(f"{API}/escalations", json={"ticket": example("01")},
                             headers=agent)
    assert answer.status_code == 201
    body = answer.json()
    assert (body["id"], body["visible"], body["linked"]) == ("ESC-1", True, False)
    escalation = body["escalation"]
    assert (escalation["status"], escalation["target"], escalation["severity"]) == (
        "open", "engineering", "high")
    assert escalation["owner"] == "alice"
    assert escalation["opened_at"] == FIXED.isoformat()


def test_open_refuses_a_support_ticket_unless_forced(api: Api, agent: dict[str, str]) -> None:
    refused = api.client.post(f"{API}/escalations", json={"ticket": example("11")},
                              headers=agent)
    assert "should be handled in support" in error_of(refused, 409, "refused")["detail"]
    forced = api.client.post(f"{API}/escalations", json={
        "ticket": example("11"), "force": True, "target": "l2", "severity": "medium",
        "owner": "bob"}, headers=agent)
    assert forced.status_code == 201
    assert forced.json()["escalation"]["target"] == "l2"
    assert forced.json()["escalation"]["owner"] == "bob"


def test_open_notes_similar_escalations_and_links_if_asked(api: Api,
                                                           agent: dict[str, str]) -> None:
    first = example("08")
    esc = _open(api, agent, first)
    again = {**first, "id": "ZD-99001", "customer": {"id": "C-NEW", "name": "Newco"}}
    opened = api.client.post(f"{API}/escalations", json={"ticket": again}, headers=agent)
    assert opened.status_code == 201
    assert opened.json()["similar"][0]["id"] == esc
    assert f"link it instead: POST /api/v1/escalations/{esc}/link" in opened.json()["notes"][0]
    third = {**first, "id": "ZD-99002", "customer": {"id": "C-THIRD", "name": "Thirdco"}}
    linked = api.client.post(f"{API}/escalations",
                             json={"ticket": third, "link_if_match": True}, headers=agent)
    assert linked.status_code == 200
    body = linked.json()
    assert body["linked"] is True
    assert body["id"] in {esc, opened.json()["id"]}
    assert body["similarity"] > 0
    assert body["escalation"]["customers_affected"] >= 2


def test_a_security_ticket_opened_by_an_agent_is_hidden_from_them(
        api: Api, agent: dict[str, str]) -> None:
    answer = api.client.post(f"{API}/escalations", json={"ticket": example("04")},
                             headers=agent)
    assert answer.status_code == 201
    body = answer.json()
    assert body["visible"] is False
    assert body["escalation"] is None
    error_of(api.client.get(f"{API}/escalations/{body['id']}", headers=agent), 404, "not_found")
    security = api.token("sam", Role.SECURITY)
    shown = api.client.get(f"{API}/escalations/{body['id']}", headers=security)
    assert shown.status_code == 200
    assert shown.json()["escalation"]["target"] == "security"
    assert shown.json()["escalation"]["owner"] == "alice"


def test_list_filters_pages_and_counts(api: Api, admin: dict[str, str]) -> None:
    for name in ("01", "02", "03", "07", "14"):
        _open(api, admin, example(name))
    everything = api.client.get(f"{API}/escalations", headers=admin).json()
    assert everything["total"] == 5
    assert (everything["limit"], everything["offset"]) == (50, 0)
    assert everything["items"][0]["severity"] == "critical"  # most urgent first
    engineering = api.client.get(f"{API}/escalations", params={"target": "engineering"},
                                 headers=admin).json()
    assert {e["ticket_id"] for e in engineering["items"]} == {"ZD-48213", "ZD-48177",
                                                               "ZD-48310"}
    both = api.client.get(f"{API}/escalations?severity=critical&severity=medium",
                          headers=admin).json()
    assert {e["severity"] for e in both["items"]} == {"critical", "medium"}
    page = api.client.get(f"{API}/escalations", params={"limit": 2, "offset": 2},
                          headers=admin).json()
    assert len(page["items"]) == 2
    assert page["total"] == 5
    assert [e["id"] for e in page["items"]] == [e["id"] for e in everything["items"][2:4]]
    api.client.post(f"{API}/escalations/ESC-1/ack", headers=admin)
    acked = api.client.get(f"{API}/escalations", params={"status": "acknowledged"},
                           headers=admin).json()
    assert [e["id"] for e in acked["items"]] == ["ESC-1"]
    mine = api.client.get(f"{API}/escalations", params={"owner": "nobody"}, headers=admin)
    assert mine.json()["total"] == 0
    assert api.client.get(f"{API}/escalations", params={"overdue": True},
                          headers=admin).json()["total"] == 0
    api.clock.advance(days=3)
    overdue = api.client.get(f"{API}/escalations", params={"overdue": True},
                             headers=admin).json()
    assert overdue["total"] == 5
    for params, field in (({"limit": 0}, "limit"), ({"limit": 201}, "limit"),
                          ({"offset": -1}, "offset"), ({"status": "asleep"}, "status[0]")):
        answer = api.client.get(f"{API}/escalations", params=params, headers=admin)
        assert error_of(answer, 422, "invalid_input")["field"] == field


def test_show_gives_the_view_in_english_and_chinese(api: Api, admin: dict[str, str]) -> None:
    esc = _open(api, admin, example("01"))
    view = api.client.get(f"{API}/escalations/{esc}", headers=admin).json()
    assert view["escalation"]["id"] == esc
    assert view["linked_tickets"] == ["ZD-48213"]
    assert view["brief"]["kind"] == "escalation_brief"
    assert view["brief"]["lang"] == "en"
    assert {f["kind"] for f in view["followups"]} == {"internal", "customer"}
    assert view["closing_gaps"][0].startswith("a resolution or de-escalation")
    assert [e["action"] for e in view["timeline"]] == ["escalation.opened"]
    assert "$180,000" in view["brief"]["impact"]["revenue_at_risk"]["text"]
    zh = api.client.get(f"{API}/escalations/{esc}", params={"lang": "zh"},
                        headers=admin).json()
    assert zh["brief"]["lang"] == "zh"
    assert zh["brief"]["impact"]["revenue_at_risk"]["label"] != (
        view["brief"]["impact"]["revenue_at_risk"]["label"])


@pytest.mark.parametrize("given", ["ESC-1", "esc-1", "1"])
def test_ids_are_accepted_in_every_spelling(api: Api, admin: dict[str, str],
                                            given: str) -> None:
    _open(api, admin, example("01"))
    answer = api.client.get(f"{API}/escalations/{given}", headers=admin)
    assert answer.status_code == 200
    assert answer.json()["escalation"]["id"] == "ESC-1"


@pytest.mark.parametrize("missing", ["ESC-42", "42", "abc", "ESC-", "99999999999999999999"])
def test_unknown_ids_are_404(api: Api, admin: dict[str, str], missing: str) -> None:
    _open(api, admin, example("01"))
    for method, path in (("get", ""), ("get", "/timeline"), ("get", "/draft-update"),
                         ("post", "/ack"), ("post", "/close")):
        answer = api.client.request(method, f"{API}/escalations/{missing}{path}",
                                    headers=admin)
        assert "no escalation" in error_of(answer, 404, "not_found")["detail"]


# --- the lifecycle ----------------------------------------------------------------------------


def test_full_lifecycle_is_audited_under_the_tokens_names(api: Api) -> None:
    alice = api.token("alice", Role.AGENT, team="emea")
    eve = api.token("eve", Role.ENGINEERING)
    lena = api.token("lena", Role.LEAD)
    esc = _open(api, alice, example("01"))
    url = f"{API}/escalations/{esc}"

    api.clock.advance(minutes=5)
    assert api.client.post(f"{url}/ack", headers=eve).json()["status"] == "acknowledged"
    api.clock.advance(minutes=10)
    started = api.client.post(f"{url}/start", json={"note": "reproducing"}, headers=eve)
    assert started.json()["status"] == "in_progress"
    api.clock.advance(hours=1)
    internal = api.client.post(f"{url}/follow-ups",
                               json={"kind": "internal", "note": "Eng reproduced it"},
                               headers=alice)
    assert internal.status_code == 200
    customer = api.client.post(f"{url}/follow-ups",
                               json={"kind": "customer", "note": "Told them a fix is coming"},
                               headers=alice)
    assert customer.json()["next_customer_update_due"] is not None
    raised = api.client.post(f"{url}/severity",
                             json={"severity": "critical", "reason": "Black Friday traffic"},
                             headers=eve)
    assert raised.json()["severity"] == "critical"
    same = api.client.post(f"{url}/severity", json={"severity": "critical", "reason": "again"},
                           headers=eve)
    assert "already critical" in error_of(same, 409, "refused")["detail"]

    draft = api.client.get(f"{url}/draft-update", params={"lang": "zh"}, headers=alice).json()
    assert draft["escalation_id"] == esc
    assert "Eng reproduced it" in draft["text"]
    assert "您好" in draft["text"]

    api.clock.advance(hours=2)
    resolved = api.client.post(f"{url}/resolve", json={
        "resolution": "Rolled back the tokenizer change",
        "learning": "Saved-card checkout needs a canary"}, headers=eve)
    assert resolved.status_code == 200
    assert (resolved.json()["status"], resolved.json()["fix_kind"]) == ("resolved", "code_fix")
    early = api.client.post(f"{url}/close", headers=alice)
    assert "inform_customer" in error_of(early, 409, "refused")["detail"]
    ticked = api.client.post(f"{url}/checklist", json={"items": [
        "notify_team", "update_ticket", "inform_customer", "document_learning"]},
                             headers=alice)
    assert ticked.json()["checklist"] == sorted(
        ["notify_team", "update_ticket", "inform_customer", "document_learning"])
    again = api.client.post(f"{url}/checklist", json={"items": ["notify_team"]}, headers=alice)
    assert "already done" in error_of(again, 409, "refused")["detail"]
    closed = api.client.post(f"{url}/close", headers=alice)
    assert closed.json()["status"] == "closed"

    timeline = api.client.get(f"{url}/timeline", headers=alice).json()
    assert [(e["action"], e["actor"]) for e in timeline] == [
        ("escalation.opened", "alice"),
        ("escalation.acknowledged", "eve"),
        ("escalation.in_progress", "eve"),
        ("followup.internal", "alice"),
        ("followup.customer", "alice"),
        ("severity.changed", "eve"),
        ("escalation.resolved", "eve"),
        ("checklist.done", "alice"),
        ("checklist.done", "alice"),
        ("checklist.done", "alice"),
        ("checklist.done", "alice"),
        ("escalation.closed", "alice"),
    ]
    assert timeline[5]["details"]["reason"] == "Black Friday traffic"
    view = api.client.get(url, headers=alice).json()
    assert [(r["kind"], r["actor"]) for r in view["follow_up_log"]] == [
        ("internal", "alice"), ("customer", "alice")]
    assert view["closing_gaps"] == []

    reopened = api.client.post(f"{url}/reopen", json={"reason": "It came back"}, headers=lena)
    assert reopened.json()["status"] == "open"
    check = api.client.get(f"{API}/audit/verify", headers=lena).json()
    assert check == {"ok": True, "checked": check["checked"], "problem": None}
    assert check["checked"] >= 14  # two token events, twelve above, the reopen


def test_deescalation_path_to_close(api: Api, agent: dict[str, str]) -> None:
    esc = _open(api, agent, example("02"))
    url = f"{API}/escalations/{esc}"
    missing_note = api.client.post(f"{url}/deescalate",
                                   json={"reason": "workaround_found", "note": "  "},
                                   headers=agent)
    assert "note is required" in error_of(missing_note, 409, "refused")["detail"]
    bad_reason = api.client.post(f"{url}/deescalate", json={"reason": "bored", "note": "x"},
                                 headers=agent)
    assert error_of(bad_reason, 422, "invalid_input")["field"] == "reason"
    done = api.client.post(f"{url}/deescalate", json={
        "reason": "workaround_found", "note": "Clearing the SSO cookie unblocks them"},
                           headers=agent)
    assert done.json()["status"] == "de_escalated"
    assert done.json()["deescalation_reason"] == "workaround_found"
    assert done.json()["next_internal_due"] is None
    for item in ("notify_team", "update_ticket", "inform_customer", "document_learning"):
        api.client.post(f"{url}/checklist", json={"items": [item]}, headers=agent)
    assert api.client.post(f"{url}/close", headers=agent).json()["status"] == "closed"


@pytest.mark.parametrize(("action", "body", "says"), [
    ("ack", None, "cannot acknowledge while acknowledged"),
    ("close", None, "cannot close while acknowledged"),
    ("reopen", {"reason": "x"}, "cannot reopen while acknowledged"),
    ("follow-ups", {"kind": "internal", "note": " "}, "needs a note"),
    ("severity", {"severity": "medium", "reason": ""}, "needs a reason"),
    ("resolve", {"resolution": "fixed", "learning": ""}, "document what was learned"),
])
def test_refused_transitions_are_409_and_change_nothing(api: Api, admin: dict[str, str],
                                                        action: str, body: Any,
                                                        says: str) -> None:
    esc = _open(api, admin, example("01"))
    api.client.post(f"{API}/escalations/{esc}/ack", headers=admin)
    answer = api.client.post(f"{API}/escalations/{esc}/{action}", json=body, headers=admin)
    assert says in error_of(answer, 409, "refused")["detail"]
    timeline = api.client.get(f"{API}/escalations/{esc}/timeline", headers=admin).json()
    assert [e["action"] for e in timeline] == ["escalation.opened", "escalation.acknowledged"]


def test_link_adds_a_customer(api: Api, agent: dict[str, str]) -> None:
    esc = _open(api, agent, example("08"))
    other = {**example("08"), "id": "ZD-77777", "customer": {"id": "C-X", "name": "Xco"}}
    linked = api.client.post(f"{API}/escalations/{esc}/link", json={"ticket": other},
                             headers=agent)
    assert linked.status_code == 200
    assert linked.json()["customers_affected"] >= 2
    twice = api.client.post(f"{API}/escalations/{esc}/link", json={"ticket": other},
                            headers=agent)
    assert "already linked" in error_of(twice, 409, "refused")["detail"]
    view = api.client.get(f"{API}/escalations/{esc}", headers=agent).json()
    assert "ZD-77777" in view["linked_tickets"]


# --- follow-ups, patterns, audit --------------------------------------------------------------


def test_followups_due_soon_or_all(api: Api, agent: dict[str, str]) -> None:
    esc = _open(api, agent, example("14"))  # critical: internal follow-up within 2 h
    assert api.client.get(f"{API}/followups", headers=agent).json() == []
    everything = api.client.get(f"{API}/followups", params={"include_upcoming": True},
                                headers=agent).json()
    assert {(f["escalation_id"], f["kind"]) for f in everything} == {
        (esc, "internal"), (esc, "customer")}
    assert all(f["severity"] == "critical" and f["owner"] == "alice" for f in everything)
    api.clock.advance(hours=2, minutes=5)
    due = api.client.get(f"{API}/followups", headers=agent).json()
    assert {f["state"] for f in due if f["kind"] == "internal"} <= {"due", "overdue"}
    assert due[0]["minutes_until_due"] <= 0


def test_patterns_index_tickets_and_list_the_stored_clusters(api: Api,
                                                            agent: dict[str, str]) -> None:
    tickets = json.loads((example_files()[0].parent / "patterns" / "tickets.json").read_text(
        encoding="utf-8"))
    answer = api.client.post(f"{API}/patterns", json=tickets, headers=agent)
    assert answer.status_code == 200, answer.text
    clusters = answer.json()["clusters"]
    assert clusters
    biggest = clusters[0]
    assert len(biggest["ticket_ids"]) >= 2
    assert set(biggest["ticket_ids"]) <= {t["id"] for t in tickets}
    assert "three_plus_customers" in biggest["signals"]
    stored = api.client.get(f"{API}/patterns", headers=agent).json()["clusters"]
    assert any(set(c["ticket_ids"]) == set(biggest["ticket_ids"]) for c in stored)
    assert all(c["escalations"] == [] for c in stored)
    events = api.client.get(f"{API}/audit/verify", headers=api.token("lena", Role.LEAD))
    assert events.json()["ok"] is True


def test_audit_verify_reports_ok(api: Api, admin: dict[str, str]) -> None:
    _open(api, admin, example("01"))
    check = api.client.get(f"{API}/audit/verify", headers=admin)
    assert check.status_code == 200
    assert check.json()["ok"] is True
    assert check.json()["problem"] is None
    assert check.json()["checked"] == 2  # the token's creation and the opening


# --- authentication, limits and failures ------------------------------------------------------


def test_no_bad_or_revoked_token_is_401(api: Api) -> None:
    headers = api.token("ada", Role.ADMIN)
    for sent in ({}, {"Authorization": "Basic YWRhOnB3"}, {"Authorization": "Bearer "},
                 {"Authorization": "Bearer esd_not-a-real-token"}):
        answer = api.client.get(f"{API}/escalations", headers=sent)
        body = error_of(answer, 401, "unauthorized")
        assert answer.headers["WWW-Authenticate"] == "Bearer"
        assert "Authorization" in body["detail"]
    gone = api.token("gone", Role.ADMIN)
    revoke_token(api.store, "gone", by="test", now=FIXED)
    answer = api.client.get(f"{API}/escalations", headers=gone)
    assert "revoked" in error_of(answer, 401, "unauthorized")["detail"]
    assert api.client.get(f"{API}/escalations", headers=headers).status_code == 200


def test_a_body_over_the_limit_is_413(db_url: str) -> None:
    with running_api(db_url, max_body_bytes=4_000) as api:
        admin = api.token("ada", Role.ADMIN)
        big = {**example("01"), "description": "x" * 5_000}
        answer = api.client.post(f"{API}/assess", json=big, headers=admin)
        assert "4000 bytes" in error_of(answer, 413, "too_large")["detail"]
        small = api.client.post(f"{API}/assess", json=example("02"), headers=admin)
        assert small.status_code == 200


def test_too_many_requests_are_429_with_retry_after(db_url: str) -> None:
    with running_api(db_url, requests_per_minute=1, burst=3) as api:
        admin = api.token("ada", Role.ADMIN)
        statuses = [api.client.get(f"{API}/escalations", headers=admin).status_code
                    for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        answer = api.client.get(f"{API}/escalations", headers=admin)
        error_of(answer, 429, "rate_limited")
        assert int(answer.headers["Retry-After"]) >= 1
        other = api.token("lena", Role.LEAD)  # the bucket is per token
        assert api.client.get(f"{API}/escalations", headers=other).status_code == 200


def test_a_500_never_leaks_a_traceback(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from escalation import services

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("password=hunter2 at /srv/secret/config.py line 7")

    monkeypatch.setattr(services.Desk, "queue", broken)
    with running_api(db_url, raise_server_exceptions=False) as api:
        answer = api.client.get(f"{API}/escalations", headers=api.token("ada", Role.ADMIN))
        body = error_of(answer, 500, "internal")
        assert body["detail"].startswith("internal error ")
        for leak in ("Traceback", "hunter2", "RuntimeError", "config.py", 'File "'):
            assert leak not in answer.text
