"""File links appear only when the caller may download, and lead to the bytes; the access-request form is offered
during an embargo. The download and access-request views are the access work's; these tests follow the links."""

import pytest
from django.test import override_settings
from django.urls import resolve
from lxml import etree

from tests.landing.conftest import LEAK_TOKEN

pytestmark = pytest.mark.django_db


def test_open_dataset_page_links_every_file_and_the_zip(anonymous_client, open_proposal, tmp_path):
    dataset = open_proposal.datasets.first()
    dataset.instrument.facility.storage_root = str(tmp_path)
    dataset.instrument.facility.save()
    dataset.source_folder = str(tmp_path / "cement")
    dataset.save()
    (tmp_path / "cement" / "raw").mkdir(parents=True)
    for data_file in dataset.files.all():
        (tmp_path / "cement" / data_file.path).write_bytes(b"NeXus bytes of " + data_file.path.encode())
    response = anonymous_client.get("/datasets/esrf/dataset/000123")
    html = response.content.decode()
    link = etree.HTML(html).xpath("//table[@class='files']//a[text()='Download']/@href")[0]
    download = anonymous_client.get(link)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"NeXus bytes of raw/cement_000.nxs"
    # A download by someone outside the team is evidenced reuse: the carbon block now counts it.
    again = anonymous_client.get("/datasets/esrf/dataset/000123").content.decode()
    assert "1 download outside the team" in again and "has avoided about" in again
    files = etree.HTML(html).xpath("//table[@class='files']//a[text()='Download']/@href")
    assert len(files) == 3 and all(href.startswith("/datasets/esrf/dataset/000123/files/") for href in files)
    assert 'href="/datasets/esrf/dataset/000123/download.zip"' in html
    assert response["Link"].count('rel="item" ; type="application/x-hdf5"') == 3
    assert response["Link"].count('rel="item" ; type="application/zip"') == 1
    assert 'rel="item"' in anonymous_client.get("/doi/10.80000/ESRF-MA-5678")["Link"]
    jsonld = anonymous_client.get("/doi/10.80000/ESRF-MA-5678", {"format": "jsonld"}).json()
    assert [item["encodingFormat"] for item in jsonld["distribution"]] == ["application/x-hdf5"] * 3 + [
        "application/zip"
    ]
    assert jsonld["distribution"][-1]["contentUrl"] == "http://127.0.0.1:8000/datasets/esrf/dataset/000123/download.zip"


@override_settings(EMBARGOED_METADATA="visible")
def test_embargoed_files_are_never_linked_even_when_metadata_is_public(anonymous_client, embargoed_proposal):
    response = anonymous_client.get(f"/datasets/esrf/dataset/{LEAK_TOKEN.lower()}")
    html = response.content.decode()
    assert response.status_code == 200
    assert "/files/" not in html and "download.zip" not in html and 'rel="item"' not in response["Link"]
    assert f'href="/access/request/{embargoed_proposal.pid}"' in html


def test_embargoed_stub_offers_the_access_request_form(anonymous_client, embargoed_proposal):
    html = anonymous_client.get("/doi/10.80000/ESRF-MX-9999").content.decode()
    assert f'href="/access/request/{embargoed_proposal.pid}"' in html and "Request access from the team" in html
    assert "/files/" not in html


def test_team_members_get_file_links_during_the_embargo(embargoed_proposal):
    from tests.conftest import client_for
    from tests.factories import UserFactory

    user = UserFactory(username="grace")
    person = embargoed_proposal.members.first().person
    person.user = user
    person.save()
    html = client_for(user).get(f"/datasets/esrf/dataset/{LEAK_TOKEN.lower()}").content.decode()
    assert f"/datasets/esrf/dataset/{LEAK_TOKEN.lower()}/files/" in html


def test_dataset_page_route_leaves_the_download_routes_to_the_access_views(db):
    assert resolve("/datasets/esrf/dataset/000123/download.zip").url_name == "download-dataset"
    assert resolve("/datasets/esrf/dataset/000123/files/7/download").url_name == "download-file"
    assert resolve("/datasets/esrf/dataset/000123/preview.png").url_name == "landing-dataset-preview"
    assert resolve("/datasets/esrf/dataset/000123").url_name == "landing-dataset"
    assert resolve("/datasets/esrf/dataset/000123/files/x/download").url_name == "landing-dataset"
