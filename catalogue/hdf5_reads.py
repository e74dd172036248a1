"""Where reading an HDF5 dataset's bytes takes libhdf5: the viewer (landing.viewer) and ingestion (ingest.nexus) both
refuse a read that would leave the files they may open. Plain h5py, no Django.

A dataset's bytes come from another file in two ways, each named by the file itself:
- HDF5 external raw storage: raw files named by any path the process can read (/etc/passwd, the site's secret key),
  absolute or from its working directory. Never read.
- A virtual dataset's sources: a file (beside the virtual dataset's file, "." for that file) and a path in it. HDF5
  follows links on that path, external links and soft links to them included, and a source may be virtual in turn.
  So the file each source lands in is checked, not the file it names. A source that is missing reads as the fill
  value, without an error (DLS I04's frames are in a file that was never stored): refused, so that nobody takes
  zeros for data.
"""

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import h5py

MAX_VIRTUAL_DEPTH = 4  # virtual datasets whose sources are virtual datasets, and so on


@dataclass(frozen=True)
class ForbiddenRead:
    """Why a dataset's bytes are not read; `message` follows the dataset's path ("/entry/data/data is …")."""

    reason: Literal["external storage", "outside", "missing", "nested"]
    message: str


def resolved(h5file: h5py.File, path: str) -> h5py.HLObject | None:
    """The object at `path`, every link on the way followed as HDF5 follows it; None when the path does not resolve
    (a missing object, or a link whose target is missing)."""
    try:
        return h5file.get(path)
    except (KeyError, OSError):
        return None


def landing(h5file: h5py.File, path: str) -> Path | None:
    """The file holding the object at `path` (see `resolved`), or None."""
    target = resolved(h5file, path)
    return None if target is None else Path(target.file.filename)


def forbidden_read(
    dataset: h5py.Dataset, *, allowed: Callable[[Path], bool], scope: str, depth: int = 0
) -> ForbiddenRead | None:
    """Why reading `dataset` would read bytes from a file `allowed` refuses (`scope` names what it allows, for the
    message), from a source that is missing, or from external raw files; None when the read stays inside."""
    if dataset.id.get_offset() is not None:  # one run of bytes in this file: the usual case, answered at once
        return None
    if dataset.id.get_create_plist().get_external_count():
        return ForbiddenRead("external storage", "keeps its data in external raw files, which are never read")
    if not dataset.is_virtual:
        return None
    if depth >= MAX_VIRTUAL_DEPTH:
        return ForbiddenRead("nested", f"is a virtual dataset of virtual datasets nested over {MAX_VIRTUAL_DEPTH} deep")
    own = Path(dataset.file.filename)
    for file_name, source_path in dict.fromkeys(
        (source.file_name, source.dset_name) for source in dataset.virtual_sources()
    ):
        source_file = own if file_name == "." else own.parent / file_name
        if not source_file.is_file():
            return ForbiddenRead("missing", f"is a virtual dataset reading {file_name}, which is not in storage")
        if not allowed(source_file):
            return ForbiddenRead("outside", f"is a virtual dataset reading {file_name}, outside {scope}")
        where = "this file" if file_name == "." else file_name
        # The file itself is read through its open handle: opened anew, HDF5 would ask for the same access flags.
        with nullcontext(dataset.file) if file_name == "." else h5py.File(source_file, "r") as source:
            target = resolved(source, source_path)
            if target is None:
                return ForbiddenRead(
                    "missing",
                    f"is a virtual dataset reading {source_path} in {where}, which is missing (a link to a file not "
                    "in storage, or no such dataset)",
                )
            if not allowed(Path(target.file.filename)):
                return ForbiddenRead(
                    "outside", f"is a virtual dataset reading {source_path} in {where}, a link leading outside {scope}"
                )
            if not isinstance(target, h5py.Dataset):
                return ForbiddenRead("missing", f"is a virtual dataset reading {source_path} in {where}, not a dataset")
            deeper = forbidden_read(target, allowed=allowed, scope=scope, depth=depth + 1)
            if deeper is not None:
                return deeper
    return None
