"""A chosen plot's data read in bounded slices: a curve or an image, stacks and scans reduced to one frame or their
sum, images binned to a preview's resolution. At most SLAB_ITEMS values are in memory at once, whatever the file's
size. No Django.
"""

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import h5py
import numpy as np

from ingest.nexus.plots import Axis, Candidate

SLAB_ITEMS = 1024 * 1024  # values per read (8 MB as float64; a few copies of it are the reading's peak memory)
SUM_ITEMS = 16 * 1024 * 1024  # a stack or scan of at most this many values is summed; a larger one shows a frame
IMAGE_SIDE = 640  # image pixels per side after binning
CURVE_POINTS = 500_000  # a longer curve is read every n-th point
COORDINATE_ITEMS = 4 * 1024 * 1024  # axis arrays larger than this are not read


class NotPlottable(Exception):
    """The data cannot be drawn (a single value, text, an unreadable chunk); the message says why."""


@dataclass(frozen=True)
class Coordinates:
    """An axis as plotted: centres (one per point or pixel) or edges (one more), from the file's field."""

    path: str
    label: str
    values: np.ndarray
    edges: bool


@dataclass(frozen=True)
class Reduction:
    """How a stack or scan became one frame: `sum` of `frames`, the `first` of them, or `slice` (@default_slice)."""

    kind: str  # "", "sum", "first" or "slice"
    frames: int
    dimensions: tuple[int, ...]  # the signal dimensions summed or indexed
    fixed: dict[int, int] = field(default_factory=dict)  # dimension → index read (length-1 dimensions included)


@dataclass(frozen=True)
class Curve:
    y: np.ndarray
    x: Coordinates | None
    errors: np.ndarray | None
    auxiliary: tuple[tuple[str, np.ndarray], ...]
    step: int  # every step-th point was read


@dataclass(frozen=True)
class Image:
    values: np.ndarray  # rows × columns, NaN where no valid value
    x: Coordinates | None
    y: Coordinates | None
    invalid: int  # pixels of a frame masked as gaps or bad pixels (on average over the frames summed)
    binning: tuple[int, int]  # rows, columns averaged into one pixel


@dataclass(frozen=True)
class PlotData:
    plotted: tuple[int, ...]  # signal dimensions on the plot: (x,) for a curve, (y, x) for an image
    reduction: Reduction
    curve: Curve | None = None
    image: Image | None = None
    notes: tuple[str, ...] = ()  # what the caption must also say (an axis the file lacks, …)


def read(handle: h5py.File, candidate: Candidate) -> PlotData:
    """The data of `candidate`; raises NotPlottable, or OSError from HDF5 (a missing filter plugin)."""
    dataset = handle[candidate.signal.path]
    if not isinstance(dataset, h5py.Dataset) or dataset.dtype.kind not in "iuf":
        raise NotPlottable("the signal is not numeric")
    shape = tuple(dataset.shape or ())
    if math.prod(shape) < 2:
        raise NotPlottable("the signal is a single value")
    kept = [dimension for dimension, size in enumerate(shape) if size > 1]
    as_curve = len(kept) == 1 or candidate.interpretation == "spectrum"
    plotted = tuple(kept[-1:] if as_curve else kept[-2:])
    reduction = _reduction(shape, kept, plotted, candidate.default_slice)
    notes: list[str] = []
    if as_curve:
        curve = _curve(handle, dataset, candidate, plotted[0], reduction, notes)
        return PlotData(plotted, reduction, curve=curve, notes=tuple(notes))
    image = _image(handle, dataset, candidate, plotted, reduction, notes)
    return PlotData(plotted, reduction, image=image, notes=tuple(notes))


def _reduction(
    shape: tuple[int, ...], kept: list[int], plotted: tuple[int, ...], default_slice: tuple[int | None, ...] | None
) -> Reduction:
    fixed = {dimension: 0 for dimension, size in enumerate(shape) if size == 1}
    leading = [dimension for dimension in kept if dimension not in plotted]
    if not leading:
        return Reduction("", 1, (), fixed)
    if default_slice is not None and all(default_slice[dimension] is not None for dimension in leading):
        return Reduction("slice", 1, tuple(leading), {**fixed, **{d: int(default_slice[d] or 0) for d in leading}})
    frames = math.prod(shape[dimension] for dimension in leading)
    if frames * math.prod(shape[dimension] for dimension in plotted) <= SUM_ITEMS:
        return Reduction("sum", frames, tuple(leading), fixed)
    return Reduction("first", frames, tuple(leading), {**fixed, **dict.fromkeys(leading, 0)})


