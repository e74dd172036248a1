"""Jupyter notebooks for a dataset and for a DOI's datasets, built with nbformat: citation and licence first, then
cells that get the files (opened in place where reachable, else downloaded from this site), print the metadata and
redraw the default plot with h5py and Matplotlib, each cell explained. Built for one caller: only what they may see.
"""

import pprint
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import nbformat
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from catalogue import visibility
from catalogue.models import DataFile, Dataset, Document, DocumentKind, Preview
from landing.datacite import metadata
from landing.services import citations, pages

MAX_DATASETS = 50  # a DOI notebook covers this many datasets; the page lists the rest
MAX_PARAMETERS = 60  # printed per dataset
# What ingestion's previews.choice records and the plot code reads; previews drawn before it have none.
CHOICE_KEYS = {"kind", "signal", "shape", "plotted", "reduction", "reduced", "fixed", "frames", "x", "y", "errors"}
CHOICE_KEYS |= {"auxiliary", "auxiliary_labels", "x_label", "y_label", "colour_label", "log", "log_x", "decades"}
CHOICE_KEYS |= {"low", "high", "step", "equal_aspect", "axes"}


class NothingToShow(Exception):
    """The caller may see no dataset of this DOI."""


@dataclass(frozen=True)
class Part:
    """One dataset as a notebook shows it to its caller."""

    dataset: Dataset
    files: list[dict[str, Any]]  # empty when the caller may not download them
    downloadable: bool
    preview: Preview | None


def dataset_notebook(*, dataset: Dataset, user: visibility.User) -> NotebookNode:
    """The notebook of one dataset; the caller has checked that `user` may see it."""
    citing = pages.citing_document(dataset)
    record = (
        metadata.document_metadata(document=citing, user=user)
        if citing
        else metadata.dataset_metadata(dataset=dataset, citing=None, user=user)
    )
    licence = metadata.licence_of(dataset.proposal)
    landing = metadata.site_url(reverse("landing-dataset", kwargs={"pid": dataset.pid}))
    doi = citing.doi if citing else None
    part = _part(dataset, user)
    cells = [
        new_markdown_cell(_heading(dataset.title, record=record, licence=licence, landing=landing, doi=doi)),
        *_setup_cells([part]),
        *_dataset_cells(part, heading="##"),
    ]
    return _notebook(cells, title=dataset.title)


def document_notebook(*, document: Document, user: visibility.User) -> NotebookNode:
    """The notebook of a DOI's datasets that `user` may see (the first MAX_DATASETS); raises NothingToShow."""
    if visibility.public_stub_only(user, document) or (
        document.kind == DocumentKind.COLLECTION and not visibility.can_view_document(user, document)
    ):
        raise NothingToShow(document.doi)
    visible = metadata.visible_datasets(document=document, user=user).select_related(
        "instrument__facility", "proposal__facility"
    )
    datasets = list(visible[:MAX_DATASETS])
    if not datasets:
        raise NothingToShow(document.doi)
    record = metadata.document_metadata(document=document, user=user)
    landing = metadata.site_url(reverse("landing-doi", kwargs={"doi": document.doi}))
    parts = [_part(dataset, user) for dataset in datasets]
    total = visible.count()
    heading = _heading(
        record["titles"][0]["title"], record=record, licence=metadata.licence_of(document), landing=landing,
        doi=document.doi,
    )  # fmt: skip
    listed = f"It covers the {len(parts)} datasets you may see" + (
        f" (the first {len(parts)} of {total}; the landing page lists them all)." if total > len(parts) else "."
    )
    cells = [new_markdown_cell(heading + "\n\n" + listed), *_setup_cells(parts)]
    for number, part in enumerate(parts, start=1):
        cells += _dataset_cells(part, heading=f"## {number}.")
    return _notebook(cells, title=record["titles"][0]["title"])


def to_json(notebook: NotebookNode) -> str:
    nbformat.validate(notebook)
    return nbformat.writes(notebook)


# --- what each part holds -------------------------------------------------------------------------------------------


def _part(dataset: Dataset, user: visibility.User) -> Part:
    downloadable = visibility.can_download_dataset(user, dataset)
    preview = Preview.objects.filter(dataset=dataset).first() if downloadable else None
    files = []
    if downloadable:
        rows = dataset.data_files.filter(is_missing=False)
        for row in sorted(rows, key=lambda row: (row.role != DataFile.Role.MASTER, row.path)):
            url = pages.optional_url("download-file", pid=dataset.pid, file_id=row.pk)
            files.append(
                {
                    "path": row.path,
                    "role": row.role,
                    "size": row.size,
                    "checksum": row.checksum,
                    "algorithm": row.checksum_algorithm,
                    "url": metadata.site_url(url) if url else None,
                    "local_path": str(Path(dataset.source_folder) / row.path) if dataset.source_folder else None,
                }
            )
    return Part(dataset=dataset, files=files, downloadable=downloadable, preview=preview)


