"""Pairs of published articles that say the same thing (duplicates) or answer the same
question with different facts (contradictions).

Two articles cover the same question when their titles and example questions, or their
texts, are close in the multilingual embedding space. Their sentences are then aligned by
the same embeddings, and aligned sentences that state a different amount, duration,
percentage or count, or where one says no and the other yes, are a contradiction. Same
question, same language, near-identical text and no such conflict is a duplicate. An
English article and its Arabic translation cover the same question but are not duplicates;
they are checked for contradictions all the same.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from knowledge.embeddings import embed_texts
from knowledge.facts import conflicting_facts, is_negated, normalise_digits, split_sentences
from knowledge.models import Article, ArticleVersion, IndexState

logger = logging.getLogger(__name__)

# Cosine similarity of the question vectors (title and example questions, numbers masked)
# from which two articles answer the same question. Measured with the embedded multilingual
# encoder on hand-made FAQ pairs: rewordings of one question scored 0.71 to 0.91, and
# English against its Arabic translation 0.71. Different topics scored 0.1 to 0.31, except
# two close ones (a forgotten password and a hacked account) at 0.68.
SAME_QUESTION_SIMILARITY = 0.7
# Cosine similarity of the text vectors from which two articles cover the same ground.
SAME_TEXT_SIMILARITY = 0.85
# Text similarity from which two same-language articles without conflicts are duplicates.
DUPLICATE_SIMILARITY = 0.92
# Sentences this similar, numbers masked, are compared fact by fact; an English sentence
# and its Arabic translation scored 0.76.
ALIGNED_SENTENCE_SIMILARITY = 0.72
# A yes/no flip needs closer sentences, because negated paraphrases score a little lower.
ALIGNED_POLARITY_SIMILARITY = 0.85
# Example questions and sentences embedded per article; the rest of a long article is
# not compared.
MAX_QUESTIONS = 20
MAX_SENTENCES = 80


@dataclass(frozen=True)
class ArticleText:
    article_id: int
    version_id: int
    version_number: int
    title: str
    language: str
    audience: str
    kind: str
    body: str
    questions: tuple[str, ...]


@dataclass(frozen=True)
class FactConflict:
    # "amount", "duration", "percent", "number" or "yes_no"
    kind: str
    left_sentence: str
    right_sentence: str
    left_values: tuple[str, ...]
    right_values: tuple[str, ...]


@dataclass
class OverlapPair:
    left: ArticleText
    right: ArticleText
    question_similarity: float
    text_similarity: float
    conflicts: list[FactConflict] = field(default_factory=list)


@dataclass
class OverlapReport:
    generation: int
    duplicates: list[OverlapPair]
    contradictions: list[OverlapPair]
    articles: int
    elapsed_ms: float


def published_texts() -> list[ArticleText]:
    versions = ArticleVersion.objects.filter(
        pk__in=Article.objects.filter(status=Article.Status.PUBLISHED).values("published_version")
    ).select_related("article")
    return [
        ArticleText(
            article_id=version.article_id,
            version_id=version.pk,
            version_number=version.number,
            title=version.title,
            language=version.article.language,
            audience=version.article.audience,
            kind=version.article.kind,
            body=version.body,
            questions=tuple(version.example_questions[:MAX_QUESTIONS]),
        )
        for version in versions.order_by("article_id")
    ]


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def mask_numbers(text: str) -> str:
    """Write every number as 0 before embedding, so sentences that differ in a number align.

    The encoder weighs numbers heavily: two sentences that differ only in "30" and "14"
    scored 0.81, and 1.0 with their numbers masked."""
    return _NUMBER.sub("0", normalise_digits(text))


def embed_masked(texts: list[str]) -> np.ndarray:
    return embed_texts([mask_numbers(text) for text in texts])


def mean_vectors(groups: list[list[str]]) -> np.ndarray:
    """Embed every text once and return each group's normalised mean vector."""
    flat = [text for group in groups for text in group]
    vectors = embed_masked(flat)
    means = []
    start = 0
    for group in groups:
        mean = vectors[start : start + len(group)].mean(axis=0)
        start += len(group)
        norm = float(np.linalg.norm(mean))
        means.append(mean / norm if norm else mean)
    return np.vstack(means) if means else np.zeros((0, vectors.shape[1]), dtype=np.float32)


