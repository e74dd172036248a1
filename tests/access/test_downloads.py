"""Downloads: single files with Range/ETag/Last-Modified, streamed zips with a manifest, confinement, counts."""

import hashlib
import io
import json
import os
import zipfile

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from catalogue.models import DataFile, Dataset, DatasetStatistics
from tests.factories import DataFileFactory

PAYLOAD = bytes(range(256)) * 40  # 10240 bytes, every offset distinguishable


def file_url(dataset: Dataset, path: str) -> str:
    data_file = dataset.files.get(path=path)
    return reverse("download-file", kwargs={"pid": dataset.pid, "file_id": data_file.pk})


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_url_names_follow_the_contract():
    assert reverse("download-file", kwargs={"pid": "psi/ds/1", "file_id": 7}) == "/datasets/psi/ds/1/files/7/download"
    assert reverse("download-dataset", kwargs={"pid": "psi/ds/1"}) == "/datasets/psi/ds/1/download.zip"
    assert reverse("access-request", kwargs={"pid": "psi/proposal/1"}) == "/access/request/psi/proposal/1"
    assert reverse("login") == "/login/" and reverse("logout") == "/logout/"


def test_open_file_streams_whole_with_validators(anonymous_client, proposal, stored_dataset):
    dataset = stored_dataset(proposal, {"raw/scan.nxs": PAYLOAD})
    response = anonymous_client.get(file_url(dataset, "raw/scan.nxs"))
    assert response.status_code == 200
    assert body(response) == PAYLOAD
    assert response["Content-Length"] == str(len(PAYLOAD))
    assert response["Accept-Ranges"] == "bytes"
    assert response["ETag"].startswith('"') and response["Last-Modified"].endswith("GMT")
    assert "filename*=UTF-8''scan.nxs" in response["Content-Disposition"]
    assert response["Content-Type"] == "application/x-hdf5"


def test_range_request_resumes_from_the_offset(anonymous_client, proposal, stored_dataset):
    dataset = stored_dataset(proposal, {"raw/scan.nxs": PAYLOAD})
    url = file_url(dataset, "raw/scan.nxs")
    response = anonymous_client.get(url, HTTP_RANGE="bytes=1000-1999")
    assert response.status_code == 206
    assert body(response) == PAYLOAD[1000:2000]
    assert response["Content-Range"] == f"bytes 1000-1999/{len(PAYLOAD)}"
    open_ended = anonymous_client.get(url, HTTP_RANGE="bytes=10000-")
    assert body(open_ended) == PAYLOAD[10000:]
    suffix = anonymous_client.get(url, HTTP_RANGE="bytes=-16")
    assert body(suffix) == PAYLOAD[-16:]


def test_range_outside_the_file_is_416_with_its_size(anonymous_client, proposal, stored_dataset):
    dataset = stored_dataset(proposal, {"raw/scan.nxs": PAYLOAD})
    response = anonymous_client.get(file_url(dataset, "raw/scan.nxs"), HTTP_RANGE="bytes=20000-30000")
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(PAYLOAD)}"


def test_if_range_with_a_stale_etag_sends_the_whole_file(anonymous_client, proposal, stored_dataset):
    dataset = stored_dataset(proposal, {"raw/scan.nxs": PAYLOAD})
    url = file_url(dataset, "raw/scan.nxs")
    etag = anonymous_client.head(url)["ETag"]
    assert anonymous_client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=etag).status_code == 206
    stale = anonymous_client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"not-this-one"')
    assert stale.status_code == 200 and body(stale) == PAYLOAD


def test_conditional_get_answers_304(anonymous_client, proposal, stored_dataset):
    dataset = stored_dataset(proposal, {"raw/scan.nxs": PAYLOAD})
    url = file_url(dataset, "raw/scan.nxs")
    first = anonymous_client.get(url)
    assert anonymous_client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert anonymous_client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304


def test_changed_file_gets_a_new_etag(anonymous_client, proposal, stored_dataset, storage_root):
    dataset = stored_dataset(proposal, {"raw/scan.nxs": PAYLOAD})
    url = file_url(dataset, "raw/scan.nxs")
    before = anonymous_client.head(url)["ETag"]
    path = storage_root / "exp1" / "raw" / "scan.nxs"
    path.write_bytes(PAYLOAD + b"more")
    os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    assert anonymous_client.head(url)["ETag"] != before


