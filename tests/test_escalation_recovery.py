"""Tier 2 recovery cases: playbook, notes, checklist, outcome, 30/90-day follow-ups, recovery rate."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from escalation.actions import (
    do_add_recovery_note,
    do_answer_follow_up,
    do_close_recovery_case,
    do_open_recovery_case,
    do_run_follow_up,
    do_set_checklist_step,
)
from escalation.events import FollowUpDueEvent
from escalation.models import RecoveryCase, RecoveryFollowUp, RecoveryPlaybook
from escalation.reports import recovery_rates
from escalation.tasks import run_due_follow_ups
from supportdesk.errors import InvalidInput
from supportdesk.models import AuditLog
from tickets.actions import do_start_conversation
from tickets.models import Customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def senior(db: None) -> User:
    return User.objects.create_user("senior", password="senior-password-1")


def open_case(owner: User | None = None, reason: str = "churn_threat") -> RecoveryCase:
    conversation = do_start_conversation(name="Dana")
    return do_open_recovery_case(
        conversation, reason=reason, trigger={"signals": ["threat_to_leave"]}, owner=owner, acting_user=None
    )


def test_case_uses_playbook(senior: User) -> None:
    RecoveryPlaybook.objects.create(reason="churn_threat", steps="Call within 4 hours\n\nOffer a goodwill credit\n")
    case = open_case(senior)
    assert case.checklist == [
        {"step": "Call within 4 hours", "done": False},
        {"step": "Offer a goodwill credit", "done": False},
    ]
    assert case.owner == senior
    # Opening again for the same conversation returns the open case.
    again = do_open_recovery_case(case.conversation, reason="churn_threat", trigger={}, acting_user=None)
    assert again.pk == case.pk
    assert AuditLog.objects.filter(action="escalation.recovery_open").count() == 1


def test_legal_default_playbook() -> None:
    case = open_case(reason="legal")
    assert "legal team" in case.checklist[0]["step"]


def test_notes_and_checklist(senior: User) -> None:
    case = open_case(senior)
    note = do_add_recovery_note(case, text="  Called, customer wants a refund of the last month.  ", acting_user=senior)
    assert (note.author, note.text) == (senior, "Called, customer wants a refund of the last month.")
    case = do_set_checklist_step(case, index=1, done=True, acting_user=senior)
    assert [step["done"] for step in case.checklist] == [False, True, False, False]

    with pytest.raises(InvalidInput) as empty:
        do_add_recovery_note(case, text="   ", acting_user=senior)
    assert empty.value.code == "empty_note"
    with pytest.raises(InvalidInput) as missing:
        do_set_checklist_step(case, index=9, done=True, acting_user=senior)
    assert missing.value.code == "invalid_step"
    assert AuditLog.objects.filter(action="escalation.recovery_step", acting_user=senior).count() == 1


def test_close_schedules_follow_ups(senior: User) -> None:
    case = open_case(senior)
    closed = do_close_recovery_case(case, outcome="downgraded", acting_user=senior)
    assert (closed.status, closed.outcome) == ("closed", "downgraded")
    follow_ups = list(closed.follow_ups.order_by("days"))
    assert [follow_up.days for follow_up in follow_ups] == [30, 90]
    closed_at = closed.closed_at
    assert closed_at is not None
    assert [follow_up.due_at - closed_at for follow_up in follow_ups] == [timedelta(days=30), timedelta(days=90)]
    assert all(follow_up.status == "scheduled" for follow_up in follow_ups)

    with pytest.raises(InvalidInput) as closed_twice:
        do_close_recovery_case(closed, outcome="retained", acting_user=senior)
    assert closed_twice.value.code == "case_closed"
    with pytest.raises(InvalidInput) as unknown:
        do_close_recovery_case(open_case(), outcome="happy", acting_user=senior)
    assert unknown.value.code == "invalid_outcome"


def test_follow_up_not_due_untouched(senior: User) -> None:
    case = do_close_recovery_case(open_case(senior), outcome="retained", acting_user=senior)
    follow_up = case.follow_ups.get(days=30)
    assert do_run_follow_up(follow_up.pk) is None
    assert run_due_follow_ups() == 0
    with pytest.raises(InvalidInput) as early:
        do_answer_follow_up(follow_up, still_active=True, acting_user=senior)
    assert early.value.code == "follow_up_not_due"


def test_follow_up_answered_by_activity(senior: User) -> None:
    case = do_close_recovery_case(open_case(senior), outcome="retained", acting_user=senior)
    follow_up = case.follow_ups.get(days=30)
    due = follow_up.due_at
    Customer.objects.filter(pk=case.customer_id).update(last_seen_at=due - timedelta(days=3))

    handled = do_run_follow_up(follow_up.pk, now=due + timedelta(hours=1))

    assert handled is not None
    assert (handled.status, handled.still_active, handled.answered_by) == ("answered", True, "activity")
    assert do_run_follow_up(follow_up.pk, now=due + timedelta(hours=2)) is None


def test_follow_up_asks_owner(senior: User, django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    case = do_close_recovery_case(open_case(senior), outcome="churned", acting_user=senior)
    RecoveryFollowUp.objects.filter(case=case).update(due_at=timezone.now() - timedelta(minutes=1))
    Customer.objects.filter(pk=case.customer_id).update(last_seen_at=timezone.now() - timedelta(days=120))
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("agents", channel)

    with django_capture_on_commit_callbacks(execute=True):
        assert run_due_follow_ups() == 2

    event = FollowUpDueEvent.model_validate(async_to_sync(layer.receive)(channel)["event"])
    assert (event.case_id, event.owner_id, event.customer) == (case.pk, senior.pk, "Dana")
    assert set(case.follow_ups.values_list("status", flat=True)) == {"asked"}
    answered = do_answer_follow_up(case.follow_ups.get(days=30), still_active=False, acting_user=senior)
    assert (answered.status, answered.still_active, answered.answered_by) == ("answered", False, "owner")
    async_to_sync(layer.group_discard)("agents", channel)


def test_recovery_rate(senior: User) -> None:
    assert [(rate.days, rate.rate) for rate in recovery_rates()] == [(30, None), (90, None)]
    answers = [(True, True), (True, False), (False, False), (True, None)]
    for active_30, active_90 in answers:
        case = do_close_recovery_case(open_case(senior), outcome="retained", acting_user=senior)
        RecoveryFollowUp.objects.filter(case=case).update(status="asked")
        do_answer_follow_up(case.follow_ups.get(days=30), still_active=active_30, acting_user=senior)
        if active_90 is not None:
            do_answer_follow_up(case.follow_ups.get(days=90), still_active=active_90, acting_user=senior)

    rates = {rate.days: rate for rate in recovery_rates()}
    assert (rates[30].answered, rates[30].active, rates[30].rate) == (4, 3, 0.75)
    assert (rates[90].answered, rates[90].active) == (3, 1)
    assert rates[90].rate == pytest.approx(1 / 3)


def test_admin_close_and_note() -> None:
    lead = User.objects.create_superuser("lead", password="lead-password-1")
    case = open_case()
    client = Client()
    client.force_login(lead)

    page = client.get("/admin/escalation/recoverycase/")
    assert page.status_code == 200
    assert "Recovery rate" in page.content.decode()

    change_url = f"/admin/escalation/recoverycase/{case.pk}/change/"
    form = {
        "owner": str(lead.pk),
        "checklist": json.dumps(case.checklist),
        "notes-TOTAL_FORMS": "1",
        "notes-INITIAL_FORMS": "0",
        "notes-MIN_NUM_FORMS": "0",
        "notes-MAX_NUM_FORMS": "1000",
        "notes-0-text": "Offered a free month.",
        "notes-0-case": str(case.pk),
        "follow_ups-TOTAL_FORMS": "0",
        "follow_ups-INITIAL_FORMS": "0",
        "follow_ups-MIN_NUM_FORMS": "0",
        "follow_ups-MAX_NUM_FORMS": "1000",
    }
    saved = client.post(change_url, form)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    note = case.notes.get()
    assert (note.text, note.author) == ("Offered a free month.", lead)
    assert AuditLog.objects.filter(action="escalation.recovery_note", acting_user=lead).count() == 1

    closed = client.post(
        "/admin/escalation/recoverycase/", {"action": "close_as_retained", "_selected_action": [str(case.pk)]}
    )
    assert closed.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.outcome) == ("closed", "retained")
    assert case.follow_ups.count() == 2


@pytest.mark.parametrize(
    "model",
    [
        "queue",
        "slapolicy",
        "intent",
        "channelsettings",
        "routingrule",
        "recoveryplaybook",
        "recoverycase",
        "recoveryfollowup",
        "outreachtask",
        "slaclock",
        "messageassessment",
        "conversationrouting",
    ],
)
def test_admin_pages_load(model: str) -> None:
    lead = User.objects.create_superuser("lead", password="lead-password-1")
    client = Client()
    client.force_login(lead)
    assert client.get(f"/admin/escalation/{model}/").status_code == 200
