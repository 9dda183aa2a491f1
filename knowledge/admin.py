"""Django admin for knowledge managers: articles are edited here, and every save of new text
becomes a new immutable version through the knowledge actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from knowledge import actions
from knowledge.models import Article, ArticleVersion


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
        fields = ["kind", "audience", "language", "category", "human_only", "owner", "review_interval_days"]

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
    fields = ("number", "title", "created_by", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    form = ArticleForm
    list_display = ["title", "kind", "audience", "status", "language", "category", "human_only", "owner", "updated_at"]
    list_filter = ["status", "kind", "audience", "language", "human_only"]
    search_fields = ["title", "category", "external_ref"]
    readonly_fields = ["status", "published_version", "external_ref", "slug"]
    inlines = [VersionInline]
    actions = ["publish_latest", "retire"]

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
        if form.cleaned_data["publish_now"]:
            version = Article.objects.get(pk=obj.pk).versions.order_by("-number").first()
            assert version is not None
            actions.do_publish_version(version, acting_user=request.user)
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Versions are written by the actions in save_model; the inline is read-only.
        pass

    @admin.action(description=_("Publish the latest version"))
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

    @admin.action(description=_("Retire: remove from answers at once"))
    def retire(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        count = 0
        for article in queryset:
            actions.do_retire_article(article, acting_user=request.user)
            count += 1
        self.message_user(
            request,
            ngettext("Retired %(count)d article.", "Retired %(count)d articles.", count) % {"count": count},
            messages.SUCCESS,
        )


@admin.register(ArticleVersion)
class ArticleVersionAdmin(admin.ModelAdmin):
    list_display = ["article", "number", "title", "created_by", "created_at"]
    readonly_fields = ["article", "number", "title", "body", "example_questions", "created_by", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
