"""Lexicon files: every validation error names file, key path and index; merging; phrase syntax.

The lexicons here are small and inline: they test the engine, not the shipped word lists.
"""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from escalation.domain.extract import extract
from escalation.domain.lexicon import (
    DERIVABLE_BOOL_FACTS,
    Lexicon,
    LexiconError,
    lexicon_from_mappings,
)
from escalation.domain.model import Ticket


def lex(*files: tuple[str, str] | str) -> Lexicon:
    """Compile TOML strings (`(name, text)` or just text, named `t.toml`)."""
    parsed: list[tuple[str, dict[str, Any]]] = []
    for item in files:
        name, text = item if isinstance(item, tuple) else ("t.toml", item)
        parsed.append((name, tomllib.loads(text)))
    return lexicon_from_mappings(parsed)


def en(phrases: list[str], *, extra: str = "", fact: str = "data_loss") -> Lexicon:
    quoted = ", ".join(_toml_str(p) for p in phrases)
    return lex(f'language = "en"\n{extra}\n[facts.{fact}]\nphrases = [{quoted}]\n')


def zh(phrases: list[str], *, extra: str = "", fact: str = "data_loss") -> Lexicon:
    quoted = ", ".join(_toml_str(p) for p in phrases)
    return lex(f'language = "zh"\n{extra}\n[facts.{fact}]\nphrases = [{quoted}]\n')


def _toml_str(s: str) -> str:
    return "'" + s + "'"


def read(lexicon: Lexicon, text: str, fact: str = "data_loss") -> Any:
    """The value derived for `fact` from a description, or None."""
    found = extract(Ticket(id="T-1", description=text), lexicon).derived.get(fact)
    return None if found is None else found.value


def phrase_of(lexicon: Lexicon, text: str, fact: str = "data_loss") -> str | None:
    found = extract(Ticket(id="T-1", description=text), lexicon).derived.get(fact)
    return None if found is None else found.evidence[0].phrase


def error_of(data: Any, name: str = "team.toml") -> LexiconError:
    with pytest.raises(LexiconError) as caught:
        lexicon_from_mappings([(name, data)])
    return caught.value


def phrase_error(phrase: str, *, cjk: bool = False, extra: dict[str, Any] | None = None,
                 index: int = 1) -> LexiconError:
    phrases = ["lost data"] * index + [phrase]
    data: dict[str, Any] = {"language": "zh" if cjk else "en",
                            "facts": {"data_loss": {"phrases": phrases}}, **(extra or {})}
    return error_of(data)


# --- validation: every error names the file, the key path (with index) and what was expected --


def test_not_a_table() -> None:
    err = error_of(["language"])
    assert err.path.startswith("team.toml")
    assert "table" in err.expected


def test_unknown_top_level_key() -> None:
    err = error_of({"language": "en", "phrase": []})
    assert err.path == "team.toml: phrase"
    assert "language" in err.expected and "facts" in err.expected


@pytest.mark.parametrize("code", ["english", "EN", "", 3, None, "e"])
def test_bad_language_code(code: Any) -> None:
    data = {"facts": {}} if code is None else {"language": code}
    err = error_of(data)
    assert err.path == "team.toml: language"
    assert "language code" in err.expected


def test_wrong_script() -> None:
    err = error_of({"language": "en", "script": "cyrillic"})
    assert err.path == "team.toml: script"
    assert '"latin" or "cjk"' in err.expected


def test_script_must_agree_with_earlier_file_of_the_language() -> None:
    with pytest.raises(LexiconError) as caught:
        lexicon_from_mappings([("a.toml", {"language": "en"}),
                               ("b.toml", {"language": "en", "script": "cjk"})])
    assert caught.value.path == "b.toml: script"
    assert "latin" in caught.value.expected


def test_unknown_fact() -> None:
    err = error_of({"language": "en", "facts": {"data_lost": {"phrases": ["x y"]}}})
    assert err.path == "team.toml: facts.data_lost"
    assert "data_loss" in err.expected


def test_unknown_category() -> None:
    err = error_of({"language": "en", "categories": {"nonsense": {"phrases": ["x"]}}})
    assert err.path == "team.toml: categories.nonsense"
    assert "feature_request" in err.expected


