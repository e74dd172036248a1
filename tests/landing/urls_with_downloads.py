"""The project's routes, then stand-ins for the access helper's routes at their real paths and names.

They come last, as landing/urls.py includes the access routes after the landing pages: the dataset page route
must not shadow the download routes below /datasets/.
"""

from django.http import HttpResponse
from django.urls import include, path


def stand_in(request, **kwargs):
    return HttpResponse(f"stand-in {request.resolver_match.url_name}")


urlpatterns = [
    path("", include("pancommons.urls")),
    path("datasets/<path:pid>/files/<int:file_id>/download", stand_in, name="download-file"),
    path("datasets/<path:pid>/download.zip", stand_in, name="download-dataset"),
    path("access/request/<path:pid>", stand_in, name="access-request"),
]
