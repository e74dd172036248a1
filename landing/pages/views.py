"""Landing pages and their machine-readable forms; each view translates HTTP and calls one landing service."""

import json
from collections.abc import Callable
from datetime import datetime
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_safe
from nbformat import NotebookNode

from catalogue import visibility
from catalogue.models import Dataset, Document, DocumentKind, Preview
from catalogue.services import dmp
from landing.datacite import metadata
from landing.graph import formats as graph_formats
from landing.graph import views as graph_views
from landing.graph.describe import Entity
from landing.pages import negotiation
from landing.portal.similar import similar_datasets
from landing.services import (
    carbon,
    citations,
    collections,
    crates,
    exports,
    fair,
    notebooks,
    page_cache,
    pages,
    signposting,
)

DOCUMENT_FORMATS = (
    *exports.FORMATS,
    negotiation.BIBLIOGRAPHY,
    negotiation.LINKSET_JSON,
    negotiation.LINKSET,
    *graph_formats.RDF_FORMATS,
)
DATASET_FORMATS = (
    *exports.CITATION_FORMATS,
    "jsonld",
    negotiation.BIBLIOGRAPHY,
    negotiation.LINKSET_JSON,
    negotiation.LINKSET,
    *graph_formats.RDF_FORMATS,
)


View = Callable[..., HttpResponse]


