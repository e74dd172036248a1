"""The FAIR score in the curation admin: a score column and band filter on the dataset and document lists, and bulk
actions for the common fixes (licence, keywords, ORCID iDs, related publication) that call curation services."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.db.models.expressions import Combinable
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import format_html

from catalogue.fair import forms as fair_forms
from catalogue.fair.scoring import BANDS, band_of, band_range
from catalogue.models import Dataset, Document, Person
from catalogue.services import curation

MAX_PEOPLE_IN_FORM = 200


# The admin mixins are mixed into ModelAdmins; mypy checks them as ModelAdmins (at run time they stay plain mixins).
if TYPE_CHECKING:
    AdminMixinBase = admin.ModelAdmin
else:
    AdminMixinBase = object


class FairBandFilter(admin.SimpleListFilter):
    title = "FAIR score"
    parameter_name = "fair"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        labels = [
            (band, f"{band} (≥ {lowest:.2f})" if lowest else f"{band} (< {BANDS[-2][1]:.2f})") for band, lowest in BANDS
        ]
        return [*labels, ("unscored", "not scored yet")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "unscored":
            return queryset.filter(fair_score__isnull=True)
        if (band := self.value()) is not None and band in {band for band, _ in BANDS}:
            low, high = band_range(band)
            return queryset.filter(fair_score__score__gte=low, fair_score__score__lt=high)
        return queryset


SCORE_ORDERINGS = ("fair_score__score", "-fair_score__score")


class FairChangeList(ChangeList):
    """Sorted by FAIR score, a list shows the scored records only: the inner join lets PostgreSQL walk the score index
    (fair_dataset_score, fair_document_score) and stop after one page, where the outer join sorts every record of
    the catalogue. Records not scored yet are under the filter "not scored yet" (the sweep scores them in minutes)."""

    def get_ordering(self, request: HttpRequest, queryset: QuerySet) -> list:
        """Ties broken by pk in the score's direction (Django's default is always "-pk"), so both directions read
        the score index (score, dataset) in its own order, forwards or backwards."""
        ordering = super().get_ordering(request, queryset)
        if ordering and ordering[0] in SCORE_ORDERINGS and ordering[-1] == "-pk":
            ordering[-1] = "-pk" if ordering[0].startswith("-") else "pk"
        return ordering

    def get_queryset(self, request: HttpRequest, exclude_parameters: list[str | None] | None = None) -> QuerySet:
        queryset = super().get_queryset(request, exclude_parameters)
        columns = self.get_ordering_field_columns()
        if any(index < len(self.list_display) and self.list_display[index] == "fair" for index in columns):
            queryset = queryset.filter(fair_score__isnull=False)
        return queryset


def _form_action(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    action: str,
    form: forms.Form,
    apply: Callable[[forms.Form], str],
) -> HttpResponse | None:
    """An action that asks for a value first (admin/catalogue/action_form.html), then applies it."""
    if form.is_bound and form.is_valid():
        try:
            model_admin.message_user(request, apply(form), messages.SUCCESS)
        except curation.CurationError as error:
            model_admin.message_user(request, str(error), messages.ERROR)
        return None
    context = {"form": form, "records": queryset, "action": action, "opts": model_admin.model._meta}
    return render(request, "admin/catalogue/action_form.html", context)


def _posted(request: HttpRequest) -> dict | None:
    return request.POST if "apply" in request.POST else None


def people_without_orcid(documents: QuerySet[Document]) -> list[Person]:
    return list(
        Person.objects.filter(memberships__document__in=documents, memberships__is_creator=True, orcid="")
        .distinct()
        .order_by("full_name")[:MAX_PEOPLE_IN_FORM]
    )


class FairActionsMixin(AdminMixinBase):
    """Score column and fixes shared by the dataset and document admins; `documents_of` maps a selection to the
    proposals and collections whose fields the fix changes."""

    def documents_of(self, queryset: QuerySet) -> QuerySet[Document]:
        raise NotImplementedError

    def get_changelist(self, request: HttpRequest, **kwargs: object) -> type[ChangeList]:
        return FairChangeList

    def get_ordering(self, request: HttpRequest) -> list[str | Combinable] | tuple[str | Combinable, ...]:
        """A list filtered to one score band shows that band's lowest scores first (unless a column is sorted):
        what a steward fixes first, and read in score-index order, where the title order would sort the whole
        band."""
        if request.GET.get(FairBandFilter.parameter_name) in {band for band, _ in BANDS}:
            return ["fair_score__score"]
        return super().get_ordering(request)

    @admin.display(description="FAIR", ordering="fair_score__score")
    def fair(self, record: Dataset | Document) -> str:
        stored = getattr(record, "fair_score", None)
        if stored is None:
            return "—"
        return format_html('<span title="{}">{}</span>', band_of(stored.score), f"{stored.score:.2f}")

    @admin.action(description="FAIR fix: set the licence…")
    def set_licence(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        def apply(form: forms.Form) -> str:
            count = curation.set_licence(
                documents=self.documents_of(queryset), licence=form.cleaned_data["licence"], by=request.user
            )
            return f"Licence set on {count} proposals or collections."

        return _form_action(
            self, request, queryset, action="set_licence", form=fair_forms.LicenceForm(_posted(request)), apply=apply
        )

    @admin.action(description="FAIR fix: link a related publication…")
    def link_publication(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        def apply(form: forms.Form) -> str:
            count = curation.link_publication(
                documents=self.documents_of(queryset),
                identifier=form.cleaned_data["identifier"],
                title=form.cleaned_data["title"],
                relation=form.cleaned_data["relation"],
                by=request.user,
            )
            return f"Publication linked to {count} proposals or collections."

        form = fair_forms.PublicationForm(_posted(request))
        return _form_action(self, request, queryset, action="link_publication", form=form, apply=apply)

    @admin.action(description="FAIR fix: add the creators' ORCID iDs…")
    def set_orcid(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        people = people_without_orcid(self.documents_of(queryset))
        if not people:
            self.message_user(request, "Every creator of these records has an ORCID iD.", messages.INFO)
            return None

        def apply(form: forms.Form) -> str:
            assert isinstance(form, fair_forms.OrcidForm)
            return f"ORCID iDs set for {curation.set_orcids(orcids=form.orcids(), by=request.user)} people."

        form = fair_forms.OrcidForm(_posted(request), people=people)
        return _form_action(self, request, queryset, action="set_orcid", form=form, apply=apply)


class DatasetFairActionsMixin(FairActionsMixin):
    def documents_of(self, queryset: QuerySet[Dataset]) -> QuerySet[Document]:
        return Document.objects.filter(pk__in=queryset.values("proposal"))

    @admin.action(description="FAIR fix: add keywords…")
    def add_keywords(self, request: HttpRequest, queryset: QuerySet[Dataset]) -> HttpResponse | None:
        def apply(form: forms.Form) -> str:
            count = curation.add_keywords(datasets=queryset, keywords=form.cleaned_data["keywords"], by=request.user)
            return f"Keywords added to {count} datasets."

        form = fair_forms.KeywordsForm(_posted(request))
        return _form_action(self, request, queryset, action="add_keywords", form=form, apply=apply)


class DocumentFairActionsMixin(FairActionsMixin):
    def documents_of(self, queryset: QuerySet[Document]) -> QuerySet[Document]:
        return queryset


class PersonOrcidActionMixin(AdminMixinBase):
    @admin.action(description="FAIR fix: add ORCID iDs…")
    def set_orcid(self, request: HttpRequest, queryset: QuerySet[Person]) -> HttpResponse | None:
        people = list(queryset.order_by("full_name")[:MAX_PEOPLE_IN_FORM])

        def apply(form: forms.Form) -> str:
            assert isinstance(form, fair_forms.OrcidForm)
            return f"ORCID iDs set for {curation.set_orcids(orcids=form.orcids(), by=request.user)} people."

        form = fair_forms.OrcidForm(_posted(request), people=people)
        return _form_action(self, request, queryset, action="set_orcid", form=form, apply=apply)
