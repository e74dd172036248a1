"""A real Celery worker (prefork, one child) against the test's Redis and database, for the tests that need one."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from django.conf import settings

# Beside every queue of settings.CELERY_TASK_QUEUES: kombu's bookkeeping of unacknowledged messages.
UNACKED_KEYS = ("unacked", "unacked_index", "unacked_mutex")


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def celery_worker(*, log: Path, name: str, environment: dict[str, str]) -> Iterator[subprocess.Popen]:
    """Start a worker consuming every queue, emptied, with the test database and `environment` on top; stop it after."""
    database = settings.DATABASES["default"]
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queue_keys = [settings.REDIS_KEY_PREFIX + key for key in (*settings.CELERY_TASK_QUEUES, *UNACKED_KEYS)]
    broker.delete(*queue_keys)
    environment = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "REDIS_URL": settings.CELERY_BROKER_URL,
        "DEBUG": "true",
        # The test database's name is not the one the id was derived from: the worker joins this process's prefix.
        "REDIS_KEY_PREFIX": settings.REDIS_KEY_PREFIX,
        **environment,
    }
    command = [
        *(sys.executable, "-m", "celery", "-A", "pancommons", "worker", "-P", "prefork", "-c", "1"),
        *("--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info", "-n", f"{name}@%h"),
        *("--queues", ",".join(settings.CELERY_TASK_QUEUES)),
    ]
    with log.open("w") as output:
        process = subprocess.Popen(
            command, env=environment, stdout=output, stderr=subprocess.STDOUT, cwd=settings.BASE_DIR
        )
    deadline = time.monotonic() + 60
    while "ready." not in log.read_text():
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "worker did not start:\n" + log.read_text()
        time.sleep(0.2)
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        broker.delete(*queue_keys)
