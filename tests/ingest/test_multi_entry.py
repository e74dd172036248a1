"""A multi-entry file: one dataset per NXentry and per NXsubentry with its own definition, the file linked once
(its rows belong to the primary entry's dataset), pids that survive re-ingestion (issue 24)."""

import hashlib
import io
import json
import os
import shutil
import zipfile
from urllib.parse import quote

import h5py
import pytest

from catalogue.models import DataFile, Dataset
from catalogue.services import curation
from ingest.nexus import extract, reader
from tests.conftest import SAMPLES_DIR


@pytest.fixture
def registry(shared_registry) -> None:
    """The facility registry and PaNET loaded once for the module (tests/ingest/conftest.py)."""


MANIFEST = json.loads((SAMPLES_DIR / "manifest.json").read_text())


def entries_held(relative: str) -> list[str]:
    """Read with h5py alone: the NXentry groups at the root (the @default one first), each followed by its
    NXsubentry groups that carry a definition other than "NXentry"."""

    def text(value: object) -> str:
        value = value.reshape(-1)[0] if hasattr(value, "reshape") else value
        return value.decode() if isinstance(value, bytes) else str(value)

    with h5py.File(SAMPLES_DIR / relative, "r") as handle:
        names = [name for name in handle if text(handle[name].attrs.get("NX_class", "")) == "NXentry"]
        default = text(handle.attrs.get("default", ""))
        names.sort(key=lambda name: name != default)
        held = []
        for name in names:
            held.append(f"/{name}")
            for child_name, child in handle[name].items():
                is_subentry = isinstance(child, h5py.Group) and text(child.attrs.get("NX_class", "")) == "NXsubentry"
                if is_subentry and "definition" in child and text(child["definition"][()]) not in ("", "NXentry"):
                    held.append(f"/{name}/{child_name}")
    return held


MULTI = [record["file"] for record in MANIFEST if len(entries_held(record["file"])) > 1]


def test_the_sample_files_with_several_entries_are_the_ones_the_manifest_names():
    several_nxentry = {record["file"] for record in MANIFEST if len(record["entries"]) > 1}
    assert {"punx/NIST_SANS_cs_af1410.h5", "exampledata/IPNS_LRMECS_lrcs3701.nx5"} <= set(MULTI)
    assert several_nxentry - {"exampledata/APS_34ID_not_complete.h5"} <= set(MULTI)  # its second is no NXentry
    assert {"Savu/DLS_multimodal_mm.nxs", "exampledata/DLS_thaumatin_integrated.nxs"} <= set(MULTI)


@pytest.mark.parametrize("relative", MULTI)
def test_extraction_gives_one_result_per_entry_and_subentry_with_a_definition(relative):
    path = SAMPLES_DIR / relative
    with reader.read_tree(path, source_folder=path.parent) as tree:
        extractions = extract.extract_all(tree, relative_path=relative)
    assert [extraction.entry_path for extraction in extractions] == entries_held(relative)
    assert len({extraction.title for extraction in extractions if extraction.part_of}) == sum(
        1 for extraction in extractions if extraction.part_of
    )  # subentries are told apart by their titles


@pytest.mark.parametrize("relative", MULTI)
def test_every_entry_becomes_a_dataset_of_the_same_file_linked_once(ingest, relative):
    job = ingest(relative)
    primary = job.dataset
    held = entries_held(relative)
    rows = Dataset.objects.filter(source_path=str(SAMPLES_DIR / relative))
    assert sorted(rows.values_list("entry_path", flat=True)) == sorted(held)
    assert primary.entry_path == held[0] and primary.file_dataset is None
    assert DataFile.objects.filter(path=os.path.basename(relative)).count() == 1
    assert DataFile.objects.get(path=os.path.basename(relative)).dataset_id == primary.pk
    real = os.path.realpath(SAMPLES_DIR / relative)
    for dataset in rows:
        digest = hashlib.blake2b(f"{real}#{dataset.entry_path}".encode(), digest_size=10).hexdigest()
        assert dataset.pid.endswith(f"/{digest}")
        assert list(dataset.data_files) == list(primary.files.all())  # the master and its link targets
        if dataset.pk != primary.pk:
            assert dataset.file_dataset_id == primary.pk and not dataset.files.exists()
            assert dataset.number_of_files == primary.number_of_files and dataset.size == primary.size


