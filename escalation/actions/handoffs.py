"""Handoffs to people, the return of a customer to a resolved conversation, and AI drafts."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from escalation.actions.assignment import assign_locked
from escalation.actions.sla import start_sla_clock
from escalation.assignment import choose_agent
from escalation.intents import UNKNOWN
from escalation.models import ConversationRouting, Handoff, Priority, Queue, SLAClock
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


def thanks_notice(language: str) -> str:
    with translation.override(language):
        return _("Glad that helped. Write again any time if you have another question.")


def escape_hatch_notice(language: str) -> str:
    with translation.override(language):
        return _("Not what you needed? Press “Talk to a person” and someone from our team will take over.")


def do_handoff(
    conversation: Conversation,
    *,
    reason: str,
    reply_to: Message | None,
    packet: dict[str, Any],
    to_tier: int = Conversation.Tier.AGENT,
    queue: Queue | None = None,
    priority: str = Priority.NORMAL,
    acting_user: ActingUser = None,
) -> Handoff:
    """Queue the conversation for a person, with the context they need, and tell the customer.

    Starts the SLA clock of `priority` and assigns an online agent of the queue with free
    capacity, if there is one. From here on the AI stops answering this conversation until
    it is resolved.
    """
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        from_tier = conversation.tier
        queue = queue or conversation.queue or get_default_queue()
        conversation.status = Conversation.Status.QUEUED
        conversation.tier = to_tier
        conversation.queue = queue
        conversation.queued_at = timezone.now()
        if packet.get("intent") and packet["intent"] != UNKNOWN:
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
            priority=priority,
        )
        start_sla_clock(conversation, queue=queue, priority=priority)
        agent = choose_agent(Queue.objects.select_for_update().get(pk=queue.pk), tier=to_tier)
        if agent is not None:
            assign_locked(conversation, queue, agent, acting_user=acting_user)
        do_post_system_message(
            conversation, text=handoff_notice(queue_position(conversation), conversation.language), reply_to=reply_to
        )
        notify_state(conversation)
        notify_queue_changed()
        # The copilot panel is ready for the agent who opens the conversation.
        enqueue_on_commit("copilot.tasks.build_copilot_panel", conversation.pk)
    logger.info(
        "handoff conversation=%s reason=%s queue=%s tier=%s assignee=%s",
        conversation.public_id,
        reason,
        queue.slug,
        to_tier,
        conversation.assignee_id,
    )
    return handoff


def do_reopen_for_new_question(conversation: Conversation) -> Conversation:
    """Give a customer who returns to a resolved conversation a fresh decision.

    The old handoff does not carry over: the new question starts at Tier 0 again, in a new
    routing episode whose unresolved AI turns count from zero.
    """
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        # The old episode's SLA ends where the conversation was resolved.
        SLAClock.objects.filter(conversation=conversation, resolved_at__isnull=True).update(
            resolved_at=conversation.resolved_at or timezone.now()
        )
        conversation.status = Conversation.Status.AI
        conversation.tier = Conversation.Tier.INSTANT
        conversation.queued_at = None
        conversation.resolved_at = None
        conversation.resolution = ""
        conversation.assignee = None
        conversation.save(
            update_fields=["status", "tier", "queued_at", "resolved_at", "resolution", "assignee", "updated_at"]
        )
        ConversationRouting.objects.filter(conversation=conversation).update(
            episode_started_at=timezone.now(), churn_risk=0.0, decided_tier=None, decision_reason=""
        )
        record_audit("escalation.reopen", acting_user=None, actor_kind="customer", target=conversation)
    logger.info("conversation reopened for a new question conversation=%s", conversation.public_id)
    return conversation


def do_post_ai_draft(
    conversation: Conversation,
    *,
    reply_to: Message,
    text: str,
    confidence: float,
    provider: str,
    source_ids: Sequence[int],
) -> Message:
    """Store the AI's answer as an internal note for agents; the customer never sees it.

    Used in silent-copilot mode and when a routing rule sends an answerable message to a person.
    """
    with transaction.atomic():
        draft = Message.objects.create(
            conversation=conversation,
            author_kind=Message.AuthorKind.AI,
            visibility=Message.Visibility.INTERNAL,
            text=text,
            reply_to=reply_to,
            confidence=confidence,
            provider=provider,
        )
        record_audit(
            "escalation.ai_draft",
            acting_user=None,
            actor_kind="ai",
            target=draft,
            versions=list(source_ids),
            confidence=confidence,
        )
    return draft


def do_offer_person(conversation: Conversation, *, reply_to: Message) -> Message:
    """Post the triage wall's escape hatch after an AI answer."""
    with transaction.atomic():
        notice = do_post_system_message(
            conversation, text=escape_hatch_notice(conversation.language), reply_to=reply_to
        )
        record_audit("escalation.offer_person", acting_user=None, actor_kind="ai", target=notice)
    return notice


def do_resolve_by_ai(conversation: Conversation, *, reply_to: Message) -> Conversation:
    """Close a conversation whose customer thanked the AI for its answer, a confirmed AI resolution.

    A new question later reopens it with a fresh decision.
    """
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        conversation.status = Conversation.Status.RESOLVED
        conversation.resolution = Conversation.Resolution.AI
        conversation.resolved_at = timezone.now()
        conversation.save(update_fields=["status", "resolution", "resolved_at", "updated_at"])
        record_audit("escalation.ai_resolved", acting_user=None, actor_kind="customer", target=conversation)
        do_post_system_message(conversation, text=thanks_notice(conversation.language), reply_to=reply_to)
        notify_state(conversation)
    logger.info("conversation resolved by AI conversation=%s", conversation.public_id)
    return conversation
