"""Ingestion never loses track of a file: every path handed to it ends as a dataset, as a file of another file's
dataset, or as a failed job whose reason a data steward understands; files are told apart by where they really are."""

import io
import random
import shutil
from pathlib import Path

import h5py
import pytest
from django.core.management import call_command

from catalogue.models import DataFile, Dataset
from ingest import services
from ingest.models import IngestionJob
from tests.conftest import SAMPLES_DIR


@pytest.fixture
def registry(shared_registry) -> None:
    """The facility registry and PaNET loaded once for the module (tests/ingest/conftest.py)."""


DMC = SAMPLES_DIR / "exampledata/PSI_SINQ_DMC_dmc01.h5"
SANS = SAMPLES_DIR / "exampledata/PSI_SINQ_SANS_sans2009n012333.hdf"
INTERNAL = "fault in its own code"


def nexus(path: Path, *, start_time: str = "2020-01-01T00:00:00Z", links: dict[str, str] | None = None) -> Path:
    with h5py.File(path, "w") as handle:
        entry = handle.create_group("entry")
        entry.attrs["NX_class"] = "NXentry"
        entry["title"] = path.stem
        entry["start_time"] = start_time
        for name, target in (links or {}).items():
            entry[name] = h5py.ExternalLink(target, "/entry/title")
    return path


@pytest.fixture
def traps(tmp_path) -> Path:
    """An ingest folder holding every kind of path that used to get lost, beside a master and its link target."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir(), outside.mkdir()
    shutil.copy(DMC, outside / "secret.h5")
    (root / "dangling.h5").symlink_to(tmp_path / "gone.h5")
    (root / "escape.h5").symlink_to(outside / "secret.h5")
    nexus(root / "selflink.nxs", links={"me": "selflink.nxs"})
    nexus(root / "ping.nxs", links={"other": "pong.nxs"})
    nexus(root / "pong.nxs", links={"other": "ping.nxs"})
    nexus(root / "master.nxs", links={"data": "target.nxs"})
    nexus(root / "target.nxs")
    nexus(root / "future.nxs", start_time="9999-12-31T23:00:00")
    (root / "cut.h5").write_bytes(DMC.read_bytes()[:12_000])
    return root


def test_every_path_in_a_folder_ends_as_a_dataset_a_linked_file_or_a_failure_with_its_reason(registry, traps):
    call_command("ingest", str(traps), "--sync", "--keep-going", stdout=io.StringIO())
    jobs = {Path(job.path).name: job for job in IngestionJob.objects.all()}
    linked = {
        Path(path).name for path in DataFile.objects.filter(role=DataFile.Role.LINKED).values_list("path", flat=True)
    }
    for entry in traps.iterdir():
        assert entry.name in jobs or entry.name in linked, f"{entry.name} left no trace"
    assert {name for name, job in jobs.items() if job.state == IngestionJob.State.SUCCEEDED} == {
        "selflink.nxs",
        "ping.nxs",
        "pong.nxs",
        "master.nxs",
    }
    assert "target.nxs" in linked and "target.nxs" not in jobs
    reasons = {name: job.error for name, job in jobs.items() if job.state == IngestionJob.State.FAILED}
    assert reasons["dangling.h5"].startswith("broken symbolic link") and "gone.h5" in reasons["dangling.h5"]
    assert reasons["escape.h5"].startswith("symbolic link leaves the source folder")
    assert "“9999-12-31T23:00:00” is not a measurement time" in reasons["future.nxs"]
    assert reasons["cut.h5"].startswith("the file is damaged (corrupted or cut short)")
    assert not any(INTERNAL in reason for reason in reasons.values())


def test_a_watched_folder_records_a_dangling_link_once(registry, tmp_path):
    (tmp_path / "dangling.h5").symlink_to(tmp_path / "gone.h5")
    nexus(tmp_path / "selflink.nxs", links={"me": "selflink.nxs"})
    jobs = services.scan_watched_folders(folders=[tmp_path], stable_seconds=0, queue=False)
    assert sorted(Path(job.path).name for job in jobs) == ["dangling.h5", "selflink.nxs"]
    assert services.scan_watched_folders(folders=[tmp_path], stable_seconds=0, queue=False) == []


@pytest.mark.parametrize(
    ("start_time", "end_time"),
    [("9999-12-31T23:00:00", None), ("0001-01-01T00:00:00+05:00", None), ("2020-01-01T00:00:00", "9999-12-31")],
)
def test_an_impossible_measurement_time_is_a_failure_that_says_which_time(ingest, tmp_path, start_time, end_time):
    path = nexus(tmp_path / "odd.nxs", start_time=start_time)
    if end_time:
        with h5py.File(path, "a") as handle:
            handle["entry/end_time"] = end_time
    job = ingest(path)
    assert job.state == IngestionJob.State.FAILED
    assert f"“{end_time or start_time}” is not a measurement time" in job.error
    assert "correct start_time or end_time in the file" in job.error


@pytest.mark.parametrize("sample", [DMC, SAMPLES_DIR / "scicat-ingestor/ESS_YMIR_small-ymir.hdf"])
def test_corrupted_files_fail_saying_the_file_is_damaged(ingest, tmp_path, sample):
    data = sample.read_bytes()
    for seed in range(6):
        rng = random.Random(seed)
        damaged = bytearray(data)
        for index in range(rng.randrange(600, 4000), len(damaged), rng.choice([31, 97, 301])):
            damaged[index] = rng.randrange(256)
        path = tmp_path / f"{seed}-{sample.name}"
        path.write_bytes(bytes(damaged))
        job = ingest(path)
        assert job.state == IngestionJob.State.FAILED, seed
        assert INTERNAL not in job.error and job.error, (seed, job.error)


def test_two_files_of_one_name_in_two_folders_are_two_datasets(ingest, tmp_path):
    for folder, sample in (("a", DMC), ("b", SANS)):
        (tmp_path / folder).mkdir()
        shutil.copy(sample, tmp_path / folder / "run.h5")
    first = ingest(tmp_path / "a" / "run.h5", source_folder=tmp_path / "a").dataset
    second = ingest(tmp_path / "b" / "run.h5", source_folder=tmp_path / "b").dataset
    assert first.pid != second.pid and Dataset.objects.count() == 2
    assert ingest(tmp_path / "a" / "run.h5", source_folder=tmp_path / "a").dataset.pid == first.pid


def test_a_dataset_recorded_under_an_older_pid_keeps_it(ingest, tmp_path):
    shutil.copy(DMC, tmp_path / "run.h5")
    dataset = ingest(tmp_path / "run.h5").dataset
    Dataset.objects.filter(pk=dataset.pk).update(pid="psi.sinq/minted-from-the-name-alone")
    again = ingest(tmp_path / "run.h5")
    assert again.outcome == IngestionJob.Outcome.UPDATED
    assert again.dataset.pk == dataset.pk and again.dataset.pid == "psi.sinq/minted-from-the-name-alone"
