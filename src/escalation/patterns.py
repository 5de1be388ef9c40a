"""Use cases of pattern detection: index tickets, match a new one, cluster a batch.

`PatternIndex` mirrors the store's `pattern_index` table in memory (vectors for matching) and
keeps clusters incrementally: a newly indexed ticket joins the cluster whose members it
resembles most on average (average link, the same rule the batch clustering uses) when that
average reaches the threshold; otherwise, if its best single match reaches the threshold and is
in no cluster, the two start one. When a cluster's distinct customers reach the policy's
`pattern_customers`, a `pattern.detected` notification goes into the outbox in the same
transaction.

`find_patterns` clusters a batch of tickets (the `escalate patterns FILE` command); with an
index, the batch is clustered together with the indexed tickets it matches, and the escalation
history of those (fixed, resolved in support, severities) feeds the signals.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

from escalation.adapters.db.pattern_index import IndexRow
from escalation.adapters.similarity.engine import (
    DEFAULT_SETTINGS,
    Corpus,
    Embed,
    Settings,
    ticket_text,
)
from escalation.domain.model import Ticket
from escalation.domain.patterns import (
    Cluster,
    IndexedTicket,
    PatternEvidence,
    PatternMatch,
    build_cluster,
    customer_key,
    distinct_customers,
    evidence_for,
)
from escalation.domain.policy import Policy

if TYPE_CHECKING:
    from escalation.adapters.db.store import Store, UnitOfWork
    from escalation.domain.notifications import Message

MODEL = "all-MiniLM-L6-v2-onnx-int8"
MATCH_LIMIT = 50
_REREAD = 1000  # ids read again on every refresh (see PatternIndex.refresh)
# Matching reuses a refresh this recent (seconds): tickets indexed by another process count
# from then on; this process's own indexing is seen at once.
READ_FRESHNESS = 1.0


def text_of(ticket: Ticket) -> str:
    """The text a ticket is compared by."""
    return ticket_text(ticket.subject, ticket.description)


def _customer(ticket: Ticket) -> str | None:
    return ticket.customer.id or ticket.customer.name


def _indexed(ticket: Ticket) -> IndexedTicket:
    return IndexedTicket(ticket_id=ticket.id, customer=_customer(ticket),
                         created_at=ticket.created_at, subject=ticket.subject or "",
                         product_area=ticket.product_area)


@dataclass(frozen=True, slots=True)
class Indexed:
    """What indexing one ticket did."""

    ticket_id: str
    cluster_id: str | None
    detected: Cluster | None  # the cluster crossed the customer threshold just now


class PatternIndex:
    """The in-memory side of the store's pattern index (see the module docstring)."""

    def __init__(self, settings: Settings = DEFAULT_SETTINGS, embed: Embed | None = None):
        self.settings = settings
        self.corpus = Corpus(settings, embed)
        self.ticket_ids: list[str] = []
        self.row_of: dict[str, int] = {}
        self.cluster_of: list[str | None] = []
        self.members: dict[str, list[int]] = {}
        self.customers: list[str] = []  # customer key per row
        self._last_id = 0
        self._refreshed = -1e9  # time.monotonic() of the last refresh
        self._lock = threading.RLock()

    # -- loading ------------------------------------------------------------------------

    def refresh(self, uow: UnitOfWork, *, max_age: float = 0.0) -> None:
        """Load rows indexed since the last refresh (by this or another process).

        Readers pass `max_age`: a refresh younger than that many seconds is good enough
        (another process's ticket shows up to that much later); writers always refresh.
        """
        with self._lock:
            clock = time.monotonic()
            if max_age and clock - self._refreshed < max_age:
                return
            # Ids are handed out before commit (PostgreSQL sequences): a row committed late may
            # sit below the highest id seen, so the last ids are looked at again: only their
            # ids and clusters, the texts and vectors of the new ones alone.
            heads = uow.patterns.heads(max(0, self._last_id - _REREAD))
            unknown = [row_id for row_id, ticket_id, _c in heads if ticket_id not in self.row_of]
            fresh = uow.patterns.rows_by_id(unknown) if unknown else []
            if fresh:
                semantic = np.vstack([np.frombuffer(r.semantic, dtype=np.float16)
                                      .astype(np.float32) for r in fresh])
                self.corpus.add([r.text for r in fresh], semantic=semantic)
                for r in fresh:
                    self._append(r.ticket_id, r.customer_id, r.cluster_id)
            for _row_id, ticket_id, cluster_id in heads:
                row = self.row_of.get(ticket_id)
                if row is not None and cluster_id != self.cluster_of[row]:
                    self._move(row, cluster_id)
            if heads:
                self._last_id = max(row_id for row_id, _t, _c in heads)
            self._refreshed = clock

    def _append(self, ticket_id: str, customer: str | None, cluster_id: str | None) -> None:
        row = len(self.ticket_ids)
        self.ticket_ids.append(ticket_id)
        self.row_of[ticket_id] = row
        self.customers.append(customer_key(customer, ticket_id))
        self.cluster_of.append(None)
        self._move(row, cluster_id)

    def _move(self, row: int, cluster_id: str | None) -> None:
        old = self.cluster_of[row]
        if old is not None and row in self.members.get(old, []):
            self.members[old].remove(row)
        self.cluster_of[row] = cluster_id
        if cluster_id is not None:
            self.members.setdefault(cluster_id, []).append(row)

    # -- indexing -----------------------------------------------------------------------

    def index(self, uow: UnitOfWork, tickets: Sequence[Ticket], now: datetime,
              pattern_customers: int) -> list[Indexed]:
        """Index tickets (already indexed ones are skipped) and place them in clusters."""
        with self._lock:
            self.refresh(uow)
            todo = [t for t in dict((t.id, t) for t in tickets).values()
                    if t.id not in self.row_of]
            if not todo:
                return []
            texts = [text_of(t) for t in todo]
            semantic = self.corpus.semantic_vectors(texts)
            out: list[Indexed] = []
            for ticket, text, sem in zip(todo, texts, semantic, strict=True):
                vector = self.corpus.query(text, semantic=sem)
                sims = self.corpus.similarities(vector) if len(self.corpus) else np.zeros(0)
                row_id = uow.patterns.add(IndexRow(
                    ticket_id=ticket.id, customer_id=_customer(ticket),
                    created_at=ticket.created_at, subject=ticket.subject,
                    product_area=ticket.product_area, text=text,
                    semantic=sem.astype(np.float16).tobytes(), model=MODEL), now)
                self.corpus.add([text], semantic=sem.reshape(1, -1))
                self._append(ticket.id, _customer(ticket), None)
                self._last_id = max(self._last_id, row_id)
                out.append(self._place(uow, ticket.id, sims, row_id, pattern_customers))
            return out

    def _place(self, uow: UnitOfWork, ticket_id: str, sims: np.ndarray, row_id: int,
               pattern_customers: int) -> Indexed:
        threshold = self.settings.threshold
        row = self.row_of[ticket_id]
        best_cluster, best_avg = None, threshold
        # A cluster whose average reaches the threshold has a member that does: only the
        # clusters of the closest tickets need their average computed.
        close = np.flatnonzero(sims >= threshold) if len(sims) else np.zeros(0, dtype=np.int64)
        if len(close) > MATCH_LIMIT:
            close = close[np.argpartition(-sims[close], MATCH_LIMIT - 1)[:MATCH_LIMIT]]
        candidates = {self.cluster_of[int(r)] for r in close} - {None}
        for cluster_id in sorted(c for c in candidates if c is not None):
            rows = self.members.get(cluster_id, [])
            if not rows:
                continue
            avg = float(sims[rows].mean())
            if avg >= best_avg:
                best_cluster, best_avg = cluster_id, avg
        partner = None
        if best_cluster is None and len(sims):
            top = int(np.argmax(sims))
            if sims[top] >= threshold and self.cluster_of[top] is None:
                partner = top
                best_cluster = f"PAT-{row_id}"
        if best_cluster is None:
            return Indexed(ticket_id, None, None)
        before = self._distinct(best_cluster)
        joined = [ticket_id] if partner is None else [self.ticket_ids[partner], ticket_id]
        uow.patterns.set_cluster(joined, best_cluster)
        if partner is not None:
            self._move(partner, best_cluster)
        self._move(row, best_cluster)
        after = self._distinct(best_cluster)
        detected = None
        if before < pattern_customers <= after:
            detected = self.describe(uow, best_cluster, pattern_customers)
        return Indexed(ticket_id, best_cluster, detected)

    def _distinct(self, cluster_id: str) -> int:
        return len({self.customers[r] for r in self.members.get(cluster_id, [])})

    def describe(self, uow: UnitOfWork, cluster_id: str, pattern_customers: int) -> Cluster:
        """The stored cluster with its signals."""
        ids = [self.ticket_ids[r] for r in self.members.get(cluster_id, [])]
        known = uow.patterns.indexed(ids)
        return build_cluster(cluster_id, [known[i] for i in ids], pattern_customers)

    def stored_clusters(self, uow: UnitOfWork, pattern_customers: int
                        ) -> list[tuple[Cluster, list[IndexedTicket]]]:
        """Every stored cluster of two or more tickets with its members, most customers
        first (then the most recently seen)."""
        with self._lock:
            self.refresh(uow, max_age=READ_FRESHNESS)
            ids = {c: [self.ticket_ids[r] for r in rows]
                   for c, rows in self.members.items() if len(rows) >= 2}
        known = uow.patterns.indexed([t for members in ids.values() for t in members])
        found = []
        for cluster_id, members in ids.items():
            tickets = [known[t] for t in members if t in known]
            if len(tickets) >= 2:
                found.append((build_cluster(cluster_id, tickets, pattern_customers), tickets))
        epoch = datetime.min.replace(tzinfo=UTC)
        found.sort(key=lambda c: (-c[0].distinct_customers, -len(c[0].ticket_ids),
                                  -(c[0].last_seen or epoch).timestamp()))
        return found

    # -- matching -----------------------------------------------------------------------

    def matches(self, uow: UnitOfWork, ticket: Ticket) -> list[PatternMatch]:
        """Indexed tickets like this one (never itself), best first."""
        with self._lock:
            self.refresh(uow, max_age=READ_FRESHNESS)
            if not len(self.corpus):
                return []
            found = self.corpus.match(self.corpus.query(text_of(ticket)), MATCH_LIMIT + 1)
            hits = [(self.ticket_ids[r], s) for r, s in found if self.ticket_ids[r] != ticket.id]
        known = uow.patterns.indexed([t for t, _ in hits])
        return [PatternMatch(known[t], s) for t, s in hits[:MATCH_LIMIT]]

    def evidence(self, uow: UnitOfWork, ticket: Ticket) -> PatternEvidence:
        """What similar indexed tickets say about this one (for assess)."""
        return evidence_for(ticket.id, _customer(ticket), ticket.created_at,
                            self.matches(uow, ticket))