@pytest.mark.parametrize("category", ["security", "outage"])
def test_security_and_outage_categories_are_refused_with_a_hint(category: str) -> None:
    err = error_of({"language": "en", "categories": {category: {"phrases": ["hacked"]}}})
    assert err.path == f"team.toml: categories.{category}"
    assert "security and outage come from the security and production_down facts" in err.expected
    assert category not in err.expected.split(" (")[0].split(", ")


def test_unknown_rule_key() -> None:
    err = error_of({"language": "en", "facts": {"data_loss": {"phrase": ["lost data"]}}})
    assert err.path == "team.toml: facts.data_loss.phrase"
    assert "phrases" in err.expected


def test_rule_not_a_table() -> None:
    err = error_of({"language": "en", "facts": {"data_loss": ["lost data"]}})
    assert err.path == "team.toml: facts.data_loss"


@pytest.mark.parametrize("kind", ["phrases", "unless"])
def test_non_list_phrases(kind: str) -> None:
    err = error_of({"language": "en", "facts": {"data_loss": {kind: "lost data"}}})
    assert err.path == f"team.toml: facts.data_loss.{kind}"
    assert err.expected == "a list of strings"


@pytest.mark.parametrize("bad", ["", "   ", 3, None])
def test_empty_or_non_string_phrase_names_its_index(bad: Any) -> None:
    data = {"language": "en", "facts": {"data_loss": {"phrases": ["lost data", bad]}}}
    err = error_of(data)
    assert err.path == "team.toml: facts.data_loss.phrases[1]"
    assert err.expected == "a non-empty string"


def test_cue_list_errors() -> None:
    err = error_of({"language": "en", "cues": {"negation": ["no"]}})
    assert err.path == "team.toml: cues.negation"
    assert "negation_before" in err.expected
    err = error_of({"language": "en", "cues": {"negation_before": ["no", ""]}})
    assert err.path == "team.toml: cues.negation_before[1]"
    err = error_of({"language": "en", "cues": ["no"]})
    assert err.path == "team.toml: cues"


@pytest.mark.parametrize("phrase", ["(lost data", "lost data)", "lost (data|rows", "((lost) data"])
def test_unbalanced_parentheses(phrase: str) -> None:
    err = phrase_error(phrase)
    assert err.path == "team.toml: facts.data_loss.phrases[1]"
    assert "balanced parentheses" in err.expected
    assert err.got == phrase


@pytest.mark.parametrize("phrase", ["lost (data|)", "lost (|data)", "lost (data||rows)", "lost ()"])
def test_empty_alternative(phrase: str) -> None:
    err = phrase_error(phrase)
    assert err.path == "team.toml: facts.data_loss.phrases[1]"
    assert "empty alternative" in err.expected


@pytest.mark.parametrize("phrase", [
    "lost [a-z] data", r"lost \d rows", "lost data+", "lost {2} data", "^lost data", "lost data$",
    "lost **", "lost <x> data", "lost da*ta",
])
def test_regular_expression_syntax_is_refused(phrase: str) -> None:
    err = phrase_error(phrase)
    assert err.path == "team.toml: facts.data_loss.phrases[1]"
    assert "no regular expression syntax" in err.expected


@pytest.mark.parametrize("phrase", ["... lost data", "lost data ...", "..."])
def test_phrase_starting_or_ending_with_a_gap(phrase: str) -> None:
    err = phrase_error(phrase)
    assert err.path == "team.toml: facts.data_loss.phrases[1]"
    assert "does not start or end with ..." in err.expected


def test_optional_first_word_in_latin() -> None:
    err = phrase_error("all? data lost")
    assert err.path == "team.toml: facts.data_loss.phrases[1]"
    assert "first word must be there" in err.expected
    err = phrase_error("(all|most)? data lost")
    assert "first word must be there" in err.expected


def test_optional_first_word_is_fine_in_cjk() -> None:
    lexicon = zh(["所有? 数据 丢失"])
    assert read(lexicon, "我们的数据丢失了") is True
    assert read(lexicon, "我们所有数据丢失了") is True


@pytest.mark.parametrize("phrase", ["(our? data|records) lost", "lost (all? data|records)",
                                    "lost ((all|most)? data|records)"])
