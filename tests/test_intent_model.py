"""The intent classifier's English encoder block, its saved format, and failures on the routing path."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from pytest_django.fixtures import Settings

from copilot.english_encoder import (
    ENGLISH_DIMENSIONS,
    EnglishEncoderUnavailable,
    embed_english,
    embed_latin_script,
    is_mostly_latin,
)
from copilot.intent_model import IntentClassifier, IntentModelConfig
from escalation import intents

ROWS = {
    "lost_card": ["I lost my card", "my card is gone", "I can't find my bank card", "someone stole my card"],
    "exchange_rate": [
        "what is the exchange rate",
        "how much is a dollar in euros",
        "which rate do you use for pounds",
        "currency conversion rate today",
    ],
    "refund": ["I want my money back", "how do I get a refund", "refund my purchase", "return the payment to me"],
}
TEXTS = [text for rows in ROWS.values() for text in rows]
LABELS = [label for label, rows in ROWS.items() for _ in rows]


def test_english_encoder_offline_similarity() -> None:
    vectors = embed_english(["my card was stolen", "someone took my bank card", "what is the euro exchange rate"])

    assert vectors.shape == (3, ENGLISH_DIMENSIONS)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    paraphrase, unrelated = float(vectors[0] @ vectors[1]), float(vectors[0] @ vectors[2])
    assert paraphrase > 0.5
    assert unrelated < 0.5
    assert embed_english([]).shape == (0, ENGLISH_DIMENSIONS)


def test_saved_model_predicts_as_before(tmp_path: Path) -> None:
    model = IntentClassifier()
    stats = model.fit(TEXTS, LABELS)
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = IntentClassifier.load(path)

    questions = ["my card has been stolen", "dollar to euro rate", "give me a refund"]
    # The word and character vocabularies come on top of the 512 + 384 embedding columns.
    assert stats["features"] > 512 + ENGLISH_DIMENSIONS
    assert loaded.predict(questions) == ["lost_card", "exchange_rate", "refund"]
    np.testing.assert_allclose(loaded.predict_proba(questions), model.predict_proba(questions), rtol=1e-5)


def test_english_block_switched_off() -> None:
    def fail_if_called(texts: Sequence[str]) -> np.ndarray:
        raise AssertionError("the English encoder was called although switched off")

    with_block = IntentClassifier().fit(TEXTS, LABELS)
    without = IntentClassifier(IntentModelConfig(use_english_embeddings=False), english_embedder=fail_if_called)

    assert without.fit(TEXTS, LABELS)["features"] == with_block["features"] - ENGLISH_DIMENSIONS
    assert without.predict(["I lost my card"]) == ["lost_card"]


def test_old_format_rejected(tmp_path: Path) -> None:
    model = IntentClassifier(IntentModelConfig(use_english_embeddings=False))
    model.fit(TEXTS, LABELS)
    path = tmp_path / "model.npz"
    model.save(path)
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    metadata = json.loads(str(arrays["metadata"]))
    metadata["format_version"] = 1
    arrays["metadata"] = np.array(json.dumps(metadata))
    old = tmp_path / "old.npz"
    with old.open("wb") as handle:
        np.savez(handle, **arrays)

    with pytest.raises(ValueError, match="unsupported intent model format 1 .* retrain"):
        IntentClassifier.load(old)


@pytest.fixture
def data_dir(tmp_path: Path, settings: Settings) -> Iterator[Path]:
    settings.DATA_DIR = tmp_path
    intents.forget_model()
    yield tmp_path
    intents.forget_model()


def test_unreadable_model_routes_without_intent(data_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    intents.model_path().parent.mkdir(parents=True)
    intents.model_path().write_bytes(b"not an archive")

    assert intents.predict_intent("I lost my card") == intents.IntentPrediction("", None)
    assert "intent model unusable" in caplog.text


def test_failing_encoder_routes_without_intent(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def unavailable(texts: Sequence[str]) -> np.ndarray:
        raise EnglishEncoderUnavailable("the English sentence encoder cannot be imported")

    model = IntentClassifier()
    model.fit(TEXTS, LABELS)
    intents.save_model(model)
    assert intents.predict_intent("I lost my card").intent == "lost_card"

    loaded = intents.load_model()
    assert loaded is not None
    monkeypatch.setattr(loaded, "_english_embedder", unavailable)

    assert intents.predict_intent("I lost my card") == intents.IntentPrediction("", None)
    assert "intent prediction failed" in caplog.text


def test_non_latin_texts_get_zeros() -> None:
    vectors = embed_latin_script(["I lost my card", "فقدت بطاقتي", "12345", "card بطاقة بطاقة"])

    assert is_mostly_latin("Où est ma carte ?")
    assert not is_mostly_latin("فقدت بطاقتي")
    assert not is_mostly_latin("12345")
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), [1.0, 0.0, 0.0, 0.0], atol=1e-5)
