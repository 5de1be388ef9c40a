"""Properties of Assess over any valid ticket of SPEC.md's contract, and of its input checks."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalation.domain.assess import assess
from escalation.domain.contract import assessment_to_mapping, ticket_from_mapping
from escalation.domain.errors import InputError
from escalation.domain.model import BOOL_FACTS, TEXT_FACTS, Category
from escalation.domain.policy import DEFAULT_POLICY

BASE = datetime.fromisoformat("2026-11-24T00:00:00+00:00")
SECURITY_FACTS = (
    "security_concern",
    "potential_data_exposure",
    "unauthorized_access",
    "vulnerability_report",
    "compliance_concern",
)
CATEGORIES = [c.value for c in Category]

PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20
).filter(lambda s: s.strip() != "")
hours = st.floats(min_value=0, max_value=2_000, allow_nan=False, allow_infinity=False)


def _iso(offset_hours: float) -> str:
    return (BASE + timedelta(hours=offset_hours)).isoformat().replace("+00:00", "Z")


@st.composite
def facts_strategy(draw: st.DrawFn) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for name in BOOL_FACTS:
        value = draw(st.sampled_from([None, True, False, False]))
        if value is not None:
            facts[name] = value
    for name in TEXT_FACTS:
        if draw(st.booleans()):
            facts[name] = draw(text)
    if draw(st.booleans()):
        facts["category"] = draw(st.sampled_from(CATEGORIES))
    for name in ("customers_affected", "high_value_customers_affected"):
        if draw(st.booleans()):
            facts[name] = draw(st.integers(min_value=0, max_value=50))
    if draw(st.booleans()):
        facts["hours_waiting"] = draw(hours)
    return facts


@st.composite
def customer_strategy(draw: st.DrawFn) -> dict[str, Any]:
    options: dict[str, st.SearchStrategy[Any]] = {
        "id": st.from_regex(r"acct_[0-9]{1,5}", fullmatch=True),
        "name": text,
        "arr": st.one_of(st.integers(0, 2_000_000), st.floats(0, 2_000_000, allow_nan=False)),
        "plan": st.sampled_from(["free", "pro", "business", "enterprise", "Enterprise", "custom"]),
        "reference_customer": st.booleans(),
        "sla_hours": st.floats(min_value=0.5, max_value=500, allow_nan=False),
        "update_hours": st.floats(min_value=0.5, max_value=100, allow_nan=False),
        "timezone": st.sampled_from(["America/New_York", "Asia/Shanghai", "Europe/Berlin"]),
        "country": st.sampled_from(["US", "CN", "DE", "gb"]),
    }
    return {k: draw(v) for k, v in options.items() if draw(st.booleans())}


@st.composite
def ticket_strategy(draw: st.DrawFn) -> dict[str, Any]:
    ticket: dict[str, Any] = {"id": draw(st.from_regex(r"[A-Z]{2}-[0-9]{1,6}", fullmatch=True))}
    if draw(st.booleans()):
        ticket["current_tier"] = draw(st.sampled_from(["l1", "l2"]))
    if draw(st.booleans()):
        ticket["subject"] = draw(text)
    if draw(st.booleans()):
        ticket["description"] = draw(text)
    if draw(st.booleans()):
        ticket["created_at"] = _iso(draw(st.floats(0, 120, allow_nan=False)))
    if draw(st.booleans()):
        ticket["customer"] = draw(customer_strategy())
    if draw(st.booleans()):
        ticket["facts"] = draw(facts_strategy())
    if draw(st.booleans()):
        ticket["steps_tried"] = draw(st.lists(
            st.fixed_dictionaries({"action": text}, optional={"result": text}), max_size=3))
    if draw(st.booleans()):
        ticket["reproduction"] = draw(st.fixed_dictionaries({}, optional={
            "steps": st.lists(text, max_size=3), "expected": text, "actual": text,
            "environment": text, "frequency": text, "evidence": st.lists(text, max_size=2),
            "ruled_out": st.lists(text, max_size=2), "start_state": text,
        }))
    if draw(st.booleans()):
        ticket["communications"] = draw(st.lists(st.fixed_dictionaries(
            {"summary": text},
            optional={"at": st.floats(0, 120, allow_nan=False).map(_iso),
                      "direction": st.sampled_from(["inbound", "outbound"])}), max_size=3))
    return ticket


nows = st.one_of(st.none(), st.floats(-24, 400, allow_nan=False).map(
    lambda h: BASE + timedelta(hours=h)))


def _assess(mapping: dict[str, Any], now: datetime | None) -> dict[str, Any]:
    return assessment_to_mapping(assess(ticket_from_mapping(mapping), DEFAULT_POLICY, now))


@PROPS
@given(ticket_strategy(), nows)
def test_any_valid_ticket_assesses(mapping: dict[str, Any], now: datetime | None) -> None:
    out = _assess(mapping, now)
    assert out["ticket_id"] == mapping["id"]
    assert out["decision"] in ("escalate", "handle_in_support")
    assert out["sla_status"] in ("within", "at_risk", "breached", "unknown")
    if now is None:
        assert out["sla_status"] == "unknown"
    assert set(out["impact"]) >= {
        "breadth", "depth", "duration", "revenue", "reputation", "contractual"}


@PROPS
@given(ticket_strategy(), nows, st.sampled_from([*SECURITY_FACTS, "category"]),
       st.sampled_from(["l1", "l2"]), st.booleans(), st.booleans())
def test_security_trigger_always_targets_security(
    mapping: dict[str, Any], now: datetime | None, trigger: str, tier: str,
    workaround: bool, documented: bool,
) -> None:
    mapping["current_tier"] = tier
    facts = mapping.setdefault("facts", {})
    if trigger == "category":
        facts["category"] = "security"
    else:
        facts[trigger] = True
    if workaround:
        facts["known_workaround"] = "a workaround"
    if documented:
        facts["documented_solution"] = "KB-1"
    out = _assess(mapping, now)
    assert out["decision"] == "escalate"
    assert out["target"] == "security"
    assert "security" not in out["also_notify"]
    assert out["severity"] in ("critical", "high")


@PROPS
@given(ticket_strategy(), nows)
def test_l1_never_reaches_engineering_or_product(
    mapping: dict[str, Any], now: datetime | None
) -> None:
    if mapping.get("current_tier") == "l2":  # absent means the default, l1
        mapping["current_tier"] = "l1"
    out = _assess(mapping, now)
    reached = {out["target"], *out["also_notify"]}
    assert not reached & {"engineering", "product"}


@PROPS
@given(ticket_strategy(), nows)
def test_decision_shape(mapping: dict[str, Any], now: datetime | None) -> None:
    out = _assess(mapping, now)
    assert out["reasons"], "every assessment says why"
    for reason in out["reasons"]:
        assert reason["code"] and reason["category"] and reason["text"].strip()
    if out["decision"] == "escalate":
        assert out["target"] in ("l2", "engineering", "product", "security", "leadership")
        assert out["severity"] in ("critical", "high", "medium")
        assert out["target"] not in out["also_notify"]
        assert len(set(out["also_notify"])) == len(out["also_notify"])
        assert not any(r["code"].startswith("support.") for r in out["reasons"])
    else:
        assert out["target"] is None
        assert out["severity"] is None
        assert out["also_notify"] == []
        assert all(r["code"].startswith("support.") for r in out["reasons"])


@PROPS
@given(ticket_strategy(), nows)
def test_deterministic_and_json_round_trip(
    mapping: dict[str, Any], now: datetime | None
) -> None:
    before = copy.deepcopy(mapping)
    first = _assess(mapping, now)
    second = _assess(copy.deepcopy(mapping), now)
    assert first == second
    assert mapping == before, "assess must not mutate its input"
    wire = json.dumps(first, ensure_ascii=False)
    assert json.loads(wire) == first
    # The ticket itself survives JSON and assesses the same afterwards.
    assert _assess(json.loads(json.dumps(mapping)), now) == first


# ------------------------------------------------------------------ input validation

BAD_VALUES: dict[str, list[Any]] = {
    "id": ["", "   ", None, [], {}, 1.5, True],
    "subject": [1, [], {}, True],
    "description": [2.5, ["text"], {"a": 1}, False],
    "product_area": [7, ["billing"]],
    "created_at": ["yesterday", "2026-11-24T10:00:00", 1700000000, [], True],
    "current_tier": ["l3", "L0", "", 2, True, []],
    "customer": ["acme", ["acme"], 3, True],
    "customer.arr": ["lots", -1, True, [], float("inf")],
    "customer.sla_hours": [0, -5, "24", False],
    "customer.update_hours": [0, "4", []],
    "customer.reference_customer": ["yes", 1, 0, []],
    "customer.country": ["USA", "1A", 5, "U"],
    "customer.name": [5, [], {}],
    "customer.plan": [3, ["pro"]],
    "facts": ["x", ["bug"], 1, True],
    "facts.category": ["bugs", "", 3, True, ["bug"]],
    "facts.customers_affected": [-1, 2.5, "3", True, []],
    "facts.high_value_customers_affected": [-2, "1", 0.5],
    "facts.hours_waiting": [-1, "2", True, float("inf"), float("nan")],
    "facts.known_workaround": [5, ["a"], {"a": 1}],
    "facts.documented_solution": [1.0, ["KB"]],
    "steps_tried": [{"action": "x"}, 5, True],
    "reproduction": ["x", ["a"], 3],
    "reproduction.steps": [5, {"a": 1}, True],
    "reproduction.environment": [5, ["Chrome"]],
    "communications": ["x", {"summary": "y"}, 2],
    **{f"facts.{name}": ["true", "yes", 1, 0, [], "false"]
       for name in BOOL_FACTS},
}


def _set(mapping: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node = mapping
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


@PROPS
@given(ticket_strategy(), st.sampled_from(sorted(BAD_VALUES)), st.data())
def test_one_wrong_field_raises_input_error_naming_it(
    mapping: dict[str, Any], path: str, data: st.DataObject
) -> None:
    bad = data.draw(st.sampled_from(BAD_VALUES[path]), label=path)
    _set(mapping, path, bad)
    with pytest.raises(InputError) as err:
        ticket_from_mapping(mapping)
    assert err.value.path == path
    assert path in str(err.value)
    assert err.value.expected


@pytest.mark.parametrize(
    ("path", "bad"),
    [pytest.param(path, bad, id=f"{path}={bad!r}")
     for path, values in sorted(BAD_VALUES.items()) for bad in values],
)
def test_every_listed_wrong_value_names_its_field(path: str, bad: Any) -> None:
    mapping: dict[str, Any] = {"id": "X-1", "facts": {"category": "bug"}, "customer": {"id": "c"}}
    _set(mapping, path, bad)
    with pytest.raises(InputError) as err:
        ticket_from_mapping(mapping)
    assert err.value.path == path


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        ("steps_tried", [{"result": "no action"}]),
        ("communications", [{"direction": "sideways", "summary": "hi"}]),
        ("communications", [{"at": "noon", "summary": "hi"}]),
    ],
)
def test_nested_list_items_name_their_index(path: str, bad: Any) -> None:
    mapping: dict[str, Any] = {"id": "X-1", path: bad}
    with pytest.raises(InputError) as err:
        ticket_from_mapping(mapping)
    assert err.value.path.startswith(f"{path}[0].")


@pytest.mark.parametrize("bad", [None, "ticket", 3, ["id"]])
def test_a_ticket_must_be_an_object(bad: Any) -> None:
    with pytest.raises(InputError):
        ticket_from_mapping(bad)
