"""Write the intent datasets' training and evaluation splits as CSV files for the commands.

Usage: python bench/intent_csvs.py --out DIR [--data-dir DIR] [--seed 0]

The splits are those of bench/intents_bench.py, so `manage.py evaluate_intents` and the
classifier benchmark measure the same rows. Each dataset gets DIR/<name>/train.csv and
DIR/<name>/eval.csv with the columns text and label; CLINC150's out-of-scope rows keep the
label "oos".
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from intents_bench import DEFAULT_DATA_DIR, LOADERS  # noqa: E402


def write_rows(path: Path, texts: list[str], labels: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(zip(texts, labels, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write one folder per dataset into")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="folder holding one folder per dataset")
    parser.add_argument("--seed", type=int, default=0, help="seed of the stratified 80/20 splits")
    args = parser.parse_args()
    for name, loader in LOADERS.items():
        split = loader(args.data_dir, args.seed)
        write_rows(args.out / name / "train.csv", split.train_texts, split.train_labels)
        write_rows(args.out / name / "eval.csv", split.test_texts, split.test_labels)
        print(f"{name}: {len(split.train_texts)} training rows, {len(split.test_texts)} evaluation rows")


if __name__ == "__main__":
    main()
