from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Customer(models.Model):
    # The business's own id for a logged-in customer; empty for anonymous chat visitors.
    external_id = models.CharField(_("external id"), max_length=200, null=True, blank=True, unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    locale = models.CharField(_("locale"), max_length=10, default="en")
    # Plan, VIP flag, lifetime value and the like, as the business sends them.
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    identity_verified = models.BooleanField(default=False)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.name or self.email or self.external_id or str(_("customer %(id)s") % {"id": self.pk})


class Conversation(models.Model):
    class Channel(models.TextChoices):
        CHAT = "chat", _("Live chat")
        EMAIL = "email", _("E-mail")
        CALL = "call", _("Call transcript")
        API = "api", _("API")

    class Status(models.TextChoices):
        AI = "ai", _("Answered by AI")
        QUEUED = "queued", _("Waiting for an agent")
        ASSIGNED = "assigned", _("With an agent")
        SNOOZED = "snoozed", _("Snoozed")
        RESOLVED = "resolved", _("Resolved")

    class Tier(models.IntegerChoices):
        INSTANT = 0, _("Tier 0: instant resolution")
        AGENT = 1, _("Tier 1: augmented agent")
        EMPATHY = 2, _("Tier 2: empathy")

    class Resolution(models.TextChoices):
        AI = "ai", _("Resolved by AI")
        AGENT = "agent", _("Resolved by an agent")
        ABANDONED = "abandoned", _("Abandoned")

    # Public id for URLs and the signed chat token; the integer pk never leaves the server.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="conversations")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.CHAT)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.AI)
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier.choices, default=Tier.INSTANT)
    queue = models.ForeignKey(
        "escalation.Queue",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
        verbose_name=_("queue"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
        verbose_name=_("assignee"),
    )
    intent = models.CharField(_("intent"), max_length=100, blank=True)
    # Compound sentiment in [-1, 1]; null until scored.
    sentiment = models.FloatField(_("sentiment"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=10, default="en")
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.CharField(_("resolution"), max_length=10, choices=Resolution.choices, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateTimeField(_("snoozed until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        permissions = [
            ("handle_conversation", _("Can reply to, assign and resolve conversations")),
            ("handle_recovery", _("Can handle Tier 2 recovery conversations")),
            ("view_outcomes", _("Can view the outcomes dashboard")),
        ]
        indexes = [
            # The agents' queue: waiting conversations, oldest first.
            models.Index(fields=["status", "queued_at"], name="conversation_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.public_id}"


class Message(models.Model):
    class AuthorKind(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        AI = "ai", _("AI")
        AGENT = "agent", _("Agent")
        SYSTEM = "system", _("System")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        INTERNAL = "internal", _("Internal note")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    author_kind = models.CharField(max_length=10, choices=AuthorKind.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    text = models.TextField()
    # Made by the customer's client once per message and reused on resends.
    client_message_id = models.CharField(max_length=64, null=True, blank=True)
    # The customer message this one answers; lets a resend find out whether it was answered.
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies")
    # For AI messages: calibrated confidence in [0, 1] and the provider that wrote the text.
    confidence = models.FloatField(null=True, blank=True)
    provider = models.CharField(max_length=100, blank=True)
    cited_versions: models.ManyToManyField = models.ManyToManyField(
        "knowledge.ArticleVersion", through="MessageSource", related_name="cited_by_messages"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "client_message_id"],
                condition=Q(client_message_id__isnull=False),
                name="message_client_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author_kind}: {self.text[:40]}"


class MessageSource(models.Model):
    """An article version an AI message quoted, with the retrieval score it had."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="sources")
    version = models.ForeignKey("knowledge.ArticleVersion", on_delete=models.PROTECT, related_name="+")
    score = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "version"], name="message_source_unique")]

    def __str__(self) -> str:
        return f"message {self.message_id} cites version {self.version_id}"


class AgentProfile(models.Model):
    """An agent's presence and how many conversations they take at once."""

    class Presence(models.TextChoices):
        ONLINE = "online", _("Online")
        AWAY = "away", _("Away")
        OFFLINE = "offline", _("Offline")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile")
    presence = models.CharField(_("presence"), max_length=10, choices=Presence.choices, default=Presence.OFFLINE)
    # Open conversations the agent may hold at once; assignment stops at this number.
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=3)
    presence_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.presence})"


class Draft(models.Model):
    """A reply the copilot drafted for an agent, with the panel built beside it and its fate."""

    class Fate(models.TextChoices):
        PENDING = "pending", _("Not used yet")
        SENT_UNCHANGED = "sent_unchanged", _("Sent unchanged")
        EDITED = "edited", _("Sent after editing")
        DISCARDED = "discarded", _("Discarded")
        STALE = "stale", _("Stale: the conversation moved on")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="drafts")
    # The newest customer message when the draft was built; a later one makes it stale.
    for_message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    # [{"version_id", "title", "audience", "score"}] of the passages the draft quotes.
    sources = models.JSONField(default=list)
    # Summary, sentiment and trend, intent and suggested articles shown in the panel.
    panel = models.JSONField(default=dict)
    provider = models.CharField(max_length=100, blank=True)
    fate = models.CharField(max_length=20, choices=Fate.choices, default=Fate.PENDING)
    # Characters changed between the draft and the sent reply (Levenshtein distance).
    edit_distance = models.PositiveIntegerField(null=True, blank=True)
    sent_message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("draft")
        verbose_name_plural = _("drafts")
        indexes = [
            # The latest draft of a conversation, shown in its copilot panel.
            models.Index(fields=["conversation", "-created_at"], name="draft_latest_idx"),
        ]

    def __str__(self) -> str:
        return f"draft {self.pk} ({self.fate})"
