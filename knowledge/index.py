"""The Chroma vector index of published knowledge.

The relational database is the source of truth: every entry here can be rebuilt from it with
`manage.py rebuild_index`. Entries are the passages of each published version, its example
questions and its title, each with the ids that lead back to the database.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import chromadb
from chromadb.api.client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError
from django.conf import settings

from knowledge.embeddings import SentenceEmbeddingFunction, embed_texts
from knowledge.models import Article, ArticleVersion

logger = logging.getLogger(__name__)

_lock = threading.RLock()
_client: Any = None
# One collection per audience, so Tier 0 searches customer-facing knowledge with no filter
# (a metadata filter made each query about 15 ms slower) and can never see internal text.
_collections: dict[str, Any] = {}
_loaded_generation: int | None = None


@dataclass(frozen=True)
class IndexEntry:
    entry_id: str
    text: str
    article_id: int
    version_id: int
    kind: str  # "chunk", "question" or "title"
    chunk_id: int | None


@dataclass(frozen=True)
class DenseHit:
    entry_id: str
    similarity: float
    metadata: dict[str, Any]


def make_client() -> Any:
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.CHROMA_URL:
        url = urlparse(settings.CHROMA_URL)
        if not url.hostname:
            raise ValueError(f"CHROMA_URL={settings.CHROMA_URL!r} has no host; use a URL such as http://127.0.0.1:8000")
        return chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    settings.CHROMA_PATH.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.CHROMA_PATH), settings=chroma_settings)


AUDIENCES = (Article.Audience.CUSTOMER.value, Article.Audience.INTERNAL.value)


def collection_name(audience: str) -> str:
    return f"{settings.CHROMA_COLLECTION}-{audience}"


def get_client() -> Any:
    global _client
    with _lock:
        if _client is None:
            _client = make_client()
        return _client


def get_collection(audience: str) -> Any:
    with _lock:
        if audience not in _collections:
            _collections[audience] = get_client().get_or_create_collection(
                collection_name(audience),
                embedding_function=SentenceEmbeddingFunction(),  # type: ignore[arg-type]
                metadata={"hnsw:space": "cosine"},
            )
        return _collections[audience]


def reload_if_changed(generation: int) -> None:
    """Reopen the embedded index when another process (the q2 cluster) has written to it.

    An embedded Chroma client keeps its vector segments in memory and does not see entries
    that another process added, so a reader reopens it when the knowledge generation moves.
    A Chroma server needs no reopening.
    """
    global _client, _loaded_generation
    with _lock:
        if _loaded_generation == generation:
            return
        if _client is not None and not settings.CHROMA_URL:
            SharedSystemClient.clear_system_cache()
            _client = None
            _collections.clear()
        _loaded_generation = generation


def forget_client() -> None:
    """Drop the cached client, as tests do when they switch data folders."""
    global _client, _loaded_generation
    with _lock:
        SharedSystemClient.clear_system_cache()
        _client = None
        _collections.clear()
        _loaded_generation = None


def entries_for(article: Article, version: ArticleVersion) -> list[IndexEntry]:
    entries = [IndexEntry(f"t:{version.pk}", version.title, article.pk, version.pk, "title", None)]
    for number, question in enumerate(version.example_questions):
        entries.append(IndexEntry(f"q:{version.pk}:{number}", question, article.pk, version.pk, "question", None))
    for chunk in version.chunks.all():
        entries.append(IndexEntry(f"c:{chunk.pk}", chunk.text, article.pk, version.pk, "chunk", chunk.pk))
    return entries


def index_version(article: Article, version: ArticleVersion) -> int:
    """Replace the article's entries by those of `version`; returns the number written."""
    entries = entries_for(article, version)
    embeddings = embed_texts([entry.text for entry in entries])
    with _lock:
        remove_article(article.pk)
        collection = get_collection(article.audience)
        # upsert, not add: ids are database keys, and a key reused after a rollback must
        # overwrite the stale entry rather than be skipped.
        collection.upsert(
            ids=[entry.entry_id for entry in entries],
            embeddings=[row for row in embeddings],
            documents=[entry.text for entry in entries],
            metadatas=[
                {
                    "article_id": article.pk,
                    "version_id": version.pk,
                    "kind": entry.kind,
                    "chunk_id": entry.chunk_id if entry.chunk_id is not None else -1,
                    "language": article.language,
                }
                for entry in entries
            ],
        )
    return len(entries)


def remove_article(article_id: int) -> None:
    """Delete the article's entries from every collection (its audience may have changed)."""
    with _lock:
        for audience in AUDIENCES:
            get_collection(audience).delete(where={"article_id": article_id})


def dense_search(embedding: Any, *, limit: int, audiences: tuple[str, ...]) -> list[DenseHit]:
    """Return up to `limit` entries per audience nearest to the embedding, by cosine similarity."""
    hits = []
    with _lock:
        for audience in audiences:
            # An empty collection returns no ids, and a limit above the count is allowed.
            try:
                collection = get_collection(audience)
                result = collection.query(
                    query_embeddings=[embedding], n_results=limit, include=["metadatas", "distances"]
                )
            except NotFoundError:
                # The collection was deleted under us (a rebuild in another process):
                # reopen it, empty until the rebuild fills it.
                logger.warning("chroma collection missing audience=%s; reopening", audience)
                _collections.pop(audience, None)
                result = get_collection(audience).query(
                    query_embeddings=[embedding], n_results=limit, include=["metadatas", "distances"]
                )
            for entry_id, distance, metadata in zip(
                result["ids"][0], result["distances"][0], result["metadatas"][0], strict=True
            ):
                hits.append(DenseHit(entry_id, 1.0 - float(distance), dict(metadata)))
    return hits


def rebuild() -> tuple[int, int]:
    """Drop the collection and index every published article again from the database.

    Returns (articles, entries).
    """
    started = time.perf_counter()
    with _lock:
        client = get_client()
        existing = {getattr(collection, "name", collection) for collection in client.list_collections()}
        for audience in AUDIENCES:
            if collection_name(audience) in existing:
                client.delete_collection(collection_name(audience))
            _collections.pop(audience, None)
    articles = 0
    entries = 0
    published = Article.objects.filter(status=Article.Status.PUBLISHED, published_version__isnull=False).select_related(
        "published_version"
    )
    for article in published.iterator():
        assert article.published_version is not None
        entries += index_version(article, article.published_version)
        articles += 1
    logger.info(
        "index rebuilt articles=%s entries=%s ms=%.0f", articles, entries, (time.perf_counter() - started) * 1000
    )
    return articles, entries
