"""The preview of an entry: the plot a scientist would draw from it (plots.py chooses, plot_data.py reads), drawn with
Matplotlib's Agg canvas at page and card size, with a caption that says what is shown and every choice made; or the
reason none could be made (a missing plugin, a missing external file). No Django.
"""

import io
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import h5py
import hdf5plugin  # noqa: F401  the preview reads compressed detector data
import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure

from ingest.nexus import plot_data, plots
from ingest.nexus.plot_data import Coordinates, Curve, Image, PlotData
from ingest.nexus.plots import Candidate
from ingest.nexus.reader import FileBusy, FileRejected, Group, Tree, open_file, read_outside

MAX_CANDIDATES = 6  # plots tried before giving up (each may be a missing external file)
IMAGE_LOG_DECADES = 1.5  # an image whose values span more decades than this is drawn on a log colour scale
CURVE_LOG_DECADES = 2.0  # likewise the intensity axis of a curve
X_LOG_DECADES = 1.5  # a log-intensity curve over positive x spanning this many decades gets a log x axis too
MAX_LOG_DECADES = 7.0  # the log colour scale's floor is at most this far below its top
MAX_CAPTION = 1000


@dataclass(frozen=True)
class Size:
    name: str
    inches: tuple[float, float]
    dpi: int

    @property
    def pixels(self) -> tuple[int, int]:
        return round(self.inches[0] * self.dpi), round(self.inches[1] * self.dpi)


PAGE = Size("page", (6.4, 4.0), 120)  # 768 × 480: the dataset page's figure, the DOI page's gallery
CARD = Size("card", (2.24, 1.68), 100)  # 224 × 168: twice the portal card's thumbnail, for sharp screens


@dataclass(frozen=True)
class Scale:
    log: bool
    low: float
    high: float
    decades: float  # how many decades the data's positive values span (robust percentiles)


@dataclass(frozen=True)
class Drawing:
    """What is drawn, with every label and scale decided: the page and card figures are drawn from it."""

    candidate: Candidate
    data: PlotData
    value_scale: Scale  # the colour scale of an image, the vertical axis of a curve
    log_x: bool
    x_label: str
    y_label: str
    colour_label: str | None
    equal_aspect: bool


@dataclass(frozen=True)
class PreviewResult:
    signal_path: str
    png: bytes | None
    width: int | None = None
    height: int | None = None
    card_png: bytes | None = None
    card_width: int | None = None
    card_height: int | None = None
    caption: str = ""
    choice: dict[str, Any] = field(default_factory=dict)
    unavailable_reason: str = ""


def make(path: Path, tree: Tree, entry: Group) -> PreviewResult:
    """The preview of `entry`: the first candidate plot that can be read, drawn; else why none could be."""
    try:
        drawing, skipped = choose(path, tree, entry)
    except (FileBusy, FileRejected) as error:
        return PreviewResult("", None, unavailable_reason=f"the file cannot be opened: {error}")
    if drawing is None:
        return _unavailable(skipped)
    page, card = figure(drawing, PAGE), figure(drawing, CARD)
    return PreviewResult(
        signal_path=drawing.candidate.signal.path,
        png=png(page),
        width=PAGE.pixels[0],
        height=PAGE.pixels[1],
        card_png=png(card),
        card_width=CARD.pixels[0],
        card_height=CARD.pixels[1],
        caption=caption(drawing, skipped),
        choice=choice(drawing, skipped),
    )


def choose(path: Path, tree: Tree, entry: Group) -> tuple[Drawing | None, list[tuple[Candidate, str]]]:
    """The drawing of the first candidate that can be read (or None) and the candidates skipped before it, with why.
    The file is open only while the data are read; raises FileBusy or FileRejected when it cannot be opened."""
    skipped: list[tuple[Candidate, str]] = []
    with open_file(path) as handle:
        for candidate in plots.candidates(tree, entry, handle)[:MAX_CANDIDATES]:
            problem = _link_problem(tree, handle, candidate)
            if problem is None:
                try:
                    return decide(candidate, plot_data.read(handle, candidate)), skipped
                except plot_data.NotPlottable as error:
                    problem = str(error)
                except OSError as error:
                    problem = _read_problem(error)
                except (KeyError, TypeError, ValueError) as error:
                    problem = f"the data cannot be read ({str(error)[:200]})"
            skipped.append((candidate, problem))
    return None, skipped


