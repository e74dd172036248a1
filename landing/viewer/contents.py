"""What the H5Web viewer reads from one HDF5 file: h5grove's content and encoders, fenced to the dataset's files.

External links and virtual-dataset sources are followed only into files of the same dataset, external raw storage
never; one answer of /data holds at most a capped number of bytes. Pure h5py + h5grove, run by the reading process
(catalogue.isolation): the caller has decided who may read the file, and touches the database for it.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import h5py
from h5grove import content as h5content
from h5grove import encoders
from h5grove import utils as h5utils
from h5grove.models import LinkResolution

from catalogue import hdf5_reads

logger = logging.getLogger(__name__)

# Real paths of the dataset's files, or None until a link or virtual dataset needs them: most files have neither, and
# listing a dataset of thousands of files would cost more than reading one. Then NeedsDatasetFiles asks for them.
DatasetFiles = frozenset[Path] | None
FORBIDDEN_READ_STATUS = {"external storage": 403, "outside": 403, "missing": 404, "nested": 422}


class Refused(Exception):
    """A request the viewer answers with an error status and a message (h5grove's error shape: {"message": ...})."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(status, message)  # both in args: it crosses back from the reading process pickled
        self.status = status
        self.message = message


class NeedsDatasetFiles(Exception):
    """The answer follows a link or a virtual dataset: ask again with the dataset's files."""


@dataclass(frozen=True)
class Encoded:
    body: bytes
    headers: dict[str, str]


def _encoded(content: object, encoding: str | None = "json") -> Encoded:
    if encoding in ("json", None):
        return Encoded(encoders.orjson_encode(content, _json_default), {"Content-Type": "application/json"})
    try:
        response = encoders.encode(content, encoding)
    except h5utils.QueryArgumentError as error:
        raise Refused(400, str(error)) from None
    return Encoded(body=response.content, headers=dict(response.headers))


def _json_default(value: object) -> object:
    """h5grove's, but for text, which would fail the whole answer when it is not UTF-8."""
    return _text(value) if isinstance(value, bytes) else encoders.orjson_default(value)


def _text(raw: bytes) -> str:
    """UTF-8, else Latin-1, as ingestion reads text (SLS and SOLEIL files write "µm", "°" and "Å" as single Latin-1
    bytes)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _inside(path: Path, dataset_files: DatasetFiles) -> bool:
    if dataset_files is None:
        raise NeedsDatasetFiles
    return path.resolve() in dataset_files


def _allowed(h5file: h5py.File, path: Path, dataset_files: DatasetFiles) -> bool:
    """Whether `path` is the file asked for (which needs no list of the dataset's files) or another of them."""
    return path.resolve() == Path(h5file.filename).resolve() or _inside(path, dataset_files)


def _lands_outside(h5file: h5py.File, path: str, dataset_files: DatasetFiles) -> bool:
    """Whether the object at `path` lies in a file outside the dataset's files: checks the file HDF5 actually opened,
    not a guess at its search rules (prefixes, working directory). The file asked for needs no list of the others."""
    landed = hdf5_reads.landing(h5file, path)
    return landed is not None and not _allowed(h5file, landed, dataset_files)


def _fence(h5file: h5py.File, path: str, dataset_files: DatasetFiles) -> None:
    """Refuses a path that passes through a link leading outside the dataset's files."""
    parts = [part for part in path.split("/") if part]
    for depth in range(1, len(parts) + 1):
        prefix = "/" + "/".join(parts[:depth])
        link = h5file.get(prefix, getlink=True)
        if link is None:
            return  # h5grove reports the missing path
        if not isinstance(link, h5py.HardLink) and _lands_outside(h5file, prefix, dataset_files):
            target = link.filename if isinstance(link, h5py.ExternalLink) else link.path
            raise Refused(403, f"{prefix} is a link to {target}, outside this dataset's files")


def _fence_storage(dataset: h5py.Dataset, path: str, dataset_files: DatasetFiles) -> None:
    """Refuses data read from external raw files, from outside the dataset's files or from a missing source
    (catalogue.hdf5_reads)."""
    forbidden = hdf5_reads.forbidden_read(
        dataset,
        allowed=lambda source: _allowed(dataset.file, source, dataset_files),
        scope="this dataset's files",
    )
    if forbidden is not None:
        raise Refused(FORBIDDEN_READ_STATUS[forbidden.reason], f"{path} {forbidden.message}")


def _normalised(path: str | None) -> str:
    """An absolute HDF5 path without empty or "." parts: HDF5 refuses "//" and "" with errors of its own, and reads
    "." as the group it stands in but fails to look it up as a link."""
    if path and "\x00" in path:
        raise Refused(400, "the path holds a NUL byte")
    return "/" + "/".join(part for part in (path or "").split("/") if part not in ("", "."))


@contextmanager
def _opened(
    file_path: Path, path: str | None, dataset_files: DatasetFiles
) -> Iterator[tuple[h5py.File, h5content.EntityContent]]:
    """The file and h5grove's content at `path`, after the fence; maps h5grove and h5py failures to Refused."""
    try:
        with h5utils.open_file_with_error_fallback(file_path, Refused) as h5file:
            path = _normalised(path)
            _fence(h5file, path, dataset_files)
            yield h5file, h5content.create_content(h5file, path)
    except h5utils.NotFoundError as error:
        raise Refused(404, str(error)) from None
    except (OSError, KeyError, RuntimeError) as error:
        # h5py raises KeyError for an object header it cannot read, RuntimeError for a link table it cannot read; a
        # path that is only odd ("//", ".") never gets here (_normalised), nor does one that is not in the file.
        logger.info("viewer could not read %s: %r", file_path, error)
        raise Refused(
            422, f"{file_path.name} cannot be read as HDF5 (not an HDF5 file, or damaged): “{_reported(error)}”."
        ) from None
    except (ValueError, TypeError) as error:
        # A type, a text or a name h5py cannot decode (damaged, or written oddly: h5grove sorts attribute names, and
        # one that is not UTF-8 comes as bytes among the str).
        logger.info("viewer could not decode %s in %s: %r", path, file_path, error)
        raise Refused(
            422, f"{file_path.name}: the viewer cannot decode a type, text or name at {path}: “{_reported(error)}”."
        ) from None


def _reported(error: Exception) -> str:
    return str(error.args[0] if error.args else type(error).__name__).splitlines()[0]


def metadata(*, file_path: Path, path: str | None, dataset_files: DatasetFiles) -> Encoded:
    """h5grove's /meta; a group's children that are links leading outside the dataset show as unresolved links."""
    with _opened(file_path, path, dataset_files) as (h5file, content):
        found = content.metadata()
        if isinstance(content, h5content.GroupContent):
            children = []
            for child in found["children"]:
                child_path = h5utils.hdf_path_join(content.path, child["name"])
                link = h5file.get(child_path, getlink=True)
                if not isinstance(link, h5py.HardLink) and _lands_outside(h5file, child_path, dataset_files):
                    child = h5content.create_content(h5file, child_path, LinkResolution.NONE).metadata()
                children.append(child)
            found["children"] = children
        return _encoded(found)


def attributes(*, file_path: Path, path: str | None, keys: list[str] | None, dataset_files: DatasetFiles) -> Encoded:
    with _opened(file_path, path, dataset_files) as (_, content):
        if not isinstance(content, h5content.ResolvedEntityContent):
            raise Refused(404, f"{content.path} is a link that does not resolve: it has no attributes")
        try:
            return _encoded(content.attributes(keys))
        except KeyError as error:
            raise Refused(404, f"no attribute {error} at {content.path}") from None


def selected_bytes(dataset: h5py.Dataset, selection: str | None) -> int:
    """Bytes a NumPy-style selection of the dataset holds, computed without reading; raises ValueError/TypeError."""
    members = h5utils.parse_slice(selection) if selection else ()
    count = 1
    for axis, length in enumerate(dataset.shape or ()):
        member = members[axis] if axis < len(members) else slice(None)
        count *= 1 if isinstance(member, int) else len(range(*member.indices(length)))
    return count * dataset.dtype.itemsize


def data(
    *,
    file_path: Path,
    path: str | None,
    selection: str | None,
    encoding: str | None,
    dtype: str | None,
    flatten: bool,
    dataset_files: DatasetFiles,
    max_bytes: int,
) -> Encoded:
    """h5grove's /data, refusing selections over max_bytes (400) before reading them."""
    with _opened(file_path, path, dataset_files) as (h5file, content):
        if not isinstance(content, h5content.DatasetContent):
            raise Refused(400, f"{content.path} is not a dataset")
        dataset = h5file[content.path]
        _fence_storage(dataset, content.path, dataset_files)
        try:
            size = selected_bytes(dataset, selection)
        except (ValueError, TypeError):
            raise Refused(400, f"selection {selection!r} is not a NumPy-style slice such as 0,:,10:20") from None
        if size > max_bytes:
            raise Refused(
                400,
                f"the selection holds {size} bytes; the viewer serves at most {max_bytes} bytes per request: "
                "select a smaller slice",
            )
        try:
            return _encoded(content.data(selection, flatten, dtype or "origin"), encoding)
        except (ValueError, TypeError, IndexError, h5utils.QueryArgumentError) as error:
            raise Refused(400, str(error)) from None


def paths(*, file_path: Path, path: str | None, dataset_files: DatasetFiles) -> Encoded:
    """Every path below `path` in the file it lives in, links listed but never followed (H5Web's search)."""
    with _opened(file_path, path, dataset_files) as (h5file, content):
        if not isinstance(content, h5content.GroupContent):
            raise Refused(400, f"{content.path} is not a group")
        group = h5file[content.path]  # kept referenced: the link proxy below does not hold it open
        names = [content.path]
        group.id.links.visit(lambda name: names.append(h5utils.hdf_path_join(content.path, _text(name))))
        return _encoded(names)
