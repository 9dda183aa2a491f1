"""Scores of silent-copilot drafts against the reply an agent sent after them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tickets.models import Conversation


class SilentDraftScore(models.Model):
    """The similarity of an agent's reply to one silent-copilot draft written before it.

    Each draft is scored once, against the first agent reply that followed it.
    """

    draft = models.OneToOneField(
        "tickets.Message", on_delete=models.CASCADE, related_name="silent_draft_score", verbose_name=_("draft")
    )
    reply = models.ForeignKey(
        "tickets.Message", on_delete=models.CASCADE, related_name="+", verbose_name=_("agent reply")
    )
    customer_message = models.ForeignKey(
        "tickets.Message", on_delete=models.CASCADE, related_name="+", verbose_name=_("customer message")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Conversation.Channel.choices)
    # Cosine of the two texts' sentence embeddings, in [-1, 1]. Null until the encoder has
    # run, and for good when it failed.
    semantic_similarity = models.FloatField(_("semantic similarity"), null=True, blank=True)
    # 1 - Levenshtein distance / length of the longer text, in [0, 1].
    text_similarity = models.FloatField(_("text similarity"))
    agreed = models.BooleanField(_("agreed"))
    created_at = models.DateTimeField(_("scored at"), auto_now_add=True)

    class Meta:
        verbose_name = _("silent draft score")
        verbose_name_plural = _("silent draft scores")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The per-channel summary and `silent_copilot_report`: one channel over the last N days.
            models.Index(fields=["channel", "created_at"], name="silentdraftscore_channel_idx"),
        ]

    def __str__(self) -> str:
        ids = {"draft": self.draft_id, "reply": self.reply_id}
        if self.agreed:
            return gettext("Draft %(draft)s scored against reply %(reply)s: agreed") % ids
        return gettext("Draft %(draft)s scored against reply %(reply)s: not agreed") % ids
