from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        from supportdesk.roles import ensure_roles

        # Runs after the auth app has created the permissions of every migrated model.
        post_migrate.connect(ensure_roles, sender=self, dispatch_uid="supportdesk.ensure_roles")
