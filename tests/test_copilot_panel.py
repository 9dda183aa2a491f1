"""The copilot panel task on a conversation about a policy from ABCD's real agent guidelines."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.management import call_command
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from copilot import providers
from copilot.tasks import build_copilot_panel
from tests.conftest import SHARED_DATA
from tests.test_chat_consumer import new_conversation, open_chat, receive_until
from tests.test_console import agent_socket, make_user, receive_html
from tickets.actions import do_receive_customer_message, do_start_conversation
from tickets.models import Conversation, Draft

GUIDELINES = SHARED_DATA / "abcd" / "guidelines.json"
PROMO_QUESTION = "Hi, my promo code says it is invalid at checkout, can you help?"


@pytest.fixture
def abcd_sops(db: None) -> None:
    call_command("import_knowledge", str(GUIDELINES), stdout=None)


def handed_off(text: str = PROMO_QUESTION) -> Conversation:
    from escalation.pipeline import handle_customer_message

    conversation = do_start_conversation(name="Rae", locale="en")
    message, _created = do_receive_customer_message(conversation, text=text, client_message_id=str(uuid.uuid4()))
    handle_customer_message(message, person_requested=True)
    return Conversation.objects.get(pk=conversation.pk)


@pytest.mark.django_db(transaction=True)
def test_panel_built_on_handoff(abcd_sops: None) -> None:
    conversation = handed_off()
    draft = Draft.objects.get(conversation=conversation)
    panel = draft.panel

    assert panel["case"]["message_count"] == 1
    assert panel["case"]["first_message"] == PROMO_QUESTION
    assert panel["case"]["handoff_reason"] == "customer_request"
    assert panel["sentiment"]["label"] in {"neutral", "positive", "negative"}
    assert panel["sentiment"]["trend"] == "steady"
    assert panel["intent"]
    titles = [item["title"] for item in panel["suggestions"]]
    assert any("Promo" in title for title in titles), titles
    assert all(item["audience"] == "internal" for item in panel["suggestions"])
    # The draft quotes an SOP passage word for word: nothing in it is invented.
    top = panel["suggestions"][0]
    assert draft.sources[0]["version_id"] == top["version_id"]
    body = draft.text.split("\n\n")[1]
    assert body in top_version_text(top["version_id"])
    assert panel["quotes_internal"] is True
    assert draft.provider == "extractive"
    assert draft.fate == "pending"


def top_version_text(version_id: int) -> str:
    from knowledge.models import ArticleVersion

    return ArticleVersion.objects.get(pk=version_id).body


@pytest.mark.django_db(transaction=True)
def test_new_message_stales_draft(abcd_sops: None) -> None:
    conversation = handed_off()
    first = Draft.objects.get(conversation=conversation)
    do_receive_customer_message(
        conversation, text="Also, I think someone used my account", client_message_id=str(uuid.uuid4())
    )

    first.refresh_from_db()
    assert first.fate == "stale"
    latest = Draft.objects.filter(conversation=conversation).order_by("-created_at").first()
    assert latest is not None
    assert latest.pk != first.pk
    assert latest.panel["case"]["message_count"] == 2
    # Running the task again for the same message builds nothing new.
    build_copilot_panel(conversation.pk)
    assert Draft.objects.filter(conversation=conversation).count() == 2


@pytest.mark.django_db(transaction=True)
def test_draft_follows_new_question(abcd_sops: None) -> None:
    conversation = handed_off()
    first = Draft.objects.get(conversation=conversation)
    do_receive_customer_message(
        conversation,
        text="Separate question: I forgot my password and cannot log in to my account",
        client_message_id=str(uuid.uuid4()),
    )

    latest = Draft.objects.filter(conversation=conversation).order_by("-created_at").first()
    assert latest is not None
    first_titles = [item["title"] for item in first.panel["suggestions"]]
    latest_top = latest.panel["suggestions"][0]["title"]
    assert "Promo" in first_titles[0]
    assert "Promo" not in latest_top
    assert latest.sources[0]["title"] == latest_top
    assert latest.panel["intent"] != first.panel["intent"]


@pytest.mark.django_db(transaction=True)
def test_short_follow_up_keeps_context(abcd_sops: None) -> None:
    from copilot.panel import search_suggestions
    from tickets.models import Message

    thread = [
        Message(text=PROMO_QUESTION),
        Message(text="why is that?"),
        Message(text="I would like to talk to a person."),
    ]

    titles = [scored.info.title for scored in search_suggestions(thread)]

    assert "Promo" in titles[0]


@pytest.mark.django_db(transaction=True)
def test_task_ignores_missing_rows() -> None:
    build_copilot_panel(987654)
    conversation = do_start_conversation()
    build_copilot_panel(conversation.pk)  # still with the AI: no panel
    assert not Draft.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_model_draft_and_grounding(abcd_sops: None, monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    settings.SUPPORTDESK_LLM_PROVIDER = "openai"
    settings.SUPPORTDESK_LLM_MODEL = "fake-model"
    invented = "Sorry about that! We will refund you 75 dollars and add a free year of membership."
    monkeypatch.setattr(
        providers, "build_chat_model", lambda: FakeListChatModel(responses=["Customer's promo code fails.", invented])
    )
    conversation = handed_off()
    draft = Draft.objects.get(conversation=conversation)

    assert draft.panel["model_summary"] == "Customer's promo code fails."
    assert "model_draft_rejected" in draft.panel["notes"]
    assert "75 dollars" not in draft.text
    assert draft.provider == "extractive"


@pytest.mark.django_db(transaction=True)
def test_model_draft_accepted_when_grounded(abcd_sops: None, monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    settings.SUPPORTDESK_LLM_PROVIDER = "openai"
    settings.SUPPORTDESK_LLM_MODEL = "fake-model"
    conversation = handed_off()
    passage = Draft.objects.get(conversation=conversation).text.split("\n\n")[1]
    sentence = passage.split(". ")[0].rstrip(".") + "."
    monkeypatch.setattr(providers, "build_chat_model", lambda: FakeListChatModel(responses=["Summary.", sentence]))
    build_copilot_panel_again(conversation)

    latest = Draft.objects.filter(conversation=conversation).order_by("-created_at").first()
    assert latest is not None
    assert latest.text == sentence
    assert latest.provider == "openai:fake-model"


def build_copilot_panel_again(conversation: Conversation) -> None:
    Draft.objects.filter(conversation=conversation).update(fate="discarded")
    build_copilot_panel(conversation.pk)


@pytest.mark.django_db(transaction=True)
async def test_panel_pushed_to_agent(abcd_sops: None) -> None:
    from supportdesk import roles

    agent = await database_sync_to_async(make_user)("panel-agent", roles.AGENT)
    conversation, token = await new_conversation()
    page = await agent_socket(agent, f"/ws/agent/conversations/{conversation.public_id}/")
    chat, _history = await open_chat(token)
    await chat.send_json_to({"type": "message", "client_message_id": str(uuid.uuid4()), "text": PROMO_QUESTION})
    await chat.send_json_to({"type": "request_human", "client_message_id": str(uuid.uuid4())})
    await receive_until(chat, lambda event: event["type"] == "state" and event["state"]["status"] == "queued", limit=20)
    frame = await receive_html(page, 'id="copilot-panel"', limit=30)
    await chat.disconnect()
    await page.disconnect()
    assert 'hx-swap-oob="true"' in frame
    assert "Insert draft" in frame
    assert "Promo" in frame
