"""Landing pages of DOIs and datasets, their machine-readable forms, collections, sitemap and methodology."""

from django.contrib.sitemaps.views import index, sitemap
from django.urls import path, register_converter

from landing.pages import fair, views
from landing.pages.sitemaps import SITEMAPS


class DatasetPidConverter:
    """A dataset pid, slashes included, that leaves the routes below /datasets/ (downloads, viewer, preview, notebook)
    to their views.

    NUL bytes never get this far: pancommons.middleware refuses them for every route.
    """

    regex = r"(?:(?!/files/\d+/(?:download|explore|h5grove/\w+)$|/download\.zip$|/preview\.png$|/notebook\.ipynb$).)+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(DatasetPidConverter, "dataset_pid")

urlpatterns = [
    # Before the DOI page: <path:doi> would swallow the notebook (a DOI ending in "/notebook.ipynb" is not served).
    path("doi/<path:doi>/notebook.ipynb", views.doi_notebook, name="landing-doi-notebook"),
    path("doi/<path:doi>/ro-crate-metadata.json", views.doi_crate, name="landing-doi-crate"),
    path("doi/<path:doi>/dmp.json", views.doi_dmp, name="landing-doi-dmp"),
    path("doi/<path:doi>", views.doi_page, name="landing-doi"),
    path("datasets/<dataset_pid:pid>/preview.png", views.dataset_preview, name="landing-dataset-preview"),
    path("datasets/<dataset_pid:pid>/notebook.ipynb", views.dataset_notebook, name="landing-dataset-notebook"),
    path("datasets/<dataset_pid:pid>", views.dataset_page, name="landing-dataset"),
    path("linkset/doi/<path:doi>", views.doi_linkset, name="landing-doi-linkset"),
    path("linkset/datasets/<path:pid>", views.dataset_linkset, name="landing-dataset-linkset"),
    path("collections/new", views.collection_new, name="landing-collection-new"),
    path("fair/datasets/<path:pid>", fair.dataset_score, name="fair-dataset-score"),
    path("fair/doi/<path:doi>", fair.document_score, name="fair-document-score"),
    path("fair/fix/<path:pid>", fair.member_fix, name="fair-member-fix"),
    path("about/carbon", views.carbon_methodology, name="landing-carbon-methodology"),
    path("sitemap.xml", index, {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap-section"}, name="sitemap"),
    path("sitemap-<section>.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap-section"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
]
