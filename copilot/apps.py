from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CopilotConfig(AppConfig):
    name = "copilot"
    verbose_name = _("Copilot")

    def ready(self) -> None:
        from copilot.reverification import queue_reverification_on_publish
        from knowledge.signals import version_published

        version_published.connect(queue_reverification_on_publish, dispatch_uid="copilot.reverification")
