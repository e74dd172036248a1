"""Both embargo policies (access-policy.md): `hidden` shows nothing of embargoed data to the public, `visible`
shows their metadata; under either, embargoed files stay closed until the data open."""

import pytest
from django.urls import reverse
from django.utils import timezone

from catalogue.services import opening

SECRET = b"embargoed payload"


@pytest.fixture
def embargoed(proposal, stored_dataset):
    return stored_dataset(proposal, {"raw/secret.nxs": SECRET}, embargoed=True)


def download(client, dataset):
    return client.get(reverse("download-file", kwargs={"pid": dataset.pid, "file_id": dataset.files.get().pk}))


@pytest.mark.parametrize("policy", ["hidden", "visible"])
def test_files_stay_closed_under_both_policies(settings, anonymous_client, outsider_client, embargoed, policy):
    settings.EMBARGOED_METADATA = policy
    for client in (anonymous_client, outsider_client):
        assert download(client, embargoed).status_code == 404
        assert client.get(reverse("download-dataset", kwargs={"pid": embargoed.pid})).status_code == 404


def test_hidden_policy_hides_the_metadata(settings, anonymous_client, embargoed):
    settings.EMBARGOED_METADATA = "hidden"
    assert anonymous_client.get(f"/api/v1/datasets/{embargoed.pid}/").status_code == 404


def test_visible_policy_shows_the_metadata(settings, anonymous_client, embargoed):
    settings.EMBARGOED_METADATA = "visible"
    response = anonymous_client.get(f"/api/v1/datasets/{embargoed.pid}/")
    assert response.status_code == 200 and embargoed.title in response.content.decode()


@pytest.mark.parametrize("policy", ["hidden", "visible"])
def test_files_open_with_the_data(settings, anonymous_client, embargoed, policy):
    settings.EMBARGOED_METADATA = policy
    opening.open_now(embargoed, by=None)
    response = download(anonymous_client, embargoed)
    assert b"".join(response.streaming_content) == SECRET
    assert response["Cache-Control"].startswith("public")
    assert embargoed.proposal.datasets.get().opened_at <= timezone.now()
