"""Sniffing and reading NeXus/HDF5 files: one read-only walk that records headers and small values only.

Owns the defensive part of nexus-ingestion.md (§4.3–4.6): content sniffing, lock retries, caps on what is read,
external links and VDS sources resolved inside the source folder, missing targets flagged. No Django.
"""

import errno
import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import hdf5plugin  # noqa: F401  registers bitshuffle/LZ4, blosc, zstd… before any read (APS 12-ID-B needs 32008)
import numpy as np

from ingest.nexus.values import decode, to_text

MAX_ARRAY_ITEMS = 16  # numeric or string arrays up to this many items are read for metadata
MAX_VALUE_BYTES = 64 * 1024  # never read a field or attribute value larger than this
MAX_ATTRIBUTES = 4096  # per object; more is a malformed (or hostile) file
MAX_ATTRIBUTE_BYTES = 1024 * 1024  # a single attribute this large is refused
MAX_OBJECTS = 200_000  # groups + fields + links in one file
HDF4_MAGIC = b"\x0e\x03\x13\x01"
FIELD_ATTRIBUTES = (
    "units",
    "unit",
    "signal",
    "axes",
    "axis",
    "primary",
    "long_name",
    "NX_class",
    "interpretation",
    "uncertainties",
)
LOCK_ERRNOS = {errno.EAGAIN, errno.EACCES, errno.ENOLCK, 524}


class FileRejected(Exception):
    """The file cannot become a dataset; the message says why, for the job record."""


class FileBusy(Exception):
    """The file is locked by a writer: a transient condition worth retrying later."""


@dataclass(frozen=True)
class Field:
    path: str
    shape: tuple[int, ...]
    dtype: str
    value: object  # None unless small (≤ MAX_ARRAY_ITEMS items, ≤ MAX_VALUE_BYTES)
    attrs: dict[str, object]
    filters: tuple[str, ...] = ()
    is_virtual: bool = False

    @property
    def size(self) -> int:
        return math.prod(self.shape)


@dataclass
class Group:
    path: str
    nx_class: str | None
    attrs: dict[str, object]
    children: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LinkedFile:
    """A file another file points at (external link or VDS source), as written and as resolved."""

    link_path: str  # where in the master
    written: str  # the file name as stored in the link
    object_path: str
    kind: str  # "external" or "vds"
    resolved: Path | None  # None when it lies outside the source folder and does not exist
    exists: bool
    object_exists: bool


@dataclass
class Tree:
    path: Path
    root_attrs: dict[str, object]
    nodes: dict[str, Group | Field] = field(default_factory=dict)
    soft_links: dict[str, str] = field(default_factory=dict)
    links: list[LinkedFile] = field(default_factory=list)
    broken: dict[str, str] = field(default_factory=dict)  # path → why it could not be opened
    userblock_size: int = 0

    def resolve(self, path: str) -> str:
        """The path with soft links (at any depth) replaced by their targets."""
        current = ""
        for part in path.strip("/").split("/"):
            current = f"{current}/{part}"
            for _ in range(16):  # soft-link chains; a loop is cut here
                target = self.soft_links.get(current)
                if target is None:
                    break
                current = "/" + target.strip("/")
        return current or "/"

    def get(self, path: str) -> Group | Field | None:
        return self.nodes.get(path) or self.nodes.get(self.resolve(path))

    def group(self, path: str) -> Group | None:
        node = self.get(path)
        return node if isinstance(node, Group) else None

    def field(self, path: str) -> Field | None:
        node = self.get(path)
        return node if isinstance(node, Field) else None

    def members(self, group: Group) -> Iterator[tuple[str, Group | Field]]:
        for name in group.children:
            node = self.get(f"{group.path.rstrip('/')}/{name}")
            if node is not None:
                yield name, node

    def subgroups(self, group: Group, *nx_classes: str) -> list[Group]:
        return [
            node
            for _, node in self.members(group)
            if isinstance(node, Group) and (not nx_classes or node.nx_class in nx_classes)
        ]


