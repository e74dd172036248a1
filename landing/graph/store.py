"""The embedded RDF store (Oxigraph on RocksDB) that /sparql, the dump and the catalogue pages read.

RocksDB lets one process write a store, and pyoxigraph 0.5 opens others only read-only, "undefined behaviour while
another process writes". So readers never open the store being written:

    GRAPH_STORE_DIR/primary/            written by one process at a time (PostgreSQL advisory lock + RocksDB's LOCK)
    GRAPH_STORE_DIR/generations/<n>/    checkpoints of the primary (Store.backup: hard links), never written again
    GRAPH_STORE_DIR/CURRENT             the name of the newest generation, replaced atomically (rename)

After each change the writer checkpoints the primary into a new generation and points CURRENT at it; web processes
open the generation CURRENT names read-only and reopen when it changes. Superseded generations are deleted once
older than GENERATION_GRACE_SECONDS, far beyond the query time limit, so no reader is still inside one.
Each entity lives in a named graph of its own (entity_graph), replaced whole; /sparql queries their union.
"""

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph
from django.conf import settings
from django.db import connection

GENERATION_GRACE_SECONDS = 600
KEPT_GENERATIONS = 2
# pg_advisory_lock key of the graph writer ("graph" in ASCII).
WRITER_LOCK = 0x6772617068


class Busy(Exception):
    """Another process (a rebuild) holds the writer lock; try again later."""


def root() -> Path:
    return Path(settings.GRAPH_STORE_DIR)


def _generations() -> Path:
    return root() / "generations"


def current_generation() -> str | None:
    try:
        return (root() / "CURRENT").read_text().strip() or None
    except FileNotFoundError:
        return None


def entity_graph(key: str) -> pyoxigraph.NamedNode:
    """The named graph holding one entity's own triples (its key, e.g. "dataset:42": stable even once it is gone)."""
    return pyoxigraph.NamedNode(f"urn:pancommons:graph:{key}")


class Writer:
    """The primary store while the writer lock is held; unusable after it (RocksDB is closed before the unlock)."""

    def __init__(self, store: pyoxigraph.Store) -> None:
        self._store: pyoxigraph.Store | None = store

    def remove_graph(self, graph: pyoxigraph.NamedNode) -> None:
        assert self._store is not None, "the writer lock was released"
        self._store.remove_graph(graph)

    def extend(self, quads: list[pyoxigraph.Quad]) -> None:
        assert self._store is not None, "the writer lock was released"
        self._store.extend(quads)


@contextmanager
def writer_lock(*, wait: bool) -> Iterator[None]:
    """The one-writer lock, a PostgreSQL advisory lock (dropped with the connection if the process dies).

    Raises Busy when another process holds it and `wait` is false.
    """
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {'pg_advisory_lock' if wait else 'pg_try_advisory_lock'}(%s)", [WRITER_LOCK])
        if not wait and not cursor.fetchone()[0]:
            raise Busy("the graph store is being written by another process")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [WRITER_LOCK])


@contextmanager
def writing() -> Iterator[Writer]:
    """The primary store, for one process at a time; on success its state is published as a new generation.

    Raises Busy while another process (a rebuild) holds the writer lock.
    """
    with writer_lock(wait=False):
        root().mkdir(parents=True, exist_ok=True)
        primary = pyoxigraph.Store(str(root() / "primary"))
        writer = Writer(primary)
        try:
            yield writer
            publish(primary)
        finally:
            writer._store = None
            del primary  # the last reference: RocksDB closes before the lock is released


def replace_primary(fresh: Path) -> None:
    """Make a store built aside (a rebuild) the primary; the caller holds the writer lock and has closed both."""
    primary = root() / "primary"
    retired = root() / "primary.retired"
    shutil.rmtree(retired, ignore_errors=True)
    if primary.exists():
        primary.rename(retired)
    fresh.rename(primary)
    shutil.rmtree(retired, ignore_errors=True)


def publish(store: pyoxigraph.Store) -> str:
    """Checkpoint the store as the next generation, point CURRENT at it, prune superseded ones."""
    store.flush()
    _generations().mkdir(parents=True, exist_ok=True)
    previous = current_generation()
    number = int(previous.split("-")[1]) + 1 if previous else 1
    name = f"gen-{number:08d}"
    store.backup(str(_generations() / name))
    pointer = root() / "CURRENT.new"
    pointer.write_text(name)
    os.replace(pointer, root() / "CURRENT")
    _prune(keep=name)
    return name


def _prune(*, keep: str) -> None:
    """Delete generations superseded more than the grace period ago, always keeping the newest few."""
    names = sorted(path.name for path in _generations().iterdir() if path.name.startswith("gen-"))
    now = time.time()
    for older, newer in zip(names[:-KEPT_GENERATIONS], names[1:], strict=False):
        if older == keep:
            continue
        superseded_at = (_generations() / newer).stat().st_mtime
        if now - superseded_at > GENERATION_GRACE_SECONDS:
            shutil.rmtree(_generations() / older, ignore_errors=True)


_reader_lock = threading.Lock()
_reader: tuple[str, pyoxigraph.Store] | None = None


def generation_path(name: str) -> Path:
    return _generations() / name


def reading() -> pyoxigraph.Store | None:
    """The newest published generation, opened read-only once per process; None before the first build."""
    global _reader
    name = current_generation()
    if name is None:
        return None
    path = str(generation_path(name))
    with _reader_lock:
        if _reader is None or _reader[0] != path:
            _reader = (path, pyoxigraph.Store.read_only(path))
        return _reader[1]
