"""Reading facts from a ticket's words: assertion rules, evidence, categories, counts, precedence.

Every lexicon here is small and inline, so these tests check the engine, not the word lists.
"""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from escalation.domain.contract import ticket_from_mapping
from escalation.domain.extract import (
    NO_EXTRACTION,
    DerivedFact,
    Evidence,
    Extraction,
    extract,
    stated_facts,
    with_derived,
)
from escalation.domain.lexicon import Lexicon, lexicon_from_mappings
from escalation.domain.model import Category, Communication, Direction, Facts, Ticket

EN = """
language = "en"
[numbers]
three = 3
several = 3
hundred = 100
[units]
hours = 1
hour = 1
days = 24
weeks = 168
[cues]
negation_before = ["no", "not", "never", "n't", "without"]
negation_after = ["was ruled out", "is not a concern", "never happened"]
hedge_before = ["might", "maybe", "possibly"]
question_before = ["whether", "asked if", "is it possible"]
presupposing_question = ["why", "can you"]
clause_break = ["and", "but", "because"]
[facts.data_loss]
phrases = ["(lost|lose) ... data", "data (was|were)? (lost|deleted)", "data loss"]
[facts.production_down]
phrases = ["production is down", "site (is)? down"]
[facts.security_concern]
phrases = ["security (issue|breach)"]
unless = ["security issue tracker", "no security issue (here)?"]
[facts.churn_risk]
phrases = ["cancel* ... (contract|subscription)"]
hedged_counts = true
[facts.blocked]
phrases = ["(cannot|can't) work", "completely blocked"]
[facts.inconvenienced]
phrases = ["minor inconvenience", "(can|could) still work"]
[facts.customers_affected]
phrases = ["<n> (customers|clients)"]
[facts.users_affected]
phrases = ["<n> users"]
[facts.hours_waiting]
phrases = ["waiting (for)? <n> <unit>", "waited <n> <unit>"]
[facts.known_workaround]
phrases = ["workaround is"]
[categories.billing]
phrases = ["invoice", "refund"]
[categories.how_to]
phrases = ["how do i"]
[categories.bug]
phrases = ["crash*", "error message"]
"""

ZH = """
language = "zh"
script = "cjk"
[numbers]
"三" = 3
"几十" = 30
[units]
"天" = 24
"小时" = 1
[cues]
negation_before = ["没有", "没", "不", "未"]
negation_after = ["已排除"]
hedge_before = ["可能"]
question_before = ["是否", "有没有"]
presupposing_question = ["为什么"]
clause_break = ["但是"]
[facts.data_loss]
phrases = ["数据 ... 丢失"]
[facts.customers_affected]
phrases = ["<n> 个? 客户"]
[facts.hours_waiting]
phrases = ["等 了? <n> <unit>"]
[categories.billing]
phrases = ["发票"]
"""


def build(*texts: str) -> Lexicon:
    return lexicon_from_mappings([(f"l{i}.toml", tomllib.loads(t)) for i, t in enumerate(texts)])


LEX = build(EN, ZH)
EN_ONLY = build(EN)


def ticket(description: str | None = None, *, subject: str | None = None,
           messages: tuple[str, ...] = (), tags: list[Any] | None = None,
           facts: Facts | None = None) -> Ticket:
    return Ticket(
        id="T-1", subject=subject, description=description,
        communications=tuple(Communication(None, Direction.INBOUND, m) for m in messages),
        extra={"tags": tags} if tags is not None else {},
        facts=facts or Facts(),
    )


def derived(text: str, lexicon: Lexicon = LEX) -> dict[str, Any]:
    return {k: v.value for k, v in extract(ticket(text), lexicon).derived.items()}


def whys(text: str, fact: str = "data_loss", lexicon: Lexicon = LEX) -> list[str]:
    return [m.why for m in extract(ticket(text), lexicon).mentions if m.fact == fact]


# --- negation -----------------------------------------------------------------------------------


def test_plain_statement_is_asserted() -> None:
    assert derived("We lost data yesterday.") == {"data_loss": True}


@pytest.mark.parametrize("text", ["No data was lost.", "We did not lose any data.",
                                  "We never lost data", "We didn't lose data",
                                  "We have not lost any data", "without data lost"])
def test_negation_before(text: str) -> None:
    got = extract(ticket(text), LEX)
    assert "data_loss" not in got.derived
    assert any(m.why.startswith("negated:") for m in got.mentions)


