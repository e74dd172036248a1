"""The project's routes plus stand-ins for the access helper's download and access-request routes (same names)."""

from django.http import HttpResponse
from django.urls import include, path


def stand_in(request, **kwargs):
    return HttpResponse("stand-in")


urlpatterns = [
    path("files/<path:pid>/<int:file_id>", stand_in, name="download-file"),
    path("zip/<path:pid>", stand_in, name="download-dataset"),
    path("access/<path:pid>", stand_in, name="access-request"),
    path("", include("pancommons.urls")),
]
