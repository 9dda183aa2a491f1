"""Measure Tier 0 on a Bitext-format CSV through the same pipeline that live chat uses."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from escalation.intent_data import check_fields_present, read_utf8
from escalation.pipeline import handle_customer_message
from knowledge.actions import do_import_items
from knowledge.importers import ImportItem
from knowledge.models import Article
from knowledge.retrieval import search
from tickets.actions import do_receive_customer_message, do_start_conversation

REQUIRED_COLUMNS = ("instruction", "intent", "response")
DEFAULT_HUMAN_INTENTS = "contact_human_agent,complaint"


def read_rows(path: Path) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(read_utf8(path), newline=""))
    missing = [column for column in REQUIRED_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise CommandError(
            f"{path}: missing column(s) {', '.join(missing)}; a Bitext-format CSV has instruction, intent and response."
        )
    rows = []
    try:
        for row in reader:
            fields = {column: (row.get(column) or "").strip() for column in ("instruction", "intent")}
            check_fields_present(path, reader.line_num, fields)
            rows.append(row)
    except csv.Error as error:
        raise CommandError(f"{path}, line {reader.line_num}: invalid CSV: {error}.") from error
    if not rows:
        raise CommandError(f"{path}: the CSV has no rows.")
    return rows


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def build_items(
    rows: list[dict[str, str]], train_rows: list[dict[str, str]], human_intents: set[str]
) -> list[ImportItem]:
    """Build one FAQ article per distinct response, with the training questions that share it."""
    intent_of: dict[str, str] = {}
    for row in [*rows, *train_rows]:
        response = row["response"].strip()
        if response:
            intent_of.setdefault(response, row["intent"])
    questions: dict[str, list[str]] = defaultdict(list)
    for row in train_rows:
        questions[row["response"].strip()].append(row["instruction"])

    items = []
    for response, intent in intent_of.items():
        digest = hashlib.sha256(response.encode()).hexdigest()[:12]
        items.append(
            ImportItem(
                title=intent.replace("_", " ").capitalize(),
                body=response,
                external_ref=f"bitext:{intent}:{digest}",
                source=f"bitext response of {intent}",
                category=intent,
                human_only=intent in human_intents,
                example_questions=questions.get(response, []),
            )
        )
    return items


class Command(BaseCommand):
    help = (
        "Import the distinct responses of a Bitext-format CSV (instruction, intent, response) as "
        "FAQ articles, with example questions from --train, answer every instruction of --csv "
        "through the Tier 0 pipeline, and print the results as one JSON line. Run it on an "
        "empty SUPPORTDESK_DATA_DIR: other published articles take part in retrieval too."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--csv", required=True, type=Path, help="questions to answer, Bitext format")
        parser.add_argument("--train", type=Path, help="Bitext-format CSV whose instructions become example questions")
        parser.add_argument(
            "--human-intents",
            default=DEFAULT_HUMAN_INTENTS,
            help=f"comma-separated intents whose articles are human-only and that must be handed off (default {DEFAULT_HUMAN_INTENTS})",
        )
        parser.add_argument("--limit", type=int, default=0, help="answer only the first N questions (0: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = read_rows(options["csv"])
        train_rows = read_rows(options["train"]) if options["train"] else []
        if options["limit"]:
            rows = rows[: options["limit"]]
        human_intents = {intent.strip() for intent in options["human_intents"].split(",") if intent.strip()}

        call_command("migrate", verbosity=0, interactive=False)
        # Index inline, so the questions below are answered from the imported articles.
        settings.Q_CLUSTER["sync"] = True
        others = (
            Article.objects.filter(status=Article.Status.PUBLISHED).exclude(external_ref__startswith="bitext:").count()
        )
        if others:
            self.stderr.write(
                f"Note: {others} other published articles also take part in retrieval; use an empty SUPPORTDESK_DATA_DIR for comparable figures."
            )

        started = time.perf_counter()
        summary = do_import_items(build_items(rows, train_rows, human_intents), acting_user=None)
        import_seconds = time.perf_counter() - started
        self.stderr.write(
            f"Imported {summary.created + summary.updated + summary.unchanged} articles in {import_seconds:.1f} s."
        )

        search("warm-up question")  # loads the encoder and the keyword index before timing
        # From here on tasks are queued as in production, so the copilot panel of a handoff is
        # not built inside the measured time. No cluster runs here, so the tasks just wait.
        settings.Q_CLUSTER["sync"] = False
        results = self.answer_all(rows)
        self.stdout.write(json.dumps(self.score(rows, results, human_intents)))

    def answer_all(self, rows: list[dict[str, str]]) -> list[tuple[str, str, float]]:
        results = []
        for number, row in enumerate(rows, start=1):
            conversation = do_start_conversation(channel="api")
            started = time.perf_counter()
            message, _created = do_receive_customer_message(
                conversation, text=row["instruction"], client_message_id=f"eval-{number:08d}"
            )
            outcome = handle_customer_message(message)
            results.append((outcome.outcome, outcome.topic, (time.perf_counter() - started) * 1000))
            if number % 200 == 0:
                self.stderr.write(f"{number}/{len(rows)} answered")
        return results

    def score(
        self, rows: list[dict[str, str]], results: list[tuple[str, str, float]], human_intents: set[str]
    ) -> dict[str, Any]:
        answerable = right = human_total = handed_off = answered = 0
        misses: Counter[str] = Counter()
        for row, (outcome, topic, _ms) in zip(rows, results, strict=True):
            answered += outcome == "answered"
            if row["intent"] in human_intents:
                human_total += 1
                handed_off += outcome == "handed_off"
            else:
                answerable += 1
                if outcome == "answered" and topic == row["intent"]:
                    right += 1
                else:
                    misses[row["intent"]] += 1
        latencies = [ms for _outcome, _topic, ms in results]
        if misses:
            self.stderr.write("Missed per intent: " + json.dumps(dict(misses.most_common())))
        sys.stderr.flush()
        return {
            "questions": len(rows),
            "right_article_rate": round(right / answerable, 4) if answerable else None,
            "handoff_rate": round(handed_off / human_total, 4) if human_total else None,
            "deflection_rate": round(answered / len(rows), 4),
            "p50_ms": round(statistics.median(latencies), 2),
            "p95_ms": round(percentile(latencies, 0.95), 2),
        }
