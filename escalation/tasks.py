"""django-q2 tasks of the escalation app; `manage.py setup_schedules` creates their schedules.

Each task reloads rows by id and returns quietly when a row is gone or already handled.
"""

from __future__ import annotations

import logging
import time

from django.db.models import Q
from django.utils import timezone

from escalation.actions import (
    do_assign_waiting,
    do_check_sla_clock,
    do_create_outreach_tasks,
    do_run_follow_up,
    do_score_silent_drafts,
)
from escalation.models import Queue, RecoveryFollowUp, SLAClock
from tickets.models import Conversation

logger = logging.getLogger(__name__)


def check_sla_clocks() -> int:
    """Warn before and record SLA breaches of running clocks; returns the events recorded."""
    started = time.perf_counter()
    now = timezone.now()
    clock_ids = list(SLAClock.objects.filter(resolved_at__isnull=True).values_list("pk", flat=True))
    events = sum(len(do_check_sla_clock(clock_id, now=now)) for clock_id in clock_ids)
    logger.info(
        "SLA check done clocks=%s events=%s ms=%.0f", len(clock_ids), events, (time.perf_counter() - started) * 1000
    )
    return events


def assign_waiting_conversations() -> int:
    """Give waiting conversations to agents who came online or freed capacity since handoff."""
    queue_ids = (
        Conversation.objects.filter(status=Conversation.Status.QUEUED, queue__isnull=False)
        .exclude(queue__assignment=Queue.Assignment.MANUAL)
        .values_list("queue_id", flat=True)
        .distinct()
    )
    assigned = 0
    for queue in Queue.objects.filter(pk__in=list(queue_ids)):
        assigned += do_assign_waiting(queue, acting_user=None)
    if assigned:
        logger.info("waiting conversations assigned count=%s", assigned)
    return assigned


def run_due_follow_ups() -> int:
    """Ask about every recovery follow-up that has come due; returns how many were handled."""
    due = RecoveryFollowUp.objects.filter(
        Q(status=RecoveryFollowUp.Status.SCHEDULED) & Q(due_at__lte=timezone.now())
    ).values_list("pk", flat=True)
    handled = sum(1 for follow_up_id in list(due) if run_follow_up(follow_up_id))
    logger.info("recovery follow-ups handled count=%s", handled)
    return handled


def run_follow_up(follow_up_id: int) -> bool:
    return do_run_follow_up(follow_up_id) is not None


def list_inactive_customers() -> int:
    """Create the day's outreach tasks for AI-first channels; returns how many were created."""
    return len(do_create_outreach_tasks())


def score_silent_drafts(reply_id: int) -> int:
    """Score the silent-copilot drafts an agent's reply followed and return the reply's score count.

    Queued by `tickets.agent_actions.do_send_agent_reply` once the reply is committed.
    """
    return len(do_score_silent_drafts(reply_id))
