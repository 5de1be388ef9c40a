"""Patterns: the same issue across customers, an issue back after its fix, severity rising.

The seed's pattern triggers need the desk to know that two tickets written by different people
describe the same problem. *Finding* similar tickets is the similarity adapter's job
(`escalation.adapters.similarity`: text -> vectors -> clusters and matches); this module holds
what is decided once tickets are grouped, and is pure:

- `IndexedTicket` is what the index knows of one ticket: who reported it, when, and what became
  of any escalation it belongs to (status, severity, how it was resolved and when).
- `cluster_signals` names a group's signals: `three_plus_customers` (distinct customers at or
  above the policy's `pattern_customers`), `recurring_after_fix` (a member arrived after an
  escalation of the group was resolved by a code fix) and `severity_increasing` (the group's
  known severities rise over time, see `severity_rising`).
- `label_for` writes a short human summary of a group from its subjects.
- `evidence_for` turns a new ticket's matches into `PatternEvidence`: the facts the matches
  support (customers affected, previously resolved in support, recurring after a fix, severity
  increasing), each with the tickets it was derived from, so `assess` can cite them. Facts the
  ticket states explicitly always win (`assess` only uses evidence for facts left unset).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from escalation.domain.learnings import text_terms
from escalation.domain.model import DeEscalationReason, FixKind, Severity, Status


class Signal(StrEnum):
    """What makes a group of similar tickets a pattern worth escalating."""

    THREE_PLUS_CUSTOMERS = "three_plus_customers"
    RECURRING_AFTER_FIX = "recurring_after_fix"
    SEVERITY_INCREASING = "severity_increasing"


@dataclass(frozen=True, slots=True)
class IndexedTicket:
    """One ticket as the pattern index knows it."""

    ticket_id: str
    customer: str | None  # the customer's id (or name); None when unknown
    created_at: datetime | None
    subject: str = ""
    product_area: str | None = None
    escalation_id: str | None = None  # the escalation it opened or was linked to
    status: Status | None = None  # that escalation's status
    severity: Severity | None = None  # the escalation's (or the assessment's) severity
    fix_kind: FixKind | None = None
    deescalation_reason: DeEscalationReason | None = None
    resolved_at: datetime | None = None

    @property
    def customer_key(self) -> str:
        """Distinct-customer key (see `customer_key`)."""
        return customer_key(self.customer, self.ticket_id)

    @property
    def active_escalation(self) -> str | None:
        """The escalation it belongs to, while that escalation is still active."""
        if self.escalation_id and self.status is not None and self.status.is_active:
            return self.escalation_id
        return None

    @property
    def fixed_in_code(self) -> bool:
        """Its escalation was resolved by a code fix."""
        return self.fix_kind is FixKind.CODE_FIX and self.resolved_at is not None

    @property
    def resolved_in_support(self) -> bool:
        """Its escalation ended at the support level (workaround, support fix, root cause)."""
        if self.fix_kind in (FixKind.WORKAROUND, FixKind.SUPPORT):
            return True
        return self.deescalation_reason in (DeEscalationReason.ROOT_CAUSE_SUPPORT,
                                            DeEscalationReason.WORKAROUND_FOUND)


def customer_key(customer: str | None, ticket_id: str) -> str:
    """Who reported a ticket, for counting distinct customers: the customer (id or name), or
    the ticket itself when no customer is known (so unknown customers never merge)."""
    return f"customer:{customer}" if customer else f"ticket:{ticket_id}"


@dataclass(frozen=True, slots=True)
class Cluster:
    """Two or more tickets that describe the same issue."""

    id: str
    ticket_ids: tuple[str, ...]
    distinct_customers: int
    label: str
    first_seen: datetime | None
    last_seen: datetime | None
    signals: tuple[Signal, ...]


@dataclass(frozen=True, slots=True)
class PatternMatch:
    """An indexed ticket that resembles a new one, with the similarity score (0..1)."""

    ticket: IndexedTicket
    score: float


@dataclass(frozen=True, slots=True)
class PatternEvidence:
    """What a new ticket's matches say, each derived fact with the tickets it came from."""

    matches: tuple[PatternMatch, ...] = ()
    customers_affected: int | None = None  # distinct customers incl. the new ticket's, if > 1
    customer_tickets: tuple[str, ...] = ()  # one ticket per distinct customer, oldest first
    resolved_in_support: IndexedTicket | None = None  # the best match resolved in support
    fixed_before: IndexedTicket | None = None  # a match fixed in code before this ticket came
    severity_trend: tuple[IndexedTicket, ...] = ()  # the rising severities, oldest first
    open_escalations: tuple[str, ...] = field(default=())  # escalations the matches belong to

    @property
    def severity_increasing(self) -> bool:
        """The matched group's severity rises over time."""
        return bool(self.severity_trend)


