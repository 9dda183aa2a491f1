"""Readable word-level differences between two versions of an article."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from knowledge.models import ArticleVersion

# Words, runs of white space and single punctuation marks, so that joining the tokens gives
# the text back and a changed number shows as one replaced word.
_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass(frozen=True)
class DiffSegment:
    # "equal", "insert" or "delete"
    op: str
    text: str


@dataclass
class VersionDiff:
    old: ArticleVersion
    new: ArticleVersion
    title: list[DiffSegment]
    body: list[DiffSegment]
    questions_added: list[str] = field(default_factory=list)
    questions_removed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        segments = [*self.title, *self.body]
        return any(segment.op != "equal" for segment in segments) or bool(
            self.questions_added or self.questions_removed
        )


def diff_text(old: str, new: str) -> list[DiffSegment]:
    """Return the segments that turn `old` into `new`, merging neighbours of the same kind."""
    old_tokens = _TOKEN.findall(old)
    new_tokens = _TOKEN.findall(new)
    matcher = difflib.SequenceMatcher(a=old_tokens, b=new_tokens, autojunk=False)
    segments: list[DiffSegment] = []

    def add(op: str, tokens: list[str]) -> None:
        text = "".join(tokens)
        if not text:
            return
        if segments and segments[-1].op == op:
            segments[-1] = DiffSegment(op, segments[-1].text + text)
        else:
            segments.append(DiffSegment(op, text))

    for tag, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if tag == "equal":
            add("equal", old_tokens[old_start:old_end])
        else:
            add("delete", old_tokens[old_start:old_end])
            add("insert", new_tokens[new_start:new_end])
    return segments


def diff_versions(old: ArticleVersion, new: ArticleVersion) -> VersionDiff:
    """Compare two versions of one article: title, text and example questions."""
    if old.article_id != new.article_id:
        raise ValueError(
            f"versions {old.pk} and {new.pk} belong to different articles; compare versions of one article"
        )
    old_questions = set(old.example_questions)
    new_questions = set(new.example_questions)
    return VersionDiff(
        old=old,
        new=new,
        title=diff_text(old.title, new.title),
        body=diff_text(old.body, new.body),
        questions_added=[question for question in new.example_questions if question not in old_questions],
        questions_removed=[question for question in old.example_questions if question not in new_questions],
    )
