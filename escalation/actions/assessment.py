"""Storing what triage found about a message and what it decided, in one write per message."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from copilot.sentiment import MessageAnalysis, sentiment_trend
from escalation.intents import UNKNOWN, IntentPrediction
from escalation.models import ConversationRouting, MessageAssessment
from escalation.policy import Decision
from escalation.routing import RoutingOutcome
from supportdesk.audit import record_audit
from tickets.models import Conversation, Message

# How many of the latest sentiment scores a conversation keeps for its trend.
TREND_SCORES = 20


def get_routing(conversation: Conversation) -> ConversationRouting:
    """Return the conversation's routing row; a new one, unsaved, starts the first episode.

    Load the conversation with `select_related("routing")` to save a query.
    """
    try:
        return conversation.routing
    except ConversationRouting.DoesNotExist:
        return ConversationRouting(
            conversation=conversation, episode_started_at=conversation.created_at or timezone.now()
        )


def do_record_triage(
    message: Message,
    *,
    routing: ConversationRouting,
    analysis: MessageAnalysis,
    intent: IntentPrediction,
    decision: Decision | None = None,
    outcome: RoutingOutcome | None = None,
) -> MessageAssessment:
    """Store one customer message's assessment and fold it, with the decision, into the conversation's.

    `decision` is None for a message that reached a person without a new decision. Also
    keeps `Conversation.sentiment` and `Conversation.intent` current for the pages that read
    them. Calling it again for the same message changes nothing.
    """
    with transaction.atomic():
        assessment, created = MessageAssessment.objects.get_or_create(
            message=message,
            defaults={
                "language": analysis.language,
                "sentiment": analysis.sentiment,
                "sentiment_label": analysis.label,
                "sarcasm": analysis.sarcasm,
                "churn_risk": analysis.churn_risk,
                "signals": [{"code": code, "evidence": analysis.evidence.get(code, "")} for code in analysis.signals],
                "intent": intent.intent,
                "intent_confidence": intent.confidence,
            },
        )
        if not created:
            return assessment

        routing.sentiment_scores = [*routing.sentiment_scores, analysis.sentiment][-TREND_SCORES:]
        routing.language = analysis.language
        routing.sentiment = analysis.sentiment
        routing.sentiment_label = analysis.label
        routing.sentiment_trend = sentiment_trend(routing.sentiment_scores)
        routing.churn_risk = max(routing.churn_risk, analysis.churn_risk)
        routing.signals = sorted({*routing.signals, *analysis.signals})
        if intent.intent:
            routing.intent = intent.intent
            routing.intent_confidence = intent.confidence
        if decision is not None:
            routing.priority = decision.priority
            routing.decided_tier = decision.tier
            routing.decision_reason = decision.reason
        if outcome is not None:
            routing.tags = sorted({*routing.tags, *outcome.tags})
        routing.save()
        if outcome is not None and outcome.rules:
            routing.rules.add(*outcome.rules)

        conversation_fields: dict[str, object] = {"sentiment": analysis.sentiment, "updated_at": timezone.now()}
        if intent.intent and intent.intent != UNKNOWN:
            conversation_fields["intent"] = intent.intent
        Conversation.objects.filter(pk=message.conversation_id).update(**conversation_fields)
        record_audit(
            "escalation.triage",
            acting_user=None,
            actor_kind="ai",
            target=message,
            sentiment=analysis.sentiment,
            churn_risk=analysis.churn_risk,
            signals=analysis.signals,
            intent=intent.intent,
            tier=decision.tier if decision else None,
            reason=decision.reason if decision else None,
            priority=decision.priority if decision else None,
            rules=[rule.pk for rule in outcome.rules] if outcome else [],
            tags=outcome.tags if outcome else [],
        )
    return assessment
