"""The open catalogue as a whole: the streamed dump (Turtle, N-Triples) and the Hydra-paged catalogue, both read
from the published store, so that they say exactly what /sparql answers from."""

import math
from collections.abc import Iterator
from dataclasses import dataclass

import pyoxigraph
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, RDF, XSD

from catalogue import visibility
from landing.graph import describe, store
from landing.graph.describe import Entity
from landing.graph.vocabulary import HYDRA, PREFIXES

DUMP_BATCH = 5000
PAGE_SIZE = 100
DUMP_FORMATS = {
    "ttl": (pyoxigraph.RdfFormat.TURTLE, "text/turtle; charset=utf-8"),
    "nt": (pyoxigraph.RdfFormat.N_TRIPLES, "application/n-triples"),
}


class NotBuilt(Exception):
    pass


def _prefix_map() -> dict[str, str]:
    return {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}


def dump(key: str) -> Iterator[bytes]:
    """Every triple of the published generation, serialised batch by batch: memory stays flat whatever the size.

    Turtle batches share one prefix header; each batch is complete Turtle on its own. Raises NotBuilt.
    """
    reader = store.reading()
    if reader is None:
        raise NotBuilt("the graph store has not been built yet")
    rdf_format, _ = DUMP_FORMATS[key]
    return _batches(reader, rdf_format)


def _batches(reader: pyoxigraph.Store, rdf_format: pyoxigraph.RdfFormat) -> Iterator[bytes]:
    turtle = rdf_format == pyoxigraph.RdfFormat.TURTLE
    if turtle:
        yield "".join(f"@prefix {prefix}: <{iri}> .\n" for prefix, iri in _prefix_map().items()).encode() + b"\n"
    batch: list[pyoxigraph.Triple] = []
    for quad in reader.quads_for_pattern(None, None, None, None):
        batch.append(quad.triple)
        if len(batch) == DUMP_BATCH:
            yield _serialise(batch, rdf_format, turtle=turtle)
            batch = []
    if batch:
        yield _serialise(batch, rdf_format, turtle=turtle)


def _serialise(batch: list[pyoxigraph.Triple], rdf_format: pyoxigraph.RdfFormat, *, turtle: bool) -> bytes:
    text = pyoxigraph.serialize(batch, format=rdf_format, prefixes=_prefix_map() if turtle else None)
    assert text is not None  # serialize returns the bytes when given no output file
    if not turtle:
        return text
    body = b"\n".join(line for line in text.split(b"\n") if not line.startswith(b"@prefix "))
    return body.lstrip(b"\n") + b"\n"


@dataclass(frozen=True)
class Page:
    number: int
    last: int
    total: int
    graph: Graph


def members(*, offset: int, limit: int) -> tuple[int, list[tuple[Entity, URIRef]]]:
    """(total, the entities and IRIs at offset…offset+limit): the public DOIs, then the open datasets, by id."""
    documents = describe.public_documents()
    datasets = visibility.open_datasets()
    document_count, dataset_count = documents.count(), datasets.count()
    entities = [
        (Entity("document", pk), describe.document_iri(doi))
        for pk, doi in documents.order_by("pk").values_list("pk", "doi")[offset : offset + limit]
    ]
    start = max(0, offset - document_count)
    entities += [
        (Entity("dataset", pk), describe.dataset_iri(pid))
        for pk, pid in datasets.order_by("pk").values_list("pk", "pid")[start : start + limit - len(entities)]
    ]
    return document_count + dataset_count, entities


def page(number: int, *, page_url: str) -> Page:
    """Page `number` of the catalogue: its own description, a hydra:PartialCollectionView, and the descriptions of
    PAGE_SIZE of its datasets as the store holds them (a dataset not yet written there is listed by its IRI)."""
    total, entities = members(offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    last = max(1, math.ceil(total / PAGE_SIZE))
    graph = describe.describe_catalogue().graph
    subject = describe.catalogue_iri()
    graph.add((subject, RDF.type, HYDRA.Collection))
    graph.add((subject, HYDRA.totalItems, Literal(total, datatype=XSD.nonNegativeInteger)))
    view = URIRef(f"{page_url}?page={number}")
    graph.add((subject, HYDRA.view, view))
    graph.add((view, RDF.type, HYDRA.PartialCollectionView))
    graph.add((view, HYDRA.first, URIRef(f"{page_url}?page=1")))
    graph.add((view, HYDRA.last, URIRef(f"{page_url}?page={last}")))
    if number > 1:
        graph.add((view, HYDRA.previous, URIRef(f"{page_url}?page={min(number - 1, last)}")))
    if number < last:
        graph.add((view, HYDRA.next, URIRef(f"{page_url}?page={number + 1}")))
    reader = store.reading()
    for entity, iri in entities:
        graph += _stored(reader, entity)
        graph.add((subject, DCAT.dataset, iri))  # listed even while the store is behind
    return Page(number=number, last=last, total=total, graph=graph)


def _stored(reader: pyoxigraph.Store | None, entity: Entity) -> Graph:
    """An entity's graph in the store, with the graphs of the shared resources it names."""
    graph = Graph()
    if reader is None:
        return graph
    own = list(reader.quads_for_pattern(None, None, None, store.entity_graph(entity.as_key())))
    shared = {quad.object for quad in own if isinstance(quad.object, pyoxigraph.NamedNode)}
    triples = [quad.triple for quad in own]
    for node in shared:
        triples += [quad.triple for quad in reader.quads_for_pattern(None, None, None, node)]
    if triples:
        graph.parse(data=pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES), format="nt")
    return graph
