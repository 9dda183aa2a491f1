"""Every write to customers, conversations and messages."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supportdesk.audit import record_audit
from supportdesk.broadcast import send_after_commit
from supportdesk.errors import AccessDenied, InvalidInput
from supportdesk.tasks import enqueue_on_commit
from supportdesk.types import ActingUser
from tickets.events import AgentEvent, MessageEvent, StateEvent
from tickets.models import Conversation, Customer, Draft, Message, MessageSource
from tickets.payloads import (
    AGENTS_GROUP,
    agent_conversation_group_name,
    chat_group_name,
    message_payload,
    state_payload,
)

logger = logging.getLogger(__name__)


MAX_MESSAGE_CHARS = 4000


@dataclass(frozen=True)
class CitedVersion:
    version_id: int
    score: float


def notify_chat(conversation: Conversation, event: Callable[[], dict[str, object]]) -> None:
    """Send an event to the customer's sockets of this conversation after commit; `event`
    builds the payload, and runs only when a socket can receive it."""
    send_after_commit(chat_group_name(conversation), lambda: {"type": "chat.event", "event": event()})


def notify_agents(conversation: Conversation, kind: str, **fields: Any) -> None:
    """Tell the agents' pages of this conversation that something changed, after commit.

    The event carries ids only; each agent's socket renders the fragment it needs.
    """
    event = AgentEvent(kind=kind, **fields)  # type: ignore[arg-type]
    send_after_commit(agent_conversation_group_name(conversation), event.model_dump())


def notify_queue_changed() -> None:
    send_after_commit(AGENTS_GROUP, AgentEvent(kind="queue_changed").model_dump())


def notify_message(message: Message) -> None:
    if message.visibility == Message.Visibility.PUBLIC:
        notify_chat(
            message.conversation, lambda: MessageEvent(message=message_payload(message)).model_dump(mode="json")
        )
    notify_agents(message.conversation, "message", message_id=message.pk)


def notify_state(conversation: Conversation) -> None:
    notify_chat(conversation, lambda: StateEvent(state=state_payload(conversation)).model_dump(mode="json"))
    notify_agents(conversation, "state")


def check_identity_hash(external_id: str, user_hash: str) -> None:
    secret = settings.SUPPORTDESK_IDENTITY_SECRET
    if not secret:
        raise AccessDenied(
            _("This desk does not accept verified identities: SUPPORTDESK_IDENTITY_SECRET is not set."),
            code="identity_not_configured",
        )
    expected = hmac.new(secret.encode(), external_id.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, user_hash.lower()):
        raise AccessDenied(_("The identity hash does not match the customer id."), code="identity_mismatch")


def do_start_conversation(
    *,
    channel: str = Conversation.Channel.CHAT,
    name: str = "",
    email: str = "",
    locale: str = "en",
    external_id: str = "",
    user_hash: str = "",
    acting_user: ActingUser = None,
) -> Conversation:
    """Open a conversation for a new anonymous customer, or for a verified known one."""
    if bool(external_id) != bool(user_hash):
        raise InvalidInput(_("Send external_id and user_hash together, or neither."), code="identity_incomplete")
    if external_id:
        check_identity_hash(external_id, user_hash)
    locale = locale if locale in {"en", "ar"} else "en"

    with transaction.atomic():
        if external_id:
            customer, _created = Customer.objects.get_or_create(
                external_id=external_id, defaults={"name": name, "email": email, "locale": locale}
            )
            customer.identity_verified = True
        else:
            customer = Customer.objects.create(name=name, email=email, locale=locale)
        customer.last_seen_at = timezone.now()
        customer.save()
        conversation = Conversation.objects.create(customer=customer, channel=channel, language=locale)
        record_audit(
            "tickets.start_conversation",
            acting_user=acting_user,
            actor_kind="customer",
            target=conversation,
            channel=channel,
        )
    logger.info(
        "conversation started conversation=%s channel=%s verified=%s",
        conversation.public_id,
        channel,
        bool(external_id),
    )
    return conversation


def check_message_text(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInput(_("The message is empty; type a question before sending."), code="empty_message")
    if len(cleaned) > MAX_MESSAGE_CHARS:
        raise InvalidInput(
            _("The message has %(length)s characters; the limit is %(limit)s. Split it into shorter messages.")
            % {"length": len(cleaned), "limit": MAX_MESSAGE_CHARS},
            code="message_too_long",
        )
    return cleaned


def do_receive_customer_message(
    conversation: Conversation, *, text: str, client_message_id: str | None
) -> tuple[Message, bool]:
    """Store a customer message before anything else happens to it.

    Returns (message, created). A repeated `client_message_id` returns the stored message
    with created=False, so resends after a reconnect never double a message.
    """
    cleaned = check_message_text(text)
    if client_message_id:
        existing = Message.objects.filter(conversation=conversation, client_message_id=client_message_id).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            message = Message.objects.create(
                conversation=conversation,
                author_kind=Message.AuthorKind.CUSTOMER,
                text=cleaned,
                client_message_id=client_message_id or None,
            )
            now = timezone.now()
            Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now, updated_at=now)
            Customer.objects.filter(pk=conversation.customer_id).update(last_seen_at=now)
            if conversation.status == Conversation.Status.SNOOZED:
                # The customer wrote back: the conversation wakes up for its agent or queue.
                woken = Conversation.Status.ASSIGNED if conversation.assignee_id else Conversation.Status.QUEUED
                Conversation.objects.filter(pk=conversation.pk).update(status=woken, snoozed_until=None)
                conversation.status = woken
                notify_queue_changed()
            # A draft written before this message no longer answers the conversation.
            Draft.objects.filter(conversation=conversation, fate=Draft.Fate.PENDING).update(
                fate=Draft.Fate.STALE, decided_at=now
            )
            record_audit(
                "tickets.receive_message",
                acting_user=None,
                actor_kind="customer",
                target=message,
                conversation=str(conversation.public_id),
            )
            notify_message(message)
            if conversation.status in {
                Conversation.Status.QUEUED,
                Conversation.Status.ASSIGNED,
                Conversation.Status.SNOOZED,
            }:
                enqueue_on_commit("copilot.tasks.build_copilot_panel", conversation.pk)
    except IntegrityError:
        # Two sockets raced with the same client id; the other one stored it first.
        return Message.objects.get(conversation=conversation, client_message_id=client_message_id), False
    return message, True


def do_post_ai_answer(
    conversation: Conversation,
    *,
    reply_to: Message,
    text: str,
    cited: Sequence[CitedVersion],
    confidence: float,
    provider: str,
    intent: str = "",
) -> Message:
    with transaction.atomic():
        message = Message.objects.create(
            conversation=conversation,
            author_kind=Message.AuthorKind.AI,
            text=text,
            reply_to=reply_to,
            confidence=confidence,
            provider=provider,
        )
        MessageSource.objects.bulk_create(
            MessageSource(message=message, version_id=item.version_id, score=item.score) for item in cited
        )
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        conversation.last_message_at = message.created_at
        if conversation.first_response_at is None:
            conversation.first_response_at = message.created_at
        if intent:
            conversation.intent = intent
        conversation.save(update_fields=["last_message_at", "first_response_at", "intent", "updated_at"])
        record_audit(
            "tickets.ai_answer",
            acting_user=None,
            actor_kind="ai",
            target=message,
            versions=[item.version_id for item in cited],
            confidence=confidence,
            provider=provider,
        )
        notify_message(message)
    return message


def do_post_system_message(conversation: Conversation, *, text: str, reply_to: Message | None = None) -> Message:
    """Store a notice to the customer, such as "a person is coming"."""
    with transaction.atomic():
        message = Message.objects.create(
            conversation=conversation,
            author_kind=Message.AuthorKind.SYSTEM,
            text=text,
            reply_to=reply_to,
        )
        record_audit("tickets.system_message", acting_user=None, actor_kind="system", target=message)
        notify_message(message)
    return message
