"""Top-level routes: admin, REST API, PaNOSC Search API, landing pages and portal, health."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from pancommons import health, metrics

admin.site.site_header = f"PaN Commons — {settings.HOME_FACILITY}"
admin.site.site_title = "PaN Commons curation"

urlpatterns = [
    path("admin/fair/", include("catalogue.fair.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/ingest/", include("ingest.urls")),
    path("api/v1/", include("catalogue.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/schema/ui/", SpectacularSwaggerView.as_view(url_name="schema"), name="schema-ui"),
    path("panosc-api", include("catalogue.panosc.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("", include("landing.urls")),
]
