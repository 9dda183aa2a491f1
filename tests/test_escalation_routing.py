"""Routing rules: each condition, rule order, and their effect on live decisions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from escalation.models import (
    ConversationRouting,
    Handoff,
    MessageAssessment,
    Queue,
    RecoveryCase,
    RoutingRule,
    SLAClock,
)
from escalation.pipeline import handle_customer_message
from escalation.routing import RoutingContext, apply_rules, rule_matches
from supportdesk.models import AuditLog
from tickets.actions import do_receive_customer_message, do_start_conversation
from tickets.models import Conversation

pytestmark = pytest.mark.django_db


def context(**overrides: Any) -> RoutingContext:
    values: dict[str, Any] = {
        "channel": "chat",
        "intent": "refund",
        "language": "en",
        "sentiment_label": "neutral",
        "churn_risk": 0.0,
        "text": "Where is my refund?",
        "customer_attributes": {"plan": "pro", "vip": False, "lifetime_value": 1200},
        "ai_confidence": 0.8,
    }
    values.update(overrides)
    return RoutingContext(**values)


def rule(**fields: Any) -> RoutingRule:
    return RoutingRule.objects.create(name=fields.pop("name", "rule"), **fields)


@pytest.mark.parametrize(
    ("fields", "matching", "other"),
    [
        ({"channels": "email, chat"}, {}, {"channel": "api"}),
        ({"intents": "refund,billing"}, {}, {"intent": "shipping"}),
        ({"languages": "ar"}, {"language": "ar"}, {}),
        ({"sentiment_labels": "negative"}, {"sentiment_label": "negative"}, {}),
        ({"min_churn_risk": 0.5}, {"churn_risk": 0.8}, {"churn_risk": 0.2}),
        ({"plans": "Enterprise"}, {"customer_attributes": {"plan": "enterprise"}}, {}),
        ({"vip": "yes"}, {"customer_attributes": {"vip": "true"}}, {}),
        ({"vip": "no"}, {}, {"customer_attributes": {"vip": True}}),
        ({"min_lifetime_value": Decimal("1000")}, {}, {"customer_attributes": {"lifetime_value": "999.99"}}),
        ({"max_ai_confidence": 0.5}, {"ai_confidence": 0.3}, {"ai_confidence": None}),
        ({"keywords": "chargeback, fraud"}, {"text": "I will file a CHARGEBACK"}, {}),
    ],
)
def test_each_condition(fields: dict[str, Any], matching: dict[str, Any], other: dict[str, Any]) -> None:
    routing_rule = rule(**fields)
    assert rule_matches(routing_rule, context(**matching))
    assert not rule_matches(routing_rule, context(**other))


def test_lifetime_value_missing_no_match() -> None:
    routing_rule = rule(min_lifetime_value=Decimal("10"))
    assert not rule_matches(routing_rule, context(customer_attributes={"plan": "free"}))


def test_first_match_decides() -> None:
    billing = Queue.objects.create(name="Billing", slug="billing")
    rule(name="later", position=20, set_tier=2, set_priority="urgent")
    rule(name="first", position=10, intents="refund", set_tier=1, set_queue=billing, add_tags="refund")
    outcome = apply_rules(context())
    assert [matched.name for matched in outcome.rules] == ["first"]
    assert outcome.tier == 1
    assert outcome.queue == billing
    assert outcome.priority == ""
    assert outcome.tags == ["refund"]


def test_continue_matching_fills_gaps() -> None:
    rule(name="tagger", position=1, add_tags="money", continue_matching=True, set_priority="high")
    rule(name="inactive", position=2, active=False, set_tier=2)
    rule(name="tier", position=3, set_tier=1, set_priority="low", add_tags="money, refund")
    outcome = apply_rules(context())
    assert [matched.name for matched in outcome.rules] == ["tagger", "tier"]
    assert outcome.tier == 1
    assert outcome.priority == "high"
    assert outcome.tags == ["money", "refund"]


def test_rule_validation() -> None:
    invalid = RoutingRule(name="bad", channels="chat, fax", sentiment_labels="angry", min_churn_risk=1.5)
    with pytest.raises(ValidationError) as raised:
        invalid.full_clean()
    assert set(raised.value.message_dict) == {"channels", "sentiment_labels", "min_churn_risk"}


def send(conversation: Conversation, text: str, **kwargs: Any) -> Any:
    message, _created = do_receive_customer_message(conversation, text=text, client_message_id=None)
    return handle_customer_message(message, **kwargs)


def test_rule_routes_answerable_message(store_kb: dict) -> None:
    billing = Queue.objects.create(name="Billing", slug="billing")
    rule(
        name="returns to billing",
        intents="returns",
        set_tier=1,
        set_queue=billing,
        set_priority="high",
        add_tags="returns",
    )
    conversation = do_start_conversation()

    result = send(conversation, "How do I return an item?")

    assert (result.outcome, result.reason, result.tier) == ("handed_off", "routing_rule", 1)
    conversation.refresh_from_db()
    assert conversation.queue == billing
    assert conversation.status == "queued"
    routing = ConversationRouting.objects.get(conversation=conversation)
    assert routing.priority == "high"
    assert routing.tags == ["returns"]
    assert [matched.name for matched in routing.rules.all()] == ["returns to billing"]
    assert SLAClock.objects.get(conversation=conversation).policy.priority == "high"
    # The answer the AI had is kept for the agent, not sent.
    draft = conversation.messages.get(author_kind="ai")
    assert draft.visibility == "internal"
    assert "30 days" in draft.text
    message = conversation.messages.get(author_kind="customer")
    audit = AuditLog.objects.get(action="escalation.triage", target_id=str(message.pk))
    assert audit.details["rules"] == [routing.rules.get().pk]
    assert (audit.details["tier"], audit.details["reason"]) == (1, "routing_rule")


def test_rule_tier_zero_overrules_complaint(store_kb: dict) -> None:
    rule(name="let AI try returns", keywords="return", set_tier=0)
    conversation = do_start_conversation()
    result = send(conversation, "I have a complaint: how do I return an item?")
    assert result.outcome == "answered"


def test_rule_tier_zero_never_blocks_person(store_kb: dict) -> None:
    rule(name="AI for everything", set_tier=0)
    conversation = do_start_conversation()
    result = send(conversation, "Please let me speak to a real person")
    assert (result.outcome, result.reason) == ("handed_off", "customer_request")


def test_vip_handoff_goes_to_tier_two(store_kb: dict) -> None:
    conversation = do_start_conversation()
    conversation.customer.attributes = {"vip": True, "plan": "enterprise"}
    conversation.customer.save()

    result = send(conversation, "I want to talk to a human")

    assert (result.reason, result.tier) == ("customer_request", 2)
    case = RecoveryCase.objects.get(conversation=conversation)
    assert case.reason == "vip"
    assert case.status == "open"
    assert case.checklist[0] == {"step": case.checklist[0]["step"], "done": False}
    assert len(case.checklist) >= 3


def test_assessment_stored_per_message(store_kb: dict) -> None:
    conversation = do_start_conversation()
    send(conversation, "great, third time I ask, love waiting")

    message = conversation.messages.get(author_kind="customer")
    assessment = MessageAssessment.objects.get(message=message)
    codes = [signal["code"] for signal in assessment.signals]
    assert assessment.sarcasm
    assert assessment.sentiment_label == "negative"
    assert "sarcasm" in codes
    assert "repeated_unresolved" in codes
    assert all(signal["evidence"] for signal in assessment.signals)
    routing = ConversationRouting.objects.get(conversation=conversation)
    assert routing.churn_risk == assessment.churn_risk
    assert routing.signals == sorted(codes)
    conversation.refresh_from_db()
    assert conversation.sentiment == assessment.sentiment
    # An upset customer goes to a person instead of another AI answer.
    assert Handoff.objects.get(conversation=conversation).reason == "negative_sentiment"


def test_assessment_while_with_agent(store_kb: dict) -> None:
    conversation = do_start_conversation()
    send(conversation, "I want to talk to a human")
    result = send(conversation, "This is the third time I ask, still waiting, terrible")

    assert (result.outcome, result.reason) == ("skipped", "with_agent")
    message = conversation.messages.filter(author_kind="customer").last()
    assert message is not None
    assessment = MessageAssessment.objects.get(message=message)
    assert assessment.sentiment_label == "negative"
    audit = AuditLog.objects.get(action="escalation.triage", target_id=str(message.pk))
    assert audit.details["tier"] is None
    routing = ConversationRouting.objects.get(conversation=conversation)
    assert routing.decision_reason == "customer_request"
    assert "repeated_unresolved" in routing.signals
    assert routing.sentiment_trend == "worsening"
