"""Every write of the escalation app: handoffs and queue placement."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from escalation.models import Handoff, Queue
from supportdesk.audit import record_audit
from supportdesk.tasks import enqueue_on_commit
from supportdesk.types import ActingUser
from tickets.actions import do_post_system_message, notify_queue_changed, notify_state
from tickets.models import Conversation, Message
from tickets.payloads import queue_position

logger = logging.getLogger(__name__)


def get_default_queue() -> Queue:
    queue = Queue.objects.filter(is_default=True).first()
    if queue is None:
        queue, _created = Queue.objects.get_or_create(slug="general", defaults={"name": "General", "is_default": True})
    return queue


def handoff_notice(position: int | None, language: str) -> str:
    with translation.override(language):
        if position is None:
            return _("A person from our team will take it from here.")
        return _("A person from our team will take it from here. You are number %(position)s in the queue.") % {
            "position": position
        }


def do_handoff(
    conversation: Conversation,
    *,
    reason: str,
    reply_to: Message | None,
    packet: dict[str, Any],
    to_tier: int = Conversation.Tier.AGENT,
    acting_user: ActingUser = None,
) -> Handoff:
    """Queue the conversation for a person, with the context they need, and tell the customer.

    From here on the AI stops answering this conversation until it is resolved.
    """
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        from_tier = conversation.tier
        queue = conversation.queue or get_default_queue()
        conversation.status = Conversation.Status.QUEUED
        conversation.tier = to_tier
        conversation.queue = queue
        conversation.queued_at = timezone.now()
        if packet.get("intent"):
            conversation.intent = packet["intent"]
        conversation.save(update_fields=["status", "tier", "queue", "queued_at", "intent", "updated_at"])
        handoff = Handoff.objects.create(
            conversation=conversation,
            from_tier=from_tier,
            to_tier=to_tier,
            reason=reason,
            queue=queue,
            packet=packet,
        )
        record_audit(
            "escalation.handoff",
            acting_user=acting_user,
            actor_kind="ai" if acting_user is None else "user",
            target=conversation,
            reason=reason,
            to_tier=to_tier,
        )
        do_post_system_message(
            conversation, text=handoff_notice(queue_position(conversation), conversation.language), reply_to=reply_to
        )
        notify_state(conversation)
        notify_queue_changed()
        # The copilot panel is ready for the agent who opens the conversation.
        enqueue_on_commit("copilot.tasks.build_copilot_panel", conversation.pk)
    logger.info("handoff conversation=%s reason=%s queue=%s", conversation.public_id, reason, queue.slug)
    return handoff