def test_embargoed_file_is_404_for_anonymous_and_outsider_and_served_to_member(
    anonymous_client, outsider_client, member_client, proposal, stored_dataset
):
    dataset = stored_dataset(proposal, {"raw/secret.nxs": PAYLOAD}, embargoed=True)
    url = file_url(dataset, "raw/secret.nxs")
    for client in (anonymous_client, outsider_client):
        response = client.get(url)
        assert response.status_code == 404
        assert PAYLOAD[:64] not in response.content and b"secret.nxs" not in response.content
    assert body(member_client.get(url)) == PAYLOAD


def test_unknown_file_id_and_a_file_of_another_dataset_are_404(anonymous_client, proposal, stored_dataset):
    first = stored_dataset(proposal, {"a.nxs": b"a"}, folder="one")
    second = stored_dataset(proposal, {"b.nxs": b"b"}, folder="two")
    other_file = second.files.get().pk
    assert (
        anonymous_client.get(reverse("download-file", kwargs={"pid": first.pid, "file_id": other_file})).status_code
        == 404
    )
    assert (
        anonymous_client.get(reverse("download-file", kwargs={"pid": first.pid, "file_id": 999999})).status_code == 404
    )


@pytest.mark.parametrize("crafted", ["../outside.txt", "raw/../../outside.txt", "/etc/passwd", ""])
def test_crafted_file_rows_cannot_leave_the_storage_root(anonymous_client, proposal, stored_dataset, tmp_path, crafted):
    (tmp_path / "outside.txt").write_bytes(b"top secret outside the root")
    dataset = stored_dataset(proposal, {"ok.nxs": b"fine"})
    row = DataFileFactory(dataset=dataset, path=crafted)
    response = anonymous_client.get(reverse("download-file", kwargs={"pid": dataset.pid, "file_id": row.pk}))
    assert response.status_code == 410
    assert b"top secret" not in response.content and b"root:" not in response.content


def test_symlink_escaping_the_storage_root_is_refused(
    anonymous_client, proposal, stored_dataset, storage_root, tmp_path
):
    (tmp_path / "outside.txt").write_bytes(b"top secret outside the root")
    dataset = stored_dataset(proposal, {"ok.nxs": b"fine"})
    (storage_root / "exp1" / "link.nxs").symlink_to(tmp_path / "outside.txt")
    row = DataFileFactory(dataset=dataset, path="link.nxs")
    response = anonymous_client.get(reverse("download-file", kwargs={"pid": dataset.pid, "file_id": row.pk}))
    assert response.status_code == 410 and b"top secret" not in response.content


def test_source_folder_outside_the_storage_root_is_refused(anonymous_client, proposal, stored_dataset, tmp_path):
    dataset = stored_dataset(proposal, {"ok.nxs": b"fine"})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "ok.nxs").write_bytes(b"not from the root")
    Dataset.objects.filter(pk=dataset.pk).update(source_folder=str(elsewhere))
    response = anonymous_client.get(file_url(dataset, "ok.nxs"))
    assert response.status_code == 410


def test_symlink_inside_the_root_is_served(anonymous_client, proposal, stored_dataset, storage_root):
    dataset = stored_dataset(proposal, {"raw/real.nxs": PAYLOAD})
    (storage_root / "exp1" / "alias.nxs").symlink_to(storage_root / "exp1" / "raw" / "real.nxs")
    row = DataFileFactory(dataset=dataset, path="alias.nxs")
    response = anonymous_client.get(reverse("download-file", kwargs={"pid": dataset.pid, "file_id": row.pk}))
    assert body(response) == PAYLOAD


def test_missing_file_is_410_with_an_explanation(anonymous_client, proposal, stored_dataset, storage_root):
    dataset = stored_dataset(proposal, {"gone.nxs": b"soon gone"})
    (storage_root / "exp1" / "gone.nxs").unlink()
    response = anonymous_client.get(file_url(dataset, "gone.nxs"))
    assert response.status_code == 410
    assert b"not in the facility" in response.content


def test_downloads_are_counted_once_per_download_and_outside_the_team_separately(
    anonymous_client, member_client, proposal, stored_dataset
):
    dataset = stored_dataset(proposal, {"raw/scan.nxs": PAYLOAD})
    url = file_url(dataset, "raw/scan.nxs")
    body(anonymous_client.get(url))
    body(anonymous_client.get(url, HTTP_RANGE="bytes=5000-"))  # a resumption, not a new download
    anonymous_client.head(url)
    body(member_client.get(url))
    counted = DatasetStatistics.objects.get(dataset=dataset)
    assert (counted.download_count, counted.outside_download_count) == (2, 1)


