"""Train and evaluate the intent classifier on the public intent datasets, one JSON line each.

Usage: python bench/intents_bench.py [--data-dir DIR] [--datasets banking77 clinc150 ...] [--seed 0]

Datasets and splits:
- banking77: stratified 80% of train.csv for training, the other 20% for evaluation.
- clinc150: train plus oos_train (as out-of-scope rows), evaluated on val plus oos_val.
- arbanking77: Modern Standard Arabic rows only, train file for training, val file for evaluation.
- bitext: stratified 80/20 of train.csv (instruction -> intent).
train_seconds covers the whole fit, sentence embeddings and cross-validated calibration included.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sklearn.model_selection import train_test_split

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from copilot.intent_model import IntentClassifier, IntentModelConfig  # noqa: E402

logger = logging.getLogger("intents_bench")

DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
CLINC_OOS_LABEL = "oos"

# Frequent Levantine function words that Modern Standard Arabic does not use.
LEVANTINE_MARKERS = re.compile(
    r"(?:^|\s)(?:شو|ايش|إيش|بدي|بدك|بقدر|لسا|لساتها|هسا|هلا|ليش|وين|اديش|قديش|مش|هيك|عشان|منيح)(?=\s|$|[؟?.,،!])"
)
# Share of rows with a Levantine marker above which a block of the ArBanking77 file is dialect.
DIALECT_BLOCK_SHARE = 0.1


@dataclass
class Split:
    """Training and evaluation rows of one dataset."""

    train_texts: list[str]
    train_labels: list[str]
    test_texts: list[str]
    test_labels: list[str]
    oos_label: str | None = None


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def stratified_split(texts: list[str], labels: list[str], seed: int) -> Split:
    """Hold out 20% of each label for evaluation."""
    train_texts, test_texts, train_labels, test_labels = train_test_split(
        texts, labels, test_size=0.2, stratify=labels, random_state=seed
    )
    return Split(list(train_texts), list(train_labels), list(test_texts), list(test_labels))


def load_banking77(data_dir: Path, seed: int) -> Split:
    rows = read_csv(data_dir / "banking77" / "train.csv")
    return stratified_split([row["text"] for row in rows], [row["category"] for row in rows], seed)


def load_bitext(data_dir: Path, seed: int) -> Split:
    rows = read_csv(data_dir / "bitext_customer_support" / "train.csv")
    return stratified_split([row["instruction"] for row in rows], [row["intent"] for row in rows], seed)


def load_clinc150(data_dir: Path, seed: int) -> Split:
    with (data_dir / "clinc150" / "data_full_train_val.json").open(encoding="utf-8") as handle:
        data = json.load(handle)
    train = data["train"] + data["oos_train"]
    test = data["val"] + data["oos_val"]
    return Split(
        [text for text, _ in train],
        [label for _, label in train],
        [text for text, _ in test],
        [label for _, label in test],
        oos_label=CLINC_OOS_LABEL,
    )


def label_order_blocks(labels: list[str], label_order: dict[str, int]) -> list[tuple[int, int]]:
    """Cut rows into blocks that each walk once through the intents in catalogue order.

    Each (start, end) block ends where the intent's catalogue position falls back.
    """
    blocks: list[tuple[int, int]] = []
    start = 0
    for row in range(1, len(labels)):
        if label_order[labels[row]] < label_order[labels[row - 1]]:
            blocks.append((start, row))
            start = row
    blocks.append((start, len(labels)))
    return blocks


def msa_rows(rows: list[dict[str, str]], label_order: dict[str, int]) -> list[dict[str, str]]:
    """Keep the Modern Standard Arabic rows of an ArBanking77 file.

    The files have no dialect column. They list MSA rows first and Palestinian rows after,
    each part as passes through the intents in catalogue order. A pass counts as dialect
    when more than DIALECT_BLOCK_SHARE of its rows contain a Levantine function word
    (about 50% of the rows of the Palestinian passes do, against under 1% of the MSA ones).
    """
    labels = [row["label"] for row in rows]
    msa: list[dict[str, str]] = []
    for start, end in label_order_blocks(labels, label_order):
        block = rows[start:end]
        dialect_share = sum(1 for row in block if LEVANTINE_MARKERS.search(row["text"])) / len(block)
        is_dialect = dialect_share > DIALECT_BLOCK_SHARE
        logger.info(
            "arbanking77 block rows=%s-%s dialect_share=%.3f is_msa=%s", start, end, dialect_share, not is_dialect
        )
        if not is_dialect:
            msa.extend(block)
    return msa


def load_arbanking77(data_dir: Path, seed: int) -> Split:
    folder = data_dir / "arbanking77"
    catalogue = read_csv(folder / "Banking77_intents.csv")
    label_order = {row["label_ar"]: position for position, row in enumerate(catalogue)}
    train = msa_rows(read_csv(folder / "Banking77_Arabized_MSA_PAL_train.csv"), label_order)
    test = msa_rows(read_csv(folder / "Banking77_Arabized_MSA_PAL_val.csv"), label_order)
    return Split(
        [row["text"] for row in train],
        [row["label"] for row in train],
        [row["text"] for row in test],
        [row["label"] for row in test],
    )


LOADERS: dict[str, Callable[[Path, int], Split]] = {
    "banking77": load_banking77,
    "clinc150": load_clinc150,
    "arbanking77": load_arbanking77,
    "bitext": load_bitext,
}


def run_dataset(name: str, split: Split, config: IntentModelConfig, save_dir: Path | None) -> dict[str, object]:
    """Train on the split's training rows and measure on its evaluation rows."""
    classifier = IntentClassifier(config)
    training = classifier.fit(split.train_texts, split.train_labels, oos_label=split.oos_label)
    if save_dir is not None:
        save_dir.mkdir(parents=True, exist_ok=True)
        path = save_dir / f"{name}.npz"
        classifier.save(path)
        classifier = IntentClassifier.load(path)
    metrics = classifier.evaluate(split.test_texts, split.test_labels, oos_label=split.oos_label)
    return {
        "dataset": name,
        "train_rows": len(split.train_texts),
        "test_rows": len(split.test_texts),
        "classes": training["classes"],
        "accuracy": round(metrics["accuracy"], 4),
        "macro_f1": round(metrics["macro_f1"], 4),
        "in_scope_accuracy": round(metrics["in_scope_accuracy"], 4),
        "oos_recall": None if metrics["oos_recall"] is None else round(metrics["oos_recall"], 4),
        "unknown_rate": round(metrics["unknown_rate"], 4),
        "calibration_error": round(metrics["expected_calibration_error"], 4),
        "train_seconds": training["seconds"],
        "embed_seconds": training["embed_seconds"],
        "queries_per_second": metrics["queries_per_second"],
        "threshold": training["threshold"],
        "cv_accuracy": training.get("cv_accuracy_without_threshold"),
        "cv_oos_recall": training.get("cv_oos_recall"),
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="folder holding one folder per dataset")
    parser.add_argument("--datasets", nargs="+", choices=sorted(LOADERS), default=list(LOADERS), help="datasets to run")
    parser.add_argument("--seed", type=int, default=0, help="seed of the stratified 80/20 splits")
    parser.add_argument("--n-jobs", type=int, default=2, help="threads for the cross-validation folds")
    parser.add_argument("--save-dir", type=Path, help="save each model here and evaluate the reloaded copy")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stderr)
    if not args.data_dir.is_dir():
        raise SystemExit(f"data folder not found: {args.data_dir}. Pass --data-dir with the folder of the datasets")
    config = IntentModelConfig(n_jobs=args.n_jobs)
    for name in args.datasets:
        split = LOADERS[name](args.data_dir, args.seed)
        print(json.dumps(run_dataset(name, split, config, args.save_dir), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
