"""Every write an agent makes from the console: presence, assignment, replies, notes and the
conversation's lifecycle."""

from __future__ import annotations

import logging
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supportdesk.audit import record_audit
from supportdesk.errors import AccessDenied, InvalidInput, NotFound
from supportdesk.tasks import enqueue_on_commit
from tickets.actions import check_message_text, notify_agents, notify_message, notify_queue_changed, notify_state
from tickets.models import AgentProfile, Conversation, Draft, Message

logger = logging.getLogger(__name__)

OPEN_STATUSES = (Conversation.Status.QUEUED, Conversation.Status.ASSIGNED, Conversation.Status.SNOOZED)


def check_can_handle(conversation: Conversation, user: User) -> None:
    """Raise AccessDenied unless the user may act on this conversation."""
    if not user.has_perm("tickets.handle_conversation"):
        raise AccessDenied(_("Your role cannot act on conversations."), code="not_an_agent")
    if conversation.tier == Conversation.Tier.EMPATHY and not user.has_perm("tickets.handle_recovery"):
        raise AccessDenied(_("Tier 2 recovery conversations are handled by senior agents."), code="tier2_only")


def can_handle(conversation: Conversation, user: User) -> bool:
    """Return whether `check_can_handle` would let the user act, for showing the action forms."""
    try:
        check_can_handle(conversation, user)
    except AccessDenied:
        return False
    return True


def levenshtein(first: str, second: str) -> int:
    """Return the number of single-character edits that turn one text into the other."""
    if len(first) < len(second):
        first, second = second, first
    previous = list(range(len(second) + 1))
    for row, first_char in enumerate(first, start=1):
        current = [row]
        for column, second_char in enumerate(second, start=1):
            current.append(
                min(previous[column] + 1, current[column - 1] + 1, previous[column - 1] + (first_char != second_char))
            )
        previous = current
    return previous[-1]


def lock_conversation(conversation: Conversation) -> Conversation:
    return Conversation.objects.select_for_update().get(pk=conversation.pk)


def do_set_presence(user: User, presence: str, *, acting_user: User) -> AgentProfile:
    if presence not in AgentProfile.Presence.values:
        raise InvalidInput(
            _("Presence %(value)s is not one of online, away or offline.") % {"value": presence},
            code="invalid_presence",
        )
    with transaction.atomic():
        profile, _created = AgentProfile.objects.select_for_update().get_or_create(user=user)
        profile.presence = presence
        profile.presence_changed_at = timezone.now()
        profile.save()
        record_audit("tickets.set_presence", acting_user=acting_user, target=profile, presence=presence)
        notify_queue_changed()
    return profile


def do_assign(conversation: Conversation, agent: User, *, acting_user: User) -> Conversation:
    """Give the conversation to `agent`; taking it yourself is assigning it to yourself."""
    check_can_handle(conversation, acting_user)
    check_can_handle(conversation, agent)
    with transaction.atomic():
        conversation = lock_conversation(conversation)
        if conversation.status == Conversation.Status.RESOLVED:
            raise InvalidInput(_("This conversation is resolved; reopen it before assigning it."), code="resolved")
        previous = conversation.assignee_id
        conversation.assignee = agent
        conversation.status = Conversation.Status.ASSIGNED
        conversation.snoozed_until = None
        if conversation.tier == Conversation.Tier.INSTANT:
            conversation.tier = Conversation.Tier.AGENT
        conversation.save(update_fields=["assignee", "status", "snoozed_until", "tier", "updated_at"])
        record_audit(
            "tickets.assign", acting_user=acting_user, target=conversation, assignee=agent.pk, previous=previous
        )
        notify_state(conversation)
        notify_queue_changed()
    logger.info("conversation assigned conversation=%s agent=%s", conversation.public_id, agent.pk)
    return conversation


