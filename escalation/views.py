from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from escalation.models import Handoff
from tickets.models import Conversation, Message


@require_GET
@login_required
@permission_required("tickets.view_conversation", raise_exception=True)
def queue_page(request: HttpRequest) -> HttpResponse:
    """The conversations waiting for a person, oldest first."""
    waiting = (
        Conversation.objects.filter(status=Conversation.Status.QUEUED)
        .select_related("customer", "queue")
        .prefetch_related(Prefetch("handoffs", queryset=Handoff.objects.order_by("-created_at")))
        .order_by("queued_at")
    )
    rows = []
    for position, conversation in enumerate(waiting, start=1):
        handoff = next(iter(conversation.handoffs.all()), None)
        last_customer = conversation.messages.filter(author_kind=Message.AuthorKind.CUSTOMER).order_by("-id").first()
        rows.append(
            {"position": position, "conversation": conversation, "handoff": handoff, "last_message": last_customer}
        )
    return render(request, "escalation/queue.html", {"rows": rows})


@require_GET
@login_required
@permission_required("tickets.view_conversation", raise_exception=True)
def conversation_page(request: HttpRequest, public_id: str) -> HttpResponse:
    """One conversation's thread and handoff packet, read-only."""
    conversation = get_object_or_404(Conversation.objects.select_related("customer", "queue"), public_id=public_id)
    messages = conversation.messages.select_related("author_user").prefetch_related("sources__version").order_by("id")
    handoff = conversation.handoffs.order_by("-created_at").first()
    return render(
        request,
        "escalation/conversation.html",
        {"conversation": conversation, "messages": messages, "handoff": handoff},
    )
