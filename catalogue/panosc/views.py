"""HTTP surface of the PaNOSC Search API (spec §1, §10): routing by hand (case-insensitive entity segment, pids
with slashes, no redirects), JSON errors in LoopBack's form, CORS, a statement timeout and one log line per request.
"""

import json
import logging
import time
import uuid
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.db import DataError, OperationalError, connections, router, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from catalogue.models import SearchIndexState
from catalogue.panosc import queries
from catalogue.panosc.entities import ENTITIES, ROUTE_ENTITIES
from catalogue.panosc.errors import PanoscError, bad_request, not_found
from catalogue.panosc.filters import parse_filter, parse_json
from catalogue.search import scoring

logger = logging.getLogger("catalogue.panosc")

API_VERSION = "1.0"
BASE_PATH = "/panosc-api"
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Content-Type",
}


@dataclass(frozen=True)
class Route:
    kind: str  # status | search | count | get | files | files_count
    entity: str = ""
    pid: str = ""


def _entity(segment: str) -> str:
    name = ROUTE_ENTITIES.get(segment.lower())
    if name is None:
        raise not_found(f"No route /{segment} under {BASE_PATH}", code="NOT_FOUND")
    return name


def _raw_rest(request: HttpRequest) -> str | None:
    """The undecoded path after the base, when the server passes it on (gunicorn RAW_URI, uWSGI REQUEST_URI)."""
    raw = request.META.get("RAW_URI") or request.META.get("REQUEST_URI")
    if not raw:
        return None
    path = urlsplit(raw).path
    index = path.find(BASE_PATH)
    return path[index + len(BASE_PATH) :] if index >= 0 else None


def route_of(rest: str, raw_rest: str | None = None) -> Route:
    """Match in the spec's order: {pid}/files/count, {pid}/files, count, {pid} (§1.2)."""
    if rest and not rest.startswith("/"):
        raise not_found(f"No route {BASE_PATH}{rest}", code="NOT_FOUND")
    if raw_rest is not None:
        segments = raw_rest.strip("/").split("/")
        if segments != [""] and len(segments) <= 4:
            entity = _entity(unquote(segments[0]))
            tail = [segment.lower() for segment in segments[2:]]
            if len(segments) == 1:
                return Route("search", entity)
            if len(segments) == 2 and segments[1].lower() == "count":
                return Route("count", entity)
            kinds = {(): "get", ("files",): "files", ("files", "count"): "files_count"}
            if tuple(tail) in kinds:
                return _pid_route(kinds[tuple(tail)], entity, unquote(segments[1]))
    path = rest.strip("/")
    if not path:
        return Route("status")
    segment, _, remainder = path.partition("/")
    entity = _entity(segment)
    lowered = remainder.lower()
    if not remainder:
        return Route("search", entity)
    if lowered.endswith("/files/count"):
        return _pid_route("files_count", entity, remainder[: -len("/files/count")])
    if lowered.endswith("/files"):
        return _pid_route("files", entity, remainder[: -len("/files")])
    if lowered == "count":
        return Route("count", entity)
    return _pid_route("get", entity, remainder)


def _pid_route(kind: str, entity: str, pid: str) -> Route:
    if kind != "get" and entity != "Dataset":
        raise not_found(f"Only Datasets have files under {BASE_PATH}", code="NOT_FOUND")
    if not pid:
        raise not_found("Empty pid", code="NOT_FOUND")
    return Route(kind, entity, pid)


def status() -> dict:
    with open(settings.PANET_TERMS_FILE, encoding="utf-8") as handle:
        panet = handle.readline().lstrip("#").strip()
    index = {
        state.group: {"items": state.items, "updatedAt": state.updated_at.isoformat() if state.updated_at else None}
        for state in SearchIndexState.objects.all()
    }
    return {
        "apiVersion": API_VERSION,
        "facility": settings.HOME_FACILITY,
        "panetVersion": panet,
        "scoring": {"index": index, "noQueryScore": settings.PANOSC_NO_QUERY_SCORE},
        "degraded": [
            f"search index of {group} never built: substring scoring until manage.py rebuild_search_index"
            for group in scoring.degraded_groups()
        ],
    }


