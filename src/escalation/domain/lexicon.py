"""The words the desk reads facts from: lexicons per language, checked when they load.

A lexicon is data (TOML files under `escalation/lexicons/`, and any a team adds); this module
turns their parsed content into compiled phrase rules and refuses anything it cannot use, with
the file, the key path and what was expected (`en.toml: facts.data_loss.phrases[3]: …`).

Phrase syntax (one phrase per string; matching ignores case):

- words separated by spaces; between two words any run of spaces, hyphens or slashes matches
  (in Chinese, any spaces or none);
- `(a|b|c)` one of several words or word sequences; `(…)?` or `word?` makes it optional;
- `word*` any word starting with `word` (`disappear*` also matches "disappeared");
- `...` a gap of up to three words (Chinese: up to six characters, within one clause);
- `<n>` a number: digits (`300`, `1,200`) or a number word of the `[numbers]` table
  ("three", "several", "三", "几十");
- `<unit>` a unit word of the `[units]` table (hours per unit, for `hours_waiting`).

The first element of a phrase must be a word or words (or `<n>`): the desk finds candidate
phrases by their first word, which keeps reading 20,000 tickets fast.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from escalation.domain.errors import InputError
from escalation.domain.model import BOOL_FACTS, Category

# Facts a lexicon may derive; each a bool unless listed in _VALUED_FACTS.
DERIVABLE_BOOL_FACTS: tuple[str, ...] = (
    "production_down",
    "data_loss",
    "data_corruption",
    "data_integrity_at_risk",
    "security_concern",
    "potential_data_exposure",
    "unauthorized_access",
    "vulnerability_report",
    "compliance_concern",
    "churn_risk",
    "executive_involvement_requested",
    "pr_or_legal_risk",
    "policy_exception_needed",
    "blocked",
    "major_functionality_broken",
    "recurring_after_fix",
    "severity_increasing",
)
# Facts whose value is read from the words: a count, hours, or the phrase itself.
COUNT_FACTS: tuple[str, ...] = ("customers_affected", "users_affected")
HOURS_FACTS: tuple[str, ...] = ("hours_waiting",)
TEXT_FACTS_DERIVED: tuple[str, ...] = ("known_workaround",)
# "Inconvenienced, not blocked": a phrase here makes `blocked` false (and says why).
NOT_BLOCKED = "inconvenienced"
# Categories a lexicon may derive. Security and outage are never read as a category: the
# security and production-down facts carry them, with their own negation and evidence.
DERIVABLE_CATEGORIES: tuple[str, ...] = tuple(
    c.value for c in Category if c not in (Category.SECURITY, Category.OUTAGE)
)
# Kinds of cue words around a phrase that change whether it is asserted.
CUE_KINDS: tuple[str, ...] = (
    "negation_before",  # "no", "not", "never" just before: "no data was lost"
    "negation_after",  # "… is not a concern", "… was ruled out"
    "hedge_before",  # "might", "maybe", "possibly": not asserted, unless the fact is a risk
    "question_before",  # "whether", "asked if", "is it possible": never asserted
    "presupposing_question",  # "why", "how come": a question that asserts what it asks about
    "clause_break",  # "and", "but", "because": negation and hedges do not reach across
)

_ALL_FACTS = frozenset(
    DERIVABLE_BOOL_FACTS + COUNT_FACTS + HOURS_FACTS + TEXT_FACTS_DERIVED + (NOT_BLOCKED,)
)
assert frozenset(DERIVABLE_BOOL_FACTS) <= frozenset(BOOL_FACTS)
_RULE_KEYS = frozenset({"phrases", "unless", "hedged_counts"})
_TOP_KEYS = frozenset({"language", "script", "numbers", "units", "cues", "facts", "categories"})
_LATIN_SEP = r"[\s\-/]+"
_CJK_SEP = r"\s*"


class LexiconError(InputError):
    """A lexicon file entry the desk cannot use; `path` is `file: key.path[index]`."""


@dataclass(frozen=True, slots=True)
class Phrase:
    """One compiled phrase of a rule."""

    rule: str  # the fact or "category:<name>"
    source: str  # "en.toml: facts.data_loss.phrases[3]"
    text: str  # as written in the lexicon
    pattern: re.Pattern[str]
    gaps: tuple[str, ...]  # names of the groups that hold `...` gaps (checked for negation)
    hedged_counts: bool


@dataclass(frozen=True, slots=True)
class Language:
    """Everything one language contributes: phrases by first word, cues, numbers, units."""

    code: str
    cjk: bool
    numbers: Mapping[str, float]
    units: Mapping[str, float]
    cues: Mapping[str, tuple[str, ...]]
    # Latin scripts: first word -> phrases. CJK: first literal -> phrases (found by `in`).
    by_first: Mapping[str, tuple[Phrase, ...]]
    # Phrases that start with a number (`<n> customers`); tried at every number.
    by_number: tuple[Phrase, ...]
    unless: Mapping[str, tuple[re.Pattern[str], ...]]
    categories: tuple[str, ...]  # in the order the lexicon lists them (ties go to the first)
    number_pattern: str = ""


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The languages the desk reads, with their compiled phrases."""

    languages: tuple[Language, ...] = ()
    sources: tuple[str, ...] = ()
    phrase_count: int = 0
    _by_code: Mapping[str, Language] = field(default_factory=dict, repr=False)

    def language(self, code: str) -> Language | None:
        """The language with this code ("en", "zh"), if the lexicon has it."""
        return self._by_code.get(code)


