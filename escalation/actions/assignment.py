"""Assigning waiting conversations to online agents with free capacity."""

from __future__ import annotations

import logging

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from escalation.assignment import choose_agent
from escalation.models import Queue
from supportdesk.audit import record_audit
from supportdesk.errors import InvalidInput
from supportdesk.types import ActingUser
from tickets.actions import notify_queue_changed, notify_state
from tickets.models import Conversation

logger = logging.getLogger(__name__)


def assign_locked(conversation: Conversation, queue: Queue, agent: User, *, acting_user: ActingUser) -> None:
    """Give `conversation` to `agent`.

    The caller holds row locks on the conversation and the queue inside its transaction,
    so two assignments cannot both see the same free capacity.
    """
    conversation.status = Conversation.Status.ASSIGNED
    conversation.assignee = agent
    conversation.save(update_fields=["status", "assignee", "updated_at"])
    if queue.assignment == Queue.Assignment.ROUND_ROBIN:
        queue.last_assigned_user = agent
        queue.save(update_fields=["last_assigned_user"])
    record_audit(
        "escalation.assign",
        acting_user=acting_user,
        actor_kind="system" if acting_user is None else "user",
        target=conversation,
        assignee=agent.pk,
        queue=queue.slug,
        strategy=queue.assignment,
    )
    notify_queue_changed()
    logger.info(
        "conversation assigned conversation=%s agent=%s queue=%s strategy=%s",
        conversation.public_id,
        agent.pk,
        queue.slug,
        queue.assignment,
    )


def do_assign_conversation(conversation: Conversation, *, acting_user: ActingUser) -> User | None:
    """Assign one waiting conversation by its queue's strategy; None when nobody is free."""
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if conversation.status != Conversation.Status.QUEUED:
            raise InvalidInput(
                _("Only a waiting conversation can be assigned; this one is %(status)s.")
                % {"status": conversation.status},
                code="not_waiting",
            )
        if conversation.queue_id is None:
            return None
        queue = Queue.objects.select_for_update().get(pk=conversation.queue_id)
        agent = choose_agent(queue, tier=conversation.tier)
        if agent is None:
            return None
        assign_locked(conversation, queue, agent, acting_user=acting_user)
        notify_state(conversation)
    return agent


def do_assign_waiting(queue: Queue, *, acting_user: ActingUser) -> int:
    """Assign the queue's waiting conversations, oldest first, while agents have capacity."""
    assigned = 0
    waiting = Conversation.objects.filter(status=Conversation.Status.QUEUED, queue=queue).order_by("queued_at")
    for conversation in list(waiting.only("pk")):
        try:
            agent = do_assign_conversation(conversation, acting_user=acting_user)
        except InvalidInput:
            # Taken by an agent, or resolved, since the list was read.
            continue
        if agent is None:
            break
        assigned += 1
    return assigned
