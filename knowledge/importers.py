"""Parsers for knowledge files: Markdown folders, FAQ CSVs and ABCD-style JSON SOPs.

Parsers only read and validate; `knowledge.actions.do_import_items` writes. Every problem is
raised as `ImportFileError` naming the file, the line or row, and what to fix, before
anything is written.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.utils.text import slugify

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


# --- Markdown folders -------------------------------------------------------------------------

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


def parse_markdown_folder(folder: Path) -> list[ImportItem]:
    files = sorted(folder.rglob("*.md"))
    files = [path for path in files if path.name.lower() != "readme.md"]
    if not files:
        raise ImportFileError(folder, "", "the folder has no .md files")
    return [parse_markdown_file(path, folder) for path in files]


# --- FAQ CSV ----------------------------------------------------------------------------------

FAQ_REQUIRED = {"question", "answer"}
FAQ_OPTIONAL = {"category", "example_questions", "language", "audience", "kind", "human_only", "external_ref"}


def split_questions(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"\||\n", value) if part.strip()]


def parse_faq_csv(path: Path) -> list[ImportItem]:
    """Read an FAQ CSV: `question` and `answer`, and optionally `category`,
    `example_questions` (separated by `|` or new lines), `language`, `audience`, `kind`,
    `human_only` and `external_ref`."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        raise ImportFileError(path, "", f"cannot be read: {error.strerror}") from error
    items: list[ImportItem] = []
    with handle:
        reader = csv.DictReader(handle)
        header = set(reader.fieldnames or [])
        missing = FAQ_REQUIRED - header
        if missing:
            raise ImportFileError(
                path,
                "line 1",
                f"missing column(s) {', '.join(sorted(missing))}; the header has {', '.join(reader.fieldnames or []) or 'nothing'}",
            )
        unknown = header - FAQ_REQUIRED - FAQ_OPTIONAL
        if unknown:
            raise ImportFileError(path, "line 1", f"unknown column(s) {', '.join(sorted(unknown))}")
        try:
            # An error names the line where its row starts; a quoted field may span lines.
            row_start = reader.line_num + 1
            for row in reader:
                items.append(parse_faq_row(path, row_start, row))
                row_start = reader.line_num + 1
        except csv.Error as error:
            raise ImportFileError(path, f"line {reader.line_num}", f"the CSV is malformed: {error}") from error
        except UnicodeDecodeError as error:
            raise ImportFileError(
                path, f"near line {reader.line_num}", "the file is not UTF-8 text; save it as UTF-8"
            ) from error
    if not items:
        raise ImportFileError(path, "", "the CSV has a header but no rows")
    return items


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


# --- ABCD-style JSON SOPs ---------------------------------------------------------------------


def require(path: Path, where: str, value: Any, kind: type, name: str) -> Any:
    if not isinstance(value, kind):
        raise ImportFileError(
            path, where, f"{name} must be a JSON {'object' if kind is dict else 'list' if kind is list else 'string'}"
        )
    return value


def sop_body(path: Path, where: str, flow_description: str, subflow: dict[str, Any]) -> str:
    paragraphs: list[str] = []
    if flow_description:
        paragraphs.append(f"Applies to: {flow_description}.")
    for instruction in require(path, where, subflow.get("instructions", []), list, '"instructions"'):
        paragraphs.append(str(require(path, where, instruction, str, "each instruction")).strip())
    for number, action in enumerate(require(path, where, subflow.get("actions", []), list, '"actions"'), start=1):
        step_where = f"{where}, action {number}"
        require(path, step_where, action, dict, "the action")
        text = str(require(path, step_where, action.get("text", ""), str, '"text"')).strip()
        button = str(action.get("button") or "").strip()
        details = [
            str(require(path, step_where, item, str, "each subtext")).strip()
            for item in require(path, step_where, action.get("subtext", []), list, '"subtext"')
        ]
        heading = f"Step {number}" + (f" ({button})" if button else "")
        lines = [f"{heading}: {text}"] + [f"- {detail}" for detail in details if detail]
        paragraphs.append("\n".join(lines))
    body = "\n\n".join(paragraph for paragraph in paragraphs if paragraph)
    if not body:
        raise ImportFileError(path, where, "the subflow has no instructions and no actions")
    return body


def parse_abcd_guidelines(path: Path) -> list[ImportItem]:
    """Read agent guidelines shaped like ABCD's: {flow: {description, subflows: {name:
    {instructions: [...], actions: [{button, text, subtext: [...]}]}}}}. Each subflow becomes
    one internal SOP."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ImportFileError(
            path, f"line {error.lineno}, column {error.colno}", f"invalid JSON: {error.msg}"
        ) from error
    require(path, "top level", data, dict, "the top level")
    items: list[ImportItem] = []
    for flow_name, flow in data.items():
        flow_where = f"flow {flow_name!r}"
        require(path, flow_where, flow, dict, "the flow")
        subflows = require(path, flow_where, flow.get("subflows"), dict, '"subflows"')
        description = str(flow.get("description") or "").strip()
        for subflow_name, subflow in subflows.items():
            where = f"{flow_where}, subflow {subflow_name!r}"
            require(path, where, subflow, dict, "the subflow")
            items.append(
                ImportItem(
                    title=check_title(path, where, f"{subflow_name} ({flow_name})"),
                    body=sop_body(path, where, description, subflow),
                    external_ref=f"sop-json:{path.stem}:{slugify(flow_name)}/{slugify(subflow_name)}",
                    source=f"{path}:{flow_name}/{subflow_name}",
                    kind=Article.Kind.SOP,
                    audience=Article.Audience.INTERNAL,
                    category=slugify(subflow_name),
                    example_questions=[subflow_name],
                )
            )
    if not items:
        raise ImportFileError(path, "top level", "no flows with subflows found")
    return items


def parse_source(path: Path) -> list[ImportItem]:
    """Parse a Markdown folder, an FAQ `.csv` or an SOP `.json` file, chosen by what `path` is."""
    if path.is_dir():
        return parse_markdown_folder(path)
    if not path.exists():
        raise ImportFileError(path, "", "no such file or folder")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return parse_faq_csv(path)
    if suffix == ".json":
        return parse_abcd_guidelines(path)
    if suffix == ".md":
        return [parse_markdown_file(path, path.parent)]
    raise ImportFileError(path, "", "unsupported file type; give a Markdown folder, an FAQ .csv or an SOP .json")
