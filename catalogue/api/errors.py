"""One exception handler: every API error is JSON that says what is wrong, never a database message."""

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, DataError, IntegrityError
from django.http import HttpRequest, JsonResponse
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    response = drf_exception_handler(exc, context)
    if response is not None:
        if isinstance(response.data, dict) and "detail" in response.data:
            response.data = {"error": {"status": response.status_code, "message": str(response.data["detail"])}}
        else:
            response.data = {
                "error": {"status": response.status_code, "message": "Invalid input.", "fields": response.data}
            }
        return response
    if isinstance(exc, DjangoValidationError):
        return Response({"error": {"status": 400, "message": "; ".join(exc.messages)}}, status=400)
    if isinstance(exc, IntegrityError):
        logger.info("integrity error in API write: %s", exc)
        return Response(
            {"error": {"status": 409, "message": "This change conflicts with an existing record."}},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DataError):
        # A value the database refused (out of range, malformed): the input's fault, though no field can be named;
        # the filters and serializers name the field for every case we know of, this is the net below them.
        logger.warning("data error in API: %s", exc)
        return Response(
            {"error": {"status": 400, "message": "A value in the request is out of the range the catalogue holds."}},
            status=400,
        )
    if isinstance(exc, DatabaseError):
        logger.exception("database error in API")
        return Response({"error": {"status": 503, "message": "The catalogue is unavailable; try again."}}, status=503)
    return None


def not_found(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"error": {"status": 404, "message": f"No API route {request.path}."}}, status=404)