def _unavailable(skipped: list[tuple[Candidate, str]]) -> PreviewResult:
    if not skipped:
        return PreviewResult("", None, unavailable_reason="no plottable data: no NXdata signal and no detector data")
    candidate, problem = skipped[0]
    what = "default plot" if candidate.source == plots.DEFAULT else "plot"
    return PreviewResult(candidate.signal.path, None, unavailable_reason=f"{what} {candidate.signal.path}: {problem}")


def _link_problem(tree: Tree, handle: h5py.File, candidate: Candidate) -> str | None:
    """Why the plot cannot be read before reading it: a missing external file, a virtual dataset whose source is
    missing (it would read as zeros without an error: DLS I04), or a field that would read outside the source folder."""
    target = tree.resolve(candidate.signal.path)
    for link in tree.links:
        if link.link_path != target:
            continue
        if link.kind == "external" and not link.object_exists:
            return f"its data are in a missing external file ({link.written})"
        if link.kind == "vds" and not link.exists:
            return f"its virtual dataset's source file is missing ({link.written})"
    if candidate.shape is None:
        return "its data are behind a link whose target is missing"
    try:
        dataset = handle[candidate.signal.path]
        sources = dataset.virtual_sources() if isinstance(dataset, h5py.Dataset) and dataset.is_virtual else []
        for source in sources:  # said first: the missing file's name is the useful part
            if source.file_name == ".":
                inner = next((link for link in tree.links if link.link_path == source.dset_name), None)
                if inner is not None and not inner.object_exists:
                    return f"its virtual dataset's source is in a missing external file ({inner.written})"
        read: list[plots.Series | plots.Axis] = [candidate.signal, *candidate.auxiliary, *candidate.axes]
        for path in (path for part in read for path in (part.path, getattr(part, "errors", None)) if path):
            field = handle.get(path)
            outside = read_outside(field, source_folder=tree.source_folder) if isinstance(field, h5py.Dataset) else None
            if outside:
                return f"{path} {outside}"
    except (KeyError, OSError):
        return "its data cannot be opened"
    return None


def _read_problem(error: OSError) -> str:
    text = str(error)
    if "filter" in text.lower() or "plugin" in text.lower():
        return f"reading it needs an HDF5 filter plugin that is not installed ({text[:200]})"
    return f"the data cannot be read ({text[:200]})"


# --- deciding how to draw ---------------------------------------------------------------------------------------------


def decide(candidate: Candidate, data: PlotData) -> Drawing:
    """Labels, scales and aspect of the plot of `data`; raises NotPlottable when it holds no finite value."""
    if data.curve is not None:
        curve = data.curve
        value_scale = curve_scale(curve.y)
        x_values = curve.x.values if curve.x is not None else None
        log_x = bool(value_scale.log and x_values is not None and _decades(x_values, every=True) >= X_LOG_DECADES)
        return Drawing(
            candidate=candidate,
            data=data,
            value_scale=value_scale,
            log_x=log_x,
            x_label=curve.x.label if curve.x is not None else "point number",
            y_label=candidate.signal.label,
            colour_label=None,
            equal_aspect=False,
        )
    image = data.image
    assert image is not None
    return Drawing(
        candidate=candidate,
        data=data,
        value_scale=image_scale(image.values),
        log_x=False,
        x_label=image.x.label if image.x is not None else "pixel",
        y_label=image.y.label if image.y is not None else "pixel",
        colour_label=candidate.signal.label,
        equal_aspect=_equal_aspect(candidate, image),
    )


