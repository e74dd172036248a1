"""A rebuild describes entities in batches (describe.describe_many); a refresh or a page describes one. Both paths must
state exactly the same triples, on real ingested files and on the graph tests' catalogue."""

import pyoxigraph
import pytest
from rdflib.compare import isomorphic

from catalogue import visibility
from catalogue.models import Document, DoiState
from catalogue.services import opening
from landing.datacite import metadata
from landing.graph import describe, store, sync
from landing.services.pages import citing_documents
from tests.factories import MemberFactory, PersonFactory
from tests.ingest.conftest import ingest, registry  # noqa: F401  fixtures: real files ingested
from tests.landing.graph_catalogue import graph_catalogue

SAMPLES = ["NXcanSAS_examples/DLS_I22_gc14.h5", "exampledata/PSI_SINQ_DMC_dmc01.h5"]


def assert_batch_matches_one_by_one() -> None:
    entities = list(describe.public_entities())
    assert sum(entity.kind == "dataset" for entity in entities) >= 2
    together = describe.describe_many(entities)
    for entity in entities:
        alone = describe.describe(entity)
        batched = together[entity]
        assert alone is not None and batched is not None, entity
        assert len(batched.triples) == len(alone.triples), entity
        assert isomorphic(batched.graph, alone.graph), entity
    datasets = list(
        visibility.open_datasets().select_related("proposal__facility", "instrument__facility").order_by("pk")
    )
    records = metadata.dataset_records(datasets=datasets, citing=citing_documents(datasets))
    for dataset, record in zip(datasets, records, strict=True):
        citing = citing_documents([dataset])[dataset.pk]
        assert record == metadata.dataset_metadata(dataset=dataset, citing=citing), dataset.pid


def test_real_ingested_datasets_are_described_the_same_in_a_batch_and_alone(ingest):  # noqa: F811
    for number, sample in enumerate(SAMPLES):
        dataset = ingest(sample).dataset
        proposal = dataset.proposal
        Document.objects.filter(pk=proposal.pk).update(doi=f"10.80000/BATCH-{number}", doi_state=DoiState.FINDABLE)
        person = PersonFactory(full_name=f"Ada Lovelace {number}", orcid=f"0000-0002-1825-009{number}")
        MemberFactory(document=proposal, position=0, person=person)
        opening.open_now(proposal, by=None)
    assert_batch_matches_one_by_one()


@pytest.fixture
def catalogue(open_proposal, embargoed_proposal, tmp_path):
    return graph_catalogue(open_proposal, embargoed_proposal, storage=tmp_path / "storage")


def test_derived_collected_and_embargoed_entities_are_described_the_same_in_a_batch_and_alone(catalogue):
    assert_batch_matches_one_by_one()


def stored_quads(path) -> tuple[list[str], int]:
    """The store's quads without blank nodes, sorted, and the number with one (their labels differ between loads)."""
    stored = pyoxigraph.Store.read_only(str(path))
    named, blank = [], 0
    for quad in stored:
        if isinstance(quad.subject, pyoxigraph.BlankNode) or isinstance(quad.object, pyoxigraph.BlankNode):
            blank += 1
        else:
            named.append(str(quad))
    return sorted(named), blank


@pytest.mark.django_db(transaction=True)  # the worker processes read the catalogue through connections of their own
def test_a_rebuild_by_worker_processes_stores_what_one_process_stores(catalogue, settings, tmp_path):
    stores = {}
    for workers in (1, 2):
        settings.GRAPH_STORE_DIR = tmp_path / f"graph-{workers}"
        sync.rebuild(workers=workers)
        stores[workers] = stored_quads(store.generation_path(store.current_generation() or ""))
    assert stores[2][0] and stores[2] == stores[1]
