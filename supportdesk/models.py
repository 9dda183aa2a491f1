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
