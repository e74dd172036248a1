"""Sniffing and reading NeXus/HDF5 files: one read-only walk that records headers and small values only.

Owns the defensive part of nexus-ingestion.md (§4.3–4.6): content sniffing, lock retries, caps on what is read,
external links and VDS sources resolved inside the source folder, missing targets flagged. No Django.
"""

import errno
import itertools
import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import h5py
import hdf5plugin  # noqa: F401  registers bitshuffle/LZ4, blosc, zstd… before any read (APS 12-ID-B needs 32008)
import numpy as np

from catalogue import hdf5_reads
from ingest.nexus.values import decode, to_text

MAX_ARRAY_ITEMS = 16  # numeric or string arrays up to this many items are read for metadata
MAX_VALUE_BYTES = 64 * 1024  # never read a field or attribute value larger than this
MAX_ATTRIBUTES = 4096  # per object; more is a malformed (or hostile) file
MAX_ATTRIBUTE_BYTES = 1024 * 1024  # a single attribute this large is refused
MAX_OBJECTS = 200_000  # groups + fields + links in one file
HDF4_MAGIC = b"\x0e\x03\x13\x01"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
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
    "version",  # program_name@version: the software version a dataset credits
)
FIELD_ATTRIBUTE_NAMES = tuple(name.encode() for name in FIELD_ATTRIBUTES)
LOCK_ERRNOS = {errno.EAGAIN, errno.EACCES, errno.ENOLCK, 524}
MAX_CACHED_TYPES = 256  # distinct HDF5 types remembered per process; a worker meets a few dozen
VLEN_UTF8 = h5py.h5t.py_create(h5py.string_dtype("utf-8"))
_UNREAD = object()


class _Type(NamedTuple):
    dtype: np.dtype
    memory: h5py.h5t.TypeID | None  # what to read it into; None for the kinds read through h5py's high-level API
    variable_string: bool


_types: dict[bytes, _Type] = {}


def _type_of(type_id: h5py.h5t.TypeID) -> _Type:
    """The numpy dtype of an HDF5 type with its memory type, remembered by the type's encoded form: h5py's conversion
    on every field and attribute was a tenth of the time of reading a small field (SLS STXM, 400 scalars)."""
    key = type_id.encode()
    found = _types.get(key)
    if found is None:
        if len(_types) >= MAX_CACHED_TYPES:
            _types.clear()
        dtype = type_id.dtype
        string = h5py.check_string_dtype(dtype)
        if string is not None and string.length is None:
            found = _Type(dtype, VLEN_UTF8, True)
        else:  # the memory type made from the dtype itself: a fixed string keeps its encoding
            found = _Type(dtype, h5py.h5t.py_create(dtype) if dtype.kind in "biufS" else None, False)
        _types[key] = found
    return found


class FileRejected(Exception):
    """The file cannot become a dataset; the message says why, for the job record."""


class FileBusy(Exception):
    """The file is locked by a writer: a transient condition worth retrying later."""


