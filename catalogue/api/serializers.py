"""REST API representations of the catalogue; personal data only for the team and stewards."""

from rest_framework import serializers

from catalogue.models import (
    Affiliation,
    DataFile,
    Dataset,
    Document,
    Facility,
    Instrument,
    Member,
    Parameter,
    Person,
    Sample,
    Technique,
)
from catalogue.services import fair


class FacilitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Facility
        exclude = ["id", "storage_root", "carbon_factors"]


class InstrumentSerializer(serializers.ModelSerializer):
    facility = serializers.SlugRelatedField(slug_field="short_name", queryset=Facility.objects.all())
    techniques = serializers.SlugRelatedField(
        slug_field="pid", many=True, queryset=Technique.objects.all(), required=False
    )

    class Meta:
        model = Instrument
        fields = ["pid", "name", "facility", "description", "techniques"]


class TechniqueSerializer(serializers.ModelSerializer):
    class Meta:
        model = Technique
        fields = ["pid", "panet_id", "name", "alt_labels", "definition", "parents", "ancestors", "is_concept"]


class SampleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Sample
        fields = ["pid", "name", "description", "chemical_formula", "characteristics"]


class ParameterSerializer(serializers.ModelSerializer):
    dataset: "serializers.SlugRelatedField[Dataset]" = serializers.SlugRelatedField(slug_field="pid", read_only=True)

    class Meta:
        model = Parameter
        fields = [
            "id",
            "dataset",
            "name",
            "value",
            "unit",
            "raw_value",
            "raw_unit",
            "value_si",
            "unit_si",
            "dimension",
            "is_physical",
            "source",
        ]


class DataFileSerializer(serializers.ModelSerializer):
    dataset: "serializers.SlugRelatedField[Dataset]" = serializers.SlugRelatedField(slug_field="pid", read_only=True)

    class Meta:
        model = DataFile
        fields = [
            "id",
            "dataset",
            "path",
            "role",
            "size",
            "checksum",
            "checksum_algorithm",
            "modified_at",
            "is_missing",
        ]


class AffiliationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Affiliation
        fields = ["id", "name", "ror_id", "address", "city", "country"]


class PersonSerializer(serializers.ModelSerializer):
    class Meta:
        model = Person
        fields = ["id", "full_name", "first_name", "last_name", "orcid", "email"]

    def to_representation(self, instance: Person) -> dict:
        data = super().to_representation(instance)
        if not self.context.get("show_personal_data"):
            data.pop("email")
        return data


class MemberSerializer(serializers.ModelSerializer):
    person = serializers.SerializerMethodField()
    affiliation = AffiliationSerializer(read_only=True)

    class Meta:
        model = Member
        fields = ["id", "role", "is_creator", "position", "person", "affiliation"]

    def get_person(self, member: Member) -> dict:
        return PersonSerializer(member.person, context=self.context).data


class DocumentSerializer(serializers.ModelSerializer):
    facility = serializers.SlugRelatedField(
        slug_field="short_name", queryset=Facility.objects.all(), required=False, allow_null=True
    )
    members = serializers.SerializerMethodField()
    fair = serializers.SerializerMethodField(help_text="FAIR score with its checks; null until scored or if hidden.")

    class Meta:
        model = Document
        fields = [
            "pid",
            "kind",
            "proposal_number",
            "facility",
            "title",
            "summary",
            "keywords",
            "licence",
            "doi",
            "doi_state",
            "start_date",
            "end_date",
            "release_date",
            "release_date_override",
            "open_now",
            "members",
            "fair",
            "created_at",
            "modified_at",
        ]
        read_only_fields = ["doi_state", "release_date", "created_at", "modified_at"]

    def get_fair(self, document: Document) -> dict | None:
        """The DOI's FAIR score, for callers who see every dataset it sums over (catalogue.visibility)."""
        if document.pk not in self.context.get("fair_document_ids", frozenset()):
            return None
        stored = getattr(document, "fair_score", None)
        scored = fair.breakdown(stored)
        return scored.as_json() if scored is not None else None

    def get_members(self, document: Document) -> list[dict]:
        team_ids = self.context.get("personal_data_document_ids", frozenset())
        show = self.context.get("personal_data_for_all", False) or document.pk in team_ids
        context = {**self.context, "show_personal_data": show}
        return list(MemberSerializer(document.members.all(), many=True, context=context).data)


class DatasetSerializer(serializers.ModelSerializer):
    proposal = serializers.SlugRelatedField(slug_field="pid", queryset=Document.objects.all())
    instrument = serializers.SlugRelatedField(
        slug_field="pid", queryset=Instrument.objects.all(), required=False, allow_null=True
    )
    techniques = serializers.SlugRelatedField(
        slug_field="pid", many=True, queryset=Technique.objects.all(), required=False
    )
    samples = serializers.SlugRelatedField(slug_field="pid", many=True, queryset=Sample.objects.all(), required=False)
    input_datasets = serializers.SlugRelatedField(
        slug_field="pid", many=True, queryset=Dataset.objects.all(), required=False
    )
    fair = serializers.SerializerMethodField(help_text="FAIR score with its checks; null until first scored.")

    class Meta:
        model = Dataset
        fields = [
            "pid",
            "title",
            "description",
            "kind",
            "keywords",
            "creation_time",
            "start_time",
            "end_time",
            "size",
            "number_of_files",
            "proposal",
            "instrument",
            "techniques",
            "samples",
            "input_datasets",
            "software_name",
            "software_version",
            "definitions",
            "file_format",
            "scientific_metadata",
            "release_date",
            "release_date_override",
            "open_now",
            "ingestion_state",
            "curated_fields",
            "fair",
            "created_at",
            "modified_at",
        ]
        read_only_fields = [
            "size",
            "number_of_files",
            "release_date",
            "ingestion_state",
            "curated_fields",
            "created_at",
            "modified_at",
        ]

    def get_fair(self, dataset: Dataset) -> dict | None:
        stored = getattr(dataset, "fair_score", None)
        scored = fair.breakdown(stored)
        return scored.as_json() if scored is not None else None
