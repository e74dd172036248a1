"""The H5Web viewer's h5grove routes over real sample files: tree, attributes, slices, the NeXus default plot, the size
cap, bad requests, links leaving the dataset, and embargoed files (landing/viewer)."""

import collections
import itertools
import json
import re
import shutil

import h5py
import numpy as np
import pytest

from catalogue.models import Dataset
from ingest import services
from tests.conftest import SAMPLES_DIR, client_for
from tests.factories import DataFileFactory, DatasetFactory, FacilityFactory, InstrumentFactory
from tests.ingest.conftest import load_registry
from tests.ingest.test_damaged_files import CRASHES_HDF5, HANGS_HDF5, damaged_copy

CANSAS_1D = "DLS_I22_gc14.h5"  # NXcanSAS: /sasentry/sasdata, I(Q), 244 points
STACK_3D = "APS_9IDC_NXsas_nexus-example.hdf5"  # /entry/data/frames, 10 frames of 195×487
STXM = "SLS_STXM_Sample_Stack_128.hdf5"


@pytest.fixture
def samples(db):
    """Two datasets over the sample files where they lie: an open one and an embargoed one of `proposal`."""
    facility = FacilityFactory(short_name="SAMPLES", storage_root=str(SAMPLES_DIR))
    instrument = InstrumentFactory(facility=facility, name="VIEW")

    def dataset_of(folder: str, names: list[str], **options):
        dataset = DatasetFactory(instrument=instrument, source_folder=str(SAMPLES_DIR / folder), **options)
        return dataset, {name: DataFileFactory(dataset=dataset, path=name) for name in names}

    return dataset_of


@pytest.fixture
def open_files(samples):
    dataset, files = samples("NXcanSAS_examples", [CANSAS_1D])
    stack_dataset, stack_files = samples("exampledata", [STACK_3D, "PSI_SINQ_DMC_dmc01.h5"])
    return {
        **{name: (dataset, row) for name, row in files.items()},
        **{n: (stack_dataset, r) for n, r in stack_files.items()},
    }


def h5grove(client, dataset, data_file, endpoint: str, **query):
    return client.get(f"/datasets/{dataset.pid}/files/{data_file.pk}/h5grove/{endpoint}", query)


def test_tree_lists_children_with_their_attributes(anonymous_client, open_files):
    root = h5grove(anonymous_client, *open_files[CANSAS_1D], "meta", path="/")
    assert root.status_code == 200 and root["Content-Type"] == "application/json"
    children = {child["name"]: child for child in root.json()["children"]}
    assert children["sasentry"]["kind"] == "group"
    entry = h5grove(anonymous_client, *open_files[CANSAS_1D], "meta", path="/sasentry").json()
    assert {"name": "NX_class", "shape": [], "type": entry["attributes"][0]["type"]} in entry["attributes"]
    assert "sasdata" in {child["name"] for child in entry["children"]}
    # Empty parts, which HDF5 itself refuses, read as the path without them.
    assert h5grove(anonymous_client, *open_files[CANSAS_1D], "meta", path="//sasentry//").json() == entry


def test_attribute_values_come_from_the_file(anonymous_client, open_files):
    values = h5grove(anonymous_client, *open_files[CANSAS_1D], "attr", path="/sasentry/sasdata").json()
    with h5py.File(SAMPLES_DIR / "NXcanSAS_examples" / CANSAS_1D) as h5file:
        assert values["signal"] == h5file["/sasentry/sasdata"].attrs["signal"]
        assert values["NX_class"] == "NXdata"


def test_nexus_default_plot_is_reachable_and_its_signal_served(anonymous_client, open_files):
    dataset, data_file = open_files[CANSAS_1D]
    entry = h5grove(anonymous_client, dataset, data_file, "attr", path="/").json()["default"]
    nxdata = h5grove(anonymous_client, dataset, data_file, "attr", path=f"/{entry}").json()["default"]
    plot = h5grove(anonymous_client, dataset, data_file, "attr", path=f"/{entry}/{nxdata}").json()
    signal_path = f"/{entry}/{nxdata}/{plot['signal']}"
    signal = h5grove(anonymous_client, dataset, data_file, "data", path=signal_path, format="bin", dtype="safe")
    assert signal.status_code == 200 and signal["Content-Type"] == "application/octet-stream"
    with h5py.File(SAMPLES_DIR / "NXcanSAS_examples" / CANSAS_1D) as h5file:
        expected = h5file[signal_path][()]
    assert np.array_equal(np.frombuffer(signal.content, dtype=expected.dtype.newbyteorder("<")), expected)


