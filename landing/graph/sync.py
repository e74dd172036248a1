"""Keeps the Oxigraph store in step with the catalogue: entity descriptions written into their named graphs.

An entity's own triples (about it, its fragments, its blank nodes, and statements made in its context such as a
creator's affiliation or its membership of the catalogue) go to its graph; triples about shared external resources
(an ORCID, a ROR organisation, a licence, a PaNET term) go to a graph named by that resource, rewritten by whichever
description last mentioned it, so a triple is stated once however many entities share the resource.
"""

import itertools
import shutil
from collections.abc import Callable, Iterable
from datetime import timedelta

import pyoxigraph
from django.db.models import Q
from django.utils import timezone
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCAT

from catalogue.models import Dataset, Document
from landing.graph import describe, store
from landing.graph.describe import Description, Entity
from landing.graph.vocabulary import ORG

BATCH = 500
# Own quads gathered before each bulk load into the store being rebuilt (~100 MB of quads).
LOAD_CHUNK = 500_000
# Predicates whose triples belong to the describing entity although their subject is shared (a person's
# affiliation is as the record states it; the catalogue lists the entity).
CONTEXTUAL = {ORG.memberOf, DCAT.dataset}

Term = pyoxigraph.NamedNode | pyoxigraph.BlankNode | pyoxigraph.Literal


def _term(node: object, terms: dict[object, Term]) -> Term:
    """The pyoxigraph term of an rdflib one; `terms` holds those converted so far (a blank node maps to one node)."""
    known = terms.get(node)
    if known is None:
        known = terms[node] = _convert(node)
    return known


def _convert(node: object) -> Term:
    if isinstance(node, URIRef):
        return pyoxigraph.NamedNode(str(node))
    if isinstance(node, BNode):
        return pyoxigraph.BlankNode()
    if isinstance(node, Literal):
        if node.language:
            return pyoxigraph.Literal(str(node), language=node.language)
        if node.datatype:
            return pyoxigraph.Literal(str(node), datatype=pyoxigraph.NamedNode(str(node.datatype)))
        return pyoxigraph.Literal(str(node))
    raise TypeError(f"not an RDF term: {node!r}")


def placed(entity: Entity, description: Description) -> tuple[list[pyoxigraph.Quad], list[pyoxigraph.Quad]]:
    """The description's quads: (those in the entity's own graph, those in the graphs of shared resources)."""
    own_graph = store.entity_graph(entity.as_key())
    iri = str(description.iri)
    terms: dict[object, Term] = {}
    homes: dict[object, pyoxigraph.NamedNode | None] = {}  # the graph of each subject's triples, None for its own
    own: list[pyoxigraph.Quad] = []
    shared: list[pyoxigraph.Quad] = []
    for subject, predicate, value in description.triples:
        if subject in homes:
            home = homes[subject]
        else:
            name = str(subject)
            mine = isinstance(subject, BNode) or name == iri or name.startswith((iri + "#", iri + "/"))
            home = homes[subject] = None if mine else pyoxigraph.NamedNode(name)
        triple = (_term(subject, terms), _term(predicate, terms), _term(value, terms))
        if home is None or predicate in CONTEXTUAL:
            own.append(pyoxigraph.Quad(*triple, own_graph))
        else:
            shared.append(pyoxigraph.Quad(*triple, home))
    return own, shared


def _write(writer: store.Writer, entity: Entity, description: Description | None) -> int:
    writer.remove_graph(store.entity_graph(entity.as_key()))
    if description is None:
        return 0
    own, shared = placed(entity, description)
    for graph in {quad.graph_name for quad in shared}:
        writer.remove_graph(graph)
    writer.extend(own + shared)
    return len(own) + len(shared)


def refresh(entities: Iterable[Entity]) -> int:
    """Rewrite these entities' graphs from the catalogue as it is now (removing those no longer public).

    Described under the writer lock, so a later refresh always writes a later state. Raises store.Busy while a
    rebuild holds the lock. Returns the number of triples written.
    """
    written = 0
    with store.writing() as writer:
        for entity in dict.fromkeys(entities):
            written += _write(writer, entity, describe.describe(entity))
    return written


def rebuild(*, progress: Callable[[str], None] | None = None) -> int:
    """Build the whole store aside from the catalogue, then swap it in as the primary; returns the triple count.

    Holds the writer lock throughout: refreshes queued meanwhile retry and apply once it is done.
    """
    fresh = store.root() / "primary.rebuilding"
    shutil.rmtree(fresh, ignore_errors=True)
    store.root().mkdir(parents=True, exist_ok=True)
    with store.writer_lock(wait=True):
        building = pyoxigraph.Store(str(fresh))
        own: list[pyoxigraph.Quad] = []
        count = written = 0
        entities_left = describe.public_entities()
        while entities := list(itertools.islice(entities_left, BATCH)):
            shared: list[pyoxigraph.Quad] = []
            for entity, description in describe.describe_many(entities).items():
                if description is not None:
                    mine, theirs = placed(entity, description)
                    own += mine
                    shared += theirs
            written += len(own) + len(shared)
            if len(own) >= LOAD_CHUNK:
                _bulk_load(building, own)
            _replace_shared(building, shared)
            count += len(entities)
            if progress is not None:
                progress(f"{count} entities, {written} triples written")
        _bulk_load(building, own)
        triples = len(building)  # shared resources are stated by many entities, once in the store
        building.optimize()
        store.publish(building)
        del building  # the last reference: RocksDB closes before the directory moves
        store.replace_primary(fresh)
    return triples


def _bulk_load(building: pyoxigraph.Store, own: list[pyoxigraph.Quad]) -> None:
    """Write entities' own quads straight into new index files, then drop them: no transaction, no read of what is
    there (each entity's graph is written once, whole, in a fresh store)."""
    building.bulk_extend(own)
    own.clear()


def _replace_shared(building: pyoxigraph.Store, shared: list[pyoxigraph.Quad]) -> None:
    """A shared resource's graph keeps the last batch's statements of it, as a refresh keeps the last entity's."""
    statements = set(shared)  # a PaNET term is stated by most datasets of a batch
    for graph in {quad.graph_name for quad in statements}:
        building.remove_graph(graph)
    building.extend(statements)


def recently_changed(*, window: timedelta) -> list[Entity]:
    """Entities whose openness changed without a write of their own in the last `window`: embargoes that ran out
    (a release date passing is no write) and withdrawals by bulk UPDATE. The beat task's safety net."""
    since, now = timezone.now() - window, timezone.now()
    datasets = Dataset.objects.filter(
        Q(release_date__gt=since, release_date__lte=now) | Q(withdrawn_at__gt=since, withdrawn_at__lte=now)
    ).values_list("pk", "proposal_id")
    documents = Document.objects.filter(
        Q(release_date__gt=since, release_date__lte=now) | Q(withdrawn_at__gt=since, withdrawn_at__lte=now)
    ).values_list("pk", flat=True)
    entities = []
    for dataset_id, proposal_id in datasets:
        entities += [Entity("dataset", dataset_id), Entity("document", proposal_id)]
    entities += [Entity("document", pk) for pk in documents]
    return list(dict.fromkeys(entities))
