"""The customer chat websocket through Channels' WebsocketCommunicator and a real database."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from escalation.models import Handoff
from supportdesk.asgi import application
from supportdesk.models import AuditLog
from tickets.actions import do_start_conversation
from tickets.models import Conversation, Message
from tickets.tokens import make_chat_token

pytestmark = pytest.mark.django_db(transaction=True)

HEADERS = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]


async def open_chat(token: str) -> tuple[WebsocketCommunicator, dict[str, Any]]:
    communicator = WebsocketCommunicator(application, f"/ws/chat/{token}/", headers=HEADERS)
    connected, _subprotocol = await communicator.connect()
    assert connected
    history = await communicator.receive_json_from(timeout=5)
    return communicator, history


async def new_conversation() -> tuple[Conversation, str]:
    conversation = await database_sync_to_async(do_start_conversation)(locale="en")
    return conversation, make_chat_token(conversation.public_id)


async def receive_until(communicator: WebsocketCommunicator, predicate: Any, limit: int = 10) -> list[dict[str, Any]]:
    """Collect events until one matches `predicate`; fail if none does within `limit`."""
    seen = []
    for _ in range(limit):
        event = await communicator.receive_json_from(timeout=10)
        seen.append(event)
        if predicate(event):
            return seen
    raise AssertionError(f"no matching event among {seen}")


def is_reply(event: dict[str, Any]) -> bool:
    return event["type"] == "message" and event["message"]["author_kind"] in {"ai", "system"}


async def test_answer_with_sources(store_kb: dict) -> None:
    _conversation, token = await new_conversation()
    communicator, history = await open_chat(token)
    assert history["type"] == "history"
    assert history["messages"] == []
    assert history["state"]["status"] == "ai"

    await communicator.send_json_to(
        {"type": "message", "client_message_id": str(uuid.uuid4()), "text": "How much does shipping cost?"}
    )
    events = await receive_until(communicator, is_reply)
    await communicator.disconnect()

    assert events[0]["type"] == "ack"
    assert events[0]["duplicate"] is False
    answer = events[-1]["message"]
    assert answer["author_kind"] == "ai"
    assert "4.95 euros" in answer["text"]
    assert answer["sources"][0]["title"] == "Shipping costs"
    assert answer["sources"][0]["url"] == f"/kb/{store_kb['shipping'].slug}/"
    assert answer["confidence"] >= 0.5
    stored = await database_sync_to_async(
        lambda: list(Message.objects.filter(author_kind="ai").values_list("sources__version_id", flat=True))
    )()
    assert stored == [store_kb["shipping"].published_version_id]


async def test_message_stored_before_answer(store_kb: dict) -> None:
    conversation, token = await new_conversation()
    communicator, _history = await open_chat(token)
    client_id = str(uuid.uuid4())
    await communicator.send_json_to(
        {"type": "message", "client_message_id": client_id, "text": "How do I return an item?"}
    )
    ack = await communicator.receive_json_from(timeout=10)
    await receive_until(communicator, is_reply)
    await communicator.disconnect()

    message = await database_sync_to_async(Message.objects.get)(pk=ack["message_id"])
    assert message.client_message_id == client_id
    assert message.author_kind == "customer"
    audit = await database_sync_to_async(
        lambda: AuditLog.objects.filter(action="tickets.receive_message", target_id=str(message.pk)).count()
    )()
    assert audit == 1


async def test_duplicate_client_message_id(store_kb: dict) -> None:
    conversation, token = await new_conversation()
    communicator, _history = await open_chat(token)
    client_id = str(uuid.uuid4())
    payload = {"type": "message", "client_message_id": client_id, "text": "How do I return an item?"}
    await communicator.send_json_to(payload)
    first = await receive_until(communicator, is_reply)
    await communicator.disconnect()

    # The widget reconnects and resends the same message, as after a dropped connection.
    communicator, history = await open_chat(token)
    assert [message["author_kind"] for message in history["messages"]] == ["customer", "ai"]
    await communicator.send_json_to(payload)
    ack = await communicator.receive_json_from(timeout=10)
    assert ack == {
        "type": "ack",
        "client_message_id": client_id,
        "message_id": first[0]["message_id"],
        "duplicate": True,
    }
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()

    count = await database_sync_to_async(lambda: conversation.messages.count())()
    assert count == 2


async def test_handoff_on_request(store_kb: dict) -> None:
    conversation, token = await new_conversation()
    communicator, _history = await open_chat(token)
    await communicator.send_json_to({"type": "request_human", "client_message_id": str(uuid.uuid4())})
    events = await receive_until(communicator, lambda event: event["type"] == "state")
    notice = next(event["message"] for event in events if is_reply(event))
    assert notice["author_kind"] == "system"
    assert "number 1 in the queue" in notice["text"]
    assert events[-1]["state"] == {"status": "queued", "tier": 1, "queue_position": 1}

    # Once handed off, the AI stays silent in this conversation.
    await communicator.send_json_to(
        {"type": "message", "client_message_id": str(uuid.uuid4()), "text": "How much does shipping cost?"}
    )
    ack = await communicator.receive_json_from(timeout=10)
    assert ack["type"] == "ack"
    echo = await communicator.receive_json_from(timeout=10)
    assert echo["message"]["author_kind"] == "customer"
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()

    handoff = await database_sync_to_async(
        lambda: Handoff.objects.select_related("conversation").get(conversation=conversation)
    )()
    assert handoff.reason == "customer_request"
    assert handoff.conversation.status == "queued"
    assert handoff.packet["customer_messages"] == ["I would like to talk to a person."]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Can I speak to a real person please?", "customer_request"),
        ("أريد التحدث مع موظف", "customer_request"),
        ("My account was hacked, someone placed orders", "human_only_topic"),
        ("What is the airspeed velocity of an unladen swallow?", "low_confidence"),
    ],
)
async def test_handoff_reasons(store_kb: dict, text: str, reason: str) -> None:
    conversation, token = await new_conversation()
    communicator, _history = await open_chat(token)
    await communicator.send_json_to({"type": "message", "client_message_id": str(uuid.uuid4()), "text": text})
    events = await receive_until(communicator, lambda event: event["type"] == "state")
    await communicator.disconnect()

    assert not any(event["type"] == "message" and event["message"]["author_kind"] == "ai" for event in events)
    handoff = await database_sync_to_async(Handoff.objects.get)(conversation=conversation)
    assert handoff.reason == reason


async def test_arabic_question_answered_in_arabic(store_kb: dict) -> None:
    _conversation, token = await new_conversation()
    communicator, _history = await open_chat(token)
    await communicator.send_json_to(
        {"type": "message", "client_message_id": str(uuid.uuid4()), "text": "كيف يمكنني إرجاع منتج؟"}
    )
    events = await receive_until(communicator, is_reply)
    await communicator.disconnect()

    answer = events[-1]["message"]
    assert answer["author_kind"] == "ai"
    assert "30 يومًا" in answer["text"]
    assert answer["sources"][0]["title"] == "الإرجاع واسترداد المبلغ"


async def test_internal_sop_never_answered(store_kb: dict) -> None:
    _conversation, token = await new_conversation()
    communicator, _history = await open_chat(token)
    await communicator.send_json_to(
        {
            "type": "message",
            "client_message_id": str(uuid.uuid4()),
            "text": "What is the refund approval limit for agents?",
        }
    )
    events = await receive_until(communicator, lambda event: is_reply(event))
    await communicator.disconnect()

    for event in events:
        if event["type"] == "message":
            assert "Helm" not in event["message"]["text"]
            assert "150 euros" not in event["message"]["text"]


async def test_other_token_cannot_read(store_kb: dict) -> None:
    _first, first_token = await new_conversation()
    communicator, _history = await open_chat(first_token)
    await communicator.send_json_to(
        {"type": "message", "client_message_id": str(uuid.uuid4()), "text": "My secret order is 99812"}
    )
    await receive_until(communicator, lambda event: event["type"] == "state" or is_reply(event))
    await communicator.disconnect()

    _second, second_token = await new_conversation()
    communicator, history = await open_chat(second_token)
    assert history["messages"] == []
    await communicator.send_json_to({"type": "sync", "after_id": 0})
    synced = await communicator.receive_json_from(timeout=5)
    assert synced["messages"] == []
    await communicator.disconnect()


async def test_forged_token_closed() -> None:
    for token in ["not-a-token", make_chat_token(uuid.uuid4()), make_chat_token(uuid.uuid4())[:-2] + "xx"]:
        communicator = WebsocketCommunicator(application, f"/ws/chat/{token}/", headers=HEADERS)
        connected, _subprotocol = await communicator.connect()
        assert connected
        closed = await communicator.receive_output(timeout=5)
        assert closed == {"type": "websocket.close", "code": 4403}
        await communicator.disconnect()


async def test_invalid_message_rejected(store_kb: dict) -> None:
    conversation, token = await new_conversation()
    communicator, _history = await open_chat(token)
    await communicator.send_json_to({"type": "message", "client_message_id": str(uuid.uuid4()), "text": "   "})
    empty = await communicator.receive_json_from(timeout=5)
    await communicator.send_json_to({"type": "message", "client_message_id": "bad id!", "text": "hello"})
    bad_id = await communicator.receive_json_from(timeout=5)
    await communicator.send_json_to({"type": "message", "client_message_id": str(uuid.uuid4()), "text": "x" * 4001})
    too_long = await communicator.receive_json_from(timeout=5)
    await communicator.send_json_to({"type": "shout"})
    unknown = await communicator.receive_json_from(timeout=5)
    await communicator.disconnect()

    assert (empty["type"], empty["code"]) == ("error", "empty_message")
    assert (bad_id["type"], bad_id["code"]) == ("error", "invalid_message")
    assert "client_message_id" in bad_id["message"]
    assert (too_long["type"], too_long["code"]) == ("error", "message_too_long")
    assert "4001" in too_long["message"]
    assert unknown["code"] == "unknown_type"
    assert await database_sync_to_async(conversation.messages.count)() == 0


async def test_html_shown_escaped(store_kb: dict, agent: Any) -> None:
    conversation, token = await new_conversation()
    communicator, _history = await open_chat(token)
    script = "<script>alert('x')</script> I want a human"
    await communicator.send_json_to({"type": "message", "client_message_id": str(uuid.uuid4()), "text": script})
    events = await receive_until(communicator, lambda event: event["type"] == "state")
    await communicator.disconnect()
    echo = next(event for event in events if event["type"] == "message")
    # The socket carries plain text; the widget inserts it with textContent.
    assert echo["message"]["text"] == script

    def agent_page() -> str:
        client = Client()
        client.force_login(agent)
        return str(client.get(f"/agent/c/{conversation.public_id}/").content.decode())

    # The console shows the text in the thread and quotes it in the copilot panel's summary.
    page = await database_sync_to_async(agent_page)()
    assert "<script>alert" not in page
    assert page.count("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;") >= 2