def _utc(at: datetime | None) -> datetime | None:
    if at is None:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _chronological(members: Iterable[IndexedTicket]) -> list[IndexedTicket]:
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(members, key=lambda m: (_utc(m.created_at) or far, m.ticket_id))


def distinct_customers(members: Iterable[IndexedTicket]) -> int:
    """How many different customers reported the group (unknown customers count per ticket)."""
    return len({m.customer_key for m in members})


def recurs_after_fix(
    members: Sequence[IndexedTicket],
) -> tuple[IndexedTicket, IndexedTicket] | None:
    """(the fixed ticket, the first ticket that arrived after its fix), if the group recurs."""
    fixed = sorted((m for m in members if m.fixed_in_code),
                   key=lambda m: _utc(m.resolved_at) or datetime.max.replace(tzinfo=UTC))
    for done in fixed:
        fixed_at = _utc(done.resolved_at)
        for later in _chronological(members):
            created = _utc(later.created_at)
            if later is not done and created is not None and fixed_at is not None \
                    and created > fixed_at:
                return done, later
    return None


def severity_rising(members: Sequence[IndexedTicket]) -> tuple[IndexedTicket, ...]:
    """The group's severities in time order when they rise; () when they do not.

    Rising means: at least two tickets with a known severity and time, the latest severity is
    above the earliest one, and the steps up outnumber the steps down (so one noisy Critical in
    the middle of Mediums is not a trend). Returns the tickets of the trend, oldest first.
    """
    known = [m for m in _chronological(members) if m.severity is not None and m.created_at]
    if len(known) < 2:
        return ()
    ranks = [m.severity.rank for m in known if m.severity is not None]
    ups = sum(1 for a, b in itertools.pairwise(ranks) if b > a)
    downs = sum(1 for a, b in itertools.pairwise(ranks) if b < a)
    if ranks[-1] > ranks[0] and ups > downs:
        return tuple(known)
    return ()


def cluster_signals(members: Sequence[IndexedTicket], pattern_customers: int) -> tuple[Signal, ...]:
    """The signals of a group, in a fixed order."""
    out: list[Signal] = []
    if distinct_customers(members) >= pattern_customers:
        out.append(Signal.THREE_PLUS_CUSTOMERS)
    if recurs_after_fix(members) is not None:
        out.append(Signal.RECURRING_AFTER_FIX)
    if severity_rising(members):
        out.append(Signal.SEVERITY_INCREASING)
    return tuple(out)


def build_cluster(cluster_id: str, members: Sequence[IndexedTicket],
                  pattern_customers: int) -> Cluster:
    """A `Cluster` of the members: ids in time order, label, first/last seen and signals."""
    ordered = _chronological(members)
    times = [t for t in (_utc(m.created_at) for m in ordered) if t is not None]
    return Cluster(
        id=cluster_id,
        ticket_ids=tuple(m.ticket_id for m in ordered),
        distinct_customers=distinct_customers(ordered),
        label=label_for([m.subject for m in ordered]),
        first_seen=min(times) if times else None,
        last_seen=max(times) if times else None,
        signals=cluster_signals(ordered, pattern_customers),
    )


