"""Learnings: what resolved escalations taught, kept so later assessments can cite them.

An issue's *signature* is a set of normalised terms from the ticket's subject, description and
product area (`signature_terms`). A later ticket is compared with every stored learning by a
simple lexical match (`match_learnings`): the weighted overlap of the two signatures, nudged up
when product area or category agree and down when both are known and differ. This is the
deliberately plain first step; proper similarity (TF-IDF, embeddings, clustering) comes with
pattern detection.

Signature terms:

- text is NFKC-normalised and lower-cased, then split on anything that is not a letter or digit
  (so `new_export` and `new-export` give the same words);
- Latin words: a small built-in English stopword list is dropped, as are words shorter than 3
  letters; a crude stemmer folds plurals, `-ed`/`-ing` forms and a final e ("exports",
  "exported", "exporting" -> "export"; "failed", "failing" -> "fail"; "update", "updated" ->
  "updat"), so terms are not always words;
- the headings every bug report has ("Steps to reproduce", "Expected", "Actual results",
  "Environment") and a pasted browser User-Agent string are not the issue and are dropped;
- numbers that look like error or status codes are kept ("500", "e1042", "0x80070005"); bare
  years, one- and two-digit numbers and long ids are dropped;
- CJK text has no spaces, so each run of Han, kana or Hangul characters gives its character
  bigrams: "报表导出失败" and "导出报表失败" share 报表, 导出 and 失败.

The match threshold, `DEFAULT_THRESHOLD` = 0.3, was chosen on labelled duplicate bug reports
(GitBugs, Hadoop and SeaMonkey; 200 reports in `tests/fixtures/gitbugs_sample.csv`, product area
= project): 68% of duplicate pairs score 0.3 or more against 3.4% of non-duplicate pairs of the
same project (precision 0.95 on balanced pairs), and the best match above it is a true
duplicate for 68% of the tickets that get one. 0.25 finds 76% of duplicates but lets 7.1% of
other pairs through; 0.35 only 49% (1.7%). `tests/unit/test_learnings.py` re-measures this.
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from escalation.domain.model import Category, DeEscalationReason, Escalation, FixKind, Ticket


@dataclass(frozen=True, slots=True)
class Learning:
    """What one resolved or de-escalated escalation taught, with the issue's signature."""

    escalation_id: str
    ticket_id: str
    terms: frozenset[str]  # the signature: normalised subject/description terms
    product_area: str | None
    category: Category | None
    resolution: str
    learning: str
    fix_kind: FixKind | None
    deescalation_reason: DeEscalationReason | None
    resolved_at: datetime


@dataclass(frozen=True, slots=True)
class LearningMatch:
    """A stored learning that resembles a ticket: how closely, and on which terms."""

    learning: Learning
    score: float  # 0..1; see `match_learnings`
    shared: tuple[str, ...]  # the signature terms both have, sorted


# A score at or above this means "the same issue" (chosen on GitBugs duplicate pairs; see the
# module docstring). Lower finds more repeats but cites unrelated escalations more often.
DEFAULT_THRESHOLD = 0.3

# Score adjustments for the ticket's metadata (added to the lexical score, result kept in 0..1).
# Small bonuses: many different issues share a product area. Larger penalties: a different area
# or kind of problem is good evidence of a different issue.
AREA_BONUS = 0.05  # same product area
CATEGORY_BONUS = 0.05  # same category
AREA_PENALTY = 0.15  # both product areas known and different
CATEGORY_PENALTY = 0.1  # both categories known and different

# Weights of a term in the overlap: a code such as "e1042" or "500" says more than a word, and
# a CJK character bigram less (a run of n characters gives n - 1 bigrams, some of them spanning
# two words).
_CODE_WEIGHT = 2.0
_WORD_WEIGHT = 1.0
_BIGRAM_WEIGHT = 0.7

