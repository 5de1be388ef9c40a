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

Every phrase needs one word that must be there (not optional, not inside an optional group):
the desk finds a phrase by its rarest such word and only then tries the whole phrase in that
clause, which keeps reading 20,000 tickets fast. A phrase never spans clause punctuation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
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
    "presupposing_question",  # "why", "can you": a question that asserts, or a request
    "clause_break",  # "and", "but", "because": negation and hedges do not reach across
)

_ALL_FACTS = frozenset(
    DERIVABLE_BOOL_FACTS + COUNT_FACTS + HOURS_FACTS + TEXT_FACTS_DERIVED + (NOT_BLOCKED,)
)
assert frozenset(DERIVABLE_BOOL_FACTS) <= frozenset(BOOL_FACTS)
_RULE_KEYS = frozenset({"phrases", "unless", "hedged_counts"})
_TOP_KEYS = frozenset({"language", "script", "numbers", "units", "cues", "facts", "categories"})
# Between two words: spaces, hyphens or slashes, never a line break (a phrase stays on its line).
_LATIN_SEP = r"[ \t\-/]+"
_CJK_SEP = r"[ \t]*"


class LexiconError(InputError):
    """A lexicon file entry the desk cannot use; `path` is `file: key.path[index]`."""


@dataclass(frozen=True)
class Phrase:
    """One checked phrase of a rule; its expression is compiled the first time it is used
    (a lexicon has hundreds, a run of the desk needs few of them: start-up stays fast)."""

    rule: str  # the fact or "category:<name>"
    source: str  # "en.toml: facts.data_loss.phrases[3]"
    text: str  # as written in the lexicon
    expression: str  # the regular expression the phrase compiles to
    gaps: tuple[str, ...]  # names of the groups that hold `...` gaps (checked for negation)
    hedged_counts: bool
    at_start: bool = True  # found by its first element: matched where that key stands
    # Words (CJK: literals) of which the text must hold at least one each for the phrase to
    # be possible at all: checked before any expression is tried.
    required: tuple[frozenset[str], ...] = ()
    # Its possible first two words (Latin, when both are plain words): the text must hold one
    # of these pairs side by side for the phrase to be tried. None: no such check.
    pairs: frozenset[tuple[str, str]] | None = None

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """The compiled expression."""
        return re.compile(self.expression)


@dataclass(frozen=True)
class Probe:
    """Every phrase that starts with one key, tried in one go where the key stands: group i
    of `pattern` is set when `phrases[i - 1]` matches there (compiled on first use)."""

    expression: str
    phrases: tuple[Phrase, ...]
    # The word pairs one of which the text must hold for any of the phrases to match (None:
    # some phrase has no such check, so the probe is always tried).
    pairs: frozenset[tuple[str, str]] | None = None

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """The compiled probe."""
        return re.compile(self.expression)


def _probe(phrases: list[Phrase]) -> Probe:
    # Each phrase inside an optional lookahead: a single match tries them all at one place.
    bodies = [re.sub(r"\(\?P<\w+>", "(?:", p.expression) for p in phrases]
    pairs: frozenset[tuple[str, str]] | None = frozenset()
    for phrase in phrases:
        pairs = None if pairs is None or phrase.pairs is None else pairs | phrase.pairs
    return Probe("".join(f"(?:(?=({body})))?" for body in bodies), tuple(phrases), pairs)


@dataclass(frozen=True, slots=True)
class CueSet:
    """One kind of cue words, split for fast lookup: single words, word endings ("n't"),
    several-word cues and (CJK) literals."""

    words: frozenset[str] = frozenset()
    endings: tuple[str, ...] = ()
    sequences: tuple[str, ...] = ()
    literals: tuple[str, ...] = ()

    @staticmethod
    def of(cues: tuple[str, ...], cjk: bool) -> CueSet:
        """The cues of one kind, split."""
        if cjk:
            return CueSet(literals=cues)
        return CueSet(
            words=frozenset(c for c in cues if " " not in c and not c.startswith(("'", "n't"))),
            endings=tuple(c for c in cues if c.startswith(("'", "n't"))),
            sequences=tuple(c for c in cues if " " in c),
        )