def test_api_token_opens_embargoed_files_to_a_team_machine(client, member, proposal, stored_dataset):
    dataset = stored_dataset(proposal, {"raw/secret.nxs": PAYLOAD}, embargoed=True)
    token = Token.objects.create(user=member)
    url = file_url(dataset, "raw/secret.nxs")
    assert body(client.get(url, HTTP_AUTHORIZATION=f"Token {token.key}")) == PAYLOAD
    assert client.get(url, HTTP_AUTHORIZATION="Token wrong").status_code == 401


def test_dataset_zip_holds_every_file_and_a_checksum_manifest(anonymous_client, proposal, stored_dataset):
    files = {"raw/scan_1.nxs": PAYLOAD, "raw/scan_2.nxs": PAYLOAD[::-1], "master.h5": b"master"}
    dataset = stored_dataset(proposal, files)
    response = anonymous_client.get(reverse("download-dataset", kwargs={"pid": dataset.pid}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    content = body(response)
    assert int(response["Content-Length"]) == len(content)
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert archive.testzip() is None
    folder = archive.namelist()[0].split("/")[0]
    for path, data in files.items():
        assert archive.read(f"{folder}/{path}") == data
    manifest = archive.read(f"{folder}/checksums.blake2b").decode().splitlines()
    assert sorted(manifest) == sorted(f"{hashlib.blake2b(data).hexdigest()}  {path}" for path, data in files.items())
    assert DatasetStatistics.objects.get(dataset=dataset).download_count == 1


def test_zip_lists_missing_files_instead_of_failing(anonymous_client, proposal, stored_dataset, storage_root):
    dataset = stored_dataset(proposal, {"here.nxs": b"here", "gone.nxs": b"gone"})
    (storage_root / "exp1" / "gone.nxs").unlink()
    archive = zipfile.ZipFile(
        io.BytesIO(body(anonymous_client.get(reverse("download-dataset", kwargs={"pid": dataset.pid}))))
    )
    names = {name.split("/", 1)[1] for name in archive.namelist()}
    assert names == {"here.nxs", "checksums.blake2b", "MISSING.txt", "ro-crate-metadata.json"}
    assert "gone.nxs" in archive.read(next(n for n in archive.namelist() if n.endswith("MISSING.txt"))).decode()
    crate = json.loads(archive.read(next(n for n in archive.namelist() if n.endswith("ro-crate-metadata.json"))))
    described = {entity["@id"] for entity in crate["@graph"] if entity.get("@type") == "File"}
    assert described == {"here.nxs", "checksums.blake2b", "MISSING.txt"}


def test_embargoed_zip_is_404_for_outsiders(anonymous_client, outsider_client, member_client, proposal, stored_dataset):
    dataset = stored_dataset(proposal, {"raw/secret.nxs": PAYLOAD}, embargoed=True)
    url = reverse("download-dataset", kwargs={"pid": dataset.pid})
    assert anonymous_client.get(url).status_code == 404
    assert outsider_client.get(url).status_code == 404
    assert member_client.get(url).status_code == 200


def test_zip_above_the_cap_explains_the_bulk_route(anonymous_client, proposal, stored_dataset, facility, settings):
    settings.DOWNLOAD_ZIP_MAX_BYTES = 100
    facility.bulk_download_url = "https://app.globus.org/file-manager?origin_path={path}"
    facility.save()
    dataset = stored_dataset(proposal, {"raw/big.nxs": PAYLOAD})
    response = anonymous_client.get(reverse("download-dataset", kwargs={"pid": dataset.pid}))
    assert response.status_code == 413
    assert f"https://app.globus.org/file-manager?origin_path={dataset.source_folder}" in response.content.decode()
    assert DataFile.objects.filter(dataset=dataset).count() == 1


def test_file_downloads_point_to_their_landing_page_and_linkset(anonymous_client, proposal, stored_dataset, settings):
    settings.ROOT_URLCONF = "tests.access.urls_with_landing"
    dataset = stored_dataset(proposal, {"raw/scan.nxs": PAYLOAD})
    link = anonymous_client.head(file_url(dataset, "raw/scan.nxs"))["Link"]
    assert f'<http://testserver/landing/datasets/{dataset.pid}> ; rel="collection"' in link
    assert f'<http://testserver/linkset/datasets/{dataset.pid}> ; rel="linkset"' in link
