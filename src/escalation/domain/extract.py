"""Read the ticket's own words: derive facts from its subject, description, conversation and tags.

Pure and deterministic: the same ticket and lexicon give the same facts, every time, with no
network and no model. Each derived fact carries its evidence — the words as written and where
they were found (`description: "half of our contacts disappeared"`) — so a reader can check it.

A phrase of the lexicon (`domain/lexicon.py`) that matches is *asserted* unless its context
says otherwise; a match that is not asserted is kept as a `Mention` with the reason, so
`escalate explain` can show what was read and set aside:

- **quoted**: inside quotation marks ("…", “…”, 「…」), on an e-mail quote line (`> …`), below
  an "On … wrote:" line, or on a pasted log line (timestamps, log levels, stack frames);
- **question**: the clause ends with a question mark or a question cue comes before the phrase
  ("asked whether", "is it possible", 是否, 有没有) — except questions that presuppose what
  they ask about ("why did we lose data?");
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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from escalation.domain.lexicon import (
    COUNT_FACTS,
    HOURS_FACTS,
    NOT_BLOCKED,
    TEXT_FACTS_DERIVED,
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
_CLAUSE_END = re.compile(r"[.!?;:,\n。！？；：，]")
_SENTENCE_PUNCT = frozenset(".!?;:,\n。！？；：，")
_QUESTION_MARKS = frozenset("?？")
_WORD = re.compile(r"[\w']+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]{2}")
_QUOTED = re.compile(r'"[^"\n]{1,300}"|“[^”]{1,300}”|「[^」]{1,300}」|『[^』]{1,300}』')
_LOG_LINE = re.compile(
    r"^\s*(?:\d{4}-\d\d-\d\d[ T]\d|\[\s*(?:error|warn|warning|info|debug|trace|fatal)\s*\]"
    r"|(?:error|warn|warning|info|debug|trace|fatal|exception)\b\s*[:\[]"
    r"|at [\w.$<>]+\(|traceback \(most recent|file \"[^\"]+\", line \d|caused by:"
    r"|\w+(?:\.\w+)+(?:exception|error)\b|https?/\d\.\d \d{3}|\d{3} [a-z ]+ \(|[{}\[\]]\s*$)",
    re.IGNORECASE | re.MULTILINE,
)
_REPLY_HEADER = re.compile(r"^\s*(?:on .{4,120} wrote:|-{2,} ?original message ?-{2,}"
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
    out = set(facts.stated)
    for name, default in _DEFAULTS.items():
        if getattr(facts, name) != default:
            out.add(name)
    return frozenset(out)


_DEFAULT_FACTS = Facts()
_DEFAULTS = {name: getattr(_DEFAULT_FACTS, name) for name in Facts.__dataclass_fields__
             if name != "stated"}


def extract(ticket: Ticket, lexicon: Lexicon) -> Extraction:
    """Derive facts from the ticket's words (see the module docstring)."""
    fields = list(_fields(ticket))
    if not fields or not lexicon.languages:
        return NO_EXTRACTION
    stated = stated_facts(ticket.facts)
    found: dict[str, list[tuple[Any, Evidence]]] = {}
    mentions: list[Mention] = []
    used: list[str] = []
    for language in lexicon.languages:
        wanted = _CJK if language.cjk else _LATIN
        texts = [(name, text) for name, text in fields if wanted.search(text)]
        if not texts:
            continue
        used.append(language.code)
        for name, text in texts:
            _read(language, name, text, found, mentions)
    derived: dict[str, DerivedFact] = {}
    for fact, hits in _decide(found, mentions, lexicon).items():
        value, evidence = hits
        if fact in stated:
            mentions.extend(Mention(fact, e, "overridden: the ticket states this fact")
                            for e in evidence)
            continue
        derived[fact] = DerivedFact(fact, value, tuple(evidence))
    return Extraction(derived, tuple(mentions), tuple(used))


def with_derived(ticket: Ticket, extraction: Extraction) -> Ticket:
    """The ticket with its derived facts filled in (explicit facts are never replaced)."""
    if not extraction.derived:
        return ticket
    values = {name: fact.value for name, fact in extraction.derived.items()
              if name in _DEFAULTS}
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


def _read(language: Language, name: str, text: str,
          found: dict[str, list[tuple[Any, Evidence]]], mentions: list[Mention]) -> None:
    lower = text.lower().replace("’", "'")
    candidates = _candidates(language, lower)
    if not candidates:
        return
    set_aside = _set_aside_spans(lower)
    taken: list[tuple[int, int, str]] = []
    for start, phrase in candidates:
        match = phrase.pattern.match(lower, start)
        if match is None:
            continue
        begin, end = match.span()
        if any(b <= begin and end <= e and r == phrase.rule for b, e, r in taken):
            continue  # the same words already counted for this rule
        taken.append((begin, end, phrase.rule))
        evidence = Evidence(name, _shown(text, begin, end), begin, end, phrase.source)
        why = _not_asserted(language, lower, match, phrase, set_aside)
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
            value = _clause(text, begin, end)
        found.setdefault(phrase.rule, []).append((value, evidence))


def _candidates(language: Language, lower: str) -> list[tuple[int, Phrase]]:
    """(position, phrase) pairs worth trying, in text order."""
    out: list[tuple[int, Phrase]] = []
    by_first = language.by_first
    if language.cjk:
        for key, phrases in by_first.items():
            at = lower.find(key)
            while at != -1:
                out.extend((at, p) for p in phrases)
                at = lower.find(key, at + 1)
        if language.by_number:
            for m in re.finditer(language.number_pattern, lower):
                out.extend((m.start(), p) for p in language.by_number)
    else:
        numbers = language.numbers
        for m in _WORD.finditer(lower):
            word = m.group()
            hit = by_first.get(word)
            if hit:
                out.extend((m.start(), p) for p in hit)
            if len(word) >= 4:
                prefixed = by_first.get("*" + word[:4])
                if prefixed:
                    out.extend((m.start(), p) for p in prefixed)
            if language.by_number and (word[0].isdigit() or word in numbers):
                out.extend((m.start(), p) for p in language.by_number)
    out.sort(key=lambda item: item[0])
    return out


