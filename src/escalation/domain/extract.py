"""Read the ticket's own words: derive facts from its subject, description, conversation and tags.

Pure and deterministic: the same ticket and lexicon give the same facts, every time, with no
network and no model. Each derived fact carries its evidence — the words as written and where
they were found (`description: "half of our contacts disappeared"`) — so a reader can check it.

A phrase of the lexicon (`domain/lexicon.py`) that matches is *asserted* unless its context
says otherwise; a match that is not asserted is kept as a `Mention` with the reason, so
`escalate explain` can show what was read and set aside:

- **quoted**: inside quotation marks ("…", “…”, 「…」), on an e-mail quote line (`> …`), below
  an "On … wrote:" line, or on a pasted log line (timestamps, log levels, stack frames);
- **question**: a question cue comes before the phrase in its clause ("asked whether", "is it
  possible", 是否, 有没有), or the clause ends with a question mark — unless it is a question
  that presupposes what it asks about or a request (`presupposing_question`: "why did we lose
  data?", "can you waive the fee?");
- **negated**: a negation cue in the few words before the phrase within its clause ("no data
  was lost", 没有数据丢失), inside one of its `...` gaps (数据没有丢失), or a negating tail
  after it ("… is not a concern");
- **hedged**: a hedge cue before it ("might", "possibly", 可能) — unless the fact is itself a
  risk (`hedged_counts`: churn risk, potential data exposure, …), where "might cancel" is the
  fact;
- **excluded**: an `unless` phrase of the same fact covers the match ("security code",
  "401 Unauthorized").

Explicit facts always win: a fact the ticket states (even as false) is never derived; a phrase
that would have derived something else is kept as an `overridden` mention.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Any

from escalation.domain.lexicon import (
    COUNT_FACTS,
    HOURS_FACTS,
    NOT_BLOCKED,
    NUMBER_KEY,
    TEXT_FACTS_DERIVED,
    CueSet,
    Language,
    Lexicon,
    Phrase,
)
from escalation.domain.model import Category, Facts, Ticket

_CATEGORY_PREFIX = "category:"
# How many words (Latin) or characters (CJK) before a phrase a negation or hedge reaches.
_WINDOW_WORDS = 4
_WINDOW_CHARS = 4
_PHRASE_SHOWN = 120
_QUESTION_MARKS = frozenset("?？")
_WORD = re.compile(r"[\w']+")
_DIGIT = re.compile(r"\d")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]{2}")
# Curly and CJK quotes may span lines, never a blank line (nor so from one field to the next).
_QUOTED = re.compile(r'"[^"\n]{1,300}"|“(?:[^”\n]|\n(?!\n)){1,300}”'
                     r'|「(?:[^」\n]|\n(?!\n)){1,300}」|『(?:[^』\n]|\n(?!\n)){1,300}』')
_LOG_LINE = re.compile(
    # A timestamp with seconds (a customer's "2026-11-25 09:30 the site went down" is not a
    # log line), a bracketed or leading log level, stack frames, exceptions, HTTP lines, JSON.
    r"^[ \t]*(?:\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d"
    r"|\[\s*(?:error|warn|warning|info|debug|trace|fatal)\s*\]"
    r"|(?:error|warn|warning|info|debug|trace|fatal|exception)\b\s*[:\[]"
    r"|at [\w.$<>]+\(|traceback \(most recent|file \"[^\"]+\", line \d|caused by:"
    r"|\w+(?:\.\w+)+(?:exception|error)\b|\w+(?:exception|error):|https?/\d\.\d \d{3}|[{}\[\]]\s*$"
    # An HTTP status line ("401 Unauthorized (…)"), not "500 customers cannot log in (…)".
    r"|[1-5]\d\d (?:ok|created|accepted|no content|moved permanently|found|not modified"
    r"|bad request|unauthorized|payment required|forbidden|not found|method not allowed"
    r"|request timeout|conflict|gone|payload too large|unprocessable entity"
    r"|too many requests|internal server error|not implemented|bad gateway"
    r"|service unavailable|gateway timeout) \()",
    re.IGNORECASE | re.MULTILINE,
)
_QUOTE_LINE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
_REPLY_HEADER = re.compile(r"^[ \t]*(?:on .{4,120} wrote:|-{2,} ?original message ?-{2,}"
                           r"|from: .+\n\s*sent: |在.{2,60}写道[:：])",
                           re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where a fact was read: the field, the words as written and their place in it."""

    field: str  # "subject", "description", "communications[2]", "tags"
    phrase: str
    start: int
    end: int
    source: str  # the lexicon entry, e.g. "en.toml: facts.data_loss.phrases[3]"

    def cite(self) -> str:
        """`description: "half of our contacts disappeared"`."""
        return f'{self.field}: "{self.phrase}"'


