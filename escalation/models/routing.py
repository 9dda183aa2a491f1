"""Intents, channel AI modes, routing rules and the assessments they read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from escalation.models.queues import Priority, Queue
from tickets.models import Conversation

if TYPE_CHECKING:
    # Installed with django-stubs for type checking only.
    from django_stubs_ext import StrOrPromise


def split_list(value: str) -> list[str]:
    """Split a comma- or newline-separated admin field into trimmed, non-empty items."""
    return [item.strip() for item in value.replace("\n", ",").split(",") if item.strip()]


class Intent(models.Model):
    """A customer goal, with example phrases that train the intent classifier."""

    name = models.SlugField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    # Conversations with this intent always go to a person, however confident the AI is.
    human_only = models.BooleanField(_("people only"), default=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("intent")
        verbose_name_plural = _("intents")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class IntentExample(models.Model):
    intent = models.ForeignKey(Intent, on_delete=models.CASCADE, related_name="examples", verbose_name=_("intent"))
    text = models.CharField(_("text"), max_length=500)
    language = models.CharField(_("language"), max_length=10, default="en")

    class Meta:
        verbose_name = _("intent example")
        verbose_name_plural = _("intent examples")
        constraints = [models.UniqueConstraint(fields=["intent", "text"], name="intent_example_unique")]

    def __str__(self) -> str:
        return self.text


class AIMode(models.TextChoices):
    OFF = "off", _("Off: people answer everything")
    SILENT_COPILOT = "silent_copilot", _("Silent copilot: AI drafts for agents only")
    TRIAGE_WALL = "triage_wall", _("Triage wall: AI answers first, a person is always offered")
    AI_FIRST = "ai_first", _("AI first: AI answers, with proactive outreach")


# Short mode names for titles, where the explanation in each choice label is too long.
AI_MODE_NAMES: dict[str, StrOrPromise] = {
    AIMode.OFF: _("Off"),
    AIMode.SILENT_COPILOT: _("Silent copilot"),
    AIMode.TRIAGE_WALL: _("Triage wall"),
    AIMode.AI_FIRST: _("AI first"),
}


class ChannelSettings(models.Model):
    """The AI rollout stage of one channel. A channel without a row runs in `DEFAULT_MODE`."""

    # AI answering was the desk's only behaviour before modes existed, so channels keep it.
    DEFAULT_MODE = AIMode.AI_FIRST

    channel = models.CharField(_("channel"), max_length=10, choices=Conversation.Channel.choices, unique=True)
    ai_mode = models.CharField(_("AI mode"), max_length=20, choices=AIMode.choices, default=DEFAULT_MODE)
    # Customers not seen for this many days become outreach work, in AI-first mode only.
    outreach_inactive_days = models.PositiveSmallIntegerField(_("outreach after inactive days"), default=14)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("channel settings")
        verbose_name_plural = _("channel settings")

    def __str__(self) -> str:
        # Translators: a channel and its AI mode, as in "Live chat: Silent copilot".
        return gettext("%(channel)s: %(mode)s") % {
            "channel": self.get_channel_display(),
            "mode": AI_MODE_NAMES.get(self.ai_mode, self.ai_mode),
        }


class RoutingRule(models.Model):
    """An ordered rule: when every filled condition matches, its actions apply.

    Empty conditions match anything. Rules run by `position`, and the first match decides.
    A match with `continue_matching` lets later matches add tags and fill the actions it
    left empty.
    """

    class VIP(models.TextChoices):
        ANY = "", _("Any customer")
        YES = "yes", _("VIP only")
        NO = "no", _("Not VIP")

    position = models.PositiveIntegerField(_("position"), default=100)
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)

    channels = models.CharField(
        _("channels"), max_length=200, blank=True, help_text=_("Comma-separated, e.g. chat, email.")
    )
    intents = models.CharField(_("intents"), max_length=500, blank=True, help_text=_("Comma-separated intent names."))
    languages = models.CharField(_("languages"), max_length=50, blank=True, help_text=_("Comma-separated: en, ar."))
    sentiment_labels = models.CharField(
        _("sentiment"), max_length=50, blank=True, help_text=_("Comma-separated: negative, neutral, positive.")
    )
    min_churn_risk = models.FloatField(_("churn risk at least"), null=True, blank=True, help_text=_("From 0 to 1."))
    plans = models.CharField(
        _("plans"), max_length=200, blank=True, help_text=_("Comma-separated values of the customer's plan attribute.")
    )
    vip = models.CharField(_("VIP"), max_length=3, choices=VIP.choices, blank=True, default=VIP.ANY)
    min_lifetime_value = models.DecimalField(
        _("lifetime value at least"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    max_ai_confidence = models.FloatField(
        _("AI confidence below"),
        null=True,
        blank=True,
        help_text=_("From 0 to 1; matches only when the AI tried an answer with a lower confidence."),
    )
    keywords = models.CharField(
        _("keywords"),
        max_length=500,
        blank=True,
        help_text=_("Comma-separated; matches when the message contains any of them, ignoring case."),
    )

    set_tier = models.PositiveSmallIntegerField(
        _("set tier"), null=True, blank=True, choices=[(0, _("Tier 0")), (1, _("Tier 1")), (2, _("Tier 2"))]
    )
    set_queue = models.ForeignKey(
        Queue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("set queue")
    )
    set_priority = models.CharField(_("set priority"), max_length=10, choices=Priority.choices, blank=True)
    add_tags = models.CharField(_("add tags"), max_length=200, blank=True, help_text=_("Comma-separated."))
    continue_matching = models.BooleanField(_("continue with later rules"), default=False)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["position", "id"]
        indexes = [
            # The policy loads active rules in order for every customer message.
            models.Index(fields=["active", "position"], name="routingrule_order_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        unknown_channels = set(split_list(self.channels)) - set(Conversation.Channel.values)
        if unknown_channels:
            errors["channels"] = _("Unknown channel(s): %(names)s.") % {"names": ", ".join(sorted(unknown_channels))}
        unknown_labels = set(split_list(self.sentiment_labels)) - {"negative", "neutral", "positive"}
        if unknown_labels:
            errors["sentiment_labels"] = _("Unknown sentiment label(s): %(names)s.") % {
                "names": ", ".join(sorted(unknown_labels))
            }
        for field in ("min_churn_risk", "max_ai_confidence"):
            value = getattr(self, field)
            if value is not None and not 0 <= value <= 1:
                errors[field] = _("Enter a number from 0 to 1.")
        if errors:
            raise ValidationError(errors)


class MessageAssessment(models.Model):
    """Sentiment, churn risk and intent of one customer message, with the signals behind them."""

    message = models.OneToOneField(
        "tickets.Message", on_delete=models.CASCADE, related_name="assessment", verbose_name=_("message")
    )
    language = models.CharField(_("language"), max_length=10)
    # Compound sentiment in [-1, 1].
    sentiment = models.FloatField(_("sentiment"))
    sentiment_label = models.CharField(_("sentiment label"), max_length=10)
    sarcasm = models.BooleanField(_("sarcasm"), default=False)
    # Estimated risk in [0, 1] that the customer leaves.
    churn_risk = models.FloatField(_("churn risk"))
    # Codes of `copilot.sentiment.Signal`, such as "threat_to_leave".
    signals = models.JSONField(_("signals"), default=list)
    intent = models.CharField(_("intent"), max_length=100, blank=True)
    intent_confidence = models.FloatField(_("intent confidence"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("message assessment")
        verbose_name_plural = _("message assessments")

    def __str__(self) -> str:
        from copilot.sentiment import display_word

        return gettext("Message %(id)s: %(sentiment)s, churn risk %(risk).2f") % {
            "id": self.message_id,
            "sentiment": display_word(self.sentiment_label),
            "risk": self.churn_risk,
        }


class ConversationRouting(models.Model):
    """A conversation's latest assessment and routing decision."""

    conversation = models.OneToOneField(
        "tickets.Conversation", on_delete=models.CASCADE, related_name="routing", verbose_name=_("conversation")
    )
    intent = models.CharField(_("intent"), max_length=100, blank=True)
    intent_confidence = models.FloatField(_("intent confidence"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=10, default="en")
    # The latest message's sentiment, the trend over the conversation, and the highest churn
    # risk any message of the current episode reached.
    sentiment = models.FloatField(_("sentiment"), null=True, blank=True)
    sentiment_label = models.CharField(_("sentiment label"), max_length=10, blank=True)
    sentiment_trend = models.CharField(_("sentiment trend"), max_length=10, blank=True)
    # The latest customer messages' sentiment scores, oldest first, from which the trend is read.
    sentiment_scores = models.JSONField(_("sentiment scores"), default=list)
    churn_risk = models.FloatField(_("churn risk"), default=0.0)
    signals = models.JSONField(_("signals"), default=list)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    tags = models.JSONField(_("tags"), default=list)
    rules = models.ManyToManyField(RoutingRule, blank=True, related_name="+", verbose_name=_("routing rules"))
    decided_tier = models.PositiveSmallIntegerField(_("decided tier"), null=True, blank=True)
    decision_reason = models.CharField(_("decision reason"), max_length=30, blank=True)
    # A customer's return to a resolved conversation starts a new episode; the unresolved
    # AI turns are counted within one episode only.
    episode_started_at = models.DateTimeField(_("episode started at"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("conversation routing")
        verbose_name_plural = _("conversation routings")

    def __str__(self) -> str:
        return gettext("Routing of conversation %(id)s") % {"id": self.conversation_id}
