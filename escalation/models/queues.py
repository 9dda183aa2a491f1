"""Queues, handoffs, business hours and SLA clocks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Queue(models.Model):
    class Assignment(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round-robin")
        LEAST_LOADED = "least_loaded", _("Least loaded")
        MANUAL = "manual", _("Manual (agents pick)")

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="support_queues", verbose_name=_("members")
    )
    is_default = models.BooleanField(_("default queue"), default=False)
    assignment = models.CharField(
        _("assignment"), max_length=20, choices=Assignment.choices, default=Assignment.LEAST_LOADED
    )
    # IANA name; business hours and holidays are read in this zone, timestamps stay in UTC.
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    # The member who got the last round-robin assignment; the next one goes to the member after.
    last_assigned_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("last assigned member"),
    )

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")

    def __str__(self) -> str:
        return self.name


class BusinessHours(models.Model):
    """One opening interval of a queue on one weekday, in the queue's time zone.

    A queue without any rows is open around the clock.
    """

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="business_hours", verbose_name=_("queue"))
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))

    class Meta:
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")
        ordering = ["weekday", "opens_at"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="business_hours_order"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"


class Holiday(models.Model):
    """A local date on which the queue is closed all day."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="holidays", verbose_name=_("queue"))
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["queue", "date"], name="holiday_queue_date_unique")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


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
        SILENT_COPILOT = "silent_copilot", _("The channel's AI only drafts for agents")
        UNRESOLVED_TURNS = "unresolved_turns", _("Two AI answers did not resolve the question")
        CHURN_THREAT = "churn_threat", _("The customer threatened to leave")
        LEGAL = "legal", _("The customer raised a legal or regulator complaint")
        NEGATIVE_SENTIMENT = "negative_sentiment", _("The customer is upset")
        VIP = "vip", _("A VIP customer needs a person")
        ROUTING_RULE = "routing_rule", _("A routing rule sent it to a person")

    conversation = models.ForeignKey(
        "tickets.Conversation", on_delete=models.CASCADE, related_name="handoffs", verbose_name=_("conversation")
    )
    from_tier = models.PositiveSmallIntegerField(_("from tier"))
    to_tier = models.PositiveSmallIntegerField(_("to tier"))
    reason = models.CharField(_("reason"), max_length=30, choices=Reason.choices)
    queue = models.ForeignKey(
        Queue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("queue")
    )
    # What the agent needs so nobody asks the customer twice: intent, what the AI tried, its
    # sources and confidence, and the customer's messages so far.
    packet = models.JSONField(_("handoff packet"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("handoff")
        verbose_name_plural = _("handoffs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return gettext("Conversation %(id)s: tier %(from)s to %(to)s (%(reason)s)") % {
            "id": self.conversation_id,
            "from": self.from_tier,
            "to": self.to_tier,
            "reason": self.get_reason_display(),
        }


class SLAPolicy(models.Model):
    """Response targets for conversations of one priority."""

    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, unique=True)
    first_response_minutes = models.PositiveIntegerField(_("first response target (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution target (minutes)"))
    # Agents are warned this many minutes before a target is breached.
    warn_before_minutes = models.PositiveIntegerField(_("warn before (minutes)"), default=15)
    # When false the clock runs around the clock, ignoring the queue's hours and holidays.
    use_business_hours = models.BooleanField(_("count business hours only"), default=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return str(self.get_priority_display())


class SLATarget(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    RESOLUTION = "resolution", _("Resolution")


class SLAClock(models.Model):
    """The running SLA of one handed-off conversation.

    Elapsed time counts business seconds of the queue's calendar since `started_at`, less
    the business seconds spent waiting on the customer (`paused_business_seconds`, plus the
    current pause when `paused_since` is set). All timestamps are UTC.
    """

    conversation = models.OneToOneField(
        "tickets.Conversation", on_delete=models.CASCADE, related_name="sla_clock", verbose_name=_("conversation")
    )
    policy = models.ForeignKey(SLAPolicy, on_delete=models.PROTECT, related_name="clocks", verbose_name=_("SLA policy"))
    queue = models.ForeignKey(
        Queue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("queue")
    )
    started_at = models.DateTimeField(_("started at"))
    first_responded_at = models.DateTimeField(_("first responded at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    paused_since = models.DateTimeField(_("paused since"), null=True, blank=True)
    paused_business_seconds = models.FloatField(_("paused business seconds"), default=0.0)
    # Due times as last computed; they move while the clock is paused.
    first_response_due_at = models.DateTimeField(_("first response due at"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        indexes = [
            # The breach check scans clocks that are still running.
            models.Index(fields=["resolved_at", "started_at"], name="slaclock_running_idx"),
        ]

    def __str__(self) -> str:
        return gettext("SLA of conversation %(id)s") % {"id": self.conversation_id}


class SLAEvent(models.Model):
    """A warning before, or a record of, a breached SLA target; one of each per target."""

    class Kind(models.TextChoices):
        WARNING = "warning", _("Warning")
        BREACH = "breach", _("Breach")

    clock = models.ForeignKey(SLAClock, on_delete=models.CASCADE, related_name="events", verbose_name=_("SLA clock"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    target = models.CharField(_("target"), max_length=20, choices=SLATarget.choices)
    due_at = models.DateTimeField(_("due at"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("SLA event")
        verbose_name_plural = _("SLA events")
        constraints = [
            models.UniqueConstraint(fields=["clock", "kind", "target"], name="slaevent_once_per_target"),
        ]

    def __str__(self) -> str:
        return gettext("%(kind)s: %(target)s, SLA clock %(clock)s") % {
            "kind": self.get_kind_display(),
            "target": self.get_target_display(),
            "clock": self.clock_id,
        }
