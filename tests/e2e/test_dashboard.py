"""The dashboard through the test client: sign-in and CSRF, what each role sees and may do, every
action form (and its refusals, in the CLI's words), the new-escalation flow, patterns, reports,
Chinese pages, and a complete Chinese catalog."""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from cli_support import escalate as run_escalate
from escalation.adapters.db.store import Store
from escalation.domain.access import Role
from escalation.domain.model import (
    ChecklistItem,
    DeEscalationReason,
    Escalation,
    Severity,
    Status,
)
from escalation.services import Desk
from escalation.tokens import create_token, hash_secret, revoke_token
from escalation.web.app import SESSION_COOKIE, create_app
from escalation.web.settings import WebSettings
from support import EXPORT_500, T0, bug_ticket

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PAGES = ("/", "/new", "/patterns", "/reports")

# Who signs in as what (name, team).
PEOPLE: dict[Role, tuple[str, str | None]] = {
    Role.AGENT: ("ana@example.com", "emea"),
    Role.LEAD: ("lee@example.com", "emea"),
    Role.ENGINEERING: ("eng@example.com", None),
    Role.PRODUCT: ("pm@example.com", None),
    Role.SECURITY: ("sec@example.com", None),
    Role.LEADERSHIP: ("vp@example.com", None),
    Role.ADMIN: ("root@example.com", None),
}
OTHER_AGENT = ("otto@example.com", "apac")


def example(name: str) -> dict[str, Any]:
    return dict(json.loads((EXAMPLES / name).read_text(encoding="utf-8")))


@dataclass
class Desktop:
    """One running app over its own SQLite file, with a token per role and a movable clock."""

    db_url: str
    store: Store
    app: Any
    secrets: dict[str, str]
    clock: list[datetime] = field(default_factory=lambda: [T0])

    def desk(self, actor: str = "lee@example.com") -> Desk:
        return Desk(self.store, self.app.state.desk.policy, actor)

    def get(self, escalation_id: str) -> Escalation:
        return self.desk().get(escalation_id)

    def client(self, who: Role | str | None = None) -> Browser:
        browser = Browser(TestClient(self.app, base_url="http://desk.test"))
        if who is not None:
            browser.sign_in(self.secrets[who if isinstance(who, str) else who.value])
            browser.get("/")  # a fresh CSRF token comes with each sign-in
        return browser


