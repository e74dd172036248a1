"""Two installations on one Redis: each worker runs only its own installation's tasks, and /healthz counts only
its own workers (the second installation has a database of its own, hence its own id and prefix)."""

import time

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from ingest import services
from ingest.models import IngestionJob
from tests.conftest import SAMPLES_DIR
from tests.workers import celery_worker

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not settings.CELERY_BROKER_URL.startswith("redis"), reason="needs Redis (REDIS_URL)"),
]
SAMPLES = [
    "scicat-ingestor/ESS_YMIR_small-ymir.hdf",
    "NXcanSAS_examples/DLS_I22_gc14.h5",
    "exampledata/PSI_SINQ_DMC_dmc01.h5",
    "scicat-ingestor/ESS_ODIN_small-coda.hdf",
]


@pytest.fixture
def other_database():
    """An empty database for the other installation: a task of ours run there would fail."""
    database = settings.DATABASES["default"]
    name = f"{database['NAME']}_other_installation"
    admin = f"postgresql://{database['USER']}@{database['HOST']}:{database['PORT']}/postgres"
    with psycopg.connect(admin, autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}"')
        server.execute(f'CREATE DATABASE "{name}"')
    yield f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{name}"
    with psycopg.connect(admin, autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_each_installation_runs_only_its_own_tasks_and_counts_only_its_own_workers(
    transactional_db, registry, client, other_database, tmp_path
):
    # An empty REDIS_KEY_PREFIX: the prefix derived from the other database, as in another installation.
    other = {"PANCOMMONS_VAR_DIR": str(tmp_path / "other-var"), "DATABASE_URL": other_database, "REDIS_KEY_PREFIX": ""}
    with (
        celery_worker(log=tmp_path / "other.log", name="other", environment=other),
        celery_worker(log=tmp_path / "ours.log", name="ours", environment={}),
    ):
        client.get("/healthz")  # the first request of a process imports the views
        started = time.monotonic()
        health = client.get("/healthz")
        assert time.monotonic() - started < 0.1
        assert health.json()["checks"]["workers"] == {"ok": True, "count": 1}

        jobs = [services.create_job(path=SAMPLES_DIR / sample) for sample in SAMPLES]
        for job in jobs:
            services.queue_job(job=job)
        deadline = time.monotonic() + 60
        while IngestionJob.objects.filter(pk__in=[job.pk for job in jobs], state="succeeded").count() < len(jobs):
            assert time.monotonic() < deadline, (tmp_path / "ours.log").read_text()[-3000:]
            time.sleep(0.2)
    other_log = (tmp_path / "other.log").read_text()
    assert "ready." in other_log and "received" not in other_log, other_log[-3000:]
    assert (tmp_path / "ours.log").read_text().count("received") >= len(jobs)
    assert client.get("/healthz").json()["checks"]["workers"] == {"ok": False, "count": 0}
    connection.close()
