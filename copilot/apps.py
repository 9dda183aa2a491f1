from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CopilotConfig(AppConfig):
    name = "copilot"
    verbose_name = _("Copilot")