@dataclass(frozen=True, slots=True)
class Language:
    """Everything one language contributes: phrases by first word, cues, numbers, units."""

    code: str
    cjk: bool
    numbers: Mapping[str, float]
    units: Mapping[str, float]
    cues: Mapping[str, tuple[str, ...]]
    cue_sets: Mapping[str, CueSet]
    # Anchor key -> phrases: a rare mandatory word (Latin; `*stem` for `stem*`) or literal
    # (CJK) that finds the phrase.
    by_first: Mapping[str, tuple[Phrase, ...]]
    # Phrases that start with a number (`<n> customers`); tried at every number.
    by_number: tuple[Phrase, ...]
    # Key -> the phrases it finds as their first element, as one probe (see `Probe`); and
    # key -> the phrases it finds by a later word (searched for in the key's clause).
    probes: Mapping[str, tuple[Probe, ...]]
    later: Mapping[str, tuple[Phrase, ...]]
    # The same for the category phrases, kept apart: a ticket that states its category skips
    # them.
    category_probes: Mapping[str, tuple[Probe, ...]]
    category_later: Mapping[str, tuple[Phrase, ...]]
    # CJK: the keys by their first two characters (one-character keys under themselves), so
    # a text is checked only for keys whose start it holds.
    by_start: Mapping[str, tuple[str, ...]]
    unless: Mapping[str, tuple[re.Pattern[str], ...]]
    categories: tuple[str, ...]  # in the order the lexicon lists them (ties go to the first)
    number_regex: re.Pattern[str]  # where a number starts (`<n>` phrases are tried there)
    number_words: frozenset[str]
    first_keys: frozenset[str]  # the exact first words of `by_first`
    prefix_keys: frozenset[str]  # its "*stem" keys (first words written `stem*`)


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The languages the desk reads, with their compiled phrases."""

    languages: tuple[Language, ...] = ()
    sources: tuple[str, ...] = ()
    phrase_count: int = 0
    _by_code: Mapping[str, Language] = field(default_factory=dict, repr=False)
    # Every category in the order the lexicons list them (ties between categories go first).
    category_order: Mapping[str, int] = field(default_factory=dict, repr=False)

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
    count = len({id(p) for lang in languages for group in (*lang.by_first.values(),
                                                          lang.by_number) for p in group})
    category_order: dict[str, int] = {}
    for lang in languages:
        for name in lang.categories:
            category_order.setdefault(name, len(category_order))
    return Lexicon(languages, tuple(name for name, _ in files), count,
                   {lang.code: lang for lang in languages}, category_order)


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
            if (isinstance(value, bool) or not isinstance(value, int | float)
                    or not 0 <= value < float("inf")):  # also nan and inf (TOML has both)
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


def _by_start(by_first: Mapping[str, list[Phrase]]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for key in by_first:
        out.setdefault(key[:2], []).append(key)
    return {start: tuple(keys) for start, keys in out.items()}


def _probes(by_first: Mapping[str, list[Phrase]], by_number: list[Phrase], *,
            categories: bool) -> dict[str, tuple[Probe, ...]]:
    """Per key: one probe for the phrases whose first two words can be checked against the
    text's word pairs, one for the rest."""
    out = {}
    for key, phrases in [*by_first.items(), (NUMBER_KEY, by_number)]:
        starting = [p for p in phrases
                    if p.at_start and p.rule.startswith("category:") == categories]
        paired = [p for p in starting if p.pairs is not None]
        unpaired = [p for p in starting if p.pairs is None]
        found = tuple(_probe(group) for group in (paired, unpaired) if group)
        if found:
            out[key] = found
    return out


