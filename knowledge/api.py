"""REST API for knowledge articles and their versions.

Every request needs a model permission: viewing needs knowledge.view_article, creating
knowledge.add_article, editing, submitting for review and marking reviewed
knowledge.change_article, and publishing and retiring knowledge.publish_article. Anyone
else gets 403. Articles are never deleted through the API: retire them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from knowledge import actions
from knowledge.diff import diff_versions
from knowledge.models import Article, ArticleVersion
from supportdesk.errors import InvalidInput


class ArticlePermission(BasePermission):
    """Map each view action to the model permission it needs."""

    required = {
        "list": "knowledge.view_article",
        "retrieve": "knowledge.view_article",
        "versions": "knowledge.view_article",
        "diff": "knowledge.view_article",
        "create": "knowledge.add_article",
        "update": "knowledge.change_article",
        "partial_update": "knowledge.change_article",
        "submit_for_review": "knowledge.change_article",
        "mark_reviewed": "knowledge.change_article",
        "publish": "knowledge.publish_article",
        "retire": "knowledge.publish_article",
    }

    def has_permission(self, request: Request, view: Any) -> bool:
        needed = self.required.get(getattr(view, "action", "") or "")
        user = request.user
        return bool(needed and user and user.is_authenticated and user.has_perm(needed))


class VersionPermission(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("knowledge.view_article"))


class VersionSerializer(serializers.ModelSerializer):
    created_by: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ArticleVersion
        fields = ["id", "article", "number", "title", "body", "example_questions", "created_by", "created_at"]
        read_only_fields = fields


class ArticleSerializer(serializers.ModelSerializer):
    """An article as read; `published_version` and `latest_version` are version numbers."""

    owner: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="username", read_only=True)
    reviewers: Any = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)
    published_version = serializers.SerializerMethodField()
    latest_version = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = [
            "id",
            "title",
            "slug",
            "kind",
            "audience",
            "status",
            "language",
            "category",
            "human_only",
            "owner",
            "reviewers",
            "review_interval_days",
            "last_reviewed_at",
            "review_due_at",
            "external_ref",
            "published_version",
            "latest_version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_published_version(self, article: Article) -> int | None:
        return article.published_version.number if article.published_version else None

    def get_latest_version(self, article: Article) -> int | None:
        return article.versions.order_by("-number").values_list("number", flat=True).first()


class ArticleWriteSerializer(serializers.Serializer):
    """The fields a client sends. Title, body and example questions make a new version when
    they differ from the latest one; the rest are the article's settings."""

    title = serializers.CharField(max_length=200)
    body = serializers.CharField()
    example_questions = serializers.ListField(child=serializers.CharField(max_length=500), required=False)
    kind = serializers.ChoiceField(choices=Article.Kind.choices, required=False)
    audience = serializers.ChoiceField(choices=Article.Audience.choices, required=False)
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)
    category = serializers.CharField(max_length=100, required=False, allow_blank=True)
    human_only = serializers.BooleanField(required=False)
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.all(), required=False, allow_null=True
    )
    reviewers = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.all(), many=True, required=False
    )
    review_interval_days = serializers.IntegerField(min_value=1, max_value=3650, required=False)


class PublishSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, required=False, help_text="version number; the latest by default")


SETTING_NAMES = ["kind", "audience", "language", "category", "human_only", "owner", "reviewers", "review_interval_days"]


class ArticleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ArticleSerializer
    permission_classes = [ArticlePermission]

    def get_queryset(self) -> QuerySet[Article]:
        queryset = Article.objects.select_related("owner", "published_version").prefetch_related("reviewers")
        for name in ("status", "kind", "audience", "language"):
            value = self.request.query_params.get(name)
            if value:
                queryset = queryset.filter(**{name: value})
        return queryset.order_by("pk")

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action in {"create", "update", "partial_update"}:
            return ArticleWriteSerializer
        return ArticleSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ArticleWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        article = actions.do_create_article(
            title=data.pop("title"),
            body=data.pop("body"),
            example_questions=data.pop("example_questions", []),
            acting_user=request.user,
            **data,
        )
        return Response(ArticleSerializer(article).data, status=201)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        article = self.get_object()
        partial = kwargs.get("partial", False)
        serializer = ArticleWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)

        settings_fields = {name: data[name] for name in SETTING_NAMES if name in data}
        if settings_fields:
            article = actions.do_update_article_settings(article, acting_user=request.user, **settings_fields)
        latest = article.versions.order_by("-number").first()
        assert latest is not None
        text = (
            data.get("title", latest.title),
            data.get("body", latest.body),
            data.get("example_questions", latest.example_questions),
        )
        if text != (latest.title, latest.body, latest.example_questions):
            actions.do_add_version(
                article, title=text[0], body=text[1], example_questions=text[2], acting_user=request.user
            )
        article.refresh_from_db()
        return Response(ArticleSerializer(article).data)

    @action(detail=True, methods=["get"])
    def versions(self, request: Request, pk: str | None = None) -> Response:
        article = self.get_object()
        return Response(VersionSerializer(article.versions.order_by("number"), many=True).data)

    @action(detail=True, methods=["get"])
    def diff(self, request: Request, pk: str | None = None) -> Response:
        """Word-level changes between versions `from` and `to` (numbers; default the last two)."""
        article = self.get_object()
        numbers = list(article.versions.order_by("number").values_list("number", flat=True))
        try:
            new_number = int(request.query_params.get("to") or numbers[-1])
            old_number = int(request.query_params.get("from") or max(new_number - 1, 1))
        except ValueError as error:
            raise InvalidInput(
                _("The version numbers from and to must be whole numbers, such as from=1&to=2."),
                code="invalid_version_number",
            ) from error
        old = article.versions.filter(number=old_number).first()
        new = article.versions.filter(number=new_number).first()
        if old is None or new is None:
            raise InvalidInput(
                _("Article %(id)s has versions %(numbers)s; choose from and to among them.")
                % {"id": article.pk, "numbers": ", ".join(str(number) for number in numbers)},
                code="unknown_version",
            )
        changes = diff_versions(old, new)
        return Response(
            {
                "from": old.number,
                "to": new.number,
                "title": [{"op": segment.op, "text": segment.text} for segment in changes.title],
                "body": [{"op": segment.op, "text": segment.text} for segment in changes.body],
                "questions_added": changes.questions_added,
                "questions_removed": changes.questions_removed,
            }
        )

    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        article = self.get_object()
        serializer = PublishSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        number = serializer.validated_data.get("version")
        versions = article.versions.order_by("-number")
        version = versions.filter(number=number).first() if number else versions.first()
        if version is None:
            raise InvalidInput(
                _("Article %(id)s has no version %(number)s; list its versions to choose one.")
                % {"id": article.pk, "number": number},
                code="unknown_version",
            )
        article = actions.do_publish_version(version, acting_user=request.user)
        return Response(ArticleSerializer(article).data)

    @action(detail=True, methods=["post"])
    def retire(self, request: Request, pk: str | None = None) -> Response:
        article = actions.do_retire_article(self.get_object(), acting_user=request.user)
        return Response(ArticleSerializer(article).data)

    @action(detail=True, methods=["post"], url_path="submit-for-review")
    def submit_for_review(self, request: Request, pk: str | None = None) -> Response:
        article = actions.do_submit_for_review(self.get_object(), acting_user=request.user)
        return Response(ArticleSerializer(article).data)

    @action(detail=True, methods=["post"], url_path="mark-reviewed")
    def mark_reviewed(self, request: Request, pk: str | None = None) -> Response:
        article = actions.do_mark_reviewed(self.get_object(), acting_user=request.user)
        return Response(ArticleSerializer(article).data)


class VersionViewSet(viewsets.ReadOnlyModelViewSet):
    """Immutable versions, all articles; filter with ?article=<id>."""

    serializer_class = VersionSerializer
    permission_classes = [VersionPermission]

    def get_queryset(self) -> QuerySet[ArticleVersion]:
        queryset = ArticleVersion.objects.select_related("created_by").order_by("article_id", "number")
        article_id = self.request.query_params.get("article")
        if article_id:
            if not article_id.isdigit():
                raise InvalidInput(
                    _("The article filter must be an article id, such as ?article=12."), code="invalid_filter"
                )
            get_object_or_404(Article, pk=int(article_id))
            queryset = queryset.filter(article_id=int(article_id))
        return queryset
