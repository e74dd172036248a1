"""Curation of what the landing app keeps: DataCite registration state (with DataCite's errors) and related works."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import pluralize

from catalogue.admin import HistoryAdmin
from catalogue.models import RelatedWork
from landing import tasks
from landing.models import DoiRegistration


@admin.register(DoiRegistration)
class DoiRegistrationAdmin(admin.ModelAdmin):
    list_display = ["document", "doi", "doi_state", "synced_at", "attempts", "last_error"]
    list_filter = ["document__doi_state"]
    search_fields = ["document__doi", "document__title", "last_error"]
    readonly_fields = ["document", "metadata_sha256", "synced_at", "attempts", "last_error", "last_error_at"]
    actions = ["send_again"]

    @admin.display(description="DOI", ordering="document__doi")
    def doi(self, registration: DoiRegistration) -> str:
        return registration.document.doi or ""

    @admin.display(description="state at DataCite")
    def doi_state(self, registration: DoiRegistration) -> str:
        return registration.document.get_doi_state_display()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Send to DataCite again")
    def send_again(self, request: HttpRequest, queryset: QuerySet[DoiRegistration]) -> None:
        ids = list(queryset.values_list("document_id", flat=True))
        # Forget the last digest so that the record is sent even when it did not change.
        queryset.update(metadata_sha256="")
        for document_id in ids:
            tasks.sync_doi.delay_on_commit(document_id)
        self.message_user(request, f"{len(ids)} DOI{pluralize(len(ids))} queued for DataCite.", messages.SUCCESS)


@admin.register(RelatedWork)
class RelatedWorkAdmin(HistoryAdmin):
    list_display = ["identifier", "relation_type", "document", "by_outside_group", "created_at"]
    list_filter = ["relation_type", "by_outside_group"]
    search_fields = ["identifier", "title", "document__doi", "document__title"]
    raw_id_fields = ["document"]

    def save_model(self, request: HttpRequest, obj: RelatedWork, form: object, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if obj.document.doi:
            tasks.sync_doi.delay_on_commit(obj.document_id)
