from __future__ import annotations

import json
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.module_loading import import_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST

from supportdesk.errors import InvalidInput, SupportDeskError
from tickets.actions import do_start_conversation
from tickets.chat_strings import chat_strings
from tickets.models import Conversation
from tickets.tokens import make_chat_token

logger = logging.getLogger(__name__)

START_FIELDS = ("name", "email", "locale", "external_id", "user_hash")
MAX_START_BODY_BYTES = 10_000


@require_GET
@ensure_csrf_cookie
def chat_page(request: HttpRequest) -> HttpResponse:
    ai_answers = import_string(settings.SUPPORTDESK_AI_ANSWERS_CHECK)(Conversation.Channel.CHAT)
    context = {"start_url": reverse("tickets:chat-start"), "chat_strings": chat_strings(ai_answers=ai_answers)}
    return render(request, "tickets/chat.html", context)


def parse_start_request(request: HttpRequest) -> dict[str, str]:
    if len(request.body) > MAX_START_BODY_BYTES:
        raise InvalidInput(_("The request body is larger than %(limit)s bytes.") % {"limit": MAX_START_BODY_BYTES})
    try:
        data = json.loads(request.body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InvalidInput(
            _("The request body is not valid JSON: %(error)s") % {"error": error}, code="invalid_json"
        ) from error
    if not isinstance(data, dict):
        raise InvalidInput(_("The request body must be a JSON object."), code="invalid_json")
    fields: dict[str, str] = {}
    for name in START_FIELDS:
        value = data.get(name, "")
        if not isinstance(value, str) or len(value) > 200:
            raise InvalidInput(
                _("Field %(field)s must be a string of at most 200 characters.") % {"field": name}, code="invalid_field"
            )
        fields[name] = value.strip()
    return fields


@require_POST
def chat_start(request: HttpRequest) -> JsonResponse:
    """Open a conversation and return its signed token; CSRF-protected like any form."""
    try:
        fields = parse_start_request(request)
        fields["locale"] = fields["locale"] or (get_language() or "en")[:2]
        conversation = do_start_conversation(
            name=fields["name"],
            email=fields["email"],
            locale=fields["locale"],
            external_id=fields["external_id"],
            user_hash=fields["user_hash"],
        )
    except SupportDeskError as error:
        return JsonResponse({"error": error.as_dict()}, status=error.status)
    return JsonResponse(
        {"token": make_chat_token(conversation.public_id), "conversation_id": str(conversation.public_id)}
    )
