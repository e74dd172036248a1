"""JSON nested past any metadata's depth is refused with a 400 or a form error: bodies past Python's recursion limit
(DRF's parser raised RecursionError, a 500) and stored values past catalogue.models.validators.MAX_JSON_DEPTH (a
value ~900 deep was stored, then broke the admin's change form of its dataset)."""

import json

import pytest
from django.urls import reverse

from catalogue.models.validators import MAX_JSON_DEPTH
from tests.catalogue.test_admin import admin_form_data
from tests.factories import DatasetFactory

pytestmark = pytest.mark.django_db


def nested(levels: int) -> dict:
    value: dict = {"temperature": 4.2}
    for _ in range(levels - 1):
        value = {"inner": value}
    return value


@pytest.mark.parametrize(
    "body", ["[" * 5000 + "]" * 5000, '{"a":' * 5000 + "1" + "}" * 5000], ids=["arrays", "objects"]
)
@pytest.mark.parametrize(
    "method, url", [("post", "/api/v1/ingest/"), ("patch", "dataset"), ("post", "/api/v1/datasets/")]
)
def test_a_body_nested_thousands_deep_is_a_400(steward_client, method, url, body):
    if url == "dataset":
        url = f"/api/v1/datasets/{DatasetFactory().pid}/"
    response = getattr(steward_client, method)(url, body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["error"]["message"] == "JSON parse error - the body nests its arrays and objects too deeply"


def test_metadata_nested_past_the_limit_is_refused_naming_the_field_and_up_to_it_kept(steward_client):
    dataset = DatasetFactory()
    url = f"/api/v1/datasets/{dataset.pid}/"
    for field in ("scientific_metadata",):
        too_deep = json.dumps({field: nested(MAX_JSON_DEPTH + 1)})
        response = steward_client.patch(url, too_deep, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["error"]["fields"][field] == ["Nested deeper than 32 levels; keep metadata flatter."]
        response = steward_client.patch(
            url, json.dumps({field: nested(MAX_JSON_DEPTH)}), content_type="application/json"
        )
        assert response.status_code == 200, response.content[:300]
    dataset.refresh_from_db()
    assert dataset.scientific_metadata == nested(MAX_JSON_DEPTH)
    assert steward_client.get(f"/datasets/{dataset.pid}").status_code == 200


@pytest.mark.parametrize("levels", [MAX_JSON_DEPTH + 1, 900])
def test_the_admin_form_says_so_and_stores_nothing(steward_client, levels):
    dataset = DatasetFactory(scientific_metadata={"kept": True})
    url = reverse("admin:catalogue_dataset_change", args=[dataset.pk])
    data = admin_form_data(steward_client.get(url))
    data.update({"scientific_metadata": json.dumps(nested(levels)), "_save": "Save"})
    response = steward_client.post(url, data)
    assert response.status_code == 200
    assert "Nested deeper than 32 levels" in str(response.context["adminform"].form.errors["scientific_metadata"])
    dataset.refresh_from_db()
    assert dataset.scientific_metadata == {"kept": True}
