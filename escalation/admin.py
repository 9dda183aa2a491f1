"""Admin pages of the escalation app. Writes with side effects go through `escalation.actions`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from escalation.actions import (
    do_add_recovery_note,
    do_answer_follow_up,
    do_close_outreach_task,
    do_close_recovery_case,
    do_set_channel_mode,
)
from escalation.models import (
    BusinessHours,
    ChannelSettings,
    ConversationRouting,
    Handoff,
    Holiday,
    Intent,
    IntentExample,
    MessageAssessment,
    OutreachTask,
    Queue,
    RecoveryCase,
    RecoveryFollowUp,
    RecoveryNote,
    RecoveryPlaybook,
    RoutingRule,
    SilentDraftScore,
    SLAClock,
    SLAEvent,
    SLAPolicy,
)
from escalation.reports import draft_agreement, recovery_rates
from supportdesk.errors import SupportDeskError

# The period of the silent-copilot summary on the channel settings pages.
SUMMARY_DAYS = 30
# Maximum length of a draft excerpt in the silent draft score list, in characters, ellipsis included.
EXCERPT_CHARS = 80

if TYPE_CHECKING:
    # Installed with django-stubs for type checking only.
    from django_stubs_ext import StrOrPromise


class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "assignment", "time_zone", "is_default"]
    filter_horizontal = ["members"]
    inlines = [BusinessHoursInline, HolidayInline]


@admin.register(Handoff)
class HandoffAdmin(admin.ModelAdmin):
    list_display = ["created_at", "conversation", "reason", "from_tier", "to_tier", "queue"]
    list_filter = ["reason", "to_tier"]
    readonly_fields = ["conversation", "from_tier", "to_tier", "reason", "queue", "packet", "created_at"]


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "priority",
        "first_response_minutes",
        "resolution_minutes",
        "warn_before_minutes",
        "use_business_hours",
    ]


class SLAEventInline(admin.TabularInline):
    model = SLAEvent
    fields = ["created_at", "kind", "target", "due_at"]
    readonly_fields = ["created_at", "kind", "target", "due_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SLAClock)
class SLAClockAdmin(admin.ModelAdmin):
    list_display = [
        "conversation",
        "policy",
        "queue",
        "started_at",
        "first_response_due_at",
        "resolution_due_at",
        "paused_since",
        "resolved_at",
    ]
    list_filter = ["policy", "queue"]
    readonly_fields = [field.name for field in SLAClock._meta.fields]
    inlines = [SLAEventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class IntentExampleInline(admin.TabularInline):
    model = IntentExample
    extra = 3


@admin.register(Intent)
class IntentAdmin(admin.ModelAdmin):
    list_display = ["name", "description", "human_only", "active", "example_count"]
    list_filter = ["human_only", "active"]
    search_fields = ["name", "description", "examples__text"]
    inlines = [IntentExampleInline]

    @admin.display(description=_("examples"))
    def example_count(self, intent: Intent) -> int:
        return intent.examples.count()


@admin.register(ChannelSettings)
class ChannelSettingsAdmin(admin.ModelAdmin):
    list_display = ["channel", "ai_mode", "outreach_inactive_days", "silent_draft_agreement", "updated_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: ChannelSettings | None = None) -> list[str]:
        # A row belongs to one channel; another channel gets its own row.
        return ["channel", "silent_draft_agreement"] if obj is not None else []

    @admin.display(description=_("Silent copilot drafts, last 30 days"))
    def silent_draft_agreement(self, obj: ChannelSettings) -> str:
        """Summarise how the channel's silent drafts compared with the agents' replies."""
        summary = draft_agreement(days=SUMMARY_DAYS, channel=obj.channel)
        if summary.agreement_rate is None:
            return gettext("No drafts scored yet.")
        return ngettext(
            "%(count)s draft scored. Agreement rate %(rate)s, mean semantic similarity %(semantic)s.",
            "%(count)s drafts scored. Agreement rate %(rate)s, mean semantic similarity %(semantic)s.",
            summary.drafts_scored,
        ) % {
            "count": summary.drafts_scored,
            "rate": f"{summary.agreement_rate:.0%}",
            "semantic": format_similarity(summary.mean_semantic_similarity),
        }

    def save_model(self, request: HttpRequest, obj: ChannelSettings, form: ModelForm, change: bool) -> None:
        # The action writes the audit row with the old and new mode.
        saved = do_set_channel_mode(
            obj.channel,
            ai_mode=obj.ai_mode,
            outreach_inactive_days=obj.outreach_inactive_days,
            acting_user=request.user,  # type: ignore[arg-type]
        )
        obj.pk = saved.pk


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["position", "name", "active", "set_tier", "set_queue", "set_priority", "add_tags"]
    list_display_links = ["name"]
    list_editable = ["position", "active"]
    list_filter = ["active", "set_tier", "set_queue"]
    fieldsets = [
        (None, {"fields": ["position", "name", "active", "continue_matching"]}),
        (
            _("When"),
            {
                "fields": [
                    "channels",
                    "intents",
                    "languages",
                    "sentiment_labels",
                    "min_churn_risk",
                    "plans",
                    "vip",
                    "min_lifetime_value",
                    "max_ai_confidence",
                    "keywords",
                ]
            },
        ),
        (_("Then"), {"fields": ["set_tier", "set_queue", "set_priority", "add_tags"]}),
    ]


@admin.register(MessageAssessment)
class MessageAssessmentAdmin(admin.ModelAdmin):
    list_display = ["message", "language", "sentiment", "sentiment_label", "sarcasm", "churn_risk", "intent"]
    list_filter = ["sentiment_label", "sarcasm", "language"]
    readonly_fields = [field.name for field in MessageAssessment._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ConversationRouting)
class ConversationRoutingAdmin(admin.ModelAdmin):
    list_display = [
        "conversation",
        "intent",
        "sentiment_label",
        "sentiment_trend",
        "churn_risk",
        "priority",
        "decided_tier",
        "decision_reason",
    ]
    list_filter = ["priority", "decided_tier", "sentiment_label"]
    readonly_fields = [field.name for field in ConversationRouting._meta.fields] + ["rules"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(RecoveryPlaybook)
class RecoveryPlaybookAdmin(admin.ModelAdmin):
    list_display = ["reason"]


class RecoveryNoteInline(admin.TabularInline):
    model = RecoveryNote
    fields = ["created_at", "author", "text"]
    readonly_fields = ["created_at", "author"]
    extra = 1
    can_delete = False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RecoveryFollowUpInline(admin.TabularInline):
    model = RecoveryFollowUp
    fields = ["days", "due_at", "status", "still_active", "answered_by", "answered_at"]
    readonly_fields = ["days", "due_at", "status", "still_active", "answered_by", "answered_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def close_cases_action(outcome: str, label: StrOrPromise) -> Any:
    def close(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[RecoveryCase]) -> None:
        closed = 0
        for case in queryset.filter(status=RecoveryCase.Status.OPEN):
            do_close_recovery_case(case, outcome=outcome, acting_user=request.user)  # type: ignore[arg-type]
            closed += 1
        modeladmin.message_user(
            request, ngettext("%(count)d case closed.", "%(count)d cases closed.", closed) % {"count": closed}
        )

    close.__name__ = f"close_as_{outcome}"
    return admin.action(description=label)(close)


@admin.register(RecoveryCase)
class RecoveryCaseAdmin(admin.ModelAdmin):
    list_display = ["opened_at", "customer", "reason", "owner", "status", "outcome", "closed_at"]
    list_filter = ["status", "reason", "outcome"]
    search_fields = ["customer__name", "customer__email"]
    readonly_fields = ["conversation", "customer", "reason", "status", "outcome", "trigger", "opened_at", "closed_at"]
    fields = ["conversation", "customer", "reason", "owner", "checklist", "status", "outcome", "trigger", "opened_at"]
    inlines = [RecoveryNoteInline, RecoveryFollowUpInline]
    actions = [
        close_cases_action(RecoveryCase.Outcome.RETAINED, _("Close as retained")),
        close_cases_action(RecoveryCase.Outcome.DOWNGRADED, _("Close as downgraded")),
        close_cases_action(RecoveryCase.Outcome.CHURNED, _("Close as churned")),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        return super().changelist_view(request, {**(extra_context or {}), "recovery_rates": recovery_rates()})

    def save_formset(self, request: HttpRequest, form: ModelForm, formset: Any, change: bool) -> None:
        if formset.model is not RecoveryNote:
            super().save_formset(request, form, formset, change)
            return
        # New notes go through the action, so each one is audited with its author. The admin's
        # change message reads the three lists that a formset's own save() would have set.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for note_form in formset.forms:
            text = note_form.cleaned_data.get("text") if note_form.has_changed() else None
            if text:
                note = do_add_recovery_note(form.instance, text=text, acting_user=request.user)  # type: ignore[arg-type]
                formset.new_objects.append(note)


@admin.register(RecoveryFollowUp)
class RecoveryFollowUpAdmin(admin.ModelAdmin):
    list_display = ["case", "days", "due_at", "status", "still_active", "answered_by"]
    list_filter = ["status", "days", "still_active"]
    readonly_fields = ["case", "days", "due_at", "status", "still_active", "answered_by", "answered_at"]
    actions = ["mark_active", "mark_inactive"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def answer(self, request: HttpRequest, queryset: QuerySet[RecoveryFollowUp], still_active: bool) -> None:
        answered = 0
        for follow_up in queryset:
            try:
                do_answer_follow_up(follow_up, still_active=still_active, acting_user=request.user)  # type: ignore[arg-type]
            except SupportDeskError as error:
                self.message_user(request, error.message, level=messages.WARNING)
                continue
            answered += 1
        self.message_user(
            request,
            ngettext("%(count)d follow-up answered.", "%(count)d follow-ups answered.", answered) % {"count": answered},
        )

    @admin.action(description=_("The customer is still active"))
    def mark_active(self, request: HttpRequest, queryset: QuerySet[RecoveryFollowUp]) -> None:
        self.answer(request, queryset, True)

    @admin.action(description=_("The customer is no longer active"))
    def mark_inactive(self, request: HttpRequest, queryset: QuerySet[RecoveryFollowUp]) -> None:
        self.answer(request, queryset, False)


@admin.register(OutreachTask)
class OutreachTaskAdmin(admin.ModelAdmin):
    list_display = ["created_at", "customer", "channel", "inactive_days", "last_seen_at", "owner", "status"]
    list_filter = ["status", "channel"]
    fields = ["customer", "channel", "inactive_days", "last_seen_at", "owner", "status", "created_at", "closed_at"]
    readonly_fields = ["customer", "channel", "inactive_days", "last_seen_at", "status", "created_at", "closed_at"]
    actions = ["mark_done", "dismiss"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def close(self, request: HttpRequest, queryset: QuerySet[OutreachTask], status: str) -> None:
        for task in queryset.filter(status=OutreachTask.Status.OPEN):
            do_close_outreach_task(task, status=status, acting_user=request.user)  # type: ignore[arg-type]

    @admin.action(description=_("Mark as done"))
    def mark_done(self, request: HttpRequest, queryset: QuerySet[OutreachTask]) -> None:
        self.close(request, queryset, OutreachTask.Status.DONE)

    @admin.action(description=_("Dismiss"))
    def dismiss(self, request: HttpRequest, queryset: QuerySet[OutreachTask]) -> None:
        self.close(request, queryset, OutreachTask.Status.DISMISSED)


def excerpt(text: str, max_length: int = EXCERPT_CHARS) -> str:
    """Shorten `text` to at most `max_length` characters, cut at a space and ended with "…"."""
    text = " ".join(text.split())
    if len(text) <= max_length:
        return text
    cut = text[: max_length - 1]
    last_space = cut.rfind(" ")
    # A single word longer than the limit is cut inside the word, as nothing better fits.
    if last_space > 0:
        cut = cut[:last_space]
    return cut.rstrip(" ,.;:،؛") + "…"


def format_similarity(value: float | None) -> str:
    """Format a similarity with two decimals and the active language's decimal separator."""
    if value is None:
        return "-"
    # number_format drops the digits after `decimal_pos` without rounding, so round first.
    return number_format(round(value, 2), decimal_pos=2)


