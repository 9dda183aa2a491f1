"""Create or update the django-q2 schedules of the escalation app."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django_q.models import Schedule

# name: (task, schedule type, minutes between runs for MINUTES schedules)
SCHEDULES: dict[str, tuple[str, str, int | None]] = {
    "escalation: SLA warnings and breaches": ("escalation.tasks.check_sla_clocks", Schedule.MINUTES, 1),
    "escalation: assign waiting conversations": ("escalation.tasks.assign_waiting_conversations", Schedule.MINUTES, 1),
    "escalation: recovery follow-ups": ("escalation.tasks.run_due_follow_ups", Schedule.DAILY, None),
    "escalation: proactive outreach": ("escalation.tasks.list_inactive_customers", Schedule.DAILY, None),
}


class Command(BaseCommand):
    help = "Create or update the schedules for SLA checks, assignment, recovery follow-ups and outreach."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, (func, schedule_type, minutes) in SCHEDULES.items():
            _schedule, created = Schedule.objects.update_or_create(
                name=name,
                defaults={"func": func, "schedule_type": schedule_type, "minutes": minutes, "repeats": -1},
            )
            self.stdout.write(f"{'created' if created else 'updated'}: {name} -> {func}")
