"""The graph store follows the catalogue through a real Celery worker (prefork) against Redis and the test database:
a steward's edit, an embargo release and a withdrawal each reach /sparql once committed, while this process reads
the published generations read-only."""

import json
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from catalogue.services import opening
from landing.graph import describe, sync
from tests.factories import DatasetFactory, InstrumentFactory, ProposalFactory, TechniqueFactory
from tests.workers import celery_worker

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not settings.CELERY_BROKER_URL.startswith("redis"), reason="needs Redis (REDIS_URL)"),
]


@pytest.fixture
def graph_worker(transactional_db, settings, tmp_path):
    settings.GRAPH_STORE_DIR = tmp_path / "graph"
    log = tmp_path / "worker.log"
    with celery_worker(log=log, name="graph-test", environment={"GRAPH_STORE_DIR": str(settings.GRAPH_STORE_DIR)}):
        yield log


def ask(query: str) -> bool:
    response = Client().get("/sparql", {"query": query}, HTTP_ACCEPT="application/sparql-results+json")
    assert response.status_code == 200, response.content
    return json.loads(response.content)["boolean"]


def eventually(query: str, expected: bool, log, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while ask(query) is not expected:
        assert time.monotonic() < deadline, f"the store did not follow: {query}\n" + log.read_text()[-3000:]
        time.sleep(0.3)


def test_the_worker_keeps_the_store_in_step_with_edits_releases_and_withdrawals(graph_worker):
    technique = TechniqueFactory()
    instrument = InstrumentFactory()
    proposal = ProposalFactory(facility=instrument.facility, doi="10.80000/GRAPH-WORKER-1")
    dataset = DatasetFactory(proposal=proposal, instrument=instrument, techniques=[technique], title="Before edit")
    embargoed = DatasetFactory(proposal=proposal, instrument=instrument, embargoed=True, title="Still closed")
    sync.rebuild()
    iri, closed_iri = describe.dataset_iri(dataset.pid), describe.dataset_iri(embargoed.pid)
    assert ask(f'ASK {{ <{iri}> dct:title "Before edit" }}')
    assert not ask(f"ASK {{ <{closed_iri}> ?p ?o }}")

    dataset.title = "After edit"
    dataset.save()  # a steward's edit: post_save queues the refresh on commit
    eventually(f'ASK {{ <{iri}> dct:title "After edit" }}', True, graph_worker)

    opening.open_now(embargoed, by=None)  # the embargo released early: dataset_opened
    eventually(f'ASK {{ <{closed_iri}> dct:title "Still closed" }}', True, graph_worker)
    doi = describe.document_iri(proposal.doi)
    eventually(f"ASK {{ <{doi}> dct:hasPart <{closed_iri}> }}", True, graph_worker)

    dataset.withdrawn_at = timezone.now() - timedelta(seconds=1)
    dataset.withdrawal_reason = "Wrong sample"
    dataset.save()
    eventually(f"ASK {{ <{iri}> ?p ?o }}", False, graph_worker)
    eventually(f"ASK {{ <{doi}> dct:hasPart <{iri}> }}", False, graph_worker)
    assert "refresh_entities" in graph_worker.read_text()
