"""What happens to a stored customer message: assessment, the tier decision, then a Tier 0
answer or a handoff to a person. The chat consumer and `evaluate_tier0` both call
`handle_customer_message`, so the evaluation measures the path customers take.

The channel's AI mode shapes the outcome:

- off: every message goes to a person;
- silent copilot: every message goes to a person, and the AI's answer, when it has one, is
  stored as an internal draft for the agent;
- triage wall: the AI answers first and offers a person after each answer;
- AI first: the AI answers; proactive outreach runs for the channel (see `escalation.tasks`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from copilot import tier0
from copilot.sentiment import analyse_text
from escalation import policy
from escalation.actions import (
    do_handoff,
    do_offer_person,
    do_open_recovery_case,
    do_post_ai_draft,
    do_record_triage,
    do_reopen_for_new_question,
    do_resolve_by_ai,
    do_resume_sla_clock,
    get_routing,
)
from escalation.intents import is_human_only, predict_intent
from escalation.models import AIMode, ConversationRouting, Handoff
from escalation.routing import RoutingContext, apply_rules
from knowledge.language import detect_language
from tickets.actions import CitedVersion, do_post_ai_answer
from tickets.models import Conversation, Message

logger = logging.getLogger(__name__)

# How many of the customer's earlier messages the sentiment analysis compares with.
EARLIER_MESSAGES = 10
# How many of the latest public messages the pipeline reads to find earlier customer texts,
# the previous reply and the unresolved AI turns. Two unresolved turns fit in far fewer.
HISTORY_MESSAGES = 60


@dataclass
class PipelineResult:
    # "answered", "handed_off", "resolved" (the customer thanked the AI) or "skipped" (a
    # person has the conversation, or the message was already handled before a resend).
    outcome: str
    reason: str = ""
    # The category of the article the AI answered from, or tried to.
    topic: str = ""
    elapsed_ms: float = 0.0
    tier: int = 0
    intent: str = ""


def handoff_packet(
    conversation: Conversation,
    message: Message,
    reason: str,
    result: tier0.Tier0Result | None,
    *,
    intent: str = "",
    routing: ConversationRouting | None = None,
) -> dict[str, Any]:
    customer = conversation.customer
    packet: dict[str, Any] = {
        "reason": reason,
        "intent": intent or (result.topic if result else ""),
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
    if routing is not None:
        packet["sentiment"] = {
            "score": routing.sentiment,
            "label": routing.sentiment_label,
            "trend": routing.sentiment_trend,
            "churn_risk": routing.churn_risk,
            "signals": routing.signals,
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


@dataclass(frozen=True)
class History:
    """The latest public messages up to the one being decided, oldest first."""

    messages: list[tuple[int, str, str, datetime]]

    @classmethod
    def load(cls, message: Message) -> History:
        rows = (
            Message.objects.filter(
                conversation_id=message.conversation_id, id__lte=message.pk, visibility=Message.Visibility.PUBLIC
            )
            .order_by("-id")
            .values_list("id", "author_kind", "text", "created_at")[:HISTORY_MESSAGES]
        )
        return cls(list(reversed(rows)))

    def earlier_customer_texts(self, message: Message) -> list[str]:
        texts = [
            text for pk, kind, text, _at in self.messages if kind == Message.AuthorKind.CUSTOMER and pk < message.pk
        ]
        return texts[-EARLIER_MESSAGES:]

    def last_reply_was_ai(self, message: Message) -> bool:
        """Return whether the latest non-system message before `message` is the AI's."""
        for pk, kind, _text, _at in reversed(self.messages):
            if pk < message.pk and kind != Message.AuthorKind.SYSTEM:
                return kind == Message.AuthorKind.AI
        return False

    def episode(self, started_at: datetime) -> list[tuple[str, str]]:
        return [
            (kind, text)
            for _pk, kind, text, at in self.messages
            if at >= started_at and kind in (Message.AuthorKind.AI, Message.AuthorKind.CUSTOMER)
        ]


def draft_for_agents(conversation: Conversation, message: Message, result: tier0.Tier0Result | None) -> None:
    if result is None or result.outcome != tier0.Outcome.ANSWER:
        return
    do_post_ai_draft(
        conversation,
        reply_to=message,
        text=result.text,
        confidence=result.confidence,
        provider=result.provider,
        source_ids=[source.version_id for source in result.sources],
    )


