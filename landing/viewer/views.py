"""The H5Web viewer: its page for one file, and h5grove's routes (/meta, /attr, /data, /paths) inside Django.

Every route asks catalogue.visibility first (the files a caller may download); errors are JSON {"message": ...}.
"""

from collections.abc import Callable
from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe
from h5grove.utils import parse_bool_arg

from catalogue.models import DataFile
from catalogue.services import downloads
from landing.access import callers
from landing.viewer import contents

NOT_FOUND = "No such file, or not one you may open."


def _located(request: HttpRequest, pid: str, file_id: int) -> tuple[DataFile, Path, contents.DatasetFiles]:
    """The file row, its real path and the dataset's files, when the caller may download them; raises Refused."""
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
    return data_file, stored.path, cache(lambda: downloads.stored_paths(dataset))


def _answer(
    request: HttpRequest, pid: str, file_id: int, read: Callable[..., contents.Encoded], **options: object
) -> HttpResponse:
    """One h5grove route: `read(file_path=…, dataset_files=…, **options)` once the caller may open the file."""
    try:
        _, file_path, dataset_files = _located(request, pid, file_id)
        encoded = read(file_path=file_path, dataset_files=dataset_files, **options)
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
        {"data_file": data_file, "dataset": data_file.dataset, "h5grove_url": h5grove_url},
    )
