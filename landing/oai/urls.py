"""The OAI-PMH route."""

from django.urls import path

from landing.oai import views

urlpatterns = [path("oai", views.oai_view, name="oai")]