def test_negation_reason_names_the_cue() -> None:
    assert whys("No data was lost.") == ["negated: no"]
    assert whys("We didn't lose data") == ["negated: n't"]


def test_negation_inside_a_chinese_gap() -> None:
    assert "data_loss" not in derived("我们的数据没有丢失")
    assert whys("我们的数据没有丢失") == ["negated: 没有"]
    assert derived("我们的数据全部丢失了") == {"data_loss": True}


def test_negation_before_in_chinese() -> None:
    assert "data_loss" not in derived("没有数据丢失")


def test_negation_after() -> None:
    assert derived("Data loss was ruled out by engineering") == {}
    assert whys("Data loss was ruled out by engineering") == ["negated: was ruled out"]
    assert derived("数据丢失已排除") == {}


def test_negation_after_stays_in_its_clause() -> None:
    assert derived("Data loss, but the outage was ruled out") == {"data_loss": True}


def test_clause_break_word_stops_negation() -> None:
    assert derived("we did not expect it and we lost data") == {"data_loss": True}
    assert derived("不是很多但是数据丢失了") == {"data_loss": True}


def test_clause_punctuation_stops_negation() -> None:
    assert derived("Not again. We lost data.") == {"data_loss": True}
    assert derived("Not again; we lost data") == {"data_loss": True}


def test_negation_reaches_only_a_few_words_back() -> None:
    assert derived("Not that anyone here really noticed that we lost data") == {"data_loss": True}


# --- questions ----------------------------------------------------------------------------------


def test_question_cue_before() -> None:
    assert derived("They asked if we lost data") == {}
    assert whys("They asked if we lost data") == ["question: asked if"]
    assert derived("Is it possible we lost data") == {}
    assert derived("是否数据丢失了") == {}


def test_question_mark_ends_the_clause() -> None:
    assert derived("Did we lose data?") == {}
    assert whys("Did we lose data?") == ["question"]
    assert derived("Did we lose data? The site is down.") == {"production_down": True}
    assert derived("数据丢失了吗？") == {}


def test_question_mark_of_another_clause_does_not_count() -> None:
    assert derived("We lost data. Can anyone help?") == {"data_loss": True}


def test_presupposing_question_is_asserted() -> None:
    assert derived("Why did we lose data?") == {"data_loss": True}
    assert derived("为什么数据丢失了？") == {"data_loss": True}


def test_question_cue_beats_presupposing() -> None:
    assert derived("Why ask whether we lost data?") == {}


# --- hedges -------------------------------------------------------------------------------------


def test_hedge_blocks_a_plain_fact() -> None:
    assert derived("We might have lost data") == {}
    assert whys("We might have lost data") == ["hedged: might"]
    assert derived("可能数据丢失") == {}


def test_hedge_counts_for_a_risk_fact() -> None:
    assert derived("We might cancel the contract") == {"churn_risk": True}
    assert derived("Possibly we cancel our subscription") == {"churn_risk": True}


def test_negation_still_applies_to_a_risk_fact() -> None:
    assert derived("We will not cancel the contract") == {}
    assert whys("We will not cancel the contract", "churn_risk") == ["negated: not"]


def test_hedge_does_not_cross_a_clause_break() -> None:
    assert derived("It might rain but we lost data") == {"data_loss": True}


# --- quoted, e-mail history, logs ---------------------------------------------------------------


@pytest.mark.parametrize("text", ['He wrote "we lost data" as an example',
                                  "He wrote “we lost data” as an example",
                                  "他说「数据丢失」不对", "The doc says “数据丢失”"])
def test_quoted_text_is_set_aside(text: str) -> None:
    got = extract(ticket(text), LEX)
    assert "data_loss" not in got.derived
    assert [m.why for m in got.mentions] == ["quoted"]


def test_text_outside_the_quotes_still_counts() -> None:
    assert derived('The app said "lost data" and we lost data') == {"data_loss": True}
    assert whys('The app said "lost data" and we lost data') == ["quoted"]


def test_email_quote_lines_are_set_aside() -> None:
    text = "Thanks for the reply.\n> we lost data\n>> the site is down\nAll good now."
    got = extract(ticket(text), LEX)
    assert got.derived == {}
    assert {m.why for m in got.mentions} == {"quoted (e-mail quote)"}


