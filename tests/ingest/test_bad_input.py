"""Dirty and hostile files: each one is a failed job with a clear reason, and nothing of it is written."""

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np
import pytest
from django.db import connections

from catalogue import isolation
from catalogue.models import DataFile, Dataset, Document, Instrument, Parameter, Person, Sample
from catalogue.signals import dataset_recorded
from ingest import services
from ingest.models import IngestionJob
from ingest.nexus.reader import FileBusy
from tests.conftest import SAMPLES_DIR

GOOD_SAMPLE = SAMPLES_DIR / "exampledata/PSI_SINQ_DMC_dmc01.h5"


def assert_failed_without_records(job: IngestionJob, reason: str) -> None:
    assert job.state == IngestionJob.State.FAILED
    assert reason in job.error
    assert job.dataset is None and job.finished_at is not None
    for model in (Dataset, Document, Instrument, DataFile, Parameter, Sample, Person):
        assert not model.objects.exists(), model.__name__


def test_empty_file(ingest, tmp_path):
    (tmp_path / "empty.nxs").touch()
    assert_failed_without_records(ingest(tmp_path / "empty.nxs"), "empty file (0 bytes)")


def test_truncated_hdf5(ingest, tmp_path):
    (tmp_path / "truncated.h5").write_bytes(GOOD_SAMPLE.read_bytes()[:10_000])
    assert_failed_without_records(ingest(tmp_path / "truncated.h5"), "the file is damaged (corrupted or cut short)")


def test_random_bytes(ingest, tmp_path):
    (tmp_path / "noise.nxs").write_bytes(np.random.default_rng(4).bytes(65536))
    assert_failed_without_records(ingest(tmp_path / "noise.nxs"), "not an HDF5 file")


def test_hdf4_nexus(ingest, tmp_path):
    (tmp_path / "old.hdf").write_bytes(b"\x0e\x03\x13\x01" + b"\x00" * 4000)
    assert_failed_without_records(ingest(tmp_path / "old.hdf"), "HDF4 file")


def test_xml_nexus(ingest, tmp_path):
    (tmp_path / "old.xml").write_text('<?xml version="1.0"?><NXroot><NXentry name="entry"/></NXroot>')
    assert_failed_without_records(ingest(tmp_path / "old.xml"), "XML NeXus file")


def test_a_directory(ingest, tmp_path):
    (tmp_path / "scan.nxs").mkdir()
    assert_failed_without_records(ingest(tmp_path / "scan.nxs"), "a directory, not a file")


def test_a_missing_file(ingest, tmp_path):
    assert_failed_without_records(ingest(tmp_path / "gone.nxs"), "file not found")


def test_symlink_escaping_the_source_folder(ingest, tmp_path):
    (tmp_path / "source").mkdir()
    (tmp_path / "outside").mkdir()
    shutil.copy(GOOD_SAMPLE, tmp_path / "outside" / "secret.h5")
    (tmp_path / "source" / "scan.h5").symlink_to(tmp_path / "outside" / "secret.h5")
    job = ingest(tmp_path / "source" / "scan.h5", source_folder=tmp_path / "source")
    assert_failed_without_records(job, "symbolic link leaves the source folder")


def test_external_link_escaping_the_source_folder(ingest, tmp_path):
    (tmp_path / "source").mkdir()
    (tmp_path / "outside").mkdir()
    with h5py.File(tmp_path / "outside" / "secret.h5", "w") as handle:
        handle["data"] = np.arange(4)
    with h5py.File(tmp_path / "source" / "scan.nxs", "w") as handle:
        entry = handle.create_group("entry")
        entry.attrs["NX_class"] = "NXentry"
        entry["title"] = "innocent"
        entry["data"] = h5py.ExternalLink("../outside/secret.h5", "/data")
    job = ingest(tmp_path / "source" / "scan.nxs", source_folder=tmp_path / "source")
    assert_failed_without_records(job, "external link /entry/data leaves the source folder")


def test_data_kept_in_external_raw_files_are_never_read(ingest, tmp_path):
    """HDF5 external storage names raw files by any path, absolute or from the worker's working directory: a crafted
    file must not publish another file's bytes (here a secret beside the source folder) as values or a preview."""
    (tmp_path / "source").mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"s3cr3t-s3cr3t-s3cr3t")
    with h5py.File(tmp_path / "source" / "scan.nxs", "w") as handle:
        entry = handle.create_group("entry")
        entry.attrs["NX_class"] = "NXentry"
        entry["title"] = "Raw files elsewhere"
        sample = entry.create_group("sample")
        sample.attrs["NX_class"] = "NXsample"
        sample.create_dataset("temperature", shape=(1,), dtype="uint8", external=[(str(secret), 0, 1)])
        sample["temperature"].attrs["units"] = "K"
        data = entry.create_group("data")
        data.attrs.update({"NX_class": "NXdata", "signal": "counts"})
        data.create_dataset("counts", shape=(20,), dtype="uint8", external=[(str(secret), 0, 20)])
        entry.attrs["default"] = "data"
    job = ingest(tmp_path / "source" / "scan.nxs", source_folder=tmp_path / "source")
    assert job.state == IngestionJob.State.SUCCEEDED, job.error
    dataset = Dataset.objects.get(pk=job.dataset_id)
    assert not dataset.parameters.filter(name="sample_temperature").exists()
    assert dataset.raw_metadata["fields"]["/entry/sample/temperature"] == {"shape": [1], "dtype": "uint8"}
    assert "/entry/data/counts keeps its data in external raw files" in dataset.preview.unavailable_reason


