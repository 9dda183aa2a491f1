"""Train the desk's intent classifier from a CSV file or from the intents in admin."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalation import intents
from escalation.intent_data import LabelledTexts, add_csv_arguments, read_labelled_csv


class Command(BaseCommand):
    help = (
        "Train the intent classifier and save it where the desk loads it (DATA_DIR/models/intents/). "
        "Without --csv it trains on the active intents' examples in admin."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_csv_arguments(parser, csv_required=False)
        parser.add_argument("--output", type=Path, default=None, help="Save the model here instead of the data folder.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["csv"] is not None:
            data = read_labelled_csv(options["csv"], options["text_column"], options["label_column"])
        else:
            texts, labels = intents.examples_from_admin()
            data = LabelledTexts(texts, labels)
        if len(set(data.labels) - {options["oos_label"]}) < 2:
            raise CommandError("Training needs examples of at least two intents; add intents and examples first.")

        model = intents.new_classifier()
        started = time.perf_counter()
        stats = model.fit(data.texts, data.labels, oos_label=options["oos_label"])
        train_seconds = time.perf_counter() - started
        if options["output"] is not None:
            options["output"].parent.mkdir(parents=True, exist_ok=True)
            model.save(options["output"])
            path = options["output"]
        else:
            path = intents.save_model(model)
        summary = {
            "examples": len(data.texts),
            "intents": len(set(data.labels) - {options["oos_label"]}),
            "train_seconds": round(train_seconds, 2),
            "model": str(path),
            **{key: value for key, value in (stats or {}).items() if isinstance(value, int | float | str)},
        }
        self.stdout.write(json.dumps(summary))
