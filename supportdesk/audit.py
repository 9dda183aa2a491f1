"""The audit trail that every `do_*` action writes."""

from __future__ import annotations

from typing import Any

from django.db import models

from supportdesk.models import AuditLog
from supportdesk.types import ActingUser


def record_audit(
    action: str,
    *,
    acting_user: ActingUser,
    target: models.Model | None = None,
    actor_kind: str = "user",
    **details: Any,
) -> AuditLog:
    """Write one audit row; call it inside the action's transaction."""
    user = acting_user if isinstance(acting_user, models.Model) and acting_user.is_authenticated else None
    if user is None and actor_kind == "user":
        actor_kind = "system"
    return AuditLog.objects.create(
        action=action,
        acting_user=user,
        actor_kind=actor_kind,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        details=details,
    )
