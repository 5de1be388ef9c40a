"""The dashboard in a real browser (Debian's Chromium driven by Playwright) against a real
uvicorn server over SQLite: sign in, open an escalation from a ticket, watch its countdown tick,
record a follow-up, de-escalate, complete the checklist, close, switch to Chinese, and read the
queue as cards on a phone. Every step leaves a screenshot in test-artifacts/screenshots/.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from escalation.domain.access import Role
from escalation.domain.contract import ticket_from_mapping
from escalation.tokens import create_token
from escalation.web.app import create_app
from escalation.web.settings import WebSettings
from support import EXPORT_500, bug_ticket

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
EXAMPLES = ROOT / "examples"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Debian's Chromium (/usr/bin/chromium) is not installed: browser "
                              "tests skipped (.ci/run installs it; never `playwright install`)"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")




def export_ticket(n: int, now: datetime) -> dict[str, Any]:
    ticket_id, customer, subject, description = EXPORT_500[n]
    return {"id": ticket_id, "subject": subject, "description": description,
            "created_at": (now - timedelta(hours=6 - n)).isoformat(), "current_tier": "l2",
            "product_area": "exports",
            "customer": {"id": customer, "name": f"Customer {customer}", "plan": "business",
                         "arr": 40000 + 5000 * n},
            "facts": {"category": "bug", "bug_confirmed": True, "blocked": True}}


@dataclass(frozen=True)
class Running:
    url: str
    tokens: dict[Role, str]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """The whole app under uvicorn on a free loopback port, with a few escalations open."""
    import uvicorn

    from escalation.services import Desk

    db = tmp_path_factory.mktemp("browser") / "desk.db"
    app = create_app(WebSettings(db_url=f"sqlite:///{db}", secret_key="browser-test-" * 4))
    context = app.state.desk
    now = datetime.now(UTC)
    tokens = {}
    for role, name in ((Role.LEAD, "lee@example.com"), (Role.AGENT, "ana@example.com")):
        _record, secret = create_token(context.store, name=name, role=role, team="emea",
                                       by="test", now=now)
        tokens[role] = secret
    desk = Desk(context.store, context.policy, "lee@example.com")
    for example in ("14-calendar-sync-data-loss-critical.json", "07-report-timeout-engineering-"
                    "leadership.json", "03-scheduled-export-feature-gap-product.json",
                    "04-shared-link-data-exposure-security.json"):
        desk.open(json.loads((EXAMPLES / example).read_text(encoding="utf-8")), now)
    # A pattern: one customer's report escalated, a second customer's escalated separately
    # (to be linked), two more only indexed from the helpdesk.
    desk.open(export_ticket(0, now), now)
    desk.open(export_ticket(1, now), now)
    desk.index_tickets([ticket_from_mapping(export_ticket(n, now)) for n in (2, 3)], now)

    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start within 30 s")
        time.sleep(0.05)
    try:
        yield Running(f"http://127.0.0.1:{port}", tokens)
    finally:
        running.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                              args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, server: Running, role: Role, then: str = "/") -> None:
    page.goto(server.url + then)
    page.wait_for_url("**/sign-in**")
    page.fill("#token", server.tokens[role])
    page.click("form[action='/sign-in'] button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_escalation_from_ticket_to_closed(server: Running, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US",
                                  timezone_id="America/New_York")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Refusals answer 4xx on purpose (Chromium logs those as "Failed to load resource").
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and "Failed to load resource" not in msg.text else None)

    # Signed out: the queue sends the browser to the sign-in page, which comes back after.
    page.goto(server.url + "/")
    assert "/sign-in" in page.url
    shot(page, "01-sign-in")
    page.fill("#token", server.tokens[Role.LEAD])
    page.click("form[action='/sign-in'] button[type=submit]")
    page.wait_for_url(server.url + "/")
    assert page.locator(".who-name").inner_text() == "lee@example.com"

    # New escalation: paste a ticket, assess (nothing opened yet), then open it.
    opened = datetime.now(UTC)
    ticket = bug_ticket("ZD-7001", "C-BROWSER", opened=opened)
    page.click("nav.mainnav >> text=New escalation")
    page.fill("#f-ticket_json", json.dumps(ticket, indent=2))
    page.click("button[value=assess]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#impact .decision-escalate").count() == 1
    assert "ESCALATION" in page.locator(".brief-body").inner_text()
    assert page.locator("#lint").is_visible()
    shot(page, "02-new-assessed")
    page.click("button[value=open]")
    page.wait_for_url("**/escalations/ESC-*")
    escalation_url = page.url
    escalation_id = escalation_url.rsplit("/", 1)[-1]
    assert f"Opened {escalation_id}." in page.locator(".banner.ok").inner_text()
    shot(page, "03-escalation-opened")

    # The queue: the new escalation with a countdown that ticks every second.
    page.click("nav.mainnav >> text=Queue")
    row = page.locator("#queue-rows tr", has=page.locator(f"a:text-is('{escalation_id}')"))
    clock = row.locator("time.countdown").first
    before = clock.inner_text()
    assert before.startswith("in ")
    page.wait_for_timeout(1500)
    after = clock.inner_text()
    assert after != before, "the countdown did not tick"
    ids = page.locator("#queue-rows td.esc a").all_inner_texts()
    assert len(ids) == 6 and "ESC-4" not in ids  # the security one is not shown to a lead
    shot(page, "04-queue")

    # Record a follow-up (htmx swaps the escalation section in place).
    page.goto(escalation_url)
    page.click("summary:has-text('Record a follow-up')")
    page.check("input[name=kind][value=customer]")
    page.fill("#fu-note", "Told the customer a fix is being tested; next update by 17:00.")
    page.click("form[data-step='follow-up'] button[type=submit]")
    page.wait_for_selector(".banner.ok:has-text('Follow-up recorded.')")
    assert "a fix is being tested" in page.locator("#followups .log").inner_text()
    assert page.url == escalation_url  # swapped in place, no navigation
    shot(page, "05-follow-up-recorded")

    # A refusal shows the desk's own message and changes nothing.
    page.click("summary:has-text('De-escalate')")
    page.select_option("#de-reason", "workaround_found")
    page.click("form[data-step='de-escalate'] button[type=submit]")
    page.wait_for_selector(".banner.error")
    assert "a de-escalation note is required" in page.locator(".banner.error").inner_text()
    assert page.locator(".head-facts .chip").first.inner_text() == "Open"
    page.screenshot(path=str(SHOTS / "05b-refused.png"))

    page.fill("#de-note", "Root cause: export batch size; workaround is exporting by month.")
    page.click("form[data-step='de-escalate'] button[type=submit]")
    page.wait_for_selector(".banner.ok:has-text('De-escalated.')")
    assert page.locator(".head-facts .chip").first.inner_text() == "De-escalated"
    shot(page, "06-de-escalated")

    # Complete the closing checklist, then close.
    for box in page.locator("form[data-step='checklist'] input[name=item]").all():
        box.check()
    page.click("form[data-step='checklist'] button[type=submit]")
    page.wait_for_selector(".ok-note:has-text('Everything is done')")
    shot(page, "07-checklist-complete")
    page.click("form[data-step='close'] button[type=submit]")
    page.wait_for_selector(".banner.ok:has-text('Closed.')")
    assert page.locator(".head-facts .chip").first.inner_text() == "Closed"
    shot(page, "08-closed")

    # The whole interface in Chinese.
    page.click(".lang-switch button[value=zh]")
    page.wait_for_load_state("networkidle")
    assert page.locator("nav.mainnav a").first.inner_text() == "队列"
    assert page.locator(".head-facts .chip").first.inner_text() == "已关闭"
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert "升级" in page.locator(".brief-body").inner_text()
    shot(page, "09-escalation-zh")
    page.click("nav.mainnav a:has-text('队列')")
    assert "秒" in page.locator("#queue-rows time.countdown").first.inner_text()
    shot(page, "10-queue-zh")
    page.click("nav.mainnav a:has-text('报表')")
    assert page.locator("svg.chart").count() >= 2
    shot(page, "11-reports-zh")
    page.click(".lang-switch button[value=en]")
    page.wait_for_load_state("networkidle")
    page.click("nav.mainnav >> text=Reports")
    shot(page, "12-reports")
    page.click("nav.mainnav >> text=Patterns")
    pattern = page.locator("article.pattern").first
    assert "3+ customers" in pattern.inner_text()
    shot(page, "13-patterns")
    pattern.locator("button:has-text('Link to')").first.click()
    page.wait_for_load_state("networkidle")
    assert "Linked ZD-102 to ESC-5." in page.locator(".banner.ok").inner_text()
    shot(page, "14-pattern-linked")

    assert errors == []
    context.close()


def test_queue_is_cards_on_a_phone(server: Running, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2, locale="en-US")
    page = context.new_page()
    sign_in(page, server, Role.AGENT)
    rows = page.locator("#queue-rows tr")
    assert rows.count() >= 3
    assert page.locator("table.queue thead").is_hidden()
    assert rows.first.evaluate("row => getComputedStyle(row).display") == "grid"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # An agent sees no revenue.
    arr = rows.first.locator("td[data-label='ARR at risk']").inner_text()
    assert arr.strip() == "—"
    shot(page, "15-phone-queue")
    rows.first.locator("td.esc a").click()
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "16-phone-escalation")
    page.screenshot(path=str(SHOTS / "16-phone-escalation-top.png"))
    page.goto(server.url + "/new")
    shot(page, "17-phone-new")
    context.close()


def test_sign_out_ends_the_session(server: Running, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in(page, server, Role.AGENT, then="/reports")
    assert page.url.endswith("/reports")
    page.click(".sign-out button")
    page.wait_for_url("**/sign-in")
    page.goto(server.url + "/")
    assert "/sign-in" in page.url
    context.close()
