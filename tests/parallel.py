"""Parallel test processes (pytest-xdist) each get a Redis database of their own.

Loaded with `-p tests.parallel` before Django reads its settings, so the broker, the result keys and the cache of
one process never meet another's: a real worker started by one test must not take another test's tasks.
"""

import os

_worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", … in xdist's processes; absent otherwise
if _worker.startswith("gw"):
    for _name in ("REDIS_URL", "CELERY_BROKER_URL"):
        if _url := os.environ.get(_name):
            _base, _, _database = _url.rpartition("/")
            os.environ[_name] = f"{_base}/{int(_database or 0) - int(_worker[2:])}"
