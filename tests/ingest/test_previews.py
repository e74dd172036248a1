"""Previews over every sample file: the plot chosen, labels and units read back from the file with h5py, the colour
scale a detector image gets (never near black), stacks and fallbacks said in the caption. No database."""

import dataclasses
import json
import re
from dataclasses import dataclass
from pathlib import Path

import h5py
import hdf5plugin  # noqa: F401  APS 12-ID-B is bitshuffle-compressed
import numpy as np
import pytest
from matplotlib.container import ErrorbarContainer

from ingest.nexus import extract, plot_data, plots, previews, reader
from tests.conftest import SAMPLES_DIR

MANIFEST = json.loads((SAMPLES_DIR / "manifest.json").read_text())
REAL_FILES = [record["file"] for record in MANIFEST]
SYNTHETIC_FILES = sorted(f"synthetic-appdefs/{path.name}" for path in SAMPLES_DIR.glob("synthetic-appdefs/*.hdf5"))
LINK_TARGETS = {"httomo/k11-18014/k11-18014-imaging.h5", "httomo/k11-18014/k11-18014-pcompPanda.h5"}


@dataclass(frozen=True)
class Expected:
    """What a scientist reading the file would plot (written from shared/nexus-samples and the files themselves)."""

    signal: str
    kind: str  # curve or image
    x: str | None = None  # name of the field on the horizontal axis (None: point or pixel numbers)
    y: str | None = None  # images: the field along the rows
    source: str = plots.DEFAULT
    errors: bool = False
    log: bool | None = None  # None: either suits the data


