"""Portal routes at the site root; pids may contain slashes."""

from django.urls import path

from landing.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("search", views.search_page, name="search"),
    path("proposals/<path:pid>", views.proposal_page, name="proposal"),
    path("instruments/<path:pid>", views.instrument_page, name="instrument"),
    path("techniques/<str:panet_id>", views.technique_page, name="technique"),
]
