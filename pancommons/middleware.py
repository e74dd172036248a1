"""Requests no route can answer, refused before any view: a NUL byte in the path (PostgreSQL text can hold none)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse


class RejectNulBytesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path_info:
            response = JsonResponse(
                {"error": {"status": 400, "message": "The path contains a NUL byte; no record has such a pid."}},
                status=400,
            )
            # The PaNOSC federation calls from browsers: its errors carry CORS like every other answer (spec §1.5).
            response["Access-Control-Allow-Origin"] = "*"
            return response
        return self.get_response(request)