def index_for(store: Store, settings: Settings = DEFAULT_SETTINGS) -> PatternIndex:
    """The store's in-memory index, built on first use (loading is the slow part)."""
    index: PatternIndex | None = getattr(store, "_pattern_index", None)
    if index is None or index.settings != settings:
        index = PatternIndex(settings)
        store._pattern_index = index  # type: ignore[attr-defined]
    return index


def settings_for(policy: Policy) -> Settings:
    """The engine settings the policy asks for (thresholds.pattern_similarity and
    thresholds.pattern_semantic_weight)."""
    t = policy.thresholds
    return replace(DEFAULT_SETTINGS, threshold=t.pattern_similarity,
                   semantic_weight=t.pattern_semantic_weight)


def find_patterns(
    tickets: Sequence[Ticket],
    policy: Policy,
    *,
    index: PatternIndex | None = None,
    uow: UnitOfWork | None = None,
    embed: Embed | None = None,
) -> list[Cluster]:
    """Clusters of two or more among `tickets` (and, with an index, the indexed ones they
    match), most customers first."""
    settings = index.settings if index is not None else settings_for(policy)
    threshold_customers = policy.thresholds.pattern_customers
    unique = list(dict((t.id, t) for t in tickets).values())
    members: list[IndexedTicket] = [_indexed(t) for t in unique]
    texts = [text_of(t) for t in unique]
    corpus = Corpus(settings, embed if index is None else index.corpus.embed)
    semantic = corpus.semantic_vectors(texts) if texts else None
    if index is not None and uow is not None:
        history = _history(index, uow, unique, texts, semantic)
        members += [h for h in history.values()]
        texts += [index.corpus.texts[index.row_of[h]] for h in history]
        if history:
            extra = np.vstack([index.corpus.semantic_row(index.row_of[h]) for h in history])
            semantic = extra if semantic is None else np.vstack([semantic, extra])
        known = uow.patterns.indexed([m.ticket_id for m in members])
        members = [_merge(m, known.get(m.ticket_id)) for m in members]
    if not texts:
        return []
    corpus.add(texts, semantic=semantic)
    labels = corpus.cluster()
    groups: dict[int, list[IndexedTicket]] = {}
    for member, label in zip(members, labels.tolist(), strict=True):
        groups.setdefault(label, []).append(member)
    batch = {t.id for t in unique}
    clusters = []
    for group in groups.values():
        if len(group) < 2 or not any(m.ticket_id in batch for m in group):
            continue
        clusters.append(group)
    clusters.sort(key=lambda g: (-distinct_customers(g), -len(g)))
    return [build_cluster(f"C{n}", g, threshold_customers) for n, g in enumerate(clusters, 1)]


