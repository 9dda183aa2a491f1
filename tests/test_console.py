"""The agent console: permissions, the live queue, the live conversation page, replies and
catch-up, through real Channels and a real database."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone, translation

from supportdesk import roles
from supportdesk.asgi import application
from supportdesk.models import AuditLog
from tests.test_chat_consumer import HEADERS, new_conversation, open_chat, receive_until
from tickets import agent_actions
from tickets.actions import do_start_conversation
from tickets.models import AgentProfile, Conversation, Draft, Message
from tickets.templatetags.console_format import format_duration

pytestmark = pytest.mark.django_db(transaction=True)


def make_user(username: str, role: str | None) -> User:
    user = User.objects.create_user(username, password="console-test-1")
    if role is not None:
        user.groups.add(Group.objects.get(name=role))
    return user


def session_headers(user: User) -> list[tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    return [*HEADERS, (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]


async def agent_socket(user: User, path: str) -> WebsocketCommunicator:
    headers = await database_sync_to_async(session_headers)(user)
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _subprotocol = await communicator.connect()
    assert connected
    return communicator


async def handed_off_conversation(text: str = "I want to talk to a person about my refund") -> tuple[Conversation, str]:
    conversation, token = await new_conversation()
    chat, _history = await open_chat(token)
    await chat.send_json_to({"type": "message", "client_message_id": str(uuid.uuid4()), "text": text})
    await receive_until(chat, lambda event: event["type"] == "state")
    await chat.disconnect()
    return conversation, token


async def receive_html(communicator: WebsocketCommunicator, needle: str, limit: int = 10) -> str:
    seen = []
    for _ in range(limit):
        frame = await communicator.receive_from(timeout=10)
        seen.append(frame)
        if needle in frame:
            return str(frame)
    raise AssertionError(f"no frame with {needle!r} among {seen}")


def test_roles_exist_after_migrate() -> None:
    names = set(Group.objects.values_list("name", flat=True))
    assert set(roles.ROLE_PERMISSIONS) <= names
    assert Group.objects.get(name=roles.AGENT).permissions.filter(codename="handle_conversation").exists()
    assert not Group.objects.get(name=roles.AGENT).permissions.filter(codename="handle_recovery").exists()
    assert Group.objects.get(name=roles.SENIOR_AGENT).permissions.filter(codename="handle_recovery").exists()


def test_pages_need_a_role(store_kb: dict) -> None:
    outsider = make_user("outsider", None)
    conversation = Conversation.objects.create(customer=_customer(), status="queued")
    client = Client()
    assert client.get("/agent/").status_code == 302
    client.force_login(outsider)
    assert client.get("/agent/").status_code == 403
    assert client.get(f"/agent/c/{conversation.public_id}/").status_code == 403
    response = client.post(f"/agent/c/{conversation.public_id}/reply/", {"text": "hello"})
    assert response.status_code == 403
    assert not Message.objects.filter(conversation=conversation).exists()


def _customer() -> Any:
    from tickets.models import Customer

    return Customer.objects.create(name="Dana")


def test_knowledge_manager_cannot_reply(store_kb: dict) -> None:
    manager = make_user("km", roles.KNOWLEDGE_MANAGER)
    conversation = Conversation.objects.create(customer=_customer(), status="queued")
    client = Client()
    client.force_login(manager)
    assert client.get(f"/agent/c/{conversation.public_id}/").status_code == 200
    response = client.post(f"/agent/c/{conversation.public_id}/reply/", {"text": "hello"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert "cannot act" in response.content.decode()


def test_tier2_needs_senior(store_kb: dict) -> None:
    agent = make_user("agent1", roles.AGENT)
    senior = make_user("senior1", roles.SENIOR_AGENT)
    conversation = Conversation.objects.create(customer=_customer(), status="queued", tier=2)
    with pytest.raises(Exception, match="senior agents"):
        agent_actions.do_assign(conversation, agent, acting_user=agent)
    assert agent_actions.do_take_next(acting_user=agent) is None
    taken = agent_actions.do_take_next(acting_user=senior)
    assert taken is not None
    assert taken.assignee == senior


async def test_socket_refused_without_role(store_kb: dict) -> None:
    outsider = await database_sync_to_async(make_user)("outsider2", None)
    for path in ["/ws/agent/queue/", f"/ws/agent/conversations/{uuid.uuid4()}/"]:
        communicator = await agent_socket(outsider, path)
        assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4403}
        await communicator.disconnect()


async def test_queue_updates_live(store_kb: dict) -> None:
    agent = await database_sync_to_async(make_user)("agent2", roles.AGENT)
    queue_socket = await agent_socket(agent, "/ws/agent/queue/")
    await handed_off_conversation()
    frame = await receive_html(queue_socket, 'id="queue-live"')
    await queue_socket.disconnect()
    assert 'hx-trigger="load"' in frame

    client = Client()
    await database_sync_to_async(client.force_login)(agent)
    rows = (await database_sync_to_async(client.get)("/agent/queue/rows/?status=queued")).content.decode()
    assert "I want to talk" not in rows  # rows show metadata, not message text
    assert "Waiting for an agent" in rows


async def test_reply_reaches_customer_live(store_kb: dict) -> None:
    agent = await database_sync_to_async(make_user)("agent3", roles.AGENT)
    conversation, token = await handed_off_conversation()
    chat, _history = await open_chat(token)
    page = await agent_socket(agent, f"/ws/agent/conversations/{conversation.public_id}/")

    # The customer's next message reaches the agent's page live.
    await chat.send_json_to(
        {"type": "message", "client_message_id": str(uuid.uuid4()), "text": "Order 5521, the lamp arrived broken"}
    )
    await receive_html(page, "the lamp arrived broken")

    client = Client()
    await database_sync_to_async(client.force_login)(agent)
    response = await database_sync_to_async(client.post)(
        f"/agent/c/{conversation.public_id}/reply/",
        {"text": "Sorry about the lamp, <b>a new one</b> ships today."},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    events = await receive_until(
        chat, lambda event: event["type"] == "message" and event["message"]["author_kind"] == "agent"
    )
    agent_html = await receive_html(page, "a new one")
    await chat.disconnect()
    await page.disconnect()

    assert events[-1]["message"]["text"] == "Sorry about the lamp, <b>a new one</b> ships today."
    assert "&lt;b&gt;a new one&lt;/b&gt;" in agent_html
    conversation = await database_sync_to_async(Conversation.objects.get)(pk=conversation.pk)
    assert conversation.status == "assigned"
    assert conversation.assignee_id == agent.pk
    assert await database_sync_to_async(AuditLog.objects.filter(action="tickets.agent_reply").count)() == 1


async def test_ai_silent_after_agent_reply(store_kb: dict) -> None:
    agent = await database_sync_to_async(make_user)("agent4", roles.AGENT)
    conversation, token = await handed_off_conversation()
    await database_sync_to_async(agent_actions.do_send_agent_reply)(
        conversation, "Hello, I am here.", acting_user=agent
    )
    chat, _history = await open_chat(token)
    await chat.send_json_to(
        {"type": "message", "client_message_id": str(uuid.uuid4()), "text": "How much does shipping cost?"}
    )
    await receive_until(
        chat, lambda event: event["type"] == "message" and event["message"]["author_kind"] == "customer"
    )
    assert await chat.receive_nothing(timeout=0.5)
    await chat.disconnect()
    kinds = await database_sync_to_async(lambda: list(conversation.messages.values_list("author_kind", flat=True)))()
    assert "ai" not in kinds


async def test_catch_up_after_reconnect(store_kb: dict) -> None:
    agent = await database_sync_to_async(make_user)("agent5", roles.AGENT)
    conversation, token = await handed_off_conversation()
    messages = await database_sync_to_async(lambda: list(conversation.messages.order_by("id")))()
    page = await agent_socket(agent, f"/ws/agent/conversations/{conversation.public_id}/")
    # The page showed the first message before the connection dropped.
    await page.send_json_to({"type": "sync", "after_id": messages[0].pk})
    frames = []
    for _ in range(len(messages) - 1):
        frames.append(await page.receive_from(timeout=5))
    # A second sync, as after another reconnect, sends nothing twice.
    await page.send_json_to({"type": "sync", "after_id": messages[0].pk})
    assert await page.receive_nothing(timeout=0.5)
    await page.disconnect()

    shown = [
        message.pk for message in messages[1:] if any(f'data-message-id="{message.pk}"' in frame for frame in frames)
    ]
    assert shown == [message.pk for message in messages[1:]]
    assert not any(f'data-message-id="{messages[0].pk}"' in frame for frame in frames)


async def test_typing_both_ways(store_kb: dict) -> None:
    agent = await database_sync_to_async(make_user)("agent6", roles.AGENT)
    conversation, token = await handed_off_conversation()
    chat, _history = await open_chat(token)
    page = await agent_socket(agent, f"/ws/agent/conversations/{conversation.public_id}/")
    await chat.send_json_to({"type": "typing"})
    await receive_html(page, "The customer is typing")
    await page.send_json_to({"type": "typing"})
    event = await chat.receive_json_from(timeout=5)
    await chat.disconnect()
    await page.disconnect()
    assert event == {"type": "typing", "author_kind": "agent"}


async def test_second_viewer_warned(store_kb: dict) -> None:
    first = await database_sync_to_async(make_user)("agent7", roles.AGENT)
    second = await database_sync_to_async(make_user)("agent8", roles.AGENT)
    conversation, _token = await handed_off_conversation()
    first_page = await agent_socket(first, f"/ws/agent/conversations/{conversation.public_id}/")
    second_page = await agent_socket(second, f"/ws/agent/conversations/{conversation.public_id}/")
    to_first = await receive_html(first_page, "Also viewing")
    to_second = await receive_html(second_page, "Also viewing")
    await second_page.send_json_to({"type": "typing"})
    typing = await receive_html(first_page, "is typing a reply")
    await first_page.disconnect()
    await second_page.disconnect()
    assert "agent8" in to_first
    assert "agent7" in to_second
    assert "agent8" in typing


def test_presence_and_actions_audited(store_kb: dict) -> None:
    agent = make_user("agent9", roles.AGENT)
    client = Client()
    client.force_login(agent)
    response = client.post("/agent/presence/", {"presence": "online"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert AgentProfile.objects.get(user=agent).presence == "online"
    assert client.post("/agent/presence/", {"presence": "asleep"}).status_code == 400

    conversation = Conversation.objects.create(customer=_customer(), status="queued")
    base = f"/agent/c/{conversation.public_id}"
    assert client.post(f"{base}/note/", {"text": "Customer is a reseller"}, HTTP_HX_REQUEST="true").status_code == 200
    assert (
        client.post(
            f"{base}/snooze/", {"until": "2099-01-01T09:00", "utc_offset_minutes": "-120"}, HTTP_HX_REQUEST="true"
        ).status_code
        == 200
    )
    conversation.refresh_from_db()
    assert conversation.status == "snoozed"
    assert conversation.snoozed_until is not None
    assert conversation.snoozed_until.isoformat() == "2099-01-01T07:00:00+00:00"
    assert client.post(f"{base}/resolve/", HTTP_HX_REQUEST="true").status_code == 200
    assert client.post(f"{base}/reopen/", HTTP_HX_REQUEST="true").status_code == 200
    conversation.refresh_from_db()
    assert conversation.status == "queued"
    note = Message.objects.get(conversation=conversation)
    assert note.visibility == "internal"
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {
        "tickets.set_presence",
        "tickets.add_note",
        "tickets.snooze",
        "tickets.resolve",
        "tickets.reopen",
    } <= actions


def test_draft_fates(store_kb: dict) -> None:
    agent = make_user("agent10", roles.AGENT)
    conversation = Conversation.objects.create(customer=_customer(), status="queued")
    unchanged = Draft.objects.create(conversation=conversation, text="Standard delivery costs 4.95 euros.")
    agent_actions.do_send_agent_reply(
        conversation, "Standard delivery costs 4.95 euros.", draft_id=unchanged.pk, acting_user=agent
    )
    edited = Draft.objects.create(conversation=conversation, text="Standard delivery costs 4.95 euros.")
    agent_actions.do_send_agent_reply(
        conversation, "Hi! Standard delivery costs 4.95 euros.", draft_id=edited.pk, acting_user=agent
    )
    discarded = Draft.objects.create(conversation=conversation, text="Something else")
    agent_actions.do_discard_draft(discarded, acting_user=agent)

    unchanged.refresh_from_db()
    edited.refresh_from_db()
    discarded.refresh_from_db()
    assert (unchanged.fate, unchanged.edit_distance) == ("sent_unchanged", 0)
    assert (edited.fate, edited.edit_distance) == ("edited", 4)
    assert discarded.fate == "discarded"


def test_arabic_console_right_to_left(store_kb: dict) -> None:
    agent = make_user("agent11", roles.AGENT)
    client = Client(HTTP_ACCEPT_LANGUAGE="ar")
    client.force_login(agent)
    page = client.get("/agent/").content.decode()
    assert 'dir="rtl"' in page
    assert 'lang="ar"' in page


async def test_sla_alert_reaches_queue_page(store_kb: dict) -> None:
    from channels.layers import get_channel_layer

    agent = await database_sync_to_async(make_user)("agent12", roles.AGENT)
    queue_socket = await agent_socket(agent, "/ws/agent/queue/")
    conversation_id = str(uuid.uuid4())
    alert = {
        "kind": "breach",
        "target": "first_response",
        "conversation_id": conversation_id,
        "due_at": "2026-12-04T10:00:00+00:00",
    }
    await get_channel_layer().group_send("agents", {"type": "agent.event", "kind": "sla_alert", "event": alert})
    frame = await receive_html(queue_socket, "SLA breached")
    await queue_socket.disconnect()
    assert f"/agent/c/{conversation_id}/" in frame
    assert "first response" in frame


@pytest.mark.parametrize(
    ("seconds", "english", "arabic"),
    [
        (30, "0 minutes", "0 دقيقة"),
        (60, "1 minute", "دقيقة واحدة"),
        (125, "2 minutes", "دقيقتان"),
        (5 * 60, "5 minutes", "5 دقائق"),
        (11 * 60, "11 minutes", "11 دقيقة"),
        (2 * 3600 + 5 * 60, "2 hours, 5 minutes", "ساعتان و5 دقائق"),
        (3 * 3600, "3 hours", "3 ساعات"),
        (26 * 3600, "1 day, 2 hours", "يوم واحد وساعتان"),
        (12 * 86400, "12 days", "12 يومًا"),
    ],
)
def test_wait_duration_plurals(seconds: int, english: str, arabic: str) -> None:
    with translation.override("en"):
        assert format_duration(seconds) == english
    with translation.override("ar"):
        assert format_duration(seconds) == arabic


def test_arabic_queue_wait_dual(store_kb: dict) -> None:
    agent = make_user("agent13", roles.AGENT)
    conversation = do_start_conversation(locale="ar")
    queued_at = timezone.now() - timedelta(minutes=2, seconds=5)
    Conversation.objects.filter(pk=conversation.pk).update(status=Conversation.Status.QUEUED, queued_at=queued_at)
    client = Client(HTTP_ACCEPT_LANGUAGE="ar")
    client.force_login(agent)

    rows = client.get("/agent/queue/rows/").content.decode()

    assert "دقيقتان</time>" in rows
    assert "2 دقيقتين" not in rows
