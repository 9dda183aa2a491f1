"""Input checks shared by the intent commands: labelled CSV files, their labels, and the database tables."""

from __future__ import annotations

import codecs
import csv
import difflib
import io
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import CommandError, CommandParser
from django.db import connection

from escalation.intents import UNKNOWN
from escalation.models import Intent, IntentExample

# Minimum difflib similarity ratio (0 to 1) at which a label counts as a likely typo of
# --oos-label. At 0.6 "OOS" and "oss" match "oos", while none of the BANKING77, Bitext or
# Arabic BANKING77 labels match "oos".
OOS_TYPO_CUTOFF = 0.6
# Labels listed in a message; a dataset such as CLINC150 has 151.
LABELS_SHOWN = 5


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


def read_utf8(path: Path) -> str:
    """Return the text of a UTF-8 file, with or without a byte order mark.

    Raises CommandError naming the file and, where decoding failed, the line and byte offset.
    """
    try:
        content = path.read_bytes()
    except OSError as error:
        raise CommandError(f"{path}: cannot be read: {error.strerror}") from error
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise CommandError(
            f"{path}: the file is UTF-16 (it starts with a UTF-16 byte order mark), not UTF-8. "
            "Save it as UTF-8 and run the command again."
        )

    # Decoding without the BOM keeps the error's position a byte offset into the whole file.
    bom_length = len(codecs.BOM_UTF8) if content.startswith(codecs.BOM_UTF8) else 0
    try:
        text = content[bom_length:].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = bom_length + error.start
        line = content.count(b"\n", 0, offset) + 1
        raise CommandError(
            f"{path}, line {line}: not valid UTF-8 at byte offset {offset} "
            f"(byte 0x{content[offset]:02x}, {error.reason}). Save the file as UTF-8 and run the command again."
        ) from error

    # ASCII text saved as UTF-16 without a BOM is valid UTF-8 with a NUL after every character.
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise CommandError(
            f"{path}, line {line}: the file contains NUL characters, as UTF-16 text does. "
            "Save it as UTF-8 and run the command again."
        )
    return text


def read_labelled_csv(path: Path, text_column: str, label_column: str) -> LabelledTexts:
    """Read every row's text and label; raise CommandError naming the file and line of a problem."""
    reader = csv.DictReader(io.StringIO(read_utf8(path), newline=""))
    texts: list[str] = []
    labels: list[str] = []
    try:
        columns = reader.fieldnames or []
        missing = [column for column in (text_column, label_column) if column not in columns]
        if missing:
            raise CommandError(
                f"{path}: missing column(s) {', '.join(missing)}; the file has {', '.join(columns) or 'no header'}. "
                "Name the columns with --text-column and --label-column."
            )
        for row in reader:
            text = (row.get(text_column) or "").strip()
            label = (row.get(label_column) or "").strip()
            check_fields_present(path, reader.line_num, {text_column: text, label_column: label})
            texts.append(text)
            labels.append(label)
    except csv.Error as error:
        raise CommandError(f"{path}, line {reader.line_num}: invalid CSV: {error}.") from error
    if not texts:
        raise CommandError(f"{path}: the CSV has no rows.")
    return LabelledTexts(texts, labels)


def check_fields_present(path: Path, line: int, values: dict[str, str]) -> None:
    empty = [repr(column) for column, value in values.items() if not value]
    if len(empty) == 1:
        raise CommandError(f"{path}, line {line}: the {empty[0]} column is empty. Fill it in or delete the row.")
    if empty:
        raise CommandError(
            f"{path}, line {line}: the {' and '.join(empty)} columns are empty. Fill them in or delete the row."
        )


def format_labels(labels: set[str]) -> str:
    first_labels = sorted(labels)[:LABELS_SHOWN]
    listed = ", ".join(repr(label) for label in first_labels)
    return listed if len(labels) <= LABELS_SHOWN else f"{listed} and {len(labels) - LABELS_SHOWN} more"


def check_training_labels(labels: list[str], oos_label: str | None, source: str, fix: str) -> None:
    """Raise CommandError unless the rows name at least two intents besides the out-of-scope label.

    `source` names where the rows came from ("data/train.csv"), and `fix` is the advice on
    adding intents there that ends the message.
    """
    intents = set(labels) - {oos_label}
    if UNKNOWN in intents:
        raise CommandError(
            f"{source} uses the label {UNKNOWN!r}, which the model reserves for out-of-scope predictions. "
            f"Rename that label, or pass --oos-label {UNKNOWN} if those rows are out-of-scope examples."
        )
    if not intents:
        besides = f" besides the out-of-scope label {oos_label!r}" if oos_label is not None else ""
        raise CommandError(
            f"Training needs examples of at least two intents, but {source} has no intent label{besides}. {fix}"
        )
    if len(intents) == 1:
        raise CommandError(
            f"Training needs examples of at least two intents, but {source} has only {intents.pop()!r}. {fix}"
        )


def check_oos_label(oos_label: str | None, labels: set[str], source: str) -> str | None:
    """Return a warning when no row has the out-of-scope label, or None when a row has it.

    Raises CommandError instead when another label looks like a typo of the out-of-scope one.
    Passing --oos-label for data without out-of-scope rows is allowed, because one command
    line may run over several datasets of which only some have such rows.
    """
    if oos_label is None or oos_label in labels:
        return None

    by_folded_label = {label.casefold(): label for label in labels}
    close = difflib.get_close_matches(oos_label.casefold(), list(by_folded_label), n=3, cutoff=OOS_TYPO_CUTOFF)
    if close:
        suggestions = " or ".join(repr(by_folded_label[folded]) for folded in close)
        raise CommandError(
            f"--oos-label {oos_label!r} matches no row of {source}, which has the label {suggestions}. "
            "Pass the out-of-scope label as the data spells it, or leave out --oos-label if the data has none."
        )
    return (
        f"Warning: --oos-label {oos_label!r} matches no row of {source}, so no row counts as out of scope. "
        f"The labels are {format_labels(labels)}. Check the spelling if the data has out-of-scope rows."
    )


def intent_tables_exist() -> bool:
    tables = set(connection.introspection.table_names())
    return {Intent._meta.db_table, IntentExample._meta.db_table} <= tables


def database_has_tables() -> bool:
    return bool(connection.introspection.table_names())


def database_name() -> str:
    return str(connection.settings_dict["NAME"])
