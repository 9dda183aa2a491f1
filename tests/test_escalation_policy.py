"""The tier policy: unresolved AI turns, requests for a person, Tier 2 reasons, and no loops."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from escalation.models import ConversationRouting, Handoff, RecoveryCase, SLAClock
from escalation.pipeline import PipelineResult, handle_customer_message
from supportdesk.models import AuditLog
from tickets.actions import do_receive_customer_message, do_start_conversation
from tickets.models import Conversation

pytestmark = pytest.mark.django_db


def send(conversation: Conversation, text: str, **kwargs: Any) -> PipelineResult:
    message, _created = do_receive_customer_message(conversation, text=text, client_message_id=None)
    return handle_customer_message(message, **kwargs)


def resolve_by_agent(conversation: Conversation) -> None:
    """What the agent console does when an agent closes a conversation."""
    Conversation.objects.filter(pk=conversation.pk).update(
        status=Conversation.Status.RESOLVED, resolution=Conversation.Resolution.AGENT, resolved_at=timezone.now()
    )


def test_two_unresolved_turns_hand_off(store_kb: dict) -> None:
    conversation = do_start_conversation()
    assert send(conversation, "How much does shipping cost?").outcome == "answered"
    assert send(conversation, "And how do I send an item back?").outcome == "answered"

    third = send(conversation, "How do I reset my password?")

    assert (third.outcome, third.reason, third.tier) == ("handed_off", "unresolved_turns", 1)
    handoff = Handoff.objects.get(conversation=conversation)
    assert len(handoff.packet["customer_messages"]) == 3


def test_thanks_resolves_and_resets(store_kb: dict) -> None:
    conversation = do_start_conversation()
    assert send(conversation, "How much does shipping cost?").outcome == "answered"

    thanked = send(conversation, "Thanks, that helped!")

    assert thanked.outcome == "resolved"
    conversation.refresh_from_db()
    assert (conversation.status, conversation.resolution) == ("resolved", "ai")
    last = conversation.messages.last()
    assert last is not None
    assert last.author_kind == "system"
    assert AuditLog.objects.filter(action="escalation.ai_resolved", target_id=str(conversation.pk)).count() == 1

    # The earlier answer was resolved, so two more answers are allowed before a handoff.
    assert send(conversation, "How do I return an item?").outcome == "answered"
    assert send(conversation, "Is shipping free?").outcome == "answered"
    assert send(conversation, "I forgot my password").reason == "unresolved_turns"


def test_sarcastic_thanks_not_resolution(store_kb: dict) -> None:
    conversation = do_start_conversation()
    send(conversation, "How much does shipping cost?")
    result = send(conversation, "Thanks for nothing")
    assert result.outcome == "handed_off"
    conversation.refresh_from_db()
    assert conversation.resolution == ""


def test_resolved_conversation_fresh_decision(store_kb: dict) -> None:
    conversation = do_start_conversation()
    assert send(conversation, "I want to talk to a human").reason == "customer_request"
    resolve_by_agent(conversation)
    old_episode = ConversationRouting.objects.get(conversation=conversation).episode_started_at

    result = send(conversation, "How much does shipping cost?")

    assert result.outcome == "answered"
    conversation.refresh_from_db()
    assert (conversation.status, conversation.tier, conversation.assignee) == ("ai", 0, None)
    assert ConversationRouting.objects.get(conversation=conversation).episode_started_at > old_episode
    assert Handoff.objects.filter(conversation=conversation).count() == 1
    assert AuditLog.objects.filter(action="escalation.reopen", target_id=str(conversation.pk)).count() == 1
    # The old episode's SLA clock stopped, so it raises no warnings while the AI answers.
    assert SLAClock.objects.get(conversation=conversation).resolved_at is not None


def test_old_episode_turns_not_counted(store_kb: dict) -> None:
    conversation = do_start_conversation()
    send(conversation, "How much does shipping cost?")
    send(conversation, "How do I return an item?")
    assert send(conversation, "Is express delivery fast?").reason == "unresolved_turns"
    resolve_by_agent(conversation)

    # Two AI answers in the old episode do not count against the new question.
    assert send(conversation, "How do I reset my password?").outcome == "answered"


def test_person_request_after_answer(store_kb: dict) -> None:
    conversation = do_start_conversation()
    send(conversation, "How much does shipping cost?")
    message, _created = do_receive_customer_message(conversation, text="I would like a person", client_message_id=None)
    result = handle_customer_message(message, person_requested=True)
    assert (result.outcome, result.reason) == ("handed_off", "customer_request")


@pytest.mark.parametrize(
    ("text", "reason", "recovery", "priority"),
    [
        ("I am contacting my lawyer about this refund", "legal", "legal", "urgent"),
        ("سأرفع دعوى في المحكمة ضدكم", "legal", "legal", "urgent"),
        ("Fix this or I'm closing my account today", "churn_threat", "churn_threat", "high"),
        ("سألغي اشتراكي إذا لم تحلوا المشكلة", "churn_threat", "churn_threat", "high"),
    ],
)
def test_tier_two_reasons(store_kb: dict, text: str, reason: str, recovery: str, priority: str) -> None:
    conversation = do_start_conversation()
    result = send(conversation, text)

    assert (result.outcome, result.reason, result.tier) == ("handed_off", reason, 2)
    case = RecoveryCase.objects.get(conversation=conversation)
    assert case.reason == recovery
    assert case.trigger["handoff_reason"] == reason
    assert case.trigger["evidence"]
    routing = ConversationRouting.objects.get(conversation=conversation)
    assert routing.priority == priority
    assert routing.decided_tier == 2
    conversation.refresh_from_db()
    assert conversation.tier == 2
    assert conversation.sla_clock.policy.priority == priority
