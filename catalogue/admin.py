"""Curation UI for data stewards: every catalogue entity, with history; side effects go through services."""

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteMixin, AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.forms.fields import InvalidJSONInput
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django_admin_inline_paginator_plus.admin import TabularInlinePaginated
from simple_history.admin import SimpleHistoryAdmin

from catalogue import units
from catalogue.changelists import CreationYearFilter, EstimatedCountPaginator, FileFormatFilter
from catalogue.dmp import admin as dmp_admin  # noqa: F401 — registers the maDMP upload
from catalogue.fair.admin import (
    AdminMixinBase,
    DatasetFairActionsMixin,
    DocumentFairActionsMixin,
    FairBandFilter,
    PersonOrcidActionMixin,
)
from catalogue.models import (
    AccessGrant,
    AccessRequest,
    Affiliation,
    Collection,
    DataFile,
    Dataset,
    Facility,
    Instrument,
    Member,
    Parameter,
    Person,
    Proposal,
    Sample,
    SessionMatch,
    Technique,
)
from catalogue.models.validators import TOO_DEEP
from catalogue.services import curation, expectations, instruments, opening, statistics, user_office


class JSONFormField(forms.JSONField):
    """Django's, with a document nested past Python's recursion limit a form error that shows the text again (it
    catches decode errors only); the models' validators refuse anything deeper than MAX_JSON_DEPTH.

    `empty` makes an emptied box the field's empty document ({} or []): Django's gives None, which a model skips
    validating for a field that may be blank, and a column that takes no NULL then refused it with a 500."""

    def __init__(self, *, empty: Callable[[], Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.empty = empty

    def to_python(self, value: Any) -> Any:
        if self.empty is not None and value in self.empty_values:
            return self.empty()
        try:
            return super().to_python(value)
        except RecursionError:
            raise forms.ValidationError(TOO_DEEP) from None

    def bound_data(self, data: Any, initial: Any) -> Any:
        try:
            return super().bound_data(data, initial)
        except RecursionError:
            return InvalidJSONInput(data)  # shown again as the steward typed it


class KnownIdsOnly(AutocompleteMixin):
    """Django's autocomplete widgets look the submitted ids up again to show a form with its errors, and raised
    ValueError on one that cannot be an id of the related model (the widget itself never sends it). Such values are
    left out there; the form field already says they are not valid choices."""

    def optgroups(
        self, name: str, value: Sequence[str], attr: dict[str, Any] | None = None
    ) -> list[tuple[str | None, list[dict[str, Any]], int | None]]:
        target = self.field.target_field
        return super().optgroups(name, [item for item in value if is_value_of(target, item)], attr)


class CheckedAutocompleteSelect(KnownIdsOnly, AutocompleteSelect):
    pass


class CheckedAutocompleteSelectMultiple(KnownIdsOnly, AutocompleteSelectMultiple):
    pass


def is_value_of(field: models.Field, value: str) -> bool:
    """Whether `value`, as a form or a URL sends it, can be a value of `field` (an id: digits for an integer key)."""
    try:
        field.to_python(value)
    except ValidationError:
        return False
    return True


class HistoryAdmin(SimpleHistoryAdmin):
    """Change history in the admin; changes made by no one signed in (tasks, commands) are the system's."""

    object_history_list_template = "admin/history_list.html"
    formfield_overrides: ClassVar[Mapping[type[models.Field], Mapping[str, Any]]] = {
        models.JSONField: {"form_class": JSONFormField}
    }

    def __init__(self, model: type[models.Model], admin_site: admin.AdminSite) -> None:
        super().__init__(model, admin_site)
        # simple_history records a proxy's changes (proposals, collections) on its concrete model, Document, and names
        # the history manager only in that model's options, where the history pages look it up.
        concrete: Any = model._meta.concrete_model
        self.history_manager: str = concrete._meta.simple_history_manager_attribute
        options: Any = model._meta
        options.simple_history_manager_attribute = self.history_manager

    def formfield_for_dbfield(self, db_field: models.Field, request: HttpRequest, **kwargs: Any) -> forms.Field | None:
        if isinstance(db_field, models.JSONField) and db_field.blank and not db_field.null and db_field.has_default():
            kwargs["empty"] = db_field.get_default
        if db_field.name in self.get_autocomplete_fields(request):
            widget = CheckedAutocompleteSelectMultiple if db_field.many_to_many else CheckedAutocompleteSelect
            kwargs["widget"] = widget(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def history_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None) -> HttpResponse:
        self._check_id(self.model, unquote(object_id))
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        self._check_id(self.model, unquote(object_id))
        self._check_id(getattr(self.model, self.history_manager).model, version_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    @staticmethod
    def _check_id(model: type[models.Model], value: str) -> None:
        """An id that cannot be one of the model's is a 404, as one that names no record is, not a ValueError."""
        if not is_value_of(model._meta.pk, value):
            raise Http404(f"No {model._meta.verbose_name} has the id {value!r}.")


class ReleaseDateForm(forms.Form):
    release_date = forms.DateTimeField(help_text="New embargo end (UTC), e.g. 2027-01-31 00:00")


class InstrumentChoiceForm(forms.Form):
    instrument = forms.ModelChoiceField(queryset=Instrument.objects.select_related("facility"))


class TechniqueChoiceForm(forms.Form):
    technique = forms.ModelChoiceField(queryset=Technique.objects.filter(is_concept=False))


class DataFileInline(admin.TabularInline):
    model = DataFile
    extra = 0
    fields = ["path", "role", "size", "checksum_algorithm", "checksum", "is_missing", "fixity_error"]
    readonly_fields = ["size", "checksum_algorithm", "checksum", "fixity_error"]
    show_change_link = False


class ParameterInline(TabularInlinePaginated):
    """A dataset's parameters as a compact, paginated, read-only table (a NeXus file carries hundreds; editable rows
    made a page tens of thousands of pixels high). Each row links to its own form for the rare correction."""

    model = Parameter
    fk_name = "dataset"
    fields = ["parameter", "as_found", "si", "source"]
    readonly_fields = fields
    per_page = 20
    pagination_key = "parameters_page"
    htmx_enabled = False  # its htmx comes from a CDN; plain links page through instead
    can_delete = False

    class Media:
        css = {"all": ["catalogue/admin-parameters.css"]}

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="name")
    def parameter(self, parameter: Parameter) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:catalogue_parameter_change", args=[parameter.pk]), parameter.name
        )

    @admin.display(description="as found")
    def as_found(self, parameter: Parameter) -> str:
        return f"{parameter.raw_value} {parameter.raw_unit}".strip()

    @admin.display(description="SI")
    def si(self, parameter: Parameter) -> str:
        return "" if parameter.value_si is None else units.format_si(parameter.value_si, parameter.unit_si)


class MemberInline(admin.TabularInline):
    model = Member
    extra = 0
    autocomplete_fields = ["person", "affiliation"]
    fields = ["person", "role", "affiliation", "is_creator", "position"]


@admin.register(Facility)
class FacilityAdmin(HistoryAdmin):
    list_display = [
        "short_name",
        "name",
        "country",
        "time_zone",
        "embargo_period_years",
        "pid_prefix",
        "matches_instruments",
    ]
    search_fields = ["short_name", "name", "ror_id"]
    list_filter = ["country", "matches_instruments"]


@admin.register(Instrument)
class InstrumentAdmin(HistoryAdmin):
    list_display = ["name", "facility", "pid", "aliases", "manufacturer", "model"]
    list_filter = ["facility"]
    search_fields = ["name", "pid", "description", "aliases", "manufacturer", "model"]
    autocomplete_fields = ["techniques"]


@admin.register(Technique)
class TechniqueAdmin(admin.ModelAdmin):
    list_display = ["name", "panet_id", "is_concept"]
    list_filter = ["is_concept"]
    search_fields = ["name", "panet_id", "alt_labels", "pid"]
    readonly_fields = ["parents", "ancestors"]


@admin.register(Person)
class PersonAdmin(PersonOrcidActionMixin, HistoryAdmin):
    list_display = ["full_name", "orcid", "email", "user"]
    search_fields = ["full_name", "orcid", "email"]
    raw_id_fields = ["user"]
    actions = ["set_orcid"]


@admin.register(Affiliation)
class AffiliationAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "country", "ror_id"]
    search_fields = ["name", "ror_id", "city"]


