"""SLA clocks: starting them at handoff, pausing while waiting on the customer, warnings and breaches."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from escalation.events import SLAAlertEvent
from escalation.models import Queue, SLAClock, SLAEvent, SLAPolicy, SLATarget
from escalation.notify import notify_agents
from escalation.sla import calendar_for, target_states
from supportdesk.audit import record_audit
from supportdesk.types import ActingUser
from tickets.models import Conversation, Message

logger = logging.getLogger(__name__)


def start_sla_clock(conversation: Conversation, *, queue: Queue, priority: str) -> SLAClock | None:
    """Start, or restart after a resolution, the clock of `priority`; None without a policy.

    Call inside the handoff's transaction. A clock still running keeps its start and takes
    the new priority's targets, so a move to Tier 2 tightens the SLA without resetting it.
    """
    policy = SLAPolicy.objects.filter(priority=priority).first()
    if policy is None:
        logger.warning("no SLA policy for priority=%s conversation=%s", priority, conversation.public_id)
        return None
    now = timezone.now()
    clock = SLAClock.objects.select_for_update().filter(conversation=conversation).first()
    if clock is None:
        clock = SLAClock(conversation=conversation, started_at=now)
    elif clock.resolved_at is not None:
        clock.events.all().delete()
        clock.started_at = now
        clock.first_responded_at = None
        clock.resolved_at = None
        clock.paused_since = None
        clock.paused_business_seconds = 0.0
    clock.policy = policy
    clock.queue = queue
    update_due_times(clock, now)
    clock.save()
    record_audit(
        "escalation.sla_start", acting_user=None, actor_kind="system", target=clock, priority=priority, queue=queue.slug
    )
    return clock


def update_due_times(clock: SLAClock, now: datetime) -> None:
    states = {state.target: state for state in target_states(clock, now)}
    clock.first_response_due_at = states["first_response"].due_at
    clock.resolution_due_at = states["resolution"].due_at


def do_pause_sla_clock(conversation: Conversation, *, at: datetime | None = None, acting_user: ActingUser) -> bool:
    """Stop the clock while the conversation waits on the customer; False if it was not running."""
    at = at or timezone.now()
    with transaction.atomic():
        clock = SLAClock.objects.select_for_update().filter(conversation=conversation).first()
        if clock is None or clock.resolved_at is not None or clock.paused_since is not None:
            return False
        clock.paused_since = at
        update_due_times(clock, at)
        clock.save(update_fields=["paused_since", "first_response_due_at", "resolution_due_at"])
        record_audit("escalation.sla_pause", acting_user=acting_user, target=clock, at=at.isoformat())
    return True


def do_resume_sla_clock(conversation: Conversation, *, at: datetime | None = None, acting_user: ActingUser) -> bool:
    """Restart a paused clock, adding the paused business time; False if it was not paused."""
    at = at or timezone.now()
    with transaction.atomic():
        clock = (
            SLAClock.objects.select_for_update()
            .select_related("policy", "queue")
            .filter(conversation=conversation)
            .first()
        )
        if clock is None or clock.paused_since is None:
            return False
        calendar = calendar_for(clock)
        paused = calendar.business_seconds(clock.paused_since, at)
        clock.paused_business_seconds += paused
        clock.paused_since = None
        update_due_times(clock, at)
        clock.save(
            update_fields=["paused_business_seconds", "paused_since", "first_response_due_at", "resolution_due_at"]
        )
        record_audit(
            "escalation.sla_resume",
            acting_user=acting_user,
            actor_kind="customer" if acting_user is None else "user",
            target=clock,
            paused_business_seconds=round(paused, 1),
        )
    return True


def sync_clock_with_conversation(clock: SLAClock, now: datetime) -> list[str]:
    """Read first response, resolution and waiting-on-customer from the conversation's messages.

    Returns the names of the changed fields. The clock pauses when the latest public message
    is an agent's (the agent waits on the customer's answer) or the conversation is snoozed.
    The customer's next message resumes it through `do_resume_sla_clock`.
    """
    conversation = clock.conversation
    changed = []
    agent_messages = conversation.messages.filter(
        author_kind=Message.AuthorKind.AGENT, visibility=Message.Visibility.PUBLIC, created_at__gte=clock.started_at
    )
    if clock.first_responded_at is None:
        first = agent_messages.order_by("id").values_list("created_at", flat=True).first()
        if first is not None:
            clock.first_responded_at = first
            changed.append("first_responded_at")
    if conversation.status == Conversation.Status.RESOLVED and clock.resolved_at is None:
        clock.resolved_at = conversation.resolved_at or now
        changed.append("resolved_at")
    if clock.resolved_at is None and clock.paused_since is None:
        latest = (
            conversation.messages.filter(
                visibility=Message.Visibility.PUBLIC,
                author_kind__in=[Message.AuthorKind.AGENT, Message.AuthorKind.CUSTOMER],
                created_at__gte=clock.started_at,
            )
            .order_by("-id")
            .first()
        )
        if latest is not None and latest.author_kind == Message.AuthorKind.AGENT:
            clock.paused_since = latest.created_at
            changed.append("paused_since")
        elif conversation.status == Conversation.Status.SNOOZED:
            # NOTE: the console snoozes without telling this app, so the pause starts at the
            # first check after the snooze, up to a minute late with the default schedule.
            clock.paused_since = now
            changed.append("paused_since")
    return changed


def do_check_sla_clock(clock_id: int, *, now: datetime | None = None) -> list[SLAEvent]:
    """Bring one clock up to date and record the warnings and breaches now due.

    Each event is recorded once per clock, kind and target, and sent to the agents' group
    after commit.
    """
    now = now or timezone.now()
    created: list[SLAEvent] = []
    with transaction.atomic():
        clock = (
            SLAClock.objects.select_for_update()
            .select_related("policy", "queue", "conversation")
            .filter(pk=clock_id)
            .first()
        )
        if clock is None:
            return created
        changed = sync_clock_with_conversation(clock, now)
        update_due_times(clock, now)
        clock.save(update_fields=[*changed, "first_response_due_at", "resolution_due_at"])
        if clock.resolved_at is not None:
            return created

        recorded = set(clock.events.values_list("kind", "target"))
        warn_seconds = clock.policy.warn_before_minutes * 60
        for state in target_states(clock, now):
            if state.done or (clock.paused_since is not None and state.target == SLATarget.RESOLUTION):
                continue
            kind = None
            if state.remaining_seconds <= 0:
                kind = SLAEvent.Kind.BREACH
            elif state.remaining_seconds <= warn_seconds:
                kind = SLAEvent.Kind.WARNING
            if kind is None or (kind, state.target) in recorded:
                continue
            due_at = state.due_at or now
            event = SLAEvent.objects.create(clock=clock, kind=kind, target=state.target, due_at=due_at)
            created.append(event)
            record_audit(
                f"escalation.sla_{kind}",
                acting_user=None,
                actor_kind="system",
                target=clock,
                sla_target=state.target,
                due_at=due_at.isoformat(),
            )
            notify_agents(
                SLAAlertEvent(
                    kind=kind,  # type: ignore[arg-type]
                    target=state.target,  # type: ignore[arg-type]
                    conversation_id=clock.conversation.public_id,
                    priority=clock.policy.priority,  # type: ignore[arg-type]
                    queue=clock.queue.slug if clock.queue else None,
                    assignee_id=clock.conversation.assignee_id,
                    due_at=due_at,
                    remaining_seconds=int(state.remaining_seconds),
                )
            )
            logger.warning(
                "SLA %s conversation=%s target=%s remaining_s=%.0f",
                kind,
                clock.conversation.public_id,
                state.target,
                state.remaining_seconds,
            )
    return created
