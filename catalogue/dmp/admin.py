"""Stewards upload a proposal's maDMP in the admin; the add form is the upload, a stored plan is read-only."""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest

from catalogue.models import DataManagementPlan, PlannedDataset, Proposal
from catalogue.services import dmp


class PlanUploadForm(forms.ModelForm):
    proposal = forms.ModelChoiceField(queryset=Proposal.objects.order_by("pid"))
    upload = forms.FileField(
        label="maDMP JSON",
        help_text="A maDMP (RDA DMP Common Standard 1.2, JSON). It replaces the proposal's plan, if any.",
    )

    class Meta:
        model = DataManagementPlan
        fields: list[str] = []

    def clean_upload(self) -> Any:
        upload: UploadedFile = self.cleaned_data["upload"]
        try:
            data = dmp.parse_plan(upload.read())
        except dmp.InvalidPlan as invalid:
            raise forms.ValidationError([f"{error.path}: {error.message}" for error in invalid.errors]) from invalid
        errors = dmp.schema_errors(data)
        if errors:
            raise forms.ValidationError([f"{error.path}: {error.message}" for error in errors])
        return data


class PlannedDatasetInline(admin.TabularInline):
    model = PlannedDataset
    fields = ("position", "title", "produced")
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description="produced datasets")
    def produced(self, planned: PlannedDataset) -> int:
        return planned.datasets.count()

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(DataManagementPlan)
class DataManagementPlanAdmin(admin.ModelAdmin):
    list_display = ("document", "imported_at", "imported_by")
    list_select_related = ("document", "imported_by")
    search_fields = ("document__pid", "document__proposal_number", "document__title")

    def get_form(
        self, request: HttpRequest, obj: DataManagementPlan | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        if obj is None:
            kwargs["form"] = PlanUploadForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: DataManagementPlan | None = None) -> tuple[str, ...]:
        return ("proposal", "upload") if obj is None else ("document", "imported_at", "imported_by", "header")

    def get_readonly_fields(self, request: HttpRequest, obj: DataManagementPlan | None = None) -> tuple[str, ...]:
        return () if obj is None else self.get_fields(request, obj)

    def get_inlines(self, request: HttpRequest, obj: DataManagementPlan | None) -> list[type]:
        return [PlannedDatasetInline] if obj is not None else []

    def has_change_permission(self, request: HttpRequest, obj: DataManagementPlan | None = None) -> bool:
        return False  # a new upload replaces the plan

    def save_form(self, request: HttpRequest, form: forms.ModelForm, change: bool) -> DataManagementPlan:
        data = form.cleaned_data
        return dmp.import_plan(document=data["proposal"], data=data["upload"], user=request.user)

    def save_model(self, request: HttpRequest, obj: DataManagementPlan, form: forms.ModelForm, change: bool) -> None:
        """Nothing left to save: import_plan wrote the plan and its datasets in one transaction."""

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool) -> None:
        """No related forms on the upload."""
