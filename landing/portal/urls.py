"""Portal routes at the site root; pids may contain slashes."""

from django.urls import path, register_converter

from landing.portal import views


class PidConverter:
    """Any pid, slashes included, but never a NUL byte (PostgreSQL text cannot hold one: such a pid is a 404)."""

    regex = "[^\x00]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(PidConverter, "pid")

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("search", views.search_page, name="search"),
    path("proposals/<pid:pid>", views.proposal_page, name="proposal"),
    path("instruments/<pid:pid>", views.instrument_page, name="instrument"),
    path("techniques/<str:panet_id>", views.technique_page, name="technique"),
    path("previews/<pid:pid>.png", views.preview_png, name="preview"),
]
