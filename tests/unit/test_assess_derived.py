"""Assess with facts read from the ticket's words: they fill unset facts and every reason resting
on one cites the words it was read from. The lexicon is inline (the engine, not the word lists).
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from typing import Any

from escalation.domain.assess import assess
from escalation.domain.contract import ticket_from_mapping
from escalation.domain.extract import NO_EXTRACTION, DerivedFact, Evidence, Extraction, extract
from escalation.domain.lexicon import lexicon_from_mappings
from escalation.domain.model import READ_IN, Decision, Reason, Target, Ticket
from escalation.domain.patterns import PatternEvidence
from escalation.render.values import render_reason

LEX = lexicon_from_mappings([("en.toml", tomllib.loads("""
language = "en"
[units]
days = 24
hours = 1
[cues]
negation_before = ["no", "not"]
[facts.data_loss]
phrases = ["lost ... data"]
[facts.unauthorized_access]
phrases = ["someone logged into"]
[facts.blocked]
phrases = ["cannot work"]
[facts.inconvenienced]
phrases = ["minor inconvenience"]
[facts.major_functionality_broken]
phrases = ["reports are broken"]
[facts.customers_affected]
phrases = ["<n> customers"]
[facts.hours_waiting]
phrases = ["waiting (for)? <n> <unit>"]
[facts.known_workaround]
phrases = ["workaround is"]
[facts.churn_risk]
phrases = ["cancel our contract"]
[categories.how_to]
phrases = ["how do i"]
"""))])


def ticket(description: str, **extra: Any) -> Ticket:
    data: dict[str, Any] = {"id": "ZD-7", "description": description, "current_tier": "l1",
                            "customer": {"id": "C-1", "name": "Acme"}, **extra}
    return ticket_from_mapping(data)


def run(t: Ticket, **kwargs: Any) -> Any:
    return assess(t, derived=extract(t, LEX), **kwargs)


def reason(result: Any, code: str) -> Reason:
    found = [r for r in result.reasons if r.code == code]
    assert len(found) == 1, [r.code for r in result.reasons]
    return found[0]


def test_words_change_the_decision_and_the_reason_cites_them() -> None:
    t = ticket("Since the update we lost all our data.")
    assert assess(t).decision is Decision.HANDLE_IN_SUPPORT
    result = run(t)
    assert result.decision is Decision.ESCALATE
    assert result.target is Target.L2
    loss = reason(result, "technical.data_loss")
    assert loss.cites == 'description: "lost all our data"'
    assert loss.text == 'Data loss reported (read in description: "lost all our data")'
    assert loss.text == READ_IN.format(reason="Data loss reported", cites=loss.cites)


def test_rendered_reason_translates_and_keeps_the_words() -> None:
    loss = reason(run(ticket("we lost data")), "technical.data_loss")
    assert render_reason(loss, "en") == loss.text
    zh = render_reason(loss, "zh")
    assert 'description: "lost data"' in zh and "Data loss reported" not in zh


def test_no_extraction_changes_nothing() -> None:
    t = ticket("we lost data")
    assert assess(t, derived=NO_EXTRACTION) == assess(t) == assess(t, derived=None)
    other = ticket("nothing to read here")
    assert run(other) == assess(other)


def test_negated_words_do_not_escalate() -> None:
    result = run(ticket("No data was lost, we just cannot find the export button."))
    assert result.decision is Decision.HANDLE_IN_SUPPORT
    assert all(not r.cites for r in result.reasons)


def test_explicit_facts_beat_derived_ones() -> None:
    t = ticket("we lost data", facts={"data_loss": False})
    extraction = extract(t, LEX)
    assert "data_loss" not in extraction.derived
    assert assess(t, derived=extraction).decision is Decision.HANDLE_IN_SUPPORT
    # Even an extraction that carries the fact (made before the fact was stated) loses.
    forced = Extraction({"data_loss": DerivedFact("data_loss", True, (
        Evidence("description", "lost data", 3, 12, "en.toml: facts.data_loss.phrases[0]"),))})
    assert assess(t, derived=forced).decision is Decision.HANDLE_IN_SUPPORT


def test_explicit_true_keeps_its_own_reason_without_citation() -> None:
    t = ticket("we lost data", facts={"data_loss": True})
    result = run(t)
    assert reason(result, "technical.data_loss").cites == ""


def test_explicit_zero_count_beats_words() -> None:
    t = ticket("12 customers report it", facts={"customers_affected": 0})
    result = run(t)
    assert all(r.code != "pattern.three_plus_customers" for r in result.reasons)


def test_count_from_words_cites_the_words() -> None:
    result = run(ticket("Now 12 customers report it"))
    three = reason(result, "pattern.three_plus_customers")
    assert three.cites == 'description: "12 customers"'
    assert three.text.startswith("Same issue reported by 12 customers (threshold 3)")
    assert three.text.endswith('(read in description: "12 customers")')


def test_pattern_count_cites_tickets_not_words() -> None:
    t = ticket("2 customers told us")
    evidence = PatternEvidence(customers_affected=4,
                               customer_tickets=("ZD-1", "ZD-2", "ZD-3", "ZD-7"))
    result = run(t, patterns=evidence)
    three = reason(result, "pattern.three_plus_customers")
    assert three.params["tickets"] == "ZD-1, ZD-2, ZD-3, ZD-7"
    assert three.cites == "" and "read in" not in three.text


def test_larger_count_from_words_beats_the_pattern_count() -> None:
    evidence = PatternEvidence(customers_affected=4, customer_tickets=("ZD-1", "ZD-7"))
    three = reason(run(ticket("12 customers"), patterns=evidence), "pattern.three_plus_customers")
    assert "tickets" not in three.params
    assert three.cites == 'description: "12 customers"'


def test_blocked_from_words_and_inconvenience_outweighs_it() -> None:
    blocked = run(ticket("We cannot work since Monday"))
    assert blocked.decision is Decision.ESCALATE
    assert reason(blocked, "impact.blocked_without_workaround").cites == (
        'description: "cannot work"')
    fine = run(ticket("We cannot work on it today, a minor inconvenience"))
    assert fine.decision is Decision.HANDLE_IN_SUPPORT


def test_a_fact_read_as_false_is_never_cited() -> None:
    # blocked is read as false ("minor inconvenience"); the broken-functionality reason must
    # cite its own words, not the ones that say the customer can work.
    result = run(ticket("The reports are broken, a minor inconvenience for us"))
    broken = reason(result, "impact.blocked_without_workaround")
    assert broken.cites == 'description: "reports are broken"'
    assert "inconvenience" not in broken.text


def test_workaround_from_words_unblocks_and_is_cited() -> None:
    result = run(ticket("We cannot work. The workaround is to export twice"))
    assert result.decision is Decision.HANDLE_IN_SUPPORT
    known = reason(result, "support.known_workaround")
    assert known.params["workaround"] == "The workaround is to export twice"
    assert known.cites == 'description: "workaround is"'


def test_category_from_words_cites_them() -> None:
    result = run(ticket("How do I export all reports"))
    guidance = reason(result, "support.guidance")
    assert guidance.cites == 'description: "How do I"'


def test_hours_waiting_from_words() -> None:
    result = run(ticket("We have been waiting for 3 days"), )
    wait = reason(result, "time.unreasonable_wait")
    assert wait.params["hours"] == "72"
    assert wait.cites == 'description: "waiting for 3 days"'


def test_churn_needs_a_high_value_customer_even_when_read() -> None:
    t = ticket("We will cancel our contract")
    assert all(r.code != "business.high_value_churn_risk" for r in run(t).reasons)
    key = replace(t, customer=replace(t.customer, arr=500_000.0))
    churn = reason(run(key), "business.high_value_churn_risk")
    assert churn.cites == 'description: "cancel our contract"'


def test_missing_reads_the_derived_ticket() -> None:
    words = "someone logged into our admin account"
    without = run(ticket(words))
    assert without.target is Target.SECURITY
    assert "facts.customers_affected" in without.missing
    with_count = run(ticket(words + ", 3 customers saw it"))
    assert with_count.target is Target.SECURITY
    assert "facts.customers_affected" not in with_count.missing


def test_ticket_id_and_stated_facts_are_the_tickets_own() -> None:
    t = ticket("we lost data")
    result = run(t)
    assert result.ticket_id == "ZD-7"
    assert t.facts.data_loss is False  # the ticket itself is not changed
