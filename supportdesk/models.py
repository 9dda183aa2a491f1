from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditLog(models.Model):
    """One row per write, named by a dotted action such as `tickets.handoff`."""

    action = models.CharField(max_length=80)
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who acted when no user did: "customer", "ai", "system", "import".
    actor_kind = models.CharField(max_length=20, default="user")
    target_type = models.CharField(max_length=80, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # The history of one object in admin and in tests.
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
            # The latest writes of one kind.
            models.Index(fields=["action", "-created_at"], name="audit_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"


class RelayedEvent(models.Model):
    """A websocket group event sent by a process with no route to the sockets.

    On the embedded profile the channel layer lives in daphne's memory, so a django-q2 worker
    cannot reach it; the worker stores the event here and daphne's relay sends it on. With
    REDIS_URL set, events go through Redis and this table stays empty.
    """

    group = models.CharField(max_length=200)
    message = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"event {self.pk} to {self.group}"


class RelayListener(models.Model):
    """A daphne process whose relay is running, with the last time it polled."""

    name = models.CharField(max_length=200, unique=True)
    heartbeat_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
