"""Work run beside a request, on a helper thread with its own database connection, so that two independent
queries of one page overlap instead of queueing on the request's connection.

The helpers are a pool created on first use (so a forked worker never inherits it), one thread for each request
the process serves at once: one under gunicorn's sync workers, up to `--threads` under gthread, at most
HELPER_THREADS. Each keeps its connection between requests, recycled as Django recycles a request's
(CONN_MAX_AGE, health checks), so a web process holds up to twice its threads in connections (deploy/README.md).
"""

import contextvars
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from django.db import close_old_connections, connection, connections

P = ParamSpec("P")
T = TypeVar("T")

HELPER_THREADS = 8
_lock = threading.Lock()
_helper: ThreadPoolExecutor | None = None


def beside(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> "Future[T]":
    """function(*args, **kwargs), started on a helper thread while the caller goes on; its result or exception
    comes from the returned future.

    Inside a transaction it runs at once, in the caller: another connection cannot see the transaction's
    uncommitted writes (nor a test's data, which is one).
    """
    if connection.in_atomic_block:
        done: Future[T] = Future()
        try:
            done.set_result(function(*args, **kwargs))
        except Exception as error:  # handed to the caller by result(), as from the helper
            done.set_exception(error)
        return done
    # In the caller's context, so the helper reads the database the request reads (a replica, pancommons/replicas.py).
    # Context.run forwards the call; mypy cannot follow the ParamSpec through it.
    return _executor().submit(contextvars.copy_context().run, _on_own_connection, function, *args, **kwargs)  # type: ignore[arg-type]


def _on_own_connection(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    # What Django does around every request for the request's own connection.
    close_old_connections()
    return function(*args, **kwargs)


def _executor() -> ThreadPoolExecutor:
    global _helper
    with _lock:
        if _helper is None:
            _helper = ThreadPoolExecutor(max_workers=HELPER_THREADS, thread_name_prefix="search-beside")
        return _helper


def shutdown() -> None:
    """Close the helpers' connections and stop them: before a test database is dropped (at process exit, the
    connections close with the process)."""
    global _helper
    with _lock:
        helper, _helper = _helper, None
    if helper is None:
        return
    # One closing task per thread: each waits at the barrier until all are running, so no thread takes two.
    everyone = threading.Barrier(HELPER_THREADS)

    def close_own_connections() -> None:
        everyone.wait()
        connections.close_all()  # the calling thread's connections: this helper's own

    for closing in [helper.submit(close_own_connections) for _ in range(HELPER_THREADS)]:
        closing.result()
    helper.shutdown()


def _forget_in_child() -> None:
    # A forked child has no helper thread, only the parent's executor object; it starts its own when needed.
    global _helper, _lock
    _helper, _lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_in_child)