def test_one_frame_of_a_3d_stack_is_served_as_a_slice(anonymous_client, open_files):
    frame = h5grove(anonymous_client, *open_files[STACK_3D], "data", path="/entry/data/frames", selection="3,:,:")
    assert frame.status_code == 200
    with h5py.File(SAMPLES_DIR / "exampledata" / STACK_3D) as h5file:
        assert np.array_equal(np.array(frame.json()), h5file["/entry/data/frames"][3])


def test_selection_over_the_cap_is_refused_with_a_400_naming_the_cap(anonymous_client, open_files, settings):
    dataset, data_file = open_files[STACK_3D]
    with h5py.File(SAMPLES_DIR / "exampledata" / STACK_3D) as h5file:
        frame_bytes = 195 * 487 * h5file["/entry/data/frames"].dtype.itemsize
    settings.VIEWER_MAX_SLICE_BYTES = frame_bytes
    whole = h5grove(anonymous_client, dataset, data_file, "data", path="/entry/data/frames", format="bin")
    assert whole.status_code == 400
    assert f"at most {frame_bytes} bytes" in whole.json()["message"]
    assert f"holds {10 * frame_bytes} bytes" in whole.json()["message"]
    one = h5grove(anonymous_client, dataset, data_file, "data", path="/entry/data/frames", selection="0", format="bin")
    assert one.status_code == 200 and len(one.content) == frame_bytes


def test_one_frame_of_a_16m_pixel_detector_is_served_by_default(anonymous_client, storage_dataset):
    """An Eiger2 XE 16M frame as DLS i04 describes it (DLS_i04_Therm_6_2.nxs: 4362×4148 int64, 138 MiB) is what
    H5Web asks for to show one image of an MX stack; the default cap serves it. Unwritten frames read as the fill
    value, so the file stays small."""
    with h5py.File(SAMPLES_DIR / "exampledata/DLS_i04_Therm_6_2.nxs") as h5file:
        shape, dtype = h5file["/entry/data/data"].shape[1:], h5file["/entry/data/data"].dtype
    frame = np.broadcast_to(np.arange(shape[1], dtype=dtype), shape)

    def write(path):
        with h5py.File(path, "w") as h5file:
            stack = h5file.create_dataset(
                "frames", shape=(2, *shape), dtype=dtype, chunks=(1, *shape), compression="gzip", fillvalue=7
            )
            stack[1] = frame

    dataset, rows = storage_dataset({"eiger.h5": write})
    for index, expected in ((0, 7), (1, frame)):
        answer = h5grove(
            anonymous_client, dataset, rows["eiger.h5"], "data", path="/frames", selection=f"{index},:,:", format="bin"
        )
        assert answer.status_code == 200, answer.content[:200]
        served = np.frombuffer(answer.content, dtype=dtype).reshape(shape)
        assert np.array_equal(served, np.broadcast_to(expected, shape))


@pytest.mark.parametrize(
    ("endpoint", "query", "status", "says"),
    [
        ("meta", {"path": "/no/such/group"}, 404, "not a valid path"),
        ("meta", {"path": "/entry\x00"}, 400, "NUL character"),
        ("attr", {"path": "/entry", "attr_keys": "no_such_attribute"}, 404, "no attribute"),
        ("data", {"path": "/entry/data/frames", "selection": "a:b"}, 400, "NumPy-style slice"),
        ("data", {"path": "/entry/data/frames", "selection": "0,0,0,0"}, 400, "too many members"),
        ("data", {"path": "/entry/data/frames", "selection": "99"}, 400, "out of range"),
        ("data", {"path": "/entry/data/frames", "selection": "0", "format": "xml"}, 400, "xml"),
        ("data", {"path": "/entry"}, 400, "not a dataset"),
        ("paths", {"path": "/entry/data/frames"}, 400, "not a group"),
    ],
)
def test_bad_requests_answer_json_4xx_saying_what_is_wrong(anonymous_client, open_files, endpoint, query, status, says):
    response = h5grove(anonymous_client, *open_files[STACK_3D], endpoint, **query)
    assert response.status_code == status, response.content
    assert says in response.json()["message"]


