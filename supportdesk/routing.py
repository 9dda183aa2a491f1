from tickets.routing import websocket_urlpatterns as ticket_patterns

websocket_urlpatterns = [*ticket_patterns]
