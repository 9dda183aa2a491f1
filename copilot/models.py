from __future__ import annotations

from django.db import models


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
