"""The opening task through a real Celery worker on Redis, against the test database."""

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection

from catalogue import tasks
from catalogue.models import Document
from pancommons.celery import app
from tests.factories import DatasetFactory, MemberFactory, PersonFactory, ProposalFactory


@pytest.fixture
def worker(transactional_db):
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "DEBUG": "true",
        # The test database's name is not the one the id was derived from: the worker joins this process's prefix.
        "REDIS_KEY_PREFIX": settings.REDIS_KEY_PREFIX,
    }
    app.control.purge()
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "pancommons", "worker", "--pool=solo", "--loglevel=WARNING"],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.mark.worker
@pytest.mark.timeout(90)
def test_worker_opens_ended_embargoes(worker):
    proposal = ProposalFactory()
    MemberFactory(document=proposal, person=PersonFactory(email="pi@example.org"))
    DatasetFactory(proposal=proposal, instrument__facility=proposal.facility)
    tasks.open_ended_embargoes.delay()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if Document.objects.get(pk=proposal.pk).opened_at is not None:
            break
        assert worker.poll() is None, worker.stdout.read().decode()
        time.sleep(0.5)
    document = Document.objects.get(pk=proposal.pk)
    assert document.opened_at is not None
    assert document.history.first().history_change_reason == "embargo ended"