def image_scale(values: np.ndarray) -> Scale:
    """Log colours when the bulk of the positive values (5th to 99.5th percentile) spans more than IMAGE_LOG_DECADES,
    from their 1st percentile to the 99.9th of all values (a few hot pixels do not set the top); otherwise linear
    between the 0.5th and 99.5th percentiles (APS 12-ID-B: ~3 counts everywhere but the beam, whose faint gradient a
    log scale from 1 to the beam's counts would hide)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        raise plot_data.NotPlottable("no valid value to draw (every pixel is masked)")
    positive = finite[finite > 0]
    decades = 0.0
    if positive.size >= 10:
        low, high = np.percentile(positive, [5, 99.5])
        decades = math.log10(high / low) if high > low else 0.0
        top = float(np.percentile(finite, 99.9))
        floor = float(np.percentile(positive, 1))
        if decades > IMAGE_LOG_DECADES and top > floor:
            return Scale(True, max(floor, top / 10**MAX_LOG_DECADES), top, math.log10(top / floor))
    low, high = (float(value) for value in np.percentile(finite, [0.5, 99.5]))
    if high <= low:
        low, high = float(finite.min()), float(finite.max())
    if high <= low:
        high = low + 1.0
    return Scale(False, low, high, decades)


def curve_scale(values: np.ndarray) -> Scale:
    """A log intensity axis when most values (80 %) are positive and they span more than CURVE_LOG_DECADES."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        raise plot_data.NotPlottable("no valid value to draw")
    positive = finite[finite > 0]
    decades = _decades(positive, every=False) if positive.size >= 3 else 0.0
    low, high = float(finite.min()), float(finite.max())
    if positive.size >= 0.8 * finite.size and decades > CURVE_LOG_DECADES:
        return Scale(True, float(positive.min()), high, decades)
    return Scale(False, low, high, decades)


def _decades(values: np.ndarray, *, every: bool) -> float:
    """Decades spanned by positive values: all of them (an axis), or the 0.5th to 99.5th percentile (data)."""
    if values.size == 0 or (every and np.any(values <= 0)):
        return 0.0
    positive = values[values > 0]
    if positive.size == 0:
        return 0.0
    low, high = (positive.min(), positive.max()) if every else np.percentile(positive, [0.5, 99.5])
    return float(math.log10(high / low)) if low > 0 and high > low else 0.0


def _equal_aspect(candidate: Candidate, image: Image) -> bool:
    """Square pixels when both axes are in the same units (or both pixel numbers) and the picture stays readable."""
    same_units = (image.x is None and image.y is None) or (
        image.x is not None and image.y is not None and _units(candidate, image.x) == _units(candidate, image.y)
    )
    width, height = (
        _span(image.x, image.values.shape[1], image.binning[1]),
        _span(image.y, image.values.shape[0], image.binning[0]),
    )
    return same_units and width > 0 and height > 0 and 1 / 4 <= height / width <= 4


def _units(candidate: Candidate, coordinates: Coordinates) -> str | None:
    axis = next((axis for axis in candidate.axes if axis.path == coordinates.path), None)
    return axis.label.rpartition("(")[2].rstrip(")") if axis is not None and "(" in axis.label else None


def _span(coordinates: Coordinates | None, count: int, binning: int) -> float:
    if coordinates is None:
        return float(count * binning)
    return float(abs(coordinates.values[-1] - coordinates.values[0]))


# --- drawing ------------------------------------------------------------------------------------------------------


def figure(drawing: Drawing, size: Size) -> Figure:
    """The Matplotlib figure of `drawing` at `size` (the card: the data alone, without axes or colour bar)."""
    card = size is CARD
    # Fixed margins rather than constrained layout, which measured every label twice: half of a preview's time.
    fig = Figure(figsize=size.inches, dpi=size.dpi, facecolor="white")
    FigureCanvasAgg(fig)  # Agg, without pyplot's global state: safe in worker threads
    if card:
        axes = fig.add_axes((0.02, 0.02, 0.96, 0.96))
    else:  # an image leaves room on the right for its colour bar, its ticks and label
        axes = fig.add_axes((0.12, 0.13, 0.85, 0.83) if drawing.data.curve is not None else (0.11, 0.13, 0.74, 0.83))
    if drawing.data.curve is not None:
        _draw_curve(axes, drawing, drawing.data.curve, card=card)
    else:
        assert drawing.data.image is not None
        _draw_image(fig, axes, drawing, drawing.data.image, card=card)
    if card:
        axes.set_axis_off()
    else:
        axes.set_xlabel(_safe(drawing.x_label))
        axes.set_ylabel(_safe(drawing.y_label))
    return fig


