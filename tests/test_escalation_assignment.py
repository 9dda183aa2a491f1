"""Assignment of handed-off conversations to online agents by capacity."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User

from escalation.actions import do_assign_conversation, do_assign_waiting, do_handoff
from escalation.models import Queue
from escalation.tasks import assign_waiting_conversations
from supportdesk.errors import InvalidInput
from supportdesk.models import AuditLog
from tickets.actions import do_start_conversation
from tickets.models import AgentProfile, Conversation

pytestmark = pytest.mark.django_db


def make_agent(name: str, queue: Queue, *, presence: str = "online", capacity: int = 2, senior: bool = False) -> User:
    user = User.objects.create_user(name, password="agent-password-1")
    codenames = ["handle_conversation", "handle_recovery"] if senior else ["handle_conversation"]
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="tickets", codename__in=codenames))
    AgentProfile.objects.create(user=user, presence=presence, capacity=capacity)
    queue.members.add(user)
    return user


def hand_off(queue: Queue) -> Conversation:
    conversation = do_start_conversation()
    do_handoff(conversation, reason="customer_request", reply_to=None, packet={}, queue=queue)
    conversation.refresh_from_db()
    return conversation


def test_least_loaded_respects_capacity() -> None:
    queue = Queue.objects.create(name="Support", slug="support", assignment=Queue.Assignment.LEAST_LOADED)
    ana = make_agent("ana", queue, capacity=2)
    ben = make_agent("ben", queue, capacity=1)
    make_agent("cy", queue, presence="away", capacity=5)
    make_agent("dee", queue, presence="offline", capacity=5)

    assignees = [hand_off(queue).assignee for _ in range(4)]

    assert assignees == [ana, ben, ana, None]
    waiting = Conversation.objects.get(status="queued")
    assert waiting.assignee is None
    assert AuditLog.objects.filter(action="escalation.assign").count() == 3


def test_round_robin_rotates() -> None:
    queue = Queue.objects.create(name="Support", slug="support", assignment=Queue.Assignment.ROUND_ROBIN)
    ana = make_agent("ana", queue, capacity=3)
    ben = make_agent("ben", queue, capacity=3)
    cy = make_agent("cy", queue, capacity=1)

    assignees = [hand_off(queue).assignee for _ in range(6)]

    assert assignees == [ana, ben, cy, ana, ben, ana]
    queue.refresh_from_db()
    assert queue.last_assigned_user == ana


def test_manual_queue_waits() -> None:
    queue = Queue.objects.create(name="Senior", slug="senior", assignment=Queue.Assignment.MANUAL)
    make_agent("ana", queue)
    conversation = hand_off(queue)
    assert (conversation.status, conversation.assignee) == ("queued", None)


def test_other_queue_members_not_used() -> None:
    queue = Queue.objects.create(name="Support", slug="support")
    other = Queue.objects.create(name="Billing", slug="billing")
    make_agent("ana", other)
    assert hand_off(queue).assignee is None


def test_agent_coming_online_takes_oldest() -> None:
    queue = Queue.objects.create(name="Support", slug="support")
    first, second, third = hand_off(queue), hand_off(queue), hand_off(queue)
    agent = make_agent("ana", queue, presence="offline", capacity=2)
    assert do_assign_waiting(queue, acting_user=None) == 0

    AgentProfile.objects.filter(user=agent).update(presence="online")
    assert assign_waiting_conversations() == 2

    statuses = {row.pk: (row.status, row.assignee_id) for row in Conversation.objects.all()}
    assert statuses[first.pk] == ("assigned", agent.pk)
    assert statuses[second.pk] == ("assigned", agent.pk)
    assert statuses[third.pk] == ("queued", None)


def test_resolved_conversation_frees_capacity() -> None:
    queue = Queue.objects.create(name="Support", slug="support")
    agent = make_agent("ana", queue, capacity=1)
    first = hand_off(queue)
    second = hand_off(queue)
    assert (first.assignee, second.assignee) == (agent, None)

    Conversation.objects.filter(pk=first.pk).update(status=Conversation.Status.RESOLVED)
    assert do_assign_conversation(second, acting_user=None) == agent


def test_assigning_assigned_rejected() -> None:
    queue = Queue.objects.create(name="Support", slug="support")
    make_agent("ana", queue)
    conversation = hand_off(queue)
    with pytest.raises(InvalidInput) as raised:
        do_assign_conversation(conversation, acting_user=None)
    assert raised.value.code == "not_waiting"


def test_tier_two_needs_senior() -> None:
    queue = Queue.objects.create(name="Support", slug="support")
    make_agent("ana", queue, capacity=5)
    senior = make_agent("sam", queue, capacity=5, senior=True)
    outsider = User.objects.create_user("viewer", password="viewer-password-1")
    AgentProfile.objects.create(user=outsider, presence="online", capacity=5)
    queue.members.add(outsider)

    conversation = do_start_conversation()
    do_handoff(conversation, reason="legal", reply_to=None, packet={}, queue=queue, to_tier=2)
    conversation.refresh_from_db()
    assert conversation.assignee == senior

    # With the senior agent offline, neither the junior agent nor a viewer gets Tier 2 work.
    AgentProfile.objects.filter(user=senior).update(presence="offline")
    second = do_start_conversation()
    do_handoff(second, reason="legal", reply_to=None, packet={}, queue=queue, to_tier=2)
    second.refresh_from_db()
    assert (second.status, second.assignee) == ("queued", None)