def test_a_plot_axis_read_from_a_file_outside_the_source_folder_is_not_drawn(ingest, tmp_path):
    """Another proposal's file may sit on the same storage: a virtual axis reading it must not reach the preview."""
    (tmp_path / "source").mkdir()
    (tmp_path / "other").mkdir()
    with h5py.File(tmp_path / "other" / "theirs.h5", "w") as handle:
        handle["t"] = np.linspace(1000, 2000, 20)
    with h5py.File(tmp_path / "source" / "scan.nxs", "w") as handle:
        entry = handle.create_group("entry")
        entry.attrs.update({"NX_class": "NXentry", "default": "data"})
        entry["title"] = "Axis elsewhere"
        data = entry.create_group("data")
        data.attrs.update({"NX_class": "NXdata", "signal": "counts", "axes": ["x"]})
        data["counts"] = np.arange(20.0)
        layout = h5py.VirtualLayout(shape=(20,), dtype="float64")
        layout[:] = h5py.VirtualSource(str(tmp_path / "other" / "theirs.h5"), "/t", shape=(20,))
        data.create_virtual_dataset("x", layout)
    job = ingest(tmp_path / "source" / "scan.nxs", source_folder=tmp_path / "source")
    assert job.state == IngestionJob.State.SUCCEEDED, job.error
    reason = Dataset.objects.get(pk=job.dataset_id).preview.unavailable_reason
    theirs = tmp_path / "other" / "theirs.h5"
    assert f"/entry/data/x is a virtual dataset reading {theirs}, outside the source folder" in reason


def theirs_beside(tmp_path: Path) -> None:
    """Another proposal's file beside the source folder (tmp_path/source), with a curve no preview may draw."""
    (tmp_path / "source").mkdir()
    (tmp_path / "other").mkdir()
    with h5py.File(tmp_path / "other" / "theirs.h5", "w") as handle:
        handle["secret"] = np.linspace(1000, 2000, 20)


def scan_plotting(path: Path, write_signal) -> None:
    """A NeXus file whose default plot's signal `write_signal(data_group)` writes as "counts"."""
    with h5py.File(path, "w") as handle:
        entry = handle.create_group("entry")
        entry.attrs.update({"NX_class": "NXentry", "default": "data"})
        entry["title"] = "Signal elsewhere"
        data = entry.create_group("data")
        data.attrs.update({"NX_class": "NXdata", "signal": "counts"})
        write_signal(data)


def test_an_external_link_into_the_folder_that_leads_on_outside_is_refused(ingest, tmp_path):
    """The link names a file of the folder, but its target path there is a soft link to an external link leaving
    it: HDF5 follows both, so the file is refused as a link leaving the folder is."""
    theirs_beside(tmp_path)
    with h5py.File(tmp_path / "source" / "relay.h5", "w") as relay:
        relay["escape"] = h5py.ExternalLink("../other/theirs.h5", "/secret")
        relay["soft"] = h5py.SoftLink("/escape")
    scan_plotting(
        tmp_path / "source" / "scan.nxs", lambda data: data.update(counts=h5py.ExternalLink("relay.h5", "/soft"))
    )
    job = ingest(tmp_path / "source" / "scan.nxs", source_folder=tmp_path / "source")
    assert_failed_without_records(
        job, "external link /entry/data/counts leaves the source folder through a link at /soft in relay.h5"
    )


def test_a_virtual_signal_whose_source_leads_outside_the_folder_is_not_drawn(ingest, tmp_path):
    """The source file is in the folder; the path in it is an external link leaving it, which HDF5 follows."""
    theirs_beside(tmp_path)
    with h5py.File(tmp_path / "source" / "relay.h5", "w") as relay:
        relay["escape"] = h5py.ExternalLink("../other/theirs.h5", "/secret")

    def virtual_counts(data) -> None:
        layout = h5py.VirtualLayout(shape=(20,), dtype="float64")
        layout[:] = h5py.VirtualSource("relay.h5", "/escape", shape=(20,))
        data.create_virtual_dataset("counts", layout)

    scan_plotting(tmp_path / "source" / "scan.nxs", virtual_counts)
    job = ingest(tmp_path / "source" / "scan.nxs", source_folder=tmp_path / "source")
    assert job.state == IngestionJob.State.SUCCEEDED, job.error
    preview = Dataset.objects.get(pk=job.dataset_id).preview
    assert preview.png is None
    assert (
        "/entry/data/counts is a virtual dataset reading /escape in relay.h5, a link leading outside the source folder"
        in preview.unavailable_reason
    )


