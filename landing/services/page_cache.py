"""Landing pages and exports as anonymous visitors get them, kept rendered and exactly invalidated (issue 22).

An entry is keyed by the request (path, query, the headers negotiation reads) and by the catalogue's state: its
generation, the sum of landing_pagechange (PostgreSQL adds a row in every transaction that changes what a page shows,
landing migration 0003), and the next release date (an embargo that runs out changes what visitors see without any
write). One query reads both; any change makes another key, so nothing stale, withdrawn or embargoed is served.
"""

import hashlib
import os
import time
from dataclasses import dataclass
from functools import cache as once
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections, router, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from landing.models import PageChange

TIMEOUT_SECONDS = 24 * 3600  # an entry of a state nobody asks for any more goes with time
HEADERS = ("Accept", "Accept-Profile")  # what content negotiation reads beside the path and query
# Settings that pages read: a deployment that changes one of them is another key.
SETTINGS = (
    "SITE_URL",
    "HOME_FACILITY",
    "EMBARGOED_METADATA",
    "DEFAULT_LICENCE",
    "NOTEBOOK_HUB_URL",
    "NOTEBOOK_HUB_NAME",
    "DATACITE_PREFIX",
)


def _reading() -> str:
    """The database pages are read from in this request (a replica's state is that replica's own)."""
    return router.db_for_read(PageChange) or "default"


def serves(request: HttpRequest) -> bool:
    """Whether the caller gets the public version: anonymous, without a session (a message waiting, a login under
    way) that a page could show. Never inside a transaction: one that has written sees a state nobody else does."""
    return (
        request.method == "GET"
        and not request.user.is_authenticated
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not in_transaction()
    )


def in_transaction() -> bool:
    """Whether this request reads inside a transaction: one that has written sees a state `state()` does not show
    (a transaction adds its landing_pagechange row once), so nothing kept by state is read or kept in it."""
    return connection.in_atomic_block or connections[_reading()].in_atomic_block


def state() -> str:
    """The catalogue's state as pages show it: database, generation and the next release date, in one query."""
    now = timezone.now()
    with connections[_reading()].cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT oid FROM pg_database WHERE datname = current_database()),"
            f" (SELECT coalesce(sum(weight), 0) FROM {PageChange._meta.db_table}),"
            " (SELECT min(release_date) FROM catalogue_dataset WHERE release_date > %s),"
            " (SELECT min(release_date) FROM catalogue_document WHERE release_date > %s)",
            [now, now],
        )
        database, generation, *releases = cursor.fetchone()
    boundary = min((release for release in releases if release is not None), default=None)
    return f"{database}.{generation}.{boundary.timestamp() if boundary else '-'}"


@once
def release() -> str:
    """The code and templates pages are built with, as this process loaded them: a new release is another key."""
    root = Path(__file__).resolve().parent.parent.parent
    stamps = "\n".join(
        f"{path}:{path.stat().st_mtime_ns}" for app in ("catalogue", "landing") for path in _sources(root / app)
    )
    return hashlib.sha256(stamps.encode()).hexdigest()


def _sources(folder: Path) -> list[Path]:
    """The .py and .html files under `folder`, in a stable order; the viewer's node_modules (some 8,000 files that
    pages are not built from) is never walked."""
    found = []
    for directory, subdirectories, names in os.walk(folder):
        subdirectories[:] = sorted(name for name in subdirectories if name != "node_modules")
        found += [Path(directory) / name for name in sorted(names) if name.endswith((".py", ".html"))]
    return found


def key(request: HttpRequest) -> str:
    """The entry's key for this request in the catalogue's current state; read before the page is built, so an
    entry is never older than its key."""
    parts = [request.get_full_path(), *(request.headers.get(name, "") for name in HEADERS)]
    parts += [repr(getattr(settings, name, None)) for name in SETTINGS]
    parts += [release(), state()]
    return "landing-page:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    status: int
    content: bytes
    headers: tuple[tuple[str, str], ...]
    viewed: tuple[str, int] | None  # the record whose page views the page shows: ("document" | "dataset", id)

    def response(self) -> HttpResponse:
        response = HttpResponse(self.content, status=self.status)
        for name, value in self.headers:
            response[name] = value
        response.viewed = self.viewed  # type: ignore[attr-defined]  # our own mark on Django's response
        return response


def get(cache_key: str) -> Entry | None:
    return cache.get(cache_key)


# A change of the catalogue makes every visitor of a busy page miss it at once: the first builds it, the others wait
# for that entry (each building it too would take them all longer on a busy machine) up to this long.
BUILDING_SECONDS = 10
WAIT_STEP_SECONDS = 0.01


def claim(cache_key: str) -> bool:
    """Whether this request builds the entry (then it calls `built`): no other request is building it."""
    return cache.add(cache_key + ":building", 1, timeout=BUILDING_SECONDS)


def built(cache_key: str) -> None:
    """The claimed entry is kept, or will not be (an error, an answer that is not kept): others stop waiting."""
    cache.delete(cache_key + ":building")


def wait(cache_key: str) -> Entry | None:
    """The entry another request is building, once kept; None when it was not kept (the caller builds its own)."""
    deadline = time.monotonic() + BUILDING_SECONDS
    while time.monotonic() < deadline:
        time.sleep(WAIT_STEP_SECONDS)
        found = cache.get_many([cache_key, cache_key + ":building"])
        if cache_key in found:
            return found[cache_key]
        if not found:
            return None
    return None


def keep(cache_key: str, response: HttpResponse) -> None:
    """Keeps a successful answer that sets no cookie; others are built again each time."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return
    entry = Entry(
        status=response.status_code,
        content=response.content,
        headers=tuple(response.items()),
        viewed=getattr(response, "viewed", None),
    )
    cache.set(cache_key, entry, TIMEOUT_SECONDS)


def compact() -> int:
    """Folds the generation's rows into one (their sum unchanged, so no key changes); returns the rows folded.
    Rows of transactions still running are not visible here and stay."""
    table = PageChange._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"WITH folded AS (DELETE FROM {table} RETURNING weight) "
            f"INSERT INTO {table} (txid, weight) SELECT txid_current(), sum(weight) FROM folded "
            "HAVING count(*) > 0 RETURNING (SELECT count(*) FROM folded)"
        )
        row = cursor.fetchone()
    return row[0] if row else 0
