"""Worker heartbeats: each Celery worker of this installation stamps the time in one Redis hash, which /healthz
reads instead of pinging workers (no broadcast round trip, and never another installation's workers)."""

import os
import time

import redis
from celery import bootsteps
from django.conf import settings

HEARTBEATS = "worker-heartbeats"


def _redis() -> redis.Redis | None:
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        return None
    return redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=1, socket_connect_timeout=1)


def _key() -> str:
    return settings.REDIS_KEY_PREFIX + HEARTBEATS


def beat(*, hostname: str) -> None:
    if connection := _redis():
        connection.hset(_key(), hostname, time.time())


def forget(*, hostname: str) -> None:
    if connection := _redis():
        connection.hdel(_key(), hostname)


def alive() -> list[str] | None:
    """Names of the workers that beat within three intervals; None when the broker cannot keep heartbeats."""
    connection = _redis()
    if connection is None:
        return None
    oldest = time.time() - 3 * settings.WORKER_HEARTBEAT_SECONDS
    beats = connection.hgetall(_key())
    return sorted(os.fsdecode(name) for name, stamp in beats.items() if float(stamp) >= oldest)


class Heartbeat(bootsteps.StartStopStep):
    requires = {"celery.worker.components:Timer"}

    def start(self, worker) -> None:
        beat(hostname=worker.hostname)
        self.timer = worker.timer.call_repeatedly(
            settings.WORKER_HEARTBEAT_SECONDS, beat, kwargs={"hostname": worker.hostname}
        )

    def stop(self, worker) -> None:
        self.timer.cancel()
        forget(hostname=worker.hostname)
