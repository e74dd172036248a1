"""/admin/fair/: the stewards' FAIR pages (behind the admin's staff login)."""

from django.contrib import admin
from django.urls import path

from catalogue.fair import views

urlpatterns = [
    path("worklist/", admin.site.admin_view(views.worklist), name="fair-worklist"),
    path("fix/<str:check>/<int:proposal_id>/", admin.site.admin_view(views.fix), name="fair-fix"),
    path("dashboard/", admin.site.admin_view(views.dashboard), name="fair-dashboard"),
    path("dashboard/distribution.svg", admin.site.admin_view(views.distribution_plot), name="fair-distribution-plot"),
    path("dashboard/history.svg", admin.site.admin_view(views.history_plot), name="fair-history-plot"),
]
