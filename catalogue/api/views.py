"""REST API viewsets: reads go through the visibility module, writes through curation services."""

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.template.defaultfilters import pluralize
from django.utils import timezone
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from catalogue import visibility
from catalogue.api import filters, serializers
from catalogue.api.parsers import FORM_TYPES
from catalogue.api.permissions import IsSteward
from catalogue.models import (
    DataFile,
    Dataset,
    Document,
    DocumentKind,
    Facility,
    Instrument,
    Parameter,
    Sample,
    Technique,
)
from catalogue.services import curation, dmp, user_office

PID = r"(?s:.+?)"  # pids may contain slashes (DOIs, prefixes), and any other character a client sends


class DatasetViewSet(viewsets.ModelViewSet):
    serializer_class = serializers.DatasetSerializer
    filterset_class = filters.DatasetFilter
    lookup_field = "pid"
    lookup_value_regex = PID
    ordering_fields = ["title", "creation_time", "size", "pid"]

    def get_queryset(self) -> QuerySet[Dataset]:
        return (
            visibility.datasets_visible_to(self.request.user)
            .select_related("proposal", "instrument", "fair_score")
            .prefetch_related("techniques", "samples", "input_datasets")
            .order_by("title", "pid")
        )

    def perform_create(self, serializer: BaseSerializer) -> None:
        # The real release date needs the saved relations; refresh_release_dates computes it right after.
        dataset = serializer.save(release_date=timezone.now(), ingested_at=timezone.now())
        curation.record_dataset_edit(dataset=dataset, changed_fields=set(serializer.validated_data))

    def perform_update(self, serializer: BaseSerializer) -> None:
        dataset = serializer.save()
        curation.record_dataset_edit(dataset=dataset, changed_fields=set(serializer.validated_data))


class DocumentViewSet(viewsets.ModelViewSet):
    serializer_class = serializers.DocumentSerializer
    filterset_class = filters.DocumentFilter
    lookup_field = "pid"
    lookup_value_regex = PID
    ordering_fields = ["title", "start_date", "release_date", "pid"]

    def get_queryset(self) -> QuerySet[Document]:
        return (
            visibility.documents_visible_to(self.request.user)
            .select_related("facility", "fair_score")
            .prefetch_related("members__person", "members__affiliation")
            .order_by("title", "pid")
        )

    def get_serializer_context(self) -> dict:
        context = dict(super().get_serializer_context())
        user = self.request.user
        context["personal_data_for_all"] = visibility.is_steward(user)
        context["personal_data_document_ids"] = frozenset(visibility.team_document_ids(user))
        shown = getattr(self, "_page_ids", None)
        if shown is None and self.lookup_field in self.kwargs:
            shown = list(Document.objects.filter(pid=self.kwargs[self.lookup_field]).values_list("pk", flat=True))
        context["fair_document_ids"] = frozenset(visibility.documents_seen_whole(user, shown or []))
        return context

    # DRF's stub is generic over any row; this view pages its documents only.
    def paginate_queryset(self, queryset: QuerySet[Document]) -> list[Document] | None:  # type: ignore[override]
        page = super().paginate_queryset(queryset)
        self._page_ids = [document.pk for document in (page if page is not None else queryset)]
        return page

    def perform_update(self, serializer: BaseSerializer) -> None:
        document = serializer.save()
        curation.record_document_edit(document=document, changed_fields=set(serializer.validated_data))


class InstrumentViewSet(viewsets.ModelViewSet):
    ordering_fields = ["name", "pid"]
    queryset = Instrument.objects.select_related("facility").prefetch_related("techniques").order_by("name", "pid")
    serializer_class = serializers.InstrumentSerializer
    filterset_class = filters.InstrumentFilter
    lookup_field = "pid"
    lookup_value_regex = PID


class FacilityViewSet(viewsets.ModelViewSet):
    ordering_fields = ["short_name", "name", "country"]
    queryset = Facility.objects.all()
    serializer_class = serializers.FacilitySerializer
    filterset_class = filters.FacilityFilter
    lookup_field = "short_name"