def _later(by_first: Mapping[str, list[Phrase]], by_number: list[Phrase], *,
           categories: bool) -> dict[str, tuple[Phrase, ...]]:
    out = {}
    for key, phrases in [*by_first.items(), (NUMBER_KEY, by_number)]:
        found = tuple(p for p in phrases
                      if not p.at_start and p.rule.startswith("category:") == categories)
        if found:
            out[key] = found
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
    unit_set = frozenset(units)
    for rule, entry in spec["rules"].items():
        for text, source in entry["phrases"]:
            expression, anchors, gaps, at_start, required, pairs = _phrase_regex(
                text, source, cjk, number, unit, unit_set)
            phrase = Phrase(rule, source, text, expression, gaps, entry["hedged_counts"],
                            at_start, required, pairs)
            for key in sorted(anchors):  # a set: sorted, so the same run to run
                if key == NUMBER_KEY:
                    by_number.append(phrase)
                else:
                    by_first.setdefault(key, []).append(phrase)
        unless[rule] = tuple(
            re.compile(_phrase_regex(text, source, cjk, number, unit, unit_set)[0])
            for text, source in entry["unless"])
    cues = {kind: tuple(dict.fromkeys(w.lower().replace("’", "'") for w in spec["cues"][kind]))
            for kind in CUE_KINDS}
    return Language(
        code=spec["code"], cjk=cjk, numbers=dict(numbers), units=dict(units), cues=cues,
        cue_sets={kind: CueSet.of(words, cjk) for kind, words in cues.items()},
        by_first={k: tuple(v) for k, v in by_first.items()}, by_number=tuple(by_number),
        probes=_probes(by_first, by_number, categories=False),
        later=_later(by_first, by_number, categories=False),
        category_probes=_probes(by_first, by_number, categories=True),
        category_later=_later(by_first, by_number, categories=True),
        by_start=_by_start(by_first) if cjk else {},
        unless=unless, categories=tuple(spec["categories"]),
        number_regex=re.compile(number if cjk else r"(?<![\w])" + number + r"(?![\w])"),
        number_words=frozenset(numbers),
        first_keys=frozenset(k for k in by_first if not k.startswith("*")),
        prefix_keys=frozenset(k for k in by_first if k.startswith("*")),
    )


# `...` is a gap even when written against a word ("数据...丢失", "lost...data").
_TOKEN = re.compile(r"\(|\)\??|\||\.\.\.|<n>|<unit>|(?:(?!\.\.\.)[^\s()|])+")
# Words too common to find a phrase by: a phrase is found by its rarest mandatory word.
_COMMON = frozenset({
    "a", "an", "the", "is", "are", "was", "were", "be", "been", "being", "it", "its", "this",
    "that", "these", "those", "we", "i", "you", "they", "he", "she", "our", "my", "your",
    "their", "to", "of", "in", "on", "at", "for", "and", "or", "but", "with", "from", "by",
    "all", "any", "some", "not", "no", "can", "will", "has", "have", "had", "do", "does", "did",
    "so", "as", "if", "up", "out",
})
# The key that finds phrases starting with a number (`<n> customers`).
NUMBER_KEY = "<n>"


class _Item:
    """One element of a parsed phrase: its expression and how it can anchor a search."""

    __slots__ = ("anchors", "body", "firsts", "gap", "leading", "optional", "single")

    def __init__(self, body: str, optional: bool = False, gap: bool = False,
                 anchors: frozenset[str] | None = None, leading: bool = True,
                 firsts: frozenset[str] | None = None, single: bool = False):
        self.body = body
        # The words a match of the item can start with (None: any), and whether every match
        # is one word: with them a phrase's first two words can be checked against the text's
        # word pairs before any expression is tried.
        self.firsts = firsts
        self.single = single
        self.optional = optional
        self.gap = gap
        self.anchors = anchors  # keys that find it; None: it cannot anchor
        # Whether a match of the item starts where its key stands (false for a group with an
        # alternative found by a later word: "(the data|records)" is found by "data").
        self.leading = leading