def test_files_outside_the_dataset_or_not_hdf5_are_refused(anonymous_client, open_files, storage_dataset):
    dataset, _ = open_files[CANSAS_1D]
    _, stack_file = open_files[STACK_3D]
    # A file of another dataset, named under this one: the same answer as a file that does not exist.
    for file_id in (stack_file.pk, 999_999):
        response = anonymous_client.get(f"/datasets/{dataset.pid}/files/{file_id}/h5grove/meta")
        assert response.status_code == 404 and "No such file" in response.json()["message"]
    text_dataset, rows = storage_dataset({"notes.h5": b"not HDF5 at all"})
    response = h5grove(anonymous_client, text_dataset, rows["notes.h5"], "meta", path="/")
    assert response.status_code == 422 and "cannot be read as HDF5" in response.json()["message"]


@pytest.fixture
def storage_dataset(db, tmp_path):
    """An open dataset over files written in tmp_path/storage/exp: storage_dataset({"a.h5": b"..."} or callables)."""
    root = tmp_path / "storage"
    folder = root / "exp"
    folder.mkdir(parents=True)
    instrument = InstrumentFactory(facility=FacilityFactory(short_name="LINKS", storage_root=str(root)), name="LNK")

    def build(files: dict):
        dataset = DatasetFactory(instrument=instrument, source_folder=str(folder))
        rows = {}
        for name, content in files.items():
            if callable(content):
                content(folder / name)
            else:
                (folder / name).write_bytes(content)
            rows[name] = DataFileFactory(dataset=dataset, path=name)
        return dataset, rows

    return build


# Virtual datasets of main.h5: (source file, dataset path in it). HDF5 follows links on the path, "." is main.h5.
VIRTUAL_SOURCES = {
    "virtual_inside": ("other.h5", "/counts"),
    "virtual_through_inside": (".", "/inside"),
    "virtual_escape": ("../outside.h5", "/secret"),
    "virtual_through_escape": (".", "/escape"),
    "virtual_through_soft_escape": (".", "/soft_escape"),
    "virtual_through_other_escape": ("other.h5", "/escape"),
    "virtual_missing_file": ("missing.h5", "/counts"),
    "virtual_through_gone": (".", "/gone"),
}


@pytest.fixture
def linked_dataset(storage_dataset, tmp_path):
    """main.h5 links into other.h5 (a file of the dataset) and into outside.h5 (beside the storage, no dataset's),
    directly, through a soft link, and as the sources of virtual datasets."""
    secret = np.arange(12, dtype="int32")
    with h5py.File(tmp_path / "storage" / "outside.h5", "w") as outside:
        outside["secret"] = secret

    def write_other(path):
        with h5py.File(path, "w") as other:
            other["counts"] = np.arange(5, dtype="int32")
            other["escape"] = h5py.ExternalLink("../outside.h5", "/secret")

    def write_main(path):
        with h5py.File(path, "w") as main:
            main["inside"] = h5py.ExternalLink("other.h5", "/counts")
            main["soft_inside"] = h5py.SoftLink("/inside")
            main["escape"] = h5py.ExternalLink("../outside.h5", "/secret")
            main["soft_escape"] = h5py.SoftLink("/escape")
            main["gone"] = h5py.ExternalLink("missing.h5", "/counts")
            for name, (source_file, source_path) in VIRTUAL_SOURCES.items():
                layout = h5py.VirtualLayout(shape=(5,), dtype="int32")
                layout[:] = h5py.VirtualSource(source_file, source_path, shape=(5,))
                main.create_virtual_dataset(name, layout, fillvalue=-1)

    return storage_dataset({"other.h5": write_other, "main.h5": write_main})


