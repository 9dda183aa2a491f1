"""Each channel AI mode in the live chat, the audited mode change, and proactive outreach."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from escalation.actions import do_close_outreach_task, do_create_outreach_tasks, do_set_channel_mode
from escalation.models import ChannelSettings, Handoff, OutreachTask
from escalation.tasks import list_inactive_customers
from supportdesk.asgi import application
from supportdesk.errors import InvalidInput
from supportdesk.models import AuditLog
from tickets.actions import do_start_conversation
from tickets.models import Conversation, Customer, Message
from tickets.tokens import make_chat_token

HEADERS = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]


def is_last_event(event: dict[str, Any]) -> bool:
    """The state change that ends a handoff, or the AI's answer."""
    return event["type"] == "state" or (event["type"] == "message" and event["message"]["author_kind"] == "ai")


async def chat_exchange(text: str, mode: str | None) -> tuple[Conversation, list[dict[str, Any]]]:
    """Send one message over the websocket and collect its events until the socket is quiet.

    The consumer forwards group events only after the pipeline returns, so the events are
    read until the last one the pipeline sends, then until nothing comes for a second.
    """
    if mode is not None:
        await database_sync_to_async(do_set_channel_mode)("chat", ai_mode=mode, acting_user=None)
    conversation = await database_sync_to_async(do_start_conversation)(locale="en")
    token = make_chat_token(conversation.public_id)
    communicator = WebsocketCommunicator(application, f"/ws/chat/{token}/", headers=HEADERS)
    connected, _subprotocol = await communicator.connect()
    assert connected
    await communicator.receive_json_from(timeout=5)
    await communicator.send_json_to({"type": "message", "client_message_id": str(uuid.uuid4()), "text": text})
    events = [await communicator.receive_json_from(timeout=20)]
    while not is_last_event(events[-1]):
        events.append(await communicator.receive_json_from(timeout=20))
    while not await communicator.receive_nothing(timeout=1):
        events.append(await communicator.receive_json_from(timeout=5))
    await communicator.disconnect()
    return conversation, events


