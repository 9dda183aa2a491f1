"""Websockets of the agent console: the live queue and one conversation's live page.

Both send HTML fragments that htmx's websocket extension swaps in by id. Events from actions
carry ids only; the consumer renders each fragment for its own user and language.
"""

from __future__ import annotations

import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header
from pydantic import ValidationError

from supportdesk.broadcast import ensure_relay_running
from tickets import console
from tickets.agent_actions import can_handle
from tickets.events import ConsoleClientFrame, TypingEvent, ViewerEvent
from tickets.models import Conversation, Draft, Message
from tickets.payloads import AGENTS_GROUP, agent_conversation_group_name, chat_group_name

logger = logging.getLogger(__name__)

# Close code for a socket whose user may not see the console.
CLOSE_FORBIDDEN = 4403


def may_view(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_perm("tickets.view_conversation"))


class ConsoleConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """Common parts: permission check on connect and rendering in the user's language."""

    groups_to_join: list[str] = []

    async def check_access(self) -> bool:
        """Return whether the user may use the console; a refused socket is closed with 4403.

        Callers join their groups before `accept`, so no event sent after the handshake is
        missed.
        """
        user = self.scope.get("user")
        allowed = await database_sync_to_async(may_view)(user) if user is not None else False
        if not allowed:
            logger.info("console socket rejected user=%s", getattr(user, "pk", None))
            await self.reject_socket()
            return False
        ensure_relay_running()
        self.language = language_from_scope(self.scope)
        return True

    async def reject_socket(self) -> None:
        # Accept first so the close code reaches the page; a refused handshake has none.
        await self.accept()
        await self.close(code=CLOSE_FORBIDDEN)

    def render(self, template: str, context: dict[str, Any]) -> str:
        with translation.override(self.language):
            return render_to_string(template, context)

    async def send_html(self, html: str) -> None:
        if html.strip():
            await self.send(text_data=html)


def language_from_scope(scope: dict[str, Any]) -> str:
    """Return the console language of the socket's user: the language cookie, else Accept-Language."""
    headers = dict(scope.get("headers", []))
    supported = {code for code, _name in settings.LANGUAGES}
    cookies = headers.get(b"cookie", b"").decode("latin-1")
    for part in cookies.split(";"):
        name, _separator, value = part.strip().partition("=")
        if name == settings.LANGUAGE_COOKIE_NAME and value in supported:
            return value
    for code, _quality in parse_accept_lang_header(headers.get(b"accept-language", b"").decode("latin-1")):
        if code[:2] in supported:
            return code[:2]
    return str(settings.LANGUAGE_CODE)