@dataclass(frozen=True, slots=True)
class DerivedFact:
    """A fact read from the words, with every piece of evidence for it (first = strongest)."""

    name: str  # a fact of the contract, or "category"
    value: Any  # True / False, a count, hours, a Category, or the workaround's words
    evidence: tuple[Evidence, ...]

    def cite(self) -> str:
        """The first evidence, with a count of the rest."""
        first = self.evidence[0].cite()
        more = len(self.evidence) - 1
        return first if not more else f"{first} (+{more} more)"


@dataclass(frozen=True, slots=True)
class Mention:
    """A phrase that matched but was not taken as said, and why."""

    fact: str
    evidence: Evidence
    why: str  # "negated: no", "hedged: might", "question", "quoted", "pasted log", …


@dataclass(frozen=True, slots=True)
class Extraction:
    """What the ticket's words say: derived facts, and what was read but set aside."""

    derived: Mapping[str, DerivedFact] = field(default_factory=dict)
    mentions: tuple[Mention, ...] = ()
    languages: tuple[str, ...] = ()

    def cite(self, fact: str) -> str | None:
        """The citation of a derived fact, if it was derived."""
        found = self.derived.get(fact)
        return found.cite() if found is not None else None

    def __bool__(self) -> bool:
        return bool(self.derived)


NO_EXTRACTION = Extraction()


def stated_facts(facts: Facts) -> frozenset[str]:
    """Facts the ticket states itself: named in its `facts` object (even as false or zero),
    or set to something other than the default when built in code."""
    return frozenset(name for name in (*facts.stated, *_DEFAULTS) if is_stated(facts, name))


def is_stated(facts: Facts, name: str) -> bool:
    """Whether the ticket states this one fact (see `stated_facts`)."""
    return name in facts.stated or (name in _DEFAULTS and getattr(facts, name) != _DEFAULTS[name])


_DEFAULT_FACTS = Facts()
_DEFAULTS = {name: getattr(_DEFAULT_FACTS, name) for name in Facts.__dataclass_fields__
             if name != "stated"}


def extract(ticket: Ticket, lexicon: Lexicon, *, everything: bool = False) -> Extraction:
    """Derive facts from the ticket's words (see the module docstring).

    A ticket that states its category is not read for one (the stated category wins anyway);
    `everything` reads it all the same, so an explanation can show what was overridden.
    """
    fields = list(_fields(ticket))
    if not fields or not lexicon.languages:
        return NO_EXTRACTION
    found: dict[str, list[tuple[Any, Evidence]]] = {}
    mentions: list[Mention] = []
    used: list[str] = []
    for language in lexicon.languages:
        wanted = _CJK if language.cjk else _LATIN
        texts = [(name, text) for name, text in fields if wanted.search(text)]
        if not texts:
            continue
        used.append(language.code)
        others = tuple(other for other in lexicon.languages if other.cjk != language.cjk)
        _read(language, _Text(texts), found, mentions, categories=everything
              or (ticket.facts.category is None and "category" not in ticket.facts.stated),
              others=others)
    derived: dict[str, DerivedFact] = {}
    if not found:
        return Extraction(derived, tuple(mentions), tuple(used))
    facts = ticket.facts
    for fact, hits in _decide(found, mentions, lexicon).items():
        value, evidence = hits
        if is_stated(facts, fact):
            mentions.extend(Mention(fact, e, "overridden: the ticket states this fact")
                            for e in evidence)
            continue
        derived[fact] = DerivedFact(fact, value, tuple(evidence))
    return Extraction(derived, tuple(mentions), tuple(used))


