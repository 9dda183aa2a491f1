"""The tier decision taken before the AI may answer."""

from __future__ import annotations

from django.db import transaction

from escalation import signals
from supportdesk.audit import record_audit
from tickets.models import Conversation, Message


def handoff_reason_before_answer(
    conversation: Conversation, message: Message, *, person_requested: bool = False
) -> str:
    """Return a handoff reason when a person must take the message, or "" to let AI answer."""
    if person_requested:
        return "customer_request"
    if signals.asks_for_person(message.text):
        return "customer_request"
    if signals.is_complaint(message.text):
        return "complaint"
    return ""


def reopen_for_new_question(conversation: Conversation) -> Conversation:
    """Give a customer who returns to a resolved conversation a fresh decision.

    The old handoff does not carry over: the new question starts at Tier 0 again.
    """
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        conversation.status = Conversation.Status.AI
        conversation.tier = Conversation.Tier.INSTANT
        conversation.queued_at = None
        conversation.resolved_at = None
        conversation.resolution = ""
        conversation.save(update_fields=["status", "tier", "queued_at", "resolved_at", "resolution", "updated_at"])
        record_audit("escalation.reopen", acting_user=None, actor_kind="customer", target=conversation)
    return conversation