def png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi, facecolor="white")
    return buffer.getvalue()


LINE = "#1f5ea8"
MASKED = "#d0d0d0"  # detector gaps and bad pixels
AUXILIARY = ("#d95f02", "#1b9e77", "#7570b3", "#e7298a")


def _draw_curve(axes: Axes, drawing: Drawing, curve: Curve, *, card: bool) -> None:
    x = curve.x.values if curve.x is not None else np.arange(curve.y.size, dtype=float) * curve.step
    centres = (x[:-1] + x[1:]) / 2 if curve.x is not None and curve.x.edges else x
    width = 1.0 if card else 1.3
    if curve.x is not None and curve.x.edges and curve.errors is None:
        axes.stairs(curve.y, x, color=LINE, linewidth=width, label=_safe(drawing.candidate.signal.name))
    elif curve.errors is not None and curve.y.size <= 200 and not card:
        axes.errorbar(
            centres, curve.y, yerr=curve.errors, fmt="o-", color=LINE, markersize=3, linewidth=width,
            elinewidth=0.8, capsize=0, label=_safe(drawing.candidate.signal.name),
        )  # fmt: skip
    else:
        marker = "o" if curve.y.size <= 60 and not card else None
        axes.plot(centres, curve.y, color=LINE, linewidth=width, marker=marker, markersize=3)
        if curve.errors is not None:
            axes.fill_between(centres, curve.y - curve.errors, curve.y + curve.errors, color=LINE, alpha=0.25, lw=0)
    for (label, values), colour in zip(curve.auxiliary, AUXILIARY, strict=False):
        axes.plot(centres, values, color=colour, linewidth=width * 0.8, label=_safe(label))
    if drawing.value_scale.log:
        axes.set_yscale("log", nonpositive="mask")
    if curve.errors is not None:  # one wild error bar (ILL D22's first point) must not squash the curve
        scale = drawing.value_scale
        low, high = (scale.low / 1.5, scale.high * 1.5) if scale.log else _padded(scale.low, scale.high)
        axes.set_ylim(low, high)
    if drawing.log_x:
        axes.set_xscale("log", nonpositive="mask")
    if not card:
        axes.grid(True, which="major", color="#dddddd", linewidth=0.6)
        if curve.auxiliary:
            axes.legend(fontsize="small", frameon=False)


def _draw_image(fig: Figure, axes: Axes, drawing: Drawing, image: Image, *, card: bool) -> None:
    scale = drawing.value_scale
    values = image.values
    if scale.log:
        # Below the scale's foot: its colour; zero or negative (no counts, background-subtracted): white, as Mantid
        # draws them (ANSTO Platypus is 90 % zeros, which at the foot's colour made the picture near black).
        raised = np.where(values < scale.low, scale.low, values)
        values = np.where(values <= 0, scale.low / 10, raised)
        norm: Normalize = LogNorm(vmin=scale.low, vmax=scale.high, clip=False)
    else:
        norm = Normalize(vmin=scale.low, vmax=scale.high, clip=True)
    colours = colormaps["viridis"].with_extremes(bad=MASKED, under="white", over=colormaps["viridis"](1.0))
    masked = np.ma.masked_invalid(values)
    x_edges = _edges(image.x, values.shape[1], image.binning[1])
    y_edges = _edges(image.y, values.shape[0], image.binning[0])
    aspect: Literal["equal", "auto"] = "equal" if drawing.equal_aspect and not card else "auto"
    if _uniform(x_edges) and _uniform(y_edges):
        extent = (x_edges[0], x_edges[-1], y_edges[0], y_edges[-1])
        mappable: ScalarMappable = axes.imshow(
            masked, origin="lower", extent=extent, aspect=aspect, norm=norm, cmap=colours, interpolation="nearest"
        )
    else:
        mappable = axes.pcolormesh(x_edges, y_edges, masked, norm=norm, cmap=colours, shading="flat")
        axes.set_aspect(aspect)
    if not card:
        bar = fig.colorbar(mappable, ax=axes, fraction=0.05, pad=0.03)  # taken from the axes' right
        bar.set_label(_safe(drawing.colour_label or ""))


