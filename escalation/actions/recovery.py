"""Tier 2 recovery cases: opening with a playbook, notes, checklist, closing, and follow-ups."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from escalation.events import FollowUpDueEvent
from escalation.models import RecoveryCase, RecoveryFollowUp, RecoveryNote, RecoveryPlaybook, RecoveryReason
from escalation.notify import notify_agents
from supportdesk.audit import record_audit
from supportdesk.errors import InvalidInput
from supportdesk.types import ActingUser
from tickets.models import Conversation

logger = logging.getLogger(__name__)

# Days after a case closes at which the owner is asked whether the customer is still active.
FOLLOW_UP_DAYS = (30, 90)
# A customer seen within this many days before a follow-up falls due counts as still active.
ACTIVE_WITHIN_DAYS = 30

# The checklist of a reason that has no playbook in admin.
DEFAULT_STEPS = [
    gettext_lazy("Read the whole conversation and the customer's history before contacting them"),
    gettext_lazy("Contact the customer personally within one business day"),
    gettext_lazy("Agree on a remedy and confirm it to the customer in writing"),
    gettext_lazy("Record the outcome: retained, downgraded or churned"),
]
DEFAULT_LEGAL_STEPS = [
    gettext_lazy("Tell the legal team before replying to the customer"),
    *DEFAULT_STEPS,
]


def playbook_steps(reason: str) -> list[str]:
    playbook = RecoveryPlaybook.objects.filter(reason=reason).first()
    if playbook is not None:
        return [line.strip() for line in playbook.steps.splitlines() if line.strip()]
    return [str(step) for step in (DEFAULT_LEGAL_STEPS if reason == RecoveryReason.LEGAL else DEFAULT_STEPS)]


def do_open_recovery_case(
    conversation: Conversation,
    *,
    reason: str,
    trigger: dict[str, Any],
    owner: User | None = None,
    acting_user: ActingUser,
) -> RecoveryCase:
    """Open a recovery case with the reason's playbook, or return the conversation's open one."""
    with transaction.atomic():
        existing = RecoveryCase.objects.select_for_update().filter(conversation=conversation, status="open").first()
        if existing is not None:
            return existing
        case = RecoveryCase.objects.create(
            conversation=conversation,
            customer_id=conversation.customer_id,
            reason=reason,
            owner=owner or conversation.assignee,
            checklist=[{"step": step, "done": False} for step in playbook_steps(reason)],
            trigger=trigger,
        )
        record_audit(
            "escalation.recovery_open",
            acting_user=acting_user,
            actor_kind="system" if acting_user is None else "user",
            target=case,
            reason=reason,
            conversation=str(conversation.public_id),
        )
    logger.info("recovery case opened case=%s reason=%s conversation=%s", case.pk, reason, conversation.public_id)
    return case


def check_open(case: RecoveryCase) -> None:
    if case.status != RecoveryCase.Status.OPEN:
        raise InvalidInput(
            _("Recovery case %(case)s is closed; reopen it to change it.") % {"case": case.pk}, code="case_closed"
        )


def do_set_recovery_owner(case: RecoveryCase, *, owner: User | None, acting_user: ActingUser) -> RecoveryCase:
    with transaction.atomic():
        case = RecoveryCase.objects.select_for_update().get(pk=case.pk)
        case.owner = owner
        case.save(update_fields=["owner"])
        record_audit(
            "escalation.recovery_owner", acting_user=acting_user, target=case, owner=owner.pk if owner else None
        )
    return case


def do_add_recovery_note(case: RecoveryCase, *, text: str, acting_user: ActingUser) -> RecoveryNote:
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInput(_("The note is empty; write what happened before saving."), code="empty_note")
    with transaction.atomic():
        author = acting_user if isinstance(acting_user, User) else None
        note = RecoveryNote.objects.create(case=case, author=author, text=cleaned)
        record_audit("escalation.recovery_note", acting_user=acting_user, target=case, note=note.pk)
    return note


def do_set_checklist_step(case: RecoveryCase, *, index: int, done: bool, acting_user: ActingUser) -> RecoveryCase:
    with transaction.atomic():
        case = RecoveryCase.objects.select_for_update().get(pk=case.pk)
        check_open(case)
        if not 0 <= index < len(case.checklist):
            raise InvalidInput(
                _("The checklist has %(count)s steps; step %(index)s does not exist.")
                % {"count": len(case.checklist), "index": index + 1},
                code="invalid_step",
            )
        case.checklist[index]["done"] = done
        case.save(update_fields=["checklist"])
        record_audit("escalation.recovery_step", acting_user=acting_user, target=case, step=index, done=done)
    return case


def do_close_recovery_case(case: RecoveryCase, *, outcome: str, acting_user: ActingUser) -> RecoveryCase:
    """Record the outcome and schedule the follow-ups that ask whether the customer stayed."""
    if outcome not in RecoveryCase.Outcome.values:
        raise InvalidInput(
            _("Unknown outcome %(outcome)s; use retained, downgraded or churned.") % {"outcome": outcome},
            code="invalid_outcome",
        )
    with transaction.atomic():
        case = RecoveryCase.objects.select_for_update().get(pk=case.pk)
        check_open(case)
        case.status = RecoveryCase.Status.CLOSED
        case.outcome = outcome
        case.closed_at = timezone.now()
        case.save(update_fields=["status", "outcome", "closed_at"])
        for days in FOLLOW_UP_DAYS:
            RecoveryFollowUp.objects.update_or_create(
                case=case,
                days=days,
                defaults={
                    "due_at": case.closed_at + timedelta(days=days),
                    "status": RecoveryFollowUp.Status.SCHEDULED,
                    "still_active": None,
                    "answered_by": "",
                    "answered_at": None,
                },
            )
        record_audit("escalation.recovery_close", acting_user=acting_user, target=case, outcome=outcome)
    logger.info("recovery case closed case=%s outcome=%s", case.pk, outcome)
    return case


def do_run_follow_up(follow_up_id: int, *, now: datetime | None = None) -> RecoveryFollowUp | None:
    """Answer a due follow-up from the customer's activity, or ask the case owner.

    Returns None when the follow-up is gone, not yet due or already handled.
    """
    now = now or timezone.now()
    with transaction.atomic():
        follow_up = (
            RecoveryFollowUp.objects.select_for_update()
            .select_related("case__customer")
            .filter(pk=follow_up_id, status=RecoveryFollowUp.Status.SCHEDULED, due_at__lte=now)
            .first()
        )
        if follow_up is None:
            return None
        case = follow_up.case
        last_seen = case.customer.last_seen_at
        if last_seen is not None and last_seen >= follow_up.due_at - timedelta(days=ACTIVE_WITHIN_DAYS):
            follow_up.status = RecoveryFollowUp.Status.ANSWERED
            follow_up.still_active = True
            follow_up.answered_by = "activity"
            follow_up.answered_at = now
        else:
            follow_up.status = RecoveryFollowUp.Status.ASKED
            notify_agents(
                FollowUpDueEvent(
                    case_id=case.pk,
                    follow_up_id=follow_up.pk,
                    days=follow_up.days,
                    customer=str(case.customer),
                    owner_id=case.owner_id,
                )
            )
        follow_up.save(update_fields=["status", "still_active", "answered_by", "answered_at"])
        record_audit(
            "escalation.recovery_follow_up",
            acting_user=None,
            actor_kind="system",
            target=case,
            days=follow_up.days,
            status=follow_up.status,
        )
    return follow_up


def do_answer_follow_up(
    follow_up: RecoveryFollowUp, *, still_active: bool, acting_user: ActingUser
) -> RecoveryFollowUp:
    """Record the owner's answer: is the customer still an active customer?"""
    with transaction.atomic():
        follow_up = RecoveryFollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if follow_up.status == RecoveryFollowUp.Status.SCHEDULED:
            raise InvalidInput(
                _("This follow-up is due on %(date)s; answer it then.") % {"date": follow_up.due_at.date().isoformat()},
                code="follow_up_not_due",
            )
        follow_up.status = RecoveryFollowUp.Status.ANSWERED
        follow_up.still_active = still_active
        follow_up.answered_by = "owner"
        follow_up.answered_at = timezone.now()
        follow_up.save(update_fields=["status", "still_active", "answered_by", "answered_at"])
        record_audit(
            "escalation.recovery_follow_up_answer",
            acting_user=acting_user,
            target=follow_up.case,
            days=follow_up.days,
            still_active=still_active,
        )
    return follow_up
