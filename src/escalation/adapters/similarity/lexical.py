"""Lexical features of a ticket's text, TF-IDF weighted over a corpus and sketched densely.

MiniLM knows meaning but reads English only and forgets identifiers (class names, error codes,
product words). The lexical side keeps them, in any script:

- words are the signature terms of `escalation.domain.learnings.text_terms_counted` (NFKC,
  lower case, English stopwords and report boilerplate dropped, light stemming, error codes
  kept, CJK runs as character bigrams), weighted 1 + log(count);
- each Latin word also gives its character 4-grams (with word boundaries), so "timeout" and
  "timeouts", "NameNode" and "namenode's" share most of them; their total weight per word
  equals the word's own;
- each feature is weighted by its inverse document frequency in the corpus at hand (the tickets
  being clustered, or everything indexed): a word every ticket uses says little;
- the weighted bag is hashed (CRC-32, stable across processes, unlike `hash`) into
  `DIMENSIONS` slots with a hashed sign (a count sketch), which keeps inner products unbiased,
  and L2-normalised: the inner product of two sketches approximates the TF-IDF cosine.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from escalation.domain.learnings import text_terms_counted

DIMENSIONS = 512
_GRAM = 4


def features(text: str) -> Counter[str]:  # values are float weights
    """The weighted features of a text (see the module docstring)."""
    out: Counter[str] = Counter()
    for term, count in text_terms_counted(text).items():
        # Counter of floats: typed as Counter[str] (int) by typeshed, used for weights here.
        weight = 1.0 + math.log(count)
        out["w:" + term] += weight  # type: ignore[assignment]
        if term.isascii() and len(term) > _GRAM:
            padded = f"<{term}>"
            grams = [padded[i:i + _GRAM] for i in range(len(padded) - _GRAM + 1)]
            share = weight / len(grams)
            for gram in grams:
                out["c:" + gram] += share  # type: ignore[assignment]
    return out


@lru_cache(maxsize=1 << 18)
def _slot(feature: str) -> tuple[int, float]:
    h = zlib.crc32(feature.encode("utf-8"))
    return h % DIMENSIONS, (1.0 if h & 0x80000000 else -1.0)


class DocumentFrequencies:
    """How many documents of the corpus carry each feature."""

    def __init__(self) -> None:
        self.df: Counter[str] = Counter()
        self.documents = 0

    def add(self, bags: Iterable[Counter[str]]) -> None:
        """Count more documents."""
        for bag in bags:
            self.documents += 1
            self.df.update(bag.keys())

    def idf(self, feature: str) -> float:
        """Smoothed inverse document frequency (unseen features weigh the most)."""
        return math.log((1.0 + self.documents) / (1.0 + self.df.get(feature, 0))) + 1.0


def sketch(bags: Sequence[Counter[str]], df: DocumentFrequencies,
           out: npt.NDArray[np.float32] | None = None) -> npt.NDArray[np.float32]:
    """Unit TF-IDF sketches, one row per bag (an empty bag gives a zero row); written into
    `out` (shape (len(bags), DIMENSIONS), zeros) when given, to spare a copy."""
    if out is None:
        out = np.zeros((len(bags), DIMENSIONS), dtype=np.float32)
    for row, bag in enumerate(bags):
        vector = out[row]
        for feature, weight in bag.items():
            slot, sign = _slot(feature)
            vector[slot] += sign * weight * df.idf(feature)
        norm = float(np.linalg.norm(vector))
        if norm > 0:
            vector /= norm
    return out
