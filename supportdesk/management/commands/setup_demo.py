"""Load the demo store's knowledge base and create demo accounts."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from escalation.actions import get_default_queue

logger = logging.getLogger(__name__)

DEMO_KNOWLEDGE = Path(settings.BASE_DIR) / "demo" / "knowledge"
# Permissions of each role, as app_label.codename.
ROLES = {
    "Agents": ["tickets.view_conversation", "tickets.view_message", "tickets.view_customer"],
    "Knowledge managers": [
        "knowledge.view_article",
        "knowledge.add_article",
        "knowledge.change_article",
        "knowledge.view_articleversion",
    ],
}


def ensure_role(name: str, permissions: list[str]) -> Group:
    group, _created = Group.objects.get_or_create(name=name)
    for dotted in permissions:
        app_label, codename = dotted.split(".")
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return group


def ensure_user(username: str, password: str, group: Group, *, is_staff: bool) -> User:
    user, _created = User.objects.get_or_create(username=username)
    user.set_password(password)
    user.is_staff = is_staff
    user.save()
    user.groups.add(group)
    return user


class Command(BaseCommand):
    help = "Import the demo knowledge base (demo/knowledge) and create the demo agent and knowledge manager."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password", default="supportdesk-demo", help="password of the demo accounts (default: supportdesk-demo)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            agents = ensure_role("Agents", ROLES["Agents"])
            managers = ensure_role("Knowledge managers", ROLES["Knowledge managers"])
            agent = ensure_user("agent", options["password"], agents, is_staff=False)
            ensure_user("manager", options["password"], managers, is_staff=True)
            queue = get_default_queue()
            queue.members.add(agent)
        call_command("import_knowledge", str(DEMO_KNOWLEDGE), stdout=self.stdout)
        self.stdout.write(f"Demo accounts: agent and manager, password {options['password']!r}.")