@dataclass(frozen=True)
class FileFacts:
    path: Path
    size: int
    mtime: float


def sniff(path: Path, *, source_folder: Path) -> FileFacts:
    """Stat and recognise the file by content; raises FileRejected with the reason for anything but HDF5."""
    real = Path(os.path.realpath(path))
    if not _inside(real, source_folder):  # the file itself or any folder on its way may be a symbolic link
        what = "symbolic link" if real != Path(os.path.abspath(path)) else "file"
        raise FileRejected(f"{what} leaves the source folder: {path} → {real}")
    try:
        stat = path.stat()
    except FileNotFoundError as error:
        raise FileRejected(f"file not found: {path}") from error
    except PermissionError as error:
        raise FileRejected(f"permission denied: {path}") from error
    if path.is_dir():
        raise FileRejected(f"a directory, not a file: {path}")
    if not path.is_file():
        raise FileRejected(f"not a regular file: {path}")
    if stat.st_size == 0:
        raise FileRejected(f"empty file (0 bytes): {path}")
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
    except PermissionError as error:
        raise FileRejected(f"permission denied: {path}") from error
    if head.startswith(HDF4_MAGIC):
        raise FileRejected("HDF4 file: NeXus in HDF4 is not supported, convert it to HDF5 (e.g. with nxconvert)")
    if head.lstrip().startswith(b"<?xml") or head.lstrip().startswith(b"<NX"):
        raise FileRejected("XML NeXus file: not supported, convert it to HDF5 (e.g. with nxconvert)")
    if not h5py.is_hdf5(str(path)):
        raise FileRejected("not an HDF5 file: no HDF5 signature at offset 0 or at any user-block offset")
    return FileFacts(path=path, size=stat.st_size, mtime=stat.st_mtime)


@contextmanager
def open_file(path: Path, *, attempts: int = 4, first_delay: float = 0.2) -> Iterator[h5py.File]:
    """Open read-only, retrying lock errors with back-off; FileBusy after the last attempt, FileRejected if broken."""
    delay = first_delay
    for attempt in range(attempts):
        try:
            handle = h5py.File(path, "r")
            break
        except OSError as error:
            if _is_lock_error(error):
                if attempt == attempts - 1:
                    raise FileBusy(f"file is locked by a writer: {path}") from error
                time.sleep(delay)
                delay *= 2
                continue
            if isinstance(error, FileNotFoundError) or not path.exists():
                raise FileRejected(f"file disappeared before it could be read: {path}") from error
            raise FileRejected(f"unreadable HDF5 file ({_first_line(error)})") from error
    try:
        yield handle
    finally:
        handle.close()


def read_tree(path: Path, *, source_folder: Path) -> Tree:
    """Walk the whole file once, recording groups, fields, links and VDS sources; never reads large values."""
    with open_file(path) as handle:
        userblock = handle.userblock_size
        tree = Tree(path=path, root_attrs=_attributes(handle.id, "/", names=None), userblock_size=userblock)
        root = Group(path="/", nx_class=_nx_class(tree.root_attrs), attrs=tree.root_attrs)
        tree.nodes["/"] = root
        try:
            _walk(handle.id, root, tree, seen={})
        except RecursionError as error:
            raise FileRejected("group nesting too deep") from error
    _check_link_targets(tree, master=path, source_folder=source_folder)
    return tree


