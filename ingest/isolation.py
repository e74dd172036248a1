"""Files are read in a child process: libhdf5 crashes (SIGSEGV) or loops for ever on some damaged files, and neither
may take the worker, its database connection or the job's record with it.

Each process that ingests keeps one reading process (a pebble pool of one), warm between files: a fork per file
would cost its copy-on-write faults on every file. It is replaced when it dies or overruns, and recycled after
INGEST_READER_MAX_FILES files so that nothing a file leaves behind accumulates.
"""

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.conf import settings
from pebble import ProcessExpired, ProcessPool

from ingest.nexus.reader import FileRejected

Arguments = ParamSpec("Arguments")
Result = TypeVar("Result")

PR_SET_PDEATHSIG = 1  # linux/prctl.h

_reader: ProcessPool | None = None
_reader_of_pid = 0  # a pool is its creator's: a process forked from it (a Celery child) starts its own


def read_apart(function: Callable[Arguments, Result], *args: Arguments.args, **kwargs: Arguments.kwargs) -> Result:
    """`function(*args, **kwargs)` run by the reading process: its result or its exception, or FileRejected saying
    how the reading process ended when it crashed or overran INGEST_READ_TIMEOUT (it is then stopped and replaced).

    The function must touch no database (the reading process shares the worker's connections) and find every
    setting in its arguments."""
    timeout = settings.INGEST_READ_TIMEOUT
    future = _pool().schedule(function, args=args, kwargs=kwargs, timeout=timeout)
    try:
        return future.result()
    except TimeoutError as error:
        if error.args != ("Task timeout", timeout):  # the function's own (an OSError of a network file system)
            raise
        raise FileRejected(
            f"reading the file took longer than {timeout} s (INGEST_READ_TIMEOUT) and was stopped: HDF5 may be "
            "looping over a damaged part of it; check it with h5dump, copy it again from where it was written and "
            "ingest it again"
        ) from None
    except ProcessExpired as ended:
        raise FileRejected(_how_it_ended(ended.exitcode)) from None


def stop_reader() -> None:
    """End this process's reading process (at worker shutdown); the next read starts a new one."""
    global _reader
    if _reader is not None and _reader_of_pid == os.getpid():
        _reader.stop()
        _reader.join()
    _reader = None


def _pool() -> ProcessPool:
    global _reader, _reader_of_pid
    if _reader is None or _reader_of_pid != os.getpid() or not _reader.active:
        # A Celery pool child is daemonic, and multiprocessing refuses children to a daemonic process lest they
        # outlive it. The reading process cannot: it is daemonic too, so ended when its parent exits, and the kernel
        # kills it when its parent is killed (_die_with_parent).
        multiprocessing.current_process().daemon = False
        _reader = ProcessPool(
            max_workers=1,
            max_tasks=settings.INGEST_READER_MAX_FILES,
            initializer=_die_with_parent,
            # Forked, so that it starts in milliseconds with everything imported (spawning would import Django).
            context=multiprocessing.get_context("fork"),
        )
        _reader_of_pid = os.getpid()
    return _reader


def _die_with_parent() -> None:
    """Linux: SIGKILL when the parent dies, even while HDF5 loops in C (pebble's own exit on a closed pipe needs
    Python to run)."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _how_it_ended(exit_code: int | None) -> str:
    if exit_code is not None and exit_code < 0:
        name = signal.Signals(-exit_code).name
        if -exit_code == signal.SIGKILL:
            return (
                f"the process reading the file was killed ({name}) before it finished, most often because the "
                "machine ran out of memory; ingest it again when the workers have room"
            )
        return (
            f"the process reading the file crashed ({name}): the HDF5 library failed on a damaged part of it; "
            "check it with h5dump, copy it again from where it was written and ingest it again"
        )
    return f"the process reading the file ended before it finished (exit status {exit_code})"
