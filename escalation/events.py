"""Payloads that the escalation app sends to the agent console's Channels group "agents".

Each group message is `{"type": "agent.event", "kind": <the payload's type>, "event": <the
payload dumped as JSON>}`, the envelope the console's consumers already dispatch on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel

AGENTS_GROUP = "agents"


class SLAAlertEvent(BaseModel):
    """An SLA target of a conversation is about to be breached ("warning") or was ("breach")."""

    type: Literal["sla_alert"] = "sla_alert"
    kind: Literal["warning", "breach"]
    target: Literal["first_response", "resolution"]
    conversation_id: UUID
    priority: Literal["low", "normal", "high", "urgent"]
    queue: str | None
    assignee_id: int | None
    due_at: datetime
    # Business seconds left before the breach; negative after it.
    remaining_seconds: int


class FollowUpDueEvent(BaseModel):
    """A recovery case's follow-up asks its owner whether the customer is still active."""

    type: Literal["recovery_follow_up"] = "recovery_follow_up"
    case_id: int
    follow_up_id: int
    days: int
    customer: str
    owner_id: int | None
