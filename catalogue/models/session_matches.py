"""Suggested links from an ingestion-made session proposal to the user office's real proposal, for a steward."""

from django.conf import settings
from django.db import models


class SessionMatch(models.Model):
    class State(models.TextChoices):
        SUGGESTED = "suggested", "suggested"
        CONFIRMED = "confirmed", "confirmed"
        DISMISSED = "dismissed", "dismissed"

    session = models.ForeignKey("catalogue.Document", on_delete=models.CASCADE, related_name="proposal_matches")
    proposal = models.ForeignKey("catalogue.Document", on_delete=models.CASCADE, related_name="session_matches")
    state = models.CharField(max_length=10, choices=State.choices, default=State.SUGGESTED)
    reason = models.CharField(max_length=255, help_text="Why it was suggested: instrument and dates.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["state", "-created_at"]
        verbose_name_plural = "session matches"
        constraints = [models.UniqueConstraint(fields=["session", "proposal"], name="session_match_unique")]

    def __str__(self) -> str:
        return f"{self.session.pid} → {self.proposal.proposal_number} ({self.state})"