@admin.register(Sample)
class SampleAdmin(HistoryAdmin):
    list_display = ["name", "chemical_formula", "pid"]
    search_fields = ["name", "pid", "chemical_formula", "description"]


class EmbargoActionsMixin(AdminMixinBase):
    """Bulk actions shared by datasets and documents: set the release date, open now."""

    def record_edit(self, record: Any, changed: set[str]) -> None:
        raise NotImplementedError  # each admin records a steward's edit its own way (curation service)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str] | tuple[str, ...]:
        """An open record's release date is shown, not offered for editing (opening.may_change_release_date)."""
        fields = super().get_readonly_fields(request, obj)
        if obj is not None and not opening.may_change_release_date(obj):
            return [*fields, "release_date_override"]
        return fields

    @admin.action(description="Set release date (embargo end)…")
    def set_release_date(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        form = ReleaseDateForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            changed = 0
            for record in queryset:
                try:
                    opening.set_release_date(record, release_date=form.cleaned_data["release_date"], by=request.user)
                except opening.EmbargoError as error:
                    self.message_user(request, f"{record.pid}: {error}", messages.ERROR)
                    continue
                self.record_edit(record, {"release_date_override"})
                changed += 1
            self.message_user(request, f"Release date set on {changed} records.", messages.SUCCESS)
            return None
        return render(
            request,
            "admin/catalogue/action_form.html",
            {"form": form, "records": queryset, "action": "set_release_date", "opts": self.model._meta},
        )

    @admin.action(description="Open now (end the embargo)")
    def open_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        opened = 0
        for record in queryset:
            try:
                opening.open_now(record, by=request.user)
                opened += 1
            except opening.EmbargoError as error:
                self.message_user(request, str(error), messages.ERROR)
        self.message_user(request, f"Opened {opened} records.", messages.SUCCESS)

    @admin.action(description="Extend (renew) the embargo…")
    def extend_embargo(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        form = ReleaseDateForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            extended = 0
            for record in queryset:
                try:
                    opening.extend_embargo(record, until=form.cleaned_data["release_date"], by=request.user)
                    extended += 1
                except opening.EmbargoError as error:
                    self.message_user(request, f"{record.pid}: {error}", messages.ERROR)
            self.message_user(request, f"Embargo extended on {extended} records.", messages.SUCCESS)
            return None
        return render(
            request,
            "admin/catalogue/action_form.html",
            {"form": form, "records": queryset, "action": "extend_embargo", "opts": self.model._meta},
        )


class EmbargoStatusFilter(admin.SimpleListFilter):
    title = "access"
    parameter_name = "access"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("open", "open"), ("embargoed", "embargoed"), ("opening-soon", "opening within 30 days")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        if self.value() == "open":
            return queryset.filter(open_now=True) | queryset.filter(release_date__lte=now)
        if self.value() == "embargoed":
            return queryset.filter(open_now=False, release_date__gt=now)
        if self.value() == "opening-soon":
            return queryset.filter(open_now=False, release_date__gt=now, release_date__lte=now + timedelta(days=30))
        return queryset


class UnmatchedInstrumentFilter(admin.SimpleListFilter):
    """The instrument names no registered instrument matched, with how many datasets carry each."""

    title = "unmatched instrument name"
    parameter_name = "unmatched_instrument"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        names = instruments.unmatched_names()
        return [("*", "any unmatched name")] + [
            (f"{name.facility.pk}:{name.name}", f"{name.name} ({name.facility}): {name.datasets}") for name in names
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if not value:
            return queryset
        queryset = queryset.filter(instrument__isnull=True).exclude(instrument_name="")
        if value == "*":
            return queryset
        facility, _, name = value.partition(":")
        return queryset.filter(proposal__facility=facility, instrument_name=name) if facility.isdigit() else queryset


class MissingExpectedFilter(admin.SimpleListFilter):
    """Datasets lacking what their technique family should carry (catalogue/data/technique-expectations.yaml)."""

    title = "expected metadata"
    parameter_name = "expected"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("missing", "missing for its technique")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return expectations.lacking(queryset) if self.value() == "missing" else queryset


@admin.register(Dataset)
class DatasetAdmin(DatasetFairActionsMixin, EmbargoActionsMixin, HistoryAdmin):
    list_display = [
        "title",
        "pid",
        "instrument",
        "instrument_name",
        "proposal",
        "creation_time",
        "access",
        "ingestion_state",
        "fair",
    ]
    list_select_related = ["instrument__facility", "proposal", "fair_score"]
    list_filter = [
        UnmatchedInstrumentFilter,
        MissingExpectedFilter,
        EmbargoStatusFilter,
        FairBandFilter,
        "kind",
        "ingestion_state",
        "instrument__facility",
        "instrument",
        FileFormatFilter,
        CreationYearFilter,
    ]
    search_fields = ["title", "pid", "description", "proposal__proposal_number", "source_path"]
    # Counts, years and formats from indexes (catalogue.changelists): Django's read every dataset on each page.
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    autocomplete_fields = ["instrument", "samples", "techniques", "input_datasets"]
    raw_id_fields = ["proposal"]
    readonly_fields = [
        "pid",
        "size",
        "number_of_files",
        "release_date",
        "curated_fields",
        "ingested_at",
        "source_folder",
        "source_path",
        "entry_path",
        "instrument_name",
        "definitions",
        "raw_metadata_view",
        "expected_missing",
        "views",
        "downloads",
        "outside_downloads",
        "opened_at",
    ]
    exclude = ["raw_metadata"]
    inlines = [DataFileInline, ParameterInline]
    actions = [
        "set_release_date",
        "open_now",
        "extend_embargo",
        "add_technique",
        "add_keywords",
        "set_licence",
        "set_orcid",
        "link_publication",
        "add_instrument_alias",
        "register_instrument",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "pid",
                    "title",
                    "description",
                    "kind",
                    "keywords",
                    "proposal",
                    "instrument",
                    "instrument_name",
                    "samples",
                    "techniques",
                    "expected_missing",
                ]
            },
        ),
        ("Times", {"fields": ["creation_time", "start_time", "end_time", "time_source"]}),
        (
            "Access",
            {
                "fields": [
                    "release_date",
                    "release_date_override",
                    "open_now",
                    "opened_at",
                    "withdrawn_at",
                    "withdrawal_reason",
                ]
            },
        ),
        (
            "Provenance",
            {"fields": ["input_datasets", "software_name", "software_version", "definitions", "file_format"]},
        ),
        (
            "Ingestion (read-only)",
            {
                "classes": ["collapse"],
                "fields": [
                    "ingestion_state",
                    "ingested_at",
                    "source_folder",
                    "source_path",
                    "entry_path",
                    "size",
                    "number_of_files",
                    "curated_fields",
                    "raw_metadata_view",
                ],
            },
        ),
        ("Free metadata", {"classes": ["collapse"], "fields": ["scientific_metadata"]}),
        ("Usage", {"classes": ["collapse"], "fields": ["views", "downloads", "outside_downloads"]}),
    ]

    @admin.display(description="views")
    def views(self, dataset: Dataset) -> int:
        return statistics.of_dataset(dataset=dataset).view_count

    @admin.display(description="downloads")
    def downloads(self, dataset: Dataset) -> int:
        return statistics.of_dataset(dataset=dataset).download_count

    @admin.display(description="downloads outside the team")
    def outside_downloads(self, dataset: Dataset) -> int:
        return statistics.of_dataset(dataset=dataset).outside_download_count

    @admin.display(description="access")
    def access(self, dataset: Dataset) -> str:
        if dataset.withdrawn_at:
            return "withdrawn"
        if dataset.open_now or dataset.release_date <= timezone.now():
            return "open"
        return f"embargoed until {dataset.release_date:%Y-%m-%d}"

    @admin.display(description="missing for its technique")
    def expected_missing(self, dataset: Dataset) -> str:
        return "; ".join(expectations.missing(dataset=dataset)) if dataset.pk else ""

    @admin.display(description="raw ingestion metadata")
    def raw_metadata_view(self, dataset: Dataset) -> str:
        import json

        return format_html(
            "<pre style='max-height:30em;overflow:auto'>{}</pre>",
            json.dumps(dataset.raw_metadata, indent=2, ensure_ascii=False, default=str),
        )

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        self.record_edit(form.instance, set(form.changed_data))

    def record_edit(self, dataset: Dataset, changed: set[str]) -> None:
        curation.record_dataset_edit(dataset=dataset, changed_fields=changed)

    @admin.action(description="Add a technique…")
    def add_technique(self, request: HttpRequest, queryset: QuerySet[Dataset]) -> HttpResponse | None:
        form = TechniqueChoiceForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            for dataset in queryset:
                dataset.techniques.add(form.cleaned_data["technique"])
                self.record_edit(dataset, {"techniques"})
            self.message_user(request, f"Technique added to {queryset.count()} datasets.", messages.SUCCESS)
            return None
        return render(
            request,
            "admin/catalogue/action_form.html",
            {"form": form, "records": queryset, "action": "add_technique", "opts": self.model._meta},
        )

    @admin.action(description="Add the unmatched instrument name as an alias of…")
    def add_instrument_alias(self, request: HttpRequest, queryset: QuerySet[Dataset]) -> HttpResponse | None:
        form = InstrumentChoiceForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            instrument = form.cleaned_data["instrument"]
            resolved = 0
            for facility, name in self._unmatched(queryset):
                if facility != instrument.facility_id:
                    self.message_user(request, f"{name!r} is not a name at {instrument.facility}.", messages.ERROR)
                    continue
                resolved += instruments.add_alias(instrument=instrument, name=name)
            self.message_user(request, f"{resolved} datasets now at {instrument}.", messages.SUCCESS)
            return None
        return render(
            request,
            "admin/catalogue/action_form.html",
            {"form": form, "records": queryset, "action": "add_instrument_alias", "opts": self.model._meta},
        )

    @admin.action(description="Register the unmatched instrument name as a new instrument")
    def register_instrument(self, request: HttpRequest, queryset: QuerySet[Dataset]) -> None:
        for facility, name in self._unmatched(queryset):
            instrument, resolved = instruments.register(facility=Facility.objects.get(pk=facility), name=name)
            self.message_user(request, f"{instrument}: {resolved} datasets.", messages.SUCCESS)

    @staticmethod
    def _unmatched(queryset: QuerySet[Dataset]) -> list[tuple[int, str]]:
        rows = queryset.filter(instrument__isnull=True).exclude(instrument_name="")
        return sorted(set(rows.values_list("proposal__facility", "instrument_name")))


