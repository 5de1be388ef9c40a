"""Properties of fact extraction over any text: never raises, deterministic, honest evidence.

The lexicon is inline (the engine, not the shipped word lists); a second property compiles
random phrase strings, which either compile or raise LexiconError, never anything else.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalation.domain.extract import Extraction, extract
from escalation.domain.lexicon import (
    COUNT_FACTS,
    DERIVABLE_BOOL_FACTS,
    HOURS_FACTS,
    TEXT_FACTS_DERIVED,
    Lexicon,
    LexiconError,
    lexicon_from_mappings,
)
from escalation.domain.model import Communication, Direction, Facts, Ticket

PROPS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

LEX = lexicon_from_mappings([
    ("en.toml", tomllib.loads("""
language = "en"
[numbers]
three = 3
several = 3
[units]
hours = 1
days = 24
[cues]
negation_before = ["no", "not", "n't"]
negation_after = ["was ruled out"]
hedge_before = ["might"]
question_before = ["whether"]
presupposing_question = ["why"]
clause_break = ["and", "but"]
[facts.data_loss]
phrases = ["(lost|lose) ... data", "data (was)? (lost|gone*)"]
unless = ["lost data plan"]
[facts.churn_risk]
phrases = ["cancel* ... contract"]
hedged_counts = true
[facts.blocked]
phrases = ["(cannot|can't) work"]
[facts.inconvenienced]
phrases = ["still work"]
[facts.customers_affected]
phrases = ["<n> customers"]
[facts.users_affected]
phrases = ["<n> (active)? users"]
[facts.hours_waiting]
phrases = ["waiting (for)? <n> <unit>"]
[facts.known_workaround]
phrases = ["workaround is"]
[categories.billing]
phrases = ["invoice"]
[categories.bug]
phrases = ["crash*"]
""")),
    ("zh.toml", tomllib.loads("""
