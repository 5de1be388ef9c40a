"""Fact extraction on real third-party text: nothing crashes, and nothing absurd fires.

The texts were never written for the desk (banking77 customer queries, customer tweets, IT
service tickets, open-source bug reports; see benchmarks/extraction_sanity.py). They are read
with the shipped lexicons and assessed on the seed policy with no customer and no facts. The
full data under ../shared/data is used when it is there; a clean clone reads the samples in
tests/fixtures/extraction/sanity/ (tests/fixtures/README.md). Only the first IT_LIMIT IT
tickets of the full data are read, to keep the test fast.

The bounds say "nothing absurd", not "as measured": a payment, fee or exchange-rate question
never reads as a security matter, production outage or data loss; a bank customer's query or an
IT ticket rarely goes up; a bug tracker's reports do not threaten lawyers or churn. When one
fails, fix the lexicon (better phrases, `unless`), not the bound.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from escalation.adapters.lexicon_files import load_lexicon

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from extraction_sanity import (
    SECURITY_FACTS,
    Stats,
    full_data_present,
    load,
    measure,
)

IT_LIMIT = 4_000
# banking77 intents where the customer may well be describing fraud or a compromised account.
SECURITY_INTENTS = frozenset({
    "compromised_card", "lost_or_stolen_card", "lost_or_stolen_phone",
    "card_payment_not_recognised", "cash_withdrawal_not_recognised",
    "direct_debit_payment_not_recognised",
})
# Payments, fees, exchange rates, top-ups, transfers and card logistics: never a security
# matter, an outage or lost data.
ROUTINE_INTENTS = frozenset({
    "declined_card_payment", "declined_cash_withdrawal", "declined_transfer",
    "card_payment_fee_charged", "card_payment_wrong_exchange_rate", "exchange_rate",
    "exchange_charge", "exchange_via_app", "wrong_exchange_rate_for_cash_withdrawal",
    "cash_withdrawal_charge", "transfer_fee_charged", "top_up_by_bank_transfer_charge",
    "top_up_by_card_charge", "top_up_by_cash_or_cheque", "top_up_failed", "top_up_limits",
    "top_up_reverted", "topping_up_by_card", "pending_top_up", "pending_transfer",
    "pending_card_payment", "pending_cash_withdrawal", "transfer_timing", "transfer_into_account",
    "transfer_not_received_by_recipient", "failed_transfer", "cancel_transfer",
    "receiving_money", "Refund_not_showing_up", "request_refund", "card_arrival",
    "card_delivery_estimate", "order_physical_card", "get_physical_card", "getting_spare_card",
    "getting_virtual_card", "get_disposable_virtual_card", "disposable_card_limits",
    "supported_cards_and_currencies", "fiat_currency_support", "country_support", "age_limit",
    "visa_or_mastercard", "apple_pay_or_google_pay", "atm_support", "automatic_top_up",
    "balance_not_updated_after_bank_transfer", "balance_not_updated_after_cheque_or_cash_deposit",
    "card_about_to_expire", "card_acceptance", "wrong_amount_of_cash_received",
    "transaction_charged_twice", "reverted_card_payment?", "beneficiary_not_allowed",
})
ALARMS = (*SECURITY_FACTS, "production_down", "data_loss", "data_corruption",
          "data_integrity_at_risk")
BUSINESS = ("churn_risk", "executive_involvement_requested", "pr_or_legal_risk",
            "policy_exception_needed")


@pytest.fixture(scope="module", params=["data", "samples"])
def stats(request: pytest.FixtureRequest) -> dict[str, Stats]:
    """Each data set read and assessed: the full data when present (else the samples), and
    the samples on their own, so the clean-clone path is exercised everywhere."""
    lexicon = load_lexicon()
    out = {}
    for name in ("banking77", "twcs", "it_tickets", "gitbugs"):
        origin, texts = load(name, samples=True if request.param == "samples" else None)
        if name == "it_tickets":
            texts = texts[:IT_LIMIT]
        out[name] = measure(name, origin, texts, lexicon)
        assert out[name].texts == len(texts)  # every text read, none crashed
    return out


def test_the_data_is_there(stats: dict[str, Stats]) -> None:
    assert stats["banking77"].texts >= 2000
    assert stats["it_tickets"].texts >= 500
    assert stats["gitbugs"].texts >= 300
    if full_data_present() and stats["banking77"].origin == "full":
        assert stats["twcs"].texts > 0


def test_banking77_routine_queries_raise_no_alarm(stats: dict[str, Stats]) -> None:
    s = stats["banking77"]
    routine = sum(n for label, n in s.labels.items() if label in ROUTINE_INTENTS)
    assert routine >= 0.6 * s.texts
    for fact in ALARMS:
        hits = {label: n for label, n in s.by_label.get(fact, {}).items()
                if label in ROUTINE_INTENTS}
        assert not hits, f"{fact} on routine banking queries: {hits}"


def test_banking77_security_facts_stay_with_fraud_like_intents(stats: dict[str, Stats]) -> None:
    s = stats["banking77"]
    elsewhere = sum(n for fact in SECURITY_FACTS
                    for label, n in s.by_label.get(fact, {}).items()
                    if label not in SECURITY_INTENTS)
    assert elsewhere <= max(1, s.texts // 2000), elsewhere
    for fact in ("production_down", "data_loss", "data_corruption", "vulnerability_report",
                 "compliance_concern", *BUSINESS[1:]):
        assert s.rate(fact) <= 0.0005, (fact, s.fired[fact])
    churn_elsewhere = sum(n for label, n in s.by_label.get("churn_risk", {}).items()
                          if label != "terminate_account")
    assert churn_elsewhere <= max(1, s.texts // 2000)


def test_banking77_rarely_escalates(stats: dict[str, Stats]) -> None:
    s = stats["banking77"]
    assert s.escalated / s.texts <= 0.01, s.targets
    assert s.targets["leadership"] == 0 and s.targets["product"] == 0


def test_customer_tweets_rarely_escalate(stats: dict[str, Stats]) -> None:
    s = stats["twcs"]
    if not s.texts:
        pytest.skip("twcs is only read from ../shared/data (no sample in the repository)")
    assert s.escalated / s.texts <= 0.10, s.targets
    assert sum(s.fired[f] for f in ALARMS) <= max(1, s.texts // 20)


def test_it_tickets_rarely_alarm_or_escalate(stats: dict[str, Stats]) -> None:
    s = stats["it_tickets"]
    assert s.escalated / s.texts <= 0.01, s.targets
    assert sum(s.fired[f] for f in SECURITY_FACTS) / s.texts <= 0.003
    for fact in ("production_down", "data_loss", "data_corruption", "data_integrity_at_risk",
                 *BUSINESS):
        assert s.rate(fact) <= 0.002, (fact, s.fired[fact])
    assert s.fired["category:feature_request"] / s.texts <= 0.01


def test_bug_reports_raise_no_business_alarm(stats: dict[str, Stats]) -> None:
    s = stats["gitbugs"]
    for fact in BUSINESS:
        assert s.rate(fact) <= 0.004, (fact, s.fired[fact])
    for fact in ("production_down", "unauthorized_access", "potential_data_exposure",
                 "compliance_concern"):
        assert s.rate(fact) <= 0.004, (fact, s.fired[fact])
    # Real bug trackers do report data loss, regressions and CVEs, but not in most reports.
    for fact in ("data_loss", "data_corruption", "recurring_after_fix"):
        assert s.rate(fact) <= 0.02, (fact, s.fired[fact])
    assert s.rate("vulnerability_report") <= 0.06
    assert s.targets["leadership"] / s.texts <= 0.004, s.targets
    assert s.escalated / s.texts <= 0.10, s.targets
