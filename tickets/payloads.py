"""Building websocket payloads from rows."""

from __future__ import annotations

from django.urls import reverse

from tickets.events import MessagePayload, SourcePayload, StatePayload
from tickets.models import Conversation, Message

# Every agent's queue page listens here.
AGENTS_GROUP = "agents"


def chat_group_name(conversation: Conversation) -> str:
    """The group of the customer's sockets of one conversation."""
    return f"chat.{conversation.public_id.hex}"


def agent_conversation_group_name(conversation: Conversation) -> str:
    """The group of the agents' sockets viewing one conversation."""
    return f"agentconv.{conversation.public_id.hex}"


def message_payload(message: Message) -> MessagePayload:
    sources = [
        SourcePayload(
            title=source.version.title,
            url=reverse("knowledge:article", args=[source.version.article.slug]),
            version=source.version.number,
        )
        for source in message.sources.select_related("version__article").order_by("-score")
    ]
    return MessagePayload(
        id=message.pk,
        author_kind=message.author_kind,  # type: ignore[arg-type]
        text=message.text,
        created_at=message.created_at,
        client_message_id=message.client_message_id,
        sources=sources,
        confidence=message.confidence,
    )


def queue_position(conversation: Conversation) -> int | None:
    """Return 1 for the next conversation to be taken from its queue, None when not waiting."""
    if conversation.status != Conversation.Status.QUEUED or conversation.queued_at is None:
        return None
    ahead = Conversation.objects.filter(
        status=Conversation.Status.QUEUED,
        queue=conversation.queue_id,
        queued_at__lt=conversation.queued_at,
    ).count()
    return ahead + 1


def state_payload(conversation: Conversation) -> StatePayload:
    return StatePayload(
        status=conversation.status,  # type: ignore[arg-type]
        tier=conversation.tier,
        queue_position=queue_position(conversation),
    )
