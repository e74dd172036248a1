"""Routes of the H5Web viewer: the page, and the h5grove routes H5Web calls below it (URL names are a contract)."""

from django.urls import path

from landing.viewer import views

urlpatterns = [
    path("datasets/<path:pid>/files/<int:file_id>/explore", views.explore, name="viewer-explore"),
    path("datasets/<path:pid>/files/<int:file_id>/h5grove/meta", views.meta, name="viewer-meta"),
    path("datasets/<path:pid>/files/<int:file_id>/h5grove/attr", views.attr, name="viewer-attr"),
    path("datasets/<path:pid>/files/<int:file_id>/h5grove/data", views.data, name="viewer-data"),
    path("datasets/<path:pid>/files/<int:file_id>/h5grove/paths", views.paths, name="viewer-paths"),
]