@admin.register(SilentDraftScore)
class SilentDraftScoreAdmin(admin.ModelAdmin):
    """Read-only: scores are written by `do_score_silent_drafts` when an agent replies."""

    list_display = [
        "created_at",
        "channel",
        "agreed",
        "semantic_similarity_value",
        "text_similarity_value",
        "draft_excerpt",
    ]
    list_filter = ["channel", "agreed"]
    list_select_related = ["draft"]
    date_hierarchy = "created_at"
    fields = readonly_fields = (
        "created_at",
        "channel",
        "agreed",
        "semantic_similarity_value",
        "text_similarity_value",
        "customer_text",
        "draft_text",
        "reply_text",
    )

    @admin.display(description=_("semantic similarity"), ordering="semantic_similarity")
    def semantic_similarity_value(self, score: SilentDraftScore) -> str:
        return format_similarity(score.semantic_similarity)

    @admin.display(description=_("text similarity"), ordering="text_similarity")
    def text_similarity_value(self, score: SilentDraftScore) -> str:
        return format_similarity(score.text_similarity)

    @admin.display(description=_("draft"))
    def draft_excerpt(self, score: SilentDraftScore) -> str:
        return excerpt(score.draft.text)

    @admin.display(description=_("customer message"))
    def customer_text(self, score: SilentDraftScore) -> str:
        return score.customer_message.text

    @admin.display(description=_("draft"))
    def draft_text(self, score: SilentDraftScore) -> str:
        return score.draft.text

    @admin.display(description=_("agent reply"))
    def reply_text(self, score: SilentDraftScore) -> str:
        return score.reply.text

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
