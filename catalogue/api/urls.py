"""/api/v1/: the catalogue REST API."""

from django.urls import path, re_path
from rest_framework.routers import DefaultRouter

from catalogue.api import errors, views

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
    path("user-office/proposals/", views.user_office_import, name="user-office-import"),
    *router.urls,
    # Anything else under /api/v1/ is a JSON 404, as the API's own ones are (not the site's page).
    re_path(r"^.+$", errors.not_found, name="api-not-found"),
]