def _with_views(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Fills in a page's view count, counting this visit unless it is a robot's or a steward's."""
    viewed = getattr(response, "viewed", None)
    if viewed is not None:
        counted = request.method == "GET" and pages.is_counted_visit(
            user=request.user, user_agent=request.headers.get("User-Agent", "")
        )
        count = pages.views(record=viewed, counted=counted)
        response.content = response.content.replace(pages.VIEWS.encode(), str(count).encode())
    return response


def public_cache(view: View) -> View:
    """Serves anonymous visitors the page or export kept for the catalogue's current state (services.page_cache):
    of those who miss it at once, one builds it and the others are served what it keeps. Everyone else gets it built
    for them."""

    @wraps(view)
    def cached(request: HttpRequest, **kwargs: str) -> HttpResponse:
        if not page_cache.serves(request):
            return _with_views(request, view(request, **kwargs))
        key = page_cache.key(request)
        entry = page_cache.get(key)
        claimed = entry is None and page_cache.claim(key)
        if entry is None and not claimed:  # another request is building it
            entry = page_cache.wait(key)
        if entry is not None:
            return _with_views(request, entry.response())
        try:
            response = view(request, **kwargs)
            page_cache.keep(key, response)
        finally:
            if claimed:
                page_cache.built(key)
        return _with_views(request, response)

    return cached


def _not_found(request: HttpRequest, message: str) -> HttpResponse:
    response = render(request, "404.html", {"message": message}, status=404)
    patch_vary_headers(response, ["Accept"])
    return response


def _not_acceptable(error: negotiation.NotAcceptable) -> HttpResponse:
    response = HttpResponse(
        json.dumps({"error": "not acceptable", "detail": str(error)}), status=406, content_type="application/json"
    )
    patch_vary_headers(response, ["Accept"])
    return response


def _export(request: HttpRequest, page: pages.Forms, key: str, *, stem: str) -> HttpResponse:
    """One machine-readable form of a page: an export, a formatted citation or the linkset; reads only what it needs
    of `page`."""
    if key == negotiation.BIBLIOGRAPHY:
        style = request.GET.get("style", citations.DEFAULT_STYLE)
        try:
            text = citations.citation(page.citation_record, style=style)
        except citations.UnknownStyle as error:
            return HttpResponse(
                json.dumps({"error": "bad style", "detail": str(error)}), status=400, content_type="application/json"
            )
        response = HttpResponse(text + "\n", content_type="text/x-bibliography; charset=utf-8")
    elif key == negotiation.LINKSET_JSON:
        linkset = signposting.linkset_json(anchor=page.canonical_url, links=page.links)
        response = HttpResponse(json.dumps(linkset, indent=2), content_type="application/linkset+json")
    elif key == negotiation.LINKSET:
        response = HttpResponse(
            signposting.linkset_text(anchor=page.canonical_url, links=page.links), content_type="application/linkset"
        )
    else:
        export = exports.FORMATS[key]
        if key == "jsonld":
            body = json.dumps(page.schema_org, indent=2, ensure_ascii=False).encode()
        else:
            body = exports.render(page.citation_record, key)
        charset = "" if key == "datacite-xml" else "; charset=utf-8"
        response = HttpResponse(body, content_type=export.media_type + charset)
        response["Content-Disposition"] = f'inline; filename="{stem}.{export.extension}"'
        response["Link"] = f'<{page.canonical_url}> ; rel="describes" ; type="text/html"'
    response["Access-Control-Allow-Origin"] = "*"  # harvesters and citation managers fetch from other origins
    patch_vary_headers(response, ["Accept"])
    return response


def _html(request: HttpRequest, template: str, page: pages.Page, *, linkset_url: str) -> HttpResponse:
    context = {"page": page, "record": page.record, **page.extra}
    linkset_url = metadata.site_url(linkset_url)
    context |= {
        "linkset_url": linkset_url,
        "citation_meta": exports.meta_tags(page.citation_record, page_url=page.canonical_url),
    }
    response = render(request, template, context)
    response["Link"] = signposting.header(page.links, linkset_url=linkset_url)
    patch_vary_headers(response, ["Accept"])
    return response


def _tombstone(request: HttpRequest, *, record: metadata.Record, withdrawn_at: datetime, reason: str) -> HttpResponse:
    context = {
        "record": record,
        "citation": citations.citation(record),
        "withdrawn_at": withdrawn_at,
        "reason": reason,
        "doi_url": metadata.doi_url(record["doi"]) if record.get("doi") else None,
    }
    response = render(request, "landing/pages/tombstone.html", context, status=410)
    if record.get("doi"):
        response["Link"] = f'<{metadata.doi_url(record["doi"])}> ; rel="cite-as"'
    return response


@require_safe
@public_cache
def doi_page(request: HttpRequest, doi: str) -> HttpResponse:
    document = Document.objects.select_related("facility").filter(doi__iexact=doi).first()
    if document is None:
        return _not_found(request, f"No DOI {doi} is registered here.")
    if document.doi != doi:  # DOIs are case-insensitive: one canonical URL
        query = f"?{request.GET.urlencode()}" if request.GET else ""
        return HttpResponseRedirect(reverse("landing-doi", kwargs={"doi": document.doi}) + query, status=301)
    if document.withdrawn_at is not None:
        record = metadata.document_metadata(document=document, user=AnonymousUser())
        return _tombstone(request, record=record, withdrawn_at=document.withdrawn_at, reason=document.withdrawal_reason)
    user = request.user
    if document.kind == DocumentKind.COLLECTION and not visibility.can_view_document(user, document):
        return _not_found(request, f"No DOI {doi} is registered here.")
    try:
        key = negotiation.negotiate(request, available=DOCUMENT_FORMATS)
    except negotiation.NotAcceptable as error:
        return _not_acceptable(error)
    stem = document.doi.replace("/", "_")
    if key in graph_formats.RDF_FORMATS:
        return graph_views.entity_rdf(Entity("document", document.pk), key, stem=stem)
    if key != negotiation.HTML:
        return _export(request, pages.DocumentForms(document=document, user=user), key, stem=stem)
    page = pages.document_page(document=document, user=user)
    linkset_url = reverse("landing-doi-linkset", kwargs={"doi": document.doi})
    page.extra |= fair.document_panel(document=document, user=user)
    page.extra["fair_json_url"] = reverse("fair-document-score", kwargs={"doi": document.doi})
    if document.kind != DocumentKind.COLLECTION:
        page.extra["dmp_url"] = reverse("landing-doi-dmp", kwargs={"doi": document.doi})
    response = _html(request, "landing/pages/document.html", page, linkset_url=linkset_url)
    response.viewed = ("document", document.pk)  # type: ignore[attr-defined]  # our own mark, read by _with_views
    return response


@require_safe
@public_cache
def doi_crate(request: HttpRequest, doi: str) -> HttpResponse:
    """The RO-Crate of a DOI's datasets, as the caller may see them (the public stub during an embargo)."""
    document = Document.objects.select_related("facility").filter(doi=doi, withdrawn_at__isnull=True).first()
    if document is None or (
        document.kind == DocumentKind.COLLECTION and not visibility.can_view_document(request.user, document)
    ):
        return _not_found(request, f"No DOI {doi} is registered here.")
    response = HttpResponse(crates.document_crate(document=document, user=request.user), content_type=crates.MEDIA_TYPE)
    response["Content-Disposition"] = f'inline; filename="{crates.METADATA_FILE}"'
    response["Access-Control-Allow-Origin"] = "*"
    response["Link"] = f'<{metadata.landing_url(document)}> ; rel="describes" ; type="text/html"'
    return response


@require_safe
def doi_dmp(request: HttpRequest, doi: str) -> HttpResponse:
    """The proposal's maDMP (RDA DMP Common Standard 1.2) as the caller may see it (services.dmp.export_dmp)."""
    document = Document.objects.select_related("facility").filter(doi=doi, withdrawn_at__isnull=True).first()
    if document is None or document.kind == DocumentKind.COLLECTION:
        return _not_found(request, f"No proposal with the DOI {doi} is registered here.")
    response = JsonResponse(dmp.export_dmp(document=document, user=request.user), json_dumps_params={"indent": 1})
    response["Content-Disposition"] = f'inline; filename="dmp-{doi.replace("/", "_")}.json"'
    response["Link"] = f'<{metadata.landing_url(document)}> ; rel="describes" ; type="text/html"'
    patch_vary_headers(response, ["Cookie"])
    return response


def _visible_dataset(request: HttpRequest, pid: str) -> Dataset | None:
    dataset = Dataset.objects.select_related("proposal__facility", "instrument__facility").filter(pid=pid).first()
    if dataset is None or not visibility.can_view_dataset(request.user, dataset):
        return None
    return dataset


@require_safe
@public_cache
def dataset_page(request: HttpRequest, pid: str) -> HttpResponse:
    dataset = Dataset.objects.select_related("proposal__facility", "instrument__facility").filter(pid=pid).first()
    # Never echo the pid: the page must read the same for an unknown pid and an embargoed one.
    missing = (
        "No public dataset has this identifier. Embargoed data appear once they open, or to their team after login."
    )
    if dataset is not None and dataset.withdrawn_at is not None:
        was_public = dataset.open_now or dataset.release_date <= dataset.withdrawn_at
        if not was_public:
            return _not_found(request, missing)
        record = metadata.dataset_metadata(dataset=dataset, citing=pages.citing_document(dataset))
        return _tombstone(request, record=record, withdrawn_at=dataset.withdrawn_at, reason=dataset.withdrawal_reason)
    if dataset is None or not visibility.can_view_dataset(request.user, dataset):
        return _not_found(request, missing)
    try:
        key = negotiation.negotiate(request, available=DATASET_FORMATS)
    except negotiation.NotAcceptable as error:
        return _not_acceptable(error)
    if key in graph_formats.RDF_FORMATS:
        return graph_views.entity_rdf(Entity("dataset", dataset.pk), key, stem=dataset.pid.replace("/", "_"))
    if key != negotiation.HTML:
        forms = pages.DatasetForms(dataset=dataset, user=request.user)
        return _export(request, forms, key, stem=dataset.pid.replace("/", "_"))
    page = pages.dataset_page(dataset=dataset, user=request.user)
    linkset_url = reverse("landing-dataset-linkset", kwargs={"pid": dataset.pid})
    page.extra["similar"] = list(similar_datasets(dataset=dataset, user=request.user, limit=6))
    page.extra |= fair.dataset_panel(dataset=dataset, user=request.user)
    page.extra["fair_json_url"] = reverse("fair-dataset-score", kwargs={"pid": dataset.pid})
    response = _html(request, "landing/pages/dataset.html", page, linkset_url=linkset_url)
    response.viewed = ("dataset", dataset.pk)  # type: ignore[attr-defined]  # our own mark, read by _with_views
    return response


PREVIEW_SIZES = {"page": "png", "card": "card_png"}


@require_safe
def dataset_preview(request: HttpRequest, pid: str) -> HttpResponse:
    """The default plot at page size, or `?size=card` for result cards: drawn from the data, so served only to those
    who may download the files."""
    size = request.GET.get("size", "page")
    if size not in PREVIEW_SIZES:
        return HttpResponse(
            json.dumps({"error": "bad size", "detail": f"size must be one of {', '.join(PREVIEW_SIZES)}"}),
            status=400,
            content_type="application/json",
        )
    downloadable = visibility.datasets_downloadable_by(request.user).filter(pid=pid)
    preview = Preview.objects.filter(dataset__in=downloadable, png__isnull=False).only("png", "card_png").first()
    if preview is None:
        raise Http404("no preview")
    picture = getattr(preview, PREVIEW_SIZES[size]) or preview.png  # previews drawn before card sizes existed
    assert picture is not None  # png__isnull=False
    response = HttpResponse(bytes(picture), content_type="image/png")
    response["Cache-Control"] = "public, max-age=3600" if request.user.is_anonymous else "private, max-age=300"
    return response


def _notebook_response(request: HttpRequest, notebook: NotebookNode, *, stem: str) -> HttpResponse:
    response = HttpResponse(notebooks.to_json(notebook), content_type="application/x-ipynb+json")
    name = "".join(character if character.isalnum() or character in "-." else "_" for character in stem)
    response["Content-Disposition"] = f'attachment; filename="{name}.ipynb"'
    # JupyterLite and other in-browser notebooks fetch it from another origin; without credentials, as any visitor.
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=300" if request.user.is_anonymous else "private, no-store"
    return response


@require_safe
def dataset_notebook(request: HttpRequest, pid: str) -> HttpResponse:
    dataset = _visible_dataset(request, pid)
    if dataset is None or dataset.withdrawn_at is not None:
        return _not_found(request, "No public dataset has this identifier.")
    return _notebook_response(request, notebooks.dataset_notebook(dataset=dataset, user=request.user), stem=pid)


@require_safe
def doi_notebook(request: HttpRequest, doi: str) -> HttpResponse:
    document = Document.objects.filter(doi__iexact=doi, withdrawn_at__isnull=True).first()
    if document is None:
        return _not_found(request, f"No DOI {doi} is registered here.")
    if document.doi != doi:
        return HttpResponseRedirect(reverse("landing-doi-notebook", kwargs={"doi": document.doi}), status=301)
    try:
        notebook = notebooks.document_notebook(document=document, user=request.user)
    except notebooks.NothingToShow:
        return _not_found(request, f"No dataset of DOI {doi} is public yet: its notebook comes when they open.")
    return _notebook_response(request, notebook, stem=doi)


def _linkset_response(request: HttpRequest, page: pages.Forms) -> HttpResponse:
    accept = request.headers.get("Accept", "")
    wants_text = "application/linkset" in accept and "application/linkset+json" not in accept
    key = negotiation.LINKSET if wants_text else negotiation.LINKSET_JSON
    return _export(request, page, key, stem="linkset")


@require_safe
@public_cache
def doi_linkset(request: HttpRequest, doi: str) -> HttpResponse:
    document = Document.objects.filter(doi=doi, withdrawn_at__isnull=True).first()
    if document is None or (
        document.kind == DocumentKind.COLLECTION and not visibility.can_view_document(request.user, document)
    ):
        return _not_found(request, f"No DOI {doi} is registered here.")
    return _linkset_response(request, pages.DocumentForms(document=document, user=request.user))


@require_safe
@public_cache
def dataset_linkset(request: HttpRequest, pid: str) -> HttpResponse:
    dataset = _visible_dataset(request, pid)
    if dataset is None or dataset.withdrawn_at is not None:
        return _not_found(request, "No public dataset has this identifier.")
    return _linkset_response(request, pages.DatasetForms(dataset=dataset, user=request.user))


@login_required
@require_http_methods(["GET", "POST"])
def collection_new(request: HttpRequest) -> HttpResponse:
    form = {
        "title": request.POST.get("title", ""),
        "description": request.POST.get("description", ""),
        "keywords": request.POST.get("keywords", ""),
        "datasets": request.POST.get("datasets", request.GET.get("datasets", "")),
    }
    error = None
    if request.method == "POST":
        try:
            collection = collections.create_collection(
                user=request.user,
                title=form["title"],
                description=form["description"],
                dataset_pids=form["datasets"].replace(",", "\n").splitlines(),
                keywords=form["keywords"].split(","),
            )
        except collections.CollectionError as problem:
            error = str(problem)
        else:
            return HttpResponseRedirect(reverse("landing-doi", kwargs={"doi": collection.doi}), status=303)
    status = 400 if error else 200
    return render(request, "landing/pages/collection_form.html", {"form": form, "error": error}, status=status)


@require_safe
def carbon_methodology(request: HttpRequest) -> HttpResponse:
    context = {
        "factors": list(carbon.DEFAULT_FACTORS.values()),
        "grid": sorted(carbon.GRID_INTENSITY.items()),
        "fallback": carbon.FALLBACK_GRID,
        "p_replace_high": carbon.P_REPLACE_HIGH,
        "week_hours": carbon.WEEK_HOURS,
    }
    return render(request, "landing/pages/carbon_methodology.html", context)


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *", "Disallow: /admin/", "Allow: /", f"Sitemap: {settings.SITE_URL}/sitemap.xml", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain")
