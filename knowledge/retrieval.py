"""Hybrid retrieval over published knowledge: dense vectors from Chroma plus character
n-gram keyword scores, combined per article and turned into a calibrated confidence.

Character n-grams catch spelling variants, order numbers and Arabic morphology that the
sentence encoder blurs; the encoder catches paraphrases with no words in common. Matching
against example questions as well as the article text is what finds the right FAQ: customer
questions rarely share wording with the answer itself.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from knowledge import index
from knowledge.embeddings import embed_text
from knowledge.language import detect_language
from knowledge.models import Article, ArticleVersion, Chunk, IndexState

logger = logging.getLogger(__name__)

# Weight of the dense similarity in an entry's score; the keyword score gets the rest.
DENSE_WEIGHT = 0.5
# Weight of the re-ranker's probability in an article's score; the similarity of its best
# entries gets the rest. On held-out Bitext questions (bench/retrieval_ablation.py) the
# re-ranker alone ranked the right article first for 99.3%, similarity alone for 96.3%,
# both for 99.4%.
RERANK_WEIGHT = 0.5
# An article's similarity is the mean of its best entries' scores, so one lucky neighbour
# (a question sharing only an order number or a name) counts less.
ENTRIES_PER_ARTICLE = 3
# Score added to articles in the customer's language, so an Arabic question is answered from
# the Arabic article when both languages cover it.
SAME_LANGUAGE_BONUS = 0.05
# Entries taken from each retriever before they are combined.
CANDIDATES_PER_RETRIEVER = 40

# Logistic calibration of confidence = P(the top article answers the question), fitted by
# bench/calibrate_tier0.py on held-out Bitext questions and CLINC150 out-of-scope questions;
# docs/benchmarks.md has the run. Features: the re-ranker's probability of the top article,
# its margin over the runner-up's score, and the top article's similarity.
CONFIDENCE_WEIGHTS = (4.84, 3.46, 4.91)
CONFIDENCE_INTERCEPT = -5.73


@dataclass(frozen=True)
class ArticleInfo:
    article_id: int
    version_id: int
    version_number: int
    title: str
    slug: str
    audience: str
    language: str
    category: str
    kind: str
    human_only: bool


@dataclass
class Passage:
    chunk_id: int
    ordinal: int
    text: str
    score: float


@dataclass
class ScoredArticle:
    info: ArticleInfo
    score: float
    similarity: float
    rerank: float
    matched_text: str
    passages: list[Passage] = field(default_factory=list)


@dataclass
class RetrievalResult:
    query: str
    language: str
    articles: list[ScoredArticle]
    confidence: float
    # The inputs of `calibrated_confidence`: (re-ranker probability, margin, similarity).
    confidence_features: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def top(self) -> ScoredArticle | None:
        return self.articles[0] if self.articles else None


@dataclass
class Reranker:
    """A linear classifier from question text to article, trained on each article's example
    questions, title and passages. Unlike nearest neighbours it learns which words tell two
    close articles apart (download an invoice versus look at one) and which do not (names,
    order numbers)."""

    word_vectorizer: TfidfVectorizer
    model: LogisticRegression
    article_ids: np.ndarray


@dataclass
class Snapshot:
    """In-memory keyword index and article facts at one knowledge generation."""

    generation: int
    articles: dict[int, ArticleInfo]
    entry_ids: list[str]
    entry_texts: list[str]
    entry_article: np.ndarray
    entry_chunk: list[int | None]
    entry_ordinal: list[int]
    entry_audience: np.ndarray
    vectorizer: TfidfVectorizer | None
    matrix: object | None
    position: dict[str, int]
    # Positions of each article's passages, in reading order.
    article_chunks: dict[int, list[int]]
    # Trained on first use per audience ("" for all audiences); None when fewer than two
    # articles are answerable.
    rerankers: dict[str, Reranker | None] = field(default_factory=dict)


_snapshot: Snapshot | None = None
_snapshot_lock = threading.Lock()


def current_generation() -> int:
    return IndexState.objects.filter(pk=1).values_list("generation", flat=True).first() or 0


def build_snapshot(generation: int) -> Snapshot:
    published = Article.objects.filter(status=Article.Status.PUBLISHED, published_version__isnull=False)
    versions = ArticleVersion.objects.filter(pk__in=published.values("published_version")).select_related("article")
    articles: dict[int, ArticleInfo] = {}
    ids: list[str] = []
    texts: list[str] = []
    owners: list[int] = []
    chunk_ids: list[int | None] = []
    ordinals: list[int] = []
    audiences: list[str] = []

    def add(entry_id: str, text: str, article: Article, chunk_id: int | None, ordinal: int) -> None:
        ids.append(entry_id)
        texts.append(text)
        owners.append(article.pk)
        chunk_ids.append(chunk_id)
        ordinals.append(ordinal)
        audiences.append(article.audience)

    for version in versions:
        article = version.article
        articles[article.pk] = ArticleInfo(
            article.pk,
            version.pk,
            version.number,
            version.title,
            article.slug,
            article.audience,
            article.language,
            article.category,
            article.kind,
            article.human_only,
        )
        add(f"t:{version.pk}", version.title, article, None, -1)
        for number, question in enumerate(version.example_questions):
            add(f"q:{version.pk}:{number}", question, article, None, -1)
    chunks = Chunk.objects.filter(version__in=versions).select_related("version__article")
    for chunk in chunks:
        add(f"c:{chunk.pk}", chunk.text, chunk.version.article, chunk.pk, chunk.ordinal)

    vectorizer = None
    matrix = None
    if texts:
        vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, preprocessor=normalise_text
        )
        matrix = vectorizer.fit_transform(texts)
    logger.info("keyword index built generation=%s articles=%s entries=%s", generation, len(articles), len(texts))
    return Snapshot(
        generation=generation,
        articles=articles,
        entry_ids=ids,
        entry_texts=texts,
        entry_article=np.asarray(owners, dtype=np.int64),
        entry_chunk=chunk_ids,
        entry_ordinal=ordinals,
        entry_audience=np.asarray(audiences),
        vectorizer=vectorizer,
        matrix=matrix,
        position={entry_id: number for number, entry_id in enumerate(ids)},
        article_chunks=group_chunks(owners, chunk_ids, ordinals),
    )


def group_chunks(owners: list[int], chunk_ids: list[int | None], ordinals: list[int]) -> dict[int, list[int]]:
    grouped: dict[int, list[int]] = {}
    for position, (article_id, chunk_id) in enumerate(zip(owners, chunk_ids, strict=True)):
        if chunk_id is not None:
            grouped.setdefault(article_id, []).append(position)
    for positions in grouped.values():
        positions.sort(key=lambda position: ordinals[position])
    return grouped


def get_snapshot() -> Snapshot:
    """Return the snapshot of the current generation, rebuilding it when knowledge changed."""
    global _snapshot
    generation = current_generation()
    if _snapshot is not None and _snapshot.generation == generation:
        return _snapshot
    with _snapshot_lock:
        if _snapshot is None or _snapshot.generation != generation:
            index.reload_if_changed(generation)
            _snapshot = build_snapshot(generation)
        return _snapshot


def forget_snapshot() -> None:
    global _snapshot
    with _snapshot_lock:
        _snapshot = None


_DIGITS = re.compile(r"\d+")


def normalise_text(text: str) -> str:
    """Lower-case and turn every digit run into 0, so order numbers do not decide a match."""
    return _DIGITS.sub("0", text.lower())


def train_reranker(snapshot: Snapshot, audience: str | None) -> Reranker | None:
    allowed = np.ones(len(snapshot.entry_ids), dtype=bool) if audience is None else snapshot.entry_audience == audience
    positions = np.flatnonzero(allowed)
    labels = snapshot.entry_article[positions]
    if snapshot.vectorizer is None or snapshot.matrix is None or len(set(labels.tolist())) < 2:
        return None
    started = time.perf_counter()
    texts = [snapshot.entry_texts[position] for position in positions]
    word_vectorizer = TfidfVectorizer(
        analyzer="word", ngram_range=(1, 2), sublinear_tf=True, preprocessor=normalise_text
    )
    features = hstack([snapshot.matrix[positions], word_vectorizer.fit_transform(texts)]).tocsr()  # type: ignore[index]
    model = LogisticRegression(C=10, max_iter=3000)
    model.fit(features, labels)
    logger.info(
        "reranker trained audience=%s articles=%s examples=%s ms=%.0f",
        audience or "all",
        len(model.classes_),
        len(texts),
        (time.perf_counter() - started) * 1000,
    )
    return Reranker(word_vectorizer, model, model.classes_)


def get_reranker(snapshot: Snapshot, audience: str | None) -> Reranker | None:
    key = audience or ""
    if key not in snapshot.rerankers:
        with _snapshot_lock:
            if key not in snapshot.rerankers:
                snapshot.rerankers[key] = train_reranker(snapshot, audience)
    return snapshot.rerankers[key]


def rerank_probabilities(snapshot: Snapshot, reranker: Reranker, query: str) -> dict[int, float]:
    assert snapshot.vectorizer is not None
    features = hstack([snapshot.vectorizer.transform([query]), reranker.word_vectorizer.transform([query])]).tocsr()
    probabilities = reranker.model.predict_proba(features)[0]
    return {
        int(article_id): float(probability)
        for article_id, probability in zip(reranker.article_ids, probabilities, strict=True)
    }


def calibrated_confidence(rerank: float, margin: float, similarity: float) -> float:
    weighted = sum(
        weight * value for weight, value in zip(CONFIDENCE_WEIGHTS, (rerank, margin, similarity), strict=True)
    )
    return 1.0 / (1.0 + math.exp(-(weighted + CONFIDENCE_INTERCEPT)))


def keyword_scores(snapshot: Snapshot, query: str) -> np.ndarray:
    if snapshot.vectorizer is None or snapshot.matrix is None:
        return np.zeros(0)
    query_vector = snapshot.vectorizer.transform([query])
    return np.asarray((snapshot.matrix @ query_vector.T).toarray()).ravel()  # type: ignore[operator]


def search(query: str, *, audience: str | None = Article.Audience.CUSTOMER, limit: int = 5) -> RetrievalResult:
    """Rank published articles for the query; `audience=None` searches internal ones too."""
    snapshot = get_snapshot()
    language = detect_language(query)
    if not snapshot.entry_ids:
        return RetrievalResult(query, language, [], 0.0)

    keyword = keyword_scores(snapshot, query)
    allowed = np.ones(len(snapshot.entry_ids), dtype=bool) if audience is None else snapshot.entry_audience == audience
    keyword = np.where(allowed, keyword, 0.0)

    dense = dict[int, float]()
    audiences = index.AUDIENCES if audience is None else (audience,)
    for hit in index.dense_search(embed_text(query), limit=CANDIDATES_PER_RETRIEVER, audiences=audiences):
        position = snapshot.position.get(hit.entry_id)
        # Entries of versions no longer published (a retire the index has not caught up
        # with) are not in the snapshot and drop out here.
        if position is not None and allowed[position]:
            dense[position] = hit.similarity
    dense_floor = min(dense.values()) if dense else 0.0

    candidates = set(dense)
    top_keyword = np.argsort(-keyword)[:CANDIDATES_PER_RETRIEVER]
    candidates.update(int(position) for position in top_keyword if keyword[position] > 0)

    entry_scores: dict[int, list[tuple[float, int]]] = {}
    for position in candidates:
        combined = DENSE_WEIGHT * dense.get(position, dense_floor) + (1 - DENSE_WEIGHT) * float(keyword[position])
        entry_scores.setdefault(int(snapshot.entry_article[position]), []).append((combined, position))

    reranker = get_reranker(snapshot, audience)
    probabilities = rerank_probabilities(snapshot, reranker, query) if reranker is not None else {}
    scored = [
        score_article(snapshot, article_id, entries, probabilities, language)
        for article_id, entries in entry_scores.items()
    ]
    for article_id in probabilities:
        if article_id not in entry_scores:
            scored.append(score_article(snapshot, article_id, [], probabilities, language))

    ranked = sorted(scored, key=lambda item: item.score, reverse=True)[:limit]
    result = RetrievalResult(query, language, ranked, 0.0)
    if ranked:
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        top = ranked[0]
        result.confidence_features = (
            top.rerank if reranker is not None else 1.0,
            top.score - runner_up,
            top.similarity,
        )
        result.confidence = calibrated_confidence(*result.confidence_features)
    return result


def score_article(
    snapshot: Snapshot,
    article_id: int,
    entries: list[tuple[float, int]],
    probabilities: dict[int, float],
    language: str,
) -> ScoredArticle:
    """Combine an article's best entry scores and its re-ranker probability into one score,
    and list its passages, best first."""
    info = snapshot.articles[article_id]
    entries.sort(reverse=True)
    best = entries[:ENTRIES_PER_ARTICLE]
    similarity = sum(score for score, _position in best) / len(best) if best else 0.0
    rerank = probabilities.get(article_id, 0.0)
    score = (RERANK_WEIGHT * rerank + (1 - RERANK_WEIGHT) * similarity) if probabilities else similarity
    if info.language == language:
        score += SAME_LANGUAGE_BONUS

    passages = [
        Passage(chunk_id, snapshot.entry_ordinal[position], snapshot.entry_texts[position], entry_score)
        for entry_score, position in entries
        if (chunk_id := snapshot.entry_chunk[position]) is not None
    ]
    if not passages:
        # Matched by title or example question only: its passages in reading order.
        passages = [
            Passage(chunk_id, snapshot.entry_ordinal[position], snapshot.entry_texts[position], 0.0)
            for position in snapshot.article_chunks.get(article_id, [])
            if (chunk_id := snapshot.entry_chunk[position]) is not None
        ]
    matched = snapshot.entry_texts[best[0][1]] if best else ""
    return ScoredArticle(info, score, similarity, rerank, matched, passages)
