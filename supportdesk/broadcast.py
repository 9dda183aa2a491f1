"""Sending websocket group events from any process, after the transaction commits.

With a Redis channel layer every process reaches every socket. With the in-memory layer of
the embedded profile only daphne's own process does, so other processes (the django-q2
cluster) store the event as a `RelayedEvent` and daphne's relay loop sends it on. Events are
stored only while a relay is listening, so commands run with no desk up write nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction
from django.utils import timezone

from supportdesk.models import RelayedEvent, RelayListener

logger = logging.getLogger(__name__)

# Seconds between two polls of the relay table; bounds the extra delay of relayed events.
RELAY_POLL_SECONDS = 0.2
# A relay that has not polled for this long is taken as gone.
LISTENER_STALE_SECONDS = 15
# Relayed rows older than this are deleted, because no relay will send them any more.
RELAY_KEEP_SECONDS = 300

_listener_seen_at = 0.0
_relay_task: asyncio.Task[None] | None = None


# An event, or a function that builds it: building can query the database, so it is only
# called when someone can receive the event.
Event = dict[str, Any] | Callable[[], dict[str, Any]]


def send_after_commit(group: str, event: Event) -> None:
    transaction.on_commit(lambda: send_now(group, event))


def send_now(group: str, event: Event) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    if isinstance(layer, InMemoryChannelLayer):
        if layer.groups.get(group):
            async_to_sync(layer.group_send)(group, built(event))
        elif relay_listening():
            RelayedEvent.objects.create(group=group, message=built(event))
        return
    async_to_sync(layer.group_send)(group, built(event))


def built(event: Event) -> dict[str, Any]:
    return event() if callable(event) else event


def relay_listening() -> bool:
    """Return whether a daphne relay polled recently; cached for a few seconds."""
    global _listener_seen_at
    now = time.monotonic()
    if now - _listener_seen_at < LISTENER_STALE_SECONDS / 3:
        return True
    cutoff = timezone.now() - timedelta(seconds=LISTENER_STALE_SECONDS)
    if RelayListener.objects.filter(heartbeat_at__gte=cutoff).exists():
        _listener_seen_at = now
        return True
    return False


def ensure_relay_running() -> None:
    """Start the relay loop in this process's event loop, once, for the in-memory layer."""
    global _relay_task
    if not isinstance(get_channel_layer(), InMemoryChannelLayer):
        return
    if _relay_task is None or _relay_task.done():
        _relay_task = asyncio.get_running_loop().create_task(relay_forever())


def fetch_batch(after_id: int, listener: str) -> list[RelayedEvent]:
    RelayListener.objects.update_or_create(name=listener, defaults={"heartbeat_at": timezone.now()})
    return list(RelayedEvent.objects.filter(pk__gt=after_id).order_by("pk")[:200])


def latest_id() -> int:
    RelayedEvent.objects.filter(created_at__lt=timezone.now() - timedelta(seconds=RELAY_KEEP_SECONDS)).delete()
    return RelayedEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


async def relay_forever() -> None:
    layer = get_channel_layer()
    listener = f"{socket.gethostname()}:{os.getpid()}"
    last_id = await database_sync_to_async(latest_id)()
    logger.info("event relay started listener=%s after_id=%s", listener, last_id)
    polls = 0
    while True:
        try:
            for event in await database_sync_to_async(fetch_batch)(last_id, listener):
                await layer.group_send(event.group, event.message)
                last_id = event.pk
            polls += 1
            if polls % 1000 == 0:
                await database_sync_to_async(latest_id)()
        except Exception as error:  # noqa: BLE001 - the relay must outlive a failed poll
            logger.warning("event relay poll failed error=%r", error)
        await asyncio.sleep(RELAY_POLL_SECONDS)
