"""Parsers for knowledge sources: Markdown and HTML folders, FAQ and Bitext CSVs, ABCD-style
JSON SOPs and Slack channel exports.

Every import is a recorded `ImportRun`. Two kinds of problem are distinguished:

- A structural error stops the whole import and nothing is written: a missing or unreadable
  source, an unsupported file type, a folder with no articles, a file whose syntax is broken
  (invalid JSON, a CSV that cannot be split into rows, a non-UTF-8 CSV or JSON file), a CSV
  header without the required columns, JSON that is not shaped as the format requires down
  to the level of its items (the top level, each ABCD flow and its "subflows" object, Slack's
  channel listing and day files), and two items with the same external reference.
- A bad item is rejected with its reason and the other items are imported: one Markdown or
  HTML file (invalid front matter, no title, no text, an unknown kind, not UTF-8), one CSV
  row (an empty question or answer, an invalid choice, too many fields), one ABCD subflow,
  or one Slack thread or message.

The `ImportFileError` of a structural error names the file, the line or place, and what to
fix; a rejection stores the same facts.
"""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext as _

from knowledge.importers.abcd import parse_abcd_guidelines
from knowledge.importers.common import (
    AUDIENCES,
    KINDS,
    LANGUAGES,
    MAX_TITLE_CHARS,
    ImportFileError,
    ImportItem,
    ParsedSource,
    Rejection,
)
from knowledge.importers.faq_csv import parse_csv, parse_faq_csv
from knowledge.importers.html import HTML_SUFFIXES, parse_html_file
from knowledge.importers.markdown import parse_markdown_file
from knowledge.importers.slack import is_slack_export, parse_slack_export

__all__ = [
    "AUDIENCES",
    "KINDS",
    "LANGUAGES",
    "MAX_TITLE_CHARS",
    "ImportFileError",
    "ImportItem",
    "ParsedSource",
    "Rejection",
    "parse_abcd_guidelines",
    "parse_faq_csv",
    "parse_folder",
    "parse_source",
]


def parse_page(path: Path, root: Path) -> ImportItem:
    if path.suffix.lower() in HTML_SUFFIXES:
        return parse_html_file(path, root)
    return parse_markdown_file(path, root)


def parse_folder(folder: Path) -> ParsedSource:
    """Parse a Slack export, or every Markdown and HTML file under the folder, one article each."""
    if is_slack_export(folder):
        return parse_slack_export(folder)
    suffixes = {".md", *HTML_SUFFIXES}
    files = sorted(
        path
        for path in folder.rglob("*")
        if path.is_file() and path.suffix.lower() in suffixes and path.name.lower() != "readme.md"
    )
    if not files:
        raise ImportFileError(folder, "", _("the folder has no .md or .html files and is not a Slack export"))
    parsed = ParsedSource()
    for path in files:
        try:
            parsed.items.append(parse_page(path, folder))
        except ImportFileError as error:
            parsed.rejections.append(Rejection.from_error(error))
    return parsed


def parse_source(path: Path) -> ParsedSource:
    """Parse a folder, an FAQ or Bitext `.csv`, an SOP `.json`, or one `.md` or `.html` file."""
    if path.is_dir():
        return parse_folder(path)
    if not path.exists():
        raise ImportFileError(path, "", "no such file or folder")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return parse_csv(path)
    if suffix == ".json":
        return parse_abcd_guidelines(path)
    if suffix == ".md" or suffix in HTML_SUFFIXES:
        # A single file named on the command line is the whole source: if it is bad, the
        # import has nothing to do, so its problem stops the import.
        return ParsedSource(items=[parse_page(path, path.parent)])
    raise ImportFileError(
        path,
        "",
        _(
            "unsupported file type; give a Markdown, HTML or Slack export folder, a .csv, a .json, a .md or an .html file"
        ),
    )
