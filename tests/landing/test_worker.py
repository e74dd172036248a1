"""A real Celery worker mints the DOI of a proposal when ingestion records its first dataset."""

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection, transaction

from catalogue.models import Document, DoiState
from catalogue.signals import dataset_recorded
from pancommons.celery import app
from tests.factories import DatasetFactory, ProposalFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(fake_datacite):
    """`celery worker` in a subprocess on the test database, the test Redis and the fake DataCite."""
    database = connection.settings_dict
    env = os.environ | {
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "DATACITE_API_URL": fake_datacite.url,
        "DATACITE_USERNAME": fake_datacite.username,
        "DATACITE_PASSWORD": fake_datacite.password,
        "DATACITE_PREFIX": "10.80000",
        "DEBUG": "true",
        # The test database's name is not the one the id was derived from: the worker joins this process's prefix.
        "REDIS_KEY_PREFIX": settings.REDIS_KEY_PREFIX,
    }
    app.control.purge()  # messages queued by earlier tests name rows that no longer exist
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "pancommons",
            "worker",
            "-P",
            "solo",
            "-l",
            "warning",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=settings.BASE_DIR,
        env=env,
    )
    yield process
    process.terminate()
    process.wait(timeout=30)


def test_first_dataset_of_a_proposal_gets_a_findable_doi_through_the_worker(worker, fake_datacite, esrf):
    proposal = ProposalFactory(facility=esrf, proposal_number="MA-77", doi=None, doi_state=DoiState.NONE)
    with transaction.atomic():
        dataset = DatasetFactory(proposal=proposal, instrument__facility=esrf)
        dataset_recorded.send(sender=None, dataset=dataset, created=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        proposal.refresh_from_db()
        if proposal.doi_state == DoiState.FINDABLE:
            break
        assert worker.poll() is None, "the worker died"
        time.sleep(0.5)
    assert proposal.doi == "10.80000/ESRF-MA-77" and proposal.doi_state == DoiState.FINDABLE
    assert fake_datacite.dois["10.80000/ESRF-MA-77"].state == "findable"
    assert Document.objects.filter(doi__isnull=False).count() == 1
