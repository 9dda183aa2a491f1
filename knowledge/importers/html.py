"""HTML files, one article per file, such as pages saved from an old help centre.

The title is the first <h1>, or the <title> when the page has no <h1>. The text is that of
<main> or <article> when the page has one, else of <body>, without scripts, styles,
navigation, headers and footers. Settings come from <meta name="kb:..."> tags:

    <meta name="kb:kind" content="faq">            faq, sop, policy or how-to (default faq)
    <meta name="kb:audience" content="customer">   customer or internal (default customer)
    <meta name="kb:category" content="returns">
    <meta name="kb:external-ref" content="...">    default html:<path without suffix>
    <meta name="kb:human-only" content="true">
    <meta name="kb:example-question" content="..."> once per example question
    <meta name="kb:language" content="ar">          default <html lang>, else detected
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from django.utils.translation import gettext as _

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
from knowledge.language import detect_language

HTML_SUFFIXES = {".html", ".htm"}
# Elements that end a paragraph of text.
BLOCK_TAGS = {
    "address",
    "article",
    "blockquote",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "main",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tr",
    "ul",
}
# Elements whose text is page furniture, not the article.
SKIPPED_TAGS = {"script", "style", "nav", "header", "footer", "noscript", "template", "head", "form", "button"}
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}


class PageText(HTMLParser):
    """Collect a page's title, kb: meta tags, language and paragraphs of text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.html_lang = ""
        self.title_text = ""
        self.first_h1 = ""
        self.meta: dict[str, list[str]] = {}
        # (text, inside <main> or <article>)
        self.paragraphs: list[tuple[str, bool]] = []
        self._current: list[str] = []
        self._skip_depth = 0
        self._main_depth = 0
        self._in_title = False
        self._pre_depth = 0
        self._heading = 0
        self._list_item = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.html_lang = values.get("lang", "")
        elif tag == "meta" and values.get("name", "").lower().startswith("kb:"):
            self.meta.setdefault(values["name"].lower()[3:], []).append(values.get("content", ""))
        elif tag == "title":
            self._in_title = True
        if tag in SKIPPED_TAGS:
            self._skip_depth += 1
        if tag in {"main", "article"}:
            self._main_depth += 1
        if tag == "br":
            self._current.append("\n")
        if tag in BLOCK_TAGS:
            self.flush()
            self._heading = HEADINGS.get(tag, 0)
            self._list_item = tag == "li"
        if tag == "pre":
            self._pre_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in BLOCK_TAGS:
            self.flush()
        if tag in SKIPPED_TAGS and self._skip_depth:
            self._skip_depth -= 1
        if tag in {"main", "article"} and self._main_depth:
            self._main_depth -= 1
        if tag == "pre" and self._pre_depth:
            self._pre_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_text += data
        elif not self._skip_depth:
            self._current.append(data)

    def flush(self) -> None:
        raw = "".join(self._current)
        self._current = []
        if self._pre_depth:
            text = raw.strip("\n")
        else:
            lines = [" ".join(line.split()) for line in raw.split("\n")]
            text = "\n".join(line for line in lines if line)
        heading, list_item = self._heading, self._list_item
        self._heading, self._list_item = 0, False
        if not text.strip():
            return
        if heading == 1 and not self.first_h1:
            self.first_h1 = " ".join(text.split())
            return
        if heading:
            text = f"{'#' * heading} {text}"
        elif list_item:
            text = f"- {text}"
        self.paragraphs.append((text, self._main_depth > 0))

    def body(self) -> str:
        self.flush()
        in_main = [text for text, inside in self.paragraphs if inside]
        chosen = in_main or [text for text, _inside in self.paragraphs]
        return "\n\n".join(chosen)


def meta_value(page: PageText, name: str, default: str = "") -> str:
    values = page.meta.get(name)
    return values[0].strip() if values else default


def parse_html_file(path: Path, root: Path) -> ImportItem:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(path, f"byte {error.start}", _("the file is not UTF-8 text; save it as UTF-8")) from error
    page = PageText()
    page.feed(text)
    page.close()
    body = page.body()
    where = "<head>"
    title = page.first_h1 or " ".join(page.title_text.split())
    if not title:
        raise ImportFileError(path, "", _("the page has no <h1> and no <title>; give it a title"))
    if not body:
        raise ImportFileError(path, "<body>", _("the page has no text besides its title"))

    language = meta_value(page, "language") or re.split(r"[-_]", page.html_lang)[0] or detect_language(body)
    example_questions = [value.strip() for value in page.meta.get("example-question", []) if value.strip()]
    return ImportItem(
        title=check_title(path, where, title),
        body=body,
        external_ref=meta_value(page, "external-ref") or f"html:{path.relative_to(root).with_suffix('').as_posix()}",
        source=str(path),
        kind=check_choice(path, where, "kb:kind", meta_value(page, "kind", "faq"), KINDS),
        audience=check_choice(path, where, "kb:audience", meta_value(page, "audience", "customer"), AUDIENCES),
        language=check_choice(path, where, "language", language, LANGUAGES),
        category=meta_value(page, "category"),
        human_only=parse_bool(path, where, "kb:human-only", meta_value(page, "human-only")),
        example_questions=example_questions,
    )
