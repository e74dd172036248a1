"""Prometheus metrics: /metrics of the web process (requests, queries, cache, the catalogue's state) and the task
metrics a real Celery worker serves on its own port."""

import re
import time
import urllib.request
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.cache import cache

from ingest import services
from ingest.models import IngestionJob
from pancommons.celery import app
from tests.conftest import SAMPLES_DIR
from tests.ingest.conftest import ingest, registry  # noqa: F401 (fixtures)
from tests.workers import celery_worker, free_port

SAMPLE = "exampledata/PSI_SINQ_DMC_dmc01.h5"


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of the first sample of `name` carrying these labels, in Prometheus' text format; None if absent."""
    for line in text.splitlines():
        found = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if found and found[1] == name and all(f'{key}="{value}"' in (found[2] or "") for key, value in labels.items()):
            return float(found[3])
    return None


@pytest.fixture
def broker():
    connection = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    connection.delete(*(settings.REDIS_KEY_PREFIX + queue for queue in settings.CELERY_TASK_QUEUES))
    yield connection
    connection.delete(*(settings.REDIS_KEY_PREFIX + queue for queue in settings.CELERY_TASK_QUEUES))


@pytest.mark.skipif(not settings.CELERY_BROKER_URL.startswith("redis"), reason="needs Redis (REDIS_URL)")
def test_metrics_report_requests_queries_cache_and_the_catalogue(client, ingest, tmp_path, broker):  # noqa: F811
    ingest(SAMPLE)
    not_hdf5 = tmp_path / "notes.h5"
    not_hdf5.write_text("not an HDF5 file")
    assert ingest(not_hdf5).state == IngestionJob.State.FAILED
    assert client.get("/panosc-api/Datasets").status_code == 200
    cache.get("metrics-test-absent")
    app.send_task("ingest.tasks.scan_watched_folders")  # no worker consumes it here: it waits in the queue

    response = client.get("/metrics")

    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert sample(text, "django_http_requests_latency_seconds_by_view_method_count", method="GET") >= 1
    assert sample(text, "django_db_execute_total", alias="default", vendor="postgresql") > 0
    assert sample(text, "django_cache_get_total", backend="native_redis") >= 1
    assert sample(text, "pancommons_celery_queue_length", queue="housekeeping") == 1
    assert sample(text, "pancommons_celery_queue_length", queue="ingest") == 0
    assert sample(text, "pancommons_ingestion_jobs", state="succeeded") == 1
    assert sample(text, "pancommons_ingestion_jobs", state="failed") == 1
    (failed,) = IngestionJob.objects.filter(state=IngestionJob.State.FAILED)
    reason = failed.error.split(":", 1)[0]
    assert sample(text, "pancommons_ingestion_failures_total", reason=reason) == 1
    assert sample(text, "pancommons_ingested_bytes_total") >= (SAMPLES_DIR / SAMPLE).stat().st_size
    assert sample(text, "pancommons_ingested_files_total") >= 1
    assert sample(text, "pancommons_doi_sync_errors") == 0
    assert sample(text, "pancommons_embargo_releases_total") == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "headers",
    [{"REMOTE_ADDR": "10.1.2.3"}, {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}],
    ids=["outside network", "relayed by a proxy"],
)
def test_metrics_are_refused_outside_the_deployment(client, headers):
    response = client.get("/metrics", **headers)
    assert response.status_code == 403
    assert "METRICS_ALLOWED_NETWORKS" in response.json()["detail"]


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return response.read().decode()


@pytest.mark.worker
@pytest.mark.skipif(not settings.CELERY_BROKER_URL.startswith("redis"), reason="needs Redis (REDIS_URL)")
def test_a_worker_serves_task_run_times_and_failures(transactional_db, registry, tmp_path):  # noqa: F811
    port, samples = free_port(), tmp_path / "prometheus"
    samples.mkdir()
    environment = {"CELERY_METRICS_PORT": str(port), "PROMETHEUS_MULTIPROC_DIR": str(samples)}
    with celery_worker(log=tmp_path / "worker.log", name="metrics-test", environment=environment):
        job = services.create_job(path=SAMPLES_DIR / SAMPLE)
        services.queue_job(job=job)
        app.send_task("ingest.tasks.run_ingestion_job", args=[-1])  # no such job: the task raises
        task = "ingest.tasks.run_ingestion_job"
        deadline = time.monotonic() + 60
        while True:
            text = scrape(port)
            if sample(text, "pancommons_task_runtime_seconds_count", task=task) == 2:
                break
            assert time.monotonic() < deadline, text[-2000:] + Path(tmp_path / "worker.log").read_text()[-2000:]
            time.sleep(0.3)
    assert sample(text, "pancommons_task_failures_total", task=task) == 1
    assert IngestionJob.objects.get(pk=job.pk).state == IngestionJob.State.SUCCEEDED