class QueueConsumer(ConsoleConsumer):
    """Tells every queue page to reload its rows when a conversation arrives or changes."""

    async def connect(self) -> None:
        if not await self.check_access():
            return
        await self.channel_layer.group_add(AGENTS_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(AGENTS_GROUP, self.channel_name)

    async def agent_event(self, event: dict[str, Any]) -> None:
        kind = event.get("kind")
        if kind == "queue_changed":
            await self.send_html(self.render("tickets/console/queue_refresh.html", {}))
        elif kind == "notice":
            await self.send_html(
                self.render(
                    "tickets/console/notice.html", {"text": event.get("text", ""), "level": event.get("level", "info")}
                )
            )
        elif kind in {"sla_alert", "recovery_follow_up"}:
            # Sent by the escalation app's scheduled checks, with their payload under "event".
            await self.send_html(
                self.render("tickets/console/alert.html", {"kind": kind, "event": event.get("event", {})})
            )


class ConversationConsumer(ConsoleConsumer):
    """Streams one conversation to an agent: new messages, the copilot panel, its state, who
    else is viewing or typing, and the customer's typing."""

    conversation_id: int | None = None
    group_name: str | None = None

    async def connect(self) -> None:
        if not await self.check_access():
            return
        public_id = self.scope["url_route"]["kwargs"]["public_id"]
        conversation = await database_sync_to_async(Conversation.objects.filter(public_id=public_id).first)()
        if conversation is None:
            await self.reject_socket()
            return
        self.conversation_id = conversation.pk
        self.group_name = agent_conversation_group_name(conversation)
        self.chat_group = chat_group_name(conversation)
        self.sent_ids: set[int] = set()
        self.viewers: dict[str, str] = {}
        user: User = self.scope["user"]
        self.username = user.get_username()
        self.can_act = await database_sync_to_async(can_handle)(conversation, user)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        hello = ViewerEvent(type="viewer.hello", channel=self.channel_name, username=self.username)
        await self.channel_layer.group_send(self.group_name, hello.model_dump())

    async def disconnect(self, code: int) -> None:
        if self.group_name is None:
            return
        await self.channel_layer.group_discard(self.group_name, self.channel_name)
        await self.channel_layer.group_send(
            self.group_name, ViewerEvent(type="viewer.bye", channel=self.channel_name).model_dump()
        )

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.conversation_id is None:
            return
        try:
            frame = ConsoleClientFrame.model_validate(content)
        except ValidationError:
            logger.info("console frame ignored conversation=%s reason=invalid", self.conversation_id)
            return
        if frame.type == "sync":
            await self.send_messages_after(frame.after_id)
        elif frame.type == "typing":
            typing = ViewerEvent(type="viewer.typing", channel=self.channel_name, username=self.username)
            await self.channel_layer.group_send(self.group_name, typing.model_dump())
            await self.channel_layer.group_send(
                self.chat_group, {"type": "chat.event", "event": TypingEvent(author_kind="agent").model_dump()}
            )

    async def send_messages_after(self, after_id: int) -> None:
        """Send every message after `after_id` that this socket has not sent yet."""
        messages = await database_sync_to_async(
            lambda: list(console.thread_messages(Conversation(pk=self.conversation_id), after_id))
        )()
        for message in messages:
            await self.send_message(message)

    async def send_message(self, message: Message) -> None:
        if message.pk in self.sent_ids:
            return
        self.sent_ids.add(message.pk)
        await self.send_html(self.render("tickets/console/message_oob.html", {"message": message}))

    async def agent_event(self, event: dict[str, Any]) -> None:
        kind = event.get("kind")
        if kind == "message":
            message = await database_sync_to_async(
                lambda: (
                    Message.objects.select_related("author_user")
                    .prefetch_related("sources__version")
                    .filter(pk=event["message_id"])
                    .first()
                )
            )()
            if message is not None:
                await self.send_message(message)
        elif kind == "panel":
            html = await database_sync_to_async(self.render_panel)()
            await self.send_html(html)
        elif kind == "state":
            html = await database_sync_to_async(self.render_state)()
            await self.send_html(html)
        elif kind == "customer_typing":
            await self.send_html(self.render("tickets/console/typing.html", {"who": "customer"}))

    def render_panel(self) -> str:
        conversation = Conversation.objects.select_related("customer").get(pk=self.conversation_id or 0)
        draft: Draft | None = console.latest_draft(conversation)
        reason = (
            console.handoff_reason_label(conversation, draft.panel.get("case", {}).get("handoff_reason", ""))
            if draft
            else ""
        )
        return self.render(
            "tickets/console/panel_oob.html",
            {"conversation": conversation, "draft": draft, "handoff_reason": reason, "can_act": self.can_act},
        )

    def render_state(self) -> str:
        conversation = Conversation.objects.select_related("assignee", "queue").get(pk=self.conversation_id or 0)
        context = {
            "conversation": conversation,
            "agents": console.agents(),
            "queues": console.queues(),
            "can_act": self.can_act,
        }
        return self.render("tickets/console/state_oob.html", context)

    async def viewer_hello(self, event: dict[str, Any]) -> None:
        if event["channel"] == self.channel_name:
            return
        self.viewers[event["channel"]] = event["username"]
        # Reply so the newcomer learns about this viewer too.
        here = ViewerEvent(type="viewer.here", channel=self.channel_name, username=self.username)
        await self.channel_layer.send(event["channel"], here.model_dump())
        await self.send_viewers()

    async def viewer_here(self, event: dict[str, Any]) -> None:
        self.viewers[event["channel"]] = event["username"]
        await self.send_viewers()

    async def viewer_bye(self, event: dict[str, Any]) -> None:
        if self.viewers.pop(event["channel"], None) is not None:
            await self.send_viewers()

    async def viewer_typing(self, event: dict[str, Any]) -> None:
        if event["channel"] != self.channel_name:
            await self.send_html(
                self.render("tickets/console/typing.html", {"who": "agent", "username": event["username"]})
            )

    async def send_viewers(self) -> None:
        names = sorted(set(self.viewers.values()))
        await self.send_html(self.render("tickets/console/viewers.html", {"names": names}))