class _Text:
    """The fields of a ticket read as one text, one blank line apart (a clause break), with
    the way back from an offset to its field."""

    __slots__ = ("lower", "names", "original", "starts")

    def __init__(self, fields: list[tuple[str, str]]):
        self.names = [name for name, _ in fields]
        self.starts: list[int] = []
        at = 0
        for _, text in fields:
            self.starts.append(at)
            at += len(text) + 2
        self.original = "\n\n".join(text for _, text in fields)
        # "İ" is the one letter whose lower case is longer: keep offsets the same in both.
        self.lower = self.original.replace("İ", "I").lower().replace("’", "'")

    def where(self, begin: int) -> tuple[str, int, int]:
        """The field an offset falls in, its start and its end."""
        index = bisect_right(self.starts, begin) - 1
        start = self.starts[index]
        end = self.starts[index + 1] - 2 if index + 1 < len(self.starts) else len(self.lower)
        return self.names[index], start, end


def with_derived(ticket: Ticket, extraction: Extraction) -> Ticket:
    """The ticket with its derived facts filled in (explicit facts are never replaced)."""
    if not extraction.derived:
        return ticket
    stated = stated_facts(ticket.facts)  # also when the extraction was of another version
    values = {name: fact.value for name, fact in extraction.derived.items()
              if name in _DEFAULTS and name not in stated}
    if not values:
        return ticket
    return replace(ticket, facts=replace(ticket.facts, **values))


def _fields(ticket: Ticket) -> Iterator[tuple[str, str]]:
    if ticket.subject:
        yield "subject", ticket.subject
    if ticket.description:
        yield "description", ticket.description
    for i, message in enumerate(ticket.communications):
        if message.summary:
            yield f"communications[{i}]", message.summary
    tags = ticket.extra.get("tags") if ticket.extra else None
    if isinstance(tags, list | tuple):
        words = [str(t).replace("_", " ").replace("-", " ") for t in tags
                 if isinstance(t, str | int) and not isinstance(t, bool)]
        if words:
            yield "tags", ", ".join(words)


def _read(language: Language, text: _Text,
          found: dict[str, list[tuple[Any, Evidence]]], mentions: list[Mention],
          categories: bool = True, others: tuple[Language, ...] = ()) -> None:
    lower = text.lower
    listed = [] if language.cjk else _WORD.findall(lower)
    words = frozenset(listed)
    keys = _keys_in(language, lower, words)
    if not keys:
        return
    pairs: set[tuple[str, str]] | None = None
    possible: dict[int, bool] = {}
    # Phrases that start with the key are tried together where it stands (one probe); those
    # found by a later word are searched for in that word's clause (a phrase never spans
    # clause punctuation or a line).
    clauses: list[int] = []
    tried: set[tuple[int, int]] = set()
    hits: list[tuple[int, int, Phrase, re.Match[str], int, int]] = []
    groups = [(language.probes, language.later)]
    if categories:
        groups.append((language.category_probes, language.category_later))
    for (probes, later), key in ((group, key) for group in groups for key in keys):
        wanted = []
        for probe in probes.get(key, ()):
            if probe.pairs is not None:
                if pairs is None:
                    pairs = set(pairwise(listed))
                if probe.pairs.isdisjoint(pairs):
                    continue  # none of its phrases' first two words stand side by side
            wanted.append(probe)
        viable = []
        for phrase in later.get(key, ()):
            ok = possible.get(id(phrase))
            if ok is None:
                ok = possible[id(phrase)] = _possible(phrase, words, lower, language.cjk)
            if ok:
                viable.append(phrase)
        if not wanted and not viable:
            continue
        for at in _positions(language, lower, key):
            for probe in wanted:
                tried_here = probe.pattern.match(lower, at)
                if tried_here is not None and tried_here.lastindex is not None:
                    for index, phrase in enumerate(probe.phrases, 1):
                        if tried_here.start(index) >= 0:
                            match = phrase.pattern.match(lower, at)
                            if match is not None:
                                hits.append((at, match.end(), phrase, match, -1, -1))
            if not viable:
                continue
            if not clauses:
                clauses = _clauses(lower)
            start = clauses[bisect_right(clauses, at) - 1]
            stop = _clause_stop(clauses, start, len(lower))
            # A match holds the key, so it starts between the clause start (CJK: at most 24
            # characters back) and the key: search there, one match start after another.
            first = max(start, at - 24) if language.cjk else start
            for phrase in viable:
                search = phrase.pattern.search
                m = search(lower, first, stop)
                while m is not None and m.start() <= at:
                    begin = m.start()
                    # A match ending before the key is left for the key it does hold.
                    if m.end() > at and (id(phrase), begin) not in tried:
                        tried.add((id(phrase), begin))
                        hits.append((begin, m.end(), phrase, m, start, stop))
                    m = search(lower, begin + 1, stop)
    if not hits:
        return
    if not clauses:
        clauses = _clauses(lower)
    for i, hit in enumerate(hits):
        if hit[4] == -1:
            start = clauses[bisect_right(clauses, hit[0]) - 1]
            hits[i] = (*hit[:4], start, _clause_stop(clauses, start, len(lower)))
    hits.sort(key=_hit_order)
    set_aside = _set_aside_spans(text)
    taken: list[tuple[int, int, str]] = []
    for begin, end, phrase, match, start, stop in hits:
        if any(b <= begin and end <= e and r == phrase.rule for b, e, r in taken):
            continue  # the same words already counted for this rule
        taken.append((begin, end, phrase.rule))
        field, offset, _ = text.where(begin)
        evidence = Evidence(field, _shown(text.original, begin, end), begin - offset,
                            end - offset, phrase.source)
        why = _not_asserted(language, lower, match, phrase, set_aside, start, stop, others)
        if why is not None:
            mentions.append(Mention(phrase.rule, evidence, why))
            continue
        value: Any = True
        if phrase.rule in COUNT_FACTS or phrase.rule in HOURS_FACTS:
            value = _amount(language, match, phrase.rule)
            if value is None:
                mentions.append(Mention(phrase.rule, evidence, "no usable number"))
                continue
        elif phrase.rule in TEXT_FACTS_DERIVED:
            value = _clause(text.original, begin, end)
        found.setdefault(phrase.rule, []).append((value, evidence))