def test_optional_first_word_of_an_alternative_in_latin(phrase: str) -> None:
    # Such an alternative could never match without its optional word: refused like a? b.
    err = phrase_error(phrase)
    assert err.path == "team.toml: facts.data_loss.phrases[1]"
    assert "first word must be there" in err.expected


def test_optional_first_word_of_an_alternative_is_fine_in_cjk() -> None:
    lexicon = zh(["(我们? 的? 数据|记录) 丢失"])
    assert read(lexicon, "数据丢失") is True
    assert read(lexicon, "我们的数据丢失") is True
    assert read(lexicon, "记录丢失") is True


@pytest.mark.parametrize("phrase", ["<n> customers and <n> users", "(<n> customers)",
                                    "customers (<n>|many)"])
def test_more_than_one_number_or_number_in_parentheses(phrase: str) -> None:
    err = phrase_error(phrase, extra={"facts": {"customers_affected": {"phrases": [
        "<n> customers", phrase]}}})
    assert err.path == "team.toml: facts.customers_affected.phrases[1]"
    assert "at most one <n>" in err.expected


def test_unit_without_units_table() -> None:
    data = {"language": "en", "facts": {"hours_waiting": {"phrases": ["waited <n> <unit>"]}}}
    err = error_of(data)
    assert err.path == "team.toml: facts.hours_waiting.phrases[0]"
    assert "[units]" in err.expected


def test_unit_from_an_earlier_file_of_the_language_is_enough() -> None:
    lexicon = lexicon_from_mappings([
        ("a.toml", {"language": "en", "units": {"days": 24}}),
        ("b.toml", {"language": "en",
                    "facts": {"hours_waiting": {"phrases": ["waited <n> <unit>"]}}}),
    ])
    assert read(lexicon, "We waited 2 days.", "hours_waiting") == 48.0


@pytest.mark.parametrize("phrase", ["lost?", "(lost data)?", "data? lost?", "(a|b)? (c)?"])
def test_phrase_with_no_mandatory_word(phrase: str) -> None:
    err = phrase_error(phrase, cjk=True)
    assert err.path == "team.toml: facts.data_loss.phrases[1]"
    assert "cannot match empty" in err.expected or "must be there" in err.expected


def test_short_prefix_alone_cannot_find_a_phrase() -> None:
    err = phrase_error("los*")
    assert "four letters" in err.expected


@pytest.mark.parametrize(("table", "word", "value"), [
    ("numbers", "three", "3"), ("numbers", "three", -1), ("numbers", "three", True),
    ("units", "days", "24"), ("units", "days", -24.0), ("units", "days", [24]),
    ("numbers", "three", float("nan")), ("units", "days", float("inf")),
])
def test_bad_number_and_unit_values(table: str, word: str, value: Any) -> None:
    err = error_of({"language": "en", table: {word: value}})
    assert err.path == f"team.toml: {table}.{word}"
    assert err.expected == "a number ≥ 0"


@pytest.mark.parametrize("table", ["numbers", "units"])
def test_numbers_and_units_must_be_tables(table: str) -> None:
    err = error_of({"language": "en", table: [1, 2]})
    assert err.path == f"team.toml: {table}"


def test_empty_number_word() -> None:
    err = error_of({"language": "en", "numbers": {" ": 3}})
    assert err.path.startswith("team.toml: numbers")


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_hedged_counts_must_be_a_bool(value: Any) -> None:
    err = error_of({"language": "en", "facts": {"churn_risk": {"phrases": ["cancel"],
                                                              "hedged_counts": value}}})
    assert err.path == "team.toml: facts.churn_risk.hedged_counts"
    assert err.expected == "true or false"


def test_error_message_is_one_line_with_file_path_and_got() -> None:
    err = phrase_error("lost [a-z] data")
    assert err.message.startswith("team.toml: facts.data_loss.phrases[1]: expected ")
    assert err.message.endswith('got "lost [a-z] data"')
    assert "\n" not in err.message