def _padded(low: float, high: float) -> tuple[float, float]:
    margin = (high - low) * 0.05 or abs(high) * 0.05 or 1.0
    return low - margin, high + margin


def _edges(coordinates: Coordinates | None, count: int, binning: int) -> np.ndarray:
    if coordinates is None:
        return np.arange(count + 1, dtype=float) * binning - 0.5
    values = coordinates.values
    if coordinates.edges:
        return values
    if values.size == 1:
        return np.array([values[0] - 0.5, values[0] + 0.5])
    middles = (values[:-1] + values[1:]) / 2
    return np.concatenate([[values[0] - (middles[0] - values[0])], middles, [values[-1] + (values[-1] - middles[-1])]])


def _uniform(edges: np.ndarray) -> bool:
    steps = np.diff(edges)
    return bool(steps.size and np.all(np.abs(steps - steps.mean()) <= 0.01 * abs(steps.mean())))


def _safe(text: str) -> str:
    """Labels are the file's words: a "$" must not start Matplotlib's mathtext."""
    return text.replace("$", r"\$")


# --- what the caption and the stored choice say ---------------------------------------------------------------------


SOURCES = {
    plots.DEFAULT: "The file's NeXus default plot",
    plots.NXDATA: "No default plot in the file: shown is its largest NXdata with a signal",
    plots.FIELD: "No signal is marked in the file: shown is the largest field of an NXdata",
    plots.DETECTOR: "No NXdata in the file: shown is a detector's data",
}


def caption(drawing: Drawing, skipped: list[tuple[Candidate, str]]) -> str:
    """What the preview shows and every choice made, in sentences for the page under the figure."""
    candidate, data = drawing.candidate, drawing.data
    sentences = []
    if skipped and skipped[0][0].source == plots.DEFAULT:
        first, problem = skipped[0]
        sentences.append(f"The default plot ({first.signal.path}) cannot be drawn: {problem}.")
        sentences.append(f"Shown instead: {candidate.signal.label} of {candidate.group}.")
    else:
        sentences.append(f"{SOURCES[candidate.source]}: {candidate.signal.label} of {candidate.group}.")
    if data.curve is not None:
        sentences.append(f"Plotted against {drawing.x_label}" + _errors_words(candidate, data.curve) + ".")
        if candidate.auxiliary:
            sentences.append("Auxiliary signals: " + ", ".join(series.label for series in candidate.auxiliary) + ".")
    else:
        sentences.append(f"Rows: {drawing.y_label}; columns: {drawing.x_label}.")
    sentences += _reduction_words(candidate, data)
    sentences.append(_scale_words(drawing))
    if data.image is not None and data.image.invalid:
        sentences.append(f"{data.image.invalid:,} masked pixels (detector gaps, bad pixels) are shown grey.")
    if data.image is not None and drawing.value_scale.log:
        empty = int(np.sum(data.image.values <= 0))
        if empty:
            share = empty / data.image.values.size
            amount = f"{share:.0%} of the pixels" if share >= 0.01 else f"{empty:,} pixel{'s' if empty > 1 else ''}"
            verb = "holds" if empty == 1 else "hold"
            sentences.append(f"{amount} shown {verb} no counts (zero or less), drawn white.")
    if data.image is not None and data.image.binning != (1, 1):
        rows, columns = data.image.binning
        sentences.append(f"Shown binned {rows} × {columns} pixels (their mean).")
    if data.curve is not None and data.curve.step > 1:
        sentences.append(f"Every {data.curve.step}th point is shown.")
    sentences += [note[0].upper() + note[1:] + "." for note in data.notes]
    return " ".join(sentences)[:MAX_CAPTION]


