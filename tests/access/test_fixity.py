"""Fixity: files re-hashed against the recorded checksums; missing and changed files flagged on their rows."""

from datetime import timedelta

from django.utils import timezone

from catalogue import tasks
from catalogue.models import DataFile, DatasetFairScore
from catalogue.services import fair, fixity


def test_intact_changed_and_missing_files_are_told_apart(proposal, stored_dataset, storage_root):
    dataset = stored_dataset(proposal, {"intact.nxs": b"intact", "changed.nxs": b"before", "gone.nxs": b"gone"})
    (storage_root / "exp1" / "changed.nxs").write_bytes(b"after!")  # same size, other bytes
    (storage_root / "exp1" / "gone.nxs").unlink()
    report = fixity.check_due_files()
    assert (report.checked, report.missing, report.mismatched) == (3, 1, 1)
    rows = {row.path: row for row in DataFile.objects.filter(dataset=dataset)}
    assert rows["intact.nxs"].fixity_error == "" and not rows["intact.nxs"].is_missing
    assert "blake2b mismatch" in rows["changed.nxs"].fixity_error
    assert rows["gone.nxs"].is_missing and rows["gone.nxs"].fixity_error.startswith("missing")
    assert all(row.checksum_verified_at for row in rows.values())


def test_recently_checked_files_wait_for_the_interval(proposal, stored_dataset, settings):
    stored_dataset(proposal, {"a.nxs": b"a"})
    assert tasks.check_fixity() == {"checked": 1, "missing": 0, "mismatched": 0}
    assert tasks.check_fixity()["checked"] == 0
    later = timezone.now() + timedelta(days=settings.FIXITY_INTERVAL_DAYS + 1)
    assert fixity.check_due_files(now=later).checked == 1


def test_a_restored_file_clears_its_flag(proposal, stored_dataset, storage_root):
    dataset = stored_dataset(proposal, {"a.nxs": b"a"})
    (storage_root / "exp1" / "a.nxs").rename(storage_root / "a.bak")
    fixity.check_due_files()
    assert DataFile.objects.get(dataset=dataset).is_missing
    (storage_root / "a.bak").rename(storage_root / "exp1" / "a.nxs")
    fixity.check_file(DataFile.objects.select_related("dataset").get(dataset=dataset))
    assert not DataFile.objects.get(dataset=dataset).is_missing


def test_adler32_checksums_are_checked(proposal, stored_dataset):
    dataset = stored_dataset(proposal, {"a.nxs": b"Wikipedia"})
    DataFile.objects.filter(dataset=dataset).update(checksum="11e60398", checksum_algorithm="adler32")
    assert fixity.check_file(DataFile.objects.select_related("dataset").get(dataset=dataset)) == ""


def test_a_file_found_missing_then_restored_rescores_the_dataset(
    proposal, stored_dataset, storage_root, settings, django_capture_on_commit_callbacks
):
    dataset = stored_dataset(proposal, {"a.nxs": b"a", "b.nxs": b"b"})
    fixity.check_due_files()
    fair.recompute(fair.Changed(datasets=(dataset.pk,)))
    assert DatasetFairScore.objects.get(dataset=dataset).results["retrievable"][0] == 1
    (storage_root / "exp1" / "b.nxs").rename(storage_root / "b.bak")
    later = timezone.now() + timedelta(days=settings.FIXITY_INTERVAL_DAYS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        fixity.check_due_files(now=later)
    assert DatasetFairScore.objects.get(dataset=dataset).results["retrievable"] == [
        0.5,
        "1 of 2 files are missing on storage or failed their checksum",
    ]
    (storage_root / "b.bak").rename(storage_root / "exp1" / "b.nxs")
    with django_capture_on_commit_callbacks(execute=True):
        fixity.check_file(DataFile.objects.select_related("dataset").get(dataset=dataset, path="b.nxs"))
    assert DatasetFairScore.objects.get(dataset=dataset).results["retrievable"][0] == 1
