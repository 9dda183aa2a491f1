"""Splitting an article body into passages that can be quoted on their own."""

from __future__ import annotations

import re

# A passage is at most this many characters unless one paragraph alone is longer; short
# paragraphs are merged up to it so a passage carries enough context to quote.
MAX_CHUNK_CHARS = 700
_SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+")


def split_paragraphs(body: str) -> list[str]:
    paragraphs = [re.sub(r"[ \t]+", " ", part).strip() for part in re.split(r"\n\s*\n", body)]
    return [paragraph for paragraph in paragraphs if paragraph]


def split_long_paragraph(paragraph: str) -> list[str]:
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(paragraph):
        if current and len(current) + 1 + len(sentence) > MAX_CHUNK_CHARS:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        pieces.append(current)
    return pieces


def chunk_text(body: str) -> list[str]:
    """Return the body's passages in reading order, each at most MAX_CHUNK_CHARS where the
    sentences allow."""
    chunks: list[str] = []
    current = ""
    for paragraph in split_paragraphs(body):
        for piece in split_long_paragraph(paragraph) if len(paragraph) > MAX_CHUNK_CHARS else [paragraph]:
            # A heading line stays with the paragraph after it.
            ends_heading = current.startswith("#") and "\n" not in current
            if current and (len(current) + 2 + len(piece) <= MAX_CHUNK_CHARS or ends_heading):
                current = f"{current}\n\n{piece}"
            else:
                if current:
                    chunks.append(current)
                current = piece
    if current:
        chunks.append(current)
    return chunks
