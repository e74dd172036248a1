"""Work collected per thread while a transaction runs and handed over once when it commits (at once outside one).

The search index, the FAIR scores and the graph store each keep one: a transaction that changes 300 rows sends
one batch, and a worker never reads rows that are not committed yet. Every `add` registers a commit callback; the
first to run takes everything collected and the others find nothing left. Items left by a rolled-back transaction
go with the next commit: what each batch triggers is idempotent (a little work more, never a wrong result).
"""

import threading
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

from django.db import transaction

Item = TypeVar("Item", bound=Hashable)


class CommitBatch(Generic[Item]):
    def __init__(self, handle: Callable[[set[Item]], None], *, robust: bool = False) -> None:
        """`handle` gets the items of a commit, once; `robust` keeps its errors from failing the commit's caller."""
        self._handle = handle
        self._robust = robust
        self._pending = threading.local()

    def add(self, items: Iterable[Item]) -> None:
        found = set(items)
        if not found:
            return
        pending: set[Item] | None = getattr(self._pending, "items", None)
        if pending is None:
            pending = self._pending.items = set()
        pending.update(found)
        transaction.on_commit(self._flush, robust=self._robust)

    def _flush(self) -> None:
        items, self._pending.items = getattr(self._pending, "items", None) or set(), None
        if items:
            self._handle(items)


def by_kind(items: set[tuple[str, int]]) -> dict[str, list[int]]:
    """(kind, id) items as the sorted ids of each kind."""
    grouped: dict[str, list[int]] = {}
    for kind, pk in sorted(items):
        grouped.setdefault(kind, []).append(pk)
    return grouped
