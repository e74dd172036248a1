"""Prometheus metrics: `/metrics` of the web processes and an HTTP port of each Celery worker.

Web: request latency by route, database queries and cache hits come from django-prometheus (middleware, database
and cache backends); the catalogue's own state (queue depths, ingestion jobs and failures by reason, bytes
ingested, embargo releases, DOI sync errors) is read from the database and the broker at scrape time, so every web
process reports the same figures whichever machine did the work. Workers: task run times and failures, counted
where tasks run and served on CELERY_METRICS_PORT. With several processes per pod (gunicorn workers, Celery's
prefork children) set PROMETHEUS_MULTIPROC_DIR to an empty directory so their samples are summed.
"""

import ipaddress
import os
import time
from collections.abc import Iterator

import redis
from celery import signals
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from kombu.transport import redis as kombu_redis
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

TASK_RUNTIME = Histogram(
    "pancommons_task_runtime_seconds",
    "Run time of Celery tasks",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800),
)
TASK_FAILURES = Counter("pancommons_task_failures", "Celery tasks that raised", ["task"])
# Failure reasons are the words before the first colon of the recorded error; the most frequent are labels.
FAILURE_REASONS_SHOWN = 20


def _process_registry() -> CollectorRegistry:
    """This process's metrics, or with PROMETHEUS_MULTIPROC_DIR those of every process writing there, summed."""
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def allowed(request: HttpRequest) -> bool:
    """Inside the deployment: a direct connection (nothing relayed it through a proxy) from METRICS_ALLOWED_NETWORKS."""
    if "HTTP_X_FORWARDED_FOR" in request.META or "HTTP_FORWARDED" in request.META:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


def metrics(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        return JsonResponse(
            {"detail": "Metrics are readable from inside the deployment only (METRICS_ALLOWED_NETWORKS)."}, status=403
        )
    body = generate_latest(_process_registry()) + generate_latest(_CATALOGUE)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


def queues() -> list[str]:
    """The queues workers consume (settings.CELERY_TASK_QUEUES)."""
    return sorted(settings.CELERY_TASK_QUEUES)


def queue_lengths() -> dict[str, int] | None:
    """Messages waiting per queue, or None when the broker is not Redis (or does not answer)."""
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        return None
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=1, socket_connect_timeout=1)
    try:
        # kombu keeps a queue's prioritised messages in sibling lists named by its priority steps (name,
        # name\x06\x163, ...), every key under the installation's prefix: named, never searched (KEYS blocks Redis).
        prefix, separator = settings.REDIS_KEY_PREFIX, kombu_redis.Channel.sep
        return {
            name: sum(
                broker.llen(prefix + (f"{name}{separator}{step}" if step else name))
                for step in kombu_redis.PRIORITY_STEPS
            )
            for name in queues()
        }
    except redis.RedisError:
        return None


class CatalogueCollector(Collector):
    """The catalogue's state, read at scrape time: a handful of aggregate queries (the file and release counts read
    their whole tables, some hundred milliseconds at a million datasets)."""

    def describe(self) -> list[Metric]:
        return []  # nothing to query when registered

    def collect(self) -> Iterator[Metric]:
        lengths = queue_lengths()
        if lengths is not None:
            waiting = GaugeMetricFamily("pancommons_celery_queue_length", "Tasks waiting in a queue", labels=["queue"])
            for name, length in lengths.items():
                waiting.add_metric([name], length)
            yield waiting
        with connection.cursor() as cursor:
            cursor.execute("SELECT state, count(*) FROM ingest_ingestionjob GROUP BY state")
            jobs = GaugeMetricFamily("pancommons_ingestion_jobs", "Ingestion jobs by state", labels=["state"])
            for state, count in cursor.fetchall():
                jobs.add_metric([state], count)
            yield jobs
            cursor.execute(
                "SELECT left(split_part(error, ':', 1), 80) AS reason, count(*) FROM ingest_ingestionjob"
                " WHERE state = 'failed' GROUP BY reason ORDER BY count(*) DESC, reason LIMIT %s",
                [FAILURE_REASONS_SHOWN],
            )
            failures = CounterMetricFamily(
                "pancommons_ingestion_failures", "Failed ingestion jobs by reason", labels=["reason"]
            )
            for reason, count in cursor.fetchall():
                failures.add_metric([reason or "unknown"], count)
            yield failures
            cursor.execute("SELECT count(*), coalesce(sum(size), 0) FROM catalogue_datafile")
            files, size = cursor.fetchone()
            yield CounterMetricFamily("pancommons_ingested_files", "Files recorded in the catalogue", value=files)
            yield CounterMetricFamily("pancommons_ingested_bytes", "Bytes of the files recorded", value=size)
            cursor.execute(
                "SELECT count(*) FROM catalogue_dataset WHERE release_date > created_at AND release_date <= now()"
            )
            yield CounterMetricFamily(
                "pancommons_embargo_releases", "Datasets opened when their embargo ended", value=cursor.fetchone()[0]
            )
            cursor.execute("SELECT count(*) FROM landing_doiregistration WHERE attempts > 0")
            yield GaugeMetricFamily(
                "pancommons_doi_sync_errors", "DOIs whose last DataCite exchange failed", value=cursor.fetchone()[0]
            )


_CATALOGUE = CollectorRegistry()
_CATALOGUE.register(CatalogueCollector())
_started: dict[str, float] = {}


@signals.task_prerun.connect
def _task_started(task_id: str, **_: object) -> None:
    _started[task_id] = time.monotonic()


@signals.task_postrun.connect
def _task_finished(task_id: str, task: object, **_: object) -> None:
    started = _started.pop(task_id, None)
    if started is not None:
        TASK_RUNTIME.labels(getattr(task, "name", "unknown")).observe(time.monotonic() - started)


@signals.task_failure.connect
def _task_failed(sender: object = None, **_: object) -> None:
    TASK_FAILURES.labels(getattr(sender, "name", "unknown")).inc()


@signals.worker_process_shutdown.connect
def _child_gone(pid: int | None = None, **_: object) -> None:
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        multiprocess.mark_process_dead(pid or os.getpid())


@signals.worker_ready.connect
def _serve_worker_metrics(**_: object) -> None:
    if settings.CELERY_METRICS_PORT:
        start_http_server(settings.CELERY_METRICS_PORT, registry=_process_registry())
