"""Fit the Tier 0 confidence calibration on questions that the evaluation never sees.

The Bitext training file is split per intent (as bench/split_bitext.py does, same seed) and
only its training part is used here: 75% of it become the articles' example questions, 25%
the questions to calibrate on. CLINC150's out-of-scope training and validation questions are added as
questions that no article answers. For each question the real retrieval runs, and a
logistic regression maps its confidence features to P(the top article is the right one).

Usage (from the repository root, on an empty data folder):
    SUPPORTDESK_DATA_DIR=$(mktemp -d) python bench/calibrate_tier0.py [--shared ../shared/data]
Prints the fitted weights and intercept as JSON, to copy into knowledge/retrieval.py.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")
os.environ["SUPPORTDESK_TASKS_SYNC"] = "1"
os.environ.setdefault("SUPPORTDESK_LOG_LEVEL", "WARNING")


def split_rows(
    rows: list[dict[str, str]], share: float, seed: int
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    by_intent: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        by_intent[row["intent"]].append(row)
    generator = random.Random(seed)
    kept: list[dict[str, str]] = []
    held: list[dict[str, str]] = []
    for intent in sorted(by_intent):
        group = by_intent[intent]
        generator.shuffle(group)
        cut = round(len(group) * share)
        held.extend(group[:cut])
        kept.extend(group[cut:])
    return kept, held


def main() -> None:
    parser = argparse.ArgumentParser(description="Fit the Tier 0 confidence calibration.")
    parser.add_argument("--shared", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    parser.add_argument("--oos", type=int, default=600, help="CLINC150 out-of-scope questions to add")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from sklearn.linear_model import LogisticRegression

    from escalation.management.commands.evaluate_tier0 import DEFAULT_HUMAN_INTENTS, build_items
    from knowledge.actions import do_import_items
    from knowledge.retrieval import search

    call_command("migrate", verbosity=0)
    with (args.shared / "bitext_customer_support" / "train.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    training_part, _evaluation_part = split_rows(rows, 0.2, seed=7)
    examples, questions = split_rows(training_part, 0.25, seed=11)
    do_import_items(build_items(examples, examples, set(DEFAULT_HUMAN_INTENTS.split(","))), acting_user=None)

    clinc = json.loads((args.shared / "clinc150" / "data_full_train_val.json").read_text(encoding="utf-8"))
    out_of_scope = [text for text, _label in clinc["oos_train"] + clinc["oos_val"]][: args.oos]

    features = []
    labels = []
    for text, intent in [(row["instruction"], row["intent"]) for row in questions] + [
        (text, "") for text in out_of_scope
    ]:
        result = search(text)
        top = result.top
        features.append(result.confidence_features)
        labels.append(int(top is not None and top.info.category == intent))

    model = LogisticRegression().fit(np.array(features), np.array(labels))
    probabilities = model.predict_proba(np.array(features))[:, 1]
    in_scope = np.array([1] * len(questions) + [0] * len(out_of_scope), dtype=bool)
    correct = np.array(labels, dtype=bool)
    answered = probabilities >= 0.5
    print(
        json.dumps(
            {
                "weights": [round(float(weight), 2) for weight in model.coef_[0]],
                "intercept": round(float(model.intercept_[0]), 2),
                "calibration_questions": int(in_scope.sum()),
                "out_of_scope_questions": int((~in_scope).sum()),
                "top1_in_scope": round(float(correct[in_scope].mean()), 4),
                "right_and_answered_at_0.5": round(float((correct & answered)[in_scope].mean()), 4),
                "out_of_scope_answered_at_0.5": round(float(answered[~in_scope].mean()), 4),
            }
        )
    )


if __name__ == "__main__":
    main()