def test_links_are_followed_inside_the_dataset_and_refused_when_they_leave_it(anonymous_client, linked_dataset):
    dataset, rows = linked_dataset
    main = rows["main.h5"]
    for path in ("/inside", "/soft_inside", "/virtual_inside", "/virtual_through_inside"):
        inside = h5grove(anonymous_client, dataset, main, "data", path=path)
        assert inside.status_code == 200 and inside.json() == [0, 1, 2, 3, 4], path
    leaving = [("meta", "/escape"), ("attr", "/escape"), ("data", "/escape"), ("meta", "/soft_escape")]
    leaving += [("data", f"/{name}") for name in ("soft_escape", *VIRTUAL_SOURCES) if "escape" in name]
    for endpoint, path in leaving:
        refused = h5grove(anonymous_client, dataset, main, endpoint, path=path)
        assert refused.status_code == 403, (endpoint, path)
        assert "outside this dataset's files" in refused.json()["message"]
        assert "10" not in refused.content.decode()  # nothing of the secret (10, 11, …) behind it
    # The tree shows the links leaving as links, with nothing of what lies behind them.
    children = {
        child["name"]: child for child in h5grove(anonymous_client, dataset, main, "meta", path="/").json()["children"]
    }
    assert children["escape"] == {
        "kind": "external_link",
        "name": "escape",
        "target_file": "../outside.h5",
        "target_path": "/secret",
    }
    assert children["soft_escape"] == {"kind": "soft_link", "name": "soft_escape", "target_path": "/escape"}
    assert children["inside"]["kind"] == children["soft_inside"]["kind"] == "dataset"


def test_a_virtual_dataset_whose_source_is_missing_is_refused_not_served_as_fill_values(
    anonymous_client, linked_dataset, samples
):
    """HDF5 reads a missing source as the fill value, without an error: the viewer says it is missing instead."""
    dataset, rows = linked_dataset
    missing = {"virtual_missing_file": "missing.h5, which is not in storage", "virtual_through_gone": "/gone in this"}
    for name, says in missing.items():
        refused = h5grove(anonymous_client, dataset, rows["main.h5"], "data", path=f"/{name}")
        assert refused.status_code == 404 and says in refused.json()["message"], name
    # DLS I04's frames: a virtual dataset over /entry/data/data_000001, a link to a file that was never stored.
    i04, files = samples("exampledata", ["DLS_i04_Therm_6_2.nxs"])
    frame = h5grove(
        anonymous_client, i04, files["DLS_i04_Therm_6_2.nxs"], "data", path="/entry/data/data", selection="0,:,:"
    )
    assert frame.status_code == 404
    assert frame.json()["message"] == (
        "/entry/data/data is a virtual dataset reading /entry/data/data_000001 in this file, which is missing (a link "
        "to a file not in storage, or no such dataset)"
    )


def test_data_kept_in_external_raw_files_are_refused(anonymous_client, storage_dataset, tmp_path):
    """HDF5 external storage names raw files by any path the server can read: the viewer never reads them."""
    secret = tmp_path / "storage" / "passwords.txt"
    secret.write_bytes(b"root:s3cr3t\n" * 8)

    def write(path):
        with h5py.File(path, "w") as main:
            main.create_dataset("looted", shape=(96,), dtype="uint8", external=[(str(secret), 0, 96)])
            main["counts"] = np.arange(5, dtype="int32")

    dataset, rows = storage_dataset({"main.h5": write})
    refused = h5grove(anonymous_client, dataset, rows["main.h5"], "data", path="/looted")
    assert refused.status_code == 403
    assert refused.json() == {"message": "/looted keeps its data in external raw files, which are never read"}
    assert h5grove(anonymous_client, dataset, rows["main.h5"], "data", path="/counts").json() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("persona", ["anonymous", "outsider", "member"])