def _anchor_rank(keys: frozenset[str]) -> tuple[int, int, int]:
    """Bigger is better: no common word among the keys, longer keys, fewer keys."""
    if keys == {NUMBER_KEY}:
        return (-1, 0, 0)
    plain = [k.lstrip("*") for k in keys]
    return (int(not any(k in _COMMON for k in plain)), min(len(k) for k in plain), -len(keys))


def _choose_anchor(items: list[_Item]) -> tuple[frozenset[str] | None, bool]:
    """The keys to find a sequence by, and whether they are its first element.

    The first element is preferred when it is not a common word: the phrase is then tried
    right where its first word stands, the cheapest way to find it.
    """
    first = items[0] if items else None
    if (first is not None and first.anchors and not first.optional and not first.gap
            and first.leading and _anchor_rank(first.anchors)[0] == 1):
        return first.anchors, True
    best: frozenset[str] | None = None
    at_start = False
    for i, item in enumerate(items):
        if item.optional or item.gap or not item.anchors:
            continue
        if best is None or _anchor_rank(item.anchors) > _anchor_rank(best):
            best, at_start = item.anchors, i == 0 and item.leading
    return best, at_start


def _phrase_regex(
    text: str, source: str, cjk: bool, number: str, unit: str | None,
    unit_words: frozenset[str] = frozenset(),
) -> tuple[str, frozenset[str], tuple[str, ...], bool,
           tuple[frozenset[str], ...], frozenset[tuple[str, str]] | None]:
    """Check one phrase; returns its regular expression, the keys that find it (a rare
    mandatory word, `<n>` for a number), the names of its gap groups and whether the keys
    are its first element (then it is matched where the key stands, else searched in the
    key's clause)."""
    def bad(expected: str) -> LexiconError:
        return LexiconError(source, expected, text)

    # The text is read with ’ as ' (extract._Text): a phrase written with ’ must match too.
    tokens = _TOKEN.findall(text.lower().replace("’", "'"))
    sep = _CJK_SEP if cjk else _LATIN_SEP
    gap = (r"[^，。！？；：、,.!?;:\n]{0,6}?" if cjk else r"(?:[\w']+" + _LATIN_SEP + r"){0,3}?")
    gaps: list[str] = []
    # A small recursive-descent parser: sequence := item*, item := atom '?'?,
    # atom := word | '(' sequence ('|' sequence)* ')' | '...' | '<n>' | '<unit>'.
    pos = 0
    numbers_seen = [0]

    def seq(depth: int) -> list[_Item]:
        nonlocal pos
        items: list[_Item] = []
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
                if not cjk and any(alt[0].optional for alt in alternatives):
                    # Its separator would be left over when it is missing (as for a phrase).
                    raise bad("alternatives whose first word must be there (write (a b|b) "
                              "instead of (a? b))")
                body = "|".join(join(alt) for alt in alternatives)
                keys: set[str] = set()
                leading = True
                for alt in alternatives:
                    found, first_key = _choose_anchor(alt)
                    if found is None:
                        keys = set()
                        break
                    keys |= found
                    leading = leading and first_key
                firsts: set[str] | None = set()
                for alt in alternatives:
                    if firsts is None or alt[0].firsts is None:
                        firsts = None
                    else:
                        firsts |= alt[0].firsts
                items.append(_Item(
                    f"(?:{body})", optional, anchors=frozenset(keys) if keys else None,
                    leading=leading, firsts=frozenset(firsts) if firsts else None,
                    single=all(len(alt) == 1 and alt[0].single for alt in alternatives)))
            elif tok == "...":
                name = f"g{len(gaps)}"
                gaps.append(name)
                items.append(_Item(f"(?P<{name}>{gap})", gap=True))
            elif tok == "<n>":
                numbers_seen[0] += 1
                if numbers_seen[0] > 1 or depth:
                    raise bad("at most one <n>, outside parentheses")
                items.append(_Item(number, anchors=frozenset({NUMBER_KEY})))
            elif tok == "<unit>":
                if unit is None or depth:
                    raise bad("a [units] table before using <unit>, and <unit> outside "
                              "parentheses")
                items.append(_Item(unit, anchors=frozenset(
                    k for w in unit_words for k in _word_keys(w, cjk)) or None))
            else:
                optional = tok.endswith("?") and len(tok) > 1
                word = tok[:-1] if optional else tok
                prefix = word.endswith("*") and len(word) > 1
                stem = word[:-1] if prefix else word
                if not stem or re.search(r"[*?<>\[\]{}\\^$+]", stem):
                    raise bad(f"words, ( | ), ?, *, ..., <n> or <unit> (no regular "
                              f"expression syntax; {tok!r} is not one)")
                body = re.escape(stem) + (r"\w*" if prefix else "")
                plain = not prefix and not cjk and re.fullmatch(r"[\w']+", stem) is not None
                items.append(_Item(body, optional, anchors=_word_keys(word, cjk) or None,
                                   firsts=frozenset({stem}) if plain else None, single=plain))
        return items

    def join(items: list[_Item]) -> str:
        out = ""
        for i, item in enumerate(items):
            body, optional = item.body, item.optional
            if i == 0:
                out = f"(?:{body})?" if optional else body
                continue
            if item.gap:
                out += body if cjk else f"{sep}{body}"
            elif items[i - 1].gap:
                out += f"(?:{body})?" if optional else body
            else:
                out += f"(?:{sep}{body})?" if optional else f"{sep}{body}"
        return out

    items = seq(0)
    if pos != len(tokens):
        raise bad("balanced parentheses")
    if not items:
        raise bad("at least one word")
    if items[0].gap or items[-1].gap:
        raise bad("a phrase that does not start or end with ...")
    if items[0].optional and not cjk:
        # An optional first word would need a separator of its own: start with a word that
        # must be there (write the variants as alternatives instead).
        raise bad("a phrase whose first word must be there (write (a b|b) instead of a? b)")
    body = join(items)
    if not cjk:
        body = r"(?<![\w'])" + body + r"(?![\w'])"
    # The parser only builds valid expressions; they are compiled when first used.
    if all(item.optional or item.gap for item in items):
        raise bad("a phrase that cannot match empty text")
    anchors, at_start = _choose_anchor(items)
    if anchors is None:
        raise bad("a phrase with at least one word that must be there (not optional, not "
                  "inside an optional group; a word ending in * needs four letters before "
                  "the *)")
    required = tuple(
        item.anchors for item in items
        if item.anchors and not item.optional and not item.gap
        and not any(k[0] == "*" or k == NUMBER_KEY for k in item.anchors))
    second = items[1] if len(items) > 1 else None
    pairs = None
    if (at_start and not cjk and items[0].single and second is not None
            and not second.optional and not second.gap and second.firsts):
        pairs = frozenset((key, word) for key in anchors for word in second.firsts)
    return body, anchors, tuple(gaps), at_start, required, pairs


def _word_keys(word: str, cjk: bool) -> frozenset[str]:
    """The keys that find a word in text: itself, or for `stem*` the first four letters.

    Latin text is read word by word (letters, digits, apostrophes): "two-factor" is found by
    "two", "cve-*" by "cve".
    """
    prefix = word.endswith("*")
    stem = word[:-1] if prefix else word
    if cjk:
        return frozenset({stem}) if stem else frozenset()
    lead = re.match(r"[\w']+", stem)
    if lead is None:
        return frozenset()
    if lead.group() != stem:
        return frozenset({lead.group()})
    if prefix:
        return frozenset({"*" + stem[:4]}) if len(stem) >= 4 else frozenset()
    return frozenset({stem})
