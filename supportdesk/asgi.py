"""ASGI entry point: HTTP through Django, websockets through Channels."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportdesk.settings")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from supportdesk.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)


def warm_up() -> None:
    """Load the encoders, the retrieval index and the intent model before the first customer asks."""
    import logging

    from django.db import DatabaseError

    from escalation.intents import predict_intent
    from knowledge.retrieval import search

    try:
        search("warm-up")
        # Loads the trained intent model, and with it the English encoder, if there is one.
        predict_intent("warm-up")
    except DatabaseError as error:
        logging.getLogger(__name__).warning("warm-up skipped error=%r", error)


if os.environ.get("SUPPORTDESK_WARM_UP", "1") == "1":
    import threading

    threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