def test_index_counts_within_each_file() -> None:
    with pytest.raises(LexiconError) as caught:
        lexicon_from_mappings([
            ("a.toml", {"language": "en",
                        "facts": {"data_loss": {"phrases": ["x y", "lost data"]}}}),
            ("b.toml", {"language": "en", "facts": {"data_loss": {"phrases": ["lost (rows"]}}}),
        ])
    assert caught.value.path == "b.toml: facts.data_loss.phrases[0]"


def test_unless_phrases_are_checked_too() -> None:
    err = error_of({"language": "en", "facts": {"data_loss": {
        "phrases": ["lost data"], "unless": ["lost data", "(lost"]}}})
    assert err.path == "team.toml: facts.data_loss.unless[1]"


# --- merging files of the same language ---------------------------------------------------------


def test_same_language_files_merge_phrases_add_up_numbers_override() -> None:
    base = ('base.toml', 'language = "en"\n[numbers]\nseveral = 3\n'
            '[facts.data_loss]\nphrases = ["lost data"]\n'
            '[facts.customers_affected]\nphrases = ["<n> customers"]\n')
    team = ('team.toml', 'language = "en"\n[numbers]\nseveral = 7\n'
            '[facts.data_loss]\nphrases = ["rows vanished"]\n')
    merged = lex(base, team)
    assert [lang.code for lang in merged.languages] == ["en"]
    assert merged.sources == ("base.toml", "team.toml")
    assert merged.phrase_count == 3
    assert read(merged, "We lost data.") is True
    assert read(merged, "Rows vanished overnight.") is True
    assert read(merged, "several customers complained", "customers_affected") == 7
    assert read(lex(base), "several customers complained", "customers_affected") == 3
    found = extract(Ticket(id="T", description="Rows vanished."), merged).derived["data_loss"]
    assert found.evidence[0].source == "team.toml: facts.data_loss.phrases[0]"


def test_merged_cues_add_up() -> None:
    base = ('base.toml', 'language = "en"\n[cues]\nnegation_before = ["no"]\n'
            '[facts.data_loss]\nphrases = ["lost data"]\n')
    team = ('team.toml', 'language = "en"\n[cues]\nnegation_before = ["nope"]\n')
    merged = lex(base, team)
    assert read(merged, "no, we lost data") is True  # the comma ends the clause
    assert read(merged, "nope we lost data") is None
    assert read(merged, "no we lost data") is None


def test_later_hedged_counts_overrides() -> None:
    base = ('a.toml', 'language = "en"\n[cues]\nhedge_before = ["might"]\n'
            '[facts.churn_risk]\nphrases = ["cancel the contract"]\n')
    team = ('b.toml', 'language = "en"\n[facts.churn_risk]\nhedged_counts = true\n')
    assert read(lex(base), "we might cancel the contract", "churn_risk") is None
    assert read(lex(base, team), "we might cancel the contract", "churn_risk") is True


def test_two_languages_keep_their_order() -> None:
    lexicon = lex(('en.toml', 'language = "en"'), ('zh.toml', 'language = "zh"'))
    assert [lang.code for lang in lexicon.languages] == ["en", "zh"]
    zh_lang = lexicon.language("zh")
    assert zh_lang is not None and zh_lang.cjk
    assert lexicon.language("fr") is None


def test_empty_lexicon() -> None:
    lexicon = lexicon_from_mappings([])
    assert lexicon.languages == () and lexicon.phrase_count == 0
    assert not extract(Ticket(id="T", description="we lost data"), lexicon)


# --- phrase syntax ------------------------------------------------------------------------------


def test_alternatives() -> None:
    lexicon = en(["(lost|deleted|wiped out) (all|our) data"])
    assert read(lexicon, "We lost all data") is True
    assert read(lexicon, "someone deleted our data") is True
    assert read(lexicon, "it wiped out all data") is True
    assert read(lexicon, "it wiped all data") is None
    assert read(lexicon, "we lost some data") is None


def test_optional_words_and_groups() -> None:
    lexicon = en(["lost (all of)? our? data"])
    for text in ("lost data", "lost our data", "lost all of our data", "lost all of data"):
        assert read(lexicon, text) is True, text
    assert phrase_of(lexicon, "We lost all of our data!") == "lost all of our data"
    assert read(lexicon, "lost all our data") is None


