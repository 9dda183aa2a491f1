"""Default SLA targets per priority, for a desk that has not set its own in admin yet."""

from django.db import migrations

# (priority, first response minutes, resolution minutes, warn before minutes)
DEFAULTS = [
    ("urgent", 15, 4 * 60, 5),
    ("high", 60, 8 * 60, 15),
    ("normal", 4 * 60, 24 * 60, 30),
    ("low", 8 * 60, 72 * 60, 60),
]


def create_policies(apps, schema_editor):
    SLAPolicy = apps.get_model("escalation", "SLAPolicy")
    for priority, first_response, resolution, warn in DEFAULTS:
        SLAPolicy.objects.get_or_create(
            priority=priority,
            defaults={
                "first_response_minutes": first_response,
                "resolution_minutes": resolution,
                "warn_before_minutes": warn,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("escalation", "0003_routing_sla_recovery")]

    operations = [migrations.RunPython(create_policies, migrations.RunPython.noop)]
