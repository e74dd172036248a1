"""A real Celery worker (prefork, one child) against the real Redis and the test database.

It ingests queued files, survives bad ones (one that crashes libhdf5 included), and when its pool child is killed
mid-task (acks_late + reject_on_worker_lost) nothing partial is written and the redelivered task completes the job;
the child's reading process dies with it.
"""

import os
import signal
import time
from pathlib import Path

import h5py
import pytest
from django.conf import settings
from django.core.management import call_command

from catalogue.models import DataFile, Dataset
from ingest import services
from ingest.models import IngestionJob
from tests.conftest import SAMPLES_DIR
from tests.ingest.test_damaged_files import CRASHES_HDF5, HANGS_HDF5, damaged_copy
from tests.workers import celery_worker

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(not settings.CELERY_BROKER_URL.startswith("redis"), reason="needs Redis (REDIS_URL)"),
]
SPARSE_BYTES = 3 * 1024**3


@pytest.fixture
def worker(transactional_db, registry, tmp_path):
    log = tmp_path / "worker.log"
    environment = {
        "CELERY_VISIBILITY_TIMEOUT": "10",
        "INGEST_LARGE_FILE_BYTES": str(10 * SPARSE_BYTES),  # hash inline: makes the task long enough to kill
    }
    with celery_worker(log=log, name="ingest-test", environment=environment) as process:
        yield process, log


def queue(path: Path) -> IngestionJob:
    job = services.create_job(path=path)
    services.queue_job(job=job)  # autocommit here: sent at once
    return job


def wait_for(jobs: list[IngestionJob], states: set[str], timeout: float, log: Path) -> list[IngestionJob]:
    deadline = time.monotonic() + timeout
    while True:
        current = [IngestionJob.objects.get(pk=job.pk) for job in jobs]
        if all(job.state in states for job in current):
            return current
        assert time.monotonic() < deadline, [(j.path, j.state) for j in current] + [log.read_text()[-3000:]]
        time.sleep(0.2)


def pool_children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


def test_worker_ingests_good_files_and_survives_bad_ones(worker, tmp_path):
    _, log = worker
    (tmp_path / "empty.nxs").touch()
    (tmp_path / "noise.nxs").write_bytes(os.urandom(4096))
    (tmp_path / "old.hdf").write_bytes(b"\x0e\x03\x13\x01" + b"\x00" * 512)
    sample = SAMPLES_DIR / "exampledata/PSI_SINQ_DMC_dmc01.h5"
    (tmp_path / "truncated.h5").write_bytes(sample.read_bytes()[:10_000])
    (tmp_path / "folder.nxs").mkdir()
    names = ("empty.nxs", "noise.nxs", "old.hdf", "truncated.h5", "folder.nxs")
    bad = [queue(tmp_path / name) for name in names]
    good = queue(SAMPLES_DIR / "scicat-ingestor/ESS_ODIN_small-coda.hdf")
    finished = wait_for([*bad, good], {"succeeded", "failed"}, 60, log)
    assert [job.state for job in finished] == ["failed"] * len(names) + ["succeeded"]
    reasons = ["empty file", "not an HDF5 file", "HDF4 file", "the file is damaged", "a directory"]
    assert all(reason in job.error for reason, job in zip(reasons, finished, strict=False))
    assert finished[-1].dataset.pid == "ess/f22acb1c-950b-11ef-a3ef-fa163e9aae0a"
    assert Dataset.objects.count() == 1


def test_a_file_that_crashes_hdf5_fails_its_job_and_the_pool_child_lives_on(worker, tmp_path):
    process, log = worker
    (child,) = pool_children(process.pid)
    crashing = queue(damaged_copy(tmp_path, CRASHES_HDF5))
    good = queue(SAMPLES_DIR / "scicat-ingestor/ESS_ODIN_small-coda.hdf")
    finished = wait_for([crashing, good], {"succeeded", "failed"}, 60, log)
    assert [job.state for job in finished] == ["failed", "succeeded"], finished[0].error
    assert "the process reading the file crashed (SIGSEGV)" in finished[0].error and finished[0].attempts == 1
    assert pool_children(process.pid) == [child]


