"""Which data of an entry a scientist would plot (nexus-ingestion.md §1.3): the NeXus default plot first, then the
obvious signals of a file without one. Reads the walked Tree, and the open file only for fields behind external links.

Conventions followed: the @default chain; NXdata @signal, @auxiliary_signals, @axes ("." for none), @AXISNAME_indices,
@default_slice; uncertainties as FIELD_errors, `errors`, @uncertainties or canSAS @I_uncertainties; the older
`signal=1` field with an `axes` string, and `axis`/`primary` on axis fields. No Django.
"""

import math
import re
from dataclasses import dataclass
from typing import Any

import h5py
import numpy as np

from ingest.nexus.reader import Field, Group, Tree
from ingest.nexus.values import scalar, to_text

# What a candidate's choice is called in captions.
DEFAULT = "default"  # the NeXus default plot (@default chain or the entry's NXdata with @signal)
NXDATA = "nxdata"  # no default plot: the largest NXdata with a signal
FIELD = "field"  # an NXdata without any signal: its largest numeric field
DETECTOR = "detector"  # no NXdata: a detector's data

PREFERRED_NAMES = ("data", "counts", "intensity", "sum", "i", "signal")  # ties among fields of equal size
PLACEHOLDER_UNITS = re.compile(r"^(NX_[A-Z_]+|no ?units?|none|n/?a|\.|-)$", re.IGNORECASE)


@dataclass(frozen=True)
class Series:
    """The signal or an auxiliary signal: where it is and how it is labelled."""

    path: str
    name: str
    label: str
    errors: str | None = None  # path of the uncertainties of the same shape


@dataclass(frozen=True)
class Axis:
    path: str
    name: str
    label: str
    dimension: int  # the signal dimension it labels
    spans: tuple[int, ...]  # the signal dimensions its field spans (several for 2-D coordinates, @AXISNAME_indices)


@dataclass(frozen=True)
class Candidate:
    source: str
    group: str
    signal: Series
    shape: tuple[int, ...] | None  # None when the data sit behind a link whose target is missing
    dtype: str
    axes: tuple[Axis, ...] = ()
    auxiliary: tuple[Series, ...] = ()
    interpretation: str | None = None
    default_slice: tuple[int | None, ...] | None = None  # an index per dimension, None where the plot spans it

    @property
    def size(self) -> int:
        return math.prod(self.shape) if self.shape is not None else -1


def candidates(tree: Tree, entry: Group, handle: h5py.File) -> list[Candidate]:
    """Plots in the order to try them: the default plot, other NXdata by size, then detectors' data by size."""
    found: list[Candidate] = []
    default_group = _default_group(tree, entry)
    if default_group is not None:
        candidate = _from_nxdata(tree, default_group, handle, DEFAULT)
        if candidate is not None:
            found.append(candidate)
    others = [
        candidate
        for group in _groups_of_class(tree, entry, "NXdata")
        if group is not default_group
        for candidate in [_from_nxdata(tree, group, handle, NXDATA)]
        if candidate is not None
    ]
    found += sorted(others, key=lambda candidate: -candidate.size)
    detectors = [
        candidate
        for group in _groups_of_class(tree, entry, "NXdetector")
        for candidate in [_detector_data(tree, group, handle)]
        if candidate is not None
    ]
    found += sorted(detectors, key=lambda candidate: -candidate.size)
    unique: dict[str, Candidate] = {}
    for candidate in found:
        unique.setdefault(tree.resolve(candidate.signal.path), candidate)
    return list(unique.values())


def label(name: str, attrs: dict[str, object]) -> str:
    """An axis or colour-bar label: the field's long_name (else its name) and its units, as the file writes them."""
    long_name = to_text(attrs.get("long_name"))
    units = units_of(attrs)
    # IPNS writes long_name "Polar Angle [degrees]" with units "degrees": the units once
    written = long_name is not None and units is not None and re.search(_as_word(units), long_name)
    return f"{long_name or name} ({units})" if units and not written else long_name or name


def _as_word(units: str) -> str:
    return rf"(^|[\s\[(]){re.escape(units)}($|[\s\])])"


def units_of(attrs: dict[str, object]) -> str | None:
    units = to_text(attrs.get("units")) or to_text(attrs.get("unit"))
    if units is None or PLACEHOLDER_UNITS.match(units):  # NXDL templates write "NX_ANGLE"; SIXS "No unit"
        return None
    return units


