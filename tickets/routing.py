from django.urls import re_path

from tickets.consumers import ChatConsumer

websocket_urlpatterns = [
    re_path(r"^ws/chat/(?P<token>[A-Za-z0-9_:.\-]+)/$", ChatConsumer.as_asgi()),
]
