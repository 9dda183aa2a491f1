"""SLA clocks: business hours in the queue's time zone, holidays, pauses, warnings and breaches."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.management import call_command
from django_q.models import Schedule

from escalation.actions import do_check_sla_clock, do_handoff, do_pause_sla_clock, do_resume_sla_clock
from escalation.calendar import BusinessCalendar
from escalation.events import SLAAlertEvent
from escalation.models import BusinessHours, Holiday, Queue, SLAClock, SLAEvent, SLAPolicy
from escalation.sla import target_states
from escalation.tasks import check_sla_clocks
from supportdesk.models import AuditLog
from tickets.actions import do_start_conversation
from tickets.models import Conversation, Message

pytestmark = pytest.mark.django_db


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def office_queue(slug: str, zone: str, weekdays: list[int], holidays: Sequence[date] = ()) -> Queue:
    queue = Queue.objects.create(name=slug, slug=slug, time_zone=zone, assignment=Queue.Assignment.MANUAL)
    for weekday in weekdays:
        BusinessHours.objects.create(queue=queue, weekday=weekday, opens_at=time(9), closes_at=time(17))
    for day in holidays:
        Holiday.objects.create(queue=queue, date=day, name="holiday")
    return queue


def started_clock(queue: Queue, started_at: datetime, *, priority: str = "normal") -> SLAClock:
    conversation = do_start_conversation()
    do_handoff(conversation, reason="customer_request", reply_to=None, packet={}, queue=queue, priority=priority)
    clock = SLAClock.objects.select_related("policy", "queue").get(conversation=conversation)
    clock.started_at = started_at
    clock.save()
    return clock


def set_policy(priority: str = "normal", **fields: Any) -> SLAPolicy:
    SLAPolicy.objects.filter(priority=priority).update(**fields)
    return SLAPolicy.objects.get(priority=priority)


def test_new_york_weekend_and_dst() -> None:
    queue = office_queue("ny", "America/New_York", [0, 1, 2, 3, 4])
    calendar = BusinessCalendar.for_queue(queue)
    # Friday 2026-03-06 16:30 EST is 21:30 UTC; clocks go forward on Sunday 8 March.
    friday = utc(2026, 3, 6, 21, 30)
    assert calendar.add_business_seconds(friday, 3600) == utc(2026, 3, 9, 13, 30)
    assert calendar.business_seconds(friday, utc(2026, 3, 9, 13, 30)) == 3600


def test_riyadh_week_and_holiday() -> None:
    # Sunday to Thursday, UTC+3 all year; Sunday 8 March is a holiday.
    queue = office_queue("riyadh", "Asia/Riyadh", [6, 0, 1, 2, 3], holidays=[date(2026, 3, 8)])
    calendar = BusinessCalendar.for_queue(queue)
    thursday = utc(2026, 3, 5, 13, 0)  # 16:00 in Riyadh
    assert calendar.add_business_seconds(thursday, 3600) == utc(2026, 3, 5, 14, 0)
    # Friday and Saturday are the weekend and Sunday is the holiday, so Monday 09:30 local.
    assert calendar.add_business_seconds(thursday, 90 * 60) == utc(2026, 3, 9, 6, 30)


def test_same_instant_different_zones() -> None:
    ny = BusinessCalendar.for_queue(office_queue("ny", "America/New_York", [0, 1, 2, 3, 4]))
    tokyo = BusinessCalendar.for_queue(office_queue("tokyo", "Asia/Tokyo", [0, 1, 2, 3, 4]))
    # Tuesday 2026-06-02 14:00 UTC: 10:00 in New York (open), 23:00 in Tokyo (closed).
    moment = utc(2026, 6, 2, 14)
    assert ny.business_seconds(moment, moment + timedelta(hours=1)) == 3600
    assert tokyo.business_seconds(moment, moment + timedelta(hours=1)) == 0
    assert tokyo.add_business_seconds(moment, 60) == utc(2026, 6, 3, 0, 1)


def test_always_open_without_hours() -> None:
    calendar = BusinessCalendar.for_queue(Queue.objects.create(name="24/7", slug="always"))
    start = utc(2026, 1, 3, 23, 50)
    assert calendar.add_business_seconds(start, 20 * 60) == utc(2026, 1, 4, 0, 10)


def test_paused_period_excluded() -> None:
    set_policy(first_response_minutes=60, resolution_minutes=8 * 60)
    queue = office_queue("ny", "America/New_York", [0, 1, 2, 3, 4])
    monday = utc(2026, 6, 1, 13)  # 09:00 in New York (EDT)
    clock = started_clock(queue, monday)
    conversation = clock.conversation

    # The agent answers at 10:00 and waits on the customer, who answers at 14:00 local.
    reply = Message.objects.create(conversation=conversation, author_kind="agent", text="Which order is it?")
    Message.objects.filter(pk=reply.pk).update(created_at=monday + timedelta(hours=1))
    assert do_check_sla_clock(clock.pk, now=monday + timedelta(hours=2)) == []
    clock.refresh_from_db()
    assert clock.first_responded_at == monday + timedelta(hours=1)
    assert clock.paused_since == monday + timedelta(hours=1)
    assert clock.resolution_due_at is None

    assert do_resume_sla_clock(conversation, at=monday + timedelta(hours=5), acting_user=None)
    clock.refresh_from_db()
    assert clock.paused_since is None
    assert clock.paused_business_seconds == 4 * 3600
    states = {state.target: state for state in target_states(clock, monday + timedelta(hours=6))}
    assert states["first_response"].done
    assert not states["first_response"].breached
    assert states["resolution"].remaining_seconds == 6 * 3600
    # 8 business hours plus the 4 paused ones from Monday 09:00: Tuesday 13:00 in New York.
    assert clock.resolution_due_at == utc(2026, 6, 2, 17)
    assert AuditLog.objects.filter(action="escalation.sla_resume", target_id=str(clock.pk)).count() == 1


def test_pause_and_resume_actions() -> None:
    queue = Queue.objects.create(name="24/7", slug="always", assignment=Queue.Assignment.MANUAL)
    start = utc(2026, 6, 1, 8)
    clock = started_clock(queue, start)
    assert do_pause_sla_clock(clock.conversation, at=start + timedelta(minutes=10), acting_user=None)
    assert not do_pause_sla_clock(clock.conversation, at=start + timedelta(minutes=20), acting_user=None)
    assert do_resume_sla_clock(clock.conversation, at=start + timedelta(minutes=40), acting_user=None)
    assert not do_resume_sla_clock(clock.conversation, at=start + timedelta(minutes=50), acting_user=None)
    clock.refresh_from_db()
    assert clock.paused_business_seconds == 30 * 60


def test_customer_message_resumes_clock(store_kb: dict) -> None:
    from escalation.pipeline import handle_customer_message
    from tickets.actions import do_receive_customer_message

    conversation = do_start_conversation()
    message, _created = do_receive_customer_message(conversation, text="I want a human", client_message_id=None)
    handle_customer_message(message)
    assert do_pause_sla_clock(conversation, acting_user=None)

    later, _created = do_receive_customer_message(conversation, text="Order 4411", client_message_id=None)
    handle_customer_message(later)

    assert SLAClock.objects.get(conversation=conversation).paused_since is None


def agents_listener() -> tuple[Any, str]:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("agents", channel)
    return layer, channel


def test_warning_then_breach(django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    set_policy(first_response_minutes=60, resolution_minutes=240, warn_before_minutes=15, use_business_hours=False)
    queue = Queue.objects.create(name="Support", slug="support", assignment=Queue.Assignment.MANUAL)
    start = utc(2026, 6, 1, 8)
    clock = started_clock(queue, start)
    layer, channel = agents_listener()

    with django_capture_on_commit_callbacks(execute=True):
        assert do_check_sla_clock(clock.pk, now=start + timedelta(minutes=40)) == []
        warned = do_check_sla_clock(clock.pk, now=start + timedelta(minutes=46))
        repeated = do_check_sla_clock(clock.pk, now=start + timedelta(minutes=50))
        breached = do_check_sla_clock(clock.pk, now=start + timedelta(minutes=61))

    assert [(event.kind, event.target) for event in warned] == [("warning", "first_response")]
    assert repeated == []
    assert [(event.kind, event.target) for event in breached] == [("breach", "first_response")]
    assert warned[0].due_at == start + timedelta(minutes=60)

    first = async_to_sync(layer.receive)(channel)
    second = async_to_sync(layer.receive)(channel)
    assert (first["type"], first["kind"]) == ("agent.event", "sla_alert")
    warning = SLAAlertEvent.model_validate(first["event"])
    assert (warning.kind, warning.target, warning.priority, warning.queue) == (
        "warning",
        "first_response",
        "normal",
        "support",
    )
    assert warning.conversation_id == clock.conversation.public_id
    assert warning.remaining_seconds == 14 * 60
    assert SLAAlertEvent.model_validate(second["event"]).kind == "breach"
    assert AuditLog.objects.filter(action="escalation.sla_breach", target_id=str(clock.pk)).count() == 1
    async_to_sync(layer.group_discard)("agents", channel)


def test_resolved_clock_stops() -> None:
    set_policy(first_response_minutes=10, resolution_minutes=20, warn_before_minutes=5, use_business_hours=False)
    queue = Queue.objects.create(name="Support", slug="support", assignment=Queue.Assignment.MANUAL)
    start = utc(2026, 6, 1, 8)
    clock = started_clock(queue, start)
    Conversation.objects.filter(pk=clock.conversation_id).update(
        status="resolved", resolved_at=start + timedelta(minutes=5)
    )
    assert do_check_sla_clock(clock.pk, now=start + timedelta(hours=5)) == []
    clock.refresh_from_db()
    assert clock.resolved_at == start + timedelta(minutes=5)
    assert not SLAEvent.objects.exists()


def test_schedule_and_task(django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    call_command("setup_schedules")
    call_command("setup_schedules")
    schedules = dict(Schedule.objects.values_list("func", "schedule_type"))
    assert schedules == {
        "escalation.tasks.check_sla_clocks": Schedule.MINUTES,
        "escalation.tasks.assign_waiting_conversations": Schedule.MINUTES,
        "escalation.tasks.run_due_follow_ups": Schedule.DAILY,
        "escalation.tasks.list_inactive_customers": Schedule.DAILY,
    }
    assert Schedule.objects.get(func="escalation.tasks.check_sla_clocks").minutes == 1

    set_policy(first_response_minutes=1, resolution_minutes=2, warn_before_minutes=1, use_business_hours=False)
    queue = Queue.objects.create(name="Support", slug="support", assignment=Queue.Assignment.MANUAL)
    overdue = started_clock(queue, utc(2020, 1, 1, 8))
    with django_capture_on_commit_callbacks(execute=True):
        assert check_sla_clocks() == 2
        assert check_sla_clocks() == 0
    assert set(SLAEvent.objects.filter(clock=overdue).values_list("kind", "target")) == {
        ("breach", "first_response"),
        ("breach", "resolution"),
    }


def test_snoozed_conversation_pauses() -> None:
    queue = Queue.objects.create(name="24/7", slug="always", assignment=Queue.Assignment.MANUAL)
    start = utc(2026, 6, 1, 8)
    clock = started_clock(queue, start)
    Conversation.objects.filter(pk=clock.conversation_id).update(status=Conversation.Status.SNOOZED)

    do_check_sla_clock(clock.pk, now=start + timedelta(minutes=30))

    clock.refresh_from_db()
    assert clock.paused_since == start + timedelta(minutes=30)
    assert clock.resolution_due_at is None
