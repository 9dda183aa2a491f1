"""Outcome figures of the empathy tier and of silent-copilot drafts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Avg, Count, Q
from django.utils import timezone

from escalation.actions.recovery import FOLLOW_UP_DAYS
from escalation.models import RecoveryFollowUp, SilentDraftScore


@dataclass(frozen=True)
class RecoveryRate:
    days: int
    # Follow-ups of closed cases answered so far, and those that found the customer active.
    answered: int
    active: int

    @property
    def rate(self) -> float | None:
        """Share of answered follow-ups whose customer is still active; None before any answer."""
        return self.active / self.answered if self.answered else None


def recovery_rates() -> list[RecoveryRate]:
    """Return the recovery rate at each follow-up point (30 and 90 days after closing)."""
    counts = {
        row["days"]: row
        for row in RecoveryFollowUp.objects.filter(status=RecoveryFollowUp.Status.ANSWERED)
        .values("days")
        .annotate(answered=Count("id"), active=Count("id", filter=Q(still_active=True)))
    }
    return [
        RecoveryRate(days, counts.get(days, {}).get("answered", 0), counts.get(days, {}).get("active", 0))
        for days in FOLLOW_UP_DAYS
    ]


@dataclass(frozen=True)
class DraftAgreement:
    """Agreement of silent-copilot drafts with the agents' replies over a period."""

    drafts_scored: int
    agreed: int
    # Means over the scores that have the value; None when there are none.
    mean_semantic_similarity: float | None
    mean_text_similarity: float | None

    @property
    def agreement_rate(self) -> float | None:
        """Share of scored drafts the agent's reply agreed with; None before any score."""
        return self.agreed / self.drafts_scored if self.drafts_scored else None

    def as_json(self) -> dict[str, float | int | None]:
        return {
            "drafts_scored": self.drafts_scored,
            "agreement_rate": self.agreement_rate,
            "mean_semantic_similarity": self.mean_semantic_similarity,
            "mean_text_similarity": self.mean_text_similarity,
        }


def draft_agreement(*, days: int = 30, channel: str | None = None) -> DraftAgreement:
    """Summarise the silent draft scores of the last `days` days, of one channel or all."""
    scores = SilentDraftScore.objects.filter(created_at__gte=timezone.now() - timedelta(days=days))
    if channel is not None:
        scores = scores.filter(channel=channel)
    row = scores.aggregate(
        drafts_scored=Count("id"),
        agreed=Count("id", filter=Q(agreed=True)),
        mean_semantic_similarity=Avg("semantic_similarity"),
        mean_text_similarity=Avg("text_similarity"),
    )
    return DraftAgreement(**row)
