"""/api/v1/: the catalogue REST API."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from catalogue.api import views

router = DefaultRouter()
router.register("datasets", views.DatasetViewSet, basename="dataset")
router.register("documents", views.DocumentViewSet, basename="document")
router.register("instruments", views.InstrumentViewSet, basename="instrument")
router.register("facilities", views.FacilityViewSet, basename="facility")
router.register("techniques", views.TechniqueViewSet, basename="technique")
router.register("samples", views.SampleViewSet, basename="sample")
router.register("files", views.DataFileViewSet, basename="data-file")
router.register("parameters", views.ParameterViewSet, basename="parameter")

urlpatterns = [
    # Before the router: its document route would take "<pid>/dmp" for a pid.
    path("documents/<path:pid>/dmp/", views.document_dmp, name="document-dmp"),
    *router.urls,
]