def _walk(group_id: h5py.h5g.GroupID, group: Group, tree: Tree, seen: dict[object, str]) -> None:
    # Low-level link iteration: the high-level API looks every name up twice (h5py's `get(getlink=True)` + `[]`),
    # which was most of the time spent on files with thousands of objects (SNS event files).
    links: list[tuple[bytes, int]] = []
    group_id.links.iterate(lambda name, info: links.append((name, info.type)), info=True)
    for raw_name, link_type in links:
        if len(tree.nodes) + len(tree.soft_links) + len(tree.links) > MAX_OBJECTS:
            raise FileRejected(f"more than {MAX_OBJECTS} objects in one file")
        name = decode(raw_name)
        path = f"{group.path.rstrip('/')}/{name}"
        group.children.append(name)
        if link_type == h5py.h5l.TYPE_EXTERNAL:
            filename, object_path = group_id.links.get_val(raw_name)
            tree.links.append(LinkedFile(path, decode(filename), decode(object_path), "external", None, False, False))
            continue
        if link_type == h5py.h5l.TYPE_SOFT:
            tree.soft_links[path] = decode(group_id.links.get_val(raw_name))
            continue
        try:
            child = h5py.h5o.open(group_id, raw_name)
        except (KeyError, OSError, RuntimeError) as error:
            tree.broken[path] = _first_line(error)
            continue
        if isinstance(child, h5py.h5g.GroupID):
            if child in seen:  # a second hard link to a group already walked (or a cycle)
                tree.soft_links[path] = seen[child]
                continue
            seen[child] = path
            attrs = _attributes(child, path, names=None)
            node = Group(path=path, nx_class=_nx_class(attrs), attrs=attrs)
            tree.nodes[path] = node
            _walk(child, node, tree, seen)
        elif isinstance(child, h5py.h5d.DatasetID):
            tree.nodes[path] = _field(child, path, tree)


def _field(dataset_id: h5py.h5d.DatasetID, path: str, tree: Tree) -> Field:
    attrs = _attributes(dataset_id, path, names=FIELD_ATTRIBUTES)
    shape = tuple(int(n) for n in dataset_id.shape) if dataset_id.shape is not None else ()
    dtype = dataset_id.dtype
    create = dataset_id.get_create_plist()
    layout = create.get_layout()
    is_virtual = layout == h5py.h5d.VIRTUAL
    if is_virtual:
        for source in h5py.Dataset(dataset_id).virtual_sources():
            if source.file_name != ".":
                tree.links.append(LinkedFile(path, source.file_name, source.dset_name, "vds", None, False, False))
    return Field(
        path=path,
        shape=shape,
        dtype=str(dtype),
        value=None if is_virtual else _small_value(dataset_id, shape, dtype),
        attrs=attrs,
        filters=_filters(create) if layout == h5py.h5d.CHUNKED else (),
        is_virtual=is_virtual,
    )


def _small_value(dataset_id: h5py.h5d.DatasetID, shape: tuple[int, ...], dtype: np.dtype) -> object:
    items = math.prod(shape)
    if dataset_id.shape is None or items > MAX_ARRAY_ITEMS or dtype.kind not in "biufSUOc":
        return None
    if dtype.kind == "O" and h5py.check_string_dtype(dtype) is None:
        return None  # references, vlen sequences
    if dtype.itemsize * items > MAX_VALUE_BYTES:
        return None
    try:
        if dtype.kind in "biufS":  # plain numbers and fixed strings: straight into a numpy buffer
            value = np.empty(shape, dtype=dtype)
            dataset_id.read(h5py.h5s.ALL, h5py.h5s.ALL, value)
            value = value[()] if not shape else value
        else:
            value = h5py.Dataset(dataset_id)[()]
    except (OSError, RuntimeError, ValueError, TypeError):  # unregistered filter, broken VDS, odd types
        return None
    return _plain(value)