def _hit_order(hit: tuple[int, int, Phrase, re.Match[str], int, int]) -> tuple[int, int, str]:
    # Text order; at the same start the longer match first, so it is the one counted; the
    # same words matched by several phrases go by lexicon entry, not by the order they were
    # found in (which follows sets, so it changes from run to run).
    return (hit[0], -hit[1], hit[2].source)


def _clause_stop(clauses: list[int], start: int, size: int) -> int:
    index = bisect_right(clauses, start)
    return clauses[index] if index < len(clauses) else size


def _positions(language: Language, lower: str, key: str) -> Iterator[int]:
    """Where a key starts in the text (Latin: at the start of a word)."""
    if key == NUMBER_KEY:
        for m in language.number_regex.finditer(lower):
            yield m.start()
        return
    needle = key[1:] if key[0] == "*" and not language.cjk else key
    at = lower.find(needle)
    while at != -1:
        if language.cjk or at == 0 or not (lower[at - 1].isalnum() or lower[at - 1] in "_'"):
            yield at
        at = lower.find(needle, at + 1)


def _possible(phrase: Phrase, words: frozenset[str], lower: str, cjk: bool) -> bool:
    """Whether the text holds one of each group of words the phrase cannot do without."""
    if cjk:
        return all(any(k in lower for k in group) for group in phrase.required)
    return not any(map(words.isdisjoint, phrase.required))


def _keys_in(language: Language, lower: str, words: frozenset[str]) -> list[str]:
    """The anchor keys of the language that occur in the text (whole words in Latin)."""
    if language.cjk:
        starts = language.by_start
        present = {lower[i:i + 2] for i in range(len(lower) - 1)} & starts.keys()
        present |= set(lower) & starts.keys()
        keys = [key for start in present for key in starts[start] if key in lower]
        if language.by_number and language.number_regex.search(lower):
            keys.append(NUMBER_KEY)
        return keys
    found = set(words & language.first_keys)
    for key in language.prefix_keys:
        if key[1:] in lower:  # a stem somewhere; `_positions` keeps word starts only
            found.add(key)
    out = sorted(found)
    if language.by_number and (words & language.number_words or _DIGIT.search(lower)):
        out.append(NUMBER_KEY)
    return out


# Where clauses end: sentence and clause punctuation followed by a space or the end (so "2.14"
# and "10,000" stay whole), any Chinese clause punctuation, and line breaks.
_CLAUSE_BREAK = re.compile(r"[.!?;:,](?=\s|$)|[。！？；：，、\n]")


def _clauses(lower: str) -> list[int]:
    """Start offsets of the clauses of the text (the first is 0)."""
    return [0, *(m.end() for m in _CLAUSE_BREAK.finditer(lower))]


