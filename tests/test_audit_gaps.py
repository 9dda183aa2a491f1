"""Content gaps: questions the AI could not answer, grouped by meaning in English and Arabic."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from copilot import gaps
from copilot.actions import do_create_article_from_gap, do_dismiss_gap, do_record_feedback, do_refresh_gaps
from copilot.models import AnswerFeedback, ContentGap, GapQuestion
from escalation.pipeline import handle_customer_message
from knowledge.models import Article
from supportdesk.errors import InvalidInput
from supportdesk.models import AuditLog
from tickets.actions import do_receive_customer_message, do_start_conversation
from tickets.models import Conversation, Message

pytestmark = pytest.mark.django_db

# Three topics the shop's knowledge base does not cover, asked in English and Arabic.
TOPICS = {
    "gift_cards": [
        "Do you sell gift cards?",
        "Can I buy a gift card for my friend?",
        "gift voucher purchase",
        "هل تبيعون بطاقات هدايا؟",
        "أريد شراء بطاقة هدية",
    ],
    "crypto": [
        "Can I pay with bitcoin?",
        "do you accept crypto",
        "Is cryptocurrency accepted as payment?",
        "هل يمكنني الدفع بالبيتكوين؟",
        "هل تقبلون العملات الرقمية؟",
    ],
    "store": [
        "Do you have a store in Berlin?",
        "Can I visit your shop in person?",
        "Is there a physical shop I can go to?",
        "هل لديكم متجر في برلين؟",
        "هل يمكنني زيارة متجركم؟",
    ],
}


def ask(question: str) -> tuple[Message, str]:
    conversation = do_start_conversation(channel=Conversation.Channel.API)
    message, _created = do_receive_customer_message(conversation, text=question, client_message_id=None)
    outcome = handle_customer_message(message)
    return message, outcome.reason if outcome.outcome == "handed_off" else outcome.outcome


def ask_topics() -> dict[str, list[Message]]:
    asked: dict[str, list[Message]] = {}
    for topic, questions in TOPICS.items():
        for question in questions:
            message, result = ask(question)
            assert result in {"low_confidence", "no_knowledge"}, (question, result)
            asked.setdefault(topic, []).append(message)
    return asked


def gap_of(message: Message) -> ContentGap:
    gap = GapQuestion.objects.get(message=message).gap
    assert gap is not None
    return gap


def test_gaps_grouped_across_languages(store_kb: dict[str, Article]) -> None:
    asked = ask_topics()

    open_gaps = do_refresh_gaps(acting_user=None)

    assert open_gaps == 3
    for topic, messages in asked.items():
        gap = gap_of(messages[0])
        members = set(gap.questions.values_list("message_id", flat=True))
        assert members == {message.pk for message in messages}, topic
        assert gap.question_count == 5
        assert gap.languages == {"en": 3, "ar": 2}
        assert gap.label in TOPICS[topic]
        assert set(gap.examples) == set(TOPICS[topic])
        assert gap.weekly_counts == [0, 0, 0, 0, 0, 0, 0, 5]
        assert gap.status == ContentGap.Status.OPEN
    row = AuditLog.objects.get(action="copilot.refresh_gaps")
    assert row.details == {"new_questions": 15, "grouped_questions": 15, "open_gaps": 3}


def test_gap_reasons_recorded(store_kb: dict[str, Article]) -> None:
    ask_topics()
    answered, result = ask("How much is shipping?")
    assert result == "answered"
    person, reason = ask("I want to talk to a human please")
    assert reason == "customer_request"

    do_refresh_gaps(acting_user=None)

    assert GapQuestion.objects.count() == 15
    assert set(GapQuestion.objects.values_list("reason", flat=True)) <= {"low_confidence", "no_knowledge"}
    assert not GapQuestion.objects.filter(message__in=[answered, person]).exists()


def test_not_helpful_answer_is_gap(store_kb: dict[str, Article]) -> None:
    question, result = ask("How much is shipping?")
    assert result == "answered"
    answer = Message.objects.get(reply_to=question, author_kind=Message.AuthorKind.AI)

    do_record_feedback(answer, helpful=False)
    do_refresh_gaps(acting_user=None)

    stored = GapQuestion.objects.get()
    assert stored.message == question
    assert stored.reason == GapQuestion.Reason.NOT_HELPFUL
    assert stored.gap is not None
    assert stored.gap.label == "How much is shipping?"


def test_helpful_answer_not_gap(store_kb: dict[str, Article]) -> None:
    question, _result = ask("How much is shipping?")
    answer = Message.objects.get(reply_to=question, author_kind=Message.AuthorKind.AI)

    do_record_feedback(answer, helpful=True)
    do_refresh_gaps(acting_user=None)

    assert not GapQuestion.objects.exists()


def test_trend_counts_weeks(store_kb: dict[str, Article]) -> None:
    asked = ask_topics()
    for message in asked["crypto"][:2]:
        Message.objects.filter(pk=message.pk).update(created_at=timezone.now() - timedelta(days=17))
    Message.objects.filter(pk=asked["crypto"][2].pk).update(created_at=timezone.now() - timedelta(days=40))
    Message.objects.filter(pk=asked["store"][0].pk).update(created_at=timezone.now() - timedelta(days=100))

    do_refresh_gaps(acting_user=None)

    crypto = gap_of(asked["crypto"][0])
    assert crypto.weekly_counts == [0, 0, 1, 0, 0, 2, 0, 2]
    assert crypto.question_count == 5
    assert gaps.trend(crypto.weekly_counts) == "steady"
    assert GapQuestion.objects.get(message=asked["store"][0]).gap is None
    assert gap_of(asked["store"][1]).question_count == 4


def test_refresh_keeps_gap_ids(store_kb: dict[str, Article]) -> None:
    asked = ask_topics()
    do_refresh_gaps(acting_user=None)
    before = {topic: gap_of(messages[0]).pk for topic, messages in asked.items()}

    extra, result = ask("Where can I buy a gift card?")
    assert result in {"low_confidence", "no_knowledge"}
    do_refresh_gaps(acting_user=None)

    after = {topic: gap_of(messages[0]).pk for topic, messages in asked.items()}
    assert after == before
    assert gap_of(extra).pk == before["gift_cards"]
    assert ContentGap.objects.get(pk=before["gift_cards"]).question_count == 6
    assert ContentGap.objects.count() == 3


def test_dismissed_gap_stays_closed(store_kb: dict[str, Article]) -> None:
    manager = User.objects.create_user("dina")
    asked = ask_topics()
    do_refresh_gaps(acting_user=None)
    crypto = gap_of(asked["crypto"][0])

    do_dismiss_gap(crypto, acting_user=manager)
    later, _result = ask("Do you take ethereum payments?")
    do_refresh_gaps(acting_user=None)

    crypto.refresh_from_db()
    assert crypto.status == ContentGap.Status.DISMISSED
    assert crypto.decided_by == manager
    assert crypto.questions.count() == 5
    assert gap_of(later).pk != crypto.pk
    assert ContentGap.objects.filter(status=ContentGap.Status.OPEN).count() == 3
    with pytest.raises(InvalidInput):
        do_dismiss_gap(crypto, acting_user=manager)


def test_article_from_gap(store_kb: dict[str, Article]) -> None:
    manager = User.objects.create_user("dina")
    asked = ask_topics()
    do_refresh_gaps(acting_user=None)
    gift = gap_of(asked["gift_cards"][0])

    article = do_create_article_from_gap(
        gift,
        title="Gift cards",
        body="We do not sell gift cards yet.",
        example_questions=gift.examples,
        language="en",
        acting_user=manager,
    )

    gift.refresh_from_db()
    assert gift.status == ContentGap.Status.ARTICLE_CREATED
    assert gift.article == article
    assert article.status == Article.Status.DRAFT
    assert article.owner == manager
    assert set(article.versions.get().example_questions) == set(TOPICS["gift_cards"])
    assert AuditLog.objects.filter(action="copilot.create_article_from_gap", target_id=str(gift.pk)).count() == 1
    with pytest.raises(InvalidInput):
        do_create_article_from_gap(
            gift, title="Again", body="Text.", example_questions=[], language="en", acting_user=manager
        )


def test_feedback_only_for_ai_answers(store_kb: dict[str, Article]) -> None:
    question, _result = ask("How much is shipping?")
    answer = Message.objects.get(reply_to=question, author_kind=Message.AuthorKind.AI)

    with pytest.raises(InvalidInput, match="Feedback is for AI answers"):
        do_record_feedback(question, helpful=False)
    do_record_feedback(answer, helpful=False)
    do_record_feedback(answer, helpful=True)

    assert list(AnswerFeedback.objects.values_list("helpful", flat=True)) == [True]
    rows = AuditLog.objects.filter(action="copilot.record_feedback").order_by("pk")
    assert [row.details["replaced"] for row in rows] == [False, True]
    assert {row.actor_kind for row in rows} == {"customer"}


def test_weekly_counts_and_trend() -> None:
    now = timezone.now()
    asked = [now - timedelta(days=days) for days in (0, 1, 8, 8, 9, 20, 70)]

    counts = gaps.weekly_counts(asked, now)

    assert counts == [0, 0, 0, 0, 0, 1, 3, 2]
    assert gaps.trend(counts) == "rising"
    assert gaps.trend([0, 0, 0, 0, 3, 3, 1, 1]) == "falling"
    assert gaps.trend([0, 0, 0, 0, 1, 1, 1, 1]) == "steady"