EXPECTED = {
    "exampledata/DLS_i16_538039.nxs": Expected("/entry1/pil100k/sum", "curve", x="eta", source=plots.FIELD),
    "exampledata/APS_9IDC_NXsas_nexus-example.hdf5": Expected(
        "/entry/data/frames", "image", x="horizontal", y="vertical"
    ),
    "exampledata/APS_15IDD_AgBehenate_228.hdf5": Expected("/entry/data/data", "image", source=plots.NXDATA, log=True),
    "exampledata/APS_34ID_not_complete.h5": Expected("/entry1/data/data", "image", source=plots.NXDATA),
    "exampledata/IPNS_LRMECS_lrcs3701.nx5": Expected(
        "/Histogram1/data/data", "image", x="time_of_flight", y="polar_angle", source=plots.NXDATA, log=True
    ),
    "exampledata/ANSTO_Platypus_PLP0006018.nx.hdf": Expected(
        "/entry1/data/hmm", "image", x="y_bin", y="time_of_flight", source=plots.NXDATA, log=True
    ),
    "exampledata/SLS_STXM_Sample_Stack_128.hdf5": Expected(
        "/entry1/counter0/data", "image", x="sample_x", y="sample_y", source=plots.NXDATA, log=False
    ),
    "exampledata/SOLEIL_DIFFABS_file_2.nxs": Expected(
        "/theta_00062_salsa.scan 1D.Timescan.tscan_Cpt_Basler_MStat_xbpms_00001/scan_data/data_1",
        "curve",
        source=plots.NXDATA,
    ),
    "exampledata/PSI_SINQ_DMC_dmc01.h5": Expected("/entry1/data1/counts", "curve", x="two_theta", source=plots.NXDATA),
    # theta of the merged banks is not monotonic: the rows are detector numbers
    "exampledata/PSI_SINQ_FOCUS_focus2007n001335.hdf": Expected(
        "/entry1/merged/counts", "image", x="time_binning", source=plots.NXDATA, log=True
    ),
    "exampledata/PSI_SINQ_SANS_sans2009n012333.hdf": Expected(
        "/entry1/data1/counts", "image", x="detector_y", y="detector_x", source=plots.NXDATA, log=True
    ),
    "punx/APS_12IDB_S2p5min_00070_00001.h5": Expected("/entry/data/data", "image", source=plots.NXDATA),
    "punx/APS_9IDC_USAXS_flyScan_GC_M4_NewD_15.h5": Expected("/entry/flyScan/mca3", "curve"),
    "punx/APS_33ID_spec_22_2D.hdf5": Expected("/S22/data/I0", "image", x="chi", y="eta", log=False),
    "punx/SOLEIL_SIXS_scan101.nxs": Expected("/com_05551/scan_data/data_01", "image", source=plots.NXDATA, log=True),
    "punx/NIST_SANS_cs_af1410.h5": Expected("/AF1410_10/AF1410_a10/I", "curve", x="Q", errors=True, log=True),
    "sasdata/ISIS_LARMOR_14250_2D_NXcanSAS_v3.h5": Expected(
        "/sasentry01/sasdata/I", "image", x="Qx", y="Qy", source=plots.NXDATA, log=True
    ),
    "sasdata/APS_Nika_FK403_0006.hdf": Expected("/FK403_0006_270_30/_1D_270_30/I", "curve", x="Q", errors=True),
    "NXcanSAS_examples/DLS_I22_gc14.h5": Expected("/sasentry/sasdata/I", "curve", x="Q"),
    "NXcanSAS_examples/ILL_D22_sasxml_example.h5": Expected("/sasentry/sasdata/I", "curve", x="Q", errors=True),
    "Savu/DLS_I13_24888.nxs": Expected("/entry1/pco1_hw_hdf/ionc_i", "curve", x="ss1_rot", source=plots.FIELD),
    "Savu/DLS_multimodal_mm.nxs": Expected("/entry1/xrd_entry/data/data", "image", source=plots.NXDATA),
    "httomo/k11-18014.nxs": Expected("/entry/imaging/data", "image", source=plots.NXDATA, log=False),
    "pynxtools-xps/BESSY_Cu-HHTP.ibw.nxs": Expected("/Cu_HHTP__005__VB/data/data", "curve", x="energy", errors=True),
}
# No preview, and the words the reason must hold.
UNAVAILABLE = {
    "exampledata/DLS_i04_Therm_6_2.nxs": "Therm_6_2_000001.h5",  # a VDS whose source file is absent reads as zeros
    "exampledata/DLS_p45-1168.nxs": "missing external file",
    "exampledata/DLS_thaumatin_integrated.nxs": "no plottable data",
    "scicat-ingestor/ESS_ODIN_small-coda.hdf": "no plottable data",
    "scicat-ingestor/ESS_YMIR_small-ymir.hdf": "no plottable data",
    "RefRed/SNS_REF_L_188300.nxs.h5": "no plottable data",  # neutron events only: nothing histogrammed to plot
}


def test_every_real_sample_file_is_expected_or_explained():
    assert set(REAL_FILES) - LINK_TARGETS == set(EXPECTED) | set(UNAVAILABLE)


def entry_of(relative: str) -> tuple[Path, reader.Tree, reader.Group]:
    path = SAMPLES_DIR / relative
    tree = reader.read_tree(path, source_folder=path.parent)
    entry = tree.group(extract.extract(tree, relative_path=path.name).entry_path)
    assert entry is not None
    return path, tree, entry


@pytest.fixture(scope="module")
def drawn() -> dict[str, tuple[previews.Drawing | None, list]]:
    """The drawing chosen for every sample master file (read once for the module)."""
    return {relative: previews.choose(*entry_of(relative)) for relative in [*EXPECTED, *UNAVAILABLE]}


