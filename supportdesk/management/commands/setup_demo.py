"""Load the demo store's knowledge base and create demo accounts."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from escalation.actions import get_default_queue
from supportdesk import roles
from supportdesk.roles import ensure_roles

logger = logging.getLogger(__name__)

DEMO_KNOWLEDGE = Path(settings.BASE_DIR) / "demo" / "knowledge"


def ensure_user(username: str, password: str, group: Group, *, is_staff: bool) -> User:
    user, _created = User.objects.get_or_create(username=username)
    user.set_password(password)
    user.is_staff = is_staff
    user.save()
    user.groups.add(group)
    return user


class Command(BaseCommand):
    help = "Import the demo knowledge base (demo/knowledge) and create one demo account per role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password", default="supportdesk-demo", help="password of the demo accounts (default: supportdesk-demo)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            ensure_roles()
            agent = ensure_user("agent", options["password"], Group.objects.get(name=roles.AGENT), is_staff=False)
            ensure_user("senior", options["password"], Group.objects.get(name=roles.SENIOR_AGENT), is_staff=False)
            ensure_user("manager", options["password"], Group.objects.get(name=roles.KNOWLEDGE_MANAGER), is_staff=True)
            ensure_user("lead", options["password"], Group.objects.get(name=roles.SUPPORT_LEAD), is_staff=True)
            queue = get_default_queue()
            queue.members.add(agent)
        call_command("import_knowledge", str(DEMO_KNOWLEDGE), stdout=self.stdout)
        self.stdout.write(f"Demo accounts: agent, senior, manager and lead, password {options['password']!r}.")