def _default_group(tree: Tree, entry: Group) -> Group | None:
    """The NXdata the entry's @default chain ends at; None when the chain is missing or broken."""
    group = entry
    for _ in range(8):  # entry @default → NXdata, or a sub-group with its own @default (pynxtools, BESSY)
        name = to_text(group.attrs.get("default"))
        child = tree.group(f"{group.path.rstrip('/')}/{name}") if name else None
        if child is None:
            break
        group = child
    if group is not entry and group.nx_class == "NXdata":
        return group
    return None


def _groups_of_class(tree: Tree, entry: Group, nx_class: str) -> list[Group]:
    return [node for node in tree.walk(entry) if isinstance(node, Group) and node.nx_class == nx_class]


@dataclass(frozen=True)
class _Member:
    path: str
    name: str
    attrs: dict[str, object]
    shape: tuple[int, ...] | None
    dtype: str


def _member(tree: Tree, group: Group, name: str, handle: h5py.File) -> _Member | None:
    """A field of the group, also when it is a link (soft, or external to a present file, read through h5py)."""
    path = f"{group.path.rstrip('/')}/{name}"
    node = tree.get(path)
    if isinstance(node, Field):
        return _Member(path, name, node.attrs, node.shape, node.dtype)
    if node is not None:
        return None
    link = next((link for link in tree.links if link.link_path == tree.resolve(path)), None)
    if link is None:
        return None
    if not link.object_exists:
        return _Member(path, name, {}, None, "")
    try:
        dataset = handle[path]
    except (KeyError, OSError):
        return _Member(path, name, {}, None, "")
    if not isinstance(dataset, h5py.Dataset):
        return None
    names = ("units", "long_name", "interpretation")
    attrs = {key: scalar(dataset.attrs[key]) for key in names if key in dataset.attrs}
    return _Member(path, name, attrs, tuple(dataset.shape or ()), str(dataset.dtype))


def _fields(tree: Tree, group: Group, handle: h5py.File) -> list[_Member]:
    members = (_member(tree, group, name, handle) for name in group.children)
    return [member for member in members if member is not None]


def _is_numeric(member: _Member) -> bool:
    return member.shape is None or (bool(member.dtype) and np.dtype(member.dtype).kind in "iuf")


def _names(value: object) -> list[str]:
    """A list of names from a string array or one string separated by colons or commas (older files)."""
    if isinstance(value, np.ndarray):
        names = [to_text(item, keep_placeholders=True) or "" for item in value.flat]
        if len(names) == 1:
            return _names(names[0])
        return names
    text = to_text(value, keep_placeholders=True)
    if not text:
        return []
    return [part.strip() for part in re.split(r"[:,]", text)]


def _flag(attrs: dict[str, object], name: str) -> int | None:
    text = to_text(attrs.get(name))
    try:
        return int(float(text)) if text else None
    except ValueError:
        return None


def _from_nxdata(tree: Tree, group: Group, handle: h5py.File, source: str) -> Candidate | None:
    fields = {member.name: member for member in _fields(tree, group, handle)}
    signal_name = to_text(group.attrs.get("signal"))
    if signal_name not in fields:
        flagged = [member for member in fields.values() if _flag(member.attrs, "signal") == 1]
        signal_name = flagged[0].name if flagged else None
    if signal_name is None:
        return _largest_field(group, fields)
    signal = fields[signal_name]
    if not _is_numeric(signal):
        return None
    auxiliary = tuple(
        _series(group, fields[name], fields)
        for name in _names(group.attrs.get("auxiliary_signals"))
        if name in fields and fields[name].shape == signal.shape and _is_numeric(fields[name])
    )
    return _candidate(
        source,
        group,
        signal,
        fields,
        auxiliary=auxiliary,
        default_slice=_default_slice(group.attrs.get("default_slice"), signal.shape),
    )


def _candidate(source: str, group: Group, signal: _Member, fields: dict[str, _Member], **more: Any) -> Candidate:
    return Candidate(
        source=source,
        group=group.path,
        signal=_series(group, signal, fields),
        shape=signal.shape,
        dtype=signal.dtype,
        axes=_axes(group, signal, fields),
        interpretation=to_text(signal.attrs.get("interpretation")),
        **more,
    )


def _largest_field(group: Group, fields: dict[str, _Member]) -> Candidate | None:
    """An NXdata without any signal (GDA I16 `roi1`): its largest numeric field that is not an axis."""
    axes = {member.name for member in fields.values() if _flag(member.attrs, "axis") or _flag(member.attrs, "primary")}
    numeric = [
        member
        for member in fields.values()
        if member.name not in axes and member.shape and _is_numeric(member) and math.prod(member.shape) > 1
    ]
    if not numeric:
        return None

    def rank(member: _Member) -> tuple[int, int]:
        lowered = member.name.lower()
        preferred = any(lowered == name or lowered.endswith(f"_{name}") for name in PREFERRED_NAMES)
        return (-math.prod(member.shape or ()), 0 if preferred else 1)

    return _candidate(FIELD, group, sorted(numeric, key=rank)[0], fields)