def test_reingesting_keeps_every_entrys_pid_and_the_stewards_edits(ingest):
    relative = "Savu/DLS_multimodal_mm.nxs"
    ingest(relative)
    pids = dict(Dataset.objects.values_list("entry_path", "pid"))
    stxm = Dataset.objects.get(entry_path="/entry1/stxm_entry")
    stxm.title = "STXM map of the multi-modal test sample"
    stxm.save()
    curation.record_dataset_edit(dataset=stxm, changed_fields={"title"})

    again = ingest(relative)

    assert again.outcome == "updated"
    assert dict(Dataset.objects.values_list("entry_path", "pid")) == pids
    assert Dataset.objects.get(pk=stxm.pk).title == "STXM map of the multi-modal test sample"
    assert DataFile.objects.filter(path="DLS_multimodal_mm.nxs").count() == 1


def test_each_entry_is_its_own_dataset_in_the_api_with_the_file_listed(ingest, client, settings):
    settings.EMBARGO_PERIOD_YEARS = 0  # open on ingestion, so that the public API shows them
    relative = "punx/NIST_SANS_cs_af1410.h5"
    ingest(relative)
    datasets = Dataset.objects.filter(source_path=str(SAMPLES_DIR / relative)).order_by("entry_path")
    assert datasets.count() == 10
    for dataset in datasets:
        pid = quote(dataset.pid, safe="")
        found = client.get(f"/panosc-api/Datasets/{pid}").json()
        assert found["title"] == dataset.title and found["title"].startswith(dataset.entry_path.strip("/")[:6])
        files = client.get(f"/panosc-api/Datasets/{pid}/files").json()
        assert [row["name"] for row in files] == ["NIST_SANS_cs_af1410.h5"]
        assert client.get(f"/panosc-api/Datasets/{pid}/files/count").json() == {"count": 1}
    titles = {row["title"] for row in datasets.values("title")}
    assert "AF1410-qu (AF1410 steel aged 0.25 h)" in titles and len(titles) == 10


def test_an_entry_removed_from_the_file_is_withdrawn_and_the_files_follow_the_new_primary(
    ingest, client, settings, tmp_path
):
    settings.EMBARGO_PERIOD_YEARS = 0  # open on ingestion: withdrawn open data stay findable as tombstones
    copy = tmp_path / "NIST_SANS_cs_af1410.h5"
    shutil.copyfile(SAMPLES_DIR / "punx/NIST_SANS_cs_af1410.h5", copy)
    first = ingest(copy).dataset
    held = entries_held("punx/NIST_SANS_cs_af1410.h5")
    master = DataFile.objects.get(dataset=first, path=copy.name)
    further = Dataset.objects.get(source_path=str(copy), entry_path=held[-1])

    with h5py.File(copy, "r+") as handle:
        del handle[held[-1].strip("/")]
    assert ingest(copy).outcome == "updated"

    further.refresh_from_db()
    assert further.withdrawn_at is not None
    assert further.withdrawal_reason == f"entry {held[-1]} is no longer in {copy.name} (found missing on re-ingestion)"
    assert further.history.first().history_change_reason == f"withdrawn: {further.withdrawal_reason}"
    page = client.get(f"/datasets/{quote(further.pid, safe='/')}")
    assert page.status_code == 410 and held[-1] in page.content.decode()
    assert client.get(f"/panosc-api/Datasets/{quote(further.pid, safe='')}").status_code == 404
    assert Dataset.objects.filter(withdrawn_at__isnull=True, source_path=str(copy)).count() == len(held) - 1

    with h5py.File(copy, "r+") as handle:  # now the primary entry (the file's @default) goes
        del handle[held[0].strip("/")]
        handle.attrs["default"] = held[1].strip("/")
    second = ingest(copy).dataset

    assert second.entry_path == held[1] and second.file_dataset is None
    first.refresh_from_db()
    assert first.withdrawn_at is not None and held[0] in first.withdrawal_reason
    assert list(second.files.values_list("pk", flat=True)) == [master.pk]  # the same row, moved
    assert DataFile.objects.filter(path=copy.name).count() == 1
    for dataset in Dataset.objects.filter(source_path=str(copy)).exclude(pk=second.pk):
        assert dataset.file_dataset_id == second.pk
        assert list(dataset.data_files.values_list("pk", flat=True)) == [master.pk]
    files = client.get(f"/panosc-api/Datasets/{quote(held_pid(held[2], copy), safe='')}/files").json()
    assert [row["name"] for row in files] == [copy.name]


