"""Signed chat tokens: whoever holds one can read and write that one conversation."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core import signing

_SALT = "supportdesk.chat-token"


def make_chat_token(public_id: uuid.UUID) -> str:
    return signing.dumps({"conversation": str(public_id)}, salt=_SALT, compress=True)


def read_chat_token(token: str) -> uuid.UUID | None:
    """Return the conversation's public id, or None for a forged, altered or expired token."""
    max_age = settings.SUPPORTDESK_CHAT_TOKEN_MAX_AGE_DAYS * 24 * 3600
    try:
        payload = signing.loads(token, salt=_SALT, max_age=max_age)
        return uuid.UUID(payload["conversation"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