def _history(index: PatternIndex, uow: UnitOfWork, tickets: Sequence[Ticket],
             texts: Sequence[str], semantic: np.ndarray | None) -> dict[str, IndexedTicket]:
    """Indexed tickets (not in the batch) that match a ticket of the batch."""
    index.refresh(uow)
    batch = {t.id for t in tickets}
    found: dict[str, IndexedTicket] = {}
    if not len(index.corpus) or semantic is None:
        return found
    for text, sem in zip(texts, semantic, strict=True):
        vector = index.corpus.query(text, semantic=sem)
        for row, _score in index.corpus.match(vector, MATCH_LIMIT):
            ticket_id = index.ticket_ids[row]
            if ticket_id not in batch:
                found.setdefault(ticket_id, IndexedTicket(ticket_id=ticket_id, customer=None,
                                                          created_at=None))
    return found


def _merge(member: IndexedTicket, known: IndexedTicket | None) -> IndexedTicket:
    """The batch's view of a ticket, completed with what the store knows of its escalation."""
    if known is None:
        return member
    return IndexedTicket(
        ticket_id=member.ticket_id,
        customer=member.customer or known.customer,
        created_at=member.created_at or known.created_at,
        subject=member.subject or known.subject,
        product_area=member.product_area or known.product_area,
        escalation_id=known.escalation_id, status=known.status, severity=known.severity,
        fix_kind=known.fix_kind, deescalation_reason=known.deescalation_reason,
        resolved_at=known.resolved_at,
    )


def detected_messages(cluster: Cluster, policy: Policy, now: datetime,
                      escalation_id: str | None = None) -> tuple[Message, ...]:
    """The pattern.detected outbox messages for a cluster that crossed the threshold."""
    from escalation.domain.notifications import pattern_messages  # noqa: PLC0415

    return pattern_messages(cluster, policy.notifications.channels, now,
                            policy.thresholds.pattern_customers, escalation_id=escalation_id)


def forget_index(store: Store) -> None:
    """Drop the store's in-memory index (after a failed transaction that indexed): the next
    use loads it again from the database, which kept nothing of that transaction."""
    if getattr(store, "_pattern_index", None) is not None:
        store._pattern_index = None  # type: ignore[attr-defined]
