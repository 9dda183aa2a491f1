from django.urls import path

from tickets import console_views, views

app_name = "tickets"

urlpatterns = [
    path("chat/", views.chat_page, name="chat"),
    path("chat/start/", views.chat_start, name="chat-start"),
    path("agent/", console_views.queue_page, name="console-queue"),
    path("agent/queue/rows/", console_views.queue_rows, name="console-queue-rows"),
    path("agent/take-next/", console_views.take_next, name="console-take-next"),
    path("agent/presence/", console_views.set_presence, name="console-presence"),
    path("agent/c/<uuid:public_id>/", console_views.conversation_page, name="console-conversation"),
    path(
        "agent/c/<uuid:public_id>/<slug:action>/",
        console_views.conversation_action,
        name="console-action",
    ),
]
