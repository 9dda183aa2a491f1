"""Outcome figures of the empathy tier."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from escalation.actions.recovery import FOLLOW_UP_DAYS
from escalation.models import RecoveryFollowUp


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
