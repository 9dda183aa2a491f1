from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from knowledge.actions import do_import_items
from knowledge.importers import parse_source
from supportdesk.errors import InvalidInput


class Command(BaseCommand):
    help = (
        "Import knowledge from Markdown folders (front matter + body), FAQ CSV files "
        "(question, answer, optional category and example_questions) or JSON SOP files shaped "
        "like ABCD's agent guidelines. Articles are matched by external reference, so importing "
        "again updates instead of duplicating. Nothing is written unless every source is valid."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("sources", nargs="+", type=Path, help="Markdown folders, .md, .csv or .json files")
        parser.add_argument("--draft", action="store_true", help="store new versions without publishing them")

    def handle(self, *args: Any, **options: Any) -> None:
        items = []
        try:
            for source in options["sources"]:
                items.extend(parse_source(source))
            summary = do_import_items(items, publish=not options["draft"], acting_user=None)
        except InvalidInput as error:
            raise CommandError(f"{error.message}\nNothing was imported.") from error
        self.stdout.write(
            f"Imported {len(items)} items: {summary.created} created, {summary.updated} updated, {summary.unchanged} unchanged"
            + ("." if options["draft"] else "; indexing is queued for the task cluster.")
        )
