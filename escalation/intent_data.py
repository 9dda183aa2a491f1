"""Reading labelled intent examples from CSV files for training, evaluation and import."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import CommandError, CommandParser


@dataclass
class LabelledTexts:
    texts: list[str]
    labels: list[str]


def add_csv_arguments(parser: CommandParser, *, csv_required: bool) -> None:
    parser.add_argument("--csv", required=csv_required, type=Path, help="CSV file of labelled example messages.")
    parser.add_argument("--text-column", default="text", help="Column with the message text (default: text).")
    parser.add_argument("--label-column", default="label", help="Column with the intent name (default: label).")
    parser.add_argument(
        "--oos-label",
        default=None,
        help="Label of out-of-scope rows: they teach the model what to call unknown, and count for out-of-scope recall.",
    )


def read_labelled_csv(path: Path, text_column: str, label_column: str) -> LabelledTexts:
    """Read every row's text and label; raise CommandError naming the file and line of a problem."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            missing = [column for column in (text_column, label_column) if column not in columns]
            if missing:
                raise CommandError(
                    f"{path}: missing column(s) {', '.join(missing)}; the file has {', '.join(columns) or 'no header'}. "
                    "Name the columns with --text-column and --label-column."
                )
            texts: list[str] = []
            labels: list[str] = []
            for row in reader:
                text = (row.get(text_column) or "").strip()
                label = (row.get(label_column) or "").strip()
                if not text or not label:
                    raise CommandError(f"{path}, line {reader.line_num}: the text or the label is empty.")
                texts.append(text)
                labels.append(label)
    except OSError as error:
        raise CommandError(f"{path}: cannot be read: {error.strerror}") from error
    if not texts:
        raise CommandError(f"{path}: the CSV has no rows.")
    return LabelledTexts(texts, labels)
