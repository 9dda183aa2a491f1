"""The trained intent model of this desk: where it is kept, training it, and predicting with it.

The classifier itself is `copilot.intent_model.IntentClassifier`. This module keeps one
trained model per desk under DATA_DIR/models/intents/ and reloads it when the file changes,
so a `train_intents` run reaches daphne and the q2 cluster without a restart.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from escalation.models import Intent, IntentExample

logger = logging.getLogger(__name__)

UNKNOWN = "unknown"

_cache: dict[str, Any] = {"mtime": None, "model": None}
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class IntentPrediction:
    # An intent name, or "unknown" for an out-of-scope message; "" when no model is trained.
    intent: str
    confidence: float | None


def model_dir() -> Path:
    return Path(settings.DATA_DIR) / "models" / "intents"


def model_path() -> Path:
    return model_dir() / "model.npz"


def new_classifier() -> Any:
    from copilot.intent_model import IntentClassifier

    return IntentClassifier()


def load_model() -> Any | None:
    """Return the trained classifier, reloading it when the file changed; None when untrained."""
    path = model_path()
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return None
    with _cache_lock:
        if _cache["mtime"] != mtime:
            from copilot.intent_model import IntentClassifier

            started = time.perf_counter()
            _cache["mtime"] = mtime
            try:
                _cache["model"] = IntentClassifier.load(path)
            except (ValueError, OSError, KeyError) as error:
                # An unreadable or older-format file routes as if no model were trained,
                # until `train_intents` writes a new one; the mtime keeps it from rereading.
                _cache["model"] = None
                logger.error("intent model unusable path=%s error=%s; run train_intents to replace it", path, error)
                return None
            logger.info("intent model loaded path=%s ms=%.0f", path, (time.perf_counter() - started) * 1000)
        return _cache["model"]


def forget_model() -> None:
    with _cache_lock:
        _cache["mtime"] = None
        _cache["model"] = None


def predict_intent(text: str) -> IntentPrediction:
    model = load_model()
    if model is None:
        return IntentPrediction("", None)
    try:
        label, confidence = model.predict_with_scores([text])[0]
    except (RuntimeError, OSError, MemoryError) as error:
        # An encoder that fails to load must not stop the message: routing goes on without an intent.
        logger.error("intent prediction failed error=%r", error)
        return IntentPrediction("", None)
    return IntentPrediction(str(label), float(confidence))


def save_model(model: Any) -> Path:
    """Write the model beside the current one, then rename it into place atomically."""
    path = model_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    model.save(temporary)
    temporary.replace(path)
    logger.info("intent model saved path=%s classes=%s", path, len(model.classes))
    forget_model()
    return path


def examples_from_admin() -> tuple[list[str], list[str]]:
    """Return the texts and labels of every active intent's examples."""
    rows = IntentExample.objects.filter(intent__active=True).values_list("text", "intent__name").order_by("id")
    texts = [text for text, _name in rows]
    labels = [name for _text, name in rows]
    return texts, labels


def is_human_only(intent: str) -> bool:
    return bool(intent) and Intent.objects.filter(name=intent, active=True, human_only=True).exists()
