"""Scoring silent-copilot drafts against the reply an agent sent after them.

A support lead reads these scores before moving a channel from silent copilot to triage
wall, because they show how often the agents sent what the AI had drafted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import numpy as np
from django.db import IntegrityError, transaction

from escalation import policy
from escalation.models import AIMode, SilentDraftScore
from knowledge.embeddings import embed_texts
from supportdesk.audit import record_audit
from tickets.agent_actions import levenshtein
from tickets.models import Message

logger = logging.getLogger(__name__)

# A reply agrees with a draft when the cosine of their sentence embeddings reaches
# AGREED_SEMANTIC_SIMILARITY, or when the texts themselves are this close. Chosen on Bitext's
# 27 canned answers as drafts: hand-written English and Arabic paraphrases scored 0.61 to 0.87,
# same-topic replies that gave another answer at most 0.40, and 686 of 698 pairs of different
# intents' canned answers below 0.65 (the other 12 are neighbours, such as two refund answers).
# The canned answer with a greeting and sign-off added scores 0.62 to 0.86 in cosine, but at
# least 0.74 in text similarity, and no disagreeing pair reached 0.60 in text similarity.
# Measured with the use-multilingual-v3 encoder of `knowledge.embeddings`.
AGREED_SEMANTIC_SIMILARITY = 0.65
AGREED_TEXT_SIMILARITY = 0.60


def text_similarity(first: str, second: str) -> float:
    """Return 1 - Levenshtein distance / length of the longer text, in [0, 1]; 1 for two empty texts.

    The distance takes time proportional to the product of the lengths: 0.9 s for two
    2,000-character texts and 3.4 s for two 4,000-character ones on a 2-core machine.
    """
    first, second = first.strip(), second.strip()
    longer = max(len(first), len(second))
    if longer == 0:
        return 1.0
    return 1.0 - levenshtein(first, second) / longer


def semantic_similarities(pairs: Sequence[tuple[str, str]]) -> list[float] | None:
    """Return the embedding cosine of each (draft, reply) pair, or None when the encoder fails."""
    texts = list(dict.fromkeys(text for pair in pairs for text in pair))
    started = time.perf_counter()
    try:
        vectors = dict(zip(texts, embed_texts(texts), strict=True))
    except (ImportError, OSError, RuntimeError, ValueError, MemoryError) as error:
        logger.warning("draft scoring: encoder failed texts=%s error=%r", len(texts), error)
        return None
    logger.info("draft scoring: texts embedded texts=%s ms=%.0f", len(texts), (time.perf_counter() - started) * 1000)
    # The encoder returns unit-length rows, so the dot product is the cosine.
    return [float(np.dot(vectors[draft], vectors[reply])) for draft, reply in pairs]


def is_agreement(semantic: float | None, text: float) -> bool:
    """Return whether a reply agrees with the draft. Without embeddings only the text similarity decides."""
    return text >= AGREED_TEXT_SIMILARITY or (semantic is not None and semantic >= AGREED_SEMANTIC_SIMILARITY)


def find_unscored_drafts(reply: Message) -> list[Message]:
    """Return the silent drafts that answered customer messages since the agent's previous reply.

    A draft written after `reply` (the pipeline was still drafting while the agent typed) is
    left out, because the agent could not have seen it. Later replies skip it too, because
    its customer message came before their previous reply.
    """
    previous_reply_id = (
        Message.objects.filter(
            conversation_id=reply.conversation_id,
            author_kind=Message.AuthorKind.AGENT,
            visibility=Message.Visibility.PUBLIC,
            id__lt=reply.pk,
        )
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return list(
        Message.objects.filter(
            conversation_id=reply.conversation_id,
            author_kind=Message.AuthorKind.AI,
            visibility=Message.Visibility.INTERNAL,
            reply_to__author_kind=Message.AuthorKind.CUSTOMER,
            reply_to_id__gt=previous_reply_id or 0,
            id__lt=reply.pk,
            silent_draft_score__isnull=True,
        )
        .select_related("reply_to")
        .order_by("id")
    )


def do_score_silent_drafts(reply_id: int) -> list[SilentDraftScore]:
    """Score the silent-copilot drafts that an agent's reply followed; safe to run again.

    Call it outside any transaction. The rows are written first with the text similarity, in
    their own transactions, and the slow embedding fills the semantic similarity afterwards.
    So a task stopped during embedding keeps the rows, and a retry fills the scores of this
    reply that still lack a semantic similarity. Returns this reply's scores.
    """
    reply = Message.objects.select_related("conversation").filter(pk=reply_id).first()
    if reply is None or reply.author_kind != Message.AuthorKind.AGENT:
        return []
    if reply.visibility != Message.Visibility.PUBLIC:
        return []
    # NOTE: the mode at reply time decides. Drafts written before a switch to silent copilot
    # are scored, and those written before a switch away from it are not.
    if policy.channel_mode(reply.conversation.channel) != AIMode.SILENT_COPILOT:
        return []

    created = record_text_scores(reply, find_unscored_drafts(reply))
    pending = list(
        SilentDraftScore.objects.filter(reply=reply, semantic_similarity__isnull=True).select_related("draft")
    )
    if pending:
        fill_semantic_scores(reply, pending)
    if created:
        logger.info(
            "silent drafts scored reply=%s conversation=%s drafts=%s agreed=%s",
            reply.pk,
            reply.conversation.public_id,
            len(created),
            SilentDraftScore.objects.filter(reply=reply, agreed=True).count(),
        )
    return list(SilentDraftScore.objects.filter(reply=reply).order_by("draft_id"))


def record_text_scores(reply: Message, drafts: list[Message]) -> list[SilentDraftScore]:
    """Create one score per draft with its text similarity; a draft scored meanwhile is skipped."""
    created: list[SilentDraftScore] = []
    for draft in drafts:
        # Never None: `find_unscored_drafts` selects only drafts that answer a customer message.
        assert draft.reply_to_id is not None
        text = text_similarity(draft.text, reply.text)
        try:
            with transaction.atomic():
                score = SilentDraftScore.objects.create(
                    draft=draft,
                    reply=reply,
                    customer_message_id=draft.reply_to_id,
                    channel=reply.conversation.channel,
                    text_similarity=text,
                    agreed=is_agreement(None, text),
                )
                record_audit(
                    "escalation.score_silent_draft",
                    acting_user=None,
                    actor_kind="system",
                    target=score,
                    draft=draft.pk,
                    reply=reply.pk,
                )
        except IntegrityError:
            # Another run of the task scored this draft first.
            continue
        created.append(score)
    return created


def fill_semantic_scores(reply: Message, scores: list[SilentDraftScore]) -> None:
    """Store the embedding cosine of each score and decide `agreed` again with it."""
    similarities = semantic_similarities([(score.draft.text, reply.text) for score in scores])
    if similarities is None:
        logger.warning(
            "draft scoring: semantic similarity left empty reply=%s scores=%s", reply.pk, [s.pk for s in scores]
        )
        return
    for score, semantic in zip(scores, similarities, strict=True):
        SilentDraftScore.objects.filter(pk=score.pk, semantic_similarity__isnull=True).update(
            semantic_similarity=semantic, agreed=is_agreement(semantic, score.text_similarity)
        )
