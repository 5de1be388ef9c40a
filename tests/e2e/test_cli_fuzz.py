"""Fuzz the CLI: any input gets a whole answer (exit 0) or one clear line (exit 2)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from escalation.cli import app
from escalation.domain.model import BOOL_FACTS, TEXT_FACTS

NOW = "2026-11-26T10:00:00Z"
runner = CliRunner()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10**6) | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
fact_names = st.sampled_from([*BOOL_FACTS, *TEXT_FACTS, "category", "customers_affected",
                              "high_value_customers_affected", "hours_waiting"])
ticket_keys = st.sampled_from(["subject", "description", "created_at", "current_tier",
                               "product_area", "steps_tried", "reproduction", "communications",
                               "ask", "deadline", "links"])
tickets = st.fixed_dictionaries(
    {"id": st.text(min_size=1, max_size=8)},
    optional={
        "facts": st.dictionaries(fact_names, json_values, max_size=6),
        "customer": st.dictionaries(
            st.sampled_from(["id", "name", "arr", "plan", "reference_customer", "sla_hours",
                             "update_hours", "timezone", "country"]),
            json_values, max_size=5),
    },
).flatmap(lambda base: st.dictionaries(ticket_keys, json_values, max_size=3).map(
    lambda extra: {**extra, **base}))


def check(payload: str, *args: str) -> Any:
    result = runner.invoke(app, [*args, "-", "--now", NOW], input=payload)
    assert result.exit_code in (0, 2), (result.exit_code, result.stdout, result.stderr)
    if result.exit_code == 2:
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("escalate: "), result.stderr
        return None
    assert result.exception is None
    return json.loads(result.stdout)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_any_json_value_is_answered_or_refused_cleanly(value: Any) -> None:
    check(json.dumps(value), "assess")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tickets)
def test_ticket_shaped_noise_is_answered_or_refused_naming_a_field(ticket: dict[str, Any]) -> None:
    out = check(json.dumps(ticket), "assess")
    if out is not None:
        assert out["ticket_id"] == ticket["id"]
        assert out["decision"] in ("escalate", "handle_in_support")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tickets)
def test_briefs_in_every_format_never_crash(ticket: dict[str, Any]) -> None:
    result = runner.invoke(app, ["brief", "-", "--now", NOW, "--format", "json", "--lang", "zh"],
                           input=json.dumps(ticket))
    assert result.exit_code in (0, 2), result.stderr
    if result.exit_code == 0:
        assert json.loads(result.stdout)["kind"] == "escalation_brief"


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=64))
def test_bytes_that_are_not_json_are_refused(raw: bytes) -> None:
    text = raw.decode("utf-8", errors="replace")
    result = runner.invoke(app, ["assess", "-", "--now", NOW], input=text)
    assert result.exit_code in (0, 2)
    if result.exit_code == 2:
        assert "Traceback" not in result.stderr


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tickets)
def test_explain_never_crashes(ticket: dict[str, Any]) -> None:
    out = check(json.dumps(ticket), "explain", "--format", "json")
    if out is not None:
        assert out["ticket_id"] == ticket["id"]
        assert out["with_derived"]["decision"] in ("escalate", "handle_in_support")