def lexicon_from_mappings(files: Sequence[tuple[str, Mapping[str, Any]]]) -> Lexicon:
    """Check and compile parsed lexicon files, in order; later files extend earlier ones.

    Each item is (file name for messages, parsed TOML). Files of the same `language` merge:
    phrases, unless-phrases, cue words, numbers and units add up, and a later number or unit
    of the same word wins. Raises LexiconError naming the file, the key path and what was
    expected.
    """
    merged: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    for name, data in files:
        _merge_file(merged, order, name, data)
    languages = tuple(_compile(merged[code]) for code in order)
    count = sum(len(p) for lang in languages for p in lang.by_first.values()) + sum(
        len(lang.by_number) for lang in languages)
    return Lexicon(languages, tuple(name for name, _ in files), count,
                   {lang.code: lang for lang in languages})


def _merge_file(merged: dict[str, dict[str, Any]], order: list[str], name: str,
                data: Mapping[str, Any]) -> None:
    def err(path: str, expected: str, got: object = None, show: bool = True) -> LexiconError:
        return LexiconError(f"{name}: {path}", expected, got, show_got=show)

    if not isinstance(data, Mapping):
        raise err("", "a table of lexicon entries", data)
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise err(unknown[0], "one of " + ", ".join(sorted(_TOP_KEYS)), show=False)
    code = data.get("language")
    if not isinstance(code, str) or not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z]{2,4})?", code):
        raise err("language", 'a language code such as "en" or "zh"', code)
    script = data.get("script", "cjk" if code.startswith(("zh", "ja")) else "latin")
    if script not in ("latin", "cjk"):
        raise err("script", '"latin" or "cjk"', script)
    if code not in merged:
        order.append(code)
        merged[code] = {"code": code, "script": script, "numbers": {}, "units": {},
                        "cues": {k: [] for k in CUE_KINDS}, "rules": {}, "categories": []}
    target = merged[code]
    if target["script"] != script:
        raise err("script", f'"{target["script"]}" like the earlier {code} lexicon', script)

    for table in ("numbers", "units"):
        values = data.get(table, {})
        if not isinstance(values, Mapping):
            raise err(table, "a table of word = number", values)
        for word, value in values.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise err(f"{table}.{word}", "a number ≥ 0", value)
            if not word.strip():
                raise err(f"{table}", "non-empty words", word)
            target[table][word.lower()] = float(value)

    cues = data.get("cues", {})
    if not isinstance(cues, Mapping):
        raise err("cues", "a table of cue lists", cues)
    for kind, words in cues.items():
        if kind not in CUE_KINDS:
            raise err(f"cues.{kind}", "one of " + ", ".join(CUE_KINDS), show=False)
        target["cues"][kind].extend(_strings(words, f"cues.{kind}", err))

    for table, allowed in (("facts", _ALL_FACTS), ("categories", DERIVABLE_CATEGORIES)):
        rules = data.get(table, {})
        if not isinstance(rules, Mapping):
            raise err(table, "a table of rules", rules)
        for rule_name, rule in rules.items():
            at = f"{table}.{rule_name}"
            if rule_name not in allowed:
                hint = (" (security and outage come from the security and production_down "
                        "facts)" if table == "categories" else "")
                raise err(at, "one of " + ", ".join(sorted(allowed)) + hint, show=False)
            if not isinstance(rule, Mapping):
                raise err(at, "a table with phrases", rule)
            extra = sorted(set(rule) - _RULE_KEYS)
            if extra:
                raise err(f"{at}.{extra[0]}", "one of phrases, unless, hedged_counts",
                          show=False)
            key = rule_name if table == "facts" else f"category:{rule_name}"
            if table == "categories" and rule_name not in target["categories"]:
                target["categories"].append(rule_name)
            entry = target["rules"].setdefault(
                key, {"phrases": [], "unless": [], "hedged_counts": False})
            for kind in ("phrases", "unless"):
                for i, text in enumerate(_strings(rule.get(kind, []), f"{at}.{kind}", err)):
                    entry[kind].append((text, f"{name}: {at}.{kind}[{i}]"))
            hedged = rule.get("hedged_counts", entry["hedged_counts"])
            if not isinstance(hedged, bool):
                raise err(f"{at}.hedged_counts", "true or false", hedged)
            entry["hedged_counts"] = hedged


