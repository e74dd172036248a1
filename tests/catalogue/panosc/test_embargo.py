"""Open data only, under either EMBARGOED_METADATA policy (access-policy.md): a unique token in an embargoed
dataset's title, sample, parameters and file names must appear in no answer, count, include or score."""

import json

import pytest

from tests.catalogue.panosc.catalogue import SECRET, seed

EVERYTHING = [
    {
        "relation": "datasets",
        "scope": {"include": ["techniques", "parameters", "files", "samples", "instrument", "documents"]},
    },
    {"relation": "members", "scope": {"include": ["person", "affiliation"]}},
    "parameters",
]


@pytest.fixture(params=["hidden", "visible"])
def seeded(request, db, settings):
    settings.EMBARGOED_METADATA = request.param
    return seed()


def requests(seeded) -> list[tuple[str, dict]]:
    secret = seeded.datasets["secret"]
    return [
        (
            "/Datasets",
            {
                "filter": {
                    "include": ["techniques", "parameters", "files", "samples", "documents", "document", "instrument"]
                }
            },
        ),
        ("/Datasets", {"filter": {"where": {"title": {"like": SECRET}}}}),
        ("/Datasets", {"filter": {"query": SECRET}}),
        ("/Datasets", {"filter": {"query": f"secret run {SECRET}"}}),
        (
            "/Datasets",
            {"filter": {"include": [{"relation": "parameters", "scope": {"where": {"value": {"like": SECRET}}}}]}},
        ),
        ("/Documents", {"filter": {"include": EVERYTHING}}),
        ("/Documents", {"filter": {"query": SECRET}}),
        ("/Documents", {"filter": {"where": {"title": {"ilike": SECRET}}}}),
        ("/Instruments", {"filter": {"include": ["datasets"]}}),
        ("/Datasets/count", {"where": {"title": {"like": SECRET}}}),
        ("/Documents/count", {"where": {"text": SECRET}}),
        (f"/Datasets/{secret.pid.replace('/', '%2F')}", {}),
        (f"/Datasets/{secret.pid.replace('/', '%2F')}/files", {}),
        (f"/Datasets/{secret.pid.replace('/', '%2F')}/files/count", {}),
        (f"/Documents/{seeded.secret_only.pid.replace('/', '%2F')}", {}),
        (f"/Documents/{seeded.proposal.pid.replace('/', '%2F')}", {"filter": {"include": EVERYTHING}}),
        ("", {}),
    ]


def test_an_embargoed_token_appears_in_no_answer_count_include_or_score(api, seeded):
    for path, params in requests(seeded):
        response = api.get(path, **params)
        assert response.status_code in (200, 404), (path, response.content[:300])
        assert SECRET not in response.content.decode(), path
        body = response.json()
        if path.endswith("count") and response.status_code == 200:
            assert body["count"] == 0, path
        if response.status_code == 404:
            assert body["error"]["code"] == "MODEL_NOT_FOUND"


def test_the_open_proposal_lists_only_its_open_datasets_and_counts_only_open_data(api, seeded):
    detail = api.json(f"/Documents/{seeded.proposal.pid.replace('/', '%2F')}", filter={"include": ["datasets"]})
    assert seeded.datasets["secret"].pid not in json.dumps(detail)
    total = api.json("/Datasets/count")["count"]
    assert total == len([key for key in seeded.datasets if not key.startswith("secret")])
    assert seeded.secret_only.pid not in json.dumps(api.json("/Documents"))


def test_a_document_qualifies_by_its_open_datasets_only(api, seeded):
    """The proposal holds open datasets and the embargoed one; only the embargoed one meets these conditions."""
    formula = {"and": [{"name": "sample_chemical_formula"}, {"value": {"like": SECRET}}]}
    scopes = [
        {"where": {"title": {"like": SECRET}}},
        {"include": [{"relation": "parameters", "scope": {"where": formula}}]},
    ]
    for scope in scopes:
        answer = api.json("/Documents", filter={"include": [{"relation": "datasets", "scope": scope}]})
        assert answer == [], scope
    open_run = {"where": {"title": {"like": "cement paste 25 C"}}}
    answer = api.json("/Documents", filter={"include": [{"relation": "datasets", "scope": open_run}]})
    assert [document["pid"] for document in answer] == [seeded.proposal.pid]
