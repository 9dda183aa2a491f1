from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Queue(models.Model):
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="support_queues", verbose_name=_("members")
    )
    is_default = models.BooleanField(_("default queue"), default=False)

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")

    def __str__(self) -> str:
        return self.name


class Handoff(models.Model):
    class Reason(models.TextChoices):
        CUSTOMER_REQUEST = "customer_request", _("The customer asked for a person")
        COMPLAINT = "complaint", _("The customer complained")
        LOW_CONFIDENCE = "low_confidence", _("The AI was not confident")
        GROUNDING_FAILED = "grounding_failed", _("The answer failed the grounding check")
        HUMAN_ONLY_TOPIC = "human_only_topic", _("The topic is for people only")
        PROVIDER_FAILED = "provider_failed", _("The model provider failed")
        NO_KNOWLEDGE = "no_knowledge", _("No published knowledge matched")
        AI_OFF = "ai_off", _("AI answers are switched off")

    conversation = models.ForeignKey("tickets.Conversation", on_delete=models.CASCADE, related_name="handoffs")
    from_tier = models.PositiveSmallIntegerField()
    to_tier = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=30, choices=Reason.choices)
    queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # What the agent needs so nobody asks the customer twice: intent, what the AI tried, its
    # sources and confidence, and the customer's messages so far.
    packet = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("handoff")
        verbose_name_plural = _("handoffs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.conversation_id}: tier {self.from_tier} to {self.to_tier} ({self.reason})"
