"""Getting the bytes: files stay where the facility stores them and are served from there, confined to the storage
root, one file with HTTP ranges or a whole dataset as a zip streamed on the fly with a checksum manifest inside.
"""

import logging
import mimetypes
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from django.conf import settings
from zipstream import ZipStream

from catalogue import visibility
from catalogue.models import DataFile, Dataset, Facility
from catalogue.services import statistics

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024
# Media types of the formats facilities store (mimetypes knows none of them).
MEDIA_TYPES = {
    ".h5": "application/x-hdf5",
    ".hdf5": "application/x-hdf5",
    ".hdf": "application/x-hdf5",
    ".nxs": "application/x-hdf5",
    ".nx5": "application/x-hdf5",
    ".cbf": "application/octet-stream",
}
# Command-line tools that check a manifest of each algorithm (`b2sum -c checksums.blake2b`).
CHECKSUM_TOOLS = {"blake2b": "b2sum", "sha256": "sha256sum", "md5": "md5sum", "sha1": "sha1sum"}


class FileUnavailable(Exception):
    """The file row exists but no readable file lies where it should, inside the storage root."""


@dataclass(frozen=True)
class StoredFile:
    path: Path
    size: int
    modified_at: datetime
    etag: str


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive, as HTTP counts

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class UnsatisfiableRange(Exception):
    pass


def facility_of(dataset: Dataset) -> Facility | None:
    if dataset.instrument:
        return dataset.instrument.facility
    return dataset.proposal.facility


def storage_root(dataset: Dataset) -> Path | None:
    """Instrument's storage root, else its facility's, else the dataset's own source folder."""
    facility = facility_of(dataset)
    for candidate in (
        dataset.instrument.storage_root if dataset.instrument else "",
        facility.storage_root if facility else "",
        dataset.source_folder,
    ):
        if candidate:
            return Path(candidate)
    return None


def locate(data_file: DataFile) -> StoredFile:
    """The real file behind a row, after proving it lies inside the storage root.

    Refuses absolute or `..` paths in the row, a source folder outside the root, and symlinks that resolve
    outside it. Raises FileUnavailable (the reason is for logs and stewards, never for the public).
    """
    dataset = data_file.dataset
    root = storage_root(dataset)
    relative = PurePosixPath(data_file.path)
    if root is None:
        raise FileUnavailable(f"dataset {dataset.pid} has no storage root")
    if not data_file.path or relative.is_absolute() or ".." in relative.parts or "\x00" in data_file.path:
        raise FileUnavailable(f"file row {data_file.pk} has an unsafe path {data_file.path!r}")
    try:
        real_root = root.resolve(strict=True)
        folder = Path(dataset.source_folder) if dataset.source_folder else real_root
        if not folder.is_absolute():
            folder = real_root / folder
        real_path = (folder / relative).resolve(strict=True)
    except (OSError, RuntimeError) as error:  # RuntimeError: a symlink loop
        raise FileUnavailable(f"{data_file.path}: {error}") from None
    if not real_path.is_relative_to(real_root):
        raise FileUnavailable(f"{data_file.path} resolves outside the storage root {real_root}")
    stat = real_path.stat()
    if not real_path.is_file():
        raise FileUnavailable(f"{data_file.path} is not a regular file")
    return StoredFile(
        path=real_path,
        size=stat.st_size,
        modified_at=datetime.fromtimestamp(int(stat.st_mtime), tz=UTC),
        etag=f'"{stat.st_ino:x}-{stat.st_size:x}-{stat.st_mtime_ns:x}"',
    )


RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header: str, *, size: int) -> ByteRange | None:
    """The single byte range a `Range` header asks for; None to serve the whole file.

    Multi-range requests are answered with the whole file, which RFC 9110 allows. Raises UnsatisfiableRange.
    """
    match = RANGE_RE.match(header.strip().replace(" ", ""))
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":  # suffix range: the last N bytes
        length = int(last)
        if length == 0:
            raise UnsatisfiableRange
        return ByteRange(max(size - length, 0), size - 1)
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise UnsatisfiableRange
    return ByteRange(start, end)


