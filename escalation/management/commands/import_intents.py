"""Import intents and example phrases from a CSV file into admin."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalation.actions.intents import do_import_intent_examples
from escalation.intent_data import (
    add_csv_arguments,
    check_oos_label,
    database_has_tables,
    database_name,
    intent_tables_exist,
    read_labelled_csv,
)


class Command(BaseCommand):
    help = (
        "Import intents and their example phrases from a CSV file. Intents are created by label; "
        "examples already stored are skipped; rows with the --oos-label are left out. "
        "On a data folder with no database tables yet it creates them first. "
        "Run train_intents afterwards to train on them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_csv_arguments(parser, csv_required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        data = read_labelled_csv(options["csv"], options["text_column"], options["label_column"])
        warning = check_oos_label(options["oos_label"], set(data.labels), str(options["csv"]))
        if warning is not None:
            self.stderr.write(warning)
        self.prepare_database()

        intents, examples = do_import_intent_examples(
            data.texts, data.labels, skip_label=options["oos_label"], acting_user=None
        )
        self.stdout.write(f"{intents} intents and {examples} examples created from {len(data.texts)} rows.")

    def prepare_database(self) -> None:
        """Create the tables of a new data folder, as evaluate_tier0 does.

        A database that has tables but not the intent ones is left alone, because migrating it
        here would apply pending migrations to a live desk as a side effect of an import.
        """
        if not database_has_tables():
            call_command("migrate", verbosity=0, interactive=False)
            self.stderr.write(f"Created the database tables in {database_name()}, which had none.")
        elif not intent_tables_exist():
            raise CommandError(
                f"The database {database_name()} has no intent tables. Run `manage.py migrate` and import again."
            )
