"""Default plot of a NeXus file (the @default chain with the older fallbacks, nexus-ingestion.md §1.3) and a small
PNG made from strided reads, or the reason none could be made (missing plugin, missing external file). No Django.
"""

import io
from dataclasses import dataclass
from pathlib import Path

import h5py
import hdf5plugin  # noqa: F401  the preview reads compressed detector data
import numpy as np
from PIL import Image, ImageDraw

from ingest.nexus.reader import Field, Group, Tree, open_file
from ingest.nexus.values import to_text

MAX_PIXELS = 256


@dataclass(frozen=True)
class PreviewResult:
    signal_path: str
    png: bytes | None
    width: int | None = None
    height: int | None = None
    unavailable_reason: str = ""


def default_signal(tree: Tree, entry: Group) -> str | None:
    """Path of the plottable field: @default chain, NXdata @signal, field @signal=1, largest numeric field."""
    group: Group | None = entry
    for _ in range(4):  # entry @default → NXdata (or a group with its own @default)
        name = to_text(group.attrs.get("default")) if group else None
        child = tree.group(f"{group.path}/{name}") if group and name else None
        if child is None:
            break
        group = child
    if group is not None and group.nx_class == "NXdata":
        signal = _signal_of(tree, group)
        if signal:
            return signal
    datas = _nxdata_groups(tree, entry)
    for data in datas:
        signal = _signal_of(tree, data)
        if signal:
            return signal
    for data in datas:
        fields = [node for _, node in tree.members(data) if isinstance(node, Field)]
        flagged = [node for node in fields if str(node.attrs.get("signal", "")).strip() in ("1", "b'1'")]
        if flagged:
            return flagged[0].path
        numeric = [node for node in fields if np.dtype(node.dtype).kind in "iuf"]
        if numeric:
            return max(numeric, key=lambda node: node.size).path
    return None


def render(path: Path, tree: Tree, signal_path: str) -> PreviewResult:
    node = tree.field(signal_path)
    link = next((link for link in tree.links if link.link_path == tree.resolve(signal_path)), None)
    if link is not None and not link.object_exists:
        return PreviewResult(
            signal_path, None, unavailable_reason=f"data are in a missing external file: {link.written}"
        )
    if node is not None and node.is_virtual:
        missing = _missing_vds_source(tree, signal_path)
        if missing:
            return PreviewResult(signal_path, None, unavailable_reason=f"virtual dataset source missing: {missing}")
    try:
        with open_file(path) as handle:
            dataset = handle[tree.resolve(signal_path)]
            values = _strided(dataset)
    except OSError as error:
        text = str(error)
        if "filter" in text.lower() or "plugin" in text.lower():
            return PreviewResult(signal_path, None, unavailable_reason=f"needs an HDF5 filter plugin: {text[:200]}")
        return PreviewResult(signal_path, None, unavailable_reason=f"data unreadable: {text[:200]}")
    except (KeyError, TypeError, ValueError) as error:
        return PreviewResult(signal_path, None, unavailable_reason=f"data unreadable: {str(error)[:200]}")
    if values is None:
        return PreviewResult(signal_path, None, unavailable_reason="no numeric data to plot")
    image = _image(values)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")  # optimize=True costs ~50 ms per preview for a few hundred bytes
    return PreviewResult(signal_path, buffer.getvalue(), image.width, image.height)


def _signal_of(tree: Tree, data: Group) -> str | None:
    name = to_text(data.attrs.get("signal"))
    if name and tree.get(f"{data.path}/{name}") is not None or (name and _is_link(tree, f"{data.path}/{name}")):
        return f"{data.path}/{name}"
    return None


def _is_link(tree: Tree, path: str) -> bool:
    return any(link.link_path == path for link in tree.links)


def _nxdata_groups(tree: Tree, entry: Group) -> list[Group]:
    return [node for _, node in tree.members(entry) if isinstance(node, Group) and node.nx_class == "NXdata"]


def _missing_vds_source(tree: Tree, signal_path: str) -> str | None:
    """A VDS reads its absent sources as zeros without error (DLS I04): find them before reading."""
    for link in tree.links:
        if link.kind == "vds" and link.link_path == tree.resolve(signal_path) and not link.exists:
            return link.written
    with open_file(tree.path) as handle:
        dataset = handle[tree.resolve(signal_path)]
        for source in dataset.virtual_sources():
            if source.file_name == ".":
                inner = next((link for link in tree.links if link.link_path == source.dset_name), None)
                if inner is not None and not inner.object_exists:
                    return inner.written
    return None


def _strided(dataset: h5py.Dataset) -> np.ndarray | None:
    """At most MAX_PIXELS² values: the middle frame of leading dimensions, every n-th row and column."""
    if dataset.dtype.kind not in "iuf" or dataset.size == 0 or dataset.ndim == 0:
        return None
    if dataset.ndim == 1:
        step = max(1, dataset.shape[0] // 2048)
        return np.asarray(dataset[::step], dtype=float)
    index = tuple(n // 2 for n in dataset.shape[:-2])
    rows, columns = dataset.shape[-2:]
    selection = (
        *index,
        slice(None, None, max(1, rows // MAX_PIXELS)),
        slice(None, None, max(1, columns // MAX_PIXELS)),
    )
    frame = np.asarray(dataset[selection], dtype=float)
    return np.squeeze(frame) if frame.ndim > 2 else frame


def _image(values: np.ndarray) -> Image.Image:
    finite = values[np.isfinite(values)]
    if values.ndim == 1:
        return _line(values, finite)
    low, high = np.percentile(finite, [1, 99.5]) if finite.size else (0.0, 1.0)
    if low > 0 and high / max(low, 1e-12) > 100:  # detector images: log scale shows the rings
        values, low, high = np.log10(np.clip(values, low, None)), np.log10(low), np.log10(high)
    scaled = np.nan_to_num((values - low) / ((high - low) or 1.0), nan=0.0).clip(0, 1)
    return Image.fromarray((scaled * 255).astype(np.uint8), mode="L").convert("RGB")


def _line(values: np.ndarray, finite: np.ndarray) -> Image.Image:
    width, height = 320, 200
    image = Image.new("RGB", (width, height), "white")
    if finite.size < 2:
        return image
    low, high = float(finite.min()), float(finite.max())
    span = (high - low) or 1.0
    xs = np.linspace(8, width - 8, values.size)
    ys = height - 8 - (np.nan_to_num(values, nan=low) - low) / span * (height - 16)
    ImageDraw.Draw(image).line(list(zip(xs.tolist(), ys.tolist(), strict=True)), fill=(31, 94, 168), width=2)
    return image
