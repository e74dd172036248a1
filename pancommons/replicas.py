"""Read replicas (DATABASE_REPLICA_URLS): public reads go to a PostgreSQL streaming replica, everything else to the
primary.

A request reads from a replica when it is a GET or HEAD outside the admin, the REST API, login and operators'
routes, and its visitor has not written in the last READ_YOUR_WRITES_SECONDS (a cookie set on every successful
unsafe request says so). Writes always go to the primary, also during such a request (view counters). A replica is
used only while it answers and its replay lag stays within REPLICA_MAX_LAG_SECONDS, both checked at most once a
second per process; a replica that fails during a request has the request answered again from the primary, so a
replica going away costs no failed request. Workers, commands and migrations never see a replica.
"""

import itertools
import logging
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

WROTE_COOKIE = "pc_wrote"
PRIMARY_ONLY_PREFIXES = ("/admin/", "/api/", "/login", "/logout", "/oidc/", "/healthz", "/metrics")
CHECK_INTERVAL_SECONDS = 1.0
# After failing, a replica is left alone this long before it is asked again.
DOWN_SECONDS = 5.0
# Whether everything received is replayed, and the age of the last replayed commit (or of the server's start).
REPLAY_SQL = (
    "SELECT pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn(),"
    " extract(epoch FROM now() - coalesce(pg_last_xact_replay_timestamp(), pg_postmaster_start_time()))"
)

_reading_from: ContextVar[str | None] = ContextVar("reading_from", default=None)


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica")]


class _Health:
    """What this process last learnt of each replica: usable or not, when it was last asked, since when it is behind.

    The lag is the age of the last replayed commit, but never more than how long the replica has been seen behind:
    after an idle spell the first new commit finds an old last-replayed one, which is no lag at all.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._checked: dict[str, tuple[float, bool]] = {}
        self._behind_since: dict[str, float] = {}
        self._turn = itertools.count()

    def usable(self, alias: str) -> bool:
        now = time.monotonic()
        with self._lock:
            checked_at, usable = self._checked.get(alias, (-1e9, False))
            interval = CHECK_INTERVAL_SECONDS if usable or checked_at < 0 else DOWN_SECONDS
            if now - checked_at < interval:
                return usable
            self._checked[alias] = (now, usable)  # other threads keep the last answer while this one asks
        usable = self.answers_in_time(alias)
        with self._lock:
            self._checked[alias] = (time.monotonic(), usable)
        return usable

    def answers_in_time(self, alias: str) -> bool:
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute(REPLAY_SQL)
                caught_up, age = cursor.fetchone()
        except DatabaseError as error:
            logger.warning("replica %s skipped: %s", alias, error)
            connections[alias].close()
            return False
        now = time.monotonic()
        with self._lock:
            if caught_up:
                self._behind_since.pop(alias, None)
                return True
            lag = min(float(age), now - self._behind_since.setdefault(alias, now))
        if lag > settings.REPLICA_MAX_LAG_SECONDS:
            logger.warning("replica %s skipped: %.1f s behind the primary", alias, lag)
            return False
        return True

    def mark_down(self, alias: str) -> None:
        with self._lock:
            self._checked[alias] = (time.monotonic(), False)

    def choose(self) -> str | None:
        aliases = replica_aliases()
        start = next(self._turn)
        for offset in range(len(aliases)):
            alias = aliases[(start + offset) % len(aliases)]
            if self.usable(alias):
                return alias
        return None


health = _Health()


def reads_from_replica(request: HttpRequest) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and not request.path_info.startswith(PRIMARY_ONLY_PREFIXES)
        and WROTE_COOKIE not in request.COOKIES
    )


class ReplicaRouter:
    """Reads go where the current request was sent (a replica or the primary); writes and migrations to the primary."""

    def db_for_read(self, model: type, **hints: Any) -> str:
        return _reading_from.get() or "default"

    def db_for_write(self, model: type, **hints: Any) -> str:
        return "default"

    def allow_relation(self, first: Any, second: Any, **hints: Any) -> bool:
        return True  # the replicas hold the same rows as the primary

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"


class ReplicaMiddleware:
    """Runs public reads' views against a usable replica, and again against the primary if the replica fails."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method not in ("GET", "HEAD", "OPTIONS") and response.status_code < 400:
            # This visitor just wrote: their next pages read the primary, which has the write.
            response.set_cookie(
                WROTE_COOKIE, "1", max_age=settings.READ_YOUR_WRITES_SECONDS, httponly=True, samesite="Lax"
            )
        return response

    def process_view(
        self, request: HttpRequest, view: Callable[..., HttpResponse], args: tuple, kwargs: dict
    ) -> HttpResponse | None:
        if not reads_from_replica(request):
            return None
        alias = health.choose()
        if alias is None:
            return None
        token = _reading_from.set(alias)
        try:
            response = _rendered(view(request, *args, **kwargs))
            # A view may answer a database failure itself (the PaNOSC API's 503): was it the replica's?
            if response.status_code < 500 or health.answers_in_time(alias):
                return response
            failure = f"the view answered {response.status_code}"
        except DatabaseError as error:
            failure = str(error)
        finally:
            _reading_from.reset(token)
        logger.warning("replica %s failed during %s, answered from the primary: %s", alias, request.path, failure)
        health.mark_down(alias)
        connections[alias].close()
        return None  # Django now calls the view itself, reading the primary


def _rendered(response: HttpResponse) -> HttpResponse:
    """Template responses read the database while rendering: render them while the replica is chosen."""
    render = getattr(response, "render", None)
    if callable(render) and not getattr(response, "is_rendered", True):
        render()
    return response