def do_take_next(*, acting_user: User) -> Conversation | None:
    """Assign the longest-waiting queued conversation this agent may handle, or None."""
    waiting = Conversation.objects.filter(status=Conversation.Status.QUEUED).order_by("queued_at", "pk")
    if not acting_user.has_perm("tickets.handle_recovery"):
        waiting = waiting.exclude(tier=Conversation.Tier.EMPATHY)
    conversation = waiting.first()
    if conversation is None:
        return None
    return do_assign(conversation, acting_user, acting_user=acting_user)


def do_transfer(conversation: Conversation, queue_id: int, *, acting_user: User) -> Conversation:
    """Put the conversation back in a queue (another team's, or the same one), unassigned."""
    check_can_handle(conversation, acting_user)
    queue_model = Conversation._meta.get_field("queue").related_model
    if not queue_model._default_manager.filter(pk=queue_id).exists():  # type: ignore[union-attr]
        raise NotFound(
            _("Queue %(id)s does not exist; pick one from the list.") % {"id": queue_id}, code="queue_not_found"
        )
    with transaction.atomic():
        conversation = lock_conversation(conversation)
        conversation.queue_id = queue_id
        conversation.assignee = None
        conversation.status = Conversation.Status.QUEUED
        conversation.queued_at = timezone.now()
        conversation.save(update_fields=["queue", "assignee", "status", "queued_at", "updated_at"])
        record_audit("tickets.transfer", acting_user=acting_user, target=conversation, queue=queue_id)
        notify_state(conversation)
        notify_queue_changed()
    return conversation


def do_snooze(conversation: Conversation, until: datetime, *, acting_user: User) -> Conversation:
    """Hide the conversation from the queue until `until` or the customer's next message."""
    check_can_handle(conversation, acting_user)
    if until <= timezone.now():
        raise InvalidInput(
            _("The snooze time %(time)s is in the past; pick a later time.") % {"time": until.isoformat()},
            code="snooze_in_past",
        )
    with transaction.atomic():
        conversation = lock_conversation(conversation)
        conversation.status = Conversation.Status.SNOOZED
        conversation.snoozed_until = until
        conversation.save(update_fields=["status", "snoozed_until", "updated_at"])
        record_audit("tickets.snooze", acting_user=acting_user, target=conversation, until=until.isoformat())
        notify_state(conversation)
        notify_queue_changed()
    return conversation


def do_resolve(conversation: Conversation, *, acting_user: User) -> Conversation:
    check_can_handle(conversation, acting_user)
    with transaction.atomic():
        conversation = lock_conversation(conversation)
        conversation.status = Conversation.Status.RESOLVED
        conversation.resolved_at = timezone.now()
        agent_replied = conversation.messages.filter(author_kind=Message.AuthorKind.AGENT).exists()
        conversation.resolution = Conversation.Resolution.AGENT if agent_replied else Conversation.Resolution.AI
        conversation.save(update_fields=["status", "resolved_at", "resolution", "updated_at"])
        Draft.objects.filter(conversation=conversation, fate=Draft.Fate.PENDING).update(
            fate=Draft.Fate.DISCARDED, decided_at=timezone.now()
        )
        record_audit(
            "tickets.resolve", acting_user=acting_user, target=conversation, resolution=conversation.resolution
        )
        notify_state(conversation)
        notify_queue_changed()
    return conversation


def do_reopen(conversation: Conversation, *, acting_user: User) -> Conversation:
    check_can_handle(conversation, acting_user)
    with transaction.atomic():
        conversation = lock_conversation(conversation)
        if conversation.status != Conversation.Status.RESOLVED:
            raise InvalidInput(_("Only a resolved conversation can be reopened."), code="not_resolved")
        conversation.status = Conversation.Status.ASSIGNED if conversation.assignee_id else Conversation.Status.QUEUED
        conversation.resolved_at = None
        conversation.resolution = ""
        conversation.queued_at = conversation.queued_at or timezone.now()
        if conversation.tier == Conversation.Tier.INSTANT:
            conversation.tier = Conversation.Tier.AGENT
        conversation.save(update_fields=["status", "resolved_at", "resolution", "queued_at", "tier", "updated_at"])
        record_audit("tickets.reopen", acting_user=acting_user, target=conversation)
        notify_state(conversation)
        notify_queue_changed()
    return conversation


