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
from rdflib import BNode, URIRef
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

Subject = pyoxigraph.NamedNode | pyoxigraph.BlankNode
Term = Subject | pyoxigraph.Literal


def _node(node: object, blanks: dict[str, pyoxigraph.BlankNode]) -> Term:
    """The pyoxigraph term of a node of a description; `blanks` maps each blank node label to one node."""
    if isinstance(node, pyoxigraph.Literal):  # describe makes its literals as pyoxigraph's already
        return node
    if isinstance(node, URIRef):
        return pyoxigraph.NamedNode(node)
    if isinstance(node, BNode):
        return blanks.setdefault(str(node), pyoxigraph.BlankNode())
    raise TypeError(f"not an RDF term of a description: {node!r}")


def placed(entity: Entity, description: Description) -> tuple[list[pyoxigraph.Quad], list[pyoxigraph.Quad]]:
    """The description's quads: (those in the entity's own graph, those in the graphs of shared resources)."""
    own_graph = store.entity_graph(entity.as_key())
    iri = str(description.iri)
    fragments = (iri + "#", iri + "/")
    # Nodes converted so far, by object id: rdflib's equality is slow Python, and the description keeps them alive.
    subjects: dict[
        int, tuple[pyoxigraph.NamedNode | pyoxigraph.BlankNode, pyoxigraph.NamedNode | None]
    ] = {}  # with the graph of their triples (None: own)
    predicates: dict[int, tuple[pyoxigraph.NamedNode, bool]] = {}  # with whether they are CONTEXTUAL
    values: dict[int, Term] = {}
    blanks: dict[str, pyoxigraph.BlankNode] = {}
    own: list[pyoxigraph.Quad] = []
    shared: list[pyoxigraph.Quad] = []
    for subject, predicate, value in description.triples:
        known = subjects.get(id(subject))
        if known is None:
            name = str(subject)
            mine = isinstance(subject, BNode) or name == iri or name.startswith(fragments)
            node = _node(subject, blanks)
            assert not isinstance(node, pyoxigraph.Literal), subject  # describe states nothing of a literal
            known = subjects[id(subject)] = (node, None if mine else pyoxigraph.NamedNode(name))
        term, home = known
        verb = predicates.get(id(predicate))
        if verb is None:
            verb = predicates[id(predicate)] = (pyoxigraph.NamedNode(str(predicate)), predicate in CONTEXTUAL)
        target: Term | None
        if type(value) is pyoxigraph.Literal:
            target = value
        else:
            target = values.get(id(value))
            if target is None:
                target = values[id(value)] = _node(value, blanks)
        if home is None or verb[1]:
            own.append(pyoxigraph.Quad(term, verb[0], target, own_graph))
        else:
            shared.append(pyoxigraph.Quad(term, verb[0], target, home))
    return own, shared


def _write(writer: store.Writer, entity: Entity, description: Description | None) -> int:
    writer.remove_graph(store.entity_graph(entity.as_key()))
    if description is None:
        return 0
    own, shared = placed(entity, description)
    for graph in {quad.graph_name for quad in shared}:
        writer.remove_graph(graph)  # type: ignore[arg-type]  # placed() names every graph (no default graph)
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


def rebuild(*, entities: Iterable[Entity] | None = None, progress: Callable[[str], None] | None = None) -> int:
    """Build the whole store aside from the catalogue (or only these entities: benchmarks), then swap it in as the
    primary; returns the triple count.

    Holds the writer lock throughout: refreshes queued meanwhile retry and apply once it is done.
    """
    fresh = store.root() / "primary.rebuilding"
    shutil.rmtree(fresh, ignore_errors=True)
    store.root().mkdir(parents=True, exist_ok=True)
    with store.writer_lock(wait=True):
        building = pyoxigraph.Store(str(fresh))
        loader = Loader(building)
        count = 0
        entities_left = iter(entities) if entities is not None else describe.public_entities()
        while batch := list(itertools.islice(entities_left, BATCH)):
            loader.add(describe.describe_many(batch))
            count += len(batch)
            if progress is not None:
                progress(f"{count} entities, {loader.written} triples written")
        loader.finish()
        triples = len(building)  # shared resources are stated by many entities, once in the store
        building.optimize()
        store.publish(building)
        del building, loader  # the last references: RocksDB closes before the directory moves
        store.replace_primary(fresh)
    return triples


class Loader:
    """Writes described entities into a fresh store. Their own quads go straight into new index files (bulk_extend:
    no transaction, no read of what is there), LOAD_CHUNK at a time; a shared resource's graph is replaced by each
    batch that states it, so it keeps the last batch's statements as a refresh keeps the last entity's."""

    def __init__(self, building: pyoxigraph.Store) -> None:
        self._building = building
        self._own: list[pyoxigraph.Quad] = []
        self.written = 0

    def add(self, described: dict[Entity, Description | None]) -> None:
        """Write one batch's descriptions (None: not public, nothing to write)."""
        shared: set[pyoxigraph.Quad] = set()  # a PaNET term is stated by most datasets of a batch
        for entity, description in described.items():
            if description is not None:
                own, theirs = placed(entity, description)
                self._own += own
                shared.update(theirs)
                self.written += len(own) + len(theirs)
        for graph in {quad.graph_name for quad in shared}:
            self._building.remove_graph(graph)
        self._building.extend(shared)
        if len(self._own) >= LOAD_CHUNK:
            self.finish()

    def finish(self) -> None:
        """Write the own quads gathered so far."""
        self._building.bulk_extend(self._own)
        self._own.clear()


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
