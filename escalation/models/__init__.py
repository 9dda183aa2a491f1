"""The escalation app's models, split by concept: queues and SLAs, routing, recovery."""

from escalation.models.queues import (
    BusinessHours,
    Handoff,
    Holiday,
    Priority,
    Queue,
    SLAClock,
    SLAEvent,
    SLAPolicy,
    SLATarget,
)
from escalation.models.recovery import (
    OutreachTask,
    RecoveryCase,
    RecoveryFollowUp,
    RecoveryNote,
    RecoveryPlaybook,
    RecoveryReason,
)
from escalation.models.routing import (
    AIMode,
    ChannelSettings,
    ConversationRouting,
    Intent,
    IntentExample,
    MessageAssessment,
    RoutingRule,
    split_list,
)

__all__ = [
    "AIMode",
    "BusinessHours",
    "ChannelSettings",
    "ConversationRouting",
    "Handoff",
    "Holiday",
    "Intent",
    "IntentExample",
    "MessageAssessment",
    "OutreachTask",
    "Priority",
    "Queue",
    "RecoveryCase",
    "RecoveryFollowUp",
    "RecoveryNote",
    "RecoveryPlaybook",
    "RecoveryReason",
    "RoutingRule",
    "SLAClock",
    "SLAEvent",
    "SLAPolicy",
    "SLATarget",
    "split_list",
]