language = "zh"
[numbers]
"三" = 3
"几十" = 30
[units]
"天" = 24
[cues]
negation_before = ["没有", "没"]
hedge_before = ["可能"]
question_before = ["是否"]
[facts.data_loss]
phrases = ["数据 ... 丢失"]
[facts.customers_affected]
phrases = ["<n> 个? 客户"]
[facts.hours_waiting]
phrases = ["等 了? <n> <unit>"]
[categories.billing]
phrases = ["发票"]
""")),
])

DERIVABLE = frozenset(DERIVABLE_BOOL_FACTS + COUNT_FACTS + HOURS_FACTS + TEXT_FACTS_DERIVED
                      + ("category",))

# Words and marks that make phrases, cues and set-aside text likely, mixed with any text.
PIECES = [
    "we", "lost", "lose", "all", "our", "data", "was", "gone", "gonezo", "no", "not", "didn't",
    "might", "whether", "why", "and", "but", "cancel", "cancelling", "the", "contract", "cannot",
    "can't", "can’t", "work", "still", "3", "1,200", "12.5", "three", "several", "customers",
    "users", "waiting", "for", "days", "hours", "workaround", "is", "invoice", "crash",
    "crashed", "was ruled out", "plan", "数据", "没有", "丢失", "可能", "是否", "三", "几十",
    "个", "客户", "等了", "天", "发票", "。", "，", "？", "?", ".", ",", ";", ":", "!", "\n",
    "\n\n", "\n> ", '"', "“", "”", "「", "」", "On Monday Bob wrote:\n", "ERROR: ",
    "2025-11-03 10:00:01 ", "[", "]", "-", "/", "\t", "İ", "ß", "ﬁ", "x" * 150, "9" * 40,
    "lost" + "z" * 2000, "401 Unauthorized (", "数" * 300,
]
words = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=6)), max_size=40).map(
    " ".join)
unicode_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)
field_text = st.one_of(words, unicode_text, st.none())


@st.composite
def tickets(draw: Any) -> Ticket:
    messages = draw(st.lists(st.one_of(words, unicode_text), max_size=3))
    tags = draw(st.one_of(st.none(), st.lists(st.one_of(st.sampled_from(PIECES), st.integers(),
                                                        st.booleans()), max_size=4)))
    return Ticket(
        id="T-1",
        subject=draw(field_text),
        description=draw(field_text),
        communications=tuple(Communication(None, Direction.INBOUND, m) for m in messages),
        extra={"tags": tags} if tags is not None else {},
        facts=draw(st.sampled_from([Facts(), Facts(data_loss=False, stated=frozenset(
            {"data_loss"})), Facts(customers_affected=0, stated=frozenset(
                {"customers_affected"}))])),
    )


def _fields(t: Ticket) -> dict[str, str]:
    out = {"subject": t.subject or "", "description": t.description or ""}
    for i, m in enumerate(t.communications):
        out[f"communications[{i}]"] = m.summary
    return out


def _evidence_is_honest(t: Ticket, got: Extraction) -> None:
    fields = _fields(t)
    evidence = [e for fact in got.derived.values() for e in fact.evidence]
    evidence += [m.evidence for m in got.mentions]
    for e in evidence:
        assert e.field in fields or e.field == "tags"
        assert 0 <= e.start < e.end
        assert len(e.phrase) <= 120
        if e.field == "tags":
            continue
        text = fields[e.field]
        assert e.end <= len(text)
        written = " ".join(text[e.start:e.end].split())
        if len(written) <= 120:
            assert e.phrase == written
        else:
            assert e.phrase == written[:119] + "…"


@PROPS
@given(tickets())
def test_extract_never_raises_is_deterministic_and_its_evidence_is_honest(t: Ticket) -> None:
    got = extract(t, LEX)
    assert set(got.derived) <= DERIVABLE
    for name, fact in got.derived.items():
        assert fact.name == name and fact.evidence
        assert name not in t.facts.stated
    assert set(got.languages) <= {"en", "zh"}
    _evidence_is_honest(t, got)
    _values_have_the_facts_types(got)
    assert extract(t, LEX) == got


def _values_have_the_facts_types(got: Extraction) -> None:
    for name, fact in got.derived.items():
        if name in COUNT_FACTS:
            assert isinstance(fact.value, int) and 1 <= fact.value <= 10_000_000
        elif name in HOURS_FACTS:
            assert isinstance(fact.value, float) and 0 <= fact.value < float("inf")
        elif name in TEXT_FACTS_DERIVED:
            assert isinstance(fact.value, str) and len(fact.value) <= 200
        elif name == "category":
            assert fact.value.value in {"billing", "bug"}
        else:
            assert fact.value is True or (name == "blocked" and fact.value is False)


SYNTAX = st.sampled_from([
    "(", ")", ")?", "|", "?", "*", "...", "<n>", "<unit>", "[a-z]", "\\d", "+", "{", "}", "^",
    "$", "lost", "data", "los*", "lost*", "data?", "a", "the", "数据", "丢失", "*", "'", "-",
    "/", "two-factor", ".", "<", ">",
])
phrases = st.lists(st.one_of(SYNTAX, st.text(max_size=4)), min_size=1, max_size=10).map(
    lambda parts: " ".join(parts) if len(parts) % 2 else "".join(parts))


@PROPS
@given(phrases, st.booleans(), st.booleans(), st.sampled_from(["data_loss", "hours_waiting",
                                                               "category"]))
def test_random_phrases_compile_or_raise_lexicon_error(phrase: str, cjk: bool, units: bool,
                                                       rule: str) -> None:
    data: dict[str, Any] = {"language": "zh" if cjk else "en", "numbers": {"three": 3}}
    if units:
        data["units"] = {"days": 24, "天": 24}
    if rule == "category":
        data["categories"] = {"bug": {"phrases": [phrase]}}
    else:
        data["facts"] = {rule: {"phrases": [phrase], "unless": [phrase]}}
    try:
        lexicon = lexicon_from_mappings([("t.toml", data)])
    except LexiconError as exc:
        assert exc.path.startswith("t.toml: ")
        return
    _read_anything(lexicon, phrase)


def _read_anything(lexicon: Lexicon, phrase: str) -> None:
    t = Ticket(id="T", description=f"{phrase} lost three data 数据丢失 3 days, {phrase}?")
    got = extract(t, lexicon)
    _evidence_is_honest(t, got)


@PROPS
@given(st.dictionaries(st.text(max_size=8), st.one_of(
    st.integers(), st.floats(), st.text(max_size=4), st.booleans(), st.none(),
    st.lists(st.integers(), max_size=2)), max_size=4))
def test_random_lexicon_tables_raise_only_lexicon_errors(table: dict[str, Any]) -> None:
    for key in ("numbers", "units", "cues", "facts", "categories"):
        try:
            lexicon_from_mappings([("t.toml", {"language": "en", key: table})])
        except LexiconError as exc:
            assert exc.path.startswith("t.toml")


# --- a phrase is read exactly where its pattern matches within one clause -----------------------

WORDS_EN = ["the", "data", "lost", "records", "all", "our", "vanish*", "gone", "no", "3", "<n>",
            "customers", "it", "is"]
TEXT_EN = ["the", "data", "lost", "records", "all", "our", "vanished", "vanish", "gone", "no",
           "3", "three", "customers", "it", "is", ",", ".", "\n", "-", "datas", "lostx"]
WORDS_ZH = ["数据", "丢失", "记录", "没了", "我们", "的", "全部", "<n>", "个", "客户", "三"]
TEXT_ZH = ["数据", "丢失", "记录", "没了", "我们", "的", "全部", "3", "三", "个", "客户", "，",
           "。", "\n", " ", "：", "、", "没有"]


def _random_phrase(r: Any, words: list[str], depth: int = 0) -> str:
    items: list[str] = []
    for _ in range(r.randint(1, 4)):
        k = r.random()
        if k < 0.2 and depth < 2:
            alts = [_random_phrase(r, words, depth + 1) for _ in range(r.randint(1, 3))]
            items.append("(" + "|".join(alts) + ")" + ("?" if r.random() < 0.3 else ""))
        elif k < 0.3 and items:
            items.append("...")
        else:
            w = r.choice(words)
            optional = r.random() < 0.2 and not w.endswith("*") and w != "<n>"
            items.append(w + ("?" if optional else ""))
    return " ".join(items)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False), st.booleans())
def test_a_phrase_is_read_wherever_it_matches_in_a_clause(r: Any, cjk: bool) -> None:
    words, pieces = (WORDS_ZH, TEXT_ZH) if cjk else (WORDS_EN, TEXT_EN)
    phrase = _random_phrase(r, words)
    data = {"language": "zh" if cjk else "en", "numbers": {"三" if cjk else "three": 3},
            "facts": {"data_loss": {"phrases": [phrase]}}}
    try:
        lexicon = lexicon_from_mappings([("t.toml", data)])
    except LexiconError:
        return
    language = lexicon.languages[0]
    (compiled,) = {p.pattern for group in (*language.by_first.values(), language.by_number)
                   for p in group}
    for _ in range(5):
        text = ("" if cjk else " ").join(r.choice(pieces) for _ in range(r.randint(1, 8)))
        if not re.search(r"[\u4e00-\u9fff]" if cjk else r"[A-Za-z]{2}", text):
            continue  # not read as this language at all
        lower = text.lower()
        starts = [0, *(m.end() for m in re.finditer(r"[.!?;:,](?=\s|$)|[。！？；：，、\n]",
                                                     lower))]
        stops = [*starts[1:], len(lower)]
        expected = any(compiled.search(lower, a, b) for a, b in zip(starts, stops, strict=True))
        got = "data_loss" in extract(Ticket(id="T", description=text), lexicon).derived
        assert got == expected, (phrase, text)
