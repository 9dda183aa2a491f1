"""Split the Bitext training CSV per intent into a training part and an evaluation part.

Usage: python bench/split_bitext.py [--source PATH] [--out DIR] [--eval-share 0.2] [--seed 7]
Writes DIR/train.csv and DIR/eval.csv with the source's columns unchanged.
"""

from __future__ import annotations

import argparse
import csv
import random
from collections import defaultdict
from pathlib import Path

DEFAULT_SOURCE = (
    Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "bitext_customer_support" / "train.csv"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=Path("/tmp/bitext-split"))
    parser.add_argument("--eval-share", type=float, default=0.2, help="share of each intent's rows kept for evaluation")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with args.source.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fieldnames = list(reader.fieldnames or [])
        by_intent: dict[str, list[dict[str, str]]] = defaultdict(list)
        for row in reader:
            by_intent[row["intent"]].append(row)

    generator = random.Random(args.seed)
    train: list[dict[str, str]] = []
    evaluation: list[dict[str, str]] = []
    for intent in sorted(by_intent):
        rows = by_intent[intent]
        generator.shuffle(rows)
        cut = round(len(rows) * args.eval_share)
        evaluation.extend(rows[:cut])
        train.extend(rows[cut:])

    args.out.mkdir(parents=True, exist_ok=True)
    for name, rows in (("train.csv", train), ("eval.csv", evaluation)):
        with (args.out / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fieldnames)
            writer.writeheader()
            writer.writerows(rows)
    print(f"{len(train)} training rows and {len(evaluation)} evaluation rows in {args.out}")  # noqa: T201


if __name__ == "__main__":
    main()