def _detector_data(tree: Tree, group: Group, handle: h5py.File) -> Candidate | None:
    member = _member(tree, group, "data", handle)
    if member is None or not _is_numeric(member):
        return None
    return Candidate(
        source=DETECTOR,
        group=group.path,
        signal=Series(member.path, "data", label("data", member.attrs)),
        shape=member.shape,
        dtype=member.dtype,
        interpretation=to_text(member.attrs.get("interpretation")),
    )


def _series(group: Group, member: _Member, fields: dict[str, _Member]) -> Series:
    names = [
        f"{member.name}_errors",
        *_names(member.attrs.get("uncertainties")),
        *_names(group.attrs.get(f"{member.name}_uncertainties")),
        *_names(group.attrs.get(f"{member.name}_uncertainty")),  # Mantid's NXcanSAS writer (ISIS LARMOR)
    ]
    if _flag(member.attrs, "signal") == 1:
        names.append("errors")  # the older convention: one `errors` field for the signal
    errors = next(
        (fields[name].path for name in names if name in fields and fields[name].shape == member.shape),
        None,
    )
    return Series(member.path, member.name, label(member.name, member.attrs), errors)


def _axes(group: Group, signal: _Member, fields: dict[str, _Member]) -> tuple[Axis, ...]:
    """Axes per signal dimension: @AXISNAME_indices, else the position in @axes (group, canSAS @I_axes, or the
    signal's own `axes` string), else the older `axis=n` (1-based) fields, `primary=1` first."""
    shape = signal.shape or ()
    names = (
        _names(group.attrs.get("axes"))
        or _names(group.attrs.get(f"{signal.name}_axes"))
        or _names(signal.attrs.get("axes"))
    )
    found: dict[int, Axis] = {}
    if len(names) < len(shape):
        names = ["."] * (len(shape) - len(names)) + names  # fewer names than dimensions: they label the last ones
    for position, name in enumerate(names[: len(shape)]):
        if name == ".":
            continue
        spans = _indices(group.attrs.get(f"{name}_indices")) or (position,)
        member = _cansas_coordinate(name, position, fields, shape) or fields.get(name)
        if member is None or not member.shape or not _is_numeric(member) or max(spans) >= len(shape):
            continue
        found.setdefault(position, Axis(member.path, member.name, label(member.name, member.attrs), position, spans))
    if not any(name != "." for name in names):
        flagged = [member for member in fields.values() if _flag(member.attrs, "axis") and member is not signal]
        flagged.sort(key=lambda member: 0 if _flag(member.attrs, "primary") == 1 else 1)
        for member in flagged:
            dimension = (_flag(member.attrs, "axis") or 0) - 1
            if 0 <= dimension < len(shape) and member.shape and _is_numeric(member):
                axis = Axis(member.path, member.name, label(member.name, member.attrs), dimension, (dimension,))
                found.setdefault(dimension, axis)
    return tuple(found[dimension] for dimension in sorted(found))


def _cansas_coordinate(name: str, position: int, fields: dict[str, _Member], shape: tuple[int, ...]) -> _Member | None:
    """Mantid writes 2-D NXcanSAS with @I_axes="Q,Q" but Qx and Qy fields (ISIS LARMOR): rows are Qy, columns Qx."""
    if name != "Q" or "Q" in fields or len(shape) != 2:
        return None
    candidate = fields.get("Qy" if position == 0 else "Qx")
    return candidate if candidate is not None and candidate.shape == shape else None


def _indices(value: object) -> tuple[int, ...]:
    if value is None:
        return ()
    try:
        return tuple(int(item) for item in np.atleast_1d(np.asarray(scalar(value))).flat)
    except (TypeError, ValueError):
        return ()


def _default_slice(value: object, shape: tuple[int, ...] | None) -> tuple[int | None, ...] | None:
    if value is None or shape is None:
        return None
    parts = _names(value) if not isinstance(value, int | np.integer) else [str(value)]
    if len(parts) != len(shape):
        return None
    indices: list[int | None] = []
    for part, size in zip(parts, shape, strict=True):
        if part == ".":
            indices.append(None)
            continue
        try:
            index = int(part)
        except ValueError:
            return None
        if not -size <= index < size:
            return None
        indices.append(index % size)
    return tuple(indices)
