"""/api/v1/ingest/: queue a file, read a job."""

from django.urls import path

from ingest import api

urlpatterns = [
    path("", api.IngestView.as_view(), name="ingest"),
    path("<int:job_id>/", api.IngestionJobView.as_view(), name="ingestion-job"),
]
