"""Customers mark an AI answer helpful or not from the chat widget."""

from __future__ import annotations

import uuid

import pytest
from channels.db import database_sync_to_async

from copilot.models import AnswerFeedback
from tests.test_chat_consumer import is_reply, new_conversation, open_chat, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


async def test_not_helpful_recorded(store_kb: dict) -> None:
    _conversation, token = await new_conversation()
    chat, _history = await open_chat(token)
    await chat.send_json_to(
        {"type": "message", "client_message_id": str(uuid.uuid4()), "text": "How much does shipping cost?"}
    )
    answer = (await receive_until(chat, is_reply))[-1]["message"]
    await chat.send_json_to({"type": "feedback", "message_id": answer["id"], "helpful": False})
    confirmation = await chat.receive_json_from(timeout=5)
    await chat.disconnect()

    assert confirmation == {"type": "feedback_recorded", "message_id": answer["id"], "helpful": False}
    feedback = await database_sync_to_async(AnswerFeedback.objects.get)(message_id=answer["id"])
    assert feedback.helpful is False


async def test_other_conversations_message_rejected(store_kb: dict) -> None:
    _first, first_token = await new_conversation()
    chat, _history = await open_chat(first_token)
    await chat.send_json_to(
        {"type": "message", "client_message_id": str(uuid.uuid4()), "text": "How much does shipping cost?"}
    )
    answer = (await receive_until(chat, is_reply))[-1]["message"]
    await chat.disconnect()

    _second, second_token = await new_conversation()
    other, _history = await open_chat(second_token)
    await other.send_json_to({"type": "feedback", "message_id": answer["id"], "helpful": False})
    error = await other.receive_json_from(timeout=5)
    await other.disconnect()

    assert error["type"] == "error"
    assert error["code"] == "message_not_found"
    assert not await database_sync_to_async(AnswerFeedback.objects.exists)()


async def test_feedback_on_own_message_rejected(store_kb: dict) -> None:
    _conversation, token = await new_conversation()
    chat, _history = await open_chat(token)
    await chat.send_json_to(
        {"type": "message", "client_message_id": str(uuid.uuid4()), "text": "How much does shipping cost?"}
    )
    events = await receive_until(chat, is_reply)
    await chat.send_json_to({"type": "feedback", "message_id": events[0]["message_id"], "helpful": True})
    error = await chat.receive_json_from(timeout=5)
    await chat.disconnect()

    assert error["code"] == "feedback_not_ai_answer"