def test_curly_quotes_span_lines_but_never_fields_or_blank_lines() -> None:
    assert derived("He said “well\nwe lost data” to me") == {}
    assert derived("He said “well\n\nwe lost data” to me") == {"data_loss": True}
    t = ticket("He said “ok", messages=("we lost data” he said",))
    assert set(extract(t, LEX).derived) == {"data_loss"}
    t = ticket("他说「好", messages=("数据丢失」",))
    assert set(extract(t, LEX).derived) == {"data_loss"}


def test_quote_line_only_covers_its_line() -> None:
    assert derived("> hello\nwe lost data") == {"data_loss": True}


def test_reply_history_is_set_aside_to_the_end_of_its_field_only() -> None:
    t = ticket("Still broken.\nOn Mon, 3 Nov 2025, Bob <bob@x.com> wrote:\nwe lost data",
               messages=("The site is down",))
    got = extract(t, LEX)
    assert set(got.derived) == {"production_down"}
    assert got.derived["production_down"].evidence[0].field == "communications[0]"
    assert [(m.fact, m.why) for m in got.mentions] == [("data_loss", "quoted (earlier e-mail)")]


def test_text_before_the_reply_header_counts() -> None:
    t = ticket("We lost data.\nOn Monday Bob wrote:\nthe site is down")
    assert set(extract(t, LEX).derived) == {"data_loss"}


@pytest.mark.parametrize("line", [
    "2025-11-03 10:00:01 ERROR data loss detected in shard 3",
    "[ERROR] data loss detected",
    "ERROR: data loss detected",
    "   at com.acme.DataLoss(Main.java:10) lost data",
    "com.acme.DataLossException lost data",
])
def test_pasted_log_lines_are_set_aside(line: str) -> None:
    got = extract(ticket("Here is the log:\n" + line + "\nPlease help."), LEX)
    assert "data_loss" not in got.derived
    assert {m.why for m in got.mentions} == {"pasted log"}


def test_http_status_line_is_a_log_line_but_a_count_in_prose_is_not() -> None:
    got = extract(ticket("Response:\n401 Unauthorized (token) and we lost data"), LEX)
    assert got.derived == {}
    assert [m.why for m in got.mentions] == ["pasted log"]
    assert derived("Update:\n500 customers cannot log in (since 9am)") == {
        "customers_affected": 500}


def test_log_line_after_a_blank_line_is_set_aside() -> None:
    got = extract(ticket("Here is the log:\n\nERROR: data loss detected\n\n"
                         "2025-11-03 10:00:01 lost data\n"), LEX)
    assert got.derived == {}
    assert [m.why for m in got.mentions] == ["pasted log", "pasted log"]


def test_log_line_and_reply_history_are_found_in_a_later_field() -> None:
    got = extract(ticket("hello", messages=("ERROR: we lost data",
                                            "On Monday Bob wrote:\nthe site is down")), LEX)
    assert got.derived == {}
    assert [(m.evidence.field, m.why) for m in got.mentions] == [
        ("communications[0]", "pasted log"), ("communications[1]", "quoted (earlier e-mail)")]


def test_reply_history_after_a_blank_line() -> None:
    got = extract(ticket("Still broken.\n\nOn Monday Bob wrote:\n\nwe lost data"), LEX)
    assert got.derived == {}


def test_log_line_does_not_hide_the_next_line() -> None:
    assert derived("[ERROR] timeout\nwe lost data") == {"data_loss": True}


# --- unless-exclusions --------------------------------------------------------------------------


def test_unless_excludes_the_matching_words() -> None:
    assert derived("The security issue tracker is down") == {}
    assert whys("The security issue tracker is down", "security_concern") == [
        "excluded: security issue tracker"]


def test_unless_only_excludes_overlapping_matches() -> None:
    got = derived("The security issue tracker is down; we had a security breach")
    assert got == {"security_concern": True}


def test_unless_of_another_fact_does_not_exclude() -> None:
    assert derived("security issue tracker: we lost data") == {"data_loss": True}


# --- categories ---------------------------------------------------------------------------------


def test_category_most_evidence_wins() -> None:
    got = extract(ticket("The invoice is wrong, a refund please, also a crash"), LEX)
    assert got.derived["category"].value is Category.BILLING
    assert len(got.derived["category"].evidence) == 2
    assert [(m.fact, m.why) for m in got.mentions] == [
        ("category:bug", "outweighed: category billing")]


