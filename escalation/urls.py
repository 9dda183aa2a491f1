from django.urls import path

from escalation import views

app_name = "escalation"

urlpatterns = [
    path("agent/queue/", views.queue_page, name="queue"),
    path("agent/conversations/<uuid:public_id>/", views.conversation_page, name="conversation"),
]
