"""Download routes: one file (HTTP Range, ETag, Last-Modified) and a whole dataset as a streamed zip.

Every route asks catalogue.visibility first; an embargoed dataset answers exactly like one that does not exist.
"""

import logging
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.http import http_date, parse_http_date_safe
from django.views.decorators.http import require_safe

from catalogue import visibility
from catalogue.models import Dataset
from catalogue.services import downloads
from landing.access import callers
from landing.services import crates

logger = logging.getLogger(__name__)


def _not_available(request: HttpRequest, *, status: int = 404, reason: str = "") -> HttpResponse:
    return render(request, "landing/access/not_available.html", {"reason": reason}, status=status)


def _attachment(name: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(name)}"


def _signposting(request: HttpRequest, dataset: Dataset) -> dict[str, str]:
    """FAIR Signposting on the bytes: the landing page they belong to and its linkset, when the pages exist."""
    try:
        collection = reverse("landing-dataset", kwargs={"pid": dataset.pid})
        linkset = reverse("landing-dataset-linkset", kwargs={"pid": dataset.pid})
    except NoReverseMatch:
        return {}
    return {
        "Link": f'<{request.build_absolute_uri(collection)}> ; rel="collection" ; type="text/html", '
        f'<{request.build_absolute_uri(linkset)}> ; rel="linkset" ; type="application/linkset+json"'
    }


def _not_modified(request: HttpRequest, stored: downloads.StoredFile) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        return stored.etag in [tag.strip() for tag in if_none_match.split(",")] or if_none_match.strip() == "*"
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and int(stored.modified_at.timestamp()) <= since


def _range_applies(request: HttpRequest, stored: downloads.StoredFile) -> bool:
    """A resumed download must still be the same file: If-Range names its ETag or date."""
    if_range = request.headers.get("If-Range")
    if if_range is None:
        return True
    if if_range.startswith('"'):
        return if_range == stored.etag
    since = parse_http_date_safe(if_range)
    return since is not None and int(stored.modified_at.timestamp()) == since


@require_safe
def download_file(request: HttpRequest, pid: str, file_id: int) -> HttpResponseBase:
    try:
        dataset, user = callers.downloadable_dataset(request, pid)
    except callers.BadToken as error:
        return _not_available(request, status=401, reason=str(error))
    data_file = dataset.data_files.filter(pk=file_id).first() if dataset else None
    if dataset is None or data_file is None:
        return _not_available(request)
    data_file.dataset = dataset
    try:
        stored = downloads.locate(data_file)
    except downloads.FileUnavailable as reason:
        logger.warning("download of %s file %s refused: %s", pid, file_id, reason)
        return _not_available(
            request,
            status=410,
            reason="This file is listed in the catalogue but is not in the facility's storage any more. "
            "The data office has been told.",
        )

    headers = {
        "Accept-Ranges": "bytes",
        "ETag": stored.etag,
        "Last-Modified": http_date(stored.modified_at.timestamp()),
        "Cache-Control": "public, max-age=3600" if visibility.is_open(dataset) else "private, no-store",
        **_signposting(request, dataset),
    }
    if _not_modified(request, stored):
        return HttpResponse(status=304, headers=headers)

    byte_range = None
    if "Range" in request.headers and _range_applies(request, stored):
        try:
            byte_range = downloads.parse_range(request.headers["Range"], size=stored.size)
        except downloads.UnsatisfiableRange:
            return HttpResponse(
                f"The file has {stored.size} bytes; the requested range lies outside it.\n",
                status=416,
                content_type="text/plain",
                headers={**headers, "Content-Range": f"bytes */{stored.size}"},
            )
    length = byte_range.length if byte_range else stored.size
    headers.update(
        {
            "Content-Length": str(length),
            "Content-Disposition": _attachment(data_file.name),
        }
    )
    if byte_range:
        headers["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{stored.size}"
    status = 206 if byte_range else 200
    if request.method == "HEAD":
        return HttpResponse(status=status, headers=headers, content_type=downloads.media_type(data_file))
    if byte_range is None or byte_range.start == 0:  # resumptions are the same download
        downloads.record_download(dataset=dataset, user=user)
    return StreamingHttpResponse(
        downloads.read_range(stored, byte_range),
        status=status,
        content_type=downloads.media_type(data_file),
        headers=headers,
    )


@require_safe
def download_dataset(request: HttpRequest, pid: str) -> HttpResponseBase:
    try:
        dataset, user = callers.downloadable_dataset(request, pid)
    except callers.BadToken as error:
        return _not_available(request, status=401, reason=str(error))
    if dataset is None:
        return _not_available(request)
    plan = downloads.plan_zip(dataset)
    if downloads.too_large_for_zip(plan):
        # 413: the answer is too large for this route; the page names the bulk route instead.
        return render(
            request,
            "landing/access/bulk_download.html",
            {
                "dataset": dataset,
                "plan": plan,
                "limit": settings.DOWNLOAD_ZIP_MAX_BYTES,
                "bulk_url": downloads.bulk_download_url(dataset),
            },
            status=413,
        )
    stream = crates.dataset_zip(dataset=dataset, user=user, plan=plan)
    headers = {
        "Content-Length": str(len(stream)),
        "Content-Disposition": _attachment(f"{plan.folder}.zip"),
        "Cache-Control": "private, no-store",
    }
    if request.method == "HEAD":
        return HttpResponse(status=200, headers=headers, content_type="application/zip")
    downloads.record_download(dataset=dataset, user=user)
    return StreamingHttpResponse(stream, content_type="application/zip", headers=headers)
