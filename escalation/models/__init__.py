"""The escalation app's models, split by concept: queues and SLAs, routing, recovery, draft scores."""

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
from escalation.models.scoring import SilentDraftScore

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
    "SilentDraftScore",
    "split_list",
]