class Browser:
    """A test client that reads each page's CSRF token, as a browser submitting forms would."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.csrf = ""

    def _remember(self, response: Response) -> Response:
        found = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
        if found:
            self.csrf = found.group(1)
        return response

    def get(self, path: str, **kwargs: Any) -> Response:
        return self._remember(self.client.get(path, **kwargs))

    def post(self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True,
             follow: bool = False, **kwargs: Any) -> Response:
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf)
        return self._remember(self.client.post(path, data=form, follow_redirects=follow,
                                               **kwargs))

    def sign_in(self, secret: str, next_page: str = "/") -> Response:
        self.get("/sign-in")
        return self.post("/sign-in", {"token": secret, "next": next_page})


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[Desktop]:
    clock = [T0]
    db_url = f"sqlite:///{tmp_path / 'desk.db'}"
    app = create_app(WebSettings(db_url=db_url, secret_key="test-secret-" * 4,
                                 clock=lambda: clock[0]))
    store = app.state.desk.store
    secrets = {}
    for role, (name, team) in PEOPLE.items():
        secrets[role.value] = create_token(store, name=name, role=role, team=team, by="test",
                                           now=T0)[1]
    secrets["other_agent"] = create_token(store, name=OTHER_AGENT[0], role=Role.AGENT,
                                          team=OTHER_AGENT[1], by="test", now=T0)[1]
    yield Desktop(db_url, store, app, secrets, clock)
    store.close()


@pytest.fixture
def opened(desktop: Desktop) -> Desktop:
    """ESC-1: a High engineering bug owned by the agent; ESC-2: a security exposure."""
    desktop.desk("ana@example.com").open(bug_ticket("ZD-1", "C-1"), T0)
    desktop.desk("sec@example.com").open(example("04-shared-link-data-exposure-security.json"),
                                         T0)
    return desktop


def banner(response: Response, kind: str = "error") -> str:
    found = re.search(rf'<div class="banner {kind}"[^>]*>(.*?)</div>', response.text, re.S)
    assert found, f"no {kind} banner in the page"
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


def refusal(response: Response) -> str:
    return banner(response).removeprefix("Refused").strip()


# --- signing in and out ----------------------------------------------------------------------


@pytest.mark.parametrize("path", [*PAGES, "/escalations/ESC-1?brief=zh"])
def test_signed_out_pages_send_the_browser_to_sign_in(desktop: Desktop, path: str) -> None:
    response = desktop.client().get(path, follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/sign-in")
    if path != "/":
        assert location.endswith("next=" + path.replace("?", "%3F").replace("=", "%3D"))


def test_sign_in_keeps_only_the_token_hash_and_returns_to_next(desktop: Desktop) -> None:
    browser = desktop.client()
    page = browser.get("/sign-in?next=/reports")
    assert 'name="next" value="/reports"' in page.text
    secret = desktop.secrets["lead"]
    response = browser.sign_in(secret, "/reports")
    assert response.status_code == 303
    assert response.headers["location"] == "/reports"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    raw = browser.client.cookies[SESSION_COOKIE].split(".")[0]
    session = json.loads(base64.b64decode(raw + "=" * (-len(raw) % 4)))
    assert session["token_hash"] == hash_secret(secret)
    assert secret not in json.dumps(session)
    assert len(session["csrf"]) >= 32
    assert browser.get("/reports").status_code == 200


def test_an_unknown_token_is_refused(desktop: Desktop) -> None:
    browser = desktop.client()
    response = browser.sign_in("esd_" + "x" * 43)
    assert response.status_code == 401
    assert "unknown or revoked" in response.text
    assert browser.get("/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x",
                                    "/\\evil.example", "javascript:alert(1)", ""])
def test_next_is_only_ever_a_local_path(desktop: Desktop, target: str) -> None:
    response = desktop.client().sign_in(desktop.secrets["lead"], target)
    assert response.headers["location"] == "/"


def test_sign_out_forgets_the_session(desktop: Desktop) -> None:
    browser = desktop.client(Role.LEAD)
    assert browser.get("/").status_code == 200
    response = browser.post("/sign-out")
    assert response.status_code == 303 and response.headers["location"] == "/sign-in"
    assert browser.get("/", follow_redirects=False).status_code == 303


def test_a_revoked_token_ends_the_session(desktop: Desktop) -> None:
    browser = desktop.client(Role.AGENT)
    assert browser.get("/").status_code == 200
    desktop.app.state.desk.authenticator.ttl = 0  # no grace period for the test
    revoke_token(desktop.store, "ana@example.com", by="test", now=T0)
    assert browser.get("/", follow_redirects=False).headers["location"] == "/sign-in"


def test_htmx_requests_without_a_session_are_redirected_by_header(desktop: Desktop) -> None:
    response = desktop.client().get("/queue/rows", headers={"HX-Request": "true"},
                                    follow_redirects=False)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/sign-in")


# --- CSRF ------------------------------------------------------------------------------------


def test_forms_without_the_csrf_token_are_refused_and_change_nothing(opened: Desktop) -> None:
    browser = opened.client(Role.LEAD)
    browser.get("/escalations/ESC-1")
    missing = browser.post("/escalations/ESC-1/acknowledge", csrf=False)
    assert missing.status_code == 403
    assert "Form expired" in missing.text
    wrong = browser.post("/escalations/ESC-1/acknowledge", {"csrf_token": "not-the-token"})
    assert wrong.status_code == 403
    assert opened.get("ESC-1").status is Status.OPEN
    stranger = opened.client().post("/sign-in", {"token": opened.secrets["lead"]}, csrf=False)
    assert stranger.status_code == 403  # signing in needs the sign-in page's token too

    via_header = browser.client.post("/escalations/ESC-1/acknowledge",
                                     headers={"X-CSRF-Token": browser.csrf,
                                              "HX-Request": "true"})
    assert via_header.status_code == 200
    assert opened.get("ESC-1").status is Status.ACKNOWLEDGED


# --- what each role sees ---------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_every_page_renders_for_every_role(opened: Desktop, role: Role) -> None:
    browser = opened.client(role)
    for path in (*PAGES, "/escalations/ESC-1", "/escalations/ESC-1?brief=zh&draft=en"):
        response = browser.get(path)
        assert response.status_code == 200, (role, path)
        assert PEOPLE[role][0] in response.text
        assert response.headers["cache-control"] == "no-store"
        assert "<script>" not in response.text  # the CSP allows no inline script


def test_a_security_escalation_does_not_exist_for_an_agent(opened: Desktop) -> None:
    agent = opened.client(Role.AGENT)
    page = agent.get("/escalations/ESC-2")
    assert page.status_code == 404
    assert "no escalation ESC-2" in page.text
    summary = opened.get("ESC-2").summary or ""
    for path in PAGES:
        text = agent.get(path).text
        assert "ESC-2" not in text and summary not in text, path
    everyone_else = opened.client(Role.LEAD).get("/escalations/ESC-2")
    assert everyone_else.status_code == 404
    assert agent.post("/escalations/ESC-2/acknowledge").status_code == 404
    for role in (Role.SECURITY, Role.ADMIN):
        seen = opened.client(role)
        assert seen.get("/escalations/ESC-2").status_code == 200
        assert "ESC-2" in seen.get("/").text


def test_revenue_is_shown_only_to_lead_leadership_and_admin(opened: Desktop) -> None:
    arr = "$120,000"
    for role in (Role.AGENT, Role.ENGINEERING, Role.PRODUCT):
        browser = opened.client(role)
        assert arr not in browser.get("/").text, role
        page = browser.get("/escalations/ESC-1").text
        assert arr not in page, role
        assert "withheld" in page
    for role in (Role.LEAD, Role.LEADERSHIP, Role.ADMIN):
        browser = opened.client(role)
        assert arr in browser.get("/").text, role
        assert arr in browser.get("/escalations/ESC-1").text, role


def test_ticket_links_are_only_web_addresses(desktop: Desktop) -> None:
    desktop.desk().open({**bug_ticket("ZD-3"), "url": "javascript:alert(1)"}, T0)
    desktop.desk().open({**bug_ticket("ZD-4", "C-4"), "url": "https://help.example/4"}, T0)
    browser = desktop.client(Role.LEAD)
    assert 'href="javascript:' not in browser.get("/escalations/ESC-1").text
    assert 'href="https://help.example/4"' in browser.get("/escalations/ESC-2").text


def test_unknown_escalations_and_pages_answer_404_pages(opened: Desktop) -> None:
    browser = opened.client(Role.LEAD)
    for path in ("/escalations/ESC-99", "/escalations/nonsense"):
        response = browser.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
    assert browser.post("/escalations/ESC-1/launch").status_code == 404


# --- the queue -------------------------------------------------------------------------------


def test_queue_countdowns_show_the_clock_without_javascript(opened: Desktop) -> None:
    browser = opened.client(Role.LEAD)
    internal = opened.get("ESC-1").internal
    assert internal is not None
    opened.clock[0] = internal.due_at - timedelta(minutes=10)
    soon = browser.get("/").text
    assert f'data-due="{internal.due_at.isoformat(timespec="seconds")}"' in soon
    assert 'data-soon-minutes="30"' in soon
    assert re.search(r'class="countdown soon"[^>]*>in 10 min 0 s<', soon)
    opened.clock[0] = internal.overdue_at + timedelta(minutes=1)
    late = browser.get("/").text
    minutes = int((opened.clock[0] - internal.due_at).total_seconds() // 60)
    assert re.search(rf'class="countdown overdue"[^>]*>overdue {minutes} min 0 s<', late)
    overdue_only = browser.get("/?overdue=1").text
    assert "ESC-1" in overdue_only


def test_queue_filters_pages_and_refreshes(opened: Desktop, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    opened.desk().open(example("14-calendar-sync-data-loss-critical.json"), T0)  # ESC-3
    browser = opened.client(Role.ADMIN)
    everything = browser.get("/").text
    assert everything.index("ESC-2") < everything.index("ESC-3") < everything.index("ESC-1")
    critical = browser.get("/?severity=critical").text
    assert "ESC-3" in critical and "ESC-1" not in critical
    assert "ESC-1" in browser.get("/?owner=ana@example.com").text
    assert "ESC-3" not in browser.get("/?owner=ana@example.com").text
    assert "ESC-1" not in browser.get("/?target=security").text
    assert "No escalations match" in browser.get("/?status=closed").text
    assert "ESC-1" in browser.get("/?status=bogus&page=x").text  # bad filters: defaults

    monkeypatch.setattr("escalation.web.dashboard.queue.PAGE_SIZE", 2)
    first = browser.get("/").text
    assert "Page 1 of 2" in first and "ESC-1" not in first
    second = browser.get("/?page=2").text
    assert "ESC-1" in second and "ESC-2" not in second

    rows = browser.get("/queue/rows?severity=high", headers={"HX-Request": "true"})
    assert rows.text.lstrip().startswith('<tbody id="queue-rows"')
    assert 'hx-trigger="every 30s"' in rows.text
    assert "/queue/rows?severity=high" in rows.text
    assert "<html" not in rows.text


# --- the escalation page and its actions -----------------------------------------------------


def actions_on(page: Response, escalation_id: str = "ESC-1") -> set[str]:
    return set(re.findall(rf'action="/escalations/{escalation_id}/([a-z-]+)"', page.text))


def test_forms_follow_the_lifecycle_and_the_role(opened: Desktop) -> None:
    lead = opened.client(Role.LEAD)
    assert actions_on(lead.get("/escalations/ESC-1")) == {
        "acknowledge", "start", "follow-up", "severity", "de-escalate", "checklist",
        "resolve"}
    engineering = opened.client(Role.ENGINEERING).get("/escalations/ESC-1")
    assert actions_on(engineering) == {"acknowledge", "start", "follow-up", "severity",
                                       "resolve"}
    assert actions_on(opened.client(Role.PRODUCT).get("/escalations/ESC-1")) == set()
    assert actions_on(opened.client("other_agent").get("/escalations/ESC-1")) == set()
    assert "follow-up" in actions_on(opened.client(Role.AGENT).get("/escalations/ESC-1"))
    opened.desk().de_escalate("ESC-1", DeEscalationReason.WORKAROUND_FOUND, "monthly export",
                              T0)
    assert actions_on(lead.get("/escalations/ESC-1")) == {"follow-up", "checklist", "reopen"}


def test_each_action_through_its_form_changes_the_escalation(opened: Desktop) -> None:
    browser = opened.client(Role.LEAD)
    browser.get("/escalations/ESC-1")

    def act(step: str, **form: Any) -> Escalation:
        opened.clock[0] += timedelta(minutes=5)
        response = browser.post(f"/escalations/ESC-1/{step}", form)
        assert response.status_code == 303, (step, response.text[:500])
        assert response.headers["location"] == "/escalations/ESC-1"
        assert "banner ok" in browser.get("/escalations/ESC-1").text
        return opened.get("ESC-1")

    assert act("acknowledge").status is Status.ACKNOWLEDGED
    assert act("start", note="Eng is bisecting").status is Status.IN_PROGRESS
    before = opened.get("ESC-1").customer_update
    changed = act("follow-up", kind="customer", note="Told them the fix is in review")
    assert changed.last_customer_at == opened.clock[0] and changed.customer_update != before
    assert act("severity", severity="critical", reason="Second region down").severity \
        is Severity.CRITICAL
    resolved = act("resolve", resolution="Rolled back 2.41", learning="Canary exports",
                   fix_kind="workaround")
    assert resolved.status is Status.RESOLVED and resolved.learning == "Canary exports"
    ticked = act("checklist", item=[i.value for i in ChecklistItem])
    assert ticked.checklist == frozenset(ChecklistItem)
    assert act("close").status is Status.CLOSED
    reopened = act("reopen", reason="It came back after the deploy")
    assert reopened.status is Status.OPEN and reopened.checklist == frozenset()
    deescalated = act("de-escalate", reason="self_resolved", note="Cache expired on its own")
    assert deescalated.status is Status.DE_ESCALATED
    page = browser.get("/escalations/ESC-1").text
    for words in ("Told them the fix is in review", "Canary exports", "Severity changed",
                  "Cache expired on its own"):
        assert words in page
    actors = {e.actor for e in opened.desk().timeline("ESC-1")}
    assert "lee@example.com" in actors  # audited as the signed-in person


def test_htmx_actions_swap_the_escalation_section(opened: Desktop) -> None:
    browser = opened.client(Role.AGENT)
    browser.get("/escalations/ESC-1")
    response = browser.post("/escalations/ESC-1/follow-up",
                            {"kind": "internal", "note": "Checked with Eng"},
                            headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="escalation"')
    assert "<html" not in response.text
    assert banner(response, "ok") == "Follow-up recorded."
    assert "Checked with Eng" in response.text
    assert opened.get("ESC-1").last_internal_at == T0


def cli(db_url: str, *args: str) -> str:
    result = run_escalate("--db", db_url, "--actor", "cli", *args)
    assert result.returncode != 0
    return result.stderr.strip().removeprefix("escalate: ")


@pytest.mark.slow  # runs the CLI three times to compare its words
def test_refusals_carry_the_cli_message_and_change_nothing(opened: Desktop) -> None:
    browser = opened.client(Role.LEAD)
    browser.get("/escalations/ESC-1")
    version = opened.get("ESC-1").version
    now = T0.isoformat()

    closing = browser.post("/escalations/ESC-1/close")
    assert closing.status_code == 409
    assert refusal(closing) == cli(opened.db_url, "close", "ESC-1", "--now", now)

    no_note = browser.post("/escalations/ESC-1/follow-up", {"kind": "internal", "note": " "})
    assert no_note.status_code == 409
    assert refusal(no_note) == cli(opened.db_url, "follow-up", "ESC-1", "--internal",
                                   "--note", " ", "--now", now)
    assert "<details class=\"action-panel\" open>" in no_note.text  # the form stays open

    no_reason = browser.post("/escalations/ESC-1/de-escalate",
                             {"reason": "workaround_found", "note": ""})
    assert no_reason.status_code == 409
    assert refusal(no_reason) == cli(opened.db_url, "deescalate", "ESC-1", "--reason",
                                     "workaround_found", "--note", "", "--now", now)

    same = browser.post("/escalations/ESC-1/severity", {"severity": "high", "reason": "x"})
    assert same.status_code == 409 and refusal(same) == "ESC-1: severity is already high"

    bad = browser.post("/escalations/ESC-1/severity",
                       {"severity": "urgent", "reason": "Typed in a hurry"})
    assert bad.status_code == 422
    assert refusal(bad) == 'severity: expected one of critical, high, medium, got "urgent"'
    assert "Typed in a hurry" in bad.text  # what was typed is kept

    swapped = browser.post("/escalations/ESC-1/close", headers={"HX-Request": "true"})
    assert swapped.status_code == 409
    assert swapped.text.lstrip().startswith('<div id="escalation"')
    assert opened.get("ESC-1").version == version
    assert opened.get("ESC-1").status is Status.OPEN


def test_a_role_that_may_not_act_is_refused_with_403(opened: Desktop) -> None:
    for who in (Role.PRODUCT, "other_agent"):
        browser = opened.client(who)
        browser.get("/escalations/ESC-1")
        refused = browser.post("/escalations/ESC-1/acknowledge")
        assert refused.status_code == 403, who
        assert "may not acknowledge it" in refusal(refused)
    engineering = opened.client(Role.ENGINEERING)
    engineering.get("/escalations/ESC-1")
    assert engineering.post("/escalations/ESC-1/de-escalate",
                            {"reason": "self_resolved", "note": "n"}).status_code == 403
    assert engineering.post("/escalations/ESC-1/acknowledge").status_code == 303
    assert opened.get("ESC-1").status is Status.ACKNOWLEDGED


def test_brief_language_switch_and_draft_update(opened: Desktop) -> None:
    browser = opened.client(Role.LEAD)
    english = browser.get("/escalations/ESC-1").text
    assert "REPRODUCTION STEPS" in english
    chinese = browser.get("/escalations/ESC-1/brief?lang=zh", headers={"HX-Request": "true"})
    assert chinese.text.lstrip().startswith('<section id="brief"')
    assert "复现步骤" in chinese.text and 'lang="zh-Hans"' in chinese.text
    fallback = browser.get("/escalations/ESC-1/brief?lang=zh", follow_redirects=False)
    assert fallback.headers["location"] == "/escalations/ESC-1?brief=zh#brief"
    draft = browser.get("/escalations/ESC-1/draft?draft=zh", headers={"HX-Request": "true"})
    assert '<div id="draft"' in draft.text and "您好" in draft.text
    no_js = browser.get("/escalations/ESC-1?draft=en").text
    assert 'id="draft-text"' in no_js


# --- languages -------------------------------------------------------------------------------


def test_the_whole_interface_switches_to_chinese(opened: Desktop) -> None:
    browser = opened.client(Role.ADMIN)
    response = browser.post("/language", {"lang": "zh", "next": "/escalations/ESC-1"})
    assert response.status_code == 303
    assert response.headers["location"] == "/escalations/ESC-1"
    page = browser.get("/escalations/ESC-1").text
    assert '<html lang="zh-Hans">' in page
    for words in ("队列", "新建升级", "跟进", "闭环清单", "时间线", "升级简报", "影响"):
        assert words in page, words
    assert "Record a follow-up" not in page
    for path in PAGES:
        assert re.search(r"[\u4e00-\u9fff]{2,}", browser.get(path).text), path
    assert "报表" in browser.get("/reports").text
    assert "小时" in browser.get("/").text  # countdowns in Chinese units
    closing = browser.post("/escalations/ESC-1/close")
    assert "已拒绝" in closing.text
    signed_out = opened.client()
    signed_out.client.cookies.set("lang", "zh")
    assert "登录" in signed_out.get("/sign-in").text
    assert "登录" in opened.client().get("/sign-in",
                                          headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text


def test_every_dashboard_word_has_a_chinese_translation() -> None:
    from babel.messages.extract import extract
    from babel.messages.pofile import read_po
    from jinja2.ext import babel_extract

    from escalation.web.dashboard import i18n

    package = Path(i18n.__file__).parent
    msgids: dict[str, str] = {}
    for template in sorted((package / "templates").glob("*.html")):
        with template.open("rb") as source:
            for _line, msgid, _comments, _context in extract(
                    babel_extract, source, keywords={"_": None, "gettext": None},
                    options={"extensions": "jinja2.ext.i18n", "trim_blocks": "true",
                             "lstrip_blocks": "true"}):
                msgids.setdefault(str(msgid), template.name)
    for module in sorted(package.glob("*.py")):
        with module.open("rb") as source:
            for _line, msgid, _comments, _context in extract("python", source,
                                                             keywords={"N_": None}):
                msgids.setdefault(str(msgid), module.name)
    assert len(msgids) > 200
    with i18n.po_path("zh").open("rb") as source:
        catalog = read_po(source, locale="zh_Hans")
    missing, broken = [], []
    for msgid, where in msgids.items():
        message = catalog.get(msgid)
        if message is None or not message.string or message.fuzzy:
            missing.append(f"{where}: {msgid}")
            continue
        if set(re.findall(r"%\((\w+)\)s", msgid)) != set(
                re.findall(r"%\((\w+)\)s", str(message.string))):
            broken.append(f"{where}: {msgid}")
    assert missing == [] and broken == []
    unused = {str(m.id) for m in catalog if m.id} - set(msgids)
    assert unused == set(), "obsolete entries in dashboard.po"


# --- new escalation --------------------------------------------------------------------------


def field_value(page: Response, name: str) -> str:
    found = re.search(rf'name="{name}" id="f-{name}"[^>]*value="([^"]*)"', page.text)
    assert found, name
    return html.unescape(found.group(1))


def test_assess_shows_everything_before_open_opens(desktop: Desktop) -> None:
    browser = desktop.client(Role.AGENT)
    browser.get("/new")
    form = {"id": "ZD-77", "subject": "Checkout fails for saved cards",
            "description": "Every saved-card checkout returns HTTP 500 since 2.41.",
            "created_at": (T0 - timedelta(hours=3)).isoformat(), "current_tier": "l2",
            "category": "bug", "customer_name": "Brightwave", "customer_id": "acct_7",
            "customer_arr": "180,000", "customer_plan": "enterprise", "fact_bug_confirmed": "1",
            "fact_blocked": "1", "repro_steps": "Sign in\nPay with a saved card",
            "expected": "Order placed", "actual": "HTTP 500"}
    assessed = browser.post("/new", {**form, "intent": "assess"})
    assert assessed.status_code == 200
    text = assessed.text
    assert "decision-escalate" in text and "Engineering" in text
    assert "Bug confirmed: it needs a code fix" in text
    assert "ESCALATION" in text and "Lint findings" in text
    assert 'value="open"' in text  # the open button appears once assessed
    assert field_value(assessed, "subject") == "Checkout fails for saved cards"
    with desktop.store.unit_of_work(read_only=True) as uow:
        assert uow.list_escalations() == []  # assessing opens nothing

    opened = browser.post("/new", {**form, "intent": "open"})
    assert opened.status_code == 303
    location = opened.headers["location"]
    assert location == "/escalations/ESC-1"
    page = browser.get(location).text
    assert "Opened ESC-1." in page
    escalation = desktop.get("ESC-1")
    assert escalation.owner == "ana@example.com" and escalation.customer.arr == 180000


def test_new_and_escalation_pages_show_what_was_read_from_the_ticket(desktop: Desktop
                                                                     ) -> None:
    words = {"id": "ZD-79", "subject": "Contacts gone after the sync",
             "description": "Since the sync half of our contacts disappeared. No security "
                            "issue as far as we know."}
    browser = desktop.client(Role.AGENT)
    browser.get("/new")
    assessed = browser.post("/new", {"ticket_json": json.dumps(words), "intent": "assess"})
    assert assessed.status_code == 200
    text = html.unescape(assessed.text)
    assert "Read from the ticket" in text and 'data-fact="data_loss"' in text
    assert "<q>half of our contacts disappeared</q>" in text and "Description" in text
    reading = text[text.index('id="reading"'):]
    assert '<details class="set-aside">' in reading and "Negated" in reading
    assert "<q>security issue</q>" in reading
    opened = browser.post("/new", {"ticket_json": json.dumps(words), "intent": "open"})
    assert opened.status_code == 303
    page = html.unescape(browser.get(opened.headers["location"]).text)
    assert "Read from the ticket" in page and "<q>half of our contacts disappeared</q>" in page
    browser.post("/language", {"lang": "zh", "next": opened.headers["location"]})
    chinese = html.unescape(browser.get(opened.headers["location"]).text)
    assert "从工单文字读出" in chinese and "被否定" in chinese


def test_bad_ticket_input_names_the_field_and_keeps_what_was_typed(desktop: Desktop) -> None:
    browser = desktop.client(Role.AGENT)
    browser.get("/new")
    typed = {"id": "ZD-78", "subject": "Exports stall", "customer_arr": "lots",
             "intent": "assess"}
    bad = browser.post("/new", typed)
    assert bad.status_code == 422
    assert refusal(bad) == ('customer.arr: expected a number ≥ 0 (annual recurring revenue), '
                            'got "lots"')
    assert field_value(bad, "subject") == "Exports stall"
    assert re.search(r'name="customer_arr" id="f-customer_arr" aria-invalid="true"', bad.text)

    no_id = browser.post("/new", {"subject": "No id", "intent": "assess"})
    assert no_id.status_code == 422
    assert refusal(no_id).startswith("id: expected a non-empty string")

    broken = browser.post("/new", {"ticket_json": '{"id": "ZD-1",', "intent": "assess"})
    assert broken.status_code == 422
    assert refusal(broken).startswith("ticket_json: expected valid JSON (line 1")
    assert '{&#34;id&#34;: &#34;ZD-1&#34;,' in broken.text

    nested = browser.post("/new", {"ticket_json": json.dumps(
        {"id": "ZD-2", "facts": {"category": "catastrophe"}}), "intent": "assess"})
    assert nested.status_code == 422
    assert refusal(nested).startswith("facts.category: expected one of")


def test_opening_needs_a_role_that_opens(desktop: Desktop) -> None:
    browser = desktop.client(Role.ENGINEERING)
    page = browser.get("/new").text
    assert "may assess tickets but not open" in page
    refused = browser.post("/new", {"ticket_json": json.dumps(bug_ticket("ZD-9")),
                                    "intent": "open"})
    assert refused.status_code == 403
    with desktop.store.unit_of_work(read_only=True) as uow:
        assert uow.list_escalations() == []


def test_a_support_ticket_is_refused_then_opened_anyway_with_a_choice(desktop: Desktop
                                                                      ) -> None:
    browser = desktop.client(Role.LEAD)
    browser.get("/new")
    how_to = json.dumps(example("11-custom-domain-howto-support.json"))
    refused = browser.post("/new", {"ticket_json": how_to, "intent": "open"})
    assert refused.status_code == 409
    assert "should be handled in support" in refusal(refused)
    assert 'value="force"' in refused.text
    forced = browser.post("/new", {"ticket_json": how_to, "intent": "force",
                                   "force_target": "l2", "force_severity": "medium"})
    assert forced.status_code == 303
    escalation = desktop.get("ESC-1")
    assert (escalation.target.value, escalation.severity.value) == ("l2", "medium")


def test_a_ticket_like_an_open_escalation_can_be_linked_instead(opened: Desktop) -> None:
    browser = opened.client(Role.AGENT)
    browser.get("/new")
    twin = json.dumps(bug_ticket("ZD-5", "C-5"))
    assessed = browser.post("/new", {"ticket_json": twin, "intent": "assess"})
    assert 'value="link:ESC-1"' in assessed.text
    assert "ESC-2" not in assessed.text  # never suggests what the viewer may not see
    linked = browser.post("/new", {"ticket_json": twin, "intent": "link:ESC-1"})
    assert linked.status_code == 303 and linked.headers["location"] == "/escalations/ESC-1"
    assert opened.get("ESC-1").customers_affected == 2


# --- patterns and reports --------------------------------------------------------------------



def export_ticket(n: int) -> dict[str, Any]:
    ticket_id, customer, subject, description = EXPORT_500[n]
    return {"id": ticket_id, "subject": subject, "description": description,
            "created_at": (T0 - timedelta(hours=5 - n)).isoformat(), "current_tier": "l2",
            "product_area": "exports",
            "customer": {"id": customer, "name": f"Customer {customer}", "plan": "business"},
            "facts": {"category": "bug", "bug_confirmed": True, "blocked": True}}


def test_patterns_link_a_second_ticket_then_escalate_a_quiet_group(desktop: Desktop) -> None:
    desk = desktop.desk()
    desk.open(export_ticket(0), T0)  # ESC-1
    desk.open(export_ticket(1), T0)  # ESC-2: the same issue, escalated twice
    browser = desktop.client(Role.LEAD)
    page = browser.get("/patterns")
    assert "ZD-101" in page.text and "ZD-102" in page.text
    assert "Open escalation:" in page.text
    cluster = re.search(r'name="cluster" value="([^"]+)"', page.text)
    assert cluster, "no link form on the patterns page"
    linked = browser.post("/patterns/link", {"cluster": cluster.group(1), "ticket": "ZD-102"})
    assert linked.status_code == 303
    assert desktop.get("ESC-1").customers_affected == 2

    for escalation_id in ("ESC-1", "ESC-2"):
        desk.de_escalate(escalation_id, DeEscalationReason.WORKAROUND_FOUND, "by month", T0)
    quiet = browser.get("/patterns")
    assert 'action="/patterns/escalate"' in quiet.text
    escalated = browser.post("/patterns/escalate", {"cluster": cluster.group(1)})
    assert escalated.status_code == 303
    assert desktop.get("ESC-3").ticket_id == "ZD-101"
    again = browser.post("/patterns/escalate", {"cluster": cluster.group(1)})
    assert again.status_code == 409 and "already has the open escalation ESC-3" in again.text

    reader = desktop.client(Role.ENGINEERING)
    assert 'action="/patterns/escalate"' not in reader.get("/patterns").text
    assert reader.post("/patterns/escalate", {"cluster": cluster.group(1)}).status_code == 403


def tile(page: Response, label: str) -> str:
    found = re.search(rf'tile-label">{re.escape(label)}</span><span class="tile-value">'
                      r"([^<]+)<", page.text)
    assert found, label
    return found.group(1)


def test_reports_chart_the_escalations_the_viewer_may_see(opened: Desktop) -> None:
    opened.clock[0] = T0 + timedelta(hours=6)
    desk = opened.desk()
    desk.acknowledge("ESC-1", T0 + timedelta(hours=1))
    desk.de_escalate("ESC-1", DeEscalationReason.WORKAROUND_FOUND, "by month",
                     T0 + timedelta(hours=3))
    for role, opened_count in ((Role.AGENT, "1"), (Role.SECURITY, "2")):
        page = opened.client(role).get("/reports")
        assert page.status_code == 200
        assert tile(page, "Opened") == opened_count, role
        assert tile(page, "De-escalation rate") == "100%"
        assert page.text.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart') >= 3
        assert "<th scope=\"row\">Time to acknowledge</th><td class=\"num\">1</td>" \
               "<td class=\"num\">1 h</td>" in page.text
    assert "Security" not in opened.client(Role.AGENT).get("/reports").text.split(
        'id="by-target-title"')[1].split("</section>")[0]


def test_a_failure_is_a_page_not_a_traceback(desktop: Desktop,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("escalation.web.dashboard.reports.build_report", broken)
    response = desktop.client(Role.LEAD).get("/reports")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "internal error" in response.text and "secret internals" not in response.text


def test_static_files_are_served_with_the_pages(desktop: Desktop) -> None:
    browser = desktop.client()
    page = browser.get("/sign-in").text
    for path in re.findall(r'(?:src|href)="(/static/[^"]+)"', page):
        assert browser.get(path).status_code == 200, path
    script = browser.get("/static/desk.js").text
    assert "data-countdown" in script and "setInterval" in script