def test_file_deleted_while_it_is_being_written_to_the_catalogue(ingest, tmp_path):
    path = tmp_path / "dmc.h5"
    shutil.copy(GOOD_SAMPLE, path)

    def delete_file(**kwargs):
        path.unlink()

    dataset_recorded.connect(delete_file)
    try:
        job = ingest(path)
    finally:
        dataset_recorded.disconnect(delete_file)
    assert_failed_without_records(job, "file was deleted during ingestion")


def test_file_with_100000_attributes(ingest, tmp_path):
    path = tmp_path / "attributes.nxs"
    with h5py.File(path, "w", libver="latest") as handle:
        entry = handle.create_group("entry")
        entry.attrs["NX_class"] = "NXentry"
        for index in range(100_000):
            entry.attrs[f"a{index}"] = index
    assert_failed_without_records(ingest(path), "carries 100001 attributes")


@pytest.mark.slow  # writes and reads a gigabyte
def test_file_with_a_1_gb_string_attribute(ingest, tmp_path):
    path = tmp_path / "huge-attribute.nxs"
    with h5py.File(path, "w", libver="latest") as handle:
        entry = handle.create_group("entry")
        entry.attrs["NX_class"] = "NXentry"
        entry.attrs.create("notes", np.bytes_(b"x" * 1024**3))
    try:
        assert_failed_without_records(ingest(path), "attribute 'notes' of /entry is 1073741824 bytes")
    finally:
        path.unlink()  # pytest keeps recent tmp folders: do not leave a gigabyte behind


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch to an unprivileged user")
def test_permission_denied_for_an_unprivileged_worker(transactional_db, registry):
    """CI runs as root, which reads anything: the worker runs as `nobody` in a forked child, as runuser would do
    (runuser cannot exec this interpreter, which lives under root's private home)."""
    folder = Path(tempfile.mkdtemp(prefix="pc-ingest-permission-"))
    try:
        folder.chmod(0o755)
        path = folder / "closed.h5"
        shutil.copy(GOOD_SAMPLE, path)
        path.chmod(0o000)
        job = services.create_job(path=path)
        # The child starts a reading process of its own (catalogue.isolation); `nobody` cannot read this interpreter's
        # library to import what that needs, so it is imported here first.
        isolation.read_apart("INGEST_READ_TIMEOUT", os.getpid)
        child = os.fork()
        if child == 0:  # pragma: no cover - runs in the child
            status = 1
            try:
                nobody = pwd.getpwnam("nobody")
                os.setgroups([])
                os.setgid(nobody.pw_gid)
                os.setuid(nobody.pw_uid)
                connections["default"].connection = None  # the parent's socket stays the parent's
                services.run_job(job_id=job.pk)
                status = 0
            finally:
                os._exit(status)
        _, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        job.refresh_from_db()
        assert_failed_without_records(job, f"permission denied: {path}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_file_still_being_written_goes_back_to_the_queue_for_a_retry(ingest, tmp_path):
    path = tmp_path / "writing.nxs"
    shutil.copy(GOOD_SAMPLE, path)
    holder = "import h5py, sys, time; f = h5py.File(sys.argv[1], 'a'); print('open', flush=True); time.sleep(60)"
    writer = subprocess.Popen([sys.executable, "-c", holder, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "open"
        job = services.create_job(path=path)
        with pytest.raises(FileBusy):
            services.run_job(job_id=job.pk)
    finally:
        writer.kill()
        writer.wait()
    job.refresh_from_db()
    assert job.state == IngestionJob.State.QUEUED and job.attempts == 1
    assert not Dataset.objects.exists()
    assert services.run_job(job_id=job.pk).state == IngestionJob.State.SUCCEEDED


def test_symlinked_folder_escaping_the_source_folder(ingest, tmp_path):
    (tmp_path / "source").mkdir()
    (tmp_path / "outside").mkdir()
    shutil.copy(GOOD_SAMPLE, tmp_path / "outside" / "scan.h5")
    (tmp_path / "source" / "run1").symlink_to(tmp_path / "outside")
    job = ingest(tmp_path / "source" / "run1" / "scan.h5", source_folder=tmp_path / "source")
    assert_failed_without_records(job, "symbolic link leaves the source folder")


def test_task_gives_up_on_a_file_locked_too_long_and_says_so(ingest, tmp_path):
    from ingest.tasks import run_ingestion_job

    path = tmp_path / "writing.nxs"
    shutil.copy(GOOD_SAMPLE, path)
    holder = "import h5py, sys, time; f = h5py.File(sys.argv[1], 'a'); print('open', flush=True); time.sleep(60)"
    writer = subprocess.Popen([sys.executable, "-c", holder, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "open"
        job = services.create_job(path=path)
        # The last allowed delivery (what the broker hands over after eight back-offs), run in this process.
        result = run_ingestion_job.apply(args=[job.pk], retries=run_ingestion_job.max_retries)
    finally:
        writer.kill()
        writer.wait()
    assert result.get() == "failed"
    job.refresh_from_db()
    assert "locked by a writer" in job.error and "gave up after 8 retries" in job.error
