"""Admin pages of the copilot: model calls, answer feedback, and the knowledge audit pages
that read conversations (content gaps, "try a question", the re-verification queue).

The audit pages are for knowledge managers, so they accept the knowledge permissions as
well as the copilot models' own."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from copilot import actions, gaps, tier0
from copilot.models import AnswerFeedback, ContentGap, ModelCall, ReverificationItem
from copilot.reverification import window_days
from knowledge import retrieval
from knowledge.models import Article
from supportdesk.errors import InvalidInput

# Labels of the reasons `copilot.tier0.answer_question` gives for handing off.
HANDOFF_REASON_LABELS = {
    "low_confidence": _("The AI was not confident"),
    "no_knowledge": _("No published knowledge matched"),
    "human_only_topic": _("The topic is for people only"),
    "grounding_failed": _("The answer failed the grounding check"),
    "provider_failed": _("The model provider failed"),
}
TREND_LABELS = {"rising": _("rising"), "falling": _("falling"), "steady": _("steady")}


def can_view_knowledge(request: HttpRequest) -> bool:
    return request.user.has_perm("knowledge.view_article")


@admin.register(ModelCall)
class ModelCallAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "feature",
        "provider",
        "model",
        "outcome",
        "latency_ms",
        "input_tokens",
        "output_tokens",
    ]
    list_filter = ["feature", "outcome", "provider"]
    readonly_fields = [field.name for field in ModelCall._meta.fields]


@admin.register(AnswerFeedback)
class AnswerFeedbackAdmin(admin.ModelAdmin):
    list_display = ["created_at", "helpful", "answer_excerpt"]
    list_filter = ["helpful"]
    readonly_fields = ["message", "helpful", "created_at"]

    @admin.display(description=_("answer"))
    def answer_excerpt(self, feedback: AnswerFeedback) -> str:
        return feedback.message.text[:120]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- Re-verification queue ----------------------------------------------------------------------


class AnsweredWithinFilter(admin.SimpleListFilter):
    title = _("answered within")
    parameter_name = "days"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        days = sorted({7, 30, 90, window_days()})
        return [
            (str(day), ngettext("the last %(days)d day", "the last %(days)d days", day) % {"days": day}) for day in days
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.value():
            return queryset
        try:
            days = int(str(self.value()))
        except ValueError:
            return queryset
        return queryset.filter(answered_at__gte=timezone.now() - timedelta(days=days))


@admin.register(ReverificationItem)
class ReverificationItemAdmin(admin.ModelAdmin):
    list_display = [
        "answered_at",
        "conversation_link",
        "article",
        "version_change",
        "answer_excerpt",
        "conversation_status",
        "flagged",
        "status",
    ]
    list_display_links = None
    list_filter = ["status", AnsweredWithinFilter, ("article", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["conversation", "message", "article", "old_version", "new_version", "flag_note"]
    actions = ["mark_verified"]
    change_list_template = "admin/copilot/reverificationitem/change_list.html"

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_view_knowledge(request) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_view_knowledge(request) or super().has_view_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("knowledge.change_article") or super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("conversation"))
    def conversation_link(self, item: ReverificationItem) -> str:
        url = reverse("admin:tickets_conversation_change", args=[item.conversation_id])
        return format_html('<a href="{}">{}</a>', url, str(item.conversation.public_id)[:8])

    @admin.display(description=_("versions"))
    def version_change(self, item: ReverificationItem) -> str:
        url = reverse("admin:knowledge_article_diff", args=[item.article_id])
        return format_html(
            '<a href="{}?from={}&amp;to={}">v{} → v{}</a>',
            url,
            item.old_version.number,
            item.new_version.number,
            item.old_version.number,
            item.new_version.number,
        )

    @admin.display(description=_("answer"))
    def answer_excerpt(self, item: ReverificationItem) -> str:
        return Truncator(item.message.text).chars(100)

    @admin.display(description=_("conversation status"))
    def conversation_status(self, item: ReverificationItem) -> str:
        return str(item.conversation.get_status_display())

    @admin.display(description=_("agent flagged"), boolean=True)
    def flagged(self, item: ReverificationItem) -> bool:
        return item.flag_note_id is not None

    @admin.action(description=_("Mark checked"), permissions=["change"])
    def mark_verified(self, request: HttpRequest, queryset: QuerySet[ReverificationItem]) -> None:
        count = actions.do_mark_reverified(queryset, acting_user=request.user)
        self.message_user(
            request,
            ngettext("Marked %(count)d answer checked.", "Marked %(count)d answers checked.", count) % {"count": count},
            messages.SUCCESS,
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        return super().changelist_view(request, {**(extra_context or {}), "window_days": window_days()})


# --- Content gaps and "try a question" ----------------------------------------------------------


class GapArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Answer"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("The text customers will be given; the article is saved as a draft."),
    )
    example_questions = forms.CharField(
        label=_("Example questions"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("One per line: the customers' own questions from this gap."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    kind = forms.ChoiceField(label=_("Kind"), choices=Article.Kind.choices)
    audience = forms.ChoiceField(label=_("Audience"), choices=Article.Audience.choices)

    def questions(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["example_questions"].splitlines() if line.strip()]


class TryQuestionForm(forms.Form):
    q = forms.CharField(
        label=_("Customer question"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3, "cols": 80})
    )


@admin.register(ContentGap)
class ContentGapAdmin(admin.ModelAdmin):
    list_display = ["label", "question_count", "language_counts", "example_list", "trend", "last_asked_at", "status"]
    list_display_links = None
    list_filter = ["status"]
    search_fields = ["label"]
    actions = ["create_article", "dismiss"]
    change_list_template = "admin/copilot/contentgap/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path("try/", self.admin_site.admin_view(self.try_question_view), name="copilot_contentgap_try"),
            path(
                "<int:gap_id>/create-article/",
                self.admin_site.admin_view(self.create_article_view),
                name="copilot_contentgap_create_article",
            ),
        ]
        return extra + super().get_urls()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_view_knowledge(request) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_view_knowledge(request) or super().has_view_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("knowledge.add_article") or super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("languages"))
    def language_counts(self, gap: ContentGap) -> str:
        return ", ".join(f"{language}: {count}" for language, count in sorted(gap.languages.items()))

    @admin.display(description=_("examples"))
    def example_list(self, gap: ContentGap) -> str:
        try_url = reverse("admin:copilot_contentgap_try")
        items = format_html_join(
            "",
            '<li dir="auto">{} <a href="{}?{}" title="{}">↗</a></li>',
            ((example, try_url, urlencode({"q": example}), _("Try this question")) for example in gap.examples[:5]),
        )
        return format_html("<ul>{}</ul>", items)

    @admin.display(description=_("trend (8 weeks)"))
    def trend(self, gap: ContentGap) -> str:
        counts = [int(count) for count in gap.weekly_counts]
        peak = max(counts, default=0) or 1
        bars = format_html_join(
            "",
            '<span style="height:{}px" title="{}"></span>',
            ((max(2, round(24 * count / peak)), count) for count in counts),
        )
        return format_html('<span class="kb-bars">{}</span> {}', bars, TREND_LABELS[gaps.trend(counts)])

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.method == "POST" and "refresh" in request.POST and self.has_change_permission(request):
            actions.do_refresh_gaps(acting_user=request.user)
            return HttpResponseRedirect(request.path)
        if request.method == "GET" and self.needs_refresh():
            actions.do_refresh_gaps(acting_user=request.user)
        return super().changelist_view(request, extra_context)

    def needs_refresh(self) -> bool:
        since = timezone.now() - timedelta(days=gaps.GAP_WINDOW_DAYS)
        return bool(gaps.new_gap_questions(since))

    @admin.action(description=_("Create an article from this gap"), permissions=["change"])
    def create_article(self, request: HttpRequest, queryset: QuerySet[ContentGap]) -> HttpResponse | None:
        gap = queryset.filter(status=ContentGap.Status.OPEN).first()
        if gap is None or queryset.count() != 1:
            self.message_user(request, _("Choose exactly one open gap to write an article for."), messages.WARNING)
            return None
        return HttpResponseRedirect(reverse("admin:copilot_contentgap_create_article", args=[gap.pk]))

    @admin.action(description=_("Dismiss"), permissions=["change"])
    def dismiss(self, request: HttpRequest, queryset: QuerySet[ContentGap]) -> None:
        count = 0
        for gap in queryset.filter(status=ContentGap.Status.OPEN):
            actions.do_dismiss_gap(gap, acting_user=request.user)
            count += 1
        self.message_user(
            request,
            ngettext("Dismissed %(count)d gap.", "Dismissed %(count)d gaps.", count) % {"count": count},
            messages.SUCCESS,
        )

    def page_context(self, request: HttpRequest, title: Any) -> dict[str, Any]:
        return {**self.admin_site.each_context(request), "title": title, "opts": self.opts}

    def create_article_view(self, request: HttpRequest, gap_id: int) -> HttpResponse:
        gap = ContentGap.objects.filter(pk=gap_id).first()
        if gap is None or not self.has_change_permission(request):
            raise Http404
        majority = max(gap.languages.items(), key=lambda item: item[1])[0] if gap.languages else "en"
        form = GapArticleForm(
            request.POST or None,
            initial={
                "title": gap.label[:200],
                "example_questions": "\n".join(gap.examples),
                "language": majority,
                "kind": Article.Kind.FAQ,
                "audience": Article.Audience.CUSTOMER,
            },
        )
        if request.method == "POST" and form.is_valid():
            try:
                article = actions.do_create_article_from_gap(
                    gap,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    example_questions=form.questions(),
                    language=form.cleaned_data["language"],
                    kind=form.cleaned_data["kind"],
                    audience=form.cleaned_data["audience"],
                    acting_user=request.user,
                )
            except InvalidInput as error:
                form.add_error(None, error.message)
            else:
                self.message_user(
                    request, _("Draft article created; review and publish it when it is ready."), messages.SUCCESS
                )
                return HttpResponseRedirect(reverse("admin:knowledge_article_change", args=[article.pk]))
        context = {**self.page_context(request, _("Create an article from a content gap")), "gap": gap, "form": form}
        return TemplateResponse(request, "admin/copilot/contentgap/create_article.html", context)

    def try_question_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise Http404
        form = TryQuestionForm(request.GET or None)
        context = {**self.page_context(request, _("Try a question")), "form": form}
        if form.is_valid():
            question = form.cleaned_data["q"]
            result = tier0.answer_question(question)
            # The passages shown are the ones the answer was made from.
            context["found"] = result.retrieval or retrieval.search(question, audience=Article.Audience.CUSTOMER)
            context["result"] = result
            context["handoff_label"] = HANDOFF_REASON_LABELS.get(result.handoff_reason, result.handoff_reason)
            context["threshold"] = settings.SUPPORTDESK_TIER0_MIN_CONFIDENCE
        return TemplateResponse(request, "admin/copilot/contentgap/try_question.html", context)
