"""Tickets -> vectors -> clusters and matches: the pattern engine's defaults in one place.

A ticket's vector joins two unit vectors, each scaled so that the inner product of two tickets'
vectors is the weighted sum of two cosines:

    similarity = w * cosine(MiniLM) + (1 - w) * cosine(lexical TF-IDF sketch)

with w = `Settings.semantic_weight` (0.8). MiniLM reads the subject and the start of the
description (128 word pieces); the lexical sketch reads the first `Settings.lexical_chars`
characters, in any language (see `lexical`). Two tickets describe the same issue when their
clusters' average similarity reaches `Settings.threshold`.

Clustering (`cluster`): exact average link (scipy) up to `Settings.exact_limit` tickets; above
it, average link over the k-nearest-neighbour graph (`cluster.average_link`), where the pairs
the graph does not hold count as unrelated; the neighbours are found by an inverted-file
search (k-means cells over a 128-dimension principal-component projection, `neighbours`). Matching
(`Corpus.match`): a new ticket against everything in the corpus, one matrix-vector product.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from escalation.adapters.similarity import cluster as graph
from escalation.adapters.similarity import lexical

Matrix = npt.NDArray[np.float32]
Embed = Callable[[Sequence[str]], Matrix]


@dataclass(frozen=True, slots=True)
class Settings:
    """The engine's knobs; the defaults were measured with benchmarks/patterns.py."""

    threshold: float = 0.50
    semantic_weight: float = 0.8
    lexical_chars: int = 600
    semantic_chars: int = 2000
    exact_limit: int = 12000
    neighbours: int = 30


DEFAULT_SETTINGS = Settings()
_RECENT = 64


def ticket_text(subject: str | None, description: str | None) -> str:
    """The text a ticket is compared by: its subject, then its description."""
    parts = [p.strip() for p in (subject, description) if p and p.strip()]
    return ". ".join(parts)


def default_embed() -> Embed:
    """MiniLM, loaded once per process."""
    from escalation.adapters.similarity.minilm import shared_model  # noqa: PLC0415

    return shared_model().embed


def combine(semantic: Matrix, bags: Sequence[Counter[str]], df: lexical.DocumentFrequencies,
            settings: Settings) -> Matrix:
    """One row per ticket whose inner products are the weighted similarity.

    A MiniLM vector's squared norm q is the share of the text the model could read (1 for
    English, little for Chinese): MiniLM gets the weight w * q and the lexical sketch the rest,
    so every row stays a unit vector and two Chinese tickets are compared by their words.
    Built in place: 100,000 tickets take one matrix, not four.
    """
    n, dims = semantic.shape
    out = np.zeros((n, dims + lexical.DIMENSIONS), dtype=np.float32)
    w = settings.semantic_weight
    np.multiply(semantic, np.float32(np.sqrt(w)), out=out[:, :dims])
    sketches = out[:, dims:]
    lexical.sketch(bags, df, out=sketches)
    known = np.einsum("ij,ij->i", semantic, semantic)
    sketches *= np.sqrt(np.clip(1.0 - w * known, 0.0, 1.0)).astype(np.float32)[:, None]
    return out


