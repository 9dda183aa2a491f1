"""The customer chat websocket; docs/chat-protocol.md describes the protocol."""

from __future__ import annotations

import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from pydantic import ValidationError

from supportdesk.errors import NotFound, SupportDeskError
from tickets.actions import do_receive_customer_message
from tickets.events import (
    AckEvent,
    AgentEvent,
    ClientFeedback,
    ClientMessage,
    ClientRequestHuman,
    ClientSync,
    ClientTyping,
    ErrorEvent,
    FeedbackEvent,
    HistoryEvent,
)
from tickets.models import Conversation, Message
from tickets.payloads import agent_conversation_group_name, chat_group_name, message_payload, state_payload
from tickets.tokens import read_chat_token

logger = logging.getLogger(__name__)

# Close code for a missing, forged or expired token; the widget starts a new conversation.
CLOSE_BAD_TOKEN = 4403
# How many messages the history on connect carries at most.
HISTORY_LIMIT = 500


def load_conversation(token: str) -> Conversation | None:
    public_id = read_chat_token(token)
    if public_id is None:
        return None
    return Conversation.objects.filter(public_id=public_id).first()


def build_history(conversation_id: int, after_id: int) -> dict[str, Any]:
    conversation = Conversation.objects.get(pk=conversation_id)
    messages = conversation.messages.filter(visibility=Message.Visibility.PUBLIC, id__gt=after_id).order_by("id")[
        :HISTORY_LIMIT
    ]
    return HistoryEvent(
        messages=[message_payload(message) for message in messages], state=state_payload(conversation)
    ).model_dump(mode="json")


def store_message(conversation_id: int, text: str, client_message_id: str) -> tuple[Message, bool]:
    conversation = Conversation.objects.get(pk=conversation_id)
    return do_receive_customer_message(conversation, text=text, client_message_id=client_message_id)


def record_feedback(conversation_id: int, message_id: int, helpful: bool) -> None:
    """Record the verdict on an answer of this conversation; other conversations' messages
    are not found, whatever id the client sends."""
    message = Message.objects.filter(
        pk=message_id, conversation_id=conversation_id, visibility=Message.Visibility.PUBLIC
    ).first()
    if message is None:
        raise NotFound(_("Message %(id)s is not in this conversation.") % {"id": message_id}, code="message_not_found")
    import_string(settings.SUPPORTDESK_FEEDBACK_HANDLER)(message, helpful=helpful)


def run_pipeline(message: Message, person_requested: bool) -> None:
    handler = import_string(settings.SUPPORTDESK_MESSAGE_HANDLER)
    handler(message, person_requested=person_requested)


class ChatConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    conversation_id: int | None = None
    group_name: str | None = None
    language = "en"

    async def connect(self) -> None:
        token = self.scope["url_route"]["kwargs"]["token"]
        conversation = await database_sync_to_async(load_conversation)(token)
        # Accept first so the close code reaches the widget; a refused handshake has none.
        await self.accept()
        if conversation is None:
            logger.info("chat socket rejected reason=bad_token")
            await self.close(code=CLOSE_BAD_TOKEN)
            return
        self.conversation_id = conversation.pk
        self.language = conversation.language
        self.group_name = chat_group_name(conversation)
        self.agent_group_name = agent_conversation_group_name(conversation)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.send_json(await database_sync_to_async(build_history)(conversation.pk, 0))

    async def disconnect(self, code: int) -> None:
        if self.group_name is not None:
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.conversation_id is None:
            return
        with translation.override(self.language):
            await self.dispatch_client_event(content)

    async def dispatch_client_event(self, content: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        try:
            if kind == "message":
                await self.receive_customer_text(ClientMessage.model_validate(content))
            elif kind == "request_human":
                await self.receive_human_request(ClientRequestHuman.model_validate(content))
            elif kind == "typing":
                ClientTyping.model_validate(content)
                await self.channel_layer.group_send(
                    self.agent_group_name, AgentEvent(kind="customer_typing").model_dump()
                )
            elif kind == "feedback":
                await self.receive_feedback(ClientFeedback.model_validate(content))
            elif kind == "sync":
                request = ClientSync.model_validate(content)
                await self.send_json(
                    await database_sync_to_async(build_history)(self.conversation_id, request.after_id)
                )
            else:
                await self.send_error(
                    "unknown_type",
                    _("Unknown message type %(type)s; use message, request_human, feedback, typing or sync.")
                    % {"type": kind},
                )
        except ValidationError as error:
            field = ".".join(str(part) for part in error.errors()[0]["loc"]) if error.errors() else "?"
            await self.send_error(
                "invalid_message",
                _("The message is invalid at field %(field)s; the widget should resend it in the documented format.")
                % {"field": field},
                content,
            )
        except SupportDeskError as error:
            await self.send_error(error.code, error.message, content)

    async def receive_feedback(self, request: ClientFeedback) -> None:
        assert self.conversation_id is not None
        await database_sync_to_async(record_feedback)(self.conversation_id, request.message_id, request.helpful)
        await self.send_json(
            FeedbackEvent(message_id=request.message_id, helpful=request.helpful).model_dump(mode="json")
        )

    async def receive_customer_text(self, request: ClientMessage) -> None:
        await self.store_and_handle(request.text, request.client_message_id, person_requested=False)

    async def receive_human_request(self, request: ClientRequestHuman) -> None:
        text = _("I would like to talk to a person.")
        await self.store_and_handle(text, request.client_message_id, person_requested=True)

    async def store_and_handle(self, text: str, client_message_id: str, *, person_requested: bool) -> None:
        assert self.conversation_id is not None
        message, created = await database_sync_to_async(store_message)(self.conversation_id, text, client_message_id)
        await self.send_json(
            AckEvent(client_message_id=client_message_id, message_id=message.pk, duplicate=not created).model_dump(
                mode="json"
            )
        )

        # A resend of a message stored before a crash may still be unanswered; the pipeline
        # skips messages that already have a reply.
        started = time.perf_counter()
        await database_sync_to_async(run_pipeline)(message, person_requested)
        logger.debug("chat message processed message=%s ms=%.1f", message.pk, (time.perf_counter() - started) * 1000)

    async def send_error(self, code: str, message: str, content: Any = None) -> None:
        client_id = content.get("client_message_id") if isinstance(content, dict) else None
        event = ErrorEvent(
            code=code, message=message, client_message_id=client_id if isinstance(client_id, str) else None
        )
        await self.send_json(event.model_dump(mode="json"))

    async def chat_event(self, event: dict[str, Any]) -> None:
        """Forward an event that an action sent to this conversation's group."""
        await self.send_json(event["event"])