# Small on purpose: function words plus the politeness of support tickets.
_STOPWORDS = frozenset((
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any",
    "are", "aren", "as", "at", "be", "because", "been", "before", "being", "below", "between",
    "both", "but", "by", "can", "cannot", "could", "couldn", "did", "didn", "do", "does",
    "doesn", "doing", "don", "down", "during", "each", "else", "etc", "even", "ever", "every",
    "few", "for", "from", "further", "get", "gets", "getting", "got", "had", "hadn", "has",
    "hasn", "have", "haven", "having", "he", "her", "here", "hers", "herself", "him", "himself",
    "his", "how", "however", "i", "if", "in", "into", "is", "isn", "it", "its", "itself",
    "just", "let", "like", "may", "me", "might", "more", "most", "much", "must", "my", "myself",
    "need", "needs", "no", "nor", "not", "now", "of", "off", "on", "once", "one", "only", "or",
    "other", "our", "ours", "ourselves", "out", "over", "own", "per", "please", "same", "shall",
    "she", "should", "shouldn", "since", "so", "some", "still", "such", "than", "thank",
    "thanks", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these",
    "they", "this", "those", "though", "through", "thus", "to", "too", "under", "until", "up",
    "upon", "us", "use", "used", "using", "very", "via", "was", "wasn", "way", "we", "well",
    "were", "weren", "what", "when", "where", "whether", "which", "while", "who", "whom",
    "whose", "why", "will", "with", "within", "without", "won", "would", "wouldn", "yet", "you",
    "your", "yours", "yourself", "yourselves", "hello", "dear", "regards", "hi", "kind", "best",
    "cheers", "sorry",
))

# The headings of a bug report or brief (the seed's "Expected / Actual / Environment"): every
# ticket has them, so they say nothing about which issue it is. Compared after stemming.
_TEMPLATE_WORDS = (
    "step", "steps", "reproduce", "reproduced", "reproducible", "reproduction", "expected",
    "actual", "result", "results", "environment", "description", "summary",
)

# Filler bigrams of Chinese support tickets.
_CJK_STOP_BIGRAMS = frozenset((
    "我们", "你们", "他们", "您好", "你好", "请问", "谢谢", "感谢", "麻烦", "一个",
    "这个", "那个", "什么", "怎么", "已经", "就是", "但是", "因为", "所以", "如果",
    "还是", "时候", "可以", "需要", "现在", "今天", "问题", "帮忙", "一下",
))

# A browser's User-Agent string pasted into a ticket is environment, not the issue.
_USER_AGENT = re.compile(r"(?:user[ -]agent\s*:\s*)?mozilla/\d\.\d[^\n]*")

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
# A run of CJK characters, or a run of other letters and digits (underscore splits words).
_TOKEN = re.compile(rf"([{_CJK}]+)|([^\W_{_CJK}]+)")
_ASCII_PUNCTUATION = str.maketrans(dict.fromkeys(string.punctuation, " "))
_CJK_CHAR = re.compile(f"[{_CJK}]")
_DOUBLE_CONSONANT = re.compile(r"([b-df-hj-np-rtv-z])\1$")


def signature_terms(ticket: Ticket) -> frozenset[str]:
    """The issue's signature: normalised terms of subject, description and product area."""
    parts = [p for p in (ticket.subject, ticket.description, ticket.product_area) if p]
    return text_terms("\n".join(parts))


def text_terms(text: str) -> frozenset[str]:
    """Signature terms of free text (see the module docstring for the rules)."""
    return frozenset(text_terms_counted(text))