class DocumentAdminBase(DocumentFairActionsMixin, EmbargoActionsMixin, HistoryAdmin):
    list_display = ["title", "proposal_number", "facility", "doi", "doi_state", "release_date", "fair"]
    list_select_related = ["facility", "fair_score"]
    list_filter = [EmbargoStatusFilter, FairBandFilter, "kind", "facility", "doi_state", "licence"]
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    search_fields = ["title", "pid", "proposal_number", "doi", "summary", "members__person__full_name"]
    readonly_fields = [
        "pid",
        "doi_state",
        "release_date",
        "opened_at",
        "embargo_reminder_sent_at",
        "created_at",
        "modified_at",
    ]
    inlines = [MemberInline]
    filter_horizontal = ["access_groups"]
    autocomplete_fields = ["instruments"]
    actions = ["set_release_date", "open_now", "extend_embargo", "set_licence", "set_orcid", "link_publication"]

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        self.record_edit(form.instance, set(form.changed_data))

    def record_edit(self, document: Proposal, changed: set[str]) -> None:
        curation.record_document_edit(document=document, changed_fields=changed)


@admin.register(Proposal)
class ProposalAdmin(DocumentAdminBase):
    exclude = ["collected_datasets", "published_at"]


@admin.register(Collection)
class CollectionAdmin(DocumentAdminBase):
    exclude = ["proposal_number", "instrument"]
    autocomplete_fields = ["collected_datasets"]