class Corpus:
    """Tickets' texts with their vectors; lexical weights come from the corpus itself.

    Adding tickets to a corpus already sketched sketches only the new ones with the current
    document frequencies; everything is sketched again once the corpus has grown by a quarter
    since (so weights follow the corpus without re-sketching 100,000 tickets per addition).
    """

    def __init__(self, settings: Settings = DEFAULT_SETTINGS, embed: Embed | None = None):
        self.settings = settings
        self._embed = embed
        self.df = lexical.DocumentFrequencies()
        self._bags: list[Counter[str]] = []
        self.texts: list[str] = []
        self._semantic: list[Matrix] = []
        self._vectors: Matrix | None = None
        self._pending: list[Matrix] = []  # vectors of tickets added since the last sketch
        self._sketched_at = 0  # corpus size when everything was last sketched
        self._size = 0  # rows of _vectors in use
        self._recent: dict[str, Matrix] = {}  # text -> MiniLM vector, the last _RECENT texts

    @property
    def embed(self) -> Embed:
        if self._embed is None:
            self._embed = default_embed()
        return self._embed

    def __len__(self) -> int:
        return len(self._bags)

    def semantic_vectors(self, texts: Sequence[str]) -> Matrix:
        """MiniLM vectors of texts (what the index stores); the last few are remembered, as
        a ticket is usually matched and then indexed."""
        cut = [t[: self.settings.semantic_chars] for t in texts]
        if len(cut) > _RECENT:  # a batch: nothing to remember
            return self.embed(cut)
        missing = [t for t in dict.fromkeys(cut) if t not in self._recent]
        if missing:
            for text, vector in zip(missing, self.embed(missing), strict=True):
                self._recent[text] = vector
            while len(self._recent) > _RECENT:
                del self._recent[next(iter(self._recent))]
        if not cut:
            return np.zeros((0, 384), dtype=np.float32)
        return np.vstack([self._recent[t] for t in cut])

    def add(self, texts: Sequence[str], semantic: Matrix | None = None) -> None:
        """Add tickets' texts (and their MiniLM vectors when already known)."""
        if not texts:
            return
        bags = [lexical.features(t[: self.settings.lexical_chars]) for t in texts]
        sem = (self.semantic_vectors(texts) if semantic is None
               else np.asarray(semantic, dtype=np.float32).reshape(len(texts), -1))
        self.df.add(bags)
        self._bags.extend(bags)
        self.texts.extend(texts)
        self._semantic.append(sem)
        if self._vectors is not None and len(self._bags) < 1.25 * max(self._sketched_at, 1):
            self._pending.append(combine(sem, bags, self.df, self.settings))
        else:
            self._vectors = None  # sketch everything again on next use
            self._pending = []

    def semantic_row(self, row: int) -> Matrix:
        """The MiniLM vector of one ticket of the corpus."""
        if len(self._semantic) > 1:
            self._semantic = [np.vstack(self._semantic)]
        row_vector: Matrix = self._semantic[0][row]
        return row_vector

    @property
    def vectors(self) -> Matrix:
        """The combined vector of every ticket, in the order added (a view of a buffer that
        grows by half when full, so indexing one ticket at a time copies nothing)."""
        if self._vectors is None:
            semantic = (np.vstack(self._semantic) if self._semantic
                        else np.zeros((0, 384), dtype=np.float32))
            self._semantic = [semantic]
            self._vectors = combine(semantic, self._bags, self.df, self.settings)
            self._size = len(self._vectors)
            self._sketched_at = len(self._bags)
        elif self._pending:
            more = np.vstack(self._pending)
            self._pending = []
            end = self._size + len(more)
            if end > len(self._vectors):
                grown = np.zeros((max(end, int(len(self._vectors) * 1.5) + 16),
                                  self._vectors.shape[1]), dtype=np.float32)
                grown[: self._size] = self._vectors[: self._size]
                self._vectors = grown
            self._vectors[self._size:end] = more
            self._size = end
        view: Matrix = self._vectors[: self._size]
        return view

    def query(self, text: str, semantic: Matrix | None = None) -> Matrix:
        """The combined vector of a ticket that is not (yet) in the corpus."""
        bag = lexical.features(text[: self.settings.lexical_chars])
        sem = self.semantic_vectors([text]) if semantic is None else semantic.reshape(1, -1)
        combined: Matrix = combine(sem, [bag], self.df, self.settings)[0]
        return combined

    def similarities(self, vector: Matrix) -> Matrix:
        """Similarity of `vector` to every ticket of the corpus."""
        sims: Matrix = self.vectors @ vector
        return sims

    def match(self, vector: Matrix, limit: int = 20,
              threshold: float | None = None) -> list[tuple[int, float]]:
        """(row, similarity) of the corpus tickets most similar to `vector`, best first."""
        floor = self.settings.threshold if threshold is None else threshold
        sims = self.similarities(vector)
        if len(sims) == 0:
            return []
        limit = min(limit, len(sims))
        top = np.argpartition(-sims, limit - 1)[:limit]
        top = top[np.argsort(-sims[top])]
        return [(int(i), float(sims[i])) for i in top if sims[i] >= floor]

    def cluster(self) -> npt.NDArray[np.int64]:
        """Cluster labels of every ticket (see the module docstring)."""
        return cluster(self.vectors, self.settings)


def cluster(vectors: Matrix, settings: Settings = DEFAULT_SETTINGS) -> npt.NDArray[np.int64]:
    """Average-link cluster labels of unit-combined vectors at `settings.threshold`."""
    n = len(vectors)
    if n <= 1:
        return np.zeros(n, dtype=np.int64)
    if n <= settings.exact_limit:
        return _exact(vectors, settings.threshold)
    idx, sims = neighbours(vectors, settings.neighbours)
    return graph.average_link(idx, sims, settings.threshold)


