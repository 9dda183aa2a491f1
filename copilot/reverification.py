"""The re-verification queue: after a new version of an article is published, the answers
of the last days that quoted its old text are listed for a person to check, and each
conversation still open gets an internal note for its agent.

Only an old version whose title or text differs from the new one counts: a version that
changed only its example questions told customers the same thing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from copilot.actions import do_queue_reverification
from knowledge.models import ArticleVersion
from supportdesk.tasks import enqueue_on_commit
from tickets.models import Draft, Message, MessageSource

logger = logging.getLogger(__name__)

# Days back from the publish that answers are listed, unless the setting (and environment
# variable) SUPPORTDESK_REVERIFICATION_DAYS says otherwise.
DEFAULT_WINDOW_DAYS = 30


def window_days() -> int:
    return int(getattr(settings, "SUPPORTDESK_REVERIFICATION_DAYS", DEFAULT_WINDOW_DAYS))


@dataclass(frozen=True)
class QuotedAnswer:
    message: Message
    old_version_id: int


def changed_versions(new_version: ArticleVersion) -> list[ArticleVersion]:
    """Return the article's other versions whose title or text differs from `new_version`."""
    others = ArticleVersion.objects.filter(article_id=new_version.article_id).exclude(pk=new_version.pk)
    return [version for version in others if (version.title, version.body) != (new_version.title, new_version.body)]


def answers_quoting(version_ids: set[int], since: datetime) -> list[QuotedAnswer]:
    """Return the AI answers and the agents' replies sent from drafts, since `since`, that
    quoted one of the versions; one entry per message, oldest first."""
    found: dict[int, QuotedAnswer] = {}
    sources = MessageSource.objects.filter(version_id__in=version_ids, message__created_at__gte=since).select_related(
        "message"
    )
    for source in sources.order_by("message_id"):
        found.setdefault(source.message_id, QuotedAnswer(source.message, source.version_id))

    drafts = Draft.objects.filter(sent_message__isnull=False, sent_message__created_at__gte=since).select_related(
        "sent_message"
    )
    for draft in drafts:
        assert draft.sent_message is not None
        quoted = [source.get("version_id") for source in draft.sources if isinstance(source, dict)]
        old = next((version_id for version_id in quoted if version_id in version_ids), None)
        if old is not None:
            found.setdefault(draft.sent_message.pk, QuotedAnswer(draft.sent_message, old))
    return sorted(found.values(), key=lambda answer: answer.message.pk)


def queue_reverification_on_publish(
    sender: Any, *, version_id: int, previous_version_id: int | None, **kwargs: Any
) -> None:
    """Receiver of `knowledge.signals.version_published`: queue the listing after commit."""
    if previous_version_id is None or previous_version_id == version_id:
        return
    enqueue_on_commit("copilot.reverification.build_reverification_queue", version_id)


def build_reverification_queue(version_id: int) -> None:
    """django-q2 task: list the answers that quoted older text of the version's article."""
    started = time.perf_counter()
    version = ArticleVersion.objects.filter(pk=version_id).select_related("article").first()
    if version is None:
        logger.info("reverification skipped version_id=%s reason=deleted", version_id)
        return
    if version.article.published_version_id != version.pk:
        logger.info("reverification skipped version_id=%s reason=no_longer_published", version_id)
        return
    since = timezone.now() - timedelta(days=window_days())
    old_ids = {old.pk for old in changed_versions(version)}
    answers = [(answer.message, answer.old_version_id) for answer in answers_quoting(old_ids, since)]
    items = do_queue_reverification(version, answers=answers, acting_user=None)
    logger.info(
        "reverification queued version_id=%s items=%s ms=%.0f",
        version_id,
        len(items),
        (time.perf_counter() - started) * 1000,
    )
