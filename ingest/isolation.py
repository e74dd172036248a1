"""Files are read in a child process: libhdf5 crashes (SIGSEGV) or loops for ever on some damaged files, and neither
may take the worker, its database connection or the job's record with it.

Each process that ingests keeps one reading process (a pebble pool of one), forked from it and warm between files:
a fork per file would pay its copy-on-write faults on every file (~30 ms here). It is replaced when it dies or
overruns, and recycled after INGEST_READER_MAX_FILES files so that nothing a file leaves behind accumulates.
"""

import contextlib
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

    The function touches no database (ingest/nexus/reading.py) and finds every setting it needs in its arguments;
    its result is pickled."""
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
        # outlive it. The reading process cannot: it is daemonic too, so ended when its parent exits; when its parent
        # is killed, the kernel kills the reading process (_start_clean).
        multiprocessing.current_process().daemon = False
        _reader = ProcessPool(
            max_workers=1,
            max_tasks=settings.INGEST_READER_MAX_FILES,
            initializer=_start_clean,
            # Forked: it starts at once with everything imported. Spawned or forkserver processes would re-import
            # __main__ and cannot start from a Celery pool child (billiard's process objects do not pickle).
            context=multiprocessing.get_context("fork"),
        )
        _reader_of_pid = os.getpid()
    return _reader


def _start_clean() -> None:
    """In the new reading process: die with the parent, and let go of the parent's connections."""
    if sys.platform == "linux":
        # SIGKILL when the parent dies, even while HDF5 loops in C (pebble's own exit on a closed pipe needs Python).
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    # A fork holds every socket and pipe the parent had open at that moment for as long as it lives: one the parent
    # closes would stay open on the other side (a database backend, a subprocess waiting for the end of its input).
    # Each is pointed at /dev/null, but the pipes between the two processes (pebble's, multiprocessing's sentinel):
    # those whose other end the parent holds. The number stays taken, so no object still holding it can reach a file
    # opened later. Files (fonts Matplotlib keeps open) stay.
    try:
        parent_ends: set[tuple[str, int]] | None = _pipe_ends(os.getppid())
    except OSError:  # a parent that changed its user (celery --uid) keeps its /proc to root: its pipes stay
        parent_ends = None
    null = os.open(os.devnull, os.O_RDWR)
    for descriptor, (kind, inode, mode) in _descriptors(os.getpid()).items():
        if descriptor > 2 and descriptor != null and kind in ("socket", "pipe"):
            if kind == "pipe" and (parent_ends is None or (inode, 1 - mode) in parent_ends):
                continue
            with contextlib.suppress(OSError):
                os.dup2(null, descriptor)
    os.close(null)


def _descriptors(pid: int) -> dict[int, tuple[str, str, int]]:
    """A process's open descriptors as (kind, inode, access mode: 0 read, 1 write, 2 both), from /proc."""
    found = {}
    for name in os.listdir(f"/proc/{pid}/fd") if os.path.isdir(f"/proc/{pid}/fd") else ():
        with contextlib.suppress(OSError, ValueError):
            kind, _, inode = os.readlink(f"/proc/{pid}/fd/{name}").partition(":[")
            with open(f"/proc/{pid}/fdinfo/{name}") as info:
                flags = next(line for line in info if line.startswith("flags:"))
            found[int(name)] = (kind, inode.rstrip("]"), int(flags.split()[1], 8) & os.O_ACCMODE)
    return found


def _pipe_ends(pid: int) -> set[tuple[str, int]]:
    return {(inode, mode) for kind, inode, mode in _descriptors(pid).values() if kind == "pipe"}


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
