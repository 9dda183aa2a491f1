"""Sending escalation events to the agent console's Channels group after the transaction commits."""

from __future__ import annotations

import logging

from pydantic import BaseModel

from escalation.events import AGENTS_GROUP
from supportdesk.broadcast import send_after_commit

logger = logging.getLogger(__name__)


def notify_agents(event: BaseModel) -> None:
    """Send `event` to every agent console socket once the current transaction commits.

    The group message is `{"type": "agent.event", "kind": <event type>, "event": <payload>}`.
    On the embedded profile, `supportdesk.broadcast` relays events sent from the django-q2
    cluster through the database to daphne's process, because the in-memory channel layer
    reaches only sockets of the sending process.
    """
    payload = event.model_dump(mode="json")
    send_after_commit(AGENTS_GROUP, {"type": "agent.event", "kind": payload["type"], "event": payload})
    logger.info("agents event queued kind=%s", payload["type"])