def test_group_first_found_by_a_later_word_of_an_alternative() -> None:
    # "the" and "all" are too common to find a phrase by: "data" and "records" find it, and
    # the whole phrase is then searched in the clause (not matched where "data" stands).
    lexicon = en(["(the data|all records|rows) vanished"])
    assert read(lexicon, "Suddenly the data vanished") is True
    assert read(lexicon, "all records vanished") is True
    assert read(lexicon, "rows vanished") is True
    assert phrase_of(lexicon, "and then all records vanished.") == "all records vanished"
    assert read(lexicon, "the records vanished") is None


def test_nested_group_first() -> None:
    lexicon = en(["((the|our) data|records) vanished"])
    assert read(lexicon, "our data vanished") is True
    assert read(lexicon, "records vanished") is True
    assert read(lexicon, "data vanished") is None


def test_prefix_word() -> None:
    lexicon = en(["data disappear*"])
    assert read(lexicon, "the data disappeared") is True
    assert read(lexicon, "data disappears daily") is True
    assert read(lexicon, "data disappear") is True
    assert read(lexicon, "data reappeared") is None
    assert phrase_of(lexicon, "data disappeared yesterday") == "data disappeared"


def test_prefix_word_as_first_word() -> None:
    lexicon = en(["vanish* records"])
    assert read(lexicon, "vanishing records everywhere") is True
    assert read(lexicon, "unvanishing records") is None


def test_latin_gap_up_to_three_words() -> None:
    lexicon = en(["lost ... data"])
    assert read(lexicon, "lost data") is True
    assert read(lexicon, "lost all our data") is True
    assert read(lexicon, "lost all of our data") is True  # three words
    assert read(lexicon, "lost all of the old data") is None  # four words
    assert read(lexicon, "lost it, data") is None  # not across a clause break


def test_cjk_gap_up_to_six_characters_within_a_clause() -> None:
    lexicon = zh(["数据 ... 丢失"])
    assert read(lexicon, "数据丢失") is True
    assert read(lexicon, "数据全部都丢失了") is True
    assert read(lexicon, "数据一二三四五六丢失") is True  # six
    assert read(lexicon, "数据一二三四五六七丢失") is None  # seven
    for brk in "，。！？；：、,.!?;:\n":
        assert read(lexicon, f"数据很好{brk}丢失") is None, brk


def test_gap_written_against_its_words() -> None:
    assert read(zh(["数据...丢失"]), "数据全部丢失") is True
    assert read(en(["lost...data"]), "lost all our data") is True
    assert phrase_error("lost data...").expected.endswith("does not start or end with ...")


def test_cjk_words_join_with_or_without_spaces() -> None:
    lexicon = zh(["数据 丢失"])
    assert read(lexicon, "数据丢失") is True
    assert read(lexicon, "数据 丢失") is True
    assert read(lexicon, "数据\n丢失") is None


def test_number_with_digits_commas_and_words() -> None:
    lexicon = en(["<n> customers"], fact="customers_affected",
                 extra="[numbers]\nthree = 3\nseveral = 3\nhundreds = 200")
    for text, value in (("12 customers", 12), ("1,200 customers", 1200), ("three customers", 3),
                        ("Several customers", 3), ("hundreds of customers", None),
                        ("hundreds customers", 200)):
        assert read(lexicon, text, "customers_affected") == value, text


def test_number_words_in_chinese() -> None:
    lexicon = zh(["<n> 个? 客户"], fact="customers_affected",
                 extra='[numbers]\n"三" = 3\n"几十" = 30\n"十" = 10')
    assert read(lexicon, "有三个客户受影响", "customers_affected") == 3
    assert read(lexicon, "几十个客户", "customers_affected") == 30
    assert read(lexicon, "25客户", "customers_affected") == 25


def test_unit_converts_to_hours() -> None:
    lexicon = en(["waiting (for)? <n> <unit>"], fact="hours_waiting",
                 extra='[numbers]\ntwo = 2\n[units]\nhours = 1\ndays = 24\n"business days" = 8\n'
                       "weeks = 168")
    for text, value in (("waiting for 5 hours", 5.0), ("waiting two days", 48.0),
                        ("waiting 1.5 weeks", 252.0), ("waiting 3 business days", 24.0),
                        ("waiting 3 fortnights", None)):
        assert read(lexicon, text, "hours_waiting") == value, text


