"""django-q2 tasks of the copilot."""

from __future__ import annotations

import logging
import time

from django.db import transaction
from django.utils import timezone

from copilot.panel import build_panel
from tickets.actions import notify_agents
from tickets.models import Conversation, Draft, Message

logger = logging.getLogger(__name__)


def build_copilot_panel(conversation_id: int) -> None:
    """Build the panel and draft for the conversation's newest customer message and push it
    to the agents viewing it. Does nothing when the row is gone, the conversation is with the
    AI or resolved, or a pending draft already answers that message."""
    started = time.perf_counter()
    conversation = Conversation.objects.select_related("customer").filter(pk=conversation_id).first()
    if conversation is None or conversation.status in {Conversation.Status.AI, Conversation.Status.RESOLVED}:
        return
    latest = conversation.messages.filter(author_kind=Message.AuthorKind.CUSTOMER).order_by("-id").first()
    if Draft.objects.filter(conversation=conversation, for_message=latest, fate=Draft.Fate.PENDING).exists():
        return

    content = build_panel(conversation)
    with transaction.atomic():
        Draft.objects.filter(conversation=conversation, fate=Draft.Fate.PENDING).update(
            fate=Draft.Fate.STALE, decided_at=timezone.now()
        )
        draft = Draft.objects.create(
            conversation=conversation,
            for_message=latest,
            text=content.draft_text,
            sources=content.sources,
            panel=content.panel,
            provider=content.provider,
        )
        notify_agents(conversation, "panel", draft_id=draft.pk)
    logger.info(
        "copilot panel built conversation=%s draft=%s ms=%.0f",
        conversation.public_id,
        draft.pk,
        (time.perf_counter() - started) * 1000,
    )