class Field:
    """A dataset: its shape and type read when the tree opens it, its attributes, small value and layout each on
    first use, through the dataset id the tree opened (valid until the tree is closed)."""

    # Slots and plain attributes, not cached_property (which takes a lock on every first read in Python 3.11): a
    # file's free scalars are a few hundred fields, each read once.
    __slots__ = ("path", "_id", "shape", "size", "_null", "_type", "_attrs", "_value", "_layout")

    def __init__(self, path: str, dataset_id: h5py.h5d.DatasetID) -> None:
        self.path = path
        self._id: h5py.h5d.DatasetID | None = dataset_id
        space = dataset_id.shape  # None for a null dataspace
        self._null = space is None
        self.shape: tuple[int, ...] = space if space is not None else ()
        self.size: int = math.prod(space) if space is not None else 1
        self._type = _type_of(dataset_id.get_type())
        self._attrs: dict[str, object] | None = None
        self._value: object = _UNREAD
        self._layout: tuple[h5py.h5p.PropDCID, int] | None = None

    def __repr__(self) -> str:
        return f"Field({self.path!r})"

    def _open(self) -> h5py.h5d.DatasetID:
        if self._id is None:
            raise ValueError(f"{self.path}: read after its file was closed")
        return self._id

    @property
    def dtype(self) -> str:
        return str(self._type.dtype)

    @property
    def attrs(self) -> dict[str, object]:
        if self._attrs is None:
            self._attrs = _attributes(self._id, self.path, names=FIELD_ATTRIBUTE_NAMES)
        return self._attrs

    @property
    def value(self) -> object:
        """None unless small (≤ MAX_ARRAY_ITEMS items, ≤ MAX_VALUE_BYTES) and stored in this file."""
        if self._value is _UNREAD:
            self._value = self._read_value()
        return self._value

    def _read_value(self) -> object:
        if self._null or self.size > MAX_ARRAY_ITEMS:
            return None
        dataset_id = self._open()
        if dataset_id.get_offset() is None:  # the layout only when the bytes are not one run in this file
            create, layout = self._create_layout()
            if create.get_external_count():
                return None  # never read: see read_outside
            if layout == h5py.h5d.VIRTUAL and dataset_id.get_storage_size() == 0:
                return None  # a virtual dataset whose source is missing would read as zeros (DLS I04)
        return _small_value(dataset_id, self.shape, self._type)

    def _create_layout(self) -> tuple[h5py.h5p.PropDCID, int]:
        if self._layout is None:
            create = self._open().get_create_plist()
            self._layout = create, create.get_layout()
        return self._layout

    @property
    def is_virtual(self) -> bool:
        return self._create_layout()[1] == h5py.h5d.VIRTUAL

    @property
    def filters(self) -> tuple[str, ...]:
        create, layout = self._create_layout()
        return _filters(create) if layout == h5py.h5d.CHUNKED else ()

    def virtual_sources(self) -> list[tuple[str, str]]:
        """(file name, dataset path) of each source of a virtual dataset; empty for any other layout."""
        if self._open().get_storage_size() or not self.is_virtual:  # a VDS stores no bytes: its layout read only then
            return []
        return [(source.file_name, source.dset_name) for source in h5py.Dataset(self._open()).virtual_sources()]


class Group:
    """A group: its NX_class and member names when opened, its other attributes when first asked for."""

    def __init__(self, path: str, group_id: h5py.h5g.GroupID, nx_class: str | None, raw_names: dict[str, bytes]):
        self.path = path
        self.nx_class = nx_class
        self.children = list(raw_names)
        self._id: h5py.h5g.GroupID | None = group_id
        self._raw_names = raw_names
        self._subgroups: list[Group] | None = None

    def __repr__(self) -> str:
        return f"Group({self.path!r}, {self.nx_class!r})"

    @cached_property
    def attrs(self) -> dict[str, object]:
        return _attributes(self._id, self.path, names=None)


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


