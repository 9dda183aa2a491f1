"""The conversations REST API and its permissions."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from supportdesk import roles
from tests.test_console import _customer, make_user
from tickets.models import Conversation, Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation() -> Conversation:
    conversation = Conversation.objects.create(customer=_customer(), status="queued", intent="returns")
    Message.objects.create(conversation=conversation, author_kind="customer", text="Where is my refund?")
    return conversation


def client_for(role: str | None, username: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(make_user(username, role))
    return client


def test_anonymous_rejected(conversation: Conversation) -> None:
    assert APIClient().get("/api/conversations/").status_code == 403


def test_outsider_rejected(conversation: Conversation) -> None:
    client = client_for(None, "nobody")
    assert client.get("/api/conversations/").status_code == 403
    assert client.post(f"/api/conversations/{conversation.public_id}/reply/", {"text": "hi"}).status_code == 403


def test_agent_lists_and_reads(conversation: Conversation) -> None:
    client = client_for(roles.AGENT, "api-agent")
    listing = client.get("/api/conversations/?status=queued").json()
    assert [item["public_id"] for item in listing] == [str(conversation.public_id)]
    assert listing[0]["intent"] == "returns"
    messages = client.get(f"/api/conversations/{conversation.public_id}/messages/").json()
    assert [message["text"] for message in messages] == ["Where is my refund?"]


def test_agent_replies(conversation: Conversation) -> None:
    client = client_for(roles.AGENT, "api-agent2")
    response = client.post(
        f"/api/conversations/{conversation.public_id}/reply/", {"text": "It left today."}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["author"] == "api-agent2"
    conversation.refresh_from_db()
    assert conversation.status == "assigned"


def test_knowledge_manager_cannot_reply(conversation: Conversation) -> None:
    client = client_for(roles.KNOWLEDGE_MANAGER, "api-km")
    assert client.get("/api/conversations/").status_code == 200
    response = client.post(f"/api/conversations/{conversation.public_id}/reply/", {"text": "hi"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_an_agent"
    assert conversation.messages.count() == 1


def test_empty_reply_rejected(conversation: Conversation) -> None:
    client = client_for(roles.AGENT, "api-agent3")
    response = client.post(f"/api/conversations/{conversation.public_id}/reply/", {"text": ""}, format="json")
    assert response.status_code == 400
    assert "text" in response.json()
