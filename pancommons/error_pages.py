"""The site's own 404 and 500 pages (templates 404.html and 500.html) on public pages also when DEBUG is on, as in
`make demo`; Django shows its technical pages there otherwise. The admin and the APIs keep their own errors."""

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.views import defaults

logger = logging.getLogger("django.request")
OWN_ERRORS = ("/admin/", "/api/", "/panosc-api")


class BrandedErrorPagesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def _applies(self, request: HttpRequest) -> bool:
        return settings.DEBUG and not request.path_info.startswith(OWN_ERRORS)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._applies(request):
            try:
                resolve(request.path_info)
            except Resolver404 as error:
                return defaults.page_not_found(request, error)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not self._applies(request):
            return None
        if isinstance(exception, Http404):
            return defaults.page_not_found(request, exception)
        logger.error("Internal Server Error: %s", request.path, exc_info=exception, extra={"request": request})
        return defaults.server_error(request)