def _set_aside_spans(lower: str) -> list[tuple[int, int, str]]:
    """Quoted text, e-mail quote lines, reply history and pasted log lines."""
    spans: list[tuple[int, int, str]] = []
    if '"' in lower or "“" in lower or "「" in lower or "『" in lower:
        spans.extend((m.start(), m.end(), "quoted") for m in _QUOTED.finditer(lower))
    if "\n" in lower or lower.lstrip().startswith(">"):
        offset = 0
        for line in lower.splitlines(keepends=True):
            if line.lstrip().startswith(">"):
                spans.append((offset, offset + len(line), "quoted (e-mail quote)"))
            offset += len(line)
        reply = _REPLY_HEADER.search(lower)
        if reply is not None:
            spans.append((reply.start(), len(lower), "quoted (earlier e-mail)"))
        spans.extend((m.start(), lower.find("\n", m.start()) % (len(lower) + 1) or len(lower),
                      "pasted log") for m in _LOG_LINE.finditer(lower))
    elif _LOG_LINE.match(lower):
        spans.append((0, len(lower), "pasted log"))
    return spans


def _not_asserted(language: Language, lower: str, match: re.Match[str], phrase: Phrase,
                  set_aside: list[tuple[int, int, str]]) -> str | None:
    begin, end = match.span()
    for b, e, why in set_aside:
        if b <= begin and end <= e:
            return why
    for pattern in language.unless.get(phrase.rule, ()):
        clause_start, clause_end = _clause_bounds(lower, begin, end)
        for m in pattern.finditer(lower, clause_start, clause_end):
            if (m.start() <= begin and end <= m.end()) or begin <= m.start() < end:
                return f"excluded: {m.group()}"
    cues = language.cues
    before = _before(language, lower, begin)
    clause_start, clause_end = _clause_bounds(lower, begin, end)
    clause_text = lower[clause_start:begin]
    asks = _cue_in(language, clause_text, cues["question_before"], whole=True)
    presupposes = _cue_in(language, clause_text, cues["presupposing_question"], whole=True)
    if asks is not None and presupposes is None:
        return f"question: {asks}"
    if (clause_end < len(lower) and lower[clause_end] in _QUESTION_MARKS
            and presupposes is None):
        return "question"
    negation = _cue_in(language, before, cues["negation_before"])
    if negation is not None:
        return f"negated: {negation}"
    for name in phrase.gaps:
        gap = match.group(name)
        if gap:
            inside = _cue_in(language, gap, cues["negation_before"])
            if inside is not None:
                return f"negated: {inside}"
    after = lower[end:clause_end]
    for cue in cues["negation_after"]:
        if cue in after:
            return f"negated: {cue}"
    if not phrase.hedged_counts:
        hedge = _cue_in(language, before, cues["hedge_before"])
        if hedge is not None:
            return f"hedged: {hedge}"
    return None


def _clause_bounds(lower: str, begin: int, end: int) -> tuple[int, int]:
    start = begin
    while start > 0 and lower[start - 1] not in _SENTENCE_PUNCT:
        start -= 1
    m = _CLAUSE_END.search(lower, end)
    return start, (m.start() if m is not None else len(lower))


def _before(language: Language, lower: str, begin: int) -> str:
    """The words just before a phrase, within its clause and after the last clause break."""
    start = begin
    while start > 0 and lower[start - 1] not in _SENTENCE_PUNCT:
        start -= 1
    text = lower[start:begin]
    breaks = language.cues["clause_break"]
    if language.cjk:
        for cue in breaks:
            at = text.rfind(cue)
            if at != -1:
                text = text[at + len(cue):]
        return text[-_WINDOW_CHARS:]
    words = _WORD.findall(text)
    for i in range(len(words) - 1, -1, -1):
        if words[i] in breaks:
            words = words[i + 1:]
            break
    return " ".join(words[-_WINDOW_WORDS:])


def _cue_in(language: Language, text: str, cues: tuple[str, ...], *,
            whole: bool = False) -> str | None:
    """The first cue found in `text` (Latin: as whole words or word sequences)."""
    if not text:
        return None
    if language.cjk:
        for cue in cues:
            if cue in text:
                return cue
        return None
    padded = " " + " ".join(_WORD.findall(text)) + " "
    for cue in cues:
        if cue.endswith("n't") or cue.startswith("'"):
            if any(w.endswith(cue) for w in padded.split()):
                return cue
        elif f" {cue} " in padded:
            return cue
    return None


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
    if rule in HOURS_FACTS:
        unit = groups.get("unit")
        per = language.units.get(unit, 1.0) if unit else 1.0
        return round(number * per, 1)
    if number < 1 or number > 10_000_000:
        return None
    return int(number)


def _clause(text: str, begin: int, end: int) -> str:
    start = begin
    while start > 0 and text[start - 1] not in ".!?;\n。！？；":
        start -= 1
    stop = end
    while stop < len(text) and text[stop] not in ".!?;\n。！？；":
        stop += 1
    return text[start:stop].strip()[:200]


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
        order = _category_order(lexicon)
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


def _category_order(lexicon: Lexicon) -> dict[str, int]:
    order: dict[str, int] = {}
    for language in lexicon.languages:
        for name in language.categories:
            order.setdefault(name, len(order))
    return order