def _set_aside_spans(text: _Text) -> list[tuple[int, int, str]]:
    """Quoted text, e-mail quote lines, reply history (to the end of its field) and pasted log
    lines."""
    lower = text.lower
    spans: list[tuple[int, int, str]] = []
    if '"' in lower or "“" in lower or "「" in lower or "『" in lower:
        spans.extend((m.start(), m.end(), "quoted") for m in _QUOTED.finditer(lower))
    if ">" in lower:
        spans.extend((m.start(), m.end(), "quoted (e-mail quote)")
                     for m in _QUOTE_LINE.finditer(lower))
    for m in _REPLY_HEADER.finditer(lower):
        spans.append((m.start(), text.where(m.start())[2], "quoted (earlier e-mail)"))
    for m in _LOG_LINE.finditer(lower):
        line_end = lower.find("\n", m.start())
        spans.append((m.start(), line_end if line_end != -1 else len(lower), "pasted log"))
    return spans


def _not_asserted(language: Language, lower: str, match: re.Match[str], phrase: Phrase,
                  set_aside: list[tuple[int, int, str]], start: int, stop: int,
                  others: tuple[Language, ...] = ()) -> str | None:
    """Why a matched phrase is not taken as said (None: it is).

    `others` are the lexicon's languages of the other script: their cue words count too when
    the clause is written in both ("这不是 data breach").
    """
    begin, end = match.span()
    for b, e, why in set_aside:
        if b <= begin and end <= e:
            return why
    for pattern in language.unless.get(phrase.rule, ()):
        for m in pattern.finditer(lower, start, stop):
            if m.start() < end and begin < m.end():
                return f"excluded: {m.group()}"
    for cue_language in (language, *others):
        if cue_language is not language and not (
                _CJK if cue_language.cjk else _LATIN).search(lower, start, stop):
            continue
        against = _cued(cue_language, lower, match, phrase, start, stop)
        if against is not None:
            return against
    return None


def _cued(language: Language, lower: str, match: re.Match[str], phrase: Phrase, start: int,
          stop: int) -> str | None:
    """What the cue words of `language` around the phrase say against it, if anything."""
    begin, end = match.span()
    cues = language.cue_sets
    lead = _Words(language, lower, start, begin)  # the clause up to the phrase
    if phrase.rule.startswith(_CATEGORY_PREFIX):
        # What kind of ticket it is shows in questions and hedges too ("How do I export a
        # report?" is a how-to); only a negation ("this is not a bug") sets it aside.
        negation = lead.window(cues["clause_break"]).find(cues["negation_before"])
        return f"negated: {negation}" if negation is not None else None
    asks = lead.find(cues["question_before"])
    if asks is not None:
        return f"question: {asks}"
    last = stop - 1
    while last > begin and lower[last].isspace():
        last -= 1
    if lower[last] in _QUESTION_MARKS and lead.find(cues["presupposing_question"]) is None:
        return "question"
    before = lead.window(cues["clause_break"])
    negation = before.find(cues["negation_before"])
    if negation is not None:
        return f"negated: {negation}"
    for name in phrase.gaps:
        gap = match.group(name)
        if gap:
            inside = _Words(language, gap, 0, len(gap)).find(cues["negation_before"])
            if inside is not None:
                return f"negated: {inside}"
    if end < stop:
        after = _Words(language, lower, end, stop).find(cues["negation_after"])
        if after is not None:
            return f"negated: {after}"
    if not phrase.hedged_counts:
        hedge = before.find(cues["hedge_before"])
        if hedge is not None:
            return f"hedged: {hedge}"
    return None


class _Words:
    """A stretch of text as words (Latin) or characters (CJK), for finding cue words in it."""

    __slots__ = ("cjk", "text", "words")

    def __init__(self, language: Language, lower: str, start: int, stop: int):
        self.cjk = language.cjk
        if self.cjk:
            self.text = lower[start:stop]
            self.words: list[str] = []
        else:
            self.words = _WORD.findall(lower, start, stop)
            self.text = ""

    def _joined(self) -> str:
        if not self.text and self.words:
            self.text = " " + " ".join(self.words) + " "
        return self.text

    def find(self, cues: CueSet) -> str | None:
        """A cue present (Latin: the first whole word, then word endings such as "n't", then
        several-word cues)."""
        if self.cjk:
            text = self.text
            for cue in cues.literals:
                if cue in text:
                    return cue
            return None
        words = self.words
        if not words:
            return None
        if cues.words:
            for word in words:
                if word in cues.words:
                    return word
        for ending in cues.endings:
            for word in words:
                if word.endswith(ending):
                    return ending
        if cues.sequences:
            joined = self._joined()
            for cue in cues.sequences:
                if f" {cue} " in joined:
                    return cue
        return None

    def window(self, breaks: CueSet) -> _Words:
        """The last few words (characters) before the end, after the last clause-break word."""
        out = _Words.__new__(_Words)
        out.cjk = self.cjk
        if self.cjk:
            text = self.text
            for cue in breaks.literals:
                at = text.rfind(cue)
                if at != -1:
                    text = text[at + len(cue):]
            out.text = text[-_WINDOW_CHARS:]
            out.words = []
            return out
        words = self.words
        for i in range(len(words) - 1, -1, -1):
            if words[i] in breaks.words:
                words = words[i + 1:]
                break
        out.words = words[-_WINDOW_WORDS:]
        out.text = ""
        return out


