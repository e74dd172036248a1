"""The human-facing site: portal (home, search, browse), landing pages, downloads and access requests."""

from django.urls import include, path

urlpatterns = [
    path("", include("landing.portal.urls")),
    path("", include("landing.pages.urls")),
    path("", include("landing.access.urls")),
]
