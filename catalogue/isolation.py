"""HDF5 files are read in a child process: libhdf5 crashes (SIGSEGV) or loops for ever on some damaged files, and
neither may take the process that asked with it: a Celery worker with its database connection and the job's record
(ingestion), or a web process with the other requests it is serving (the H5Web viewer).

Each process keeps one reading process (a pebble pool of one), forked from it and warm between files: a fork per file
would pay its copy-on-write faults on every file (~30 ms here). It is replaced when it dies or overruns, and recycled
after READER_MAX_FILES reads so that nothing a file leaves behind accumulates.

The recycling is done here, not by pebble's `max_tasks`: when a pool's process reached it while reads were queued
(the viewer's threads send H5Web's requests side by side), pebble found no task to blame for the process's end and
failed every queued read with BrokenProcessPool ("All workers expired"), each a 500. A retired pool finishes the
reads already given to it; new reads go to a new pool.
"""

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from typing import Literal, ParamSpec, TypeVar

from django.conf import settings
from pebble import ProcessExpired, ProcessPool

Arguments = ParamSpec("Arguments")
Result = TypeVar("Result")

PR_SET_PDEATHSIG = 1  # linux/prctl.h

_reader: ProcessPool | None = None
_reader_of_pid = 0  # a pool is its creator's: a process forked from it (a Celery child) starts its own
_reads_left = 0  # before the current pool is retired
_starting = threading.Lock()  # a web process's threads share its reading process


class ReadingFailed(Exception):
    """The reading process crashed, was killed or overran its time: the message says how, for people; `cause` tells
    callers which advice to add ("damaged": the file most likely; "memory": the machine ran out of it)."""

    def __init__(self, message: str, cause: Literal["damaged", "memory", "unknown"]) -> None:
        super().__init__(message, cause)
        self.message = message
        self.cause = cause

    def __str__(self) -> str:
        return self.message


def read_apart(
    timeout_setting: str, function: Callable[Arguments, Result], *args: Arguments.args, **kwargs: Arguments.kwargs
) -> Result:
    """`function(*args, **kwargs)` run by the reading process: its result or its exception, or ReadingFailed when the
    reading process crashed or overran the seconds of the setting named `timeout_setting` (it is then stopped and
    replaced; the message names the setting, for the operators who may raise it).

    The function touches no database and finds every setting it needs in its arguments; its result is pickled."""
    timeout: int = getattr(settings, timeout_setting)

    def attempt() -> Result:
        return _result(_pool().schedule(function, args=args, kwargs=kwargs, timeout=timeout), timeout, timeout_setting)

    try:
        return attempt()
    except BrokenProcessPool:
        # The reading process ended while this read waited for it (killed from outside between two reads): nothing of
        # the read ran, so it runs once more, on a new one.
        return attempt()


def _result(future: "Future[Result]", timeout: int, timeout_setting: str) -> Result:
    try:
        return future.result()
    except TimeoutError as error:
        if error.args != ("Task timeout", timeout):  # the function's own (an OSError of a network file system)
            raise
        raise ReadingFailed(
            f"reading the file took longer than {timeout} s ({timeout_setting}) and was stopped: HDF5 may be looping "
            "over a damaged part of it",
            "damaged",
        ) from None
    except ProcessExpired as ended:
        raise _how_it_ended(ended.exitcode) from None


def stop_reader() -> None:
    """End this process's reading process (at worker shutdown); the next read starts a new one."""
    global _reader
    if _reader is not None and _reader_of_pid == os.getpid():
        _reader.stop()
        _reader.join()
    _reader = None


def _pool() -> ProcessPool:
    """The reading process for one more read, started or recycled as needed."""
    global _reads_left
    with _starting:
        pool = _current_pool()
        _reads_left -= 1
        return pool


def _current_pool() -> ProcessPool:
    global _reader, _reader_of_pid, _reads_left
    ours = _reader if _reader_of_pid == os.getpid() else None
    if ours is not None and ours.active:
        if _reads_left > 0:
            return ours
        _retire(ours)
    # A Celery pool child is daemonic, and multiprocessing refuses children to a daemonic process lest they outlive
    # it. The reading process cannot: it is daemonic too, so ended when its parent exits; when its parent is killed,
    # the kernel kills the reading process (_start_clean).
    multiprocessing.current_process().daemon = False
    _reader = pool = ProcessPool(
        max_workers=1,
        initializer=_start_clean,
        # Forked: it starts at once with everything imported. Spawned or forkserver processes would re-import
        # __main__ and cannot start from a Celery pool child (billiard's process objects do not pickle).
        context=multiprocessing.get_context("fork"),
    )
    _reader_of_pid = os.getpid()
    _reads_left = settings.READER_MAX_FILES
    return pool


def _retire(pool: ProcessPool) -> None:
    """Let `pool` finish the reads it was given, then end; joined aside so that no read waits for it."""
    pool.close()
    threading.Thread(target=pool.join, name="retired-reader", daemon=True).start()


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


def _how_it_ended(exit_code: int | None) -> ReadingFailed:
    if exit_code is not None and exit_code < 0:
        name = signal.Signals(-exit_code).name
        if -exit_code == signal.SIGKILL:
            return ReadingFailed(
                f"the process reading the file was killed ({name}) before it finished, most often because the "
                "machine ran out of memory",
                "memory",
            )
        return ReadingFailed(
            f"the process reading the file crashed ({name}): the HDF5 library failed on a damaged part of it", "damaged"
        )
    return ReadingFailed(f"the process reading the file ended before it finished (exit status {exit_code})", "unknown")