class TechniqueViewSet(viewsets.ReadOnlyModelViewSet):
    ordering_fields = ["name", "panet_id"]
    queryset = Technique.objects.all()
    serializer_class = serializers.TechniqueSerializer
    filterset_class = filters.TechniqueFilter
    lookup_field = "panet_id"


class SampleViewSet(viewsets.ModelViewSet):
    ordering_fields = ["name", "pid"]
    serializer_class = serializers.SampleSerializer
    filterset_class = filters.SampleFilter
    lookup_field = "pid"
    lookup_value_regex = PID

    def get_queryset(self) -> QuerySet[Sample]:
        if visibility.is_steward(self.request.user):
            return Sample.objects.all()
        # Each sample tested for one visible dataset, where joining every visible dataset and making the samples
        # unique over their whole rows took 1.1 s at a million datasets.
        in_visible_dataset = visibility.datasets_visible_to(self.request.user).filter(samples=OuterRef("pk"))
        return Sample.objects.filter(Exists(in_visible_dataset)).order_by("name", "pid")


class DataFileViewSet(viewsets.ReadOnlyModelViewSet):
    ordering_fields = ["path", "size", "modified_at"]
    serializer_class = serializers.DataFileSerializer
    filterset_class = filters.DataFileFilter

    def get_queryset(self) -> QuerySet[DataFile]:
        visible = visibility.datasets_visible_to(self.request.user)
        return DataFile.objects.filter(dataset__in=visible).select_related("dataset").order_by("dataset", "path")


class ParameterViewSet(viewsets.ReadOnlyModelViewSet):
    ordering_fields = ["name", "value_si"]
    serializer_class = serializers.ParameterSerializer
    filterset_class = filters.ParameterFilter

    def get_queryset(self) -> QuerySet[Parameter]:
        visible = visibility.datasets_visible_to(self.request.user)
        return Parameter.objects.filter(dataset__in=visible).select_related("dataset").order_by("dataset", "name")


@extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
@api_view(["GET", "PUT"])
def document_dmp(request: Request, pid: str) -> Response:
    """The proposal's maDMP (RDA DMP Common Standard 1.2) for its team and stewards; PUT: a steward uploads the plan
    (the whole maDMP JSON as the body; 400 lists every schema error with its JSON path)."""
    document = visibility.documents_visible_to(request.user).filter(pid=pid).first()
    if (
        document is None
        or document.kind == DocumentKind.COLLECTION
        or not visibility.can_see_personal_data(request.user, document)
    ):
        raise Http404("No proposal with this identifier has a data management plan you may read.")
    if request.method == "PUT":
        try:
            dmp.import_plan(document=document, data=dmp.parse_plan(request.body), user=request.user)
        except dmp.InvalidPlan as invalid:
            errors = [{"path": error.path, "message": error.message} for error in invalid.errors]
            message = f"Not a valid maDMP 1.2: {len(errors)} error{pluralize(len(errors))}."
            return Response({"error": {"status": 400, "message": message, "errors": errors}}, status=400)
    return Response(dmp.export_dmp(document=document, user=request.user))


@extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
@api_view(["POST"])
@permission_classes([IsSteward])
def user_office_import(request: Request) -> Response:
    """Stewards import the user office's proposals (docs/people-and-instruments.md): the JSON document as the body, or
    its CSV variant with Content-Type text/csv. 400 lists every error with its location; nothing is written then."""
    if request.content_type.startswith(FORM_TYPES):  # read as a form already: the file is not the body
        raise UnsupportedMediaType(
            request.content_type,
            detail="Send the user-office file as the body (application/json or text/csv), not a form.",
        )
    name = "upload.csv" if request.content_type.startswith("text/csv") else "upload.json"
    try:
        result = user_office.import_proposals(data=user_office.read_file(content=request.body, name=name))
    except user_office.ImportFailed as failed:
        errors = f"{len(failed.errors)} error{pluralize(len(failed.errors))}"
        message = f"Not a valid user-office file: {errors}; nothing was imported."
        return Response({"error": {"status": 400, "message": message, "errors": failed.errors}}, status=400)
    return Response({"created": result.created, "updated": result.updated, "suggested": result.suggested})
