from django.urls import re_path

from tickets.agent_consumers import ConversationConsumer, QueueConsumer
from tickets.consumers import ChatConsumer

websocket_urlpatterns = [
    re_path(r"^ws/chat/(?P<token>[A-Za-z0-9_:.\-]+)/$", ChatConsumer.as_asgi()),
    re_path(r"^ws/agent/queue/$", QueueConsumer.as_asgi()),
    re_path(r"^ws/agent/conversations/(?P<public_id>[0-9a-f-]{36})/$", ConversationConsumer.as_asgi()),
]