def test_embargoed_files_open_to_the_team_only(samples, proposal, outsider, member, persona):
    client = client_for({"anonymous": None, "outsider": outsider, "member": member}[persona])
    dataset, files = samples("NXcanSAS_examples", [CANSAS_1D], proposal=proposal, embargoed=True)
    data_file = files[CANSAS_1D]
    base = f"/datasets/{dataset.pid}/files/{data_file.pk}"
    answers = {
        "meta": client.get(f"{base}/h5grove/meta", {"path": "/sasentry"}),
        "attr": client.get(f"{base}/h5grove/attr", {"path": "/sasentry"}),
        "data": client.get(f"{base}/h5grove/data", {"path": "/sasentry/sasdata/I"}),
        "paths": client.get(f"{base}/h5grove/paths", {"path": "/"}),
        "explore": client.get(f"{base}/explore"),
    }
    for name, response in answers.items():
        if persona == "member":
            assert response.status_code == 200, name
        else:
            assert response.status_code == 404, name
            assert b"sasdata" not in response.content and dataset.title.encode() not in response.content, name
    if persona == "member":
        assert "/sasentry/sasdata/I" in answers["paths"].json()


def test_dataset_page_offers_the_viewer_for_hdf5_files_and_the_viewer_page_loads_h5web(anonymous_client, open_files):
    dataset, data_file = open_files[STACK_3D]
    page = anonymous_client.get(f"/datasets/{dataset.pid}").content.decode()
    explore = f"/datasets/{dataset.pid}/files/{data_file.pk}/explore"
    assert f'href="{explore}"' in page
    viewer = anonymous_client.get(explore)
    assert viewer.status_code == 200
    html = viewer.content.decode()
    assert f'data-url="/datasets/{dataset.pid}/files/{data_file.pk}/h5grove"' in html
    assert "/static/viewer/viewer.js" in html and STACK_3D in html
    assert "cdn" not in html.lower()


def opening_path(client, dataset, data_file) -> str:
    html = client.get(f"/datasets/{dataset.pid}/files/{data_file.pk}/explore").content.decode()
    [path] = re.findall(r'data-opening-path="([^"]*)"', html)
    return path


def test_the_viewer_opens_where_the_dataset_page_draws_not_on_a_broken_default(anonymous_client, db):
    """k11-18014.nxs names /entry/EtherCAT/data as its default plot, kept in an external file that was never stored:
    the viewer opens on the signal the dataset's page drew instead, alone, since an axis its group names is a broken
    link too. The files its links reach open at their root."""
    load_registry()
    path = SAMPLES_DIR / "httomo/k11-18014.nxs"
    dataset = services.ingest_file(path=path, source_folder=path.parent).dataset
    with h5py.File(path) as h5file:
        assert h5file["/entry"].attrs["default"] == b"EtherCAT"
    assert (dataset.preview.choice["signal"], dataset.preview.choice["axes"]) == ("/entry/imaging/data", [])
    files = {data_file.path: data_file for data_file in dataset.data_files.all()}
    assert opening_path(anonymous_client, dataset, files["k11-18014.nxs"]) == "/entry/imaging/data"
    assert opening_path(anonymous_client, dataset, files["k11-18014/k11-18014-imaging.h5"]) == "/"


def test_each_entry_of_a_file_opens_the_viewer_on_its_own_dataset(anonymous_client, db, settings):
    """DLS_I13_24888.nxs holds two entries, two datasets: one drawn from a detector group that is not NXdata (so
    its signal alone), one with nothing drawable (its frames are in raw storage), which opens on its own entry.
    NIST_SANS_cs_af1410.h5 holds ten, each opening on the NXdata group its entry's own default names."""
    settings.EMBARGO_PERIOD_YEARS = 0
    load_registry()

    def opened_in(relative: str) -> dict[str, str]:
        path = SAMPLES_DIR / relative
        services.ingest_file(path=path, source_folder=path.parent)
        return {
            dataset.entry_path: opening_path(anonymous_client, dataset, dataset.data_files.get(path=path.name))
            for dataset in Dataset.objects.filter(source_path=str(path))
        }

    assert opened_in("Savu/DLS_I13_24888.nxs") == {
        "/entry1": "/entry1/pco1_hw_hdf/ionc_i",
        "/entry1/tomo_entry": "/entry1/tomo_entry",
    }
    with h5py.File(SAMPLES_DIR / "punx/NIST_SANS_cs_af1410.h5") as h5file:
        defaults = {f"/{name}": f"/{name}/{entry.attrs['default']}" for name, entry in h5file.items()}
    assert len(defaults) == 10 and opened_in("punx/NIST_SANS_cs_af1410.h5") == defaults


