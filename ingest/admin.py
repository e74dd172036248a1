"""Ingestion in the admin: jobs with their reasons and a retry action; a re-run action on datasets."""

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest

from catalogue.admin import DatasetAdmin
from catalogue.models import Dataset
from ingest import services
from ingest.models import IngestionJob


class _JobChangeList(ChangeList):
    def get_filters(self, request: HttpRequest):
        """A year beyond the calendar in the date hierarchy (?created_at__year=9999) is a bad lookup, answered as the
        admin answers others (?e=1), not a server error: Django 5.2 lets it through (ticket #37357, fixed later)."""
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error


@admin.register(IngestionJob)
class IngestionJobAdmin(admin.ModelAdmin):
    list_display = ["path", "state", "outcome", "trigger", "attempts", "dataset", "created_at", "duration", "error"]
    list_filter = ["state", "outcome", "trigger"]
    search_fields = ["path", "error", "dataset__pid"]
    date_hierarchy = "created_at"
    raw_id_fields = ["dataset", "requested_by"]
    readonly_fields = [field.name for field in IngestionJob._meta.fields] + ["duration"]
    actions = ["retry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_changelist(self, request: HttpRequest, **kwargs: object) -> type[ChangeList]:
        return _JobChangeList

    @admin.action(description="Retry ingestion of the selected files", permissions=["change"])
    def retry(self, request: HttpRequest, queryset: QuerySet[IngestionJob]) -> None:
        jobs = [
            services.retry_job(job=job, requested_by=request.user if request.user.is_authenticated else None)
            for job in queryset
        ]
        for job in jobs:
            services.queue_job(job=job)
        self.message_user(request, f"{len(jobs)} ingestion jobs queued.", messages.SUCCESS)


class IngestingDatasetAdmin(DatasetAdmin):
    actions = [*DatasetAdmin.actions, "rerun_ingestion"]

    @admin.action(description="Re-run ingestion of the selected datasets (curated fields are kept)")
    def rerun_ingestion(self, request: HttpRequest, queryset: QuerySet[Dataset]) -> None:
        jobs = services.reingest_datasets(
            datasets=list(queryset), requested_by=request.user if request.user.is_authenticated else None
        )
        self.message_user(request, f"{len(jobs)} ingestion jobs queued.", messages.SUCCESS)


admin.site.unregister(Dataset)
admin.site.register(Dataset, IngestingDatasetAdmin)
