"""Markdown files with YAML front matter, one article per file."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from knowledge.importers.common import (
    AUDIENCES,
    KINDS,
    LANGUAGES,
    ImportFileError,
    ImportItem,
    check_choice,
    check_title,
    parse_bool,
)

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n?(.*)\Z", re.S)


def parse_markdown_file(path: Path, root: Path) -> ImportItem:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(path, f"byte {error.start}", "the file is not UTF-8 text; save it as UTF-8") from error
    match = _FRONT_MATTER.match(text)
    if match is None:
        raise ImportFileError(path, "line 1", "the file must start with front matter between two '---' lines")
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f"line {mark.line + 2}" if mark is not None else "front matter"
        raise ImportFileError(
            path, line, f"the front matter is not valid YAML: {getattr(error, 'problem', error)}"
        ) from error
    if not isinstance(meta, dict):
        raise ImportFileError(path, "front matter", "the front matter must be a mapping of field: value")

    unknown = set(meta) - {
        "title",
        "kind",
        "audience",
        "language",
        "category",
        "external_ref",
        "human_only",
        "example_questions",
    }
    if unknown:
        raise ImportFileError(path, "front matter", f"unknown field(s) {', '.join(sorted(unknown))}")
    body = match.group(2).strip()
    if not body:
        raise ImportFileError(path, "body", "the article has no text after the front matter")
    questions = meta.get("example_questions") or []
    if not isinstance(questions, list) or not all(isinstance(question, str) for question in questions):
        raise ImportFileError(path, "front matter", "example_questions must be a list of strings")

    where = "front matter"
    return ImportItem(
        title=check_title(path, where, meta.get("title")),
        body=body,
        external_ref=str(meta.get("external_ref") or f"markdown:{path.relative_to(root).with_suffix('').as_posix()}"),
        source=str(path),
        kind=check_choice(path, where, "kind", meta.get("kind", "faq"), KINDS),
        audience=check_choice(path, where, "audience", meta.get("audience", "customer"), AUDIENCES),
        language=check_choice(path, where, "language", meta.get("language", "en"), LANGUAGES),
        category=str(meta.get("category") or ""),
        human_only=parse_bool(path, where, "human_only", meta.get("human_only", False)),
        example_questions=questions,
    )