class Tree:
    """An open file's groups and fields, each read on first lookup and kept; links listed once when opened.

    Close it (or use it in a `with` block) when done: fields not read by then cannot be read afterwards."""

    def __init__(self, path: Path, handle: h5py.File, source_folder: Path) -> None:
        self.path = path
        self.source_folder = source_folder
        self._handle = handle
        self.userblock_size: int = handle.userblock_size
        self.root_attrs = _attributes(handle.id, "/", names=None)
        self.nodes: dict[str, Group | Field] = {}  # what has been read so far, by real path
        self.soft_links: dict[str, str] = {}
        self.links: list[LinkedFile] = []
        self.broken: dict[str, str] = {}  # path → why it could not be opened
        self._external: set[str] = set()
        self.nodes["/"] = self._group("/", handle.id)

    def __enter__(self) -> "Tree":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Release what was read and close the file; a Field still held elsewhere keeps it open until dropped."""
        # Dropping our ids closes each object; h5py's File.close() would then look every open object of the file up
        # again and force it shut, which took as long as the extraction itself on SNS REF_L.
        for node in self.nodes.values():
            node._id = None
        self.nodes.clear()
        self._handle.id.close()

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

    def get(self, path: str, *, _hops: int = 0) -> Group | Field | None:
        found = self.nodes.get(path)
        if found is not None or _hops > 16:  # a loop of soft links is cut here
            return found
        node: Group | Field | None = self.nodes["/"]
        current = ""
        for part in path.strip("/").split("/") if path.strip("/") else ():
            if not isinstance(node, Group) or part not in node._raw_names:
                return None
            current = f"{current}/{part}"
            resolved = self.resolve(current)
            if resolved != current:
                node, current = self.nodes.get(resolved) or self._lookup_target(resolved, _hops + 1), resolved
            else:
                node = self.nodes.get(current) or self._open(node, part, current)
        return node

    def _lookup_target(self, path: str, hops: int) -> Group | Field | None:
        parent, _, name = path.rpartition("/")
        group = self.get(parent or "/", _hops=hops)
        if not isinstance(group, Group) or name not in group._raw_names:
            return None
        return self.nodes.get(path) or self._open(group, name, path)

    def group(self, path: str) -> Group | None:
        node = self.get(path)
        return node if isinstance(node, Group) else None

    def field(self, path: str) -> Field | None:
        node = self.get(path)
        return node if isinstance(node, Field) else None

    def members(self, group: Group) -> Iterator[tuple[str, Group | Field]]:
        prefix = group.path.rstrip("/")
        for name in group.children:
            path = f"{prefix}/{name}"
            node = self.nodes.get(path)
            if node is None:
                node = self.get(path) if path in self.soft_links else self._open(group, name, path)
            if node is not None:
                yield name, node

    def subgroups(self, group: Group, *nx_classes: str) -> list[Group]:
        if group._subgroups is None:  # listed once: extraction asks each group for a dozen classes
            group._subgroups = []
            prefix = group.path.rstrip("/")
            for name in group.children:
                path = f"{prefix}/{name}"
                node = self.nodes.get(path)
                if node is None:
                    if path in self.soft_links:
                        node = self.get(path)
                    elif path in self._external or self._is_field(group, name):
                        continue  # a field's header is not read until someone asks for the field
                    else:
                        node = self._open(group, name, path)
                if isinstance(node, Group):
                    group._subgroups.append(node)
        if not nx_classes:
            return list(group._subgroups)
        return [found for found in group._subgroups if found.nx_class in nx_classes]

    def _is_field(self, group: Group, name: str) -> bool:
        try:
            return h5py.h5o.get_info(group._id, group._raw_names[name]).type == h5py.h5o.TYPE_DATASET
        except (KeyError, OSError, RuntimeError):
            return False  # opening it records why it is broken

    def walk(self, top: Group | None = None) -> Iterator[Group | Field]:
        """Every group and field under `top` (the whole file by default) through hard links, each object once; reads
        them all, so only for tests and previews, never for extraction."""
        seen: set[object] = set()
        stack: list[Group | Field] = [top or self.nodes["/"]]
        while stack:  # depth first, in name order, as the file lists them
            node = stack.pop()
            if isinstance(node, Field):
                yield node
                continue
            if node._id in seen:
                continue
            seen.add(node._id)
            yield node
            children = []
            for name in node.children:
                path = f"{node.path.rstrip('/')}/{name}"
                if path not in self.soft_links and path not in self._external:
                    child = self.nodes.get(path) or self._open(node, name, path)
                    if child is not None:
                        children.append(child)
            stack.extend(reversed(children))

    def _open(self, parent: Group, name: str, path: str) -> Group | Field | None:
        if path in self._external or path in self.broken or parent._id is None:
            return None
        node: Group | Field | None = None
        try:
            child = h5py.h5o.open(parent._id, parent._raw_names[name])
            if isinstance(child, h5py.h5d.DatasetID):
                node = Field(path, child)  # reads its dataspace and type
        except (KeyError, OSError, RuntimeError, TypeError, ValueError) as error:
            self.broken[path] = _first_line(error)
            return None
        if isinstance(child, h5py.h5g.GroupID):
            node = self._group(path, child)
        if node is not None:
            self.nodes[path] = node
        return node

    def _group(self, path: str, group_id: h5py.h5g.GroupID) -> Group:
        names: list[bytes] = []
        # Low-level link iteration: the high-level API looks every name up twice (`get(getlink=True)` + `[]`).
        group_id.links.iterate(names.append)
        if path == "/":
            nx_class = _nx_class(self.root_attrs)
        else:
            nx_class = _nx_class(_attributes(group_id, path, names=(b"NX_class",)))
        group = Group(path, group_id, nx_class, {decode(raw): raw for raw in names})
        if path == "/":
            group.attrs = self.root_attrs
        return group

    def _list_links(self) -> None:
        """Every soft and external link of the file in one pass, without opening groups or fields."""
        found: list[tuple[bytes, int]] = []  # soft and external links only
        counted = itertools.count(1)

        def visit(name: bytes, info: h5py.h5l.LinkInfo) -> bool | None:
            if info.type != h5py.h5l.TYPE_HARD:
                found.append((name, info.type))
            return next(counted) > MAX_OBJECTS or None  # the callback runs for every link (1,341 in SNS REF_L)

        root = self._handle.id
        if root.links.visit(visit, info=True):
            raise FileRejected(f"more than {MAX_OBJECTS} objects in one file")
        for raw, kind in found:
            path = "/" + decode(raw)
            if kind == h5py.h5l.TYPE_SOFT:
                self.soft_links[path] = decode(root.links.get_val(raw))
            elif kind == h5py.h5l.TYPE_EXTERNAL:
                filename, object_path = root.links.get_val(raw)
                self._external.add(path)
                link = LinkedFile(path, decode(filename), decode(object_path), "external", None, False, False)
                self.links.append(link)

    def _list_virtual_sources(self) -> None:
        """VDS sources in other files, of the fields where NeXus puts frames: each entry's NXdata signal (or `data`)
        and NXdetector `data`; opening every field of those groups to look was a fifth of the time of a small file."""
        seen: set[str] = set()
        root = self.nodes["/"]
        assert isinstance(root, Group)
        for entry in self.subgroups(root):
            groups = self.subgroups(entry, "NXdata", "NXdetector")
            for instrument in self.subgroups(entry, "NXinstrument"):
                groups.extend(self.subgroups(instrument, "NXdetector"))
            for group in groups:
                signal = to_text(group.attrs.get("signal")) if group.nx_class == "NXdata" else None
                for name in dict.fromkeys((signal or "data", "data")):
                    node = self.get(f"{group.path.rstrip('/')}/{name}") if name in group._raw_names else None
                    if isinstance(node, Field) and node.size > MAX_ARRAY_ITEMS and node.path not in seen:
                        seen.add(node.path)  # NXdata often links the detector's data
                        for file_name, object_path in node.virtual_sources():
                            if file_name != ".":  # in-file sources are followed by their own links
                                link = LinkedFile(node.path, file_name, object_path, "vds", None, False, False)
                                self.links.append(link)


@dataclass(frozen=True)
class FileFacts:
    path: Path
    size: int
    mtime: float


def sniff(path: Path, *, source_folder: Path) -> FileFacts:
    """Stat and recognise the file by content; raises FileRejected with the reason for anything but HDF5."""
    if path.is_symlink() and not path.exists():
        raise FileRejected(f"broken symbolic link: {path} points to {os.readlink(path)}, which does not exist")
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
    if not head.startswith(HDF5_MAGIC) and not h5py.is_hdf5(str(path)):  # the library looks at user-block offsets
        raise FileRejected("not an HDF5 file: no HDF5 signature at offset 0 or at any user-block offset")
    return FileFacts(path=path, size=stat.st_size, mtime=stat.st_mtime)


@contextmanager
def open_file(path: Path, *, attempts: int = 4, first_delay: float = 0.2) -> Iterator[h5py.File]:
    """Open read-only, retrying lock errors with back-off; FileBusy after the last attempt, FileRejected if broken."""
    handle = _open(path, attempts=attempts, first_delay=first_delay)
    try:
        yield handle
    finally:
        handle.close()


def _open(path: Path, *, attempts: int = 4, first_delay: float = 0.2) -> h5py.File:
    delay = first_delay
    for attempt in range(attempts):
        try:
            return h5py.File(path, "r")
        except OSError as error:
            if _is_lock_error(error):
                if attempt == attempts - 1:
                    raise FileBusy(f"file is locked by a writer: {path}") from error
                time.sleep(delay)
                delay *= 2
                continue
            if isinstance(error, FileNotFoundError) or not path.exists():
                raise FileRejected(f"file disappeared before it could be read: {path}") from error
            raise FileRejected(damaged(error)) from error
    raise AssertionError("unreachable")


def damaged(error: BaseException) -> str:
    return (
        f"the file is damaged (corrupted or cut short): HDF5 reports “{_first_line(error)}”; "
        "copy it again from where it was written and ingest it again"
    )


def read_tree(path: Path, *, source_folder: Path) -> Tree:
    """The open file as a Tree: links listed and their targets checked now, groups and fields read when looked up.

    The caller closes it (`with reader.read_tree(...) as tree:`); raises FileRejected or FileBusy."""
    handle = _open(path)
    try:
        tree = Tree(path, handle, source_folder)
        tree._list_links()
        tree._list_virtual_sources()
    except RecursionError as error:
        handle.close()
        raise FileRejected("group nesting too deep") from error
    except (OSError, RuntimeError, KeyError, ValueError, TypeError, IndexError) as error:
        # Bytes flipped or cut out of a file: HDF5's own message says where; the copy is what needs fixing.
        handle.close()
        raise FileRejected(damaged(error)) from error
    try:
        _check_link_targets(tree, master=path, source_folder=source_folder)
    except BaseException:
        handle.close()
        raise
    return tree


def read_outside(dataset: h5py.Dataset, *, source_folder: Path) -> str | None:
    """Why reading the dataset would read bytes from outside the source folder (another proposal's data may sit on
    the same storage), from a missing source, or from external raw files; None when it stays inside
    (catalogue.hdf5_reads)."""
    forbidden = hdf5_reads.forbidden_read(
        dataset,
        allowed=lambda path: _inside(Path(os.path.realpath(path)), source_folder),
        scope="the source folder",
    )
    return forbidden.message if forbidden else None


def _small_value(dataset_id: h5py.h5d.DatasetID, shape: tuple[int, ...], type_: _Type) -> object:
    dtype = type_.dtype
    items = math.prod(shape)
    if items > MAX_ARRAY_ITEMS or dtype.kind not in "biufSUOc":
        return None
    if dtype.kind == "O" and h5py.check_string_dtype(dtype) is None:
        return None  # references, vlen sequences
    if dtype.itemsize * items > MAX_VALUE_BYTES:
        return None
    try:
        if dtype.kind in "biufS":  # plain numbers and fixed strings: straight into a numpy buffer
            value = np.empty(shape, dtype=dtype)
            dataset_id.read(h5py.h5s.ALL, h5py.h5s.ALL, value, mtype=type_.memory)
            value = value[()] if not shape else value
        else:
            value = h5py.Dataset(dataset_id)[()]
    except (OSError, RuntimeError, ValueError, TypeError):  # unregistered filter, broken VDS, odd types
        return None
    return _plain(value)


def _attributes(
    object_id: h5py.h5g.GroupID | h5py.h5d.DatasetID | h5py.h5f.FileID, path: str, *, names: tuple[bytes, ...] | None
) -> dict[str, object]:
    """Small attribute values; refuses objects with absurd attribute counts or sizes."""
    count = h5py.h5a.get_num_attrs(object_id)
    if count > MAX_ATTRIBUTES:
        raise FileRejected(f"{path} carries {count} attributes (more than {MAX_ATTRIBUTES}): refused")
    if count == 0:
        return {}
    if names is not None and len(names) == 1:  # a group's NX_class: one look-up instead of listing every name
        wanted = list(names) if h5py.h5a.exists(object_id, names[0]) else []
    else:
        present: list[bytes] = []
        h5py.h5a.iterate(object_id, present.append)
        wanted = present if names is None else [name for name in names if name in present]
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
    dtype, memory, variable_string = _type_of(attribute.get_type())
    if variable_string:
        value = np.empty(shape, dtype=object)
        attribute.read(value, mtype=memory)
    elif dtype.kind in "biufS":
        value = np.empty(shape, dtype=dtype)
        attribute.read(value, mtype=memory)
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
    # Resolved once per file name: k11 writes 40 links to 3 files, and each realpath stats every folder on the way.
    resolved: dict[str, tuple[Path, bool, bool]] = {}
    try:
        for link in tree.links:
            if link.written not in resolved:
                written = Path(link.written)
                candidate = written if written.is_absolute() else master.parent / written
                real = Path(os.path.realpath(candidate))
                resolved[link.written] = real, real.is_file(), real == folder or folder in real.parents
            real, exists, inside = resolved[link.written]
            if not inside:
                if exists:
                    raise FileRejected(f"{link.kind} link {link.link_path} leaves the source folder: {link.written}")
                checked.append(LinkedFile(**{**link.__dict__, "resolved": None}))
                continue
            object_exists = False
            if exists:
                if real not in opened:
                    opened[real] = _open_quietly(real)
                target = opened[real]
                # The target path may itself be a link, and HDF5 follows it: where it lands is checked too.
                external = target is not None and link.kind == "external"
                landed = hdf5_reads.landing(target, link.object_path) if external else None
                object_exists = target is not None and (link.kind == "vds" or landed is not None)
                if landed is not None and not _inside(Path(os.path.realpath(landed)), folder):
                    raise FileRejected(
                        f"external link {link.link_path} leaves the source folder through a link at "
                        f"{link.object_path} in {link.written}"
                    )
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