def _metadata(dataset: Dataset) -> dict[str, Any]:
    facility = dataset.instrument.facility if dataset.instrument else dataset.proposal.facility
    parameters = dataset.parameters.order_by("name")[:MAX_PARAMETERS]
    return {
        "pid": dataset.pid,
        "title": dataset.title,
        "kind": dataset.kind,
        "landing_page": metadata.site_url(reverse("landing-dataset", kwargs={"pid": dataset.pid})),
        "facility": facility.name if facility else None,
        "instrument": dataset.instrument.name if dataset.instrument else None,
        "techniques": list(dataset.techniques.values_list("name", flat=True)),
        "samples": list(dataset.samples.values_list("name", flat=True)),
        "measured_from": _iso(dataset.start_time),
        "measured_to": _iso(dataset.end_time),
        "public_from": _iso(dataset.release_date),
        "definitions": list(dataset.definitions),
        "parameters": [
            (parameter.name, parameter.raw_value, parameter.raw_unit)
            for parameter in parameters
            if parameter.raw_value != ""
        ],
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# --- cells ------------------------------------------------------------------------------------------------------------


def _notebook(cells: list[NotebookNode], *, title: str) -> NotebookNode:
    notebook = new_notebook(cells=cells)
    notebook.metadata.update(
        {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
            "title": title,
        }
    )
    return notebook


def _markdown_text(text: str) -> str:
    """Catalogue text inside markdown: no HTML, no accidental emphasis or headings."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for character in "\\`*_[]#|":
        escaped = escaped.replace(character, "\\" + character)
    return escaped


def _heading(title: str, *, record: metadata.Record, licence: str, landing: str, doi: str | None) -> str:
    name, url = metadata.licence_details(licence)
    lines = [
        f"# {_markdown_text(title)}",
        "",
        f"**Cite as:** {_markdown_text(citations.citation(record))}",
        "",
        f"**Licence:** [{_markdown_text(name)}]({url}): reuse the data as it allows, citing them as above.",
        "",
        f"**Landing page:** <{landing}>" + (f" · **DOI:** <{metadata.doi_url(doi)}>" if doi else ""),
        "",
        f"*Made by PaN Commons ({settings.SITE_URL}) on {timezone.now():%d %B %Y}. Run the cells from the top: "
        "the notebook gets the files, prints what the catalogue and the files say about them, and redraws the "
        "default plot shown on the landing page.*",
    ]
    return "\n".join(lines)


SETUP = """\
import hashlib
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import h5py
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm, Normalize

try:
    import hdf5plugin  # noqa: F401  decompresses the bitshuffle/LZ4, Blosc and Zstd filters of detector data
except ImportError:
    print("hdf5plugin is not installed: compressed detector data cannot be read (pip install hdf5plugin)")"""

PARAMETERS = """\
USE_LOCAL_FILES = True  # open a file where it lies when its folder is reachable from here
DATA_DIR = Path("pancommons-data")  # where downloaded files are kept
API_TOKEN = os.environ.get("PANCOMMONS_API_TOKEN", "")  # only for embargoed data: a token from the data office"""

HELPERS = '''\
def get_file(file):
    """The local path of one file: in place when reachable, else downloaded once into DATA_DIR, checksum checked."""
    if USE_LOCAL_FILES and file["local_path"] and Path(file["local_path"]).is_file():
        return Path(file["local_path"])
    target = DATA_DIR / file["dataset"] / file["path"]
    if target.is_file() and target.stat().st_size == file["size"]:
        return target
    if not file["url"]:
        raise RuntimeError(f"{file['path']} cannot be downloaded from this site")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    headers = {"Authorization": f"Token {API_TOKEN}"} if API_TOKEN else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(file["url"], headers=headers)) as response:
            with open(partial, "wb") as out:
                shutil.copyfileobj(response, out, 1024 * 1024)
    except urllib.error.HTTPError as error:
        raise RuntimeError(
            f"{file['url']} answered {error.code}: embargoed files need the team's login (see above)"
        ) from None
    if file["checksum"]:
        digest = hashlib.new(file["algorithm"])
        with open(partial, "rb") as downloaded:
            for block in iter(lambda: downloaded.read(1024 * 1024), b""):
                digest.update(block)
        if digest.hexdigest() != file["checksum"]:
            partial.unlink()
            raise RuntimeError(f"{file['path']}: the checksum does not match; download it again")
    partial.replace(target)
    return target


def text(value):
    """An attribute as text: HDF5 stores strings as bytes, sometimes in one-element arrays."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(-1)[0]
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def print_tree(group, depth=0, limit=60):
    """Groups with their NeXus class and fields with shape, type and units, at most `limit` lines."""
    for name in group:
        if limit <= 0:
            print("  " * depth + "…")
            return 0
        limit -= 1
        item = group.get(name)
        if isinstance(item, h5py.Group):
            print("  " * depth + f"{name}/  {text(item.attrs.get('NX_class', ''))}")
            limit = print_tree(item, depth + 1, limit)
        elif isinstance(item, h5py.Dataset):
            value = item[()] if item.size == 1 and item.dtype.kind in "iufS" else ""
            units = text(item.attrs.get("units", ""))
            print("  " * depth + f"{name}  {item.shape} {item.dtype} {units} {value}".rstrip())
        else:
            print("  " * depth + f"{name}  (a link whose target is missing)")
    return limit


def valid(values, dtype):
    """Float values, gaps and bad pixels as NaN: the largest value of an unsigned type, negatives of a signed one."""
    data = np.asarray(values, dtype=float)
    if dtype.kind == "u":
        data[np.asarray(values) == np.iinfo(dtype).max] = np.nan
    elif dtype.kind == "i":
        data[np.asarray(values) < 0] = np.nan
    return data


def edges(values, count):
    """Pixel edges along an axis: the file's own edges (one more than pixels), or midway between its centres."""
    if values is None:
        return np.arange(count + 1) - 0.5  # pixel numbers
    values = np.asarray(values, dtype=float)
    if values.size == count + 1:
        return values
    middles = (values[:-1] + values[1:]) / 2
    return np.concatenate([[2 * values[0] - middles[0]], middles, [2 * values[-1] - middles[-1]]])


def draw_image(ax, image, x, y, norm):
    """An image over its coordinates: a fast image when they are evenly spaced, else a mesh."""
    x, y = edges(x, image.shape[1]), edges(y, image.shape[0])
    options = {"norm": norm, "cmap": "viridis"}
    if np.allclose(np.diff(x), np.diff(x).mean()) and np.allclose(np.diff(y), np.diff(y).mean()):
        extent = (x[0], x[-1], y[0], y[-1])
        return ax.imshow(image, origin="lower", extent=extent, aspect="auto", interpolation="nearest", **options)
    return ax.pcolormesh(x, y, image, shading="flat", **options)'''


def _setup_cells(parts: list[Part]) -> list[NotebookNode]:
    any_files = any(part.files for part in parts)
    cells = [
        new_markdown_cell(
            "## Setup\n\nThe code needs Python 3 with `h5py`, `hdf5plugin` (compressed detector data), `numpy` and "
            "`matplotlib`:\n\n    pip install h5py hdf5plugin numpy matplotlib\n\nThe next cell imports them."
        ),
        new_code_cell(SETUP),
    ]
    if not any_files:
        return cells
    cells += [
        new_markdown_cell(_access_text(parts)),
        new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
        new_markdown_cell(
            "The next cell defines the helpers the rest uses: `get_file` (open in place, or download once and check "
            "the checksum), `print_tree` (the file's groups and fields), `valid` (detector gaps and bad pixels "
            "masked) and `draw_image`."
        ),
        new_code_cell(HELPERS),
    ]
    return cells


def _access_text(parts: list[Part]) -> str:
    closed = [part.dataset for part in parts if part.files and not visibility.is_open(part.dataset)]
    text = (
        "## Getting the files\n\nEach file is opened where it lies when this notebook runs on a machine that sees "
        "the facility's storage (its JupyterHub, say). Elsewhere it is downloaded from "
        f"{settings.SITE_URL} into `DATA_DIR`, once, and its checksum is checked. Set `USE_LOCAL_FILES = False` "
        "below to always download."
    )
    if not closed:
        return text + "\n\nThe data are open: the downloads need no login."
    until = min(dataset.release_date for dataset in closed)
    return (
        text + f"\n\n**Embargoed data:** {len(closed)} of these datasets stay closed to all but their team until "
        f"{until:%d %B %Y}. Their download links work only with the team's login, which a notebook does not "
        "have: run it in your browser's session by downloading the files from the landing page (logged in) into "
        "`DATA_DIR` under the same paths, or set `PANCOMMONS_API_TOKEN` to an API token from the data office before "
        "starting Jupyter. A JupyterHub or Binder session cannot use your browser's login."
    )


def _dataset_cells(part: Part, *, heading: str) -> list[NotebookNode]:
    dataset = part.dataset
    slug = _slug(dataset.pid)
    cells = [
        new_markdown_cell(
            f"{heading} {_markdown_text(dataset.title)}\n\nWhat the catalogue records about this dataset: "
            "identifiers, where and when it was measured, the sample, the technique and the parameters read from "
            "the file at ingestion (values and units as the file writes them)."
        ),
        new_code_cell(
            f"dataset = {_literal(_metadata(dataset))}\n\nfor key, value in dataset.items():\n"
            '    print(f"{key:>14}: {value}")'
        ),  # fmt: skip
    ]
    if not part.downloadable:
        cells.append(
            new_markdown_cell(
                f"The files of this dataset open on {dataset.release_date:%d %B %Y}; until then only its team may "
                "download them, so this notebook shows its metadata only."
            )
        )
        return cells
    if not part.files:
        cells.append(new_markdown_cell("No file of this dataset is on the facility's storage any more."))
        return cells
    files = [{**file, "dataset": slug} for file in part.files]
    cells += [
        new_markdown_cell(
            "Its files (the master file first, then the files it links to), opened in place or downloaded. The "
            "master file is opened with h5py and its tree printed: NeXus classes of the groups, shape, type and "
            "units of the fields."
        ),
        new_code_cell(
            f"files = {_literal(files)}\n\npaths = [get_file(file) for file in files]\nmaster = paths[0]\n"
            f'print(master)\n\nwith h5py.File(master, "r") as f:\n    print_tree(f[{dataset.entry_path or "/"!r}])'
        ),
    ]
    cells += _plot_cells(part)
    return cells


def _plot_cells(part: Part) -> list[NotebookNode]:
    preview = part.preview
    if preview is None or not preview.choice.keys() >= CHOICE_KEYS:
        reason = (
            "the dataset was ingested without one"
            if preview is None
            else preview.unavailable_reason or "its preview was drawn by an older version of the site"
        )
        return [
            new_markdown_cell(
                f"**No default plot** could be drawn for this dataset: {_markdown_text(reason)}. The tree above shows "
                "what the file holds; read any field with `f[path][...]` and plot it."
            )
        ]
    choice = preview.choice
    explanation = (
        f"**The default plot.** {_markdown_text(preview.caption)}\n\nThe next cell reads the same data as the preview "
        "on the landing page (a stack too large to sum is read one frame at a time, never whole) and draws them; "
        "change the selection in `signal[…]` to look at other frames."
    )
    code = _curve_code(choice) if choice["kind"] == "curve" else _image_code(choice)
    return [new_markdown_cell(explanation), new_code_cell(code)]


def _selection(choice: dict[str, Any]) -> tuple[str, tuple[int, ...]]:
    """The h5py selection of the preview's data and the axes of the result to sum (a stack or scan summed)."""
    shape = choice["shape"]
    fixed = {int(dimension): index for dimension, index in choice["fixed"].items()}
    parts, kept = [], []
    for dimension in range(len(shape)):
        if dimension in fixed:
            parts.append(str(fixed[dimension]))
        else:
            step = choice.get("step") or 1
            parts.append(f"::{step}" if dimension in choice["plotted"] and step > 1 else ":")
            kept.append(dimension)
    summed = tuple(kept.index(d) for d in choice["reduced"] if d in kept) if choice["reduction"] == "sum" else ()
    return ", ".join(parts), summed


def _axis_code(choice: dict[str, Any], which: str) -> str:
    """Code reading one axis (the line through a multi-dimensional coordinate field), or None."""
    coordinates = choice[which]
    if coordinates is None:
        return "None"
    axis = next((axis for axis in choice["axes"] if axis["path"] == coordinates["path"]), None)
    if axis is None or len(axis["spans"]) == 1:
        return f"f[{coordinates['path']!r}][...]"
    line = ", ".join(":" if dimension == axis["dimension"] else "0" for dimension in axis["spans"])
    return f"f[{coordinates['path']!r}][{line}]"


def _read_code(choice: dict[str, Any], name: str) -> list[str]:
    selection, summed = _selection(choice)
    # The label is the file writer's text (a long_name): on one line, or a line break would start code of its own.
    label = " ".join(str(choice["y_label"] if choice["kind"] == "curve" else choice["colour_label"]).split())
    lines = [
        f"    signal = f[{choice['signal']!r}]  # {label}, shape {tuple(choice['shape'])}",
        f"    data = valid(signal[{selection}], signal.dtype)",
    ]
    if summed:
        axes = summed[0] if len(summed) == 1 else summed
        lines += [
            f"    {name} = np.nansum(data, axis={axes})  # the sum of the {choice['frames']} frames, as in the preview",
            f"    {name}[np.isnan(data).all(axis={axes})] = np.nan",
        ]
    else:
        lines.append(f"    {name} = data")
    return lines


def _curve_code(choice: dict[str, Any]) -> str:
    lines: list[str | None] = [
        'with h5py.File(master, "r") as f:',
        *_read_code(choice, "y"),
        f"    x = {_axis_code(choice, 'x')}",
    ]
    selection, summed = _selection(choice)
    if choice["errors"]:
        reduce = f"np.sqrt(np.nansum(errors ** 2, axis={summed[0] if len(summed) == 1 else summed}))" if summed else ""
        read = f"np.asarray(f[{choice['errors']!r}][{selection}], dtype=float)"
        lines.append(f"    errors = np.abs({read})  # ILL's canSAS file stores some uncertainties signed")
        if reduce:
            lines.append(f"    errors = {reduce}")
    for number, path in enumerate(choice["auxiliary"]):
        line = f"np.asarray(f[{path!r}][{selection}], dtype=float)"
        lines.append(f"    auxiliary_{number} = " + (f"np.nansum({line}, axis={summed})" if summed else line))
    step = choice.get("step") or 1
    lines += [
        "",
        "if x is None:",
        f"    x = np.arange(y.size) * {step}  # the file gives no coordinates: point numbers",
        "elif x.size == y.size + 1:",
        "    x = (x[:-1] + x[1:]) / 2  # bin edges: plot at the bin centres",
        f"x = x[::{step}][: y.size]" if step > 1 else None,
        "",
        'fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")',
        (
            'ax.errorbar(x, y, yerr=errors, fmt="o-", markersize=3, capsize=0)'
            if choice["errors"]
            else 'ax.plot(x, y, "-")'
        ),
    ]
    for number, label in enumerate(choice["auxiliary_labels"]):
        lines.append(f"ax.plot(x, auxiliary_{number}, label={label!r})")
    if choice["auxiliary"]:
        lines.append("ax.legend()")
    if choice["log"]:
        lines.append(f'ax.set_yscale("log")  # {choice["decades"]} decades of intensity: a log axis, as in the preview')
    if choice["log_x"]:
        lines.append('ax.set_xscale("log")')
    lines += [f"ax.set_xlabel({choice['x_label']!r})", f"ax.set_ylabel({choice['y_label']!r})", "plt.show()"]
    return "\n".join(line for line in lines if line is not None)


def _image_code(choice: dict[str, Any]) -> str:
    lines: list[str | None] = [
        'with h5py.File(master, "r") as f:',
        *_read_code(choice, "image"),
        f"    y = {_axis_code(choice, 'y')}",
        f"    x = {_axis_code(choice, 'x')}",
        "",
    ]
    if choice["log"]:
        lines += [
            f"low, high = {choice['low']:.6g}, {choice['high']:.6g}  # the preview's log scale: "
            f"{choice['decades']} decades",
            "image = np.where(image < low, low, image)  # zeros and negatives at the foot of the scale",
            "norm = LogNorm(vmin=low, vmax=high, clip=True)",
        ]
    else:
        lines += [
            "low, high = np.nanpercentile(image, [0.5, 99.5])  # a linear scale, as in the preview",
            "norm = Normalize(vmin=low, vmax=high, clip=True)",
        ]
    lines += [
        "",
        'fig, ax = plt.subplots(figsize=(8, 6), layout="constrained")',
        "mappable = draw_image(ax, image, x, y, norm)",
        'ax.set_aspect("equal")' if choice["equal_aspect"] else None,
        f"fig.colorbar(mappable, ax=ax, label={choice['colour_label']!r})",
        f"ax.set_xlabel({choice['x_label']!r})",
        f"ax.set_ylabel({choice['y_label']!r})",
        "plt.show()",
    ]
    return "\n".join(line for line in lines if line is not None)


def _slug(pid: str) -> str:
    return "".join(character if character.isalnum() or character in "-." else "_" for character in pid)


def _literal(value: Any) -> str:
    """A Python literal of catalogue values (repr escapes every string)."""
    return pprint.pformat(value, width=110, sort_dicts=False)