def cluster_to_mapping(cluster: Cluster) -> dict[str, object]:
    """The output contract of one cluster (`escalate patterns`, the pattern.detected payload)."""
    return {
        "id": cluster.id,
        "ticket_ids": list(cluster.ticket_ids),
        "distinct_customers": cluster.distinct_customers,
        "label": cluster.label,
        "first_seen": cluster.first_seen.isoformat() if cluster.first_seen else None,
        "last_seen": cluster.last_seen.isoformat() if cluster.last_seen else None,
        "signals": [s.value for s in cluster.signals],
    }


def evidence_for(
    ticket_id: str,
    customer: str | None,
    created_at: datetime | None,
    matches: Sequence[PatternMatch],
) -> PatternEvidence:
    """What the matches of a new ticket say about it (see the module docstring)."""
    others = [m for m in matches if m.ticket.ticket_id != ticket_id]
    if not others:
        return PatternEvidence()
    me = IndexedTicket(ticket_id=ticket_id, customer=customer, created_at=created_at)
    group = [me, *(m.ticket for m in others)]
    firsts: dict[str, IndexedTicket] = {}
    for member in _chronological(group):
        firsts.setdefault(member.customer_key, member)
    count = len(firsts)
    best_support = max((m for m in others if m.ticket.resolved_in_support),
                       key=lambda m: m.score, default=None)
    arrived = _utc(created_at)
    fixed_before = None
    for match in sorted(others, key=lambda m: -m.score):
        fixed_at = _utc(match.ticket.resolved_at)
        if match.ticket.fixed_in_code and (arrived is None or fixed_at is None
                                           or arrived > fixed_at):
            fixed_before = match.ticket
            break
    escalations = list(dict.fromkeys(
        esc for esc in (m.ticket.active_escalation for m in others) if esc))
    return PatternEvidence(
        matches=tuple(others),
        customers_affected=count if count > 1 else None,
        customer_tickets=tuple(m.ticket_id for m in firsts.values()) if count > 1 else (),
        resolved_in_support=best_support.ticket if best_support else None,
        fixed_before=fixed_before,
        severity_trend=severity_rising([m.ticket for m in others]),
        open_escalations=tuple(escalations),
    )


def cite(ticket_ids: Sequence[str], limit: int = 5) -> str:
    """"ZD-11, ZD-19, ZD-23, … (+4 more)": the first tickets of a list, for a reason's text."""
    shown = ", ".join(ticket_ids[:limit])
    rest = len(ticket_ids) - limit
    return f"{shown}, … (+{rest} more)" if rest > 0 else shown


# -- labels -----------------------------------------------------------------------------------

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def label_for(subjects: Sequence[str], max_terms: int = 4, max_chars: int = 80) -> str:
    """A short summary of a group: the subject closest to the group's common terms.

    The subject that shares the most of the group's frequent terms (terms in at least half the
    subjects, by `learnings.text_terms`) is the most typical; ties go to the shorter one. When no
    term is shared, the frequent terms themselves are listed.
    """
    texts = [unicodedata.normalize("NFKC", s).strip() for s in subjects if s and s.strip()]
    if not texts:
        return ""
    term_sets = [text_terms(t) for t in texts]
    df = Counter(term for terms in term_sets for term in terms)
    need = max(2, (len(texts) + 1) // 2) if len(texts) > 1 else 1
    common = {t for t, n in df.items() if n >= need}
    if common:
        best = max(range(len(texts)),
                   key=lambda i: (len(term_sets[i] & common), -len(texts[i]), -i))
        return _shorten(texts[best], max_chars)
    top = [t for t, _ in sorted(df.items(), key=lambda kv: (-kv[1], kv[0]))[:max_terms]]
    return _shorten(" · ".join(top), max_chars) if top else _shorten(texts[0], max_chars)


def _shorten(text: str, max_chars: int) -> str:
    max_chars = max(max_chars, 1)
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1]
    if not _CJK.search(cut[-1:]) and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:-") + "…"
