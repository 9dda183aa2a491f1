"""Scoring silent-copilot drafts against the agent's reply, and where a support lead reads it."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client
from django.utils import translation
from django.utils.html import escape

from escalation.actions import do_score_silent_drafts, do_set_channel_mode
from escalation.actions.scoring import AGREED_SEMANTIC_SIMILARITY, AGREED_TEXT_SIMILARITY, text_similarity
from escalation.admin import excerpt, format_similarity
from escalation.models import ChannelSettings, RoutingRule, SilentDraftScore
from escalation.pipeline import handle_customer_message
from supportdesk import roles
from supportdesk.models import AuditLog
from tickets.actions import do_receive_customer_message, do_start_conversation
from tickets.agent_actions import do_add_note, do_send_agent_reply
from tickets.models import Conversation, Message

pytestmark = pytest.mark.django_db

UNRELATED_REPLY = "I've reset your password, so you can sign in again with the link I just e-mailed you."


@pytest.fixture
def agent_user(db: None) -> User:
    user = User.objects.create_user("silent-agent", password="silent-agent-1")
    user.groups.add(Group.objects.get(name=roles.AGENT))
    return user


def customer_writes(conversation: Conversation, text: str) -> Message:
    message, _created = do_receive_customer_message(conversation, text=text, client_message_id=None)
    handle_customer_message(message)
    return message


def start_conversation(text: str, *, mode: str, locale: str = "en") -> tuple[Conversation, Message]:
    do_set_channel_mode("chat", ai_mode=mode, acting_user=None)
    conversation = do_start_conversation(locale=locale)
    customer_writes(conversation, text)
    conversation.refresh_from_db()
    draft = Message.objects.get(conversation=conversation, author_kind="ai", visibility="internal")
    return conversation, draft


def agent_replies(
    capture: Callable[..., Any], conversation: Conversation, text: str, agent_user: User
) -> tuple[Message, list[Callable[[], None]]]:
    """Send the reply and run its after-commit callbacks, which run the scoring task inline in tests."""
    with capture(execute=True) as callbacks:
        reply = do_send_agent_reply(conversation, text, acting_user=agent_user)
    return reply, callbacks


def test_reply_repeating_draft_agrees(
    store_kb: dict, agent_user: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    conversation, draft = start_conversation("How much does shipping cost?", mode="silent_copilot")
    assert "4.95 euros" in draft.text

    reply, _callbacks = agent_replies(
        django_capture_on_commit_callbacks, conversation, "Hello! " + draft.text, agent_user
    )

    score = SilentDraftScore.objects.get()
    assert score.draft == draft
    assert score.reply == reply
    assert score.customer_message == draft.reply_to
    assert score.channel == "chat"
    assert score.agreed is True
    assert score.semantic_similarity is not None
    assert score.semantic_similarity > 0.9
    assert score.text_similarity == pytest.approx(text_similarity(draft.text, "Hello! " + draft.text))
    assert score.text_similarity > 0.9
    audit = AuditLog.objects.get(action="escalation.score_silent_draft")
    assert audit.details == {"draft": draft.pk, "reply": reply.pk}


def test_unrelated_reply_disagrees(
    store_kb: dict, agent_user: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    conversation, draft = start_conversation("How much does shipping cost?", mode="silent_copilot")

    agent_replies(django_capture_on_commit_callbacks, conversation, UNRELATED_REPLY, agent_user)

    score = SilentDraftScore.objects.get(draft=draft)
    assert score.agreed is False
    assert score.semantic_similarity is not None
    assert score.semantic_similarity < AGREED_SEMANTIC_SIMILARITY
    assert score.text_similarity < 0.5


def test_second_reply_scores_nothing_again(
    store_kb: dict, agent_user: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    conversation, draft = start_conversation("How much does shipping cost?", mode="silent_copilot")
    first, _callbacks = agent_replies(django_capture_on_commit_callbacks, conversation, draft.text, agent_user)
    do_add_note(conversation, "Customer seems happy.", acting_user=agent_user)

    second, _callbacks = agent_replies(
        django_capture_on_commit_callbacks, conversation, "Anything else I can help with?", agent_user
    )
    assert do_score_silent_drafts(first.pk) == [SilentDraftScore.objects.get()]

    score = SilentDraftScore.objects.get()
    assert (score.draft, score.reply) == (draft, first)
    assert not SilentDraftScore.objects.filter(reply=second).exists()
    assert AuditLog.objects.filter(action="escalation.score_silent_draft").count() == 1


def test_later_draft_scored_by_next_reply(
    store_kb: dict, agent_user: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    conversation, first_draft = start_conversation("How much does shipping cost?", mode="silent_copilot")
    first, _callbacks = agent_replies(django_capture_on_commit_callbacks, conversation, first_draft.text, agent_user)
    customer_writes(conversation, "How do I return an item?")
    second_draft = Message.objects.filter(conversation=conversation, author_kind="ai").latest("id")
    assert "30 days" in second_draft.text

    second, _callbacks = agent_replies(django_capture_on_commit_callbacks, conversation, UNRELATED_REPLY, agent_user)

    scores = {score.draft_id: score for score in SilentDraftScore.objects.all()}
    assert set(scores) == {first_draft.pk, second_draft.pk}
    assert (scores[first_draft.pk].reply, scores[first_draft.pk].agreed) == (first, True)
    assert (scores[second_draft.pk].reply, scores[second_draft.pk].agreed) == (second, False)


def test_ai_first_draft_not_scored(
    store_kb: dict, agent_user: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    # A rule sends an answerable question to a person, so the AI keeps its answer as a draft.
    RoutingRule.objects.create(name="shipping to people", keywords="shipping", set_tier=1)
    conversation, draft = start_conversation("How much does shipping cost?", mode="ai_first")
    assert conversation.status in {"queued", "assigned"}
    assert draft.visibility == "internal"

    _reply, callbacks = agent_replies(django_capture_on_commit_callbacks, conversation, draft.text, agent_user)

    assert len(callbacks) >= 1
    assert not SilentDraftScore.objects.exists()
    assert not AuditLog.objects.filter(action="escalation.score_silent_draft").exists()


def test_arabic_draft_and_reply(
    store_kb: dict, agent_user: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    paraphrase = "تستطيع إعادة المنتج خلال 30 يومًا من استلامه ونرد لك ثمنه بالكامل."
    refusal = "للأسف لا يمكن إرجاع المنتجات المخفضة."
    scores = []
    for reply_text in (paraphrase, refusal):
        conversation, draft = start_conversation("كيف أرجع منتجًا؟", mode="silent_copilot", locale="ar")
        assert "30 يومًا" in draft.text
        agent_replies(django_capture_on_commit_callbacks, conversation, reply_text, agent_user)
        scores.append(SilentDraftScore.objects.get(draft=draft))
    agreeing, refusing = scores

    # The words differ, so only the embeddings can tell that the paraphrase agrees.
    assert agreeing.text_similarity < AGREED_TEXT_SIMILARITY
    assert agreeing.semantic_similarity is not None
    assert agreeing.semantic_similarity >= AGREED_SEMANTIC_SIMILARITY
    assert agreeing.agreed is True
    assert refusing.semantic_similarity is not None
    assert refusing.semantic_similarity < AGREED_SEMANTIC_SIMILARITY
    assert refusing.agreed is False


def test_encoder_failure_keeps_text_similarity(
    store_kb: dict,
    agent_user: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    conversation, draft = start_conversation("How much does shipping cost?", mode="silent_copilot")

    def broken_encoder(texts: list[str]) -> None:
        raise RuntimeError("encoder out of memory")

    monkeypatch.setattr("escalation.actions.scoring.embed_texts", broken_encoder)
    with caplog.at_level(logging.WARNING, logger="escalation.actions.scoring"):
        reply, _callbacks = agent_replies(django_capture_on_commit_callbacks, conversation, draft.text, agent_user)

    score = SilentDraftScore.objects.get(draft=draft)
    assert score.semantic_similarity is None
    assert score.text_similarity == 1.0
    assert score.agreed is True
    assert any("encoder failed" in record.getMessage() for record in caplog.records)

    # A retry once the encoder works again fills the semantic similarity of the same row.
    monkeypatch.undo()
    assert [retried.pk for retried in do_score_silent_drafts(reply.pk)] == [score.pk]
    score.refresh_from_db()
    assert score.semantic_similarity == pytest.approx(1.0, abs=1e-4)


def score_two_drafts(capture: Callable[..., Any], agent_user: User) -> list[SilentDraftScore]:
    """One agreeing and one disagreeing score in the chat channel."""
    for text in ("How much does shipping cost?", "How do I return an item?"):
        conversation, draft = start_conversation(text, mode="silent_copilot")
        reply_text = draft.text if "shipping" in text else UNRELATED_REPLY
        agent_replies(capture, conversation, reply_text, agent_user)
    return list(SilentDraftScore.objects.order_by("id"))


def test_report_command_json_line(
    store_kb: dict, agent_user: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    scores = score_two_drafts(django_capture_on_commit_callbacks, agent_user)
    assert [score.agreed for score in scores] == [True, False]
    semantic = [score.semantic_similarity for score in scores]
    assert None not in semantic

    out = StringIO()
    # An earlier request in this thread may have left another language active.
    with translation.override("en"):
        call_command("silent_copilot_report", "--days", "7", "--channel", "chat", stdout=out)

    lines = out.getvalue().splitlines()
    header = [
        "channel",
        "drafts",
        "scored",
        "agreed",
        "agreement",
        "rate",
        "semantic",
        "similarity",
        "text",
        "similarity",
    ]
    assert lines[0].split() == header
    assert lines[1].split()[:4] == ["chat", "2", "1", "50%"]
    result = json.loads(lines[-1])
    assert set(result) == {"drafts_scored", "agreement_rate", "mean_semantic_similarity", "mean_text_similarity"}
    assert result["drafts_scored"] == 2
    assert result["agreement_rate"] == 0.5
    assert result["mean_semantic_similarity"] == pytest.approx(sum(semantic) / 2)  # type: ignore[arg-type]
    assert result["mean_text_similarity"] == pytest.approx((scores[0].text_similarity + scores[1].text_similarity) / 2)

    other = StringIO()
    call_command("silent_copilot_report", "--channel", "email", stdout=other)
    assert json.loads(other.getvalue().splitlines()[-1]) == {
        "drafts_scored": 0,
        "agreement_rate": None,
        "mean_semantic_similarity": None,
        "mean_text_similarity": None,
    }


def test_admin_summary_shows_rate(
    store_kb: dict, agent_user: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    score_two_drafts(django_capture_on_commit_callbacks, agent_user)
    lead = User.objects.create_superuser("lead", password="lead-password-1")
    client = Client()
    client.force_login(lead)
    settings_row = ChannelSettings.objects.get(channel="chat")

    page = client.get(f"/admin/escalation/channelsettings/{settings_row.pk}/change/")
    listing = client.get("/admin/escalation/channelsettings/")
    scores = client.get("/admin/escalation/silentdraftscore/?agreed__exact=0&channel__exact=chat")
    score_page = client.get(f"/admin/escalation/silentdraftscore/{SilentDraftScore.objects.first().pk}/change/")  # type: ignore[union-attr]

    assert page.status_code == 200
    assert "2 drafts scored. Agreement rate 50%" in page.content.decode()
    assert listing.status_code == 200
    assert "Agreement rate 50%" in listing.content.decode()
    assert scores.status_code == 200
    assert "1 silent draft score" in scores.content.decode()
    assert score_page.status_code == 200
    assert 'name="_save"' not in score_page.content.decode()


def test_admin_list_rounds_and_shortens(
    store_kb: dict, agent_user: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    scores = score_two_drafts(django_capture_on_commit_callbacks, agent_user)
    lead = User.objects.create_superuser("lead", password="lead-password-1")
    client = Client()
    client.force_login(lead)

    listing = client.get("/admin/escalation/silentdraftscore/").content.decode()

    for score in scores:
        assert score.semantic_similarity is not None
        for similarity in (score.text_similarity, score.semantic_similarity):
            assert f"{similarity:.2f}" in listing
            if similarity != round(similarity, 2):
                assert repr(similarity) not in listing
        assert escape(excerpt(score.draft.text)) in listing


def test_admin_arabic_decimal_comma(
    store_kb: dict, agent_user: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    score = score_two_drafts(django_capture_on_commit_callbacks, agent_user)[0]
    lead = User.objects.create_superuser("lead", password="lead-password-1")
    client = Client(HTTP_ACCEPT_LANGUAGE="ar")
    client.force_login(lead)

    listing = client.get("/admin/escalation/silentdraftscore/").content.decode()

    assert f"{score.text_similarity:.2f}".replace(".", ",") in listing


LONG_DRAFT = "Shipping costs 4.95 euros within the country and is free for orders above 50 euros in total."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Short draft.", "Short draft."),
        ("  spaces\n and  lines  ", "spaces and lines"),
        (LONG_DRAFT, "Shipping costs 4.95 euros within the country and is free for orders above 50…"),
        ("x" * 100, "x" * 79 + "…"),
        ("الشحن " * 20, ("الشحن " * 13).strip() + "…"),
    ],
)
def test_excerpt_cuts_at_word(text: str, expected: str) -> None:
    result = excerpt(text)

    assert result == expected
    assert len(result) <= 80


def test_similarity_format() -> None:
    with translation.override("en"):
        assert format_similarity(None) == "-"
        assert format_similarity(0.023675257340073586) == "0.02"
        assert format_similarity(0.14901001751422882) == "0.15"
        assert format_similarity(-0.5) == "-0.50"
    with translation.override("ar"):
        assert format_similarity(0.876) == "0,88"


def test_score_and_settings_titles() -> None:
    score = SilentDraftScore(draft_id=6, reply_id=7, agreed=False)
    settings_row = ChannelSettings(channel="chat", ai_mode="silent_copilot")

    with translation.override("en"):
        assert str(score) == "Draft 6 scored against reply 7: not agreed"
        assert str(settings_row) == "Live chat: Silent copilot"
    with translation.override("ar"):
        assert str(score) == "قُيّمت المسودة 6 مقابل الرد 7: غير متوافقة"
        assert str(settings_row) == "الدردشة المباشرة: مساعد ذكي صامت"
