"""The re-verification queue after a policy changes: answers that quoted the old text are
listed, open conversations are flagged for their agent, and the old text is never answered
again."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from pytest_django.fixtures import Settings

from copilot import tier0
from copilot.actions import do_mark_reverified
from copilot.models import ReverificationItem
from copilot.reverification import build_reverification_queue
from escalation.pipeline import handle_customer_message
from knowledge.actions import do_add_version, do_publish_version
from knowledge.models import Article, ArticleVersion
from supportdesk.models import AuditLog
from tickets.actions import do_receive_customer_message, do_start_conversation
from tickets.models import Conversation, Draft, Message

pytestmark = pytest.mark.django_db

CaptureCallbacks = Callable[..., AbstractContextManager[Any]]

FEE_QUESTIONS = [
    "How much is shipping?",
    "What does standard delivery cost?",
    "delivery cost",
    "is shipping free",
    "how much do you charge for shipping",
]
NEW_BODY = (
    "Standard delivery costs 5.95 euros and is free for orders over 50 euros.\n\n"
    "Express delivery costs 9.95 euros and arrives the next business day."
)


def ask(question: str) -> tuple[Conversation, Message]:
    """Ask in a new conversation through the live-chat pipeline; return the AI's reply."""
    conversation = do_start_conversation(channel=Conversation.Channel.API)
    message, _created = do_receive_customer_message(conversation, text=question, client_message_id=None)
    outcome = handle_customer_message(message)
    assert outcome.outcome == "answered", (question, outcome.reason)
    reply = conversation.messages.get(author_kind=Message.AuthorKind.AI, reply_to=message)
    return conversation, reply


def publish_new_fee(
    shipping: Article, capture: CaptureCallbacks, *, body: str = NEW_BODY, questions: list[str] | None = None
) -> ArticleVersion:
    version = do_add_version(
        shipping,
        title="Shipping costs",
        body=body,
        example_questions=questions if questions is not None else list(shipping.versions.last().example_questions),  # type: ignore[union-attr]
        acting_user=None,
    )
    with capture(execute=True):
        do_publish_version(version, acting_user=None)
    return version


def age(message: Message, days: int) -> None:
    Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(days=days))


