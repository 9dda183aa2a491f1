from django.urls import path
from django.views.generic import RedirectView

app_name = "escalation"

urlpatterns = [
    # The first agent pages lived here; the console in tickets replaced them.
    path("agent/queue/", RedirectView.as_view(pattern_name="tickets:console-queue", permanent=True), name="queue"),
]