def _errors_words(candidate: Candidate, curve: Curve) -> str:
    if curve.errors is None or candidate.signal.errors is None:
        return ""
    return f", with its uncertainties ({candidate.signal.errors.rpartition('/')[2]})"


def _reduction_words(candidate: Candidate, data: PlotData) -> list[str]:
    reduction = data.reduction
    along = ", ".join(_dimension_name(candidate, dimension) for dimension in reduction.dimensions)
    thing = "spectra" if data.curve is not None else "frames"
    if reduction.kind == "sum":
        return [f"The sum of its {reduction.frames:,} {thing} (along {along})."]
    if reduction.kind == "first":
        return [
            f"The first of its {reduction.frames:,} {thing} (along {along}): the whole set is too large to sum for "
            "a preview."
        ]
    if reduction.kind == "slice":
        indices = ", ".join(f"{_dimension_name(candidate, d)} = {reduction.fixed[d]}" for d in reduction.dimensions)
        return [f"The slice the file names in @default_slice ({indices})."]
    return []


def _dimension_name(candidate: Candidate, dimension: int) -> str:
    axis = next((axis for axis in candidate.axes if axis.dimension == dimension), None)
    return axis.name if axis is not None else f"dimension {dimension}"


def _scale_words(drawing: Drawing) -> str:
    scale = drawing.value_scale
    if drawing.data.image is not None:
        if scale.log:
            return f"Log colour scale: the values span {scale.decades:.1f} decades."
        return f"Linear colour scale: the values span {scale.decades:.1f} decades, too few for a log scale."
    words = (
        f"Log intensity axis: {drawing.candidate.signal.name} spans {scale.decades:.1f} decades"
        if scale.log
        else "Linear intensity axis"
    )
    if drawing.log_x:
        words += "; log horizontal axis"
    hidden = int(np.sum(drawing.data.curve.y <= 0)) if scale.log and drawing.data.curve is not None else 0
    if hidden:
        words += f" ({hidden} points ≤ 0 cannot be shown on it)"
    if scale.high == scale.low:
        words += f"; every value is {scale.low:g}"
    return words + "."


def choice(drawing: Drawing, skipped: list[tuple[Candidate, str]]) -> dict[str, Any]:
    """The choice made, as JSON: what the notebook redraws and the tests read back."""
    candidate, data = drawing.candidate, drawing.data
    image = data.image
    return {
        "source": candidate.source,
        "group": candidate.group,
        "signal": candidate.signal.path,
        "shape": list(candidate.shape or ()),
        "dtype": candidate.dtype,
        "errors": candidate.signal.errors if data.curve is not None and data.curve.errors is not None else None,
        "auxiliary": [series.path for series in candidate.auxiliary] if data.curve is not None else [],
        "auxiliary_labels": [series.label for series in candidate.auxiliary] if data.curve is not None else [],
        "kind": "curve" if data.curve is not None else "image",
        "plotted": list(data.plotted),
        "reduction": data.reduction.kind,
        "reduced": list(data.reduction.dimensions),
        "fixed": {str(dimension): index for dimension, index in data.reduction.fixed.items()},
        "frames": data.reduction.frames,
        "x": _coordinates_choice(data.curve.x if data.curve is not None else image.x if image else None),
        "y": _coordinates_choice(image.y) if image is not None else None,
        "x_label": drawing.x_label,
        "y_label": drawing.y_label,
        "colour_label": drawing.colour_label,
        "log": drawing.value_scale.log,
        "log_x": drawing.log_x,
        "decades": round(drawing.value_scale.decades, 2),
        "low": drawing.value_scale.low,
        "high": drawing.value_scale.high,
        "binning": list(image.binning) if image is not None else None,
        "step": data.curve.step if data.curve is not None else None,
        "equal_aspect": drawing.equal_aspect,
        "skipped": [{"signal": skip.signal.path, "reason": reason} for skip, reason in skipped],
        "axes": [asdict(axis) for axis in candidate.axes],
    }


def _coordinates_choice(coordinates: Coordinates | None) -> dict[str, Any] | None:
    if coordinates is None:
        return None
    return {"path": coordinates.path, "label": coordinates.label, "edges": coordinates.edges}
