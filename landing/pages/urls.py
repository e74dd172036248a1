"""Landing pages of DOIs and datasets, their machine-readable forms, collections, sitemap and methodology."""

from django.contrib.sitemaps.views import index, sitemap
from django.urls import path

from landing.pages import views
from landing.pages.sitemaps import SITEMAPS

urlpatterns = [
    path("doi/<path:doi>", views.doi_page, name="landing-doi"),
    path("datasets/<path:pid>/preview.png", views.dataset_preview, name="landing-dataset-preview"),
    path("datasets/<path:pid>", views.dataset_page, name="landing-dataset"),
    path("linkset/doi/<path:doi>", views.doi_linkset, name="landing-doi-linkset"),
    path("linkset/datasets/<path:pid>", views.dataset_linkset, name="landing-dataset-linkset"),
    path("collections/new", views.collection_new, name="landing-collection-new"),
    path("about/carbon", views.carbon_methodology, name="landing-carbon-methodology"),
    path("sitemap.xml", index, {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap-section"}, name="sitemap"),
    path("sitemap-<section>.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap-section"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
]
