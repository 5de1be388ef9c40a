"""Ordinary Chinese customer messages must not read as incidents.

`fixtures/extraction/sanity/benign_zh.txt` holds one ordinary message a line (banking,
e-commerce and SaaS questions: a declined card, a password change, an invoice title, a refund's
progress, a how-to), including ones that use alarming words harmlessly: 安全码, 媒体库, 律师事务所,
计划停机, "会泄露吗", "怎么开启异地登录提醒". None may derive a security, exposure, outage,
data-loss, data-integrity or PR/legal fact, nor churn, executive or policy-exception words, and
only a few may escalate on the default policy: ordinary questions stay in support. When a
message here starts to derive one of these facts, tune `escalation/lexicons/zh.toml` (an
`unless` phrase, a cue) rather than loosening this test.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from escalation.domain.assess import assess
from escalation.domain.contract import ticket_from_mapping
from escalation.domain.model import Decision
from escalation.domain.policy import DEFAULT_POLICY
from escalation.services import derive_facts

SANITY = Path(__file__).resolve().parents[1] / "fixtures" / "extraction" / "sanity"
BENIGN = SANITY / "benign_zh.txt"
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
# Facts no ordinary question may carry: each sends a ticket up at once.
ALARMS = frozenset({
    "security_concern", "potential_data_exposure", "unauthorized_access", "vulnerability_report",
    "production_down", "data_loss", "data_corruption", "data_integrity_at_risk",
    "pr_or_legal_risk",
})
# Business facts that would reach leadership for a high-value customer: none either.
BUSINESS = frozenset({"churn_risk", "executive_involvement_requested", "policy_exception_needed"})
# At most this share of the messages may escalate on the default policy. Today three of 262
# do: two plain feature requests ("能不能加一个…字段", which the desk's product rule sends up
# via L2) and "我们等了三天，终于收到货了" (the wait is read; 终于 in the next clause is not).
MAX_ESCALATING_SHARE = 0.02
# Customers the messages are read for: a small account and a high-value enterprise one (where a
# misread churn or executive phrase would reach leadership).
CUSTOMERS = (
    {"name": "小店", "arr": 8000, "plan": "pro", "country": "CN", "timezone": "Asia/Shanghai"},
    {"name": "大客户", "arr": 300000, "plan": "enterprise", "country": "CN",
     "timezone": "Asia/Shanghai"},
)


def _messages() -> list[str]:
    lines = BENIGN.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip()]


MESSAGES = _messages()


def _ticket(number: int, text: str, customer: dict[str, object]):
    return ticket_from_mapping({"id": f"BENIGN-ZH-{number}", "description": text,
                                "customer": customer})


def test_the_benign_file_is_big_enough() -> None:
    assert len(MESSAGES) >= 250
    assert len(set(MESSAGES)) == len(MESSAGES)


@pytest.mark.parametrize("number", range(len(MESSAGES)))
def test_an_ordinary_message_derives_no_alarm(number: int) -> None:
    text = MESSAGES[number]
    derived = derive_facts(_ticket(number, text, CUSTOMERS[0]), DEFAULT_POLICY)
    assert derived is not None
    alarms = {name: fact.cite() for name, fact in derived.derived.items()
              if name in ALARMS | BUSINESS}
    assert alarms == {}, text


@pytest.mark.parametrize("customer", CUSTOMERS, ids=["small", "enterprise"])
def test_few_ordinary_messages_escalate(customer: dict[str, object]) -> None:
    escalating = []
    for number, text in enumerate(MESSAGES):
        ticket = _ticket(number, text, customer)
        result = assess(ticket, DEFAULT_POLICY, NOW, derived=derive_facts(ticket, DEFAULT_POLICY))
        if result.decision is Decision.ESCALATE:
            escalating.append((text, [r.code for r in result.reasons]))
    assert len(escalating) <= MAX_ESCALATING_SHARE * len(MESSAGES), escalating
