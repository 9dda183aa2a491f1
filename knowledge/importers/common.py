"""What every importer shares: the parsed item, rejections, and the checks of common fields.

Parsers only read and validate; `knowledge.actions.do_import_items` writes. A parser raises
`ImportFileError` for a structural error, one that leaves no way to tell which items the
source holds, and returns a `Rejection` for an item that alone is bad. `knowledge.importers`
lists which problem is which for each format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowledge.models import Article
from supportdesk.errors import InvalidInput

KINDS = set(Article.Kind.values)
AUDIENCES = set(Article.Audience.values)
LANGUAGES = {"en", "ar"}
MAX_TITLE_CHARS = 200


class ImportFileError(InvalidInput):
    code = "invalid_import_file"

    def __init__(self, path: Path | str, where: str, problem: str) -> None:
        location = f"{path}, {where}" if where else str(path)
        super().__init__(f"{location}: {problem}")
        self.path = str(path)
        self.where = where
        self.location = location
        self.problem = problem


@dataclass
class ImportItem:
    title: str
    body: str
    external_ref: str
    source: str
    kind: str = Article.Kind.FAQ
    audience: str = Article.Audience.CUSTOMER
    language: str = "en"
    category: str = ""
    human_only: bool = False
    example_questions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Rejection:
    """An item left out of an import: where it is in the source, and why."""

    source: str
    reason: str
    external_ref: str = ""

    @classmethod
    def from_error(cls, error: ImportFileError, external_ref: str = "") -> Rejection:
        return cls(error.location, error.problem, external_ref)


@dataclass
class ParsedSource:
    items: list[ImportItem] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    def extend(self, other: ParsedSource) -> None:
        self.items.extend(other.items)
        self.rejections.extend(other.rejections)


def check_choice(path: Path, where: str, name: str, value: Any, allowed: set[str]) -> str:
    text = str(value).strip().lower()
    if text not in allowed:
        raise ImportFileError(path, where, f"{name} {value!r} is not one of {', '.join(sorted(allowed))}")
    return text


def check_title(path: Path, where: str, title: Any) -> str:
    if not isinstance(title, str) or not title.strip():
        raise ImportFileError(path, where, "the title is missing or empty")
    if len(title) > MAX_TITLE_CHARS:
        raise ImportFileError(path, where, f"the title has {len(title)} characters; the limit is {MAX_TITLE_CHARS}")
    return title.strip()


def parse_bool(path: Path, where: str, name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"", "false", "no", "0"}:
        return False
    if text in {"true", "yes", "1"}:
        return True
    raise ImportFileError(path, where, f"{name} {value!r} is not true or false")


def shorten_title(text: str) -> str:
    """Cut a question to a title of at most MAX_TITLE_CHARS, at a word boundary."""
    first_line = " ".join(text.strip().splitlines()[0].split()) if text.strip() else ""
    if len(first_line) <= MAX_TITLE_CHARS:
        return first_line
    cut = first_line[: MAX_TITLE_CHARS - 1].rsplit(" ", 1)[0]
    return f"{cut}…"
