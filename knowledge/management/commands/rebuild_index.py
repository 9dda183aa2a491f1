from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from knowledge import index
from knowledge.actions import bump_index_generation


class Command(BaseCommand):
    help = "Drop the vector index and rebuild it from the published articles in the database."

    def handle(self, *args: Any, **options: Any) -> None:
        articles, entries = index.rebuild()
        bump_index_generation()
        self.stdout.write(f"Indexed {articles} published articles as {entries} entries.")
