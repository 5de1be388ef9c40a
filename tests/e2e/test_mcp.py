"""`escalate mcp`: a real MCP client over stdio drives an escalation from assessment to close."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from escalation.adapters.db.store import Store

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOW = "2026-11-26T10:00:00Z"

TOOLS = {
    "assess_ticket", "open_escalation", "get_brief", "lint_brief", "list_followups",
    "record_follow_up", "change_severity", "de_escalate", "close_escalation", "find_patterns",
    "draft_customer_update", "acknowledge", "resolve", "tick_checklist", "show_escalation",
    "explain_ticket",
}
# Its fields state no facts: only its words say the data is gone.
WORDS_ONLY = {"id": "ZD-1", "subject": "Contacts gone",
              "description": "Since the sync half of our contacts disappeared."}


def _ticket(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return data


def _text(result: Any) -> str:
    return "".join(c.text for c in result.content if getattr(c, "type", "") == "text")


def _cli_refusal(db: str, *args: str) -> str:
    """The one line the CLI prints on stderr for the same refusal, without its prefix."""
    done = subprocess.run(
        [sys.executable, "-m", "escalation", "--db", db, "--actor", "alice", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode != 0, done.stdout
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith("escalate: ")
    return line.removeprefix("escalate: ")


async def _session_run(db: str) -> dict[str, Any]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "escalation", "--db", db, "--actor", "assistant", "mcp"],
    )
    seen: dict[str, Any] = {}
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()

        async def call(name: str, **arguments: Any) -> Any:
            result = await session.call_tool(name, arguments)
            assert not result.is_error, (name, _text(result))
            text = _text(result)
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                return text

        listed = await session.list_tools()
        seen["tools"] = {t.name: t for t in listed.tools}

        ticket = _ticket("01-checkout-500-engineering.json")
        seen["assessment"] = await call("assess_ticket", ticket=ticket, now=NOW)
        seen["from_words"] = await call("assess_ticket", ticket=WORDS_ONLY, now=NOW)
        seen["words_off"] = await call("assess_ticket", ticket=WORDS_ONLY, now=NOW,
                                       derive=False)
        seen["explained"] = await call("explain_ticket", ticket=WORDS_ONLY, now=NOW)
        opened = await call("open_escalation", ticket=ticket, now=NOW)
        esc = opened["escalation"]["id"]
        seen["opened"] = opened
        seen["ack"] = await call("acknowledge", escalation_id=esc, now="2026-11-26T10:05:00Z")
        seen["follow_up"] = await call("record_follow_up", escalation_id=esc, kind="internal",
                                       note="Eng reproduced it", now="2026-11-26T11:00:00Z")
        seen["severity"] = await call("change_severity", escalation_id=esc, severity="critical",
                                      reason="Now failing for every EU checkout",
                                      now="2026-11-26T11:10:00Z")
        seen["brief"] = await call("get_brief", escalation_id=esc, now="2026-11-26T11:15:00Z")
        seen["followups"] = await call("list_followups", include_upcoming=True,
                                       now="2026-11-26T11:20:00Z")

        # A refusal: closing before the resolution and the checklist.
        refused = await session.call_tool("close_escalation",
                                          {"escalation_id": esc, "now": "2026-11-26T11:30:00Z"})
        seen["close_refused"] = (refused.is_error, _text(refused))
        # Another: a ticket to handle in support is not opened without force.
        howto = await session.call_tool(
            "open_escalation", {"ticket": _ticket("11-custom-domain-howto-support.json"),
                                "now": NOW})
        seen["open_refused"] = (howto.is_error, _text(howto))
        unknown = await session.call_tool("acknowledge", {"escalation_id": "ESC-999"})
        seen["unknown"] = (unknown.is_error, _text(unknown))

        seen["resolved"] = await call(
            "resolve", escalation_id=esc, resolution="Hotfix deployed for the EU tax rounding",
            learning="Currency rounding needs a regression test", now="2026-11-26T15:00:00Z")
        seen["ticked"] = await call(
            "tick_checklist", escalation_id=esc,
            items=["notify_team", "update_ticket", "inform_customer", "document_learning"],
            now="2026-11-26T15:10:00Z")
        seen["closed"] = await call("close_escalation", escalation_id=esc,
                                    now="2026-11-26T15:20:00Z")

        policy = await session.read_resource("escalation://policy")
        seen["policy"] = policy.contents[0]
        brief = await session.read_resource(f"escalation://escalations/{esc}/brief")
        seen["brief_resource"] = brief.contents[0]
    return seen


@pytest.mark.slow
def test_an_assistant_runs_an_escalation_through_the_mcp_tools(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'mcp.db'}"
    seen = anyio.run(_session_run, db)

    tools = seen["tools"]
    assert set(tools) >= TOOLS
    for name in TOOLS:
        assert tools[name].description, name
        assert tools[name].input_schema.get("type") == "object", name
    assert {"ticket", "now"} <= set(tools["assess_ticket"].input_schema["properties"])
    assert tools["record_follow_up"].input_schema["required"] == ["escalation_id", "kind",
                                                                  "note"]

    assert seen["assessment"]["decision"] == "escalate"
    assert seen["assessment"]["target"] == "engineering"
    assert "derive" in tools["assess_ticket"].input_schema["properties"]
    assert seen["from_words"]["decision"] == "escalate"
    assert any('read in description: "half of our contacts disappeared"' in r["text"]
               for r in seen["from_words"]["reasons"])
    assert seen["words_off"]["decision"] == "handle_in_support"
    explained = seen["explained"]
    assert [f["fact"] for f in explained["derived"]] == ["data_loss"]
    assert explained["derived"][0]["evidence"][0]["field"] == "description"
    assert explained["with_derived"]["decision"] == "escalate"
    assert explained["without_derived"]["decision"] == "handle_in_support"
    assert explained["changed"] is True
    opened = seen["opened"]["escalation"]
    assert (opened["id"], opened["status"], opened["owner"]) == ("ESC-1", "open", "assistant")
    assert seen["ack"]["escalation"]["status"] == "acknowledged"
    assert seen["severity"]["escalation"]["severity"] == "critical"
    assert "ZD-48213" in seen["brief"] and seen["brief"].lstrip().startswith("#")
    assert any(f["escalation_id"] == "ESC-1" for f in seen["followups"]["followups"])
    assert seen["resolved"]["escalation"]["status"] == "resolved"
    assert seen["ticked"]["checklist_missing"] == []
    assert seen["closed"]["escalation"]["status"] == "closed"

    # Refusals come back as tool errors carrying the CLI's one-line message, no traceback.
    is_error, text = seen["open_refused"]
    cli = _cli_refusal(f"sqlite:///{tmp_path / 'cli.db'}", "open",
                       str(EXAMPLES / "11-custom-domain-howto-support.json"), "--now", NOW)
    assert is_error and cli in text and "Traceback" not in text
    assert cli.startswith("IC-77310 should be handled in support")
    is_error, text = seen["close_refused"]
    assert is_error and "Traceback" not in text and len(text.splitlines()) == 1
    is_error, text = seen["unknown"]
    assert is_error and "ESC-999" in text and "Traceback" not in text

    policy = seen["policy"]
    assert policy.mime_type == "application/json"
    assert json.loads(policy.text)["name"] == "seed-defaults"
    assert "thresholds" in json.loads(policy.text)
    brief = seen["brief_resource"]
    assert brief.mime_type == "text/markdown" and "ZD-48213" in brief.text

    store = Store(db)
    try:
        with store.unit_of_work(read_only=True) as uow:
            events = list(uow.events())
    finally:
        store.close()
    actions = [e.action for e in events]
    assert actions[0] == "escalation.opened" and "escalation.closed" in actions
    assert {e.actor for e in events} == {"assistant"}
