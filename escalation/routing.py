"""Matching the support lead's routing rules against what is known about a message."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from escalation.models import Queue, RoutingRule, split_list


@dataclass(frozen=True)
class RoutingContext:
    channel: str
    intent: str
    language: str
    sentiment_label: str
    churn_risk: float
    text: str
    customer_attributes: dict[str, Any]
    # The Tier 0 answer's calibrated confidence; None when the AI did not try to answer.
    ai_confidence: float | None = None


@dataclass
class RoutingOutcome:
    tier: int | None = None
    queue: Queue | None = None
    priority: str = ""
    tags: list[str] = field(default_factory=list)
    rules: list[RoutingRule] = field(default_factory=list)


def is_vip(attributes: dict[str, Any]) -> bool:
    value = attributes.get("vip")
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "y"}
    return bool(value)


def lifetime_value(attributes: dict[str, Any]) -> Decimal | None:
    value = attributes.get("lifetime_value", attributes.get("ltv"))
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def rule_matches(rule: RoutingRule, context: RoutingContext) -> bool:
    """Return True when every condition the rule fills holds; empty conditions match anything."""
    listed = {
        "channels": context.channel,
        "intents": context.intent,
        "languages": context.language,
        "sentiment_labels": context.sentiment_label,
        "plans": str(context.customer_attributes.get("plan", "")),
    }
    for field_name, value in listed.items():
        allowed = [item.lower() for item in split_list(getattr(rule, field_name))]
        if allowed and value.lower() not in allowed:
            return False
    if rule.min_churn_risk is not None and context.churn_risk < rule.min_churn_risk:
        return False
    if rule.vip == RoutingRule.VIP.YES and not is_vip(context.customer_attributes):
        return False
    if rule.vip == RoutingRule.VIP.NO and is_vip(context.customer_attributes):
        return False
    if rule.min_lifetime_value is not None:
        customer_value = lifetime_value(context.customer_attributes)
        if customer_value is None or customer_value < rule.min_lifetime_value:
            return False
    if rule.max_ai_confidence is not None:
        if context.ai_confidence is None or context.ai_confidence >= rule.max_ai_confidence:
            return False
    keywords = [keyword.lower() for keyword in split_list(rule.keywords)]
    if keywords and not any(keyword in context.text.lower() for keyword in keywords):
        return False
    return True


def apply_rules(context: RoutingContext, rules: list[RoutingRule] | None = None) -> RoutingOutcome:
    """Run the active rules in order; the first match decides unless it continues matching.

    A rule that continues lets later matches add tags and fill the actions still empty.
    """
    if rules is None:
        rules = list(RoutingRule.objects.filter(active=True).select_related("set_queue").order_by("position", "id"))
    outcome = RoutingOutcome()
    for rule in rules:
        if not rule_matches(rule, context):
            continue
        outcome.rules.append(rule)
        if outcome.tier is None and rule.set_tier is not None:
            outcome.tier = rule.set_tier
        if outcome.queue is None and rule.set_queue is not None:
            outcome.queue = rule.set_queue
        if not outcome.priority and rule.set_priority:
            outcome.priority = rule.set_priority
        for tag in split_list(rule.add_tags):
            if tag not in outcome.tags:
                outcome.tags.append(tag)
        if not rule.continue_matching:
            break
    return outcome