def text_terms_counted(text: str) -> Counter[str]:
    """Signature terms of free text with how often each occurs."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = text.lower()
    if "mozilla/" in text:
        text = _USER_AGENT.sub(" ", text)
    terms: Counter[str] = Counter()
    # Splitting on ASCII punctuation first keeps the common case off the (slower) regex.
    for chunk in text.translate(_ASCII_PUNCTUATION).split():
        if chunk.isascii():
            terms[_term(chunk)] += 1
            continue
        for run, token in _TOKEN.findall(chunk):
            if run:
                terms.update(_bigrams(run))
            else:
                terms[_term(token)] += 1
    del terms[""]
    return terms


def _is_cjk(char: str) -> bool:
    return _CJK_CHAR.match(char) is not None


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return []  # a lone character is mostly a particle (的, 了, 吗)
    return [b for b in (run[i:i + 2] for i in range(len(run) - 1)) if b not in _CJK_STOP_BIGRAMS]


@lru_cache(maxsize=65536)
def _term(token: str) -> str:
    """The term a Latin-script token contributes, or "" when it says nothing about the issue."""
    if token.isdigit():
        # Status and error codes ("500", "40301") stay; years, ids and small counts go.
        if not 3 <= len(token) <= 6 or (len(token) == 4 and token[:2] in ("19", "20")):
            return ""
        return token
    if any(c.isdigit() for c in token):
        return token if 2 <= len(token) <= 24 else ""  # "e1042", "0x80070005", "http2"
    if len(token) < 3 or len(token) > 40 or token in _STOPWORDS:
        return ""
    stem = _stem(token)
    return "" if stem in _TEMPLATE_STEMS else stem


def _stem(word: str) -> str:
    """Fold plurals and -ed/-ing forms; crude on purpose, the same word always gives one stem."""
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 4 and word.endswith(("sses", "shes", "ches", "xes", "zes")):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 5 and word.endswith("ing"):
        word = _undouble(word[:-3])
    elif len(word) > 4 and word.endswith("ed") and not word.endswith("eed"):
        word = _undouble(word[:-2])
    # A final silent e goes too, so "update", "updated" and "updating" meet at "updat".
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def _undouble(stem: str) -> str:
    # "stopped" -> "stopp" -> "stop"; but "called" -> "call", "passed" -> "pass".
    if _DOUBLE_CONSONANT.search(stem) and stem[-1] not in "lsz":
        return stem[:-1]
    return stem


_TEMPLATE_STEMS = frozenset(_stem(word) for word in _TEMPLATE_WORDS)


def learning_from(escalation: Escalation, ticket: Ticket, resolved_at: datetime) -> Learning:
    """The learning a resolved or de-escalated escalation leaves, signed by its ticket."""
    note = escalation.deescalation_note or ""
    return Learning(
        escalation_id=escalation.id,
        ticket_id=ticket.id,
        terms=signature_terms(ticket),
        product_area=ticket.product_area,
        category=ticket.facts.category,
        resolution=escalation.resolution or note,
        learning=escalation.learning or note,
        fix_kind=escalation.fix_kind,
        deescalation_reason=escalation.deescalation_reason,
        resolved_at=resolved_at,
    )


def match_learnings(
    ticket: Ticket,
    learnings: Iterable[Learning],
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> tuple[LearningMatch, ...]:
    """Learnings whose signature resembles the ticket's, best first, scoring `threshold` or more.

    The score is the weighted overlap of the two term sets (the weight of the shared terms over
    the geometric mean of both sets' weights, a cosine on binary term vectors), plus
    `AREA_BONUS` / `CATEGORY_BONUS` when product area / category are the same, minus
    `AREA_PENALTY` / `CATEGORY_PENALTY` when both are known and differ; kept within 0..1. Ties
    go to the more recently resolved learning, then to the escalation id, so the order is total.
    """
    terms = signature_terms(ticket)
    if not terms:
        return ()
    area = _area(ticket.product_area)
    category = ticket.facts.category
    own_weight = _weight(terms)
    found: list[LearningMatch] = []
    for learning in learnings:
        shared = terms & learning.terms
        if not shared:
            continue
        score = _weight(shared) / math.sqrt(own_weight * _weight(learning.terms))
        other_area = _area(learning.product_area)
        if area is not None and other_area is not None:
            score += AREA_BONUS if area == other_area else -AREA_PENALTY
        if category is not None and learning.category is not None:
            score += CATEGORY_BONUS if category is learning.category else -CATEGORY_PENALTY
        score = round(min(1.0, max(0.0, score)), 6)
        if score >= threshold:
            found.append(LearningMatch(learning, score, tuple(sorted(shared))))
    found.sort(key=lambda m: m.learning.escalation_id)
    found.sort(key=lambda m: (m.score, _timestamp(m.learning.resolved_at)), reverse=True)
    return tuple(found)


def _area(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def _weight(terms: Iterable[str]) -> float:
    total = 0.0
    for term in terms:
        if _is_cjk(term[0]):
            total += _BIGRAM_WEIGHT
        elif any(c.isdigit() for c in term):
            total += _CODE_WEIGHT
        else:
            total += _WORD_WEIGHT
    return total


def _timestamp(at: datetime) -> float:
    # Naive datetimes are read as UTC so mixed inputs still sort instead of raising.
    return (at if at.tzinfo is not None else at.replace(tzinfo=UTC)).timestamp()
