"""POST /api/v1/ingest/ for acquisition systems (token auth, stewards): queue a file, get a job; GET the job."""

from pathlib import Path

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalogue import visibility
from catalogue.models import Dataset
from ingest import services
from ingest.models import IngestionJob


class IngestRequestSerializer(serializers.Serializer):
    path = serializers.CharField(max_length=4096, help_text="Absolute path of the file, inside an ingestion root.")


class IngestionJobSerializer(serializers.ModelSerializer):
    dataset: "serializers.SlugRelatedField[Dataset]" = serializers.SlugRelatedField(
        slug_field="pid", read_only=True, allow_null=True, help_text="Null until the job has succeeded."
    )

    class Meta:
        model = IngestionJob
        fields = [
            "id",
            "path",
            "state",
            "outcome",
            "trigger",
            "attempts",
            "dataset",
            "warnings",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]


class MayIngest(BasePermission):
    """Stewards, and accounts given the ingest permissions (an acquisition system needs no other right)."""

    message = "Only data stewards and acquisition accounts may queue or read ingestion jobs."

    def has_permission(self, request: Request, view: APIView) -> bool:
        wanted = "ingest.add_ingestionjob" if request.method == "POST" else "ingest.view_ingestionjob"
        return visibility.is_steward(request.user) or request.user.has_perm(wanted)


class IngestView(APIView):
    permission_classes = [MayIngest]

    @extend_schema(request=IngestRequestSerializer, responses={202: IngestionJobSerializer})
    def post(self, request: Request) -> Response:
        payload = IngestRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        path = Path(payload.validated_data["path"])
        try:
            root = services.allowed_source_folder(path=path)
        except services.PathNotAllowed as error:
            raise serializers.ValidationError({"path": [str(error)]}) from error
        job = services.create_job(
            path=path,
            source_folder=root,
            trigger=IngestionJob.Trigger.API,
            requested_by=request.user if request.user.is_authenticated else None,
        )
        services.queue_job(job=job)
        return Response(IngestionJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class IngestionJobView(APIView):
    permission_classes = [MayIngest]

    @extend_schema(responses={200: IngestionJobSerializer})
    def get(self, request: Request, job_id: int) -> Response:
        return Response(IngestionJobSerializer(get_object_or_404(IngestionJob, pk=job_id)).data)