def _attributes(
    object_id: h5py.h5g.GroupID | h5py.h5d.DatasetID | h5py.h5f.FileID, path: str, *, names: tuple[str, ...] | None
) -> dict[str, object]:
    """Small attribute values; refuses objects with absurd attribute counts or sizes."""
    count = h5py.h5a.get_num_attrs(object_id)
    if count > MAX_ATTRIBUTES:
        raise FileRejected(f"{path} carries {count} attributes (more than {MAX_ATTRIBUTES}): refused")
    if count == 0:
        return {}
    present: list[bytes] = []
    h5py.h5a.iterate(object_id, present.append)
    wanted = present if names is None else [name.encode() for name in names if name.encode() in present]
    values: dict[str, object] = {}
    for raw_name in wanted:
        name = decode(raw_name)
        try:
            attribute = h5py.h5a.open(object_id, raw_name)
            storage = attribute.get_storage_size()
            if storage > MAX_ATTRIBUTE_BYTES:
                raise FileRejected(f"attribute {name!r} of {path} is {storage} bytes (limit {MAX_ATTRIBUTE_BYTES})")
            if storage > MAX_VALUE_BYTES:
                continue
            values[name] = _plain(_read_attribute(attribute))
        except FileRejected:
            raise
        except (OSError, KeyError, RuntimeError, TypeError, ValueError):
            continue  # unreadable attribute types (references, empty dataspaces) carry no catalogue metadata
    return values


def _read_attribute(attribute: h5py.h5a.AttrID) -> object:
    shape = attribute.shape
    if shape is None:  # null dataspace
        return None
    dtype = attribute.dtype
    string = h5py.check_string_dtype(dtype)
    if string is not None and string.length is None:  # variable-length strings
        value = np.empty(shape, dtype=object)
        attribute.read(value, mtype=h5py.h5t.py_create(h5py.string_dtype("utf-8")))
    elif dtype.kind in "biufS":
        value = np.empty(shape, dtype=dtype)
        attribute.read(value)
    else:
        raise TypeError(f"attribute type {dtype} is not read")
    return value[()] if not shape else value


def _plain(value: object) -> object:
    """Numpy scalars to Python, string arrays kept as arrays of bytes/str (values.to_text decodes later)."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "O":
        items = [decode(item) if isinstance(item, bytes) else item for item in value.flat]
        return np.array(items, dtype=object).reshape(value.shape)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _nx_class(attrs: dict[str, object]) -> str | None:
    return to_text(attrs.get("NX_class"), keep_placeholders=True)


def _filters(plist: h5py.h5p.PropDCID) -> tuple[str, ...]:
    names = []
    for index in range(plist.get_nfilters()):
        code, _flags, _values, name = plist.get_filter(index)
        label = decode(name) if isinstance(name, bytes) else str(name)
        names.append(f"{code}:{label}" if label else str(code))
    return tuple(names)


def _check_link_targets(tree: Tree, *, master: Path, source_folder: Path) -> None:
    """Resolve each link target against the master's folder, confine it, and stat it (plus its object path)."""
    folder = Path(os.path.realpath(source_folder))
    checked: list[LinkedFile] = []
    opened: dict[Path, h5py.File | None] = {}
    try:
        for link in tree.links:
            written = Path(link.written)
            candidate = written if written.is_absolute() else master.parent / written
            real = Path(os.path.realpath(candidate))
            exists = real.is_file()
            if not _inside(real, folder):
                if exists:
                    raise FileRejected(f"{link.kind} link {link.link_path} leaves the source folder: {link.written}")
                checked.append(LinkedFile(**{**link.__dict__, "resolved": None}))
                continue
            object_exists = False
            if exists:
                if real not in opened:
                    opened[real] = _open_quietly(real)
                target = opened[real]
                object_exists = target is not None and (link.kind == "vds" or link.object_path in target)
            checked.append(
                LinkedFile(**{**link.__dict__, "resolved": real, "exists": exists, "object_exists": object_exists})
            )
    finally:
        for handle in opened.values():
            if handle is not None:
                handle.close()
    tree.links = checked


def _open_quietly(path: Path) -> h5py.File | None:
    try:
        return h5py.File(path, "r")
    except OSError:
        return None


def _inside(path: Path, folder: Path) -> bool:
    folder = Path(os.path.realpath(folder))
    return path == folder or folder in path.parents


def _is_lock_error(error: OSError) -> bool:
    text = str(error)
    return "unable to lock file" in text or (error.errno in LOCK_ERRNOS and "lock" in text.lower())


def _first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0][:300]