def handle_customer_message(message: Message, *, person_requested: bool = False) -> PipelineResult:
    """Decide and act on one stored customer message; safe to call again for the same one.

    `person_requested` is set when the customer pressed "talk to a human".
    """
    started = time.perf_counter()
    conversation = Conversation.objects.select_related("customer", "routing").get(pk=message.conversation_id)

    if message.replies.exists():
        return PipelineResult("skipped", reason="already_handled")
    if conversation.status == Conversation.Status.RESOLVED:
        conversation = do_reopen_for_new_question(conversation)
    language = detect_language(message.text, default=conversation.language)
    if language != conversation.language:
        Conversation.objects.filter(pk=conversation.pk).update(language=language)
        conversation.language = language
    mode = policy.channel_mode(conversation.channel)
    history = History.load(message)
    analysis = analyse_text(message.text, earlier_customer_texts=history.earlier_customer_texts(message))
    intent = predict_intent(message.text)
    routing = get_routing(conversation)

    if conversation.status != Conversation.Status.AI:
        do_record_triage(message, routing=routing, analysis=analysis, intent=intent)
        # The customer answered, so the SLA no longer waits on them.
        do_resume_sla_clock(conversation, acting_user=None)
        if mode == AIMode.SILENT_COPILOT:
            with transaction.atomic():
                draft_for_agents(conversation, message, tier0.answer_question(message.text))
        return PipelineResult("skipped", reason="with_agent", tier=conversation.tier)

    if not person_requested and policy.is_closing_thanks(message.text, analysis) and history.last_reply_was_ai(message):
        with transaction.atomic():
            do_record_triage(message, routing=routing, analysis=analysis, intent=intent)
            do_resolve_by_ai(conversation, reply_to=message)
        return PipelineResult("resolved", reason="customer_thanked")

    facts = policy.PolicyFacts(
        text=message.text,
        person_requested=person_requested,
        analysis=analysis,
        unresolved_ai_turns=policy.count_unresolved_ai_turns(history.episode(routing.episode_started_at)),
        human_only_intent=is_human_only(intent.intent),
        mode=mode,
    )
    reason = policy.handoff_reason_before_answer(facts)
    result: tier0.Tier0Result | None = None
    if not reason or mode == AIMode.SILENT_COPILOT:
        result = tier0.answer_question(message.text)
        if not reason and result.outcome == tier0.Outcome.HANDOFF:
            reason = result.handoff_reason
    # Without a trained model the best article's category stands in for the intent. A trained
    # model's "unknown" stays, so routing rules can match out-of-scope requests.
    intent_name = intent.intent
    if not intent_name:
        intent_name = result.topic if result else ""

    outcome = apply_rules(
        RoutingContext(
            channel=conversation.channel,
            intent=intent_name,
            language=language,
            sentiment_label=analysis.label,
            churn_risk=max(routing.churn_risk, analysis.churn_risk),
            text=message.text,
            customer_attributes=conversation.customer.attributes or {},
            ai_confidence=result.confidence if result is not None and result.retrieval is not None else None,
        )
    )
    decision = policy.decide(reason, outcome, conversation.customer.attributes or {})
    if not decision.reason and result is None:
        # A rule overruled the reason that kept the AI from trying; it tries now.
        result = tier0.answer_question(message.text)
        if result.outcome == tier0.Outcome.HANDOFF:
            decision = policy.decide(result.handoff_reason, outcome, conversation.customer.attributes or {})
    if mode == AIMode.SILENT_COPILOT and not decision.reason:
        decision = policy.decide(Handoff.Reason.SILENT_COPILOT, outcome, conversation.customer.attributes or {})

    with transaction.atomic():
        do_record_triage(message, routing=routing, analysis=analysis, intent=intent, decision=decision, outcome=outcome)
        if decision.reason:
            draft_for_agents(conversation, message, result)
            do_handoff(
                conversation,
                reason=decision.reason,
                reply_to=message,
                packet=handoff_packet(
                    conversation, message, decision.reason, result, intent=intent_name, routing=routing
                ),
                to_tier=decision.tier,
                queue=outcome.queue,
                priority=decision.priority,
            )
            if decision.recovery_reason:
                do_open_recovery_case(
                    conversation,
                    reason=decision.recovery_reason,
                    trigger={
                        "handoff_reason": decision.reason,
                        "sentiment": analysis.sentiment,
                        "churn_risk": routing.churn_risk,
                        "signals": analysis.signals,
                        "evidence": analysis.evidence,
                    },
                    acting_user=None,
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
                intent=intent_name,
            )
            if mode == AIMode.TRIAGE_WALL:
                do_offer_person(conversation, reply_to=message)

    elapsed_ms = (time.perf_counter() - started) * 1000
    result_outcome = "handed_off" if decision.reason else "answered"
    logger.info(
        "customer message handled message=%s outcome=%s reason=%s tier=%s mode=%s ms=%.1f",
        message.pk,
        result_outcome,
        decision.reason,
        decision.tier,
        mode,
        elapsed_ms,
    )
    return PipelineResult(
        result_outcome,
        reason=decision.reason,
        topic=result.topic if result else "",
        elapsed_ms=elapsed_ms,
        tier=decision.tier,
        intent=intent_name,
    )