def test_curly_apostrophes_in_phrases_and_cues_match_either_apostrophe() -> None:
    # The text is read with ’ as ': a phrase or cue written with ’ must not be dead.
    lexicon = en(["can’t work"], fact="blocked", extra='[cues]\nnegation_before = ["isn’t"]')
    assert read(lexicon, "We can't work", "blocked") is True
    assert read(lexicon, "We can’t work", "blocked") is True
    assert read(lexicon, "It isn't that we can't work", "blocked") is None
    assert read(lexicon, "It isn’t that we can’t work", "blocked") is None


def test_nan_and_inf_from_toml_are_refused() -> None:
    with pytest.raises(LexiconError) as caught:
        lex('language = "en"\n[numbers]\nlots = inf\n')
    assert caught.value.path == "t.toml: numbers.lots"
    with pytest.raises(LexiconError):
        lex('language = "en"\n[units]\nday = nan\n')


def test_matching_ignores_case() -> None:
    lexicon = en(["Lost DATA"])
    assert read(lexicon, "WE LOST DATA") is True
    assert read(lexicon, "we Lost data") is True


@pytest.mark.parametrize("text", ["data-loss happened", "data/loss happened", "data - loss",
                                  "data  \t loss", "Data-Loss"])
def test_hyphen_slash_and_space_separators(text: str) -> None:
    assert read(en(["data loss"]), text) is True


def test_hyphenated_phrase_word_matches_as_written() -> None:
    lexicon = en(["two-factor bypass"], fact="security_concern")
    assert read(lexicon, "a Two-Factor bypass", "security_concern") is True
    assert read(lexicon, "a two-factorial bypass", "security_concern") is None
    spaced = en(["two factor bypass"], fact="security_concern")
    assert read(spaced, "a two-factor bypass", "security_concern") is True
    assert read(spaced, "a two/factor bypass", "security_concern") is True


@pytest.mark.parametrize("text", ["lost database", "postlost data", "lost data_x", "lost datas",
                                  "lost data's", "lost_data"])
def test_whole_words_only(text: str) -> None:
    assert read(en(["lost data"]), text) is None


@pytest.mark.parametrize("text", ["lost. data", "lost; data", "lost, data", "lost! data",
                                  "lost\ndata", "lost\r\ndata", "lost? data"])
def test_a_phrase_never_spans_a_clause_or_line_break(text: str) -> None:
    assert read(en(["lost data"]), text) is None
    assert read(en(["lost ... data"]), text.replace("lost", "lost all")) is None


def test_a_phrase_found_by_a_later_word_stays_in_its_clause() -> None:
    # "the" is common, so the phrase is found by "vanished" and searched in its clause.
    lexicon = en(["the rows vanished"])
    assert read(lexicon, "Sadly the rows vanished.") is True
    assert read(lexicon, "the. rows vanished") is None
    assert read(lexicon, "the rows\nvanished") is None


def test_decimal_points_and_thousands_do_not_break_clauses() -> None:
    lexicon = en(["<n> customers"], fact="customers_affected")
    assert read(lexicon, "since 2.14 about 10,000 customers", "customers_affected") == 10000


# --- shipped lexicons (integration-style: they load, compile and cover both languages) ---------


def test_shipped_lexicons_load_and_compile() -> None:
    from escalation.adapters.lexicon_files import load_lexicon

    lexicon = load_lexicon()
    assert {lang.code for lang in lexicon.languages} >= {"en", "zh"}
    assert lexicon.phrase_count > 50


@pytest.mark.parametrize("code", ["en", "zh"])
def test_every_derivable_fact_has_phrases_in_each_shipped_language(code: str) -> None:
    from escalation.adapters.lexicon_files import load_lexicon

    language = load_lexicon().language(code)
    assert language is not None
    rules = {p.rule for group in (*language.by_first.values(), language.by_number)
             for p in group}
    missing = [fact for fact in DERIVABLE_BOOL_FACTS if fact not in rules]
    assert not missing, f"{code} has no phrases for {missing}"
