"""Curators see DataCite's refusals and can send a record again; related works are recorded in the admin."""

import pytest

from landing.models import DoiRegistration, RelatedWork
from tests.landing.test_dois import landing_tasks

pytestmark = pytest.mark.django_db


def test_curators_see_datacite_errors_and_can_queue_a_new_attempt(
    steward_client, open_proposal, django_capture_on_commit_callbacks
):
    registration = DoiRegistration.objects.create(
        document=open_proposal, metadata_sha256="abc", last_error="DataCite 422: url: not allowed", attempts=2
    )
    page = steward_client.get("/admin/landing/doiregistration/")
    assert page.status_code == 200 and "DataCite 422: url: not allowed" in page.content.decode()
    with django_capture_on_commit_callbacks() as callbacks:
        response = steward_client.post(
            "/admin/landing/doiregistration/",
            {"action": "send_again", "_selected_action": [registration.pk]},
        )
    assert response.status_code == 302
    assert [name for name, _ in landing_tasks(callbacks)] == ["landing.tasks.sync_doi"]
    registration.refresh_from_db()
    assert registration.metadata_sha256 == ""


def test_related_works_admin_pages_load(steward_client, open_proposal):
    work = RelatedWork.objects.create(document=open_proposal, identifier="10.1107/S1600577522001234")
    assert steward_client.get("/admin/catalogue/relatedwork/").status_code == 200
    assert steward_client.get(f"/admin/catalogue/relatedwork/{work.pk}/change/").status_code == 200
    assert steward_client.get("/admin/catalogue/relatedwork/add/").status_code == 200
