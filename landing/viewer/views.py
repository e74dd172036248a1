"""The H5Web viewer: its page for one file, and h5grove's routes (/meta, /attr, /data, /paths) inside Django.

Every route asks catalogue.visibility first (the files a caller may download); errors are JSON {"message": ...}.
The file is read by the reading process (catalogue.isolation): a damaged file on which libhdf5 crashes or loops gets
a 422 and leaves this process and the other requests it serves alone.
"""

from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe
from h5grove.utils import parse_bool_arg

from catalogue import isolation
from catalogue.models import DataFile
from catalogue.services import downloads
from landing.access import callers
from landing.viewer import contents
from landing.viewer.opening import opening_path

NOT_FOUND = "No such file, or not one you may open."
# When the reading process failed (catalogue.isolation.ReadingFailed): the answer's status and what to do, by cause.
READING_FAILED = {
    "damaged": (422, "Download it and check it with h5dump, or tell the facility."),
    "memory": (503, "Try again in a few minutes."),
    "unknown": (503, "Try again in a few minutes."),
}


def _located(request: HttpRequest, pid: str, file_id: int) -> tuple[DataFile, Path, Callable[[], frozenset[Path]]]:
    """The file row, its real path and how to list the dataset's files, when the caller may download them; raises
    Refused."""
    try:
        dataset, _ = callers.downloadable_dataset(request, pid)
    except callers.BadToken as error:
        raise contents.Refused(401, str(error)) from None
    data_file = dataset.data_files.filter(pk=file_id).first() if dataset else None
    if dataset is None or data_file is None:
        raise contents.Refused(404, NOT_FOUND)
    data_file.dataset = dataset
    try:
        stored = downloads.locate(data_file)
    except downloads.FileUnavailable:
        raise contents.Refused(410, "This file is listed in the catalogue but is not in storage any more.") from None
    return data_file, stored.path, lambda: downloads.stored_paths(dataset)


def _read_apart(file_path: Path, read: Callable[..., contents.Encoded], **options: object) -> contents.Encoded:
    """`read(file_path=…, dataset_files=…, **options)` in the reading process; raises Refused."""
    try:
        return isolation.read_apart("VIEWER_READ_TIMEOUT", read, file_path=file_path, **options)
    except isolation.ReadingFailed as failed:
        status, advice = READING_FAILED[failed.cause]
        raise contents.Refused(status, f"{file_path.name} cannot be shown: {failed}. {advice}") from None


def _answer(
    request: HttpRequest, pid: str, file_id: int, read: Callable[..., contents.Encoded], **options: object
) -> HttpResponse:
    """One h5grove route: `read(file_path=…, dataset_files=…, **options)` once the caller may open the file; the
    dataset's files are listed only when the answer follows a link or a virtual dataset."""
    try:
        _, file_path, dataset_files = _located(request, pid, file_id)
        try:
            encoded = _read_apart(file_path, read, dataset_files=None, **options)
        except contents.NeedsDatasetFiles:
            encoded = _read_apart(file_path, read, dataset_files=dataset_files(), **options)
    except contents.Refused as refused:
        return JsonResponse({"message": refused.message}, status=refused.status)
    response = HttpResponse(encoded.body, headers=encoded.headers)
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
def meta(request: HttpRequest, pid: str, file_id: int) -> HttpResponse:
    return _answer(request, pid, file_id, contents.metadata, path=request.GET.get("path"))


@require_safe
def attr(request: HttpRequest, pid: str, file_id: int) -> HttpResponse:
    keys = request.GET.getlist("attr_keys") or None
    return _answer(request, pid, file_id, contents.attributes, path=request.GET.get("path"), keys=keys)


@require_safe
def data(request: HttpRequest, pid: str, file_id: int) -> HttpResponse:
    query = request.GET
    return _answer(
        request,
        pid,
        file_id,
        contents.data,
        path=query.get("path"),
        selection=query.get("selection"),
        encoding=query.get("format"),
        dtype=query.get("dtype"),
        flatten=parse_bool_arg(query.get("flatten"), fallback=False),
        max_bytes=settings.VIEWER_MAX_SLICE_BYTES,
    )


@require_safe
def paths(request: HttpRequest, pid: str, file_id: int) -> HttpResponse:
    return _answer(request, pid, file_id, contents.paths, path=request.GET.get("path"))


@require_safe
def explore(request: HttpRequest, pid: str, file_id: int) -> HttpResponse:
    try:
        data_file, _, _ = _located(request, pid, file_id)
    except contents.Refused as refused:
        shown = refused.status in (401, 410)  # else the page that explains embargoes, as downloads answer
        return render(
            request,
            "landing/access/not_available.html",
            {"reason": refused.message if shown else ""},
            status=refused.status if shown else 404,
        )
    if downloads.media_type(data_file) != downloads.MEDIA_TYPES[".h5"]:
        return render(
            request,
            "landing/access/not_available.html",
            {"reason": "The viewer opens HDF5 and NeXus files only; download this file instead."},
            status=404,
        )
    h5grove_url = reverse("viewer-meta", kwargs={"pid": pid, "file_id": file_id}).removesuffix("/meta")
    return render(
        request,
        "landing/viewer/explore.html",
        {
            "data_file": data_file,
            "dataset": data_file.dataset,
            "h5grove_url": h5grove_url,
            "opening_path": opening_path(data_file),
        },
    )
