"""H5Web in headless Chromium over the project's own routes: a 1-D curve and a 3-D detector stack open on their NeXus
default plots, drawn (the canvas holds a plot, not a blank) with the axis labels and units of the file; a file whose
default is broken opens on the plot its dataset's page draws; a damaged file shows why it cannot be drawn."""

import io

import h5py
import pytest
from PIL import Image
from playwright.sync_api import expect

from ingest import services
from tests.conftest import SAMPLES_DIR
from tests.factories import DataFileFactory, DatasetFactory, FacilityFactory, InstrumentFactory
from tests.ingest.conftest import load_registry
from tests.ingest.test_damaged_files import CRASHES_HDF5, damaged_copy

# (folder, file, NXdata holding the default plot, axes shown on the plot)
PLOTS = {
    "curve-1d": ("NXcanSAS_examples", "DLS_I22_gc14.h5", "/sasentry/sasdata", ["Q"]),
    "stack-3d": ("exampledata", "APS_9IDC_NXsas_nexus-example.hdf5", "/entry/data", ["horizontal", "vertical"]),
}


def axis_labels(folder: str, name: str, nxdata: str, axes: list[str]) -> list[str]:
    """H5Web's label of each axis: its name and, in parentheses, its @units from the file."""
    with h5py.File(SAMPLES_DIR / folder / name) as h5file:
        return [f"{axis} ({h5file[nxdata][axis].attrs['units']})" for axis in axes]


def drawn_pixels(png: bytes) -> int:
    """Pixels of another colour than the canvas's commonest one (its background)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    counts = image.getcolors(maxcolors=image.width * image.height)
    assert counts is not None  # maxcolors is every pixel
    return image.width * image.height - max(count for count, _ in counts)


@pytest.mark.parametrize("plot", PLOTS)
def test_viewer_draws_the_default_plot_with_the_files_axes(browser, live_server, transactional_db, artifacts_dir, plot):
    folder, name, nxdata, axes = PLOTS[plot]
    facility = FacilityFactory(short_name="SAMPLES", storage_root=str(SAMPLES_DIR))
    dataset = DatasetFactory(
        instrument=InstrumentFactory(facility=facility, name="VIEW"), source_folder=str(SAMPLES_DIR / folder)
    )
    data_file = DataFileFactory(dataset=dataset, path=name)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(f"{live_server.url}/datasets/{dataset.pid}")
        page.get_by_role("link", name=f"Explore {name} in the viewer").click()
        page.wait_for_url(f"**/files/{data_file.pk}/explore")
        canvas = page.locator("#viewer canvas").first
        expect(canvas).to_be_visible(timeout=30_000)
        for label in axis_labels(folder, name, nxdata, axes):
            expect(page.locator("#viewer")).to_contain_text(label, timeout=30_000)
        page.screenshot(path=artifacts_dir / f"{plot}.png")
        # A blank canvas is all background; a 244-point curve across it covers well over 500 pixels, a heatmap most.
        assert drawn_pixels(canvas.screenshot()) > 500
    finally:
        page.close()


def test_a_file_that_crashes_hdf5_shows_why_in_the_viewer(
    browser, live_server, transactional_db, artifacts_dir, tmp_path
):
    """The image's chunks are zeroed where libhdf5 crashes reading them: the viewer says so, and the page lives."""
    damaged = damaged_copy(tmp_path, CRASHES_HDF5)
    facility = FacilityFactory(short_name="DAMAGED", storage_root=str(tmp_path))
    dataset = DatasetFactory(instrument=InstrumentFactory(facility=facility, name="DMG"), source_folder=str(tmp_path))
    data_file = DataFileFactory(dataset=dataset, path=damaged.name)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(f"{live_server.url}/datasets/{dataset.pid}/files/{data_file.pk}/explore")
        expect(page.locator("#viewer")).to_contain_text(
            "the process reading the file crashed (SIGSEGV)", timeout=30_000
        )
        page.screenshot(path=artifacts_dir / "crashed.png")
        page.get_by_role("treeitem", name="entry").first.click()
        expect(page.locator("#viewer")).to_contain_text("instrument", timeout=30_000)
    finally:
        page.close()


def test_a_file_whose_default_plot_is_broken_opens_on_the_plot_the_dataset_page_draws(
    browser, live_server, transactional_db, artifacts_dir
):
    """k11-18014.nxs's own default lies in an external file never stored; at its root H5Web would show only "Expected
    "data" signal to be a dataset", and at /entry/imaging "Expected child "gts_theta_value_set" to be a dataset". The
    viewer opens on /entry/imaging/data, the frames the dataset's page draws."""
    load_registry()
    path = SAMPLES_DIR / "httomo/k11-18014.nxs"
    dataset = services.ingest_file(path=path, source_folder=path.parent).dataset
    master = dataset.data_files.get(path=path.name)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(f"{live_server.url}/datasets/{dataset.pid}/files/{master.pk}/explore")
        canvas = page.locator("#viewer canvas").first
        expect(canvas).to_be_visible(timeout=30_000)
        expect(page.get_by_role("treeitem", name="data", exact=True)).to_have_attribute("aria-selected", "true")
        page.screenshot(path=artifacts_dir / "k11-imaging.png")
        assert drawn_pixels(canvas.screenshot()) > 500
        expect(page.locator("#viewer")).not_to_contain_text("Expected")
    finally:
        page.close()
