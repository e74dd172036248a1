"""Files on which libhdf5 itself crashes or loops for ever (found by fuzzing the real samples): each fails its own
job with the reason, nothing of it is written, and the process that ingests goes on to the next file."""

import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from catalogue import isolation
from catalogue.models import Dataset
from ingest.models import IngestionJob
from tests.conftest import SAMPLES_DIR
from tests.ingest.test_bad_input import GOOD_SAMPLE, assert_failed_without_records

# A block of the file zeroed, as a failed copy or a bad disk leaves it: (sample, first byte, end).
CRASHES_HDF5 = ("punx/APS_12IDB_S2p5min_00070_00001.h5", 3546676, 3547412)  # SIGSEGV reading an image's chunks
HANGS_HDF5 = ("punx/APS_33ID_spec_22_2D.hdf5", 165731, 165930)  # a string attribute read that never returns


def damaged_copy(folder: Path, damage: tuple[str, int, int]) -> Path:
    sample, start, end = damage
    copy = folder / Path(sample).name
    shutil.copyfile(SAMPLES_DIR / sample, copy)
    with copy.open("r+b") as opened:
        opened.seek(start)
        opened.write(bytes(end - start))
    return copy


def test_a_file_that_crashes_hdf5_fails_its_job_and_the_next_file_ingests(ingest, tmp_path):
    reader_before = isolation.read_apart("INGEST_READ_TIMEOUT", os.getpid)
    job = ingest(damaged_copy(tmp_path, CRASHES_HDF5))
    assert_failed_without_records(job, "the process reading the file crashed (SIGSEGV)")
    assert "check it with h5dump" in job.error
    assert ingest(GOOD_SAMPLE).state == IngestionJob.State.SUCCEEDED
    assert isolation.read_apart("INGEST_READ_TIMEOUT", os.getpid) != reader_before, (
        "a new reading process took the crashed one's place"
    )


def test_a_file_on_which_hdf5_loops_is_stopped_after_the_timeout(ingest, tmp_path, settings):
    settings.INGEST_READ_TIMEOUT = 3
    job = ingest(damaged_copy(tmp_path, HANGS_HDF5))
    assert_failed_without_records(job, "reading the file took longer than 3 s (INGEST_READ_TIMEOUT) and was stopped")
    good = ingest(GOOD_SAMPLE)
    assert good.state == IngestionJob.State.SUCCEEDED, good.error


def test_the_undamaged_samples_ingest(ingest):
    """The same two samples whole: the failures above are the damage's, not the files'."""
    for sample in (CRASHES_HDF5[0], HANGS_HDF5[0]):
        assert ingest(sample).state == IngestionJob.State.SUCCEEDED, sample


def test_the_ingest_command_reports_each_damaged_file_and_goes_on(registry, tmp_path, settings, capsys):
    settings.INGEST_READ_TIMEOUT = 3
    damaged_copy(tmp_path, CRASHES_HDF5)
    damaged_copy(tmp_path, HANGS_HDF5)
    shutil.copyfile(GOOD_SAMPLE, tmp_path / GOOD_SAMPLE.name)
    call_command("ingest", str(tmp_path), "--sync", "--keep-going")
    out = capsys.readouterr().out
    assert "1 ingested, 0 updated, 2 failed" in out
    assert "crashed (SIGSEGV)" in out and "longer than 3 s" in out
    assert Dataset.objects.count() == 1


@pytest.fixture(autouse=True)
def _own_reader():
    """Each test starts and ends with no reading process (a crashed one is replaced)."""
    isolation.stop_reader()
    yield
    isolation.stop_reader()
