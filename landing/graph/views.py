"""HTTP for the knowledge graph: RDF of single entities (called by the landing views), the catalogue and its pages,
the dump, and the SPARQL 1.1 Protocol endpoint with its page of examples."""

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.defaultfilters import pluralize
from django.utils.cache import patch_vary_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from landing.graph import catalogue, describe, formats, sparql
from landing.graph.describe import Entity
from landing.graph.examples import EXAMPLES
from landing.pages import negotiation

CATALOGUE_FORMATS = tuple(formats.RDF_FORMATS)
SPARQL_QUERY_TYPE = "application/sparql-query"


def _error(status: int, error: str, detail: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps({"error": error, "detail": detail}), status=status, content_type="application/json"
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _rdf(body: bytes, key: str, *, stem: str) -> HttpResponse:
    rdf_format = formats.RDF_FORMATS[key]
    charset = "; charset=utf-8" if key in ("ttl", "dcat") else ""
    response = HttpResponse(body, content_type=rdf_format.media_type + charset)
    response["Content-Disposition"] = f'inline; filename="{stem}.{rdf_format.extension}"'
    response["Content-Profile"] = formats.CONTENT_PROFILE
    response["Access-Control-Allow-Origin"] = "*"
    patch_vary_headers(response, ["Accept", "Accept-Profile"])
    return response


def entity_rdf(entity: Entity, key: str, *, stem: str) -> HttpResponse:
    """An entity's DCAT in RDF format `key`; 404 when it is not part of the open graph."""
    description = describe.describe(entity)
    if description is None:
        return _error(404, "not in the open graph", "RDF describes public records only; this one is not public.")
    return _rdf(formats.serialise(description.graph, key), key, stem=stem)


@require_safe
def catalogue_view(request: HttpRequest) -> HttpResponse:
    """The catalogue's IRI: HTML says what the graph offers; RDF forms are its Hydra pages (?page=N)."""
    try:
        key = negotiation.negotiate(request, available=CATALOGUE_FORMATS)
    except negotiation.NotAcceptable as error:
        return _error(406, "not acceptable", str(error))
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        number = 0
    if number < 1:
        return _error(400, "bad page", "page must be a whole number from 1")
    if key == negotiation.HTML:
        response = render(
            request,
            "landing/graph/catalogue.html",
            {"formats": formats.RDF_FORMATS.values(), "dumps": catalogue.DUMP_FORMATS},
        )
        patch_vary_headers(response, ["Accept", "Accept-Profile"])
        return response
    page = catalogue.page(number, page_url=str(describe.catalogue_iri()))
    if number > page.last:
        return _error(404, "no such page", f"the catalogue has {page.last} page{pluralize(page.last)}")
    return _rdf(formats.serialise(page.graph, key), key, stem=f"catalog-page-{number}")


@require_safe
def dump_view(request: HttpRequest, key: str) -> HttpResponse | StreamingHttpResponse:
    """The whole open graph, streamed from the store."""
    try:
        chunks = catalogue.dump(key)
    except catalogue.NotBuilt as error:
        return _error(503, "not built", str(error))
    _, media_type = catalogue.DUMP_FORMATS[key]
    response = StreamingHttpResponse(chunks, content_type=media_type)
    response["Content-Disposition"] = f'inline; filename="catalog.{key}"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _accepted(request: HttpRequest) -> list[str]:
    return [media for media, _ in negotiation.media_ranges(request.headers.get("Accept", ""))]


def _query_of(request: HttpRequest) -> tuple[str | None, str | None]:
    """(query, problem) from a SPARQL Protocol request: GET ?query=, POST form query=, or a sparql-query body."""
    if "update" in request.POST or "update" in request.GET:
        return None, "this endpoint is read-only: SPARQL Update is not accepted"
    if request.GET.get("default-graph-uri") or request.GET.get("named-graph-uri"):
        return None, "default-graph-uri and named-graph-uri are not supported: queries see the whole open graph"
    if request.method == "POST":
        if request.content_type == SPARQL_QUERY_TYPE:
            return request.body.decode("utf-8", errors="replace"), None
        return request.POST.get("query"), None
    return request.GET.get("query"), None


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def sparql_view(request: HttpRequest) -> HttpResponse:
    query, problem = _query_of(request)
    if problem:
        return _error(400, "bad request", problem)
    accepted = _accepted(request)
    wants_html = not accepted or accepted[0] in negotiation.HTML_TYPES
    if not query:
        if request.method == "POST" or not wants_html:
            return _error(400, "bad request", "give a SPARQL query as the `query` parameter")
        return render(request, "landing/graph/sparql.html", _page_context(sparql_query=EXAMPLES[0].query))
    try:
        answer = sparql.run(query=query, accepted=["application/sparql-results+json"] if wants_html else accepted)
    except sparql.QueryError as error:
        if wants_html and error.status == 400:
            context = _page_context(sparql_query=query, error=str(error))
            return render(request, "landing/graph/sparql.html", context, status=400)
        return _error(error.status, type(error).__name__, str(error))
    if wants_html:
        return render(request, "landing/graph/sparql.html", _html_results(query, answer))
    response = HttpResponse(answer.body, content_type=answer.media_type)
    response["Access-Control-Allow-Origin"] = "*"
    if answer.truncated:
        response["Warning"] = f'199 - "results cut at {settings.SPARQL_MAX_RESULTS}"'
        response["X-Results-Truncated"] = "true"
    patch_vary_headers(response, ["Accept"])
    return response


def _page_context(**extra: object) -> dict[str, object]:
    return {
        "examples": EXAMPLES,
        "timeout": f"{settings.SPARQL_TIMEOUT_SECONDS:g}",
        "cap": settings.SPARQL_MAX_RESULTS,
        "prefixes": sorted(sparql.prefixes().items()),
        **extra,
    }


def _html_results(query: str, answer: sparql.Answer) -> dict[str, object]:
    context = _page_context(sparql_query=query, truncated=answer.truncated)
    if answer.media_type.startswith("application/sparql-results+json"):
        data = json.loads(answer.body)
        if "boolean" in data:
            context["boolean"] = data["boolean"]
        else:
            variables = data["head"]["vars"]
            context["variables"] = variables
            context["rows"] = [
                [binding.get(name, {}).get("value", "") for name in variables]
                for binding in data["results"]["bindings"]
            ]
    else:
        context["text"] = answer.body.decode("utf-8", errors="replace")
    return context