def held_pid(entry_path: str, path) -> str:
    return Dataset.objects.get(source_path=str(path), entry_path=entry_path).pid


def test_a_further_entry_describes_and_serves_its_file_like_the_primary_entry(ingest, client, settings):
    settings.EMBARGO_PERIOD_YEARS = 0
    relative = "punx/NIST_SANS_cs_af1410.h5"
    primary = ingest(relative).dataset
    further = Dataset.objects.exclude(pk=primary.pk).filter(source_path=primary.source_path).first()
    master = primary.files.get()
    for dataset in (primary, further):
        page = f"/datasets/{quote(dataset.pid, safe='/')}"
        described = client.get(f"{page}?format=jsonld").json()
        downloads = [item for item in described["distribution"] if item["name"] == master.name]
        assert len(downloads) == 1 and downloads[0]["contentSize"].startswith(str(master.size))
        download = client.get(downloads[0]["contentUrl"])
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == (SAMPLES_DIR / relative).read_bytes()
        archive = client.get(f"{page}/download.zip")
        with zipfile.ZipFile(io.BytesIO(b"".join(archive.streaming_content))) as zipped:
            names = zipped.namelist()
            crate = json.loads(zipped.read(next(name for name in names if name.endswith("ro-crate-metadata.json"))))
        assert any(name.endswith("/" + master.name) for name in names)
        assert any(item.get("name") == master.name or item["@id"].endswith(master.name) for item in crate["@graph"])


def test_the_panosc_files_relation_of_every_entry_lists_the_file(ingest, client, settings):
    settings.EMBARGO_PERIOD_YEARS = 0
    relative = "punx/NIST_SANS_cs_af1410.h5"
    ingest(relative)
    ingest("exampledata/PSI_SINQ_DMC_dmc01.h5")  # another file, which no file filter below should reach
    pids = set(Dataset.objects.filter(source_path=str(SAMPLES_DIR / relative)).values_list("pid", flat=True))
    listed = {"include": [{"relation": "files"}], "limit": 50}
    found = client.get("/panosc-api/Datasets", {"filter": json.dumps(listed)}).json()
    files = {row["pid"]: [file["name"] for file in row["files"]] for row in found}
    assert {pid: files[pid] for pid in pids} == dict.fromkeys(pids, ["NIST_SANS_cs_af1410.h5"])
    assert files.keys() - pids and all(
        names != ["NIST_SANS_cs_af1410.h5"] for pid, names in files.items() if pid not in pids
    )

    by_name = {"include": [{"relation": "files", "scope": {"where": {"name": "NIST_SANS_cs_af1410.h5"}}}]}
    found = client.get("/panosc-api/Datasets", {"filter": json.dumps({**by_name, "limit": 50})}).json()
    assert {row["pid"] for row in found} == pids
    assert all([file["name"] for file in row["files"]] == ["NIST_SANS_cs_af1410.h5"] for row in found)
    for pid in pids:
        one = client.get(f"/panosc-api/Datasets/{quote(pid, safe='')}", {"filter": json.dumps(listed)}).json()
        assert [file["name"] for file in one["files"]] == ["NIST_SANS_cs_af1410.h5"]
    counted = client.get("/panosc-api/Datasets/count", {"where": json.dumps({})}).json()["count"]
    assert counted == len(pids) + 1