def damaged_file(damage: tuple[str, int, int]):
    """A writer for storage_dataset: the sample with one block zeroed (tests/ingest/test_damaged_files.py)."""
    return lambda path: damaged_copy(path.parent, damage).rename(path)


def sample_file(relative: str):
    return lambda path: shutil.copyfile(SAMPLES_DIR / relative, path)


def test_a_file_that_crashes_hdf5_is_refused_and_the_web_process_serves_on(anonymous_client, storage_dataset):
    dataset, rows = storage_dataset({"image.h5": damaged_file(CRASHES_HDF5), "good.h5": sample_file(CRASHES_HDF5[0])})
    image = h5grove(anonymous_client, dataset, rows["image.h5"], "data", path="/entry/data/data", selection="0:4,0:4")
    assert image.status_code == 422
    assert image.json()["message"] == (
        "image.h5 cannot be shown: the process reading the file crashed (SIGSEGV): the HDF5 library failed on a "
        "damaged part of it. Download it and check it with h5dump, or tell the facility."
    )
    good = h5grove(anonymous_client, dataset, rows["good.h5"], "data", path="/entry/data/data", selection="0:4,0:4")
    assert good.status_code == 200 and np.array(good.json()).shape == (4, 4)


def test_a_file_on_which_hdf5_loops_is_stopped_after_the_viewers_timeout(anonymous_client, storage_dataset, settings):
    settings.VIEWER_READ_TIMEOUT = 3
    dataset, rows = storage_dataset({"scan.h5": damaged_file(HANGS_HDF5), "good.h5": sample_file(HANGS_HDF5[0])})
    root = h5grove(anonymous_client, dataset, rows["scan.h5"], "attr", path="/")
    assert root.status_code == 422
    assert root.json()["message"] == (
        "scan.h5 cannot be shown: reading the file took longer than 3 s (VIEWER_READ_TIMEOUT) and was stopped: HDF5 "
        "may be looping over a damaged part of it. Download it and check it with h5dump, or tell the facility."
    )
    good = h5grove(anonymous_client, dataset, rows["good.h5"], "attr", path="/")
    assert good.status_code == 200 and good.json()["default"] == "S22"


def test_latin_1_text_in_a_real_file_is_shown_as_ingestion_reads_it(anonymous_client, samples):
    """SLS writes "µm" as the single Latin-1 byte 0xb5, which h5grove's own encoder cannot turn into JSON."""
    dataset, files = samples("exampledata", [STXM])
    units = h5grove(anonymous_client, dataset, files[STXM], "attr", path="/entry1/collection/ring_y_min/user_value")
    assert units.status_code == 200 and units.json() == {"units": "µm"}


def test_an_object_whose_header_is_damaged_is_a_422_naming_what_hdf5_reports(anonymous_client, storage_dataset):
    def damaged_header(path):
        shutil.copyfile(SAMPLES_DIR / "NXcanSAS_examples" / CANSAS_1D, path)
        with h5py.File(path) as h5file:
            header = h5py.h5o.get_info(h5file["/sasentry/sassample"].id).addr
        with path.open("r+b") as opened:
            opened.seek(header)
            opened.write(bytes(8))

    dataset, rows = storage_dataset({"gc14.h5": damaged_header})
    for endpoint in ("meta", "attr"):
        answer = h5grove(anonymous_client, dataset, rows["gc14.h5"], endpoint, path="/sasentry/sassample")
        assert answer.status_code == 422, endpoint
        assert answer.json()["message"] == (
            "gc14.h5 cannot be read as HDF5 (not an HDF5 file, or damaged): “Unable to synchronously open object (bad "
            "object header version number)”."
        )
    # The rest of the file is served.
    assert h5grove(anonymous_client, dataset, rows["gc14.h5"], "meta", path="/sasentry/sasdata").status_code == 200