def test_old_fee_never_answered_again(
    store_kb: dict[str, Article], django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    shipping = store_kb["shipping"]
    _conversation, before = ask("How much is shipping?")
    assert "4.95" in before.text

    new_version = publish_new_fee(shipping, django_capture_on_commit_callbacks)

    for question in FEE_QUESTIONS:
        result = tier0.answer_question(question)
        assert "4.95" not in result.text, question
        if result.outcome == tier0.Outcome.ANSWER and result.sources[0].title == "Shipping costs":
            assert [source.version_id for source in result.sources] == [new_version.pk], question
    _conversation, after = ask("How much is shipping?")
    assert "5.95" in after.text
    assert "4.95" not in after.text
    assert list(after.sources.values_list("version_id", flat=True)) == [new_version.pk]


def test_queue_lists_old_answers(
    store_kb: dict[str, Article], django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    shipping = store_kb["shipping"]
    old_version = shipping.published_version
    open_conversation, open_answer = ask("How much is shipping?")
    resolved_conversation, resolved_answer = ask("What does standard delivery cost?")
    Conversation.objects.filter(pk=resolved_conversation.pk).update(status=Conversation.Status.RESOLVED)
    _old_conversation, old_answer = ask("delivery cost")
    age(old_answer, 45)
    _other, unrelated = ask("I forgot my password")

    new_version = publish_new_fee(shipping, django_capture_on_commit_callbacks)

    items = ReverificationItem.objects.order_by("message_id")
    assert [item.message_id for item in items] == [open_answer.pk, resolved_answer.pk]
    assert unrelated.pk not in {item.message_id for item in items}
    for item in items:
        assert item.old_version == old_version
        assert item.new_version == new_version
        assert item.article == shipping
        assert item.status == ReverificationItem.Status.PENDING
    audit = AuditLog.objects.get(action="copilot.queue_reverification")
    assert audit.details == {"article_id": shipping.pk, "items": 2}


def test_open_conversation_flagged(
    store_kb: dict[str, Article], django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    open_conversation, open_answer = ask("How much is shipping?")
    resolved_conversation, _resolved_answer = ask("What does standard delivery cost?")
    Conversation.objects.filter(pk=resolved_conversation.pk).update(status=Conversation.Status.RESOLVED)

    publish_new_fee(store_kb["shipping"], django_capture_on_commit_callbacks)

    note = open_conversation.messages.get(visibility=Message.Visibility.INTERNAL)
    assert note.author_kind == Message.AuthorKind.SYSTEM
    assert "Shipping costs" in note.text
    assert "version 2" in note.text
    assert "version 1" in note.text
    assert ReverificationItem.objects.get(message=open_answer).flag_note == note
    assert not resolved_conversation.messages.filter(visibility=Message.Visibility.INTERNAL).exists()
    assert (
        AuditLog.objects.filter(action="copilot.flag_for_reverification", target_id=str(open_conversation.pk)).count()
        == 1
    )


def test_window_is_configurable(
    store_kb: dict[str, Article], django_capture_on_commit_callbacks: CaptureCallbacks, settings: Settings
) -> None:
    settings.SUPPORTDESK_REVERIFICATION_DAYS = 7
    _recent_conversation, recent = ask("How much is shipping?")
    _older_conversation, older = ask("delivery cost")
    age(older, 10)

    publish_new_fee(store_kb["shipping"], django_capture_on_commit_callbacks)

    assert list(ReverificationItem.objects.values_list("message_id", flat=True)) == [recent.pk]


def test_question_only_change_lists_nothing(
    store_kb: dict[str, Article], django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    shipping = store_kb["shipping"]
    ask("How much is shipping?")
    same_body = shipping.published_version.body  # type: ignore[union-attr]

    publish_new_fee(
        shipping, django_capture_on_commit_callbacks, body=same_body, questions=["How much is shipping?", "postage"]
    )

    assert not ReverificationItem.objects.exists()
    assert not Message.objects.filter(visibility=Message.Visibility.INTERNAL).exists()


def test_task_runs_twice_safely(
    store_kb: dict[str, Article], django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    ask("How much is shipping?")
    new_version = publish_new_fee(store_kb["shipping"], django_capture_on_commit_callbacks)

    build_reverification_queue(new_version.pk)
    build_reverification_queue(999_999)

    assert ReverificationItem.objects.count() == 1
    assert Message.objects.filter(visibility=Message.Visibility.INTERNAL).count() == 1


def test_newer_version_supersedes(
    store_kb: dict[str, Article], django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    shipping = store_kb["shipping"]
    _first_conversation, first = ask("How much is shipping?")
    second_version = publish_new_fee(shipping, django_capture_on_commit_callbacks)
    _second_conversation, second = ask("How much is shipping?")

    third_version = publish_new_fee(shipping, django_capture_on_commit_callbacks, body=NEW_BODY.replace("5.95", "6.50"))

    superseded = ReverificationItem.objects.get(new_version=second_version)
    assert superseded.message == first
    assert superseded.status == ReverificationItem.Status.SUPERSEDED
    current = ReverificationItem.objects.filter(new_version=third_version).order_by("message_id")
    assert [(item.message_id, item.old_version.number) for item in current] == [(first.pk, 1), (second.pk, 2)]
    assert {item.status for item in current} == {ReverificationItem.Status.PENDING}


def test_sent_draft_listed(store_kb: dict[str, Article], django_capture_on_commit_callbacks: CaptureCallbacks) -> None:
    shipping = store_kb["shipping"]
    conversation = do_start_conversation(channel=Conversation.Channel.API)
    Conversation.objects.filter(pk=conversation.pk).update(status=Conversation.Status.ASSIGNED)
    reply = Message.objects.create(
        conversation=conversation, author_kind=Message.AuthorKind.AGENT, text="Shipping is 4.95 euros."
    )
    Draft.objects.create(
        conversation=conversation,
        text=reply.text,
        sources=[{"version_id": shipping.published_version_id, "title": "Shipping costs", "score": 0.9}],
        fate=Draft.Fate.SENT_UNCHANGED,
        sent_message=reply,
    )

    publish_new_fee(shipping, django_capture_on_commit_callbacks)

    item = ReverificationItem.objects.get()
    assert item.message == reply
    assert item.flag_note is not None
    assert item.flag_note.conversation_id == conversation.pk


def test_mark_checked(store_kb: dict[str, Article], django_capture_on_commit_callbacks: CaptureCallbacks) -> None:
    manager = User.objects.create_user("mona")
    ask("How much is shipping?")
    publish_new_fee(store_kb["shipping"], django_capture_on_commit_callbacks)

    changed = do_mark_reverified(ReverificationItem.objects.all(), acting_user=manager)
    again = do_mark_reverified(ReverificationItem.objects.all(), acting_user=manager)

    item = ReverificationItem.objects.get()
    assert (changed, again) == (1, 0)
    assert item.status == ReverificationItem.Status.VERIFIED
    assert item.checked_by == manager
    assert item.checked_at is not None