class FixityErrorFilter(admin.SimpleListFilter):
    title = "fixity"
    parameter_name = "fixity"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("error", "checksum mismatch or missing"), ("ok", "verified")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "error":
            return queryset.exclude(fixity_error="")
        if self.value() == "ok":
            return queryset.filter(fixity_error="", checksum_verified_at__isnull=False)
        return queryset


@admin.register(DataFile)
class DataFileAdmin(admin.ModelAdmin):
    list_display = ["path", "dataset", "size", "checksum_algorithm", "is_missing", "fixity_error"]
    list_filter = ["role", "is_missing", "checksum_algorithm", FixityErrorFilter]
    search_fields = ["path", "dataset__pid", "checksum"]
    raw_id_fields = ["dataset"]


@admin.register(Parameter)
class ParameterAdmin(admin.ModelAdmin):
    list_display = ["name", "value", "unit", "raw_unit", "value_si", "unit_si", "dataset"]
    list_filter = ["is_physical", "unit_si"]
    search_fields = ["name", "dataset__pid", "raw_unit"]
    raw_id_fields = ["dataset", "document"]


@admin.register(AccessGrant)
class AccessGrantAdmin(admin.ModelAdmin):
    list_display = ["document", "user", "expires_at", "granted_by", "created_at"]
    raw_id_fields = ["document", "user", "granted_by"]