def test_a_damaged_link_table_is_a_422_naming_what_hdf5_reports(anonymous_client, storage_dataset):
    """h5py raises RuntimeError when it cannot read the links of a group: the file's fault, not the request's."""

    def damaged_heap(path):
        content = bytearray((SAMPLES_DIR / "NXcanSAS_examples" / CANSAS_1D).read_bytes())
        root_heap = content.index(b"HEAP")  # the root group's names, written first
        content[root_heap : root_heap + 4] = bytes(4)
        path.write_bytes(bytes(content))

    dataset, rows = storage_dataset({"gc14.h5": damaged_heap})
    answer = h5grove(anonymous_client, dataset, rows["gc14.h5"], "meta", path="/sasentry")
    assert answer.status_code == 422
    assert answer.json()["message"] == (
        "gc14.h5 cannot be read as HDF5 (not an HDF5 file, or damaged): “Unable to synchronously check link existence "
        "(bad local heap signature)”."
    )


def test_paths_read_names_that_are_not_utf_8_as_latin_1(anonymous_client, storage_dataset):
    def write(path):
        with h5py.File(path, "w") as h5file:
            h5file.create_dataset(b"length_\xb5m", data=1.5)

    dataset, rows = storage_dataset({"names.h5": write})
    listed = h5grove(anonymous_client, dataset, rows["names.h5"], "paths", path="/")
    assert listed.status_code == 200 and listed.json() == ["/", "/length_µm"]


def test_an_attribute_name_that_is_not_utf_8_is_a_422_saying_so(anonymous_client, storage_dataset):
    def write(path):
        with h5py.File(path, "w") as h5file:
            h5file["counts"] = np.arange(3)
            h5file["counts"].attrs["units"] = "counts"
            h5file["counts"].attrs.create(b"offset_\xb5m", 1.5)

    dataset, rows = storage_dataset({"names.h5": write})
    for endpoint in ("meta", "attr"):
        answer = h5grove(anonymous_client, dataset, rows["names.h5"], endpoint, path="/counts")
        assert answer.status_code == 422, endpoint
        assert answer.json()["message"].startswith("names.h5: the viewer cannot decode a type, text or name at /counts")
    assert h5grove(anonymous_client, dataset, rows["names.h5"], "data", path="/counts").json() == [0, 1, 2]


def _first_objects(path) -> dict[str, str]:
    """The first group below the root, the first dataset and the first soft link of a file, by their paths."""
    found: dict[str, str] = {}
    with h5py.File(path) as h5file:

        def visit(name: str, link) -> None:
            kind = "soft" if isinstance(link, h5py.SoftLink) else None
            if kind is None and isinstance(link, h5py.HardLink):
                kind = "group" if isinstance(h5file.get(name), h5py.Group) else "dataset"
            if kind is not None:
                found.setdefault(kind, "/" + name)

        h5file.visititems_links(visit)
    return found


def test_odd_paths_in_every_real_file_are_the_clients_error_never_the_files(anonymous_client, samples):
    """A path that is odd or not in the file answers what is wrong with the request (4xx, never the 422 that says
    the file is damaged); "." parts read as HDF5 reads them, the group they stand in."""
    manifest = json.loads((SAMPLES_DIR / "manifest.json").read_text())
    answers = collections.Counter()
    for record in manifest:
        folder, _, name = record["file"].rpartition("/")
        dataset, files = samples(folder, [name])
        objects = _first_objects(SAMPLES_DIR / record["file"])
        group, field = objects.get("group", "/"), objects.get("dataset", "/nothing")
        odd = [f"{group}/.", f"/./{group}", f"{group}/..", f"{field}/below", f"{field}/.", f"{group}/no such thing"]
        odd += [f"{objects['soft']}/below"] if "soft" in objects else []
        for endpoint, path in itertools.product(("meta", "data"), odd):
            answer = h5grove(anonymous_client, dataset, files[name], endpoint, path=path)
            answers[answer.status_code] += 1
            assert answer.status_code in (200, 400, 403, 404), (record["file"], endpoint, path, answer.content)
            assert answer.status_code == 200 or answer.json()["message"], (record["file"], endpoint, path)
        plain = h5grove(anonymous_client, dataset, files[name], "meta", path=group)
        dotted = h5grove(anonymous_client, dataset, files[name], "meta", path=f"/./{group}/.")
        assert (dotted.status_code, dotted.json()) == (plain.status_code, plain.json()), record["file"]
    assert answers[200] and answers[404]
