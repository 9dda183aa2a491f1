"""django-q2 tasks of the knowledge app."""

from __future__ import annotations

import logging
import time

from knowledge import index
from knowledge.actions import bump_index_generation
from knowledge.models import Article

logger = logging.getLogger(__name__)


def index_article(article_id: int) -> None:
    """Bring the article's index entries in line with its current state.

    A published article gets its published version's passages and example questions; any
    other article (retired, back in draft) gets none. Safe to run twice.
    """
    started = time.perf_counter()
    article = Article.objects.select_related("published_version").filter(pk=article_id).first()
    if article is None:
        index.remove_article(article_id)
        logger.info("index skipped article_id=%s reason=deleted", article_id)
        return
    if article.status == Article.Status.PUBLISHED and article.published_version is not None:
        entries = index.index_version(article, article.published_version)
    else:
        index.remove_article(article_id)
        entries = 0
    bump_index_generation()
    logger.info(
        "index updated article_id=%s entries=%s ms=%.0f", article_id, entries, (time.perf_counter() - started) * 1000
    )