def _blocks(
    shape: tuple[int, ...], reduction: Reduction, plotted: tuple[int, ...], rows: int, step: int = 1
) -> Iterator[tuple[tuple[object, ...], int]]:
    """h5py selections covering the frames to read, each at most about SLAB_ITEMS values, with the first row of the
    first plotted dimension each covers. Every selection reads as (frames, rows[, columns])."""
    summed = [dimension for dimension in reduction.dimensions if dimension not in reduction.fixed]
    outer, batched = summed[:-1], summed[-1] if summed else None
    first = plotted[0]
    frame_items = math.prod(shape[dimension] for dimension in plotted) // step
    batch = max(1, SLAB_ITEMS // max(1, frame_items))
    row_items = frame_items // shape[first] if len(plotted) == 2 else step
    row_block = shape[first] if frame_items <= SLAB_ITEMS else max(rows, (SLAB_ITEMS // row_items) // rows * rows)
    for outer_index in np.ndindex(*(shape[dimension] for dimension in outer)):
        frame_ranges = (
            [(start, min(start + batch, shape[batched])) for start in range(0, shape[batched], batch)]
            if batched is not None
            else [(0, 1)]
        )
        for start, stop in frame_ranges:
            for row in range(0, shape[first], row_block):
                selection: list[object] = [slice(None)] * len(shape)
                for dimension, index in reduction.fixed.items():
                    selection[dimension] = index
                for dimension, index in zip(outer, outer_index, strict=True):
                    selection[dimension] = index
                if batched is not None:
                    selection[batched] = slice(start, stop)
                selection[first] = slice(row, min(row + row_block, shape[first]), step if len(plotted) == 1 else None)
                yield tuple(selection), row


def _as_frames(block: np.ndarray, plotted: int) -> np.ndarray:
    """A read block as (frames, …plotted dimensions) whether or not a frame dimension was kept."""
    return block.reshape((-1, *block.shape[block.ndim - plotted :]))


def _valid(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Float values with gaps and bad pixels as NaN: Eiger and Pilatus mark them with the largest value of an unsigned
    type (APS 12-ID-B: 4294967295), signed counters with negative numbers."""
    data = values.astype(np.float64)
    if dtype.kind == "u":
        data[values == np.iinfo(dtype).max] = np.nan
    elif dtype.kind == "i":
        data[values < 0] = np.nan
    return data


def _curve(
    handle: h5py.File,
    dataset: h5py.Dataset,
    candidate: Candidate,
    dimension: int,
    reduction: Reduction,
    notes: list[str],
) -> Curve:
    length = dataset.shape[dimension]
    step = max(1, math.ceil(length / CURVE_POINTS))
    y = _summed_curve(dataset, reduction, dimension, step)
    errors = None
    if candidate.signal.errors:
        squared = _summed_curve(handle[candidate.signal.errors], reduction, dimension, step, square=True)
        errors = np.sqrt(squared)
    auxiliary = tuple(
        (series.label, _summed_curve(handle[series.path], reduction, dimension, step)) for series in candidate.auxiliary
    )
    x = _coordinates(handle, _axis_for(candidate, dimension), dimension, length, notes, monotonic=False)
    if x is not None and step > 1:
        centres = _centres(x.values) if x.edges else x.values
        x = Coordinates(x.path, x.label, centres[::step], edges=False)
    elif x is None:
        notes.append("the file gives no coordinates for the horizontal axis: point numbers are shown")
    return Curve(y=y, x=x, errors=errors, auxiliary=auxiliary, step=step)


def _summed_curve(
    dataset: h5py.Dataset, reduction: Reduction, dimension: int, step: int, *, square: bool = False
) -> np.ndarray:
    shape = tuple(dataset.shape)
    points = len(range(0, shape[dimension], step))
    total, count = np.zeros(points), np.zeros(points)
    for selection, _ in _blocks(shape, reduction, (dimension,), rows=1, step=step):
        frames = _as_frames(_valid(np.asarray(dataset[selection]), dataset.dtype), 1)
        if square:
            frames = frames**2
        total += np.nansum(frames, axis=0)
        count += np.sum(np.isfinite(frames), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1) * _frames(reduction), np.nan)


def _frames(reduction: Reduction) -> int:
    return reduction.frames if reduction.kind == "sum" else 1


def _image(
    handle: h5py.File,
    dataset: h5py.Dataset,
    candidate: Candidate,
    plotted: tuple[int, ...],
    reduction: Reduction,
    notes: list[str],
) -> Image:
    shape = tuple(dataset.shape)
    rows, columns = shape[plotted[0]], shape[plotted[1]]
    by, bx = math.ceil(rows / IMAGE_SIDE), math.ceil(columns / IMAGE_SIDE)
    out_rows, out_columns = math.ceil(rows / by), math.ceil(columns / bx)
    total, count = np.zeros((out_rows, out_columns)), np.zeros((out_rows, out_columns))
    masked = 0
    for selection, row in _blocks(shape, reduction, plotted, rows=by):
        frames = _as_frames(_valid(np.asarray(dataset[selection]), dataset.dtype), 2)
        masked += int(np.isnan(frames).sum())
        sums, counts = _binned(frames, by, bx)
        first = row // by
        total[first : first + sums.shape[0]] += sums
        count[first : first + counts.shape[0]] += counts
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(count > 0, total / np.maximum(count, 1) * _frames(reduction), np.nan)
    y = _coordinates(handle, _axis_for(candidate, plotted[0]), plotted[0], rows, notes, monotonic=True)
    x = _coordinates(handle, _axis_for(candidate, plotted[1]), plotted[1], columns, notes, monotonic=True)
    missing = [name for name, axis in (("rows", y), ("columns", x)) if axis is None]
    if missing:
        notes.append(f"the file gives no usable coordinates for the {' and '.join(missing)}: pixel numbers are shown")
    return Image(
        values=values,
        x=_binned_coordinates(x, bx),
        y=_binned_coordinates(y, by),
        invalid=round(masked / _frames(reduction)),
        binning=(by, bx),
    )


def _binned(frames: np.ndarray, by: int, bx: int) -> tuple[np.ndarray, np.ndarray]:
    """Sums and counts of the valid values in by × bx blocks of every frame, added over the frames."""
    count_frames, rows, columns = frames.shape
    padded_rows, padded_columns = math.ceil(rows / by) * by, math.ceil(columns / bx) * bx
    if (padded_rows, padded_columns) != (rows, columns):
        padded = np.full((count_frames, padded_rows, padded_columns), np.nan)
        padded[:, :rows, :columns] = frames
        frames = padded
    blocks = frames.reshape(count_frames, padded_rows // by, by, padded_columns // bx, bx)
    valid = np.isfinite(blocks)
    return np.where(valid, blocks, 0).sum(axis=(0, 2, 4)), valid.sum(axis=(0, 2, 4))


def _axis_for(candidate: Candidate, dimension: int) -> Axis | None:
    return next((axis for axis in candidate.axes if axis.dimension == dimension), None)


def _coordinates(
    handle: h5py.File, axis: Axis | None, dimension: int, length: int, notes: list[str], *, monotonic: bool
) -> Coordinates | None:
    """The axis values along `dimension`: a 1-D field of `length` centres or `length + 1` edges, or the line of a
    multi-dimensional coordinate field (@AXISNAME_indices) through its first element."""
    if axis is None:
        return None
    try:
        field = handle[axis.path]
        if not isinstance(field, h5py.Dataset) or field.dtype.kind not in "iuf" or field.size > COORDINATE_ITEMS:
            return None
        if field.ndim == 1:
            values = np.asarray(field[()], dtype=np.float64)
        elif field.ndim == len(axis.spans) and dimension in axis.spans:
            position = axis.spans.index(dimension)
            selection: list[object] = [0] * field.ndim
            selection[position] = slice(None)
            values = np.asarray(field[tuple(selection)], dtype=np.float64)
        else:
            return None
    except (KeyError, OSError):
        return None
    if values.size not in (length, length + 1) or not np.all(np.isfinite(values)):
        notes.append(f"{axis.name} does not match the data's {length} points and is not used")
        return None
    steps = np.diff(values)
    if monotonic and values.size > 1 and not (np.all(steps > 0) or np.all(steps < 0)):
        notes.append(f"{axis.name} is not monotonic and is not used")
        return None
    return Coordinates(axis.path, axis.label, values, edges=values.size == length + 1)


def _centres(edges: np.ndarray) -> np.ndarray:
    return (edges[:-1] + edges[1:]) / 2


def _binned_coordinates(coordinates: Coordinates | None, factor: int) -> Coordinates | None:
    if coordinates is None or factor == 1:
        return coordinates
    values = coordinates.values
    if coordinates.edges:
        edges = values[::factor]
        if edges[-1] != values[-1]:
            edges = np.append(edges, values[-1])
        return Coordinates(coordinates.path, coordinates.label, edges, edges=True)
    padded = np.full(math.ceil(values.size / factor) * factor, np.nan)
    padded[: values.size] = values
    return Coordinates(coordinates.path, coordinates.label, np.nanmean(padded.reshape(-1, factor), axis=1), False)