def expected_label(handle: h5py.File, path: str) -> tuple[str, str | None]:
    """(name, units) a label must show, read straight from the file: long_name, else the field's name."""
    attrs = handle[path].attrs

    def text(key: str) -> str | None:
        value = attrs.get(key)
        if isinstance(value, np.ndarray):
            value = value.reshape(-1)[0] if value.size else None
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        return value.strip() if isinstance(value, str) and value.strip() else None

    units = text("units")
    if units is not None and re.fullmatch(r"NX_\w+|no ?units?|none", units, re.IGNORECASE):
        units = None
    return text("long_name") or path.rpartition("/")[2], units


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_preview_plots_what_the_file_marks_with_its_axes(drawn, relative):
    expected = EXPECTED[relative]
    drawing, _ = drawn[relative]
    assert drawing is not None
    assert drawing.candidate.signal.path == expected.signal
    assert drawing.candidate.source == expected.source
    data = drawing.data
    assert (data.curve is not None) == (expected.kind == "curve")
    x = data.curve.x if data.curve is not None else data.image.x
    assert (x.path.rpartition("/")[2] if x else None) == expected.x
    if data.image is not None:
        assert (data.image.y.path.rpartition("/")[2] if data.image.y else None) == expected.y
    if expected.log is not None:
        assert drawing.value_scale.log == expected.log


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_labels_and_units_on_the_figure_come_from_the_file(drawn, relative):
    drawing, _ = drawn[relative]
    figure = previews.figure(drawing, previews.PAGE)
    axes = figure.axes[0]
    data = drawing.data
    with h5py.File(SAMPLES_DIR / relative, "r") as handle:
        signal_label = axes.get_ylabel() if data.curve is not None else figure.axes[1].get_ylabel()
        name, units = expected_label(handle, drawing.candidate.signal.path)
        assert name in signal_label and (units is None or units in signal_label), signal_label
        axis_labels = {"x": axes.get_xlabel()}
        coordinates = {"x": data.curve.x if data.curve is not None else data.image.x}
        if data.image is not None:
            axis_labels["y"], coordinates["y"] = axes.get_ylabel(), data.image.y
        for which, label in axis_labels.items():
            if coordinates[which] is None:
                assert label in ("point number", "pixel"), label
                continue
            name, units = expected_label(handle, coordinates[which].path)
            assert name in label and (units is None or units in label), (which, label)


def luminance(figure) -> np.ndarray:
    """Luminance (0–1) of the data pixels of the figure's image, without masked (grey) and empty (white) ones."""
    figure.canvas.draw()
    pixels = np.asarray(figure.canvas.buffer_rgba())[..., :3].astype(float) / 255
    box = figure.axes[0].get_window_extent()
    height = pixels.shape[0]
    inside = pixels[int(height - box.y1) + 2 : int(height - box.y0) - 2, int(box.x0) + 2 : int(box.x1) - 2]
    flat = inside.reshape(-1, 3)
    grey = np.all(np.abs(flat - 0xD0 / 255) < 0.02, axis=1)
    white = np.all(flat > 0.98, axis=1)
    return flat[~grey & ~white] @ np.array([0.2126, 0.7152, 0.0722])


def near_black(figure) -> bool:
    """Most of the image at the colour scale's dark foot, or no spread over the scale."""
    values = luminance(figure)
    foot = 0.07  # viridis' darkest colour
    low, median, high = np.percentile(values, [5, 50, 95])
    return bool(median - foot < 0.1 or high - low < 0.12)


IMAGES = sorted(relative for relative, expected in EXPECTED.items() if expected.kind == "image")


@pytest.mark.parametrize("relative", IMAGES)
def test_detector_image_is_not_near_black_and_its_scale_suits_its_range(drawn, relative):
    drawing, _ = drawn[relative]
    assert not near_black(previews.figure(drawing, previews.PAGE))
    with h5py.File(SAMPLES_DIR / relative, "r") as handle:
        dataset = handle[drawing.candidate.signal.path]
        raw = np.squeeze(dataset[()])  # every sample file is small enough to read whole here
    frame = raw.astype(float)
    if np.issubdtype(raw.dtype, np.unsignedinteger):
        frame[raw == np.iinfo(raw.dtype).max] = np.nan
    if frame.ndim > 2:  # a stack, summed as the preview does
        frame = np.nansum(frame, axis=tuple(range(frame.ndim - 2)))
    positive = frame[np.isfinite(frame) & (frame > 0)]
    decades = np.log10(np.divide(*np.percentile(positive, [99.5, 5]))) if positive.size > 10 else 0.0
    if decades > 2.5:
        assert drawing.value_scale.log, decades
    if decades < 1.0:
        assert not drawing.value_scale.log, decades
    words = "Log colour scale" if drawing.value_scale.log else "Linear colour scale"
    assert words in previews.caption(drawing, [])


