"""Routes of the knowledge graph: the catalogue (Hydra pages by content negotiation), the dump, SPARQL."""

from django.urls import path

from landing.graph import views

urlpatterns = [
    path("catalog", views.catalogue_view, name="graph-catalogue"),
    path("catalog.ttl", views.dump_view, {"key": "ttl"}, name="graph-dump-turtle"),
    path("catalog.nt", views.dump_view, {"key": "nt"}, name="graph-dump-ntriples"),
    path("sparql", views.sparql_view, name="graph-sparql"),
]
