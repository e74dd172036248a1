"""The human-facing site: portal (home, search, browse), landing pages, downloads and access requests."""

from django.urls import include, path

urlpatterns = [
    path("", include("landing.portal.urls")),
    # Before the landing pages: /datasets/<path:pid> would otherwise swallow the download routes below it.
    path("", include("landing.access.urls")),
    path("", include("landing.viewer.urls")),
    path("", include("landing.pages.urls")),
    path("", include("landing.graph.urls")),
    path("", include("landing.oai.urls")),
]
