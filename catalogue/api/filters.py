"""One FilterSet per catalogue model (django-filter), and the backends that refuse what the API does not understand:
a query parameter no filter, ordering or page reads, an ordering by an unknown field, a date PostgreSQL cannot hold.
"""

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime

import django_filters as filters
from django import forms
from django.db import models
from django.db.models import QuerySet
from django_filters.filterset import FILTER_FOR_DBFIELD_DEFAULTS
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend, OrderingFilter
from rest_framework.request import Request
from rest_framework.views import APIView

from catalogue.models import DataFile, Dataset, Document, Facility, Instrument, Parameter, Sample, Technique


class StorableIsoDateTimeField(filters.fields.IsoDateTimeField):
    """Any RFC 3339 offset (up to ±23:59), turned into UTC: PostgreSQL refuses offsets beyond ±15:59."""

    def to_python(self, value: str | datetime | date | None) -> datetime | None:
        parsed = super().to_python(value)
        if parsed is None or parsed.tzinfo is None:
            return parsed
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError("The time lies outside the years 1–9999 in UTC.", code="invalid") from None


class StorableIsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = StorableIsoDateTimeField


class CatalogueFilterSet(filters.FilterSet):
    FILTER_DEFAULTS = {
        **FILTER_FOR_DBFIELD_DEFAULTS,
        models.DateTimeField: {"filter_class": StorableIsoDateTimeFilter},
    }


class CheckedOrderingFilter(OrderingFilter):
    """DRF drops unknown ordering terms silently; here they are a 400 listing the fields one can order by."""

    def remove_invalid_fields(
        self, queryset: QuerySet, fields: Iterable[str], view: APIView, request: Request
    ) -> list[str]:
        fields = list(fields)
        valid = super().remove_invalid_fields(queryset, fields, view, request)
        unknown = [term for term in fields if term not in valid]
        if unknown:
            names = sorted(item[0] for item in self.get_valid_fields(queryset, view, {"request": request}))
            message = f"cannot order by {', '.join(unknown)}; choose from {', '.join(names)} (a leading - reverses)"
            raise ValidationError({self.ordering_param: [message]})
        return valid

    def get_schema_operation_parameters(self, view: APIView) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        names = "|".join(re.escape(name) for name in getattr(view, "ordering_fields", None) or [])
        for parameter in parameters:
            if names:
                parameter["schema"]["pattern"] = f"^-?({names})(,-?({names}))*$"
        return parameters


class RefuseUnknownParameters(BaseFilterBackend):
    """A query parameter that nothing reads is a 400 (`page`, a misspelt filter), never silently ignored."""

    def filter_queryset(self, request: Request, queryset: QuerySet, view: APIView) -> QuerySet:
        known = {"format", CheckedOrderingFilter.ordering_param}
        filterset_class = getattr(view, "filterset_class", None)
        if filterset_class is not None:
            known |= set(filterset_class.base_filters)
        paginator = getattr(view, "paginator", None)
        if paginator is not None:
            known |= {paginator.limit_query_param, paginator.offset_query_param}
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            raise ValidationError({name: [f"unknown parameter; known: {', '.join(sorted(known))}"] for name in unknown})
        return queryset


class DatasetFilter(CatalogueFilterSet):
    title = filters.CharFilter(lookup_expr="icontains")
    proposal = filters.CharFilter(field_name="proposal__pid")
    proposal_number = filters.CharFilter(field_name="proposal__proposal_number")
    instrument = filters.CharFilter(field_name="instrument__pid")
    facility = filters.CharFilter(field_name="instrument__facility__short_name", lookup_expr="iexact")
    technique = filters.CharFilter(field_name="techniques__panet_id")
    sample = filters.CharFilter(field_name="samples__pid")
    created_after = StorableIsoDateTimeFilter(field_name="creation_time", lookup_expr="gte")
    created_before = StorableIsoDateTimeFilter(field_name="creation_time", lookup_expr="lt")

    class Meta:
        model = Dataset
        fields = ["kind", "ingestion_state", "open_now", "file_format"]


class DocumentFilter(CatalogueFilterSet):
    title = filters.CharFilter(lookup_expr="icontains")
    facility = filters.CharFilter(field_name="facility__short_name", lookup_expr="iexact")
    keyword = filters.CharFilter(field_name="keywords", lookup_expr="contains", method="filter_keyword")

    class Meta:
        model = Document
        fields = ["kind", "proposal_number", "doi", "doi_state", "licence"]

    def filter_keyword(self, queryset, name, value):
        return queryset.filter(keywords__contains=[value])


class InstrumentFilter(CatalogueFilterSet):
    name = filters.CharFilter(lookup_expr="icontains")
    facility = filters.CharFilter(field_name="facility__short_name", lookup_expr="iexact")

    class Meta:
        model = Instrument
        fields = ["pid"]


class FacilityFilter(CatalogueFilterSet):
    class Meta:
        model = Facility
        fields = ["short_name", "country"]


class TechniqueFilter(CatalogueFilterSet):
    name = filters.CharFilter(lookup_expr="icontains")
    descendant_of = filters.CharFilter(method="filter_descendant_of", label="PaNET id; the term and all below it")

    class Meta:
        model = Technique
        fields = ["panet_id", "is_concept"]

    def filter_descendant_of(self, queryset, name, value):
        return queryset.descendants_of([value])


class SampleFilter(CatalogueFilterSet):
    name = filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Sample
        fields = ["pid", "chemical_formula"]


class DataFileFilter(CatalogueFilterSet):
    dataset = filters.CharFilter(field_name="dataset__pid")

    class Meta:
        model = DataFile
        fields = ["role", "is_missing", "checksum_algorithm"]


class ParameterFilter(CatalogueFilterSet):
    dataset = filters.CharFilter(field_name="dataset__pid")
    value_si_min = filters.NumberFilter(field_name="value_si", lookup_expr="gte")
    value_si_max = filters.NumberFilter(field_name="value_si", lookup_expr="lte")

    class Meta:
        model = Parameter
        fields = ["name", "unit", "unit_si", "is_physical"]
