"""Top-level routes: admin, REST API, PaNOSC Search API, landing pages and portal, health."""

from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView
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
    # Browsers ask for /favicon.ico on pages that name no icon (the admin, the API's browsable views).
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("pancommons/favicon.svg"))),
    path("", include("landing.urls")),
]
