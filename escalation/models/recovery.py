"""Tier 2 recovery cases, their follow-ups, and proactive outreach work."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class RecoveryReason(models.TextChoices):
    CHURN_THREAT = "churn_threat", _("Threat to leave or cancel")
    LEGAL = "legal", _("Legal or regulator complaint")
    VIP = "vip", _("VIP escalation")
    REPEATED_FAILURE = "repeated_failure", _("Repeated unresolved contacts")
    OTHER = "other", _("Other")


class RecoveryPlaybook(models.Model):
    """The checklist a recovery case of one reason starts with."""

    reason = models.CharField(_("reason"), max_length=20, choices=RecoveryReason.choices, unique=True)
    steps = models.TextField(_("steps"), help_text=_("One step per line."))

    class Meta:
        verbose_name = _("recovery playbook")
        verbose_name_plural = _("recovery playbooks")

    def __str__(self) -> str:
        return str(self.get_reason_display())


class RecoveryCase(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Outcome(models.TextChoices):
        RETAINED = "retained", _("Retained")
        DOWNGRADED = "downgraded", _("Downgraded")
        CHURNED = "churned", _("Churned")

    conversation = models.ForeignKey(
        "tickets.Conversation", on_delete=models.CASCADE, related_name="recovery_cases", verbose_name=_("conversation")
    )
    customer = models.ForeignKey(
        "tickets.Customer", on_delete=models.CASCADE, related_name="recovery_cases", verbose_name=_("customer")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=RecoveryReason.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recovery_cases",
        verbose_name=_("owner"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    # [{"step": "Call the customer", "done": false}, ...], copied from the playbook on open.
    checklist = models.JSONField(_("checklist"), default=list, blank=True)
    # The sentiment and churn signals that opened the case.
    trigger = models.JSONField(_("trigger"), default=dict, blank=True)
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recovery case")
        verbose_name_plural = _("recovery cases")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation"], condition=Q(status="open"), name="recoverycase_one_open_per_conversation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.customer}"


class RecoveryNote(models.Model):
    case = models.ForeignKey(
        RecoveryCase, on_delete=models.CASCADE, related_name="notes", verbose_name=_("recovery case")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("author")
    )
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("recovery note")
        verbose_name_plural = _("recovery notes")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.text[:60]


class RecoveryFollowUp(models.Model):
    """A check, some days after a case closed, of whether the customer is still active."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        ASKED = "asked", _("Asked, waiting for the owner")
        ANSWERED = "answered", _("Answered")

    case = models.ForeignKey(
        RecoveryCase, on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("recovery case")
    )
    days = models.PositiveSmallIntegerField(_("days after closing"))
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    still_active = models.BooleanField(_("customer still active"), null=True, blank=True)
    # "activity" when the customer's own activity answered it, "owner" when a person did.
    answered_by = models.CharField(_("answered by"), max_length=10, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recovery follow-up")
        verbose_name_plural = _("recovery follow-ups")
        ordering = ["due_at"]
        constraints = [models.UniqueConstraint(fields=["case", "days"], name="recoveryfollowup_once_per_day_count")]
        indexes = [
            # The daily task picks the scheduled follow-ups that have come due.
            models.Index(fields=["status", "due_at"], name="followup_due_idx"),
        ]

    def __str__(self) -> str:
        return gettext("%(days)s-day follow-up of case %(case)s") % {"days": self.days, "case": self.case_id}


class OutreachTask(models.Model):
    """A customer gone quiet, listed for a success manager to contact."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        DISMISSED = "dismissed", _("Dismissed")

    customer = models.ForeignKey(
        "tickets.Customer", on_delete=models.CASCADE, related_name="outreach_tasks", verbose_name=_("customer")
    )
    channel = models.CharField(_("channel"), max_length=10)
    inactive_days = models.PositiveSmallIntegerField(_("inactive days"))
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outreach_tasks",
        verbose_name=_("owner"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outreach task")
        verbose_name_plural = _("outreach tasks")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(status="open"), name="outreachtask_one_open_per_customer"
            ),
        ]

    def __str__(self) -> str:
        return gettext("Outreach to %(customer)s") % {"customer": self.customer}