def _strings(value: Any, path: str, err: Any) -> list[str]:
    if not isinstance(value, list):
        raise err(path, "a list of strings", value)
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise err(f"{path}[{i}]", "a non-empty string", item)
        out.append(item.strip())
    return out


def _compile(spec: Mapping[str, Any]) -> Language:
    cjk = spec["script"] == "cjk"
    numbers: dict[str, float] = spec["numbers"]
    units: dict[str, float] = spec["units"]
    number_words = sorted(numbers, key=len, reverse=True)
    digits = r"\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?"
    words = "|".join(re.escape(w) for w in number_words)
    number = f"(?P<n>{digits}|{words})" if words else f"(?P<n>{digits})"
    unit_words = "|".join(re.escape(w) for w in sorted(units, key=len, reverse=True))
    unit = f"(?P<unit>{unit_words})" if unit_words else None
    by_first: dict[str, list[Phrase]] = {}
    by_number: list[Phrase] = []
    unless: dict[str, tuple[re.Pattern[str], ...]] = {}
    for rule, entry in spec["rules"].items():
        for text, source in entry["phrases"]:
            pattern, firsts, gaps = _phrase_regex(text, source, cjk, number, unit)
            phrase = Phrase(rule, source, text, pattern, gaps, entry["hedged_counts"])
            if firsts is None:
                by_number.append(phrase)
            else:
                for first in firsts:
                    by_first.setdefault(first, []).append(phrase)
        unless[rule] = tuple(
            _phrase_regex(text, source, cjk, number, unit, anchored=False)[0]
            for text, source in entry["unless"])
    cues = {kind: tuple(dict.fromkeys(w.lower() for w in spec["cues"][kind]))
            for kind in CUE_KINDS}
    return Language(
        code=spec["code"], cjk=cjk, numbers=dict(numbers), units=dict(units), cues=cues,
        by_first={k: tuple(v) for k, v in by_first.items()}, by_number=tuple(by_number),
        unless=unless, categories=tuple(spec["categories"]), number_pattern=number,
    )


_TOKEN = re.compile(r"\(|\)\??|\||\.\.\.|<n>|<unit>|[^\s()|]+")


