"""Data the console pages and their live fragments show; shared by views and consumers."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone

from tickets.models import AgentProfile, Conversation, Draft, Message

OPEN_STATUSES = [Conversation.Status.QUEUED, Conversation.Status.ASSIGNED, Conversation.Status.SNOOZED]
STATUS_FILTERS = {
    "open": OPEN_STATUSES,
    "queued": [Conversation.Status.QUEUED],
    "assigned": [Conversation.Status.ASSIGNED],
    "snoozed": [Conversation.Status.SNOOZED],
    "resolved": [Conversation.Status.RESOLVED],
}


def queue_conversations(user: User, filters: dict[str, str]) -> QuerySet[Conversation]:
    """Return the queue page's conversations, longest waiting first, narrowed by the filters."""
    statuses = STATUS_FILTERS.get(filters.get("status", "open"), OPEN_STATUSES)
    conversations = Conversation.objects.filter(status__in=statuses).select_related("customer", "assignee", "queue")
    tier = filters.get("tier", "")
    if tier in {"0", "1", "2"}:
        conversations = conversations.filter(tier=int(tier))
    assignee = filters.get("assignee", "")
    if assignee == "me":
        conversations = conversations.filter(assignee=user)
    elif assignee == "unassigned":
        conversations = conversations.filter(assignee__isnull=True)
    queue = filters.get("queue", "")
    if queue.isdigit():
        conversations = conversations.filter(queue_id=int(queue))
    return conversations.order_by("queued_at", "created_at")[:200]


def waiting_seconds(conversation: Conversation) -> int | None:
    if conversation.queued_at is None or conversation.status == Conversation.Status.RESOLVED:
        return None
    return int((timezone.now() - conversation.queued_at).total_seconds())


def thread_messages(conversation: Conversation, after_id: int = 0) -> QuerySet[Message]:
    """Return every message agents see, internal notes included, after `after_id`."""
    return (
        conversation.messages.filter(id__gt=after_id)
        .select_related("author_user")
        .prefetch_related("sources__version")
        .order_by("id")
    )


def latest_draft(conversation: Conversation) -> Draft | None:
    return conversation.drafts.order_by("-created_at").first()


def handoff_reason_label(conversation: Conversation, code: str) -> str:
    """Return the translated label of a handoff reason code, found without importing escalation."""
    if not code:
        return ""
    reasons: Any = conversation.handoffs.model.Reason  # type: ignore[attr-defined]
    try:
        return str(reasons(code).label)
    except ValueError:
        return code


def earlier_conversations(conversation: Conversation) -> QuerySet[Conversation]:
    return (
        Conversation.objects.filter(customer_id=conversation.customer_id)
        .exclude(pk=conversation.pk)
        .order_by("-created_at")[:20]
    )


def presence_of(user: User) -> str:
    profile = AgentProfile.objects.filter(user=user).first()
    return profile.presence if profile else AgentProfile.Presence.OFFLINE


def agents() -> QuerySet[User]:
    """Return the users who may take conversations, for the assign menu."""
    return User.objects.filter(groups__permissions__codename="handle_conversation").distinct().order_by("username")


def queues() -> list[Any]:
    queue_model: Any = Conversation._meta.get_field("queue").related_model
    return list(queue_model._default_manager.order_by("name"))
