"""CSV files: FAQ sheets (question, answer, ...) and Bitext-format sheets (instruction, intent, response)."""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from django.utils.text import slugify
from django.utils.translation import gettext as _

from knowledge.importers.common import (
    AUDIENCES,
    KINDS,
    LANGUAGES,
    ImportFileError,
    ImportItem,
    ParsedSource,
    Rejection,
    check_choice,
    check_title,
    parse_bool,
)
from knowledge.language import detect_language

FAQ_REQUIRED = {"question", "answer"}
FAQ_OPTIONAL = {"category", "example_questions", "language", "audience", "kind", "human_only", "external_ref"}
BITEXT_REQUIRED = {"instruction", "intent", "response"}


def split_questions(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"\||\n", value) if part.strip()]


def read_rows(path: Path, handle: TextIO) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line where the row starts, row); a quoted field may span lines."""
    reader = csv.DictReader(handle, strict=True)
    try:
        # Reading the field names consumes the header, so line numbers start after it.
        if reader.fieldnames is None:
            return
        row_start = reader.line_num + 1
        for row in reader:
            yield row_start, row
            row_start = reader.line_num + 1
    except csv.Error as error:
        raise ImportFileError(path, f"line {reader.line_num}", f"the CSV is malformed: {error}") from error
    except UnicodeDecodeError as error:
        raise ImportFileError(
            path, f"near line {reader.line_num}", "the file is not UTF-8 text; save it as UTF-8"
        ) from error


def read_header(path: Path, handle: TextIO) -> list[str]:
    try:
        header = next(csv.reader(handle, strict=True), [])
    except (csv.Error, UnicodeDecodeError) as error:
        raise ImportFileError(path, "line 1", f"the header cannot be read: {error}") from error
    handle.seek(0)
    return [name.strip() for name in header]


def parse_csv(path: Path) -> ParsedSource:
    """Read an FAQ CSV, or a Bitext-format CSV when the header has instruction, intent and response."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        raise ImportFileError(path, "", f"cannot be read: {error.strerror}") from error
    with handle:
        header = read_header(path, handle)
        if BITEXT_REQUIRED <= set(header):
            return parse_bitext_rows(path, read_rows(path, handle))
        return parse_faq_rows(path, header, read_rows(path, handle))


def parse_faq_csv(path: Path) -> ParsedSource:
    """Read an FAQ CSV: `question` and `answer`, and optionally `category`,
    `example_questions` (separated by `|` or new lines), `language`, `audience`, `kind`,
    `human_only` and `external_ref`."""
    return parse_csv(path)


def parse_faq_rows(path: Path, header: list[str], rows: Iterator[tuple[int, dict[str, Any]]]) -> ParsedSource:
    missing = FAQ_REQUIRED - set(header)
    if missing:
        raise ImportFileError(
            path,
            "line 1",
            f"missing column(s) {', '.join(sorted(missing))}; the header has {', '.join(header) or 'nothing'}",
        )
    unknown = set(header) - FAQ_REQUIRED - FAQ_OPTIONAL
    if unknown:
        raise ImportFileError(path, "line 1", f"unknown column(s) {', '.join(sorted(unknown))}")
    parsed = ParsedSource()
    count = 0
    for line, row in rows:
        count += 1
        try:
            parsed.items.append(parse_faq_row(path, line, row))
        except ImportFileError as error:
            parsed.rejections.append(Rejection.from_error(error, (row.get("external_ref") or "").strip()))
    if not count:
        raise ImportFileError(path, "", "the CSV has a header but no rows")
    return parsed


def parse_faq_row(path: Path, line: int, row: dict[str, Any]) -> ImportItem:
    where = f"line {line}"
    if None in row:
        raise ImportFileError(path, where, "the row has more fields than the header")
    question = check_title(path, where, row.get("question"))
    answer = (row.get("answer") or "").strip()
    if not answer:
        raise ImportFileError(path, where, f"the answer to {question!r} is empty")
    return ImportItem(
        title=question,
        body=answer,
        external_ref=(row.get("external_ref") or "").strip()
        or f"faq-csv:{path.stem}:{slugify(question, allow_unicode=True)[:200]}",
        source=f"{path}:{line}",
        kind=check_choice(path, where, "kind", row.get("kind") or "faq", KINDS),
        audience=check_choice(path, where, "audience", row.get("audience") or "customer", AUDIENCES),
        language=check_choice(path, where, "language", row.get("language") or "en", LANGUAGES),
        category=(row.get("category") or "").strip(),
        human_only=parse_bool(path, where, "human_only", row.get("human_only") or ""),
        example_questions=[question, *split_questions(row.get("example_questions") or "")],
    )


def parse_bitext_rows(path: Path, rows: Iterator[tuple[int, dict[str, Any]]]) -> ParsedSource:
    """One FAQ article per intent and distinct response, with the instructions as example questions.

    The external reference is `bitext:<intent>`, so a changed response becomes a new version
    of the same article; an intent with several responses gets one article per response,
    distinguished by a digest of the text.
    """
    parsed = ParsedSource()
    questions: dict[tuple[str, str], list[str]] = {}
    first_line: dict[tuple[str, str], int] = {}
    for line, row in rows:
        intent = (row.get("intent") or "").strip()
        response = (row.get("response") or "").strip()
        if None in row:
            parsed.rejections.append(
                Rejection(f"{path}, line {line}", _("the row has more fields than the header"), "")
            )
            continue
        if not intent or not response:
            parsed.rejections.append(
                Rejection(f"{path}, line {line}", _("the intent or the response is empty; fill in both"), "")
            )
            continue
        key = (intent, response)
        first_line.setdefault(key, line)
        instruction = (row.get("instruction") or "").strip()
        questions.setdefault(key, [])
        if instruction:
            questions[key].append(instruction)
    if not first_line:
        raise ImportFileError(path, "", _("the CSV has no row with both an intent and a response"))

    responses_per_intent: dict[str, int] = {}
    for intent, _response in first_line:
        responses_per_intent[intent] = responses_per_intent.get(intent, 0) + 1
    for (intent, response), line in first_line.items():
        reference = f"bitext:{intent}"
        if responses_per_intent[intent] > 1:
            reference = f"{reference}:{hashlib.sha256(response.encode()).hexdigest()[:12]}"
        parsed.items.append(
            ImportItem(
                title=intent.replace("_", " ").capitalize(),
                body=response,
                external_ref=reference,
                source=f"{path}:{line}",
                language=detect_language(response),
                category=intent,
                example_questions=questions[(intent, response)],
            )
        )
    return parsed
