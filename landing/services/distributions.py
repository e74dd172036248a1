"""What can be downloaded of some datasets, as machines need it: each file with its real media type, exact size and
checksum, and each dataset's zip as one more distribution. JSON-LD, signposting and RO-Crate all list these."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.urls import NoReverseMatch, reverse

from catalogue.models import DataFile, Dataset
from catalogue.services import downloads
from landing.datacite import metadata

ZIP_MEDIA_TYPE = "application/zip"
# Beyond this many files a page's machine-readable forms list no more (the zip and the page have them all).
MAX_FILES_LISTED = 200
# SPDX 2.3 names of the algorithms ingestion and fixity use (hashlib's blake2b is BLAKE2b-512).
SPDX_ALGORITHMS = {"blake2b": "blake2b512", "sha256": "sha256", "md5": "md5", "sha1": "sha1"}


@dataclass(frozen=True)
class Distribution:
    url: str
    name: str
    media_type: str
    size: int | None  # exact bytes; None when not known before it is built (a zip)
    checksum: str = ""
    checksum_algorithm: str = ""
    path: str = ""  # inside the dataset's folder, as the zip holds it
    dataset_pid: str = ""

    @property
    def is_zip(self) -> bool:
        return self.media_type == ZIP_MEDIA_TYPE

    @property
    def spdx_algorithm(self) -> str | None:
        return SPDX_ALGORITHMS.get(self.checksum_algorithm)


def file_distribution(data_file: DataFile, *, dataset: Dataset) -> Distribution | None:
    """A file's distribution, or None while its download route is not installed or the file is missing."""
    if data_file.is_missing:
        return None
    try:
        path = reverse("download-file", kwargs={"pid": dataset.pid, "file_id": data_file.pk})
    except NoReverseMatch:
        return None
    return Distribution(
        url=metadata.site_url(path),
        name=data_file.name,
        media_type=downloads.media_type(data_file),
        size=data_file.size,
        checksum=data_file.checksum if data_file.checksum_algorithm else "",
        checksum_algorithm=data_file.checksum_algorithm if data_file.checksum else "",
        path=data_file.path,
        dataset_pid=dataset.pid,
    )


def zip_distribution(dataset: Dataset) -> Distribution | None:
    try:
        path = reverse("download-dataset", kwargs={"pid": dataset.pid})
    except NoReverseMatch:
        return None
    folder = downloads.zip_folder(dataset)
    return Distribution(
        url=metadata.site_url(path), name=f"{folder}.zip", media_type=ZIP_MEDIA_TYPE, size=None, dataset_pid=dataset.pid
    )


def of_datasets(datasets: Iterable[Dataset], *, limit: int = MAX_FILES_LISTED) -> list[Distribution]:
    """Files first (up to `limit`), then one zip per dataset; the caller passes only datasets the public may fetch.

    A further entry of a multi-entry file lists its file like the primary entry does (Dataset.data_files)."""
    datasets = sorted(datasets, key=lambda dataset: (dataset.creation_time, dataset.pid))
    holders = {dataset.pk: dataset.file_dataset_id or dataset.pk for dataset in datasets}
    ranked = Window(RowNumber(), partition_by=F("dataset_id"), order_by=F("path").asc())
    rows = (
        DataFile.objects.filter(dataset_id__in=set(holders.values()), is_missing=False)
        .annotate(rank=ranked)
        .filter(rank__lte=limit)
        .order_by("dataset_id", "path")
    )
    held: dict[int, list[DataFile]] = defaultdict(list)
    for row in rows:
        held[row.dataset_id].append(row)
    pairs = [(data_file, dataset) for dataset in datasets for data_file in held[holders[dataset.pk]]][:limit]
    listed = [file_distribution(data_file, dataset=dataset) for data_file, dataset in pairs]
    zips = [zip_distribution(dataset) for dataset in datasets]
    return [item for item in (*listed, *zips) if item is not None]