def do_add_note(conversation: Conversation, text: str, *, acting_user: User) -> Message:
    """Store an internal note: agents see it, the customer never does."""
    check_can_handle(conversation, acting_user)
    cleaned = check_message_text(text)
    with transaction.atomic():
        note = Message.objects.create(
            conversation=conversation,
            author_kind=Message.AuthorKind.AGENT,
            author_user=acting_user,
            visibility=Message.Visibility.INTERNAL,
            text=cleaned,
        )
        record_audit("tickets.add_note", acting_user=acting_user, target=note)
        notify_message(note)
    return note


def do_send_agent_reply(
    conversation: Conversation, text: str, *, draft_id: int | None = None, acting_user: User
) -> Message:
    """Send the agent's reply to the customer and record what became of the draft it used.

    A reply to an unassigned conversation assigns it to the sender. From here on the AI stays
    silent in the conversation until it is resolved.
    """
    check_can_handle(conversation, acting_user)
    cleaned = check_message_text(text)
    with transaction.atomic():
        conversation = lock_conversation(conversation)
        if conversation.status == Conversation.Status.RESOLVED:
            raise InvalidInput(_("This conversation is resolved; reopen it before replying."), code="resolved")
        reply = Message.objects.create(
            conversation=conversation,
            author_kind=Message.AuthorKind.AGENT,
            author_user=acting_user,
            text=cleaned,
        )
        if conversation.assignee_id is None or conversation.status != Conversation.Status.ASSIGNED:
            conversation.assignee = conversation.assignee or acting_user
            conversation.status = Conversation.Status.ASSIGNED
        if conversation.tier == Conversation.Tier.INSTANT:
            conversation.tier = Conversation.Tier.AGENT
        conversation.first_response_at = conversation.first_response_at or reply.created_at
        conversation.last_message_at = reply.created_at
        conversation.save(
            update_fields=["assignee", "status", "tier", "first_response_at", "last_message_at", "updated_at"]
        )
        if draft_id is not None:
            record_draft_use(conversation, draft_id, reply)
        record_audit("tickets.agent_reply", acting_user=acting_user, target=reply, draft_id=draft_id)
        # The task compares the reply with the AI's silent-copilot drafts. It runs after
        # commit, outside this transaction's lock, because embedding the texts is slow.
        enqueue_on_commit("escalation.tasks.score_silent_drafts", reply.pk)
        notify_message(reply)
        notify_state(conversation)
        notify_queue_changed()
    return reply


def record_draft_use(conversation: Conversation, draft_id: int, reply: Message) -> None:
    draft = Draft.objects.select_for_update().filter(pk=draft_id, conversation=conversation).first()
    if draft is None:
        raise NotFound(
            _("Draft %(id)s does not belong to this conversation.") % {"id": draft_id}, code="draft_not_found"
        )
    distance = levenshtein(draft.text.strip(), reply.text.strip())
    draft.edit_distance = distance
    # A draft that went stale before it was used keeps that fate, with the distance kept too.
    if draft.fate == Draft.Fate.PENDING:
        draft.fate = Draft.Fate.SENT_UNCHANGED if distance == 0 else Draft.Fate.EDITED
    draft.sent_message = reply
    draft.decided_at = timezone.now()
    draft.save(update_fields=["edit_distance", "fate", "sent_message", "decided_at"])


def do_discard_draft(draft: Draft, *, acting_user: User) -> Draft:
    check_can_handle(draft.conversation, acting_user)
    with transaction.atomic():
        draft = Draft.objects.select_for_update().get(pk=draft.pk)
        if draft.fate == Draft.Fate.PENDING:
            draft.fate = Draft.Fate.DISCARDED
            draft.decided_at = timezone.now()
            draft.save(update_fields=["fate", "decided_at"])
        record_audit("tickets.discard_draft", acting_user=acting_user, target=draft)
        notify_agents(draft.conversation, "panel", draft_id=draft.pk)
    return draft
