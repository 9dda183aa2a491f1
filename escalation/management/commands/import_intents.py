"""Import intents and example phrases from a CSV file into admin."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from escalation.actions.intents import do_import_intent_examples
from escalation.intent_data import add_csv_arguments, read_labelled_csv


class Command(BaseCommand):
    help = (
        "Import intents and their example phrases from a CSV file. Intents are created by label; "
        "examples already stored are skipped; rows with the --oos-label are left out. "
        "Run train_intents afterwards to train on them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_csv_arguments(parser, csv_required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        data = read_labelled_csv(options["csv"], options["text_column"], options["label_column"])
        intents, examples = do_import_intent_examples(
            data.texts, data.labels, skip_label=options["oos_label"], acting_user=None
        )
        self.stdout.write(f"{intents} intents and {examples} examples created from {len(data.texts)} rows.")