@admin.register(AccessRequest)
class AccessRequestAdmin(admin.ModelAdmin):
    list_display = ["document", "user", "guest_email", "state", "created_at", "decided_by"]
    list_filter = ["state"]
    raw_id_fields = ["document", "user", "decided_by"]


class UserOfficeUploadForm(forms.Form):
    upload = forms.FileField(label="User-office file", help_text="JSON, or CSV (a name ending in .csv).")

    def clean_upload(self) -> user_office.ImportResult:
        upload = self.cleaned_data["upload"]
        try:
            return user_office.import_proposals(
                data=user_office.read_file(content=upload.read(), name=upload.name or "")
            )
        except user_office.ImportFailed as failed:
            raise forms.ValidationError(failed.errors) from failed


@admin.register(SessionMatch)
class SessionMatchAdmin(admin.ModelAdmin):
    """Suggested links from session proposals to imported proposals; the import page is the user-office upload."""

    list_display = ["session", "proposal", "reason", "state", "decided_by", "decided_at"]
    list_select_related = ["session", "proposal", "decided_by"]
    list_filter = ["state", "proposal__facility"]
    search_fields = ["session__pid", "proposal__proposal_number", "proposal__title"]
    readonly_fields = ["session", "proposal", "reason", "state", "decided_by", "decided_at", "created_at"]
    actions = ["confirm", "dismiss"]

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None) -> HttpResponse:
        """ "Add" is the user-office upload: suggestions come only from imports."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = UserOfficeUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            result = form.cleaned_data["upload"]
            self.message_user(
                request,
                f"Proposals: {result.created} created, {result.updated} updated; "
                f"{result.suggested} session matches to confirm.",
                messages.SUCCESS,
            )
            return redirect("admin:catalogue_sessionmatch_changelist")
        context = {**self.admin_site.each_context(request), "form": form, "title": "Import user-office proposals"}
        return render(request, "admin/catalogue/user_office_import.html", context)

    @admin.action(description="Confirm: move the session's datasets to the proposal")
    def confirm(self, request: HttpRequest, queryset: QuerySet[SessionMatch]) -> None:
        moved = sum(user_office.confirm(match=match, by=request.user) for match in queryset)
        self.message_user(request, f"{moved} datasets moved to their proposals.", messages.SUCCESS)

    @admin.action(description="Dismiss the suggestion")
    def dismiss(self, request: HttpRequest, queryset: QuerySet[SessionMatch]) -> None:
        for match in queryset:
            user_office.dismiss(match=match, by=request.user)