def test_a_linear_scale_on_a_diffraction_image_would_be_near_black(drawn):
    """The check above can fail: AgBehenate's rings on the linear scale the old thumbnails used are near black."""
    drawing, _ = drawn["exampledata/APS_15IDD_AgBehenate_228.hdf5"]
    values = drawing.data.image.values
    linear = previews.Scale(False, float(np.nanmin(values)), float(np.nanmax(values)), 0.0)
    assert near_black(previews.figure(dataclasses.replace(drawing, value_scale=linear), previews.PAGE))


def test_curves_show_their_uncertainties(drawn):
    for relative, expected in EXPECTED.items():
        drawing, _ = drawn[relative]
        if expected.kind != "curve":
            continue
        axes = previews.figure(drawing, previews.PAGE).axes[0]
        shown = any(isinstance(container, ErrorbarContainer) for container in axes.containers) or bool(axes.collections)
        assert shown == expected.errors, relative
        assert (drawing.data.curve.errors is not None) == expected.errors


def test_log_intensity_is_chosen_from_the_range_and_said(drawn):
    drawing, _ = drawn["punx/NIST_SANS_cs_af1410.h5"]
    assert drawing.value_scale.log and drawing.value_scale.decades > 2
    assert "Log intensity axis: I spans 2.4 decades" in previews.caption(drawing, [])
    assert previews.figure(drawing, previews.PAGE).axes[0].get_yscale() == "log"
    flat, _ = drawn["pynxtools-xps/BESSY_Cu-HHTP.ibw.nxs"]  # a valence band: one decade
    assert not flat.value_scale.log and "Linear intensity axis" in previews.caption(flat, [])


def test_stack_is_summed_and_the_caption_says_so(drawn):
    drawing, _ = drawn["exampledata/APS_9IDC_NXsas_nexus-example.hdf5"]
    assert drawing.data.reduction.kind == "sum" and drawing.data.reduction.frames == 10
    with h5py.File(SAMPLES_DIR / "exampledata/APS_9IDC_NXsas_nexus-example.hdf5", "r") as handle:
        frames = handle["/entry/data/frames"][...].astype(float)
    assert np.allclose(drawing.data.image.values, frames.sum(axis=0))
    assert "The sum of its 10 frames (along sample_times)." in previews.caption(drawing, [])


def test_a_missing_default_plot_is_said_and_another_signal_shown(drawn):
    drawing, skipped = drawn["httomo/k11-18014.nxs"]
    assert skipped[0][0].source == plots.DEFAULT and "missing external file" in skipped[0][1]
    text = previews.caption(drawing, skipped)
    assert text.startswith("The default plot (/entry/EtherCAT/data) cannot be drawn")
    assert "Shown instead: data of /entry/imaging." in text


@pytest.mark.parametrize("relative", sorted(UNAVAILABLE))
def test_file_without_a_plottable_signal_says_why(relative):
    result = previews.make(*entry_of(relative))
    assert result.png is None and result.card_png is None
    assert UNAVAILABLE[relative] in result.unavailable_reason


@pytest.mark.parametrize("relative", SYNTHETIC_FILES)
def test_synthetic_application_definitions_hold_no_plottable_data(relative):
    """The NXDL-generated files hold placeholders: single values, which are no plot."""
    result = previews.make(*entry_of(relative))
    assert result.png is None
    assert "single value" in result.unavailable_reason or "no plottable data" in result.unavailable_reason


def test_preview_is_drawn_at_page_and_card_size_with_caption_and_choice():
    result = previews.make(*entry_of("sasdata/ISIS_LARMOR_14250_2D_NXcanSAS_v3.h5"))
    assert result.png.startswith(b"\x89PNG") and result.card_png.startswith(b"\x89PNG")
    assert (result.width, result.height, result.card_width, result.card_height) == (768, 480, 224, 168)
    assert result.caption.startswith("No default plot in the file: shown is its largest NXdata with a signal: I (1/cm)")
    assert result.choice["signal"] == "/sasentry01/sasdata/I" and result.choice["log"] is True
    assert result.choice["x"]["path"] == "/sasentry01/sasdata/Qx" and result.choice["kind"] == "image"
    json.dumps(result.choice)  # stored as JSON


