"""Train the desk's intent classifier from a CSV file or from the intents in admin."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalation import intents
from escalation.intent_data import (
    LabelledTexts,
    add_csv_arguments,
    check_oos_label,
    check_training_labels,
    database_name,
    intent_tables_exist,
    read_labelled_csv,
)

ADMIN_SOURCE = "admin (active intents with examples)"


class Command(BaseCommand):
    help = (
        "Train the intent classifier and save it where the desk loads it (DATA_DIR/models/intents/). "
        "Without --csv it trains on the active intents' examples in admin."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_csv_arguments(parser, csv_required=False)
        parser.add_argument("--output", type=Path, default=None, help="Save the model here instead of the data folder.")

    def handle(self, *args: Any, **options: Any) -> None:
        data = self.read_examples(options)

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

    def read_examples(self, options: dict[str, Any]) -> LabelledTexts:
        """Read the training rows from --csv or admin, and check their labels before the slow fit."""
        oos_label = options["oos_label"]
        if options["csv"] is not None:
            data = read_labelled_csv(options["csv"], options["text_column"], options["label_column"])
            source = str(options["csv"])
            fix = "Add rows of another intent, or name the intent column with --label-column."
        else:
            if not intent_tables_exist():
                raise CommandError(
                    f"The database {database_name()} has no intent tables yet, so there are no intents to train on. "
                    "Import intents with `manage.py import_intents --csv FILE`, or run `manage.py migrate` and "
                    "add them in admin, or pass --csv to train from a file."
                )
            texts, labels = intents.examples_from_admin()
            data = LabelledTexts(texts, labels)
            source = ADMIN_SOURCE
            fix = "Add intents with examples in admin or with import_intents, or pass --csv to train from a file."

        warning = check_oos_label(oos_label, set(data.labels), source)
        if warning is not None:
            self.stderr.write(warning)
        check_training_labels(data.labels, oos_label, source, fix)
        return data
