"""IngestionJob: one row per attempt to turn a file into catalogue records, visible to stewards in the admin."""

from django.conf import settings
from django.db import models


class IngestionJob(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        SUCCEEDED = "succeeded", "succeeded"
        FAILED = "failed", "failed"

    class Outcome(models.TextChoices):
        NONE = "", "—"
        CREATED = "created", "dataset created"
        UPDATED = "updated", "dataset updated"

    class Trigger(models.TextChoices):
        COMMAND = "command", "manage.py ingest"
        API = "api", "REST API"
        WATCH = "watch", "watched folder"
        ADMIN = "admin", "admin action"

    path = models.CharField(max_length=4096, help_text="The master file, as given.")
    source_folder = models.CharField(max_length=4096, help_text="Links may not leave it; pids hash paths below it.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.NONE, blank=True)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.COMMAND)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dataset = models.ForeignKey(
        "catalogue.Dataset", null=True, blank=True, on_delete=models.SET_NULL, related_name="ingestion_jobs"
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, help_text="Why the file could not be ingested.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "created_at"], name="ingestion_job_state"),
            models.Index(fields=["path"], name="ingestion_job_path"),
        ]

    def __str__(self) -> str:
        return f"{self.path} ({self.state})"

    @property
    def duration(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None
