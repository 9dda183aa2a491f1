"""Accuracy of the intent classifier on BANKING77 as its training rows grow, one JSON line per size.

Usage: python bench/intents_learning_curve.py [--data-dir DIR] [--seeds 0 1]

The evaluation rows are the 20% of train.csv that bench/intents_bench.py holds out. The model
is trained on 64%, 80% and 100% of the other 80% (stratified subsets, one per seed), so the
slope tells what the rows that the held-out split takes away are worth. A model trained on all
of train.csv has 25% more rows than the largest size here. balanced_accuracy averages the
per-intent accuracies, as a test split with the same number of rows per intent measures them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))

from intents_bench import DEFAULT_DATA_DIR, load_banking77  # noqa: E402

from copilot.english_encoder import embed_latin_script  # noqa: E402
from copilot.intent_model import IntentClassifier  # noqa: E402
from knowledge.embeddings import embed_texts  # noqa: E402

SHARES = (0.64, 0.8, 1.0)


def cached(embed: Callable[[Sequence[str]], np.ndarray], texts: list[str]) -> Callable[[Sequence[str]], np.ndarray]:
    """Embed every text once, so each training size reuses the vectors."""
    vectors = dict(zip(texts, embed(texts), strict=True))
    return lambda batch: np.array([vectors[text] for text in batch])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args()
    split = load_banking77(args.data_dir, seed=0)
    every_text = list(dict.fromkeys(split.train_texts + split.test_texts))
    multilingual = cached(embed_texts, every_text)
    english = cached(embed_latin_script, every_text)
    gold = np.array(split.test_labels)
    for seed in args.seeds:
        for share in SHARES:
            rows = np.arange(len(split.train_texts))
            if share < 1.0:
                rows, _ = train_test_split(rows, train_size=share, stratify=split.train_labels, random_state=seed)
            model = IntentClassifier(embedder=multilingual, english_embedder=english)
            model.fit([split.train_texts[row] for row in rows], [split.train_labels[row] for row in rows])
            predicted = np.array(model.predict(split.test_texts))
            per_intent = [np.mean(predicted[gold == label] == label) for label in np.unique(gold)]
            result = {
                "seed": seed,
                "training_rows": len(rows),
                "accuracy": round(float(np.mean(predicted == gold)), 4),
                "balanced_accuracy": round(float(np.mean(per_intent)), 4),
            }
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
