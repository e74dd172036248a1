"""The project's routes plus stand-ins for the landing pages' URL names, for the signposting test."""

from django.http import HttpResponse
from django.urls import include, path


def _page(request, pid):  # the landing pages are built in their own app; only their addresses matter here
    return HttpResponse()


urlpatterns = [
    path("", include("landing.access.urls")),
    path("linkset/datasets/<path:pid>", _page, name="landing-dataset-linkset"),
    path("landing/datasets/<path:pid>", _page, name="landing-dataset"),
]
