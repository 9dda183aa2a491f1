"""Django admin for knowledge managers: articles are edited here, and every save of new text
becomes a new immutable version through the knowledge actions. The audit pages for stale
articles, duplicates and contradictions, version differences and import runs live here too.
Content gaps, "try a question" and the re-verification queue read conversations, so they
are in the copilot admin."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from knowledge import actions
from knowledge.diff import diff_versions
from knowledge.models import Article, ArticleVersion, ImportRejection, ImportRun, StaleArticle
from knowledge.overlap import overlap_report


class ArticleForm(forms.ModelForm):
    version_title = forms.CharField(label=_("Title"), max_length=200)
    version_body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 16}))
    version_example_questions = forms.CharField(
        label=_("Example questions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One per line: ways customers ask what this article answers."),
    )
    publish_now = forms.BooleanField(label=_("Publish this text now"), required=False)

    class Meta:
        model = Article
        fields = [
            "kind",
            "audience",
            "language",
            "category",
            "human_only",
            "owner",
            "reviewers",
            "review_interval_days",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        latest = self.instance.versions.order_by("-number").first() if self.instance.pk else None
        if latest is not None:
            self.fields["version_title"].initial = latest.title
            self.fields["version_body"].initial = latest.body
            self.fields["version_example_questions"].initial = "\n".join(latest.example_questions)

    def example_questions(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["version_example_questions"].splitlines() if line.strip()]


class VersionInline(admin.TabularInline):
    model = ArticleVersion
    fields = ("number", "title", "created_by", "created_at", "compare")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("Changes"))
    def compare(self, version: ArticleVersion) -> str:
        if version.number <= 1:
            return "–"
        url = reverse("admin:knowledge_article_diff", args=[version.article_id])
        return format_html(
            '<a href="{}?from={}&amp;to={}">{}</a>', url, version.number - 1, version.number, _("Compare")
        )


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleForm
    list_display = [
        "title",
        "kind",
        "audience",
        "status",
        "language",
        "category",
        "human_only",
        "owner",
        "review_due_at",
        "updated_at",
    ]
    list_filter = ["status", "kind", "audience", "language", "human_only"]
    search_fields = ["title", "category", "external_ref"]
    readonly_fields = ["status", "published_version", "external_ref", "slug", "last_reviewed_at", "review_due_at"]
    filter_horizontal = ["reviewers"]
    inlines = [VersionInline]
    actions = ["publish_latest", "retire", "submit_for_review", "mark_reviewed"]

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("knowledge.publish_article")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if not self.has_publish_permission(request):
            # Without the publish permission the checkbox is not offered at all.
            form.base_fields.pop("publish_now", None)
        return form

    def get_urls(self) -> list[URLPattern]:
        audit = [
            path(
                "audit/duplicates/",
                self.admin_site.admin_view(self.duplicates_view),
                name="knowledge_article_duplicates",
            ),
            path("<path:object_id>/diff/", self.admin_site.admin_view(self.diff_view), name="knowledge_article_diff"),
        ]
        return audit + super().get_urls()

    def save_model(self, request: HttpRequest, obj: Article, form: Any, change: bool) -> None:
        title = form.cleaned_data["version_title"]
        body = form.cleaned_data["version_body"]
        questions = form.example_questions()
        settings_fields = {name: form.cleaned_data[name] for name in ArticleForm.Meta.fields}
        if not change:
            article = actions.do_create_article(
                title=title, body=body, example_questions=questions, acting_user=request.user, **settings_fields
            )
            obj.pk = article.pk
        else:
            article = actions.do_update_article_settings(obj, acting_user=request.user, **settings_fields)
            latest = article.versions.order_by("-number").first()
            if latest is None or (latest.title, latest.body, latest.example_questions) != (
                title.strip(),
                body.strip(),
                questions,
            ):
                actions.do_add_version(
                    article, title=title, body=body, example_questions=questions, acting_user=request.user
                )
        if form.cleaned_data.get("publish_now") and self.has_publish_permission(request):
            version = Article.objects.get(pk=obj.pk).versions.order_by("-number").first()
            assert version is not None
            actions.do_publish_version(version, acting_user=request.user)
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Versions and reviewers are written by the actions in save_model; the inline is read-only.
        pass

    @admin.action(description=_("Publish the latest version"), permissions=["publish"])
    def publish_latest(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        count = 0
        for article in queryset:
            version = article.versions.order_by("-number").first()
            if version is not None:
                actions.do_publish_version(version, acting_user=request.user)
                count += 1
        self.message_user(
            request,
            ngettext("Published %(count)d article.", "Published %(count)d articles.", count) % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Retire: remove from answers at once"), permissions=["publish"])
    def retire(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        count = 0
        for article in queryset.exclude(status=Article.Status.RETIRED):
            actions.do_retire_article(article, acting_user=request.user)
            count += 1
        self.message_user(
            request,
            ngettext("Retired %(count)d article.", "Retired %(count)d articles.", count) % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Submit drafts for review"), permissions=["change"])
    def submit_for_review(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        count = 0
        for article in queryset.filter(status=Article.Status.DRAFT):
            actions.do_submit_for_review(article, acting_user=request.user)
            count += 1
        self.message_user(
            request,
            ngettext("Submitted %(count)d article for review.", "Submitted %(count)d articles for review.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Mark reviewed today"), permissions=["change"])
    def mark_reviewed(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        mark_reviewed(self, request, queryset)

    def audit_context(self, request: HttpRequest, title: Any) -> dict[str, Any]:
        return {**self.admin_site.each_context(request), "title": title, "opts": self.opts}

    def duplicates_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise Http404
        report = overlap_report()
        context = {
            **self.audit_context(request, _("Duplicates and contradictions")),
            "report": report,
        }
        return TemplateResponse(request, "admin/knowledge/article/duplicates.html", context)

    def diff_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        article = self.get_object(request, object_id)
        if article is None or not self.has_view_permission(request, article):
            raise Http404
        versions = list(article.versions.order_by("number"))
        numbers = [version.number for version in versions]
        latest = numbers[-1] if numbers else 0
        try:
            new_number = int(request.GET.get("to") or latest)
            old_number = int(request.GET.get("from") or max(new_number - 1, 1))
        except ValueError:
            old_number, new_number = max(latest - 1, 1), latest
        by_number = {version.number: version for version in versions}
        old, new = by_number.get(old_number), by_number.get(new_number)
        context = {
            **self.audit_context(request, _("Changes of %(title)s") % {"title": article.title}),
            "article": article,
            "numbers": numbers,
            "old_number": old_number,
            "new_number": new_number,
            "diff": diff_versions(old, new) if old is not None and new is not None else None,
        }
        return TemplateResponse(request, "admin/knowledge/article/version_diff.html", context)


def mark_reviewed(model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Any]) -> None:
    count = 0
    for article in queryset.exclude(status=Article.Status.RETIRED):
        actions.do_mark_reviewed(article, acting_user=request.user)
        count += 1
    model_admin.message_user(
        request,
        ngettext("Marked %(count)d article reviewed.", "Marked %(count)d articles reviewed.", count) % {"count": count},
        messages.SUCCESS,
    )


@admin.register(StaleArticle)
class StaleArticleAdmin(admin.ModelAdmin):
    """Published articles past their review date, grouped by owner, with "mark reviewed"."""

    list_display = ["article_link", "owner", "review_due_at", "days_overdue", "last_reviewed_at", "kind", "audience"]
    list_display_links = None
    list_filter = [("owner", admin.RelatedOnlyFieldListFilter), "kind", "audience", "language"]
    search_fields = ["title", "category"]
    actions = ["mark_reviewed"]
    change_list_template = "admin/knowledge/stalearticle/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[StaleArticle]:
        return (
            super()
            .get_queryset(request)
            .filter(status=Article.Status.PUBLISHED, review_due_at__lt=timezone.now())
            .select_related("owner")
            .order_by("owner__username", "review_due_at")
        )

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("knowledge.view_article") or super().has_view_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("knowledge.change_article")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("article"), ordering="title")
    def article_link(self, article: StaleArticle) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:knowledge_article_change", args=[article.pk]), article.title
        )

    @admin.display(description=_("days overdue"))
    def days_overdue(self, article: StaleArticle) -> int:
        assert article.review_due_at is not None
        return (timezone.now() - article.review_due_at).days

    @admin.action(description=_("Mark reviewed today"), permissions=["change"])
    def mark_reviewed(self, request: HttpRequest, queryset: QuerySet[StaleArticle]) -> None:
        mark_reviewed(self, request, queryset)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        per_owner: dict[str, int] = {}
        for article in self.get_queryset(request):
            owner = article.owner.get_username() if article.owner else str(_("(no owner)"))
            per_owner[owner] = per_owner.get(owner, 0) + 1
        return super().changelist_view(request, {**(extra_context or {}), "per_owner": sorted(per_owner.items())})


class ImportRejectionInline(admin.TabularInline):
    model = ImportRejection
    fields = ("source", "external_ref", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ["started_at", "status", "source_list", "created", "updated", "unchanged", "rejected", "started_by"]
    list_filter = ["status"]
    readonly_fields = [
        "sources",
        "publish",
        "status",
        "created",
        "updated",
        "unchanged",
        "rejected",
        "error",
        "started_by",
        "started_at",
        "finished_at",
    ]
    inlines = [ImportRejectionInline]

    @admin.display(description=_("sources"))
    def source_list(self, run: ImportRun) -> str:
        return ", ".join(str(source) for source in run.sources)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("knowledge.view_article") or super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ArticleVersion)
class ArticleVersionAdmin(admin.ModelAdmin):
    list_display = ["article", "number", "title", "created_by", "created_at"]
    readonly_fields = ["article", "number", "title", "body", "example_questions", "created_by", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
