"""/healthz: database, broker and worker status as JSON, for load balancers and operators.

Answers from what is known at once: one query, one Redis ping, and this installation's worker heartbeats.
"""

import time

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse

from pancommons import workers


def _database() -> dict[str, object]:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}
    except Exception as error:
        return {"ok": False, "error": type(error).__name__}


def _redis() -> dict[str, object]:
    if not settings.REDIS_URL:
        return {"ok": True, "configured": False, "broker": "postgresql (kombu SQLAlchemy transport)"}
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1).ping()
        return {"ok": True, "configured": True}
    except redis.RedisError as error:
        return {"ok": False, "configured": True, "error": type(error).__name__}


def _workers() -> dict[str, object]:
    try:
        names = workers.alive()
    except Exception as error:
        return {"ok": False, "count": 0, "error": type(error).__name__}
    if names is None:
        return {"ok": None, "count": None, "note": "heartbeats are kept in Redis; not observable with this broker"}
    return {"ok": bool(names), "count": len(names)}


def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database(), "redis": _redis(), "workers": _workers()}
    # Workers are reported but do not fail the check: the site serves reads without them.
    healthy = checks["database"]["ok"] and checks["redis"]["ok"]
    return JsonResponse({"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503)
