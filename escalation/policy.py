"""The tier policy: which messages a person must take, at which tier, before and after the AI tries.

Built-in reasons come first, then the support lead's routing rules adjust tier, queue,
priority and tags. Two guarantees hold whatever the rules say: an explicit request for a
person always reaches a person, and a customer who returns to a resolved conversation is
decided afresh (the caller reopens it and a new episode starts).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from copilot.sentiment import MessageAnalysis, Signal
from escalation import signals
from escalation.models import AIMode, ChannelSettings, Handoff, Priority, RecoveryReason
from escalation.routing import RoutingOutcome, is_vip
from tickets.models import Conversation, Message

Reason = Handoff.Reason

# After this many AI answers that the customer followed up without thanks, a person takes over.
MAX_UNRESOLVED_AI_TURNS = 2
# A message at or below this sentiment, or at or above this churn risk, is from an upset
# customer and goes to a person.
UPSET_SENTIMENT = -0.6
UPSET_CHURN_RISK = 0.6

# A thank-you longer than this many words probably carries a new request.
CLOSING_MAX_WORDS = 8

TIER_2_REASONS = {Reason.LEGAL, Reason.CHURN_THREAT, Reason.VIP}
# Reasons that a routing rule setting Tier 0 may overrule, letting the AI answer.
RULE_OVERRULABLE_REASONS = {Reason.COMPLAINT, Reason.NEGATIVE_SENTIMENT}

_THANKS = re.compile(
    r"\b(?:thanks|thank you|thx|cheers|that helped|that worked|it worked|solved|perfect|great,? thanks)\b|"
    r"(?:شكرا|شكرًا|أشكرك|اشكرك|تم الحل|انحلت|نجح)",
    re.I,
)


@dataclass(frozen=True)
class PolicyFacts:
    text: str
    person_requested: bool
    analysis: MessageAnalysis
    unresolved_ai_turns: int
    human_only_intent: bool
    mode: str


@dataclass(frozen=True)
class Decision:
    # "" when the AI may answer.
    reason: str
    tier: int
    priority: str
    recovery_reason: str = ""


def channel_mode(channel: str) -> str:
    mode = ChannelSettings.objects.filter(channel=channel).values_list("ai_mode", flat=True).first()
    return mode or ChannelSettings.DEFAULT_MODE


def ai_answers_customers(channel: str) -> bool:
    """Return False when the channel's mode hands every customer message to a person."""
    return channel_mode(channel) not in {AIMode.OFF, AIMode.SILENT_COPILOT}


def is_thanks(text: str) -> bool:
    return bool(_THANKS.search(text))


def is_closing_thanks(text: str, analysis: MessageAnalysis) -> bool:
    """Return True for a short thank-you with no new question, such as "thanks, that worked"."""
    return (
        is_thanks(text)
        and "?" not in text
        and "؟" not in text
        and len(text.split()) <= CLOSING_MAX_WORDS
        and analysis.label != "negative"
    )


def count_unresolved_ai_turns(episode: Sequence[tuple[str, str]]) -> int:
    """Count the AI answers that the customer followed with more than thanks.

    `episode` is the (author kind, text) of the current episode's public AI and customer
    messages in order, up to and including the message being decided.
    """
    unresolved = 0
    for position, (author_kind, _text) in enumerate(episode):
        if author_kind != Message.AuthorKind.AI:
            continue
        follow_up = next((text for kind, text in episode[position + 1 :] if kind == Message.AuthorKind.CUSTOMER), None)
        if follow_up is not None and not is_thanks(follow_up):
            unresolved += 1
    return unresolved


def handoff_reason_before_answer(facts: PolicyFacts) -> str:
    """Return a handoff reason when a person must take the message, or "" to let the AI try."""
    found = set(facts.analysis.signals)
    if facts.person_requested or signals.asks_for_person(facts.text):
        return Reason.CUSTOMER_REQUEST
    if Signal.LEGAL in found:
        return Reason.LEGAL
    if Signal.THREAT_TO_LEAVE in found:
        return Reason.CHURN_THREAT
    if signals.is_complaint(facts.text):
        return Reason.COMPLAINT
    if facts.unresolved_ai_turns >= MAX_UNRESOLVED_AI_TURNS:
        return Reason.UNRESOLVED_TURNS
    if facts.human_only_intent:
        return Reason.HUMAN_ONLY_TOPIC
    if facts.analysis.sentiment <= UPSET_SENTIMENT or facts.analysis.churn_risk >= UPSET_CHURN_RISK:
        return Reason.NEGATIVE_SENTIMENT
    if facts.mode == AIMode.OFF:
        return Reason.AI_OFF
    return ""


def decide(reason: str, outcome: RoutingOutcome, customer_attributes: dict[str, object]) -> Decision:
    """Combine the policy's reason with the routing rules' outcome into the final decision."""
    tier: int = Conversation.Tier.EMPATHY if reason in TIER_2_REASONS else Conversation.Tier.AGENT
    if outcome.tier == Conversation.Tier.INSTANT and reason in RULE_OVERRULABLE_REASONS:
        reason = ""
    elif outcome.tier is not None and outcome.tier >= Conversation.Tier.AGENT:
        tier = outcome.tier
        reason = reason or Reason.ROUTING_RULE
    if not reason:
        return Decision("", Conversation.Tier.INSTANT, outcome.priority or Priority.NORMAL)

    recovery_reasons: dict[str, str] = {
        Reason.LEGAL: RecoveryReason.LEGAL,
        Reason.CHURN_THREAT: RecoveryReason.CHURN_THREAT,
        Reason.UNRESOLVED_TURNS: RecoveryReason.REPEATED_FAILURE,
    }
    recovery_reason = recovery_reasons.get(reason, RecoveryReason.OTHER)
    if is_vip(dict(customer_attributes)):
        tier = Conversation.Tier.EMPATHY
        if recovery_reason == RecoveryReason.OTHER:
            recovery_reason = RecoveryReason.VIP
    default_priority = Priority.NORMAL
    if reason == Reason.LEGAL:
        default_priority = Priority.URGENT
    elif tier == Conversation.Tier.EMPATHY:
        default_priority = Priority.HIGH
    return Decision(
        reason,
        tier,
        outcome.priority or default_priority,
        recovery_reason=recovery_reason if tier == Conversation.Tier.EMPATHY else "",
    )
