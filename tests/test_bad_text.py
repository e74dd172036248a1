"""Text no record can hold (a NUL character, a lone UTF-16 surrogate) is refused at the edge with a 400 that names
where it was, in the form of the surface asked, whichever way it came in; it never reaches the database."""

import json

import pytest

from tests.factories import DatasetFactory

pytestmark = pytest.mark.django_db

BAD_TEXTS = {"nul": "a\x00b", "high surrogate": "a\ud800b", "low surrogate": "\udfff"}
# A query string or form is UTF-8 on the wire, so a lone surrogate arrives only escaped inside JSON (or as bytes
# that decode to U+FFFD); NUL arrives everywhere.
NUL = BAD_TEXTS["nul"]


def panosc_requests(bad: str) -> list[tuple[str, dict]]:
    """Every place a PaNOSC request carries text: where, operators, keys, query, include scopes, count's where."""
    return [
        ("/panosc-api/Datasets", {"filter": {"where": {"title": bad}}}),
        ("/panosc-api/Documents", {"filter": {"where": {"or": [{"title": "x"}, {"summary": {"ilike": bad}}]}}}),
        ("/panosc-api/Instruments", {"filter": {"where": {"name": {"inq": ["x", bad]}}}}),
        ("/panosc-api/Datasets/count", {"where": {"title": bad}}),
        ("/panosc-api/Documents", {"filter": {"query": bad}}),
        (
            "/panosc-api/Datasets",
            {"filter": {"include": [{"relation": "parameters", "scope": {"where": {"unit": bad}}}]}},
        ),
        ("/panosc-api/Datasets", {"filter": {"where": {bad: "x"}}}),
    ]


@pytest.fixture
def dataset(db):
    return DatasetFactory(title="Glassy carbon")


@pytest.mark.parametrize("kind", BAD_TEXTS)
def test_bad_text_anywhere_in_a_panosc_filter_is_a_loopback_400(client, dataset, kind):
    for url, params in panosc_requests(BAD_TEXTS[kind]):
        ((name, document),) = params.items()
        response = client.get(url, {name: json.dumps(document)})
        assert response.status_code == 400, (url, document, response.content)
        error = response.json()["error"]
        assert error["name"] == "BadRequestError" and error["message"].startswith(f"“{name}")
        assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("url", ["/api/v1/datasets/", "/api/v1/documents/", "/api/v1/parameters/", "/api/v1/"])
def test_nul_in_a_rest_query_is_a_400_naming_the_parameter(client, dataset, url):
    for params in ({"title": NUL}, {NUL: "x"}, {"ordering": NUL}):
        response = client.get(url, params)
        assert response.status_code == 400, (url, params)
        assert set(response.json()["error"]["fields"]) == set(params)


@pytest.mark.parametrize("kind", BAD_TEXTS)
def test_bad_text_in_a_json_body_is_a_400_naming_the_field(steward_client, dataset, kind):
    body = json.dumps({"title": "fine", "definitions": ["NXmx", BAD_TEXTS[kind]]})
    response = steward_client.patch(f"/api/v1/datasets/{dataset.pid}/", body, content_type="application/json")
    assert response.status_code == 400
    assert "body.definitions[1]" in response.json()["error"]["message"]
    dataset.refresh_from_db()
    assert dataset.definitions != ["NXmx", BAD_TEXTS[kind]]


@pytest.mark.parametrize("url", ["/search", "/", "/datasets/x", "/doi/10.1/x", "/catalog"])
def test_nul_on_a_page_is_a_400_page_saying_what_is_wrong(client, db, url):
    response = client.get(url, {"q": NUL})
    assert response.status_code == 400
    assert "“q” contains a NUL character" in response.content.decode()
    assert client.get(url + "?q=%ED%A0%80").status_code < 500  # an encoded surrogate decodes to U+FFFD


def test_bad_text_in_a_posted_form_is_refused_before_the_view(member_client, db):
    response = member_client.post("/collections/new", {"title": "T", "datasets": NUL})
    assert response.status_code == 400
    assert "“datasets” contains a NUL character" in response.content.decode()


def test_json_looking_text_that_is_not_json_passes_to_the_view(client, dataset):
    response = client.get("/panosc-api/Datasets", {"filter": '{"where": '})
    assert response.status_code == 400 and response.json()["error"]["code"] == "INVALID_FILTER"