def sentence_conflicts(left: ArticleText, right: ArticleText, cache: dict[str, np.ndarray]) -> list[FactConflict]:
    """Compare each sentence found in only one of the articles with its closest sentence in
    the other. Sentences both articles contain state the same fact and are skipped, so two
    copies of a text that lists 30 days for one case and 90 for another do not conflict."""
    left_all = split_sentences(left.body)[:MAX_SENTENCES]
    right_all = split_sentences(right.body)[:MAX_SENTENCES]
    left_sentences = [sentence for sentence in left_all if sentence not in set(right_all)]
    right_sentences = [sentence for sentence in right_all if sentence not in set(left_all)]
    if not left_sentences or not right_sentences:
        return []
    missing = [text for text in {*left_sentences, *right_sentences} if text not in cache]
    for text, vector in zip(missing, embed_masked(missing), strict=True):
        cache[text] = vector
    similarity = (
        np.vstack([cache[text] for text in left_sentences]) @ np.vstack([cache[text] for text in right_sentences]).T
    )

    conflicts: list[FactConflict] = []
    for left_index, left_sentence in enumerate(left_sentences):
        right_index = int(np.argmax(similarity[left_index]))
        closeness = float(similarity[left_index, right_index])
        if closeness < ALIGNED_SENTENCE_SIMILARITY:
            continue
        right_sentence = right_sentences[right_index]
        for left_facts, right_facts in conflicting_facts(left_sentence, right_sentence):
            conflicts.append(
                FactConflict(
                    left_facts[0].kind,
                    left_sentence,
                    right_sentence,
                    tuple(fact.text for fact in left_facts),
                    tuple(fact.text for fact in right_facts),
                )
            )
        if closeness >= ALIGNED_POLARITY_SIMILARITY and is_negated(left_sentence) != is_negated(right_sentence):
            conflicts.append(FactConflict("yes_no", left_sentence, right_sentence, (), ()))
    return conflicts


def find_overlaps(articles: list[ArticleText]) -> tuple[list[OverlapPair], list[OverlapPair]]:
    """Return (duplicates, contradictions) among the articles, the closest pairs first."""
    if len(articles) < 2:
        return [], []
    question_vectors = mean_vectors([[article.title, *article.questions] for article in articles])
    text_vectors = mean_vectors(
        [split_sentences(article.body)[:MAX_SENTENCES] or [article.title] for article in articles]
    )
    question_similarity = question_vectors @ question_vectors.T
    text_similarity = text_vectors @ text_vectors.T
    candidates = np.triu(
        (question_similarity >= SAME_QUESTION_SIMILARITY) | (text_similarity >= SAME_TEXT_SIMILARITY), k=1
    )

    duplicates: list[OverlapPair] = []
    contradictions: list[OverlapPair] = []
    cache: dict[str, np.ndarray] = {}
    for left_index, right_index in zip(*np.nonzero(candidates), strict=True):
        left, right = articles[int(left_index)], articles[int(right_index)]
        pair = OverlapPair(
            left,
            right,
            round(float(question_similarity[left_index, right_index]), 4),
            round(float(text_similarity[left_index, right_index]), 4),
        )
        same_question = pair.question_similarity >= SAME_QUESTION_SIMILARITY
        pair.conflicts = sentence_conflicts(left, right, cache)
        if pair.conflicts and same_question:
            contradictions.append(pair)
        elif not pair.conflicts and left.language == right.language and pair.text_similarity >= DUPLICATE_SIMILARITY:
            duplicates.append(pair)
    duplicates.sort(key=lambda pair: pair.text_similarity, reverse=True)
    contradictions.sort(key=lambda pair: (pair.question_similarity, pair.text_similarity), reverse=True)
    return duplicates, contradictions


_cache_lock = threading.Lock()
_cached: OverlapReport | None = None


def overlap_report() -> OverlapReport:
    """Return the duplicates and contradictions of the published knowledge, computed once
    per knowledge generation and process."""
    global _cached
    generation = IndexState.objects.filter(pk=1).values_list("generation", flat=True).first() or 0
    with _cache_lock:
        if _cached is not None and _cached.generation == generation:
            return _cached
        started = time.perf_counter()
        articles = published_texts()
        duplicates, contradictions = find_overlaps(articles)
        elapsed_ms = (time.perf_counter() - started) * 1000
        _cached = OverlapReport(generation, duplicates, contradictions, len(articles), round(elapsed_ms, 1))
        logger.info(
            "overlap report built generation=%s articles=%s duplicates=%s contradictions=%s ms=%.0f",
            generation,
            len(articles),
            len(duplicates),
            len(contradictions),
            elapsed_ms,
        )
        return _cached


def forget_overlap_report() -> None:
    global _cached
    with _cache_lock:
        _cached = None