def test_subject_counts_double() -> None:
    t = ticket("The invoice is wrong, a refund please", subject="App crashes on start")
    got = extract(t, LEX)
    # bug: 2 (subject) vs billing: 2 -> the tie goes to the lexicon's order (billing first)
    assert got.derived["category"].value is Category.BILLING
    t = ticket("The invoice is wrong", subject="App crashes on start")
    assert extract(t, LEX).derived["category"].value is Category.BUG


def test_category_tie_goes_to_the_lexicon_order() -> None:
    assert derived("A crash, and an invoice.")["category"] is Category.BILLING
    assert derived("How do I see the crash report")["category"] is Category.HOW_TO
    reordered = build(EN.replace("[categories.billing]", "[categories.xbilling]")
                      .replace("[categories.bug]", "[categories.billing]")
                      .replace("[categories.xbilling]", "[categories.bug]"))
    assert derived("A crash, and an invoice.", reordered)["category"] is Category.BUG


def test_category_order_spans_languages() -> None:
    # Both categories read once: billing comes first in the English lexicon.
    assert derived("App crash 发票")["category"] is Category.BILLING


# --- inconvenienced, not blocked ----------------------------------------------------------------


def test_inconvenienced_makes_blocked_false_with_evidence() -> None:
    got = extract(ticket("We cannot work on reports. It is a minor inconvenience."), LEX)
    assert got.derived["blocked"].value is False
    assert got.derived["blocked"].evidence[0].phrase == "minor inconvenience"
    outweighed = [m for m in got.mentions if m.fact == "blocked"]
    assert len(outweighed) == 1
    assert outweighed[0].evidence.phrase == "cannot work"
    assert outweighed[0].why == ('outweighed: the customer says they can work '
                                 '(description: "minor inconvenience")')


def test_inconvenienced_alone_derives_blocked_false() -> None:
    got = extract(ticket("We can still work"), LEX)
    assert got.derived["blocked"].value is False
    assert "inconvenienced" not in got.derived


def test_blocked_alone() -> None:
    assert derived("We are completely blocked") == {"blocked": True}


def test_negated_inconvenience_does_not_unblock() -> None:
    assert derived("We cannot work. This is not a minor inconvenience") == {"blocked": True}


# --- counts and hours ---------------------------------------------------------------------------


def test_largest_count_wins_and_every_mention_is_evidence() -> None:
    got = extract(ticket("3 customers at first, now 12 customers and three clients"), LEX)
    fact = got.derived["customers_affected"]
    assert fact.value == 12
    assert fact.evidence[0].phrase == "12 customers"
    assert sorted(e.phrase for e in fact.evidence) == ["12 customers", "3 customers",
                                                        "three clients"]
    assert fact.cite() == 'description: "12 customers" (+2 more)'


def test_count_with_thousands_and_number_words() -> None:
    assert derived("1,200 customers") == {"customers_affected": 1200}
    assert derived("several clients")["customers_affected"] == 3
    assert derived("三个客户") == {"customers_affected": 3}
    assert derived("几十客户") == {"customers_affected": 30}


@pytest.mark.parametrize("text", ["0 customers", "0.5 customers", "20000000 customers"])
def test_counts_out_of_range_are_mentions(text: str) -> None:
    got = extract(ticket(text), LEX)
    assert "customers_affected" not in got.derived
    assert [m.why for m in got.mentions] == ["no usable number"]


def test_numbers_too_long_for_a_float_are_not_used() -> None:
    got = extract(ticket("waiting for " + "9" * 400 + " hours"), LEX)
    assert got.derived == {}
    assert [m.why for m in got.mentions] == ["no usable number"]
    assert derived("waiting for 20000000 hours") == {}


def test_counts_are_ints() -> None:
    value = derived("12.0 customers")["customers_affected"]
    assert value == 12 and isinstance(value, int)


def test_hours_via_units() -> None:
    assert derived("We have been waiting for 3 days") == {"hours_waiting": 72.0}
    assert derived("We waited 1.5 weeks") == {"hours_waiting": 252.0}
    assert derived("waiting for several hours") == {"hours_waiting": 3.0}
    assert derived("等了三天") == {"hours_waiting": 72.0}
    assert derived("waited 2 days, then waiting 5 hours") == {"hours_waiting": 48.0}


def test_users_and_customers_are_separate() -> None:
    assert derived("all 300 users at 2 customers") == {"users_affected": 300,
                                                       "customers_affected": 2}


