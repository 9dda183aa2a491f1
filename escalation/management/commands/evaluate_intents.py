"""Measure the intent classifier on a labelled CSV, after training it on a given CSV or a held-out split."""

from __future__ import annotations

import json
import random
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalation import intents
from escalation.intent_data import (
    LabelledTexts,
    add_csv_arguments,
    check_oos_label,
    check_training_labels,
    read_labelled_csv,
)

RESULT_KEYS = ("accuracy", "macro_f1", "in_scope_accuracy", "oos_recall", "queries_per_second")


def stratified_split(data: LabelledTexts, share: float, seed: int) -> tuple[LabelledTexts, LabelledTexts]:
    """Hold out `share` of each label's rows (at least one when a label has two or more)."""
    by_label: dict[str, list[str]] = defaultdict(list)
    for text, label in zip(data.texts, data.labels, strict=True):
        by_label[label].append(text)
    shuffler = random.Random(seed)  # noqa: S311 - a reproducible split, not a secret
    train, held_out = LabelledTexts([], []), LabelledTexts([], [])
    for label in sorted(by_label):
        texts = by_label[label]
        shuffler.shuffle(texts)
        count = max(1, round(len(texts) * share)) if len(texts) > 1 else 0
        for part, chunk in ((held_out, texts[:count]), (train, texts[count:])):
            part.texts.extend(chunk)
            part.labels.extend([label] * len(chunk))
    return train, held_out


class Command(BaseCommand):
    help = (
        "Evaluate intent detection on --csv. With --train FILE a model is trained on that file first; "
        "with --holdout SHARE it is trained on the rest of --csv; otherwise the desk's saved model is used. "
        "Prints accuracy, macro-F1, in-scope accuracy, out-of-scope recall, training time and queries per "
        "second as one JSON line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_csv_arguments(parser, csv_required=True)
        parser.add_argument("--train", type=Path, default=None, help="CSV to train on first, with the same columns.")
        parser.add_argument(
            "--holdout",
            type=float,
            default=None,
            help="Share of each intent's rows of --csv (0 to 1) to evaluate on, training on the rest.",
        )
        parser.add_argument("--seed", type=int, default=13, help="Seed of the --holdout split (default: 13).")

    def handle(self, *args: Any, **options: Any) -> None:
        data = read_labelled_csv(options["csv"], options["text_column"], options["label_column"])
        oos_label = options["oos_label"]
        if options["train"] is not None and options["holdout"] is not None:
            raise CommandError("Use --train or --holdout, not both.")

        train: LabelledTexts | None = None
        evaluation = data
        if options["train"] is not None:
            train = read_labelled_csv(options["train"], options["text_column"], options["label_column"])
        elif options["holdout"] is not None:
            if not 0 < options["holdout"] < 1:
                raise CommandError(f"--holdout {options['holdout']} is out of range; use a share such as 0.2.")
            train, evaluation = stratified_split(data, options["holdout"], options["seed"])

        self.check_labels(options, train, evaluation)
        train_seconds = None
        if train is not None:
            model = intents.new_classifier()
            started = time.perf_counter()
            model.fit(train.texts, train.labels, oos_label=oos_label)
            train_seconds = round(time.perf_counter() - started, 2)
        else:
            model = intents.load_model()
            if model is None:
                raise CommandError(
                    "No trained intent model in this data folder; run train_intents first, or pass --train or --holdout."
                )

        metrics = model.evaluate(evaluation.texts, evaluation.labels, oos_label=oos_label)
        has_oos = oos_label is not None and oos_label in evaluation.labels
        result: dict[str, Any] = {key: metrics.get(key) for key in RESULT_KEYS}
        if not has_oos:
            result["oos_recall"] = None
        result["train_seconds"] = train_seconds
        result["train_examples"] = len(train.texts) if train is not None else None
        result["eval_examples"] = len(evaluation.texts)
        for key, value in result.items():
            if isinstance(value, float):
                result[key] = round(value, 4)
        self.stdout.write(json.dumps(result))

    def check_labels(self, options: dict[str, Any], train: LabelledTexts | None, evaluation: LabelledTexts) -> None:
        """Check --oos-label against every row read, and the training rows' intents, before the slow fit."""
        oos_label = options["oos_label"]
        if options["train"] is not None:
            source = f"{options['train']} or {options['csv']}"
        else:
            source = str(options["csv"])
        labels = set(evaluation.labels) | set(train.labels if train is not None else [])
        warning = check_oos_label(oos_label, labels, source)
        if warning is not None:
            self.stderr.write(warning)

        if train is not None:
            fix = "Add rows of another intent, or name the intent column with --label-column."
            check_training_labels(train.labels, oos_label, str(options["train"] or options["csv"]), fix)