_PROJECTED = 128  # dimensions of the candidate search
_PROBES = 8  # cells each ticket is compared with


def neighbours(vectors: Matrix, k: int) -> tuple[npt.NDArray[np.int64], Matrix]:
    """Each ticket's `k` most similar tickets (-1 where there are fewer candidates), fast.

    An inverted-file search: the vectors are projected on their 128 principal components,
    k-means puts them in about sqrt(n) cells, and each ticket is compared, with its full
    vector, only with the tickets of its cell and of the cells nearest to it (`_PROBES` in all).
    Similar tickets share a cell or lie in neighbouring ones; the rare neighbour elsewhere is
    missed, which only leaves that pair out of the graph.
    """
    n = len(vectors)
    rng = np.random.default_rng(0)
    sample = vectors[rng.choice(n, size=min(n, 4000), replace=False)]
    _u, _s, basis = np.linalg.svd(sample, full_matrices=False)
    projected = np.ascontiguousarray(vectors @ basis[:_PROJECTED].T, dtype=np.float32)
    cells = max(1, int(np.sqrt(n)))
    centroids = projected[rng.choice(n, size=cells, replace=False)].copy()
    for _ in range(8):  # k-means (Lloyd), enough to make compact cells
        assign = np.argmax(projected @ centroids.T, axis=1)
        sums = np.zeros_like(centroids)
        np.add.at(sums, assign, projected)
        counts = np.bincount(assign, minlength=cells)[:, None]
        moved = counts[:, 0] > 0
        centroids[moved] = sums[moved] / counts[moved]
        centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    probes = min(_PROBES, cells)
    home = np.argmax(projected @ centroids.T, axis=1)
    members = [np.flatnonzero(home == c) for c in range(cells)]
    # The tickets of a cell are compared with those of the cell and its nearest cells.
    nearby = np.argsort(-(centroids @ centroids.T), axis=1)[:, :probes]
    width = min(k, n - 1)
    idx = np.full((n, width), -1, dtype=np.int64)
    sims = np.zeros((n, width), dtype=np.float32)
    lists = {tuple(nearby[c].tolist()): members[c].tolist() for c in range(cells)
             if len(members[c])}
    for probe, rows_list in lists.items():
        pool = np.concatenate([members[c] for c in probe])
        rows = np.asarray(rows_list)
        part = vectors[rows] @ vectors[pool].T
        part[pool[None, :] == rows[:, None]] = -np.inf
        take = min(width, len(pool))
        if take <= 0:
            continue
        top = np.argpartition(-part, take - 1, axis=1)[:, :take] if take < len(pool) \
            else np.tile(np.arange(len(pool)), (len(rows), 1))
        top_sims = np.take_along_axis(part, top, axis=1)
        order = np.argsort(-top_sims, axis=1)
        found = np.take_along_axis(top_sims, order, axis=1)
        chosen = pool[np.take_along_axis(top, order, axis=1)]
        chosen[~np.isfinite(found)] = -1
        idx[rows, :take] = chosen
        sims[rows, :take] = np.where(np.isfinite(found), found, 0.0)
    return idx, sims


def _exact(vectors: Matrix, threshold: float) -> npt.NDArray[np.int64]:
    from scipy.cluster.hierarchy import fcluster, linkage  # noqa: PLC0415

    n = len(vectors)
    condensed = np.empty(n * (n - 1) // 2, dtype=np.float64)
    at = 0
    block = 512
    for start in range(0, n - 1, block):  # a block of rows at a time, never the n x n matrix
        part = 1.0 - vectors[start:start + block] @ vectors.T
        for offset, row in enumerate(part):
            i = start + offset
            tail = row[i + 1:]
            condensed[at:at + len(tail)] = tail
            at += len(tail)
    np.clip(condensed, 0.0, 2.0, out=condensed)
    tree = linkage(condensed, method="average")
    labels = fcluster(tree, t=1.0 - threshold, criterion="distance")
    # Renumber 0..c-1 in order of first member, like cluster.average_link.
    seen: dict[int, int] = {}
    return np.asarray([seen.setdefault(int(x), len(seen)) for x in labels], dtype=np.int64)
