from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Article(models.Model):
    """A piece of knowledge; its text lives in immutable `ArticleVersion` rows."""

    class Kind(models.TextChoices):
        FAQ = "faq", _("FAQ")
        SOP = "sop", _("SOP")
        POLICY = "policy", _("Policy")
        HOW_TO = "how-to", _("How-to")

    class Audience(models.TextChoices):
        CUSTOMER = "customer", _("Customer-facing")
        INTERNAL = "internal", _("Internal")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=220, unique=True, allow_unicode=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.FAQ)
    audience = models.CharField(_("audience"), max_length=10, choices=Audience.choices, default=Audience.CUSTOMER)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    language = models.CharField(_("language"), max_length=10, default="en")
    category = models.CharField(_("category"), max_length=100, blank=True)
    # A topic that only a person may handle: Tier 0 hands off instead of answering from it.
    human_only = models.BooleanField(_("human only"), default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_articles",
        verbose_name=_("owner"),
    )
    # Where the article came from (an import path or a CSV row key); re-imports update by it.
    external_ref = models.CharField(_("external reference"), max_length=300, null=True, blank=True, unique=True)
    # People who check the text before it is published, beside the owner.
    reviewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="reviewed_articles", verbose_name=_("reviewers")
    )
    review_interval_days = models.PositiveIntegerField(_("review interval (days)"), default=180)
    last_reviewed_at = models.DateTimeField(_("last reviewed"), null=True, blank=True)
    # last_reviewed_at + review_interval_days, kept by the actions so the stale list is one
    # indexed query; null while the article has never been published or reviewed.
    review_due_at = models.DateTimeField(_("review due"), null=True, blank=True)
    published_version = models.ForeignKey(
        "ArticleVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("published version"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["title"]
        permissions = [("publish_article", _("Can publish and retire articles"))]
        indexes = [
            # The set of answerable articles that retrieval loads.
            models.Index(fields=["status", "audience"], name="article_status_audience_idx"),
            # The stale list: published articles whose review date has passed.
            models.Index(fields=["status", "review_due_at"], name="article_review_due_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class ArticleVersion(models.Model):
    """One immutable text of an article; answers cite the version they quoted."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    # Ways customers ask the question this version answers; retrieval matches against them.
    example_questions = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["article_id", "number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="article_version_number_unique")]

    def __str__(self) -> str:
        return f"{self.title} v{self.number}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError(f"ArticleVersion {self.pk} is immutable; create a new version instead of editing it.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class Chunk(models.Model):
    """A passage of a version, the unit that retrieval scores and answers quote."""

    version = models.ForeignKey(ArticleVersion, on_delete=models.CASCADE, related_name="chunks")
    ordinal = models.PositiveIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["version_id", "ordinal"]
        constraints = [models.UniqueConstraint(fields=["version", "ordinal"], name="chunk_ordinal_unique")]

    def __str__(self) -> str:
        return f"{self.version} passage {self.ordinal}"


class IndexState(models.Model):
    """A single row whose generation grows whenever the answerable knowledge changes.

    Each process compares it with the generation its in-memory keyword index and Chroma
    client were built at, and reloads them when it moved.
    """

    generation = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"knowledge generation {self.generation}"


class StaleArticle(Article):
    """Published articles past their review date; a separate admin list for knowledge managers."""

    class Meta:
        proxy = True
        verbose_name = _("stale article")
        verbose_name_plural = _("stale articles")


class ImportRun(models.Model):
    """One run of an importer over one or more sources, with what it did to each item."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        PARTIAL = "partial", _("Succeeded with rejected items")
        FAILED = "failed", _("Failed: nothing imported")

    sources = models.JSONField(_("sources"), default=list)
    publish = models.BooleanField(_("publish"), default=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    # The structural problem that stopped a failed run.
    error = models.TextField(_("error"), blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("started by"),
    )
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.status})"


class ImportRejection(models.Model):
    """An item an import run left out, and why."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="rejections", verbose_name=_("run"))
    # The file and the line, row, subflow or thread the item came from.
    source = models.CharField(_("source"), max_length=500)
    external_ref = models.CharField(_("external reference"), max_length=300, blank=True)
    reason = models.TextField(_("reason"))

    class Meta:
        verbose_name = _("rejected item")
        verbose_name_plural = _("rejected items")
        ordering = ["run_id", "id"]

    def __str__(self) -> str:
        return f"{self.source}: {self.reason[:60]}"
