"""What happens to a stored customer message: the tier decision, then a Tier 0 answer or a
handoff to a person. The chat consumer and `evaluate_tier0` both call
`handle_customer_message`, so the evaluation measures the path customers take."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from copilot import tier0
from escalation import policy
from escalation.actions import do_handoff
from knowledge.language import detect_language
from tickets.actions import CitedVersion, do_post_ai_answer
from tickets.models import Conversation, Message

logger = logging.getLogger(__name__)


@dataclass
class PipelineResult:
    # "answered", "handed_off" or "skipped" (a person has the conversation, or the message
    # was already handled before a resend).
    outcome: str
    reason: str = ""
    topic: str = ""
    elapsed_ms: float = 0.0


def handoff_packet(
    conversation: Conversation, message: Message, reason: str, result: tier0.Tier0Result | None
) -> dict[str, Any]:
    customer = conversation.customer
    packet: dict[str, Any] = {
        "reason": reason,
        "intent": result.topic if result else "",
        "language": conversation.language,
        "customer": {
            "name": customer.name,
            "email": customer.email,
            "attributes": customer.attributes,
            "verified": customer.identity_verified,
        },
        "customer_messages": list(
            conversation.messages.filter(author_kind=Message.AuthorKind.CUSTOMER)
            .order_by("id")
            .values_list("text", flat=True)[:50]
        ),
        "trigger_message_id": message.pk,
    }
    if result is not None and result.retrieval is not None:
        packet["ai_attempt"] = {
            "confidence": result.confidence,
            "detail": result.detail,
            "candidates": [
                {
                    "title": item.info.title,
                    "version_id": item.info.version_id,
                    "score": round(item.score, 4),
                    "category": item.info.category,
                }
                for item in result.retrieval.articles[:3]
            ],
        }
    return packet


def handle_customer_message(message: Message, *, person_requested: bool = False) -> PipelineResult:
    """Decide and act on one stored customer message; safe to call again for the same one.

    `person_requested` is set when the customer pressed "talk to a human".
    """
    started = time.perf_counter()
    conversation = Conversation.objects.select_related("customer").get(pk=message.conversation_id)

    if message.replies.exists():
        return PipelineResult("skipped", reason="already_handled")
    if conversation.status == Conversation.Status.RESOLVED:
        conversation = policy.reopen_for_new_question(conversation)
    if conversation.status != Conversation.Status.AI:
        return PipelineResult("skipped", reason="with_agent")

    language = detect_language(message.text, default=conversation.language)
    if language != conversation.language:
        Conversation.objects.filter(pk=conversation.pk).update(language=language)
        conversation.language = language

    reason = policy.handoff_reason_before_answer(conversation, message, person_requested=person_requested)
    result: tier0.Tier0Result | None = None
    if not reason:
        result = tier0.answer_question(message.text)
        if result.outcome == tier0.Outcome.HANDOFF:
            reason = result.handoff_reason

    with transaction.atomic():
        if reason:
            do_handoff(
                conversation,
                reason=reason,
                reply_to=message,
                packet=handoff_packet(conversation, message, reason, result),
            )
        else:
            assert result is not None
            do_post_ai_answer(
                conversation,
                reply_to=message,
                text=result.text,
                cited=[CitedVersion(source.version_id, source.score) for source in result.sources],
                confidence=result.confidence,
                provider=result.provider,
                intent=result.topic,
            )
    elapsed_ms = (time.perf_counter() - started) * 1000
    outcome = "handed_off" if reason else "answered"
    logger.info(
        "customer message handled message=%s outcome=%s reason=%s ms=%.1f", message.pk, outcome, reason, elapsed_ms
    )
    return PipelineResult(outcome, reason=reason, topic=result.topic if result else "", elapsed_ms=elapsed_ms)