def _answer(route: Route, request: HttpRequest) -> object:
    params = request.GET
    if route.kind == "status":
        return status()
    entity = ENTITIES[route.entity]
    if route.kind in ("count", "files_count"):
        where = parse_json(params.get("where"), what="where")
        if "where" not in params and "filter" in params:
            where = parse_json(params.get("filter"), what="filter").get("where") or {}
            if not isinstance(where, dict):
                raise bad_request("INVALID_FILTER", "'where' must be a JSON object")
        if route.kind == "count":
            return {"count": queries.count(entity, where=where)}
        return {"count": queries.files_count(route.pid, where=where)}
    if route.kind == "files":
        return queries.files(route.pid, parse_filter(params.get("filter"), entity=ENTITIES["File"]))
    flt = parse_filter(params.get("filter"), entity=entity, query_param=params.get("query"))
    if route.kind == "get":
        return queries.get(entity, route.pid, flt)
    return queries.search(entity, flt)


def _json(body: object, status_code: int) -> HttpResponse:
    response = JsonResponse(body, safe=False, status=status_code, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/json; charset=utf-8"
    return response


@csrf_exempt
def endpoint(request: HttpRequest, rest: str = "") -> HttpResponse:
    started = time.monotonic()
    request_id = uuid.uuid4().hex[:12]
    scored = False
    results: int | None = None
    if request.method == "OPTIONS":
        response = HttpResponse(status=204)
    elif request.method not in ("GET", "HEAD"):
        error = PanoscError(405, "METHOD_NOT_ALLOWED", f"{request.method} is not allowed; use GET")
        response = _json(error.body(), 405)
        response["Allow"] = "GET, HEAD, OPTIONS"
    else:
        try:
            route = route_of(rest, _raw_rest(request))
            # The database reads go to: a replica for public reads when there is one (pancommons/replicas.py).
            database = router.db_for_read(SearchIndexState)
            with transaction.atomic(using=database):
                with connections[database].cursor() as cursor:
                    # JIT compilation costs tens of milliseconds on the large plans includes produce and never pays
                    # back on a page of results; scoring groups tens of thousands of rows, which must not spill.
                    cursor.execute(
                        "SET LOCAL statement_timeout = %s; SET LOCAL jit = off; SET LOCAL work_mem = '64MB'",
                        [settings.PANOSC_STATEMENT_TIMEOUT_MS],
                    )
                body = _answer(route, request)
            scored = route.kind == "search" and bool(_query_of(request))
            results = len(body) if isinstance(body, list) else None
            response = _json(body, 200)
            response["Cache-Control"] = "public, max-age=60"
        except PanoscError as error:
            response = _json(error.body(), error.status)
        except DataError:
            # e.g. a regexp that PostgreSQL's engine rejects although Python's accepted it
            answer = bad_request("INVALID_FILTER", "The filter holds a value or pattern the catalogue cannot use")
            response = _json(answer.body(), 400)
        except OperationalError:
            logger.warning("panosc %s: database unavailable or statement timeout", request_id, exc_info=True)
            answer = PanoscError(503, "UNAVAILABLE", f"The catalogue could not answer in time (request {request_id})")
            response = _json(answer.body(), 503)
        except Exception:
            logger.exception("panosc %s failed: %s?%s", request_id, request.path, request.GET.urlencode()[:2000])
            answer = PanoscError(500, "INTERNAL_ERROR", f"Unexpected error (request {request_id})")
            response = _json(answer.body(), 500)
    for header, value in CORS_HEADERS.items():
        response[header] = value
    if request.method == "HEAD":
        response.content = b""
    logger.info(
        json.dumps(
            {
                "panosc": request.path,
                "filter": (request.GET.get("filter") or request.GET.get("where") or "")[:500],
                "status": response.status_code,
                "results": results,
                "scored": scored,
                "ms": round((time.monotonic() - started) * 1000, 1),
                "request": request_id,
            }
        )
    )
    return response


def _query_of(request: HttpRequest) -> str:
    try:
        value = json.loads(request.GET.get("filter") or "{}")
    except ValueError:
        return ""
    query = value.get("query") if isinstance(value, dict) else None
    return (query if isinstance(query, str) else "") or request.GET.get("query", "")
