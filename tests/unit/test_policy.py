"""The policy: the seed's numbers by default, every key validated with its path."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalation.domain.errors import PolicyError
from escalation.domain.model import Severity
from escalation.domain.policy import (
    DEFAULT_POLICY,
    Policy,
    Window,
    WindowUnit,
    policy_from_mapping,
    policy_to_mapping,
)


def test_defaults_are_the_seeds_numbers() -> None:
    p = Policy()
    assert p.thresholds.pattern_customers == 3  # "Same issue reported by 3+ customers"
    assert p.tiers.critical_may_skip_l2 is False  # L1 goes to L2
    # The seed's table: Critical 2 h / 2-4 h, High 4 h / 4-8 h, Medium daily / 1-2 business days.
    table = {
        severity: (str(c.internal), str(c.customer_due), str(c.customer_overdue))
        for severity, c in p.followups.cadences.items()
    }
    assert table == {
        Severity.CRITICAL: ("2h", "2h", "4h"),
        Severity.HIGH: ("4h", "4h", "8h"),
        Severity.MEDIUM: ("1d", "1bd", "2bd"),
    }
    assert str(p.attention.critical) == "2h"  # immediate
    assert p.attention.high.unit is WindowUnit.END_OF_BUSINESS_DAY  # same day
    assert p.attention.medium.unit is WindowUnit.END_OF_BUSINESS_WEEK  # this week


def test_an_empty_file_is_the_default_policy() -> None:
    assert policy_from_mapping({}) == DEFAULT_POLICY


def test_show_round_trips_through_check() -> None:
    assert policy_from_mapping(policy_to_mapping(DEFAULT_POLICY)) == DEFAULT_POLICY
    tuned = policy_from_mapping({
        "name": "acme", "revision": 7, "currency": "eur",
        "thresholds": {"pattern_customers": 5, "key_plans": ["Enterprise", "scale"]},
        "sla": {"clock": "business", "plan_hours": {"Gold": 8}},
        "attention": {"high": "4bh"},
        "followups": {"critical": {"customer_update": "1h"}, "due_soon_minutes": 10},
        "calendar": {"business_hours": ["08:30", "18:00"], "workdays": ["Sun", "mon"],
                     "default_country": "cn"},
        "tiers": {"critical_may_skip_l2": True},
    })
    assert tuned.version == "acme@7"
    assert tuned.currency == "EUR"
    assert tuned.thresholds.key_plans == ("enterprise", "scale")
    assert tuned.sla.plan_hours == {"gold": 8.0}
    assert tuned.calendar.workdays == (0, 6)
    assert tuned.calendar.default_country == "CN"
    critical = tuned.followups.cadences[Severity.CRITICAL]
    assert critical.customer_overdue == Window(1, WindowUnit.HOURS)
    assert policy_from_mapping(policy_to_mapping(tuned)) == tuned


@pytest.mark.parametrize(
    ("data", "path", "expected"),
    [
        ({"thresholds": {"pattern_customers": 1}}, "thresholds.pattern_customers", "≥ 2"),
        ({"thresholds": {"pattern_customers": 2.5}}, "thresholds.pattern_customers", "whole"),
        ({"thresholds": {"high_value_arr": "lots"}}, "thresholds.high_value_arr", "a number"),
        ({"thresholds": {"high_value_arr": True}}, "thresholds.high_value_arr", "a number"),
        ({"thresholds": {"sla_at_risk_share": 1.5}}, "thresholds.sla_at_risk_share", "≤ 1"),
        ({"thresholds": {"sla_at_risk_share": 0}}, "thresholds.sla_at_risk_share", "> 0"),
        ({"thresholds": {"unreasonable_wait_hours": 0}}, "thresholds.unreasonable_wait_hours",
         "> 0"),
        ({"thresholds": {"key_plans": "enterprise"}}, "thresholds.key_plans", "list of strings"),
        ({"thresholds": {"typo": 1}}, "thresholds.typo", "a known key"),
        ({"sla": {"clock": "lunar"}}, "sla.clock", '"calendar" or "business"'),
        ({"sla": {"plan_hours": {"pro": -1}}}, "sla.plan_hours.pro", "> 0"),
        ({"attention": {"high": "soon"}}, "attention.high", 'a window like "2h"'),
        ({"attention": {"critical": "0h"}}, "attention.critical", "longer than zero"),
        ({"followups": {"high": {"customer_update": ["4h"]}}}, "followups.high.customer_update",
         "a pair"),
        ({"followups": {"high": {"customer_update": ["4h", "x"]}}},
         "followups.high.customer_update[1]", "a window"),
        ({"followups": {"urgent": {}}}, "followups.urgent", "a known key"),
        ({"calendar": {"business_hours": ["17:00", "09:00"]}}, "calendar.business_hours",
         "later than the start"),
        ({"calendar": {"business_hours": ["9am", "17:00"]}}, "calendar.business_hours[0]",
         "a time of day"),
        ({"calendar": {"workdays": ["funday"]}}, "calendar.workdays", "day names"),
        ({"calendar": {"default_country": "USA"}}, "calendar.default_country", "ISO 3166"),
        ({"tiers": {"critical_may_skip_l2": "yes"}}, "tiers.critical_may_skip_l2", "true or false"),
        ({"currency": "dollars"}, "currency", "ISO 4217"),
        ({"schema": 2}, "schema", "the only schema"),
        ({"bogus": 1}, "bogus", "a known key"),
        ({"thresholds": 3}, "thresholds", "a table"),
    ],
)
def test_every_bad_value_names_its_key_and_expectation(data: dict[str, Any], path: str,
                                                       expected: str) -> None:
    with pytest.raises(PolicyError) as caught:
        policy_from_mapping(data)
    assert caught.value.path == path
    assert expected in caught.value.message


@pytest.mark.parametrize(("text", "window"), [
    ("2h", Window(2, WindowUnit.HOURS)), ("4bh", Window(4, WindowUnit.BUSINESS_HOURS)),
    ("1d", Window(1, WindowUnit.DAYS)), ("1.5bd", Window(1.5, WindowUnit.BUSINESS_DAYS)),
    (" eod ", Window(0, WindowUnit.END_OF_BUSINESS_DAY)),
    ("eow", Window(0, WindowUnit.END_OF_BUSINESS_WEEK)),
])
def test_windows_parse_and_print_back(text: str, window: Window) -> None:
    assert Window.parse(text) == window
    assert Window.parse(str(window)) == window


@given(st.text(max_size=8))
def test_window_parse_accepts_only_the_grammar(text: str) -> None:
    try:
        window = Window.parse(text, "w")
    except PolicyError as exc:
        assert exc.path == "w"
    else:
        assert Window.parse(str(window)) == window
