from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from knowledge.actions import do_run_import
from supportdesk.errors import InvalidInput


class Command(BaseCommand):
    help = (
        "Import knowledge from Markdown or HTML folders, Slack channel exports, FAQ CSV files "
        "(question, answer, optional category and example_questions), Bitext-format CSV files "
        "(instruction, intent, response) or JSON SOP files shaped like ABCD's agent guidelines. "
        "Articles are matched by external reference, so importing again updates instead of "
        "duplicating. A structural error stops the import with nothing written; an item that "
        "alone is bad is rejected, listed, and the others are imported. Every run is recorded "
        "as an import run in admin. Exits with an error when anything was rejected."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "sources",
            nargs="+",
            type=Path,
            help="folders (Markdown, HTML, Slack export), .md, .html, .csv or .json files",
        )
        parser.add_argument("--draft", action="store_true", help="store new versions without publishing them")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = do_run_import(options["sources"], publish=not options["draft"], acting_user=None)
        except InvalidInput as error:
            raise CommandError(f"{error.message}\nNothing was imported.") from error
        total = run.created + run.updated + run.unchanged
        self.stdout.write(
            f"Import run {run.pk}: {total} items imported ({run.created} created, {run.updated} updated, "
            f"{run.unchanged} unchanged), {run.rejected} rejected"
            + ("." if options["draft"] else "; indexing is queued for the task cluster.")
        )
        if run.rejected:
            lines = [f"{rejection.source}: {rejection.reason}" for rejection in run.rejections.all()]
            raise CommandError(
                f"{run.rejected} items were rejected:\n"
                + "\n".join(lines)
                + f"\nThe other {total} items were imported."
            )
