"""Every write of the escalation app, split by concept; import them from here."""

from escalation.actions.assessment import do_record_triage, get_routing
from escalation.actions.assignment import do_assign_conversation, do_assign_waiting
from escalation.actions.channels import do_close_outreach_task, do_create_outreach_tasks, do_set_channel_mode
from escalation.actions.handoffs import (
    do_handoff,
    do_offer_person,
    do_post_ai_draft,
    do_reopen_for_new_question,
    do_resolve_by_ai,
    get_default_queue,
    handoff_notice,
)
from escalation.actions.intents import do_import_intent_examples
from escalation.actions.recovery import (
    do_add_recovery_note,
    do_answer_follow_up,
    do_close_recovery_case,
    do_open_recovery_case,
    do_run_follow_up,
    do_set_checklist_step,
    do_set_recovery_owner,
)
from escalation.actions.scoring import do_score_silent_drafts
from escalation.actions.sla import do_check_sla_clock, do_pause_sla_clock, do_resume_sla_clock

__all__ = [
    "do_add_recovery_note",
    "do_answer_follow_up",
    "do_assign_conversation",
    "do_assign_waiting",
    "do_check_sla_clock",
    "do_close_outreach_task",
    "do_close_recovery_case",
    "do_create_outreach_tasks",
    "do_handoff",
    "do_import_intent_examples",
    "do_offer_person",
    "do_open_recovery_case",
    "do_pause_sla_clock",
    "do_post_ai_draft",
    "do_record_triage",
    "do_reopen_for_new_question",
    "do_resolve_by_ai",
    "do_resume_sla_clock",
    "do_run_follow_up",
    "do_score_silent_drafts",
    "do_set_channel_mode",
    "do_set_checklist_step",
    "do_set_recovery_owner",
    "get_default_queue",
    "get_routing",
    "handoff_notice",
]
