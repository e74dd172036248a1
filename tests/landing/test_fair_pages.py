"""The FAIR score on landing pages: badge and breakdown (embargo-safe), the JSON export, and members' fixes."""

import pytest
from django.test import Client

from catalogue.models import Dataset, DatasetFairScore, Person
from catalogue.services import fair
from tests.factories import MemberFactory, PersonFactory, UserFactory

DATASET = "/datasets/esrf/dataset/000123"


@pytest.fixture
def scored(open_proposal, embargoed_proposal):
    fair.recompute(fair.Changed(documents=(open_proposal.pk, embargoed_proposal.pk)))
    return open_proposal


def test_public_dataset_page_shows_the_badge_and_breakdown(scored, anonymous_client):
    page = anonymous_client.get(DATASET).content.decode()
    score = DatasetFairScore.objects.get(dataset__pid="esrf/dataset/000123").score
    assert f"FAIR</span> {score:.2f}" in page and 'id="fair"' in page
    assert "FsF-R1.1-01M" in page and "What is missing" not in page  # the help is for members


def test_json_export_carries_the_score(scored, anonymous_client):
    body = anonymous_client.get("/fair/datasets/esrf/dataset/000123").json()
    assert body["pid"] == "esrf/dataset/000123" and len(body["checks"]) == 22
    assert {"key", "principle", "fuji_metric", "weight", "earned", "missing", "fix"} <= set(body["checks"][0])
    doi = anonymous_client.get("/fair/doi/10.80000/ESRF-MA-5678")
    assert doi.status_code == 200 and doi.json()["doi"] == "10.80000/ESRF-MA-5678"


def test_embargoed_records_show_no_score_to_the_public(scored, anonymous_client, embargoed_proposal):
    assert anonymous_client.get("/fair/doi/10.80000/ESRF-MX-9999").status_code == 404
    assert anonymous_client.get("/fair/datasets/esrf/dataset/zebraquokka").status_code == 404
    stub = anonymous_client.get("/doi/10.80000/ESRF-MX-9999").content.decode()
    assert 'id="fair"' not in stub and "badge fair" not in stub
    api = anonymous_client.get(f"/api/v1/documents/{embargoed_proposal.pid}/")
    assert api.status_code == 404 or api.json()["fair"] is None


@pytest.fixture
def scientist(scored):
    """A signed-in member of the open proposal, as a Person without an ORCID iD."""
    user = UserFactory(username="scientist")
    MemberFactory(document=scored, person=PersonFactory(user=user, full_name="Sam Scientist", orcid=""))
    fair.recompute(fair.Changed(documents=(scored.pk,)))
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_member_sees_what_is_missing_with_training_links_and_fixes_it(scientist, django_capture_on_commit_callbacks):
    page = scientist.get(DATASET).content.decode()
    assert "What is missing, and why it matters" in page
    assert "https://pan-training.eu/" in page and "https://pan-learning.org/" in page
    token = scientist.cookies["csrftoken"].value
    before = DatasetFairScore.objects.get(dataset__pid="esrf/dataset/000123").score
    with django_capture_on_commit_callbacks(execute=True):
        response = scientist.post(
            "/fair/fix/esrf/dataset/000123",
            {
                "keywords": "cement, SAXS",
                "orcid": "https://orcid.org/0000-0002-1825-0097",
                "csrfmiddlewaretoken": token,
            },
        )
    assert response.status_code == 303
    dataset = Dataset.objects.get(pid="esrf/dataset/000123")
    assert dataset.keywords == ["cement", "SAXS"]
    assert dataset.history.first().history_user.username == "scientist"  # audited like every change
    assert Person.objects.get(full_name="Sam Scientist").orcid == "0000-0002-1825-0097"
    assert DatasetFairScore.objects.get(dataset=dataset).score > before


def test_member_fix_refuses_bad_input_outsiders_and_forged_requests(scientist, outsider_client):
    token = scientist.get(DATASET) and scientist.cookies["csrftoken"].value
    bad = scientist.post("/fair/fix/esrf/dataset/000123", {"orcid": "1234", "csrfmiddlewaretoken": token})
    assert bad.status_code == 400 and b"not an ORCID" in bad.content
    assert scientist.post("/fair/fix/esrf/dataset/000123", {"keywords": "x"}).status_code == 403  # no CSRF token
    assert outsider_client.post("/fair/fix/esrf/dataset/000123", {"keywords": "x"}).status_code == 403
    assert outsider_client.get("/fair/fix/esrf/dataset/000123").status_code == 405
    assert Dataset.objects.get(pid="esrf/dataset/000123").keywords == []
