"""One FilterSet per catalogue model (django-filter)."""

import django_filters as filters

from catalogue.models import DataFile, Dataset, Document, Facility, Instrument, Parameter, Sample, Technique


class DatasetFilter(filters.FilterSet):
    title = filters.CharFilter(lookup_expr="icontains")
    proposal = filters.CharFilter(field_name="proposal__pid")
    proposal_number = filters.CharFilter(field_name="proposal__proposal_number")
    instrument = filters.CharFilter(field_name="instrument__pid")
    facility = filters.CharFilter(field_name="instrument__facility__short_name", lookup_expr="iexact")
    technique = filters.CharFilter(field_name="techniques__panet_id")
    sample = filters.CharFilter(field_name="samples__pid")
    created_after = filters.IsoDateTimeFilter(field_name="creation_time", lookup_expr="gte")
    created_before = filters.IsoDateTimeFilter(field_name="creation_time", lookup_expr="lt")

    class Meta:
        model = Dataset
        fields = ["kind", "ingestion_state", "open_now", "file_format"]


class DocumentFilter(filters.FilterSet):
    title = filters.CharFilter(lookup_expr="icontains")
    facility = filters.CharFilter(field_name="facility__short_name", lookup_expr="iexact")
    keyword = filters.CharFilter(field_name="keywords", lookup_expr="contains", method="filter_keyword")

    class Meta:
        model = Document
        fields = ["kind", "proposal_number", "doi", "doi_state", "licence"]

    def filter_keyword(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(keywords__contains=[value])


class InstrumentFilter(filters.FilterSet):
    name = filters.CharFilter(lookup_expr="icontains")
    facility = filters.CharFilter(field_name="facility__short_name", lookup_expr="iexact")

    class Meta:
        model = Instrument
        fields = ["pid"]


class FacilityFilter(filters.FilterSet):
    class Meta:
        model = Facility
        fields = ["short_name", "country"]


class TechniqueFilter(filters.FilterSet):
    name = filters.CharFilter(lookup_expr="icontains")
    descendant_of = filters.CharFilter(method="filter_descendant_of", label="PaNET id; the term and all below it")

    class Meta:
        model = Technique
        fields = ["panet_id", "is_concept"]

    def filter_descendant_of(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.descendants_of([value])


class SampleFilter(filters.FilterSet):
    name = filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Sample
        fields = ["pid", "chemical_formula"]


class DataFileFilter(filters.FilterSet):
    dataset = filters.CharFilter(field_name="dataset__pid")

    class Meta:
        model = DataFile
        fields = ["role", "is_missing", "checksum_algorithm"]


class ParameterFilter(filters.FilterSet):
    dataset = filters.CharFilter(field_name="dataset__pid")
    value_si_min = filters.NumberFilter(field_name="value_si", lookup_expr="gte")
    value_si_max = filters.NumberFilter(field_name="value_si", lookup_expr="lte")

    class Meta:
        model = Parameter
        fields = ["name", "unit", "unit_si", "is_physical"]
