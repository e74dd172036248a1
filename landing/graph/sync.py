"""Keeps the Oxigraph store in step with the catalogue: entity descriptions written into their named graphs.

An entity's own triples (about it, its fragments, its blank nodes, and statements made in its context such as a
creator's affiliation or its membership of the catalogue) go to its graph; triples about shared external resources
(an ORCID, a ROR organisation, a licence, a PaNET term) go to a graph named by that resource, rewritten by whichever
description last mentioned it, so a triple is stated once however many entities share the resource.
"""

import gc
import itertools
import multiprocessing
import shutil
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from multiprocessing.pool import AsyncResult, Pool

import pyoxigraph
from django.db import connections
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


def rebuild(
    *,
    entities: Iterable[Entity] | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int = 1,
    optimize: bool = True,
) -> int:
    """Build the whole store aside from the catalogue (or only these entities: benchmarks), then swap it in as the
    primary; returns the triple count. With `workers` > 1, that many forked processes describe the batches while
    this one, the single writer, loads them (a batch's quads reach it as N-Quads, in batch order). `optimize` false
    skips the final compaction, which rewrites the whole store (twice its size on disk for a while).

    Holds the writer lock throughout: refreshes queued meanwhile retry and apply once it is done.
    """
    fresh = store.root() / "primary.rebuilding"
    shutil.rmtree(fresh, ignore_errors=True)
    store.root().mkdir(parents=True, exist_ok=True)
    entities_left = iter(entities) if entities is not None else None
    with _describing(workers) as pool, store.writer_lock(wait=True), _collecting_per_batch():
        building = pyoxigraph.Store(str(fresh))
        loader = Loader(building)
        count = 0
        if entities_left is None:
            entities_left = describe.public_entities()
        pending: deque[AsyncResult[Serialised]] = deque()
        while batch := list(itertools.islice(entities_left, BATCH)):
            if pool is None:
                loader.add(describe.describe_many(batch))
                gc.collect()
            else:
                pending.append(pool.apply_async(describe_serialised, ([entity.as_key() for entity in batch],)))
                if len(pending) > 2 * workers:  # a few batches ahead, not the whole catalogue in memory
                    loader.add_serialised(pending.popleft().get())
            count += len(batch)
            if progress is not None:
                progress(f"{count} entities, {loader.written} triples written")
        while pending:
            loader.add_serialised(pending.popleft().get())
        loader.finish()
        triples = len(building)  # shared resources are stated by many entities, once in the store
        if optimize:
            building.optimize()
        store.publish(building)
        del building, loader  # the last references: RocksDB closes before the directory moves
        store.replace_primary(fresh)
    return triples


@contextmanager
def _describing(workers: int) -> Iterator[Pool | None]:
    """A pool of `workers` forked describing processes (None for one: this process describes).

    Forked before the writer lock is taken, with no database connection open: a child must never share the
    parent's (its exit would close it, and the advisory lock with it); each opens its own.
    """
    if workers <= 1:
        yield None
        return
    connections.close_all()
    pool = multiprocessing.get_context("fork").Pool(workers, initializer=_worker_started)
    try:
        yield pool
    except BaseException:
        pool.terminate()
        raise
    else:
        pool.close()
    finally:
        pool.join()


def _worker_started() -> None:
    gc.freeze()  # collected once a batch (describe_serialised), only what is new, as in the parent
    gc.disable()


# A batch described by a worker: (own quads as N-Quads, their number, the shared resources' quads as N-Quads).
Serialised = tuple[bytes, int, bytes]


def describe_serialised(keys: list[str]) -> Serialised:
    """Describe these entities (a worker's task) and return their placed quads as N-Quads."""
    own: list[pyoxigraph.Quad] = []
    shared: set[pyoxigraph.Quad] = set()
    for entity, description in describe.describe_many([Entity.from_key(key) for key in keys]).items():
        if description is not None:
            mine, theirs = placed(entity, description)
            own += mine
            shared.update(theirs)
    serialised = (_n_quads(own), len(own), _n_quads(shared))
    del own, shared
    gc.collect()
    return serialised


def _n_quads(quads: Iterable[pyoxigraph.Quad]) -> bytes:
    text = pyoxigraph.serialize(quads, format=pyoxigraph.RdfFormat.N_QUADS)
    assert text is not None  # serialize returns the bytes when given no output file
    return text


@contextmanager
def _collecting_per_batch() -> Iterator[None]:
    """Python's cyclic garbage collector off, the caller collecting once a batch: a batch makes ~100,000 tracked
    objects (triples, model rows), so automatic collections ran every few hundred triples, each walking everything
    alive, the quads gathered for the next bulk load included: 40 % of a rebuild's CPU."""
    gc.freeze()  # what exists already (Django, the code) is never collected: a collection walks only what is new
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


class Loader:
    """Writes described entities into a fresh store. Their own quads go straight into new index files (bulk_extend,
    bulk_load: no transaction, no read of what is there), LOAD_CHUNK at a time; a shared resource's graph is replaced
    by each batch that states it, so it keeps the last batch's statements as a refresh keeps the last entity's."""

    def __init__(self, building: pyoxigraph.Store) -> None:
        self._building = building
        self._own: list[pyoxigraph.Quad] = []
        self._serialised: list[bytes] = []  # own quads as N-Quads, from the workers
        self._gathered = 0
        self.written = 0

    def add(self, described: dict[Entity, Description | None]) -> None:
        """Write one batch's descriptions (None: not public, nothing to write)."""
        shared: set[pyoxigraph.Quad] = set()  # a PaNET term is stated by most datasets of a batch
        for entity, description in described.items():
            if description is not None:
                own, theirs = placed(entity, description)
                self._own += own
                shared.update(theirs)
                self._gathered += len(own)
                self.written += len(own) + len(theirs)
        self._replace_shared(shared)

    def add_serialised(self, batch: Serialised) -> None:
        """Write one batch described by a worker (describe_serialised)."""
        own, count, shared = batch
        self._serialised.append(own)
        self._gathered += count
        quads = set(pyoxigraph.parse(shared, format=pyoxigraph.RdfFormat.N_QUADS))
        self.written += count + len(quads)
        self._replace_shared(quads)

    def _replace_shared(self, shared: set[pyoxigraph.Quad]) -> None:
        for graph in {quad.graph_name for quad in shared}:
            self._building.remove_graph(graph)
        self._building.extend(shared)
        if self._gathered >= LOAD_CHUNK:
            self.finish()

    def finish(self) -> None:
        """Write the own quads gathered so far."""
        if self._own:
            self._building.bulk_extend(self._own)
            self._own.clear()
        if self._serialised:
            self._building.bulk_load(b"".join(self._serialised), format=pyoxigraph.RdfFormat.N_QUADS)
            self._serialised.clear()
        self._gathered = 0


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
