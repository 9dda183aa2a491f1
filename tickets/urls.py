from django.urls import path

from tickets import views

app_name = "tickets"

urlpatterns = [
    path("chat/", views.chat_page, name="chat"),
    path("chat/start/", views.chat_start, name="chat-start"),
]