def test_known_workaround_is_the_clause() -> None:
    got = derived("Thanks. The workaround is to re-run the export; it is slow")
    assert got == {"known_workaround": "The workaround is to re-run the export"}


def test_known_workaround_keeps_dotted_words_whole() -> None:
    got = derived("Hi. The workaround is to open example.com/settings in v2.14 and retry. Thanks")
    assert got == {"known_workaround":
                   "The workaround is to open example.com/settings in v2.14 and retry"}
    got = derived("workaround is: use 1.5x zoom!\nOther things")
    assert got == {"known_workaround": "workaround is: use 1.5x zoom"}


# --- evidence: field and offsets ----------------------------------------------------------------


def _check_offsets(t: Ticket, extraction: Extraction) -> None:
    texts = {"subject": t.subject or "", "description": t.description or ""}
    for i, m in enumerate(t.communications):
        texts[f"communications[{i}]"] = m.summary
    evidence = [e for f in extraction.derived.values() for e in f.evidence]
    evidence += [m.evidence for m in extraction.mentions]
    assert evidence
    for e in evidence:
        if e.field == "tags":
            continue
        assert " ".join(texts[e.field][e.start:e.end].split()) == e.phrase


def test_evidence_names_the_field_with_field_relative_offsets() -> None:
    t = ticket("Hello team.\nWe  lost\tdata today.", subject="Site is down",
               messages=("ok", "Now 3 customers report it", "数据丢失了"),
               tags=["billing", "refund_request"])
    got = extract(t, LEX)
    fields = {name: [e.field for e in fact.evidence] for name, fact in got.derived.items()}
    assert fields["production_down"] == ["subject"]
    assert sorted(fields["data_loss"]) == ["communications[2]", "description"]
    assert fields["customers_affected"] == ["communications[1]"]
    assert fields["category"] == ["tags"]
    loss = next(e for e in got.derived["data_loss"].evidence if e.field == "description")
    assert (loss.start, loss.end) == (16, 25)
    assert loss.phrase == "lost data"  # whitespace normalised
    assert t.description is not None and t.description[loss.start:loss.end] == "lost\tdata"
    _check_offsets(t, got)


def test_evidence_keeps_the_original_case_and_cites() -> None:
    got = extract(ticket("WE LOST DATA"), LEX)
    e = got.derived["data_loss"].evidence[0]
    assert e == Evidence("description", "LOST DATA", 3, 12, "l0.toml: facts.data_loss.phrases[0]")
    assert e.cite() == 'description: "LOST DATA"'
    assert got.cite("data_loss") == 'description: "LOST DATA"'
    assert got.cite("churn_risk") is None


def test_curly_apostrophe_keeps_offsets() -> None:
    t = ticket("We can’t work at all")
    got = extract(t, LEX)
    e = got.derived["blocked"].evidence[0]
    assert e.phrase == "can’t work"
    _check_offsets(t, got)


def test_dotted_capital_i_keeps_offsets() -> None:
    # "İ".lower() is two characters: the evidence must still be the words at its offsets.
    t = ticket("İSTANBUL İ: we lost data")
    got = extract(t, LEX)
    e = got.derived["data_loss"].evidence[0]
    assert e.phrase == "lost data" and (e.start, e.end) == (15, 24)
    _check_offsets(t, got)


def test_tags_are_read() -> None:
    got = extract(ticket(None, tags=["data-loss", 3, True, "site_down"]), LEX)
    assert set(got.derived) == {"data_loss", "production_down"}
    assert got.derived["data_loss"].evidence[0].field == "tags"


def test_long_phrases_are_shortened_in_evidence() -> None:
    lexicon = build('language = "en"\n[facts.data_loss]\nphrases = ["lost ... data"]')
    long_word = "x" * 200
    got = extract(ticket(f"lost {long_word} data"), lexicon)
    phrase = got.derived["data_loss"].evidence[0].phrase
    assert len(phrase) == 120 and phrase.endswith("…")


# --- explicit facts win -------------------------------------------------------------------------