def read_range(stored: StoredFile, byte_range: ByteRange | None = None) -> Iterator[bytes]:
    """Stream bytes of the file in chunks; the descriptor is opened without following a last-moment symlink."""
    start, remaining = (byte_range.start, byte_range.length) if byte_range else (0, stored.size)
    descriptor = os.open(stored.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(descriptor, "rb") as handle:
        handle.seek(start)
        while remaining > 0:
            chunk = handle.read(min(CHUNK_BYTES, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk


def stored_paths(dataset: Dataset) -> frozenset[Path]:
    """Real paths of the dataset's files that are in storage: where its HDF5 links may lead (the viewer's fence)."""
    paths = set()
    for data_file in dataset.data_files:
        data_file.dataset = dataset
        try:
            paths.add(locate(data_file).path)
        except FileUnavailable:
            continue
    return frozenset(paths)


def media_type(data_file: DataFile) -> str:
    suffix = PurePosixPath(data_file.path).suffix.lower()
    return MEDIA_TYPES.get(suffix) or mimetypes.guess_type(data_file.path)[0] or "application/octet-stream"


def record_download(*, dataset: Dataset, user: visibility.User) -> None:
    """Count one download for the landing page statistics; outside the team counts separately (reuse)."""
    outside = not visibility.is_steward(user) and not visibility.is_team_member(user, dataset.proposal)
    statistics.add_download(dataset_id=dataset.pk, outside=outside)


@dataclass(frozen=True)
class ZipPlan:
    """What a whole-dataset zip will hold, decided before the first byte is sent."""

    folder: str
    files: list[tuple[DataFile, StoredFile]]
    missing: list[DataFile]

    @property
    def size(self) -> int:
        return sum(stored.size for _, stored in self.files)


def plan_zip(dataset: Dataset, *, data_files: Iterable[DataFile] | None = None) -> ZipPlan:
    """`data_files` are the dataset's files in path order when the caller has them loaded (else one query)."""
    files, missing, reasons = [], [], []
    for data_file in dataset.data_files.order_by("path") if data_files is None else data_files:
        data_file.dataset = dataset
        try:
            files.append((data_file, locate(data_file)))
        except FileUnavailable as reason:
            reasons.append(str(reason))
            missing.append(data_file)
    if reasons:  # one line a dataset: a graph rebuild plans every open dataset's zip
        logger.warning("zip of %s skips %d file(s): %s", dataset.pid, len(reasons), "; ".join(dict.fromkeys(reasons)))
    return ZipPlan(folder=zip_folder(dataset), files=files, missing=missing)


def zip_folder(dataset: Dataset) -> str:
    """The one folder a dataset's zip holds (and the zip's name): its pid made safe as a file name."""
    return re.sub(r"[^\w.-]+", "_", dataset.pid).strip("_") or f"dataset-{dataset.pk}"


def too_large_for_zip(plan: ZipPlan) -> bool:
    return plan.size > settings.DOWNLOAD_ZIP_MAX_BYTES


def bulk_download_url(dataset: Dataset) -> str:
    """The facility's Globus/SFTP link for the dataset's folder, or "" when the facility configured none."""
    facility = facility_of(dataset)
    if facility is None or not facility.bulk_download_url:
        return ""
    return facility.bulk_download_url.replace("{pid}", dataset.pid).replace("{path}", dataset.source_folder)


def manifests(plan: ZipPlan) -> dict[str, bytes]:
    """One `<checksum>  <path>` file per algorithm, readable by b2sum/sha256sum -c, plus the list of absent files."""
    by_algorithm: dict[str, list[str]] = {}
    for data_file, _ in plan.files:
        if data_file.checksum and data_file.checksum_algorithm:
            by_algorithm.setdefault(data_file.checksum_algorithm, []).append(
                f"{data_file.checksum}  {data_file.path}\n"
            )
    documents = {f"checksums.{algorithm}": "".join(lines).encode() for algorithm, lines in by_algorithm.items()}
    if plan.missing:
        lines = "".join(f"{data_file.path}\n" for data_file in plan.missing)
        documents["MISSING.txt"] = (
            "These files of the dataset could not be read from storage; the data office has been told.\n" + lines
        ).encode()
    return documents


def zip_stream(plan: ZipPlan, *, documents: dict[str, bytes] | None = None) -> ZipStream:
    """A zip built while it is sent: stored (HDF5 is compressed already), sized up front, constant memory.

    `documents` are small files made for this zip beside the manifests (the landing app's ro-crate-metadata.json).
    """
    stream = ZipStream(sized=True)
    for data_file, stored in plan.files:
        stream.add_path(str(stored.path), f"{plan.folder}/{data_file.path}")
    for name, content in {**manifests(plan), **(documents or {})}.items():
        stream.add(content, f"{plan.folder}/{name}")
    return stream
