"""Group unit vectors into clusters: average link over a k-nearest-neighbour graph.

Exact average-link clustering needs every pairwise similarity (50,000 tickets: 1.25 billion
pairs). We keep only each ticket's `k` most similar tickets (`nearest`, a blocked matrix
product, or the faster `engine.neighbours`), then merge clusters greedily, most similar pair
first. The similarity of two clusters is the mean over all pairs between them, and the pairs
the graph does not hold count as unrelated (0). (Ignoring them instead, as
connectivity-constrained average linkage does, chains large groups together: on banking77 it
merged nearly everything.) Merging stops when no pair of clusters is at least `threshold`
similar. Only pairs above the threshold ever enter the heap: merging two clusters averages
their similarities to a third, so a pair below the threshold can only rise above it through a
pair that was already above it.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float32]


def nearest(vectors: Matrix, k: int, block: int = 1024,
            others: Matrix | None = None) -> tuple[npt.NDArray[np.int64], Matrix]:
    """For each row of `vectors`, the `k` most similar rows of `others` (default: itself).

    Returns (indexes, similarities), each of shape (n, k), best first. A row is never its own
    neighbour when `others` is `vectors`. Exhaustive: `engine.neighbours` is the fast way for
    tens of thousands of rows.
    """
    pool = vectors if others is None else others
    n, m = len(vectors), len(pool)
    k = max(0, min(k, m - (1 if others is None else 0)))
    idx = np.zeros((n, k), dtype=np.int64)
    sims = np.zeros((n, k), dtype=np.float32)
    if k == 0:
        return idx, sims
    for start in range(0, n, block):
        part = vectors[start:start + block] @ pool.T
        if others is None:
            rows = np.arange(part.shape[0])
            part[rows, rows + start] = -np.inf
        top = np.argpartition(-part, k - 1, axis=1)[:, :k]
        top_sims = np.take_along_axis(part, top, axis=1)
        order = np.argsort(-top_sims, axis=1)
        idx[start:start + block] = np.take_along_axis(top, order, axis=1)
        sims[start:start + block] = np.take_along_axis(top_sims, order, axis=1)
    return idx, sims


def average_link(neighbours: npt.NDArray[np.int64], similarities: Matrix,
                 threshold: float) -> npt.NDArray[np.int64]:
    """Cluster labels (0..c-1, in order of first member) from a k-nearest-neighbour graph."""
    n = len(neighbours)
    # links[c] = {d: [sum of known similarities]} between clusters c and d (shared list).
    links: list[dict[int, list[float]]] = [{} for _ in range(n)]
    for i in range(n):
        for j, s in zip(neighbours[i].tolist(), similarities[i].tolist(), strict=True):
            if j == i or j < 0:
                continue
            a, b = (i, j) if i < j else (j, i)
            pair = links[a].get(b)
            if pair is None:  # i and j may list each other: count the pair once
                links[a][b] = links[b][a] = [s]
    size = [1] * n
    parent = list(range(n))
    alive = [True] * n
    heap = [(-pair[0], a, b) for a in range(n) for b, pair in links[a].items()
            if a < b and pair[0] >= threshold]
    heapq.heapify(heap)
    while heap:
        neg, a, b = heapq.heappop(heap)
        if not (alive[a] and alive[b]):
            continue
        pair = links[a].get(b)
        if pair is None or abs(pair[0] / (size[a] * size[b]) + neg) > 1e-9:
            continue  # stale entry: the pair's average changed since it was pushed
        # Merge the smaller neighbour map into the larger one.
        if len(links[a]) < len(links[b]):
            a, b = b, a
        alive[b] = False
        parent[b] = a
        size[a] += size[b]
        del links[a][b]
        for c, (s_bc,) in links[b].items():
            if c == a:
                continue
            del links[c][b]
            mine = links[a].get(c)
            if mine is None:
                mine = [0.0]
                links[a][c] = links[c][a] = mine
            mine[0] += s_bc
        links[b] = {}
        for c, (s_ac,) in links[a].items():
            avg = s_ac / (size[a] * size[c])
            if avg >= threshold:
                heapq.heappush(heap, (-avg, min(a, c), max(a, c)))
    return _labels(parent)


def _root(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _labels(parent: list[int]) -> npt.NDArray[np.int64]:
    labels = np.empty(len(parent), dtype=np.int64)
    seen: dict[int, int] = {}
    for i in range(len(parent)):
        root = _root(parent, i)
        labels[i] = seen.setdefault(root, len(seen))
    return labels


def groups(labels: npt.NDArray[np.int64]) -> Iterator[list[int]]:
    """Row indexes per cluster, clusters of two or more only, in order of first member."""
    members: dict[int, list[int]] = {}
    for i, label in enumerate(labels.tolist()):
        members.setdefault(label, []).append(i)
    return (rows for rows in members.values() if len(rows) > 1)
