"""Server-rendered SVG plots of the FAIR dashboard (matplotlib, no browser script, no CDN)."""

import io
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display on a server
import matplotlib.pyplot as plt

from catalogue.models import FairSnapshot
from catalogue.services.fair import HISTOGRAM_BINS, Distribution

# Text drawn as paths: the SVG carries no markup taken from instrument names.
plt.rcParams.update({"svg.fonttype": "path", "font.size": 9})
BAND_COLOURS = {"poor": "#b3261e", "moderate": "#e0a030", "good": "#8bb43c", "excellent": "#2e7d32"}


def _svg(figure: plt.Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def distribution_svg(distributions: list[Distribution]) -> bytes:
    """Per instrument, a horizontal bar split by tenths of the score (red to green), with the mean marked."""
    height = max(1.6, 0.45 * len(distributions) + 1.0)
    figure, axes = plt.subplots(figsize=(8, height))
    colours = plt.get_cmap("RdYlGn")
    for row, distribution in enumerate(distributions):
        left = 0.0
        for index, count in enumerate(distribution.histogram):
            share = count / distribution.datasets
            axes.barh(row, share, left=left, color=colours((index + 0.5) / HISTOGRAM_BINS), edgecolor="white")
            left += share
        axes.text(1.01, row, f"{distribution.datasets} datasets, mean {distribution.mean:.2f}", va="center")
    # Instrument names are the registry's and the files' words: a "$" in one must not start Matplotlib's mathtext.
    axes.set_yticks(range(len(distributions)), [d.label for d in distributions], parse_math=False)
    axes.set_xlim(0, 1)
    axes.invert_yaxis()
    axes.set_xlabel("share of the instrument's datasets, by score (red 0–0.1 … green 0.9–1)")
    axes.set_title("FAIR score distribution per instrument")
    return _svg(figure)


def history_svg(snapshots: list[FairSnapshot]) -> bytes:
    """The mean score over time: the whole site (bold) and each instrument."""
    lines: dict[str, list[tuple[object, float]]] = defaultdict(list)
    for snapshot in snapshots:
        label = (
            str(snapshot.instrument) if snapshot.instrument_id else ("all datasets" if not snapshot.facility_id else "")
        )
        if label:
            lines[label].append((snapshot.day, snapshot.mean))
    figure, axes = plt.subplots(figsize=(8, 3.6))
    for label, points in sorted(lines.items(), key=lambda item: item[0] != "all datasets"):
        days, means = zip(*points, strict=True)
        bold = label == "all datasets"
        axes.plot(days, means, marker="o", markersize=3, linewidth=2.5 if bold else 1, label=label)
    axes.set_ylim(0, 1)
    axes.set_ylabel("mean FAIR score")
    axes.set_title("FAIR score over time (daily snapshots)")
    if lines:
        for text in axes.legend(loc="lower right", fontsize=7).get_texts():
            text.set_parse_math(False)  # instrument names, as in distribution_svg
    else:
        axes.text(0.5, 0.5, "no snapshot yet: the first is taken tonight", ha="center", transform=axes.transAxes)
    figure.autofmt_xdate()
    return _svg(figure)