@pytest.mark.parametrize("facts", [
    {"data_loss": False}, {"data_loss": True}, {"customers_affected": 0},
    {"category": "how_to"},
])
def test_stated_facts_are_never_derived(facts: dict[str, Any]) -> None:
    t = ticket_from_mapping({"id": "T", "description": "We lost data. 5 customers. Crash!",
                             "facts": facts})
    got = extract(t, LEX, everything=True)  # also read what the ticket states, to show it
    name = next(iter(facts))
    assert name not in got.derived
    assert name not in extract(t, LEX).derived
    assert any(m.fact == name and m.why == "overridden: the ticket states this fact"
               for m in got.mentions)
    assert set(got.derived) | {name} == {"data_loss", "customers_affected", "category"}


def test_facts_set_in_code_count_as_stated() -> None:
    t = ticket("We lost data", facts=Facts(data_loss=True))
    assert "data_loss" in stated_facts(t.facts)
    assert extract(t, LEX).derived == {}
    assert stated_facts(Facts()) == frozenset()
    assert stated_facts(Facts(stated=frozenset({"blocked"}))) == {"blocked"}


def test_with_derived_fills_unset_facts_only() -> None:
    t = ticket_from_mapping({"id": "T", "description": "We lost data. 5 customers. Crash",
                             "facts": {"blocked": False}})
    got = extract(t, LEX)
    filled = with_derived(t, got)
    assert filled.facts.data_loss is True
    assert filled.facts.customers_affected == 5
    assert filled.facts.category is Category.BUG
    assert filled.facts.blocked is False
    assert filled.facts.stated == frozenset({"blocked"})
    assert with_derived(t, NO_EXTRACTION) is t


def test_with_derived_never_replaces_a_stated_fact() -> None:
    # Even with an extraction made before the fact was stated (or for another version).
    t = ticket_from_mapping({"id": "T", "description": "We lost data",
                             "facts": {"data_loss": False}})
    stale = extract(ticket("We lost data"), LEX)
    assert stale.derived["data_loss"].value is True
    assert with_derived(t, stale).facts.data_loss is False
    in_code = ticket("We lost data", facts=Facts(customers_affected=2))
    more = Extraction({"customers_affected": DerivedFact("customers_affected", 9, ())})
    assert with_derived(in_code, more).facts.customers_affected == 2


def test_with_derived_ignores_names_that_are_not_facts() -> None:
    t = ticket("x")
    odd = Extraction({"nonsense": DerivedFact("nonsense", True, ())})
    assert with_derived(t, odd) is t


# --- languages, determinism ---------------------------------------------------------------------


def test_no_language_match_gives_an_empty_extraction() -> None:
    got = extract(ticket("Привет, мир"), LEX)
    assert got == Extraction() and not got and got.languages == ()
    assert extract(ticket(None), LEX) is NO_EXTRACTION
    assert extract(ticket("数据丢失"), EN_ONLY) == Extraction()


def test_mixed_ticket_reads_both_languages() -> None:
    t = ticket("客户说数据丢失了。Also the site is down and 3 customers are affected.",
               subject="紧急: production is down")
    got = extract(t, LEX)
    assert got.languages == ("en", "zh")
    assert set(got.derived) == {"data_loss", "production_down", "customers_affected"}
    assert got.derived["data_loss"].evidence[0].source == "l1.toml: facts.data_loss.phrases[0]"
    _check_offsets(t, got)


def test_language_without_phrases_in_the_text_is_still_listed() -> None:
    assert extract(ticket("Hello there"), LEX).languages == ("en",)


def test_extraction_is_deterministic() -> None:
    t = ticket("We lost data, 3 customers; the site is down. 数据丢失，三个客户。 invoice crash",
               subject="crash", messages=("No data was lost?", "we might cancel the contract"))
    first = extract(t, LEX)
    for _ in range(3):
        assert extract(t, LEX) == first
    assert extract(t, build(EN, ZH)) == first


@pytest.mark.parametrize("phrases", [
    '["lost data", "(gone|lost) data", "(lost|gone) (data|rows)"]',
    '["(lost|gone) (data|rows)", "lost data", "(gone|lost) data"]',
])
def test_same_words_of_several_phrases_cite_the_first_entry(phrases: str) -> None:
    lexicon = build(f'language = "en"\n[facts.data_loss]\nphrases = {phrases}')
    got = extract(ticket("we lost data"), lexicon)
    (evidence,) = got.derived["data_loss"].evidence
    assert evidence.source == "l0.toml: facts.data_loss.phrases[0]"


def test_overlapping_phrases_of_one_rule_count_once() -> None:
    got = extract(ticket("the data was lost"), LEX)
    assert len(got.derived["data_loss"].evidence) == 1
