"""Compare retrieval variants on Bitext: how often each ranks the right article first.

Imports the split made by bench/split_bitext.py (training questions as example questions),
then ranks the evaluation questions with the real retrieval under different weights:
dense only, character n-grams only, both, the re-ranker only, and the default combination.

Usage (from the repository root):
    python bench/split_bitext.py --out /tmp/bitext-split
    SUPPORTDESK_DATA_DIR=$(mktemp -d) .venv/bin/python bench/retrieval_ablation.py --split /tmp/bitext-split
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")
os.environ["SUPPORTDESK_TASKS_SYNC"] = "1"
os.environ.setdefault("SUPPORTDESK_LOG_LEVEL", "WARNING")

# (name, dense weight, re-ranker weight)
VARIANTS = [
    ("dense only", 1.0, 0.0),
    ("character n-grams only", 0.0, 0.0),
    ("dense and character n-grams", 0.5, 0.0),
    ("re-ranker only", 0.5, 1.0),
    ("default: re-ranker and similarity", 0.5, 0.5),
]


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def main() -> None:
    parser = argparse.ArgumentParser(description="Compare retrieval variants on a Bitext split.")
    parser.add_argument(
        "--split", type=Path, default=Path("/tmp/bitext-split"), help="folder with train.csv and eval.csv"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command

    from escalation.management.commands.evaluate_tier0 import DEFAULT_HUMAN_INTENTS, build_items
    from knowledge import retrieval
    from knowledge.actions import do_import_items

    call_command("migrate", verbosity=0)
    train, evaluation = read(args.split / "train.csv"), read(args.split / "eval.csv")
    do_import_items(build_items(evaluation, train, set(DEFAULT_HUMAN_INTENTS.split(","))), acting_user=None)

    for name, dense_weight, rerank_weight in VARIANTS:
        retrieval.DENSE_WEIGHT = dense_weight
        retrieval.RERANK_WEIGHT = rerank_weight
        right = sum(
            1
            for row in evaluation
            if (top := retrieval.search(row["instruction"]).top) is not None and top.info.category == row["intent"]
        )
        print(
            json.dumps(
                {
                    "variant": name,
                    "questions": len(evaluation),
                    "right_article_first": round(right / len(evaluation), 4),
                }
            )
        )


if __name__ == "__main__":
    main()