def _amount(language: Language, match: re.Match[str], rule: str) -> float | int | None:
    groups = match.groupdict()
    raw = groups.get("n")
    if raw is None:
        return None
    raw = raw.replace(",", "")
    number = language.numbers.get(raw)
    if number is None:
        try:
            number = float(raw)
        except ValueError:
            return None
    if not number <= 10_000_000:  # also a run of digits too long for a float ("inf")
        return None
    if rule in HOURS_FACTS:
        unit = groups.get("unit")
        per = language.units.get(unit, 1.0) if unit else 1.0
        return round(number * per, 1)
    if number < 1 or number > 10_000_000:
        return None
    return int(number)


def _clause(text: str, begin: int, end: int) -> str:
    start = begin
    while start > 0 and not _ends_sentence(text, start - 1):
        start -= 1
    stop = end
    while stop < len(text) and not _ends_sentence(text, stop):
        stop += 1
    return text[start:stop].strip()[:200]


def _ends_sentence(text: str, at: int) -> bool:
    # ".!?;" end a sentence only before a space or the end, so "v2.14" and "example.com" stay
    # whole (as in _CLAUSE_BREAK).
    char = text[at]
    if char in "\n。！？；":
        return True
    return char in ".!?;" and (at + 1 == len(text) or text[at + 1].isspace())


def _shown(text: str, begin: int, end: int) -> str:
    words = " ".join(text[begin:end].split())
    return words if len(words) <= _PHRASE_SHOWN else words[: _PHRASE_SHOWN - 1] + "…"


def _decide(found: dict[str, list[tuple[Any, Evidence]]], mentions: list[Mention],
            lexicon: Lexicon) -> dict[str, tuple[Any, list[Evidence]]]:
    """One value per fact from every asserted hit."""
    out: dict[str, tuple[Any, list[Evidence]]] = {}
    categories: dict[str, list[Evidence]] = {}
    for rule, hits in found.items():
        evidence = [e for _, e in hits]
        if rule.startswith(_CATEGORY_PREFIX):
            categories[rule[len(_CATEGORY_PREFIX):]] = evidence
        elif rule in COUNT_FACTS or rule in HOURS_FACTS:
            # The largest number stated: "3 customers … now 12 customers".
            best = max(hits, key=lambda h: h[0])
            out[rule] = (best[0], [best[1]] + [e for v, e in hits if e is not best[1]])
        elif rule in TEXT_FACTS_DERIVED:
            out[rule] = (hits[0][0], evidence)
        elif rule != NOT_BLOCKED:
            out[rule] = (True, evidence)
    inconvenienced = found.get(NOT_BLOCKED)
    if inconvenienced:
        evidence = [e for _, e in inconvenienced]
        blocked = out.pop("blocked", None)
        if blocked is not None:
            mentions.extend(Mention("blocked", e, "outweighed: the customer says they can "
                                    "work (" + evidence[0].cite() + ")") for e in blocked[1])
        out["blocked"] = (False, evidence)
    if categories:
        order = lexicon.category_order
        # Most evidence wins, a subject hit counting double; ties go to the lexicon's order.
        def score(item: tuple[str, list[Evidence]]) -> tuple[int, int]:
            name, evidence = item
            weight = sum(2 if e.field == "subject" else 1 for e in evidence)
            return (-weight, order.get(name, len(order)))
        name, evidence = sorted(categories.items(), key=score)[0]
        out["category"] = (Category(name), evidence)
        for other, lost in categories.items():
            if other != name:
                mentions.extend(Mention(f"category:{other}", e,
                                        f"outweighed: category {name}") for e in lost)
    return out
