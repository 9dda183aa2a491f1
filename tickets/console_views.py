"""The agent console: HTMX pages for the queue and for one conversation. Views parse input,
check permissions and call the actions in tickets.agent_actions."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from supportdesk.errors import InvalidInput, SupportDeskError
from tickets import agent_actions, console
from tickets.models import AgentProfile, Conversation, Draft

logger = logging.getLogger(__name__)

view_required = permission_required("tickets.view_conversation", raise_exception=True)


def queue_filters(request: HttpRequest) -> dict[str, str]:
    return {name: request.GET.get(name, "") for name in ("status", "tier", "assignee", "queue")}


@require_GET
@login_required
@view_required
def queue_page(request: HttpRequest) -> HttpResponse:
    filters = queue_filters(request)
    context = {
        "filters": filters,
        "conversations": console.queue_conversations(request.user, filters),  # type: ignore[arg-type]
        "queues": console.queues(),
        "presence": console.presence_of(request.user),  # type: ignore[arg-type]
        "presence_choices": AgentProfile.Presence.choices,
    }
    return render(request, "tickets/console/queue.html", context)


@require_GET
@login_required
@view_required
def queue_rows(request: HttpRequest) -> HttpResponse:
    conversations = console.queue_conversations(request.user, queue_filters(request))  # type: ignore[arg-type]
    return render(request, "tickets/console/queue_rows.html", {"conversations": conversations})


@require_POST
@login_required
@view_required
def take_next(request: HttpRequest) -> HttpResponse:
    try:
        conversation = agent_actions.do_take_next(acting_user=request.user)  # type: ignore[arg-type]
    except SupportDeskError as error:
        flash.error(request, error.message)
        return redirect("tickets:console-queue")
    if conversation is None:
        flash.info(request, _("Nobody is waiting right now."))
        return redirect("tickets:console-queue")
    return redirect("tickets:console-conversation", public_id=conversation.public_id)


@require_POST
@login_required
@view_required
def set_presence(request: HttpRequest) -> HttpResponse:
    try:
        agent_actions.do_set_presence(request.user, request.POST.get("presence", ""), acting_user=request.user)  # type: ignore[arg-type]
    except SupportDeskError as error:
        return HttpResponse(error.message, status=error.status)
    return render(
        request,
        "tickets/console/presence.html",
        {"presence": console.presence_of(request.user), "presence_choices": AgentProfile.Presence.choices},  # type: ignore[arg-type]
    )


def conversation_context(request: HttpRequest, conversation: Conversation) -> dict[str, Any]:
    draft = console.latest_draft(conversation)
    return {
        "conversation": conversation,
        "thread": console.thread_messages(conversation),
        "earlier": console.earlier_conversations(conversation),
        "draft": draft,
        "handoff_reason": console.handoff_reason_label(
            conversation, draft.panel.get("case", {}).get("handoff_reason", "")
        )
        if draft
        else "",
        "queues": console.queues(),
        "agents": console.agents(),
        "can_act": agent_actions.can_handle(conversation, request.user),  # type: ignore[arg-type]
    }


@require_GET
@login_required
@view_required
def conversation_page(request: HttpRequest, public_id: str) -> HttpResponse:
    conversation = get_object_or_404(
        Conversation.objects.select_related("customer", "assignee", "queue"), public_id=public_id
    )
    return render(request, "tickets/console/conversation.html", conversation_context(request, conversation))


def run_action(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    """Parse the form of one conversation action, call it, and reload the page's parts."""
    conversation = get_object_or_404(Conversation, public_id=public_id)
    user: Any = request.user
    try:
        if action == "reply":
            draft_id = request.POST.get("draft_id") or None
            agent_actions.do_send_agent_reply(
                conversation,
                request.POST.get("text", ""),
                draft_id=int(draft_id) if draft_id else None,
                acting_user=user,
            )
        elif action == "note":
            agent_actions.do_add_note(conversation, request.POST.get("text", ""), acting_user=user)
        elif action == "assign":
            agent = get_object_or_404(User, pk=request.POST.get("agent") or user.pk)
            agent_actions.do_assign(conversation, agent, acting_user=user)
        elif action == "transfer":
            agent_actions.do_transfer(conversation, int(request.POST.get("queue", "0") or 0), acting_user=user)
        elif action == "snooze":
            until = parse_snooze_time(request.POST.get("until", ""), request.POST.get("utc_offset_minutes", ""))
            agent_actions.do_snooze(conversation, until, acting_user=user)
        elif action == "resolve":
            agent_actions.do_resolve(conversation, acting_user=user)
        elif action == "reopen":
            agent_actions.do_reopen(conversation, acting_user=user)
        elif action == "discard-draft":
            draft = get_object_or_404(Draft, pk=request.POST.get("draft_id"), conversation=conversation)
            agent_actions.do_discard_draft(draft, acting_user=user)
    except SupportDeskError as error:
        logger.info("console action rejected action=%s conversation=%s code=%s", action, public_id, error.code)
        return render(request, "tickets/console/action_error.html", {"error": error}, status=error.status)
    except ValueError:
        invalid = InvalidInput(_("The form has an invalid number; reload the page and try again."))
        return render(request, "tickets/console/action_error.html", {"error": invalid}, status=400)
    if request.htmx:  # type: ignore[attr-defined]
        # The thread and panel update over the websocket; the forms reset here.
        conversation.refresh_from_db()
        return render(request, "tickets/console/action_done.html", conversation_context(request, conversation))
    return HttpResponseRedirect(reverse("tickets:console-conversation", args=[public_id]))


def parse_snooze_time(value: str, utc_offset_minutes: str) -> datetime:
    """Read a datetime-local value; the browser sends its offset from UTC in minutes
    (JavaScript's getTimezoneOffset sign: UTC minus local)."""
    parsed = parse_datetime(value)
    if parsed is None:
        raise InvalidInput(
            _("The snooze time %(value)s is not a date and time; use the picker.") % {"value": value},
            code="invalid_time",
        )
    if timezone.is_naive(parsed):
        offset = int(utc_offset_minutes) if utc_offset_minutes.lstrip("-").isdigit() else 0
        parsed = (parsed + timedelta(minutes=offset)).replace(tzinfo=UTC)
    return parsed


@require_POST
@login_required
@view_required
def conversation_action(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    return run_action(request, public_id, action)
