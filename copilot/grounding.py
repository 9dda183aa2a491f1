"""Checking that a model's answer says nothing the retrieved passages do not say.

A sentence passes when most of its content words occur in the passages, or when it is close
in meaning to one passage sentence. Every number in the answer (amounts, durations, counts)
must occur in the passages: an invented fee or deadline is the failure that costs most.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from knowledge.embeddings import embed_texts

# Share of a sentence's content words that must occur in the passages.
MIN_WORD_OVERLAP = 0.6
# Cosine similarity to a passage sentence that counts as a paraphrase when words differ.
MIN_SENTENCE_SIMILARITY = 0.8
# Sentences shorter than this many content words (greetings, "Thanks!") are not checked.
MIN_CHECKED_WORDS = 4

_SENTENCE_SPLIT = re.compile(r"(?<=[.!?؟])\s+|\n+")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_STOPWORDS = frozenset(
    "a an the and or but if of to in on at for from by with about as is are was were be been being "
    "it its this that these those you your we our us i me my they them their he she his her can "
    "could will would should may might must do does did have has had not no yes so than then there "
    "here what which who whom when where why how all any each more most some such only own same "
    "very just also into out up down over under again please thank thanks".split()
)


@dataclass
class GroundingReport:
    passed: bool
    unsupported_sentences: list[str] = field(default_factory=list)
    unknown_numbers: list[str] = field(default_factory=list)


def split_sentences(text: str) -> list[str]:
    return [sentence.strip() for sentence in _SENTENCE_SPLIT.split(text) if sentence.strip()]


def content_words(text: str) -> list[str]:
    return [word for word in _WORD.findall(text.lower()) if word not in _STOPWORDS and not word.isdigit()]


def normalise_number(number: str) -> str:
    return (
        number.replace(",", ".").rstrip("0").rstrip(".")
        if "." in number or "," in number
        else number.lstrip("0") or "0"
    )


def check_grounding(answer: str, passages: list[str]) -> GroundingReport:
    """Return whether every claim of `answer` is supported by `passages`."""
    source_text = "\n".join(passages)
    source_words = set(content_words(source_text))
    source_numbers = {normalise_number(number) for number in _NUMBER.findall(source_text)}
    unknown_numbers = [number for number in _NUMBER.findall(answer) if normalise_number(number) not in source_numbers]

    checked = [sentence for sentence in split_sentences(answer) if len(content_words(sentence)) >= MIN_CHECKED_WORDS]
    low_overlap = []
    for sentence in checked:
        words = content_words(sentence)
        overlap = sum(word in source_words for word in words) / len(words)
        if overlap < MIN_WORD_OVERLAP:
            low_overlap.append(sentence)

    unsupported = low_overlap
    if low_overlap:
        source_sentences = split_sentences(source_text)
        if source_sentences:
            similarity = embed_texts(low_overlap) @ embed_texts(source_sentences).T
            best = np.max(similarity, axis=1)
            unsupported = [
                sentence for sentence, score in zip(low_overlap, best, strict=True) if score < MIN_SENTENCE_SIMILARITY
            ]

    return GroundingReport(
        passed=not unsupported and not unknown_numbers,
        unsupported_sentences=unsupported,
        unknown_numbers=unknown_numbers,
    )
