"""The database relay that carries events from the q2 cluster to daphne's sockets on the
embedded profile."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone

from supportdesk import broadcast
from supportdesk.models import RelayedEvent, RelayListener

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def forget_listener_cache() -> None:
    broadcast._listener_seen_at = 0.0


def test_nothing_stored_without_listener() -> None:
    broadcast.send_now("agents", {"type": "agent.event", "kind": "queue_changed"})
    assert not RelayedEvent.objects.exists()


def test_stale_listener_ignored() -> None:
    RelayListener.objects.create(name="old", heartbeat_at=timezone.now() - timedelta(minutes=5))
    broadcast.send_now("agents", {"type": "agent.event", "kind": "queue_changed"})
    assert not RelayedEvent.objects.exists()


def test_stored_while_listener_polls() -> None:
    RelayListener.objects.create(name="daphne", heartbeat_at=timezone.now())
    broadcast.send_now("agents", {"type": "agent.event", "kind": "queue_changed"})
    event = RelayedEvent.objects.get()
    assert event.group == "agents"
    assert event.message == {"type": "agent.event", "kind": "queue_changed"}


async def test_relay_delivers_to_group() -> None:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("relay-test", channel)
    relay = asyncio.get_running_loop().create_task(broadcast.relay_forever())
    try:
        # Let the relay record where it starts, then store an event as another process would.
        await asyncio.sleep(0.5)
        await database_sync_to_async(RelayedEvent.objects.create)(
            group="relay-test", message={"type": "test.event", "n": 1}
        )
        received = await asyncio.wait_for(layer.receive(channel), timeout=5)
    finally:
        relay.cancel()
        await layer.group_discard("relay-test", channel)
    assert received == {"type": "test.event", "n": 1}
    assert await database_sync_to_async(RelayListener.objects.exists)()
