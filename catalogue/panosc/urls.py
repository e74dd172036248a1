"""Mounted at /panosc-api (no trailing slash): every path below it goes to one view that routes by hand (§1.2)."""

from django.urls import re_path

from catalogue.panosc import views

urlpatterns = [re_path(r"^(?P<rest>.*)$", views.endpoint, name="panosc")]
