"""Choosing the agent who takes a waiting conversation: online queue members with free capacity."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Count, Q

from escalation.models import Queue
from tickets.models import AgentProfile, Conversation

# Conversations in these states count against an agent's capacity.
OPEN_STATUSES = (Conversation.Status.ASSIGNED, Conversation.Status.SNOOZED)


def may_handle(user: User, tier: int) -> bool:
    """Return whether the agent console lets `user` act on a conversation of `tier`."""
    if not user.has_perm("tickets.handle_conversation"):
        return False
    return tier != Conversation.Tier.EMPATHY or user.has_perm("tickets.handle_recovery")


def available_agents(queue: Queue, tier: int) -> list[User]:
    """Return the queue's online members below capacity who may handle `tier`, by id.

    Each has a `load` attribute: the open conversations assigned to them.
    """
    members = (
        queue.members.filter(is_active=True, agent_profile__presence=AgentProfile.Presence.ONLINE)
        .select_related("agent_profile")
        .annotate(load=Count("assigned_conversations", filter=Q(assigned_conversations__status__in=OPEN_STATUSES)))
        .order_by("id")
    )
    return [
        member
        for member in members
        if member.load < member.agent_profile.capacity and may_handle(member, tier)  # type: ignore[attr-defined]
    ]


def choose_agent(queue: Queue, *, tier: int = Conversation.Tier.AGENT) -> User | None:
    """Pick by the queue's assignment strategy; None when nobody can take more, or it is manual."""
    if queue.assignment == Queue.Assignment.MANUAL:
        return None
    candidates = available_agents(queue, tier)
    if not candidates:
        return None
    if queue.assignment == Queue.Assignment.LEAST_LOADED:
        return min(candidates, key=lambda member: (member.load, member.pk))  # type: ignore[attr-defined]
    # Round-robin: the first candidate after the last one assigned, wrapping around.
    last = queue.last_assigned_user_id or 0
    after = [member for member in candidates if member.pk > last]
    return (after or candidates)[0]
