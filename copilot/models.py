from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ModelCall(models.Model):
    """An audit record of one call to a generative model provider."""

    class Outcome(models.TextChoices):
        OK = "ok", "ok"
        TIMEOUT = "timeout", "timeout"
        ERROR = "error", "error"
        REJECTED = "rejected", "rejected by the grounding check"

    feature = models.CharField(max_length=50)
    provider = models.CharField(max_length=50)
    model = models.CharField(max_length=200)
    latency_ms = models.PositiveIntegerField()
    input_tokens = models.PositiveIntegerField(null=True, blank=True)
    output_tokens = models.PositiveIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # Failure rates per feature on the outcomes dashboard.
            models.Index(fields=["feature", "-created_at"], name="modelcall_feature_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.feature} {self.model} {self.outcome}"


class AnswerFeedback(models.Model):
    """A customer's verdict on one AI answer; "not helpful" answers feed the content gaps."""

    message = models.ForeignKey(
        "tickets.Message", on_delete=models.CASCADE, related_name="feedback", verbose_name=_("answer")
    )
    helpful = models.BooleanField(_("helpful"))
    created_at = models.DateTimeField(_("given at"), auto_now_add=True)

    class Meta:
        verbose_name = _("answer feedback")
        verbose_name_plural = _("answer feedback")
        constraints = [models.UniqueConstraint(fields=["message"], name="answer_feedback_message_unique")]
        indexes = [
            # The not-helpful answers of recent weeks that the content gaps read.
            models.Index(fields=["helpful", "-created_at"], name="answer_feedback_helpful_idx"),
        ]

    def __str__(self) -> str:
        return f"message {self.message_id}: {'helpful' if self.helpful else 'not helpful'}"


class ReverificationItem(models.Model):
    """A message that quoted an article's old text, listed after a new version was published,
    so someone checks that what the customer was told still holds."""

    class Status(models.TextChoices):
        PENDING = "pending", _("To check")
        VERIFIED = "verified", _("Checked")
        SUPERSEDED = "superseded", _("Superseded by a newer version")

    conversation = models.ForeignKey(
        "tickets.Conversation", on_delete=models.CASCADE, related_name="+", verbose_name=_("conversation")
    )
    # The AI answer or the agent reply that quoted the old text.
    message = models.ForeignKey("tickets.Message", on_delete=models.CASCADE, related_name="+", verbose_name=_("answer"))
    article = models.ForeignKey(
        "knowledge.Article", on_delete=models.CASCADE, related_name="+", verbose_name=_("article")
    )
    old_version = models.ForeignKey(
        "knowledge.ArticleVersion", on_delete=models.CASCADE, related_name="+", verbose_name=_("quoted version")
    )
    new_version = models.ForeignKey(
        "knowledge.ArticleVersion", on_delete=models.CASCADE, related_name="+", verbose_name=_("new version")
    )
    answered_at = models.DateTimeField(_("answered at"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    # The internal note that flagged a still-open conversation for its agent.
    flag_note = models.ForeignKey(
        "tickets.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("note to the agent"),
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("checked by"),
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    created_at = models.DateTimeField(_("listed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("re-verification item")
        verbose_name_plural = _("re-verification queue")
        constraints = [
            models.UniqueConstraint(fields=["message", "new_version"], name="reverification_message_version_unique")
        ]
        indexes = [
            # The queue: answers still to check, the newest first.
            models.Index(fields=["status", "-answered_at"], name="reverification_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"message {self.message_id}: version {self.old_version_id} to {self.new_version_id}"


class ContentGap(models.Model):
    """A group of customer questions, alike in meaning, that the knowledge base did not answer."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DISMISSED = "dismissed", _("Dismissed")
        ARTICLE_CREATED = "article_created", _("Article created")

    # The question closest to the group's centre.
    label = models.CharField(_("question"), max_length=300)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    question_count = models.PositiveIntegerField(_("questions"), default=0)
    # {"en": 4, "ar": 2}
    languages = models.JSONField(_("languages"), default=dict)
    # Questions asked in each of the last weeks, the oldest week first.
    weekly_counts = models.JSONField(_("questions per week"), default=list)
    # Up to ten of its questions, the most typical first.
    examples = models.JSONField(_("examples"), default=list)
    first_asked_at = models.DateTimeField(_("first asked"), null=True, blank=True)
    last_asked_at = models.DateTimeField(_("last asked"), null=True, blank=True)
    article = models.ForeignKey(
        "knowledge.Article",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("article"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("content gap")
        verbose_name_plural = _("content gaps")
        ordering = ["-question_count", "-last_asked_at"]

    def __str__(self) -> str:
        return self.label


class GapQuestion(models.Model):
    """A customer question the AI handed off for low confidence or whose answer was marked
    not helpful."""

    class Reason(models.TextChoices):
        LOW_CONFIDENCE = "low_confidence", _("The AI was not confident")
        NO_KNOWLEDGE = "no_knowledge", _("No published knowledge matched")
        NOT_HELPFUL = "not_helpful", _("The customer marked the answer not helpful")

    message = models.OneToOneField(
        "tickets.Message", on_delete=models.CASCADE, related_name="+", verbose_name=_("question")
    )
    text = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=10)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    asked_at = models.DateTimeField(_("asked at"))
    gap = models.ForeignKey(
        ContentGap,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="questions",
        verbose_name=_("content gap"),
    )

    class Meta:
        verbose_name = _("gap question")
        verbose_name_plural = _("gap questions")
        indexes = [
            # The recent questions that the clustering reads.
            models.Index(fields=["asked_at"], name="gap_question_asked_idx"),
        ]

    def __str__(self) -> str:
        return self.text[:60]
