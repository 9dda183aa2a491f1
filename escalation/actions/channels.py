"""Channel AI modes and proactive outreach work."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from escalation.models import AIMode, ChannelSettings, OutreachTask
from supportdesk.audit import record_audit
from supportdesk.errors import InvalidInput
from supportdesk.types import ActingUser
from tickets.models import Conversation, Customer

logger = logging.getLogger(__name__)


def do_set_channel_mode(
    channel: str, *, ai_mode: str, outreach_inactive_days: int | None = None, acting_user: ActingUser
) -> ChannelSettings:
    """Change a channel's AI rollout stage; the audit row records the old and the new mode."""
    if channel not in Conversation.Channel.values:
        raise InvalidInput(
            _("Unknown channel %(channel)s; use one of %(choices)s.")
            % {"channel": channel, "choices": ", ".join(Conversation.Channel.values)},
            code="invalid_channel",
        )
    if ai_mode not in AIMode.values:
        raise InvalidInput(
            _("Unknown AI mode %(mode)s; use one of %(choices)s.")
            % {"mode": ai_mode, "choices": ", ".join(AIMode.values)},
            code="invalid_ai_mode",
        )
    with transaction.atomic():
        settings_row, _created = ChannelSettings.objects.select_for_update().get_or_create(channel=channel)
        old_mode = settings_row.ai_mode if not _created else ChannelSettings.DEFAULT_MODE
        settings_row.ai_mode = ai_mode
        if outreach_inactive_days is not None:
            if outreach_inactive_days < 1:
                raise InvalidInput(_("Outreach needs at least 1 inactive day."), code="invalid_inactive_days")
            settings_row.outreach_inactive_days = outreach_inactive_days
        settings_row.save()
        record_audit(
            "escalation.set_ai_mode",
            acting_user=acting_user,
            target=settings_row,
            channel=channel,
            old_mode=old_mode,
            new_mode=ai_mode,
            outreach_inactive_days=settings_row.outreach_inactive_days,
        )
    logger.info("AI mode changed channel=%s old=%s new=%s", channel, old_mode, ai_mode)
    return settings_row


def do_create_outreach_tasks(*, now: datetime | None = None, acting_user: ActingUser = None) -> list[OutreachTask]:
    """List customers inactive for their channel's configured days as outreach work.

    Only channels in AI-first mode produce outreach. A customer with an open task gets no
    second one.
    """
    now = now or timezone.now()
    created: list[OutreachTask] = []
    configured = {row.channel: row for row in ChannelSettings.objects.all()}
    for channel in Conversation.Channel.values:
        # A channel without a settings row runs in the default mode with default days.
        channel_settings = configured.get(channel) or ChannelSettings(channel=channel)
        if channel_settings.ai_mode != AIMode.AI_FIRST:
            continue
        cutoff = now - timedelta(days=channel_settings.outreach_inactive_days)
        customers = (
            Customer.objects.filter(conversations__channel=channel, last_seen_at__lt=cutoff)
            .exclude(outreach_tasks__status=OutreachTask.Status.OPEN)
            .distinct()
            .order_by("last_seen_at")
        )
        for customer in customers:
            try:
                with transaction.atomic():
                    task = OutreachTask.objects.create(
                        customer=customer,
                        channel=channel,
                        inactive_days=(now - customer.last_seen_at).days if customer.last_seen_at else 0,
                        last_seen_at=customer.last_seen_at,
                    )
                    record_audit(
                        "escalation.outreach_create",
                        acting_user=acting_user,
                        actor_kind="system",
                        target=task,
                        customer=customer.pk,
                    )
            except IntegrityError:
                # Another run listed this customer in the meantime.
                continue
            created.append(task)
    logger.info("outreach tasks created count=%s", len(created))
    return created


def do_close_outreach_task(task: OutreachTask, *, status: str, acting_user: ActingUser) -> OutreachTask:
    if status not in {OutreachTask.Status.DONE, OutreachTask.Status.DISMISSED}:
        raise InvalidInput(_("Close an outreach task as done or dismissed."), code="invalid_status")
    with transaction.atomic():
        task = OutreachTask.objects.select_for_update().get(pk=task.pk)
        task.status = status
        task.closed_at = timezone.now()
        task.save(update_fields=["status", "closed_at"])
        record_audit("escalation.outreach_close", acting_user=acting_user, target=task, status=status)
    return task