def shown(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [
        (event["message"]["author_kind"], event["message"]["text"]) for event in events if event["type"] == "message"
    ]


@pytest.mark.django_db(transaction=True)
async def test_off_mode_hands_everything_off(store_kb: dict) -> None:
    conversation, events = await chat_exchange("How much does shipping cost?", "off")

    kinds = [kind for kind, _text in shown(events)]
    assert kinds == ["customer", "system"]
    assert events[-1] == {"type": "state", "state": {"status": "queued", "tier": 1, "queue_position": 1}}
    handoff = await database_sync_to_async(Handoff.objects.get)(conversation=conversation)
    assert handoff.reason == "ai_off"
    assert not await database_sync_to_async(Message.objects.filter(author_kind="ai").exists)()


@pytest.mark.django_db(transaction=True)
async def test_silent_copilot_drafts_only(store_kb: dict) -> None:
    conversation, events = await chat_exchange("How much does shipping cost?", "silent_copilot")

    texts = shown(events)
    assert [kind for kind, _text in texts] == ["customer", "system"]
    assert not any("4.95" in text for _kind, text in texts)
    handoff = await database_sync_to_async(Handoff.objects.get)(conversation=conversation)
    assert handoff.reason == "silent_copilot"
    draft = await database_sync_to_async(Message.objects.get)(conversation=conversation, author_kind="ai")
    assert draft.visibility == "internal"
    assert "4.95 euros" in draft.text
    assert draft.confidence is not None and draft.confidence >= 0.5
    customer_message = await database_sync_to_async(Message.objects.get)(
        conversation=conversation, author_kind="customer"
    )
    assert draft.reply_to_id == customer_message.pk


@pytest.mark.django_db(transaction=True)
async def test_silent_copilot_drafts_while_queued(store_kb: dict) -> None:
    conversation, _events = await chat_exchange("Let me talk to a person", "silent_copilot")
    token = make_chat_token(conversation.public_id)
    communicator = WebsocketCommunicator(application, f"/ws/chat/{token}/", headers=HEADERS)
    await communicator.connect()
    await communicator.receive_json_from(timeout=5)
    await communicator.send_json_to(
        {"type": "message", "client_message_id": str(uuid.uuid4()), "text": "Also, is shipping free?"}
    )
    await communicator.receive_json_from(timeout=10)
    echo = await communicator.receive_json_from(timeout=10)
    assert echo["message"]["author_kind"] == "customer"
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()

    drafts = await database_sync_to_async(
        lambda: list(conversation.messages.filter(author_kind="ai").values_list("visibility", "text"))
    )()
    assert [visibility for visibility, _text in drafts] == ["internal"]
    assert "free for orders over 50 euros" in drafts[0][1]


@pytest.mark.django_db(transaction=True)
async def test_triage_wall_offers_person(store_kb: dict) -> None:
    conversation, events = await chat_exchange("How much does shipping cost?", "triage_wall")

    texts = shown(events)
    assert [kind for kind, _text in texts] == ["customer", "ai", "system"]
    assert "4.95 euros" in texts[1][1]
    assert "Talk to a person" in texts[2][1]
    assert not await database_sync_to_async(Handoff.objects.filter(conversation=conversation).exists)()


@pytest.mark.django_db(transaction=True)
async def test_ai_first_answers_alone(store_kb: dict) -> None:
    for mode in ("ai_first", None):
        conversation, events = await chat_exchange("How much does shipping cost?", mode)
        texts = shown(events)
        assert [kind for kind, _text in texts] == ["customer", "ai"]
        assert "4.95 euros" in texts[1][1]


@pytest.mark.django_db(transaction=True)
async def test_triage_wall_still_hands_off(store_kb: dict) -> None:
    conversation, events = await chat_exchange("What is the airspeed velocity of an unladen swallow?", "triage_wall")
    assert [kind for kind, _text in shown(events)] == ["customer", "system"]
    handoff = await database_sync_to_async(Handoff.objects.get)(conversation=conversation)
    assert handoff.reason == "low_confidence"


def connected_notice(language: str) -> str:
    """Return the chat page's "connected" status text as chat.js would read it."""
    html = Client(HTTP_ACCEPT_LANGUAGE=language).get("/chat/").content.decode()
    found = re.search(r'<script id="chat-strings" type="application/json">(.*?)</script>', html, re.S)
    assert found is not None
    return str(json.loads(found.group(1))["status_connected"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mode", "english", "arabic"),
    [
        (None, "Connected. Our assistant will answer you.", "تم الاتصال. سيجيبك مساعدنا."),
        ("ai_first", "Connected. Our assistant will answer you.", "تم الاتصال. سيجيبك مساعدنا."),
        ("triage_wall", "Connected. Our assistant will answer you.", "تم الاتصال. سيجيبك مساعدنا."),
        ("off", "Connected. A member of our team will answer you.", "تم الاتصال. سيجيبك أحد أعضاء فريقنا."),
        ("silent_copilot", "Connected. A member of our team will answer you.", "تم الاتصال. سيجيبك أحد أعضاء فريقنا."),
    ],
)
def test_chat_notice_follows_mode(mode: str | None, english: str, arabic: str) -> None:
    if mode is not None:
        do_set_channel_mode("chat", ai_mode=mode, acting_user=None)

    assert connected_notice("en") == english
    assert connected_notice("ar") == arabic


@pytest.mark.django_db
def test_mode_change_audited() -> None:
    manager = User.objects.create_superuser("lead", password="lead-password-1")
    do_set_channel_mode("chat", ai_mode="silent_copilot", acting_user=manager)
    do_set_channel_mode("chat", ai_mode="triage_wall", acting_user=manager)

    audits = list(AuditLog.objects.filter(action="escalation.set_ai_mode").order_by("id"))
    assert [(audit.details["old_mode"], audit.details["new_mode"]) for audit in audits] == [
        ("ai_first", "silent_copilot"),
        ("silent_copilot", "triage_wall"),
    ]
    assert all(audit.acting_user == manager for audit in audits)
    with pytest.raises(InvalidInput) as bad_mode:
        do_set_channel_mode("chat", ai_mode="autopilot", acting_user=manager)
    assert bad_mode.value.code == "invalid_ai_mode"
    with pytest.raises(InvalidInput) as bad_channel:
        do_set_channel_mode("fax", ai_mode="off", acting_user=manager)
    assert bad_channel.value.code == "invalid_channel"


@pytest.mark.django_db
def test_mode_change_in_admin() -> None:
    manager = User.objects.create_superuser("lead", password="lead-password-1")
    client = Client()
    client.force_login(manager)
    response = client.post(
        "/admin/escalation/channelsettings/add/",
        {"channel": "email", "ai_mode": "off", "outreach_inactive_days": "21"},
    )
    assert response.status_code == 302
    settings_row = ChannelSettings.objects.get(channel="email")
    assert (settings_row.ai_mode, settings_row.outreach_inactive_days) == ("off", 21)
    audit = AuditLog.objects.get(action="escalation.set_ai_mode")
    assert (audit.acting_user, audit.details["new_mode"]) == (manager, "off")


@pytest.mark.django_db
def test_outreach_lists_inactive_customers() -> None:
    now = timezone.now()
    do_set_channel_mode("chat", ai_mode="ai_first", acting_user=None)
    do_set_channel_mode("email", ai_mode="triage_wall", acting_user=None)
    quiet = do_start_conversation(name="quiet").customer
    recent = do_start_conversation(name="recent").customer
    borderline = do_start_conversation(name="borderline").customer
    email_only = do_start_conversation(name="email", channel="email").customer
    Customer.objects.filter(pk=quiet.pk).update(last_seen_at=now - timedelta(days=20))
    Customer.objects.filter(pk=recent.pk).update(last_seen_at=now - timedelta(days=2))
    Customer.objects.filter(pk=borderline.pk).update(last_seen_at=now - timedelta(days=13, hours=23))
    Customer.objects.filter(pk=email_only.pk).update(last_seen_at=now - timedelta(days=60))

    assert list_inactive_customers() == 1
    task = OutreachTask.objects.get()
    assert (task.customer, task.channel, task.inactive_days, task.status) == (quiet, "chat", 20, "open")
    # A customer with an open task is not listed twice.
    assert do_create_outreach_tasks() == []

    do_close_outreach_task(task, status="done", acting_user=None)
    do_set_channel_mode("chat", ai_mode="ai_first", outreach_inactive_days=1, acting_user=None)
    listed = {task.customer.name for task in do_create_outreach_tasks()}
    assert listed == {"quiet", "recent", "borderline"}


@pytest.mark.django_db
def test_outreach_default_fourteen_days() -> None:
    # No settings row: the chat channel runs AI first with the default of 14 days.
    now = timezone.now()
    gone = do_start_conversation(name="gone").customer
    recent = do_start_conversation(name="recent").customer
    Customer.objects.filter(pk=gone.pk).update(last_seen_at=now - timedelta(days=14, hours=1))
    Customer.objects.filter(pk=recent.pk).update(last_seen_at=now - timedelta(days=13))
    assert [task.customer for task in do_create_outreach_tasks(now=now)] == [gone]


@pytest.mark.django_db
def test_no_outreach_outside_ai_first() -> None:
    do_set_channel_mode("chat", ai_mode="triage_wall", acting_user=None)
    customer = do_start_conversation().customer
    Customer.objects.filter(pk=customer.pk).update(last_seen_at=timezone.now() - timedelta(days=100))
    assert do_create_outreach_tasks() == []