# --- NeXus conventions and bounded reads, on files written here -------------------------------------------------------


def nexus_file(path: Path, build) -> tuple[Path, reader.Tree, reader.Group]:
    with h5py.File(path, "w") as handle:
        entry = handle.create_group("entry")
        entry.attrs["NX_class"] = "NXentry"
        build(entry)
    tree = reader.read_tree(path, source_folder=path.parent)
    entry = tree.group("/entry")
    assert entry is not None
    return path, tree, entry


def nxdata(parent: h5py.Group, name: str, **attrs: object) -> h5py.Group:
    group = parent.create_group(name)
    group.attrs["NX_class"] = "NXdata"
    group.attrs.update(attrs)
    return group


def test_default_chain_through_a_subgroup_with_axes_indices_errors_and_auxiliary_signals(tmp_path):
    def build(entry: h5py.Group) -> None:
        entry.attrs["default"] = "process"
        process = entry.create_group("process")
        process.attrs.update({"NX_class": "NXprocess", "default": "result"})
        data = nxdata(process, "result", signal="I", auxiliary_signals=["fit"], axes=["Q"], Q_indices=0)
        data["I"] = np.geomspace(1e4, 1.0, 50)
        data["I"].attrs["units"] = "1/cm"
        data["I_errors"] = np.geomspace(1e4, 1.0, 50) * 0.1
        data["fit"] = np.geomspace(1e4, 1.0, 50) * 1.1
        data["Q"] = np.geomspace(0.001, 0.5, 50)
        data["Q"].attrs.update({"units": "1/angstrom", "long_name": "scattering vector Q"})
        nxdata(entry, "bigger", signal="image")["image"] = np.ones((100, 100))  # larger, but not the default

    drawing, _ = previews.choose(*nexus_file(tmp_path / "chain.nxs", build))
    assert drawing.candidate.source == plots.DEFAULT and drawing.candidate.signal.path == "/entry/process/result/I"
    assert drawing.x_label == "scattering vector Q (1/angstrom)" and drawing.y_label == "I (1/cm)"
    assert drawing.data.curve.errors is not None and drawing.candidate.auxiliary[0].name == "fit"
    assert drawing.value_scale.log and drawing.log_x  # four decades of I over 2.7 decades of Q: log-log


def test_older_conventions_signal_one_with_axes_string_and_axis_attributes(tmp_path):
    def build(entry: h5py.Group) -> None:
        data = nxdata(entry, "data")
        data["counts"] = np.arange(12 * 7).reshape(12, 7)
        data["counts"].attrs.update({"signal": 1, "axes": "angle:time"})
        data["angle"] = np.linspace(0, 11, 12)
        data["time"] = np.linspace(0, 70, 8)  # histogram edges
        data["time"].attrs["units"] = "us"
        other = nxdata(entry, "older")
        other["y"] = np.arange(5.0)
        other["y"].attrs["signal"] = "1"
        other["x"] = np.arange(5.0) * 2
        other["x"].attrs.update({"axis": "1", "primary": "1"})

    path, tree, entry = nexus_file(tmp_path / "old.nxs", build)
    drawing, _ = previews.choose(path, tree, entry)
    image = drawing.data.image
    assert drawing.candidate.source == plots.NXDATA
    assert image.y.path == "/entry/data/angle" and image.x.path == "/entry/data/time" and image.x.edges
    with h5py.File(path, "r") as handle:
        older = next(c for c in plots.candidates(tree, entry, handle) if c.group == "/entry/older")
    assert [axis.name for axis in older.axes] == ["x"]