def test_the_reading_process_dies_with_its_pool_child_even_inside_hdf5(transactional_db, registry, tmp_path):
    log = tmp_path / "worker.log"
    with celery_worker(log=log, name="reader-test", environment={"INGEST_READ_TIMEOUT": "15"}) as process:
        job = queue(damaged_copy(tmp_path, HANGS_HDF5))
        wait_for([job], {"running"}, 30, log)
        (child,) = pool_children(process.pid)
        deadline = time.monotonic() + 30
        while not (readers := descendants(child)):
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        time.sleep(1.0)  # inside the read that never returns
        os.kill(child, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while alive := [pid for pid in readers if running(pid)]:
            assert time.monotonic() < deadline, f"the reading processes {alive} outlived their parent"
            time.sleep(0.2)
        # The task comes back to a new pool child, whose reading process is stopped at the timeout.
        (finished,) = wait_for([job], {"failed"}, 90, log)
    assert "took longer than 15 s (INGEST_READ_TIMEOUT)" in finished.error and finished.attempts == 2


def descendants(pid: int) -> list[int]:
    """The process's children (of any of its threads: pebble forks from a thread of its own), theirs, and so on."""
    files = Path(f"/proc/{pid}/task").glob("*/children")
    children = [int(child) for path in files for child in path.read_text().split()]
    return [grandchild for child in children for grandchild in (child, *descendants(child))]


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_killed_worker_leaves_no_partial_record_and_the_redelivered_task_completes(worker, tmp_path):
    process, log = worker
    path = tmp_path / "big.nxs"
    with h5py.File(path, "w") as handle:
        entry = handle.create_group("entry")
        entry.attrs["NX_class"] = "NXentry"
        entry["title"] = "a long acquisition"
        detector = entry.create_group("detector")
        detector.attrs["NX_class"] = "NXdetector"
        create = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        create.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)  # space reserved, never written: a sparse multi-GB file
        create.set_fill_time(h5py.h5d.FILL_TIME_NEVER)
        space = h5py.h5s.create_simple((SPARSE_BYTES,))
        h5py.h5d.create(detector.id, b"data", h5py.h5t.NATIVE_UINT8, space, dcpl=create)
    job = queue(path)
    wait_for([job], {"running"}, 30, log)
    time.sleep(1.0)  # inside the streamed checksum of the 3 GB file
    (child,) = pool_children(process.pid)
    os.kill(child, signal.SIGKILL)
    assert Dataset.objects.count() == 0 and DataFile.objects.count() == 0
    (finished,) = wait_for([job], {"succeeded", "failed"}, 180, log)
    assert finished.state == "succeeded", finished.error
    assert finished.attempts == 2
    assert Dataset.objects.count() == 1
    master = finished.dataset.files.get()
    assert master.size == path.stat().st_size and len(master.checksum) == 128
    assert "WorkerLostError" in log.read_text() or "exited" in log.read_text()


def test_ingest_command_queues_to_the_worker_and_waits(worker, capsys):
    call_command("ingest", str(SAMPLES_DIR / "httomo"), "--timeout", "120")
    assert "1 ingested, 0 updated, 0 failed, 2 link targets" in capsys.readouterr().out
    assert IngestionJob.objects.get().state == "succeeded"


def test_a_pool_child_above_the_memory_limit_is_replaced_after_its_task(transactional_db, registry, tmp_path):
    log = tmp_path / "worker.log"
    limit = {"CELERY_WORKER_MAX_MEMORY_PER_CHILD": "1"}  # KiB: every child is above it after its first task
    with celery_worker(log=log, name="memory-test", environment=limit) as process:
        (first,) = pool_children(process.pid)
        job = queue(SAMPLES_DIR / "exampledata/PSI_SINQ_DMC_dmc01.h5")
        assert wait_for([job], {"succeeded"}, 60, log)
        deadline = time.monotonic() + 30
        while pool_children(process.pid) in ([first], []):
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        (second,) = pool_children(process.pid)
    assert second != first
