"""The desk's roles as Django groups, created after every migrate so a new desk has them."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

logger = logging.getLogger(__name__)

AGENT = "Agents"
SENIOR_AGENT = "Senior agents"
KNOWLEDGE_MANAGER = "Knowledge managers"
SUPPORT_LEAD = "Support leads"
ADMIN = "Admins"

_AGENT_PERMISSIONS = [
    "tickets.view_conversation",
    "tickets.view_message",
    "tickets.view_customer",
    "tickets.handle_conversation",
    "tickets.view_draft",
    "knowledge.view_article",
]

# Permissions of each role as app_label.codename; "app_label.*" grants every permission of
# the app, including models added later.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    AGENT: _AGENT_PERMISSIONS,
    SENIOR_AGENT: [*_AGENT_PERMISSIONS, "tickets.handle_recovery"],
    KNOWLEDGE_MANAGER: ["knowledge.*", "tickets.view_conversation", "tickets.view_message"],
    SUPPORT_LEAD: [*_AGENT_PERMISSIONS, "tickets.handle_recovery", "tickets.view_outcomes", "escalation.*"],
    ADMIN: ["supportdesk.*", "tickets.*", "knowledge.*", "copilot.*", "escalation.*", "auth.*"],
}


def permissions_for(names: list[str]) -> list[Permission]:
    query = Q()
    for name in names:
        app_label, codename = name.split(".")
        if codename == "*":
            query |= Q(content_type__app_label=app_label)
        else:
            query |= Q(content_type__app_label=app_label, codename=codename)
    return list(Permission.objects.filter(query))


def ensure_roles(**kwargs: Any) -> None:
    """Create or update the role groups; connected to post_migrate, safe to run again."""
    for name, names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(*permissions_for(names))
    logger.info("roles ensured groups=%s", len(ROLE_PERMISSIONS))