def test_multidimensional_coordinates_and_default_slice(tmp_path):
    def build(entry: h5py.Group) -> None:
        entry.attrs["default"] = "map"
        data = nxdata(entry, "map", signal="data", axes=["energy", "y", "x"], default_slice=["2", ".", "."])
        data.attrs.update({"x_indices": [1, 2], "y_indices": [1, 2], "energy_indices": 0})
        data["data"] = np.arange(4 * 5 * 6, dtype=float).reshape(4, 5, 6) + 1
        data["energy"] = np.linspace(700, 710, 4)
        y, x = np.meshgrid(np.linspace(0, 4, 5), np.linspace(10, 15, 6), indexing="ij")
        data["x"], data["y"] = x, y
        data["x"].attrs["units"] = data["y"].attrs["units"] = "mm"

    drawing, _ = previews.choose(*nexus_file(tmp_path / "map.nxs", build))
    image = drawing.data.image
    assert drawing.data.reduction.kind == "slice" and drawing.data.reduction.fixed == {0: 2}
    assert np.array_equal(image.values, (np.arange(120, dtype=float).reshape(4, 5, 6) + 1)[2])
    assert np.allclose(image.x.values, np.linspace(10, 15, 6)) and np.allclose(image.y.values, np.linspace(0, 4, 5))
    assert drawing.equal_aspect  # both axes in mm
    assert "The slice the file names in @default_slice (energy = 2)." in previews.caption(drawing, [])


def test_stacks_are_summed_and_binned_in_bounded_reads_exactly(tmp_path, monkeypatch):
    """Small slabs and a small image side force many reads: the result is the same as numpy on the whole stack."""
    rng = np.random.default_rng(7)
    stack = rng.integers(0, 1000, size=(3, 4, 37, 53), dtype=np.uint16)
    stack[0, 0, 5, :] = np.iinfo(np.uint16).max  # a gap row in one frame

    def build(entry: h5py.Group) -> None:
        entry.attrs["default"] = "data"
        nxdata(entry, "data", signal="frames")["frames"] = stack

    monkeypatch.setattr(plot_data, "SLAB_ITEMS", 300)
    monkeypatch.setattr(plot_data, "IMAGE_SIDE", 10)
    reads = []
    original = h5py.Dataset.__getitem__

    def counting(self, selection):
        values = original(self, selection)
        reads.append(np.asarray(values).size)
        return values

    monkeypatch.setattr(h5py.Dataset, "__getitem__", counting)
    drawing, _ = previews.choose(*nexus_file(tmp_path / "stack.nxs", build))
    assert max(reads) <= 300 and len(reads) > 20
    data = stack.astype(float).reshape(12, 37, 53)
    data[data == np.iinfo(np.uint16).max] = np.nan
    padded = np.full((12, 40, 54), np.nan)
    padded[:, :37, :53] = data
    blocks = padded.reshape(12, 10, 4, 9, 6)
    expected = np.nansum(blocks, axis=(0, 2, 4)) / np.sum(np.isfinite(blocks), axis=(0, 2, 4)) * 12
    image = drawing.data.image
    assert image.binning == (4, 6) and image.values.shape == (10, 9)
    assert np.allclose(image.values, expected)
    assert image.invalid == round(53 / 12)

    monkeypatch.setattr(plot_data, "SUM_ITEMS", 100)  # too large to sum now: its first frame
    drawing, _ = previews.choose(*nexus_file(tmp_path / "stack2.nxs", build))
    assert drawing.data.reduction.kind == "first" and drawing.data.reduction.frames == 12
    assert "The first of its 12 frames" in previews.caption(drawing, [])


def test_labels_show_units_once_and_never_lose_them_to_a_name_s_letters():
    assert plots.label("x", {"long_name": "Polar Angle [degrees]", "units": "degrees"}) == "Polar Angle [degrees]"
    assert plots.label("counts", {"units": "s"}) == "counts (s)"  # "s" is in "counts", but not as its units
    assert plots.label("T", {"units": "NX_DIMENSIONLESS"}) == "T"  # NXDL template placeholders are no units
    assert plots.label("data_01", {"long_name": "tmp/test/xpad/image", "units": "No unit"}) == "tmp/test/xpad/image"