def _phrase_regex(
    text: str, source: str, cjk: bool, number: str, unit: str | None, *, anchored: bool = True
) -> tuple[re.Pattern[str], frozenset[str] | None, tuple[str, ...]]:
    """Compile one phrase; returns the pattern, its possible first words (None when it
    starts with a number) and the names of its gap groups."""
    def bad(expected: str) -> LexiconError:
        return LexiconError(source, expected, text)

    tokens = _TOKEN.findall(text.lower())
    sep = _CJK_SEP if cjk else _LATIN_SEP
    gap = (r"[^，。！？；,.!?;\n]{0,6}?" if cjk else r"(?:[\w']+" + _LATIN_SEP + r"){0,3}?")
    gaps: list[str] = []
    # A tiny recursive-descent parser: sequence := item*, item := atom '?'?,
    # atom := word | '(' sequence ('|' sequence)* ')' | '...' | '<n>' | '<unit>'.
    pos = 0
    counter = [0]

    def seq(depth: int) -> list[tuple[str, bool, bool]]:
        # items: (regex, optional, is_gap)
        nonlocal pos
        items: list[tuple[str, bool, bool]] = []
        while pos < len(tokens) and tokens[pos] not in ("|", ")", ")?"):
            tok = tokens[pos]
            pos += 1
            if tok == "(":
                alternatives = [seq(depth + 1)]
                while pos < len(tokens) and tokens[pos] == "|":
                    pos += 1
                    alternatives.append(seq(depth + 1))
                if pos >= len(tokens) or tokens[pos] not in (")", ")?"):
                    raise bad("balanced parentheses")
                optional = tokens[pos] == ")?"
                pos += 1
                if any(not alt for alt in alternatives):
                    raise bad("no empty alternative inside ( | )")
                body = "|".join(join(alt) for alt in alternatives)
                items.append((f"(?:{body})", optional, False))
            elif tok == "...":
                name = f"g{counter[0]}"
                counter[0] += 1
                gaps.append(name)
                items.append((f"(?P<{name}>{gap})", False, True))
            elif tok == "<n>":
                if "(?P<n>" in "".join(i[0] for i in items) or depth:
                    raise bad("at most one <n>, outside parentheses")
                items.append((number, False, False))
            elif tok == "<unit>":
                if unit is None:
                    raise bad("a [units] table before using <unit>")
                items.append((unit, False, False))
            else:
                optional = tok.endswith("?") and len(tok) > 1
                word = tok[:-1] if optional else tok
                prefix = word.endswith("*") and len(word) > 1
                word = word[:-1] if prefix else word
                if not word or re.search(r"[*?<>\[\]{}\\^$+]", word):
                    raise bad("words, ( | ), ?, *, ..., <n> or <unit> (no regular "
                              "expression syntax)")
                body = re.escape(word) + (r"\w*" if prefix else "")
                items.append((body, optional, False))
        return items

    def join(items: list[tuple[str, bool, bool]]) -> str:
        out = ""
        for i, (body, optional, is_gap) in enumerate(items):
            if i == 0:
                out = f"(?:{body})?" if optional else body
                continue
            prev_gap = items[i - 1][2]
            if is_gap:
                out += f"{sep}{body}" if not cjk else body
            elif prev_gap:
                out += f"(?:{body})?" if optional else body
            else:
                out += f"(?:{sep}{body})?" if optional else f"{sep}{body}"
        return out

    items = seq(0)
    if pos != len(tokens):
        raise bad("balanced parentheses")
    if not items:
        raise bad("at least one word")
    if items[0][1] or items[0][2]:
        raise bad("a phrase that starts with a word that must be there (not optional, not ...)")
    if items[-1][2]:
        raise bad("a phrase that does not end with ...")
    body = join(items)
    if not cjk:
        body = r"(?<![\w])" + body + r"(?![\w])"
    try:
        pattern = re.compile(body)
    except re.error as exc:  # pragma: no cover - the parser only builds valid expressions
        raise bad(f"a valid phrase ({exc})") from exc
    if pattern.fullmatch(""):
        raise bad("a phrase that cannot match empty text")
    firsts = _first_words(tokens, cjk) if anchored else frozenset()
    if anchored and firsts is not None and not firsts:
        raise bad("a phrase whose first element is a word, ( | ) of words, or <n> (a first "
                  "word ending in * needs at least four letters before the *)")
    return pattern, firsts, tuple(gaps)


def _first_words(tokens: list[str], cjk: bool) -> frozenset[str] | None:
    """The literal texts a match can start with (Latin: first words, CJK: first literals)."""
    if tokens[0] == "<n>":
        return None
    if tokens[0] != "(":
        word = tokens[0].rstrip("?")
        return _first_key(word, cjk)
    # A group: the first token of each alternative.
    out: set[str] = set()
    depth, expect_first = 0, True
    for tok in tokens[1:]:
        if expect_first and depth == 0:
            if tok in ("(", "...", "<n>", "<unit>", ")", ")?", "|"):
                return frozenset()
            out |= _first_key(tok.rstrip("?"), cjk)
            expect_first = False
        if tok == "(":
            depth += 1
        elif tok in (")", ")?"):
            if depth == 0:
                break
            depth -= 1
        elif tok == "|" and depth == 0:
            expect_first = True
    return frozenset(out)


def _first_key(word: str, cjk: bool) -> frozenset[str]:
    if not cjk:
        # The text is read word by word (letters, digits, apostrophes): "two-factor" is found
        # by "two", "cve-*" by "cve".
        lead = re.match(r"[\w']+", word)
        if lead is None:
            return frozenset()
        if lead.group() != word.rstrip("*"):
            return frozenset({lead.group()})
    if word.endswith("*"):
        stem = word[:-1]
        if not cjk and len(stem) < 4:
            return frozenset()
        # A prefix word is found by its first four letters (see `Language.by_first`).
        return frozenset({"*" + stem[:4] if not cjk else stem})
    return frozenset({word})
