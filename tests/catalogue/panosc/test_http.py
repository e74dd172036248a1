"""HTTP surface (spec §1, §3, §10): routes, case, slashes, pids, CORS, methods, errors and guards."""

import json

import pytest

from tests.factories import DataFileFactory, DatasetFactory, ProposalFactory


@pytest.fixture
def doi_dataset(db):
    proposal = ProposalFactory(pid="10.99999/PROP-1", doi="10.99999/PROP-1")
    return DatasetFactory(pid="10.99999/DS-Abc", proposal=proposal, title="Aérogel run")


@pytest.mark.parametrize("path", ["/Datasets", "/datasets", "/DATASETS/", "/Datasets/count", "/datasets/COUNT/"])
def test_entity_and_fixed_segments_match_in_any_case_with_or_without_a_trailing_slash(api, doi_dataset, path):
    response = api.get(path)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    "written",
    [
        "10.99999%2FDS-Abc",
        "10.99999/DS-Abc",
        "10.99999%2Fds-abc",
        "doi%3A10.99999%2FDS-Abc",
        "https%3A%2F%2Fdoi.org%2F10.99999%2FDS-Abc",
        "10.99999%252FDS-Abc",
    ],
)
def test_pid_lookup_accepts_encoded_case_insensitive_prefixed_and_double_encoded_dois(api, doi_dataset, written):
    assert api.json(f"/Datasets/{written}")["pid"] == "10.99999/DS-Abc"


def test_documents_are_found_by_doi_in_any_case(api, doi_dataset):
    assert api.json("/documents/10.99999%2Fprop-1")["pid"] == "10.99999/PROP-1"


def test_files_of_a_dataset_whose_pid_holds_slashes(api, doi_dataset):
    DataFileFactory(dataset=doi_dataset, path="a/b/c.h5", size=10)
    assert api.json("/Datasets/10.99999%2FDS-Abc/files") == [
        {"id": doi_dataset.files.get().pk, "name": "c.h5", "path": "a/b", "size": 10}
    ]
    assert api.json("/Datasets/10.99999/DS-Abc/files/count") == {"count": 1}


def test_the_raw_request_uri_resolves_a_pid_ending_in_files(client, db):
    DatasetFactory(pid="weird/files", title="Weird")
    response = client.get("/panosc-api/Datasets/weird/files", REQUEST_URI="/panosc-api/Datasets/weird%2Ffiles")
    assert response.json()["pid"] == "weird/files"


def test_status_object_names_facility_panet_and_index(api, db):
    body = api.json("")
    assert {"apiVersion", "facility", "panetVersion", "scoring"} <= set(body)
    assert api.json("/")["apiVersion"] == body["apiVersion"]


def test_options_is_a_cors_preflight(client, db):
    response = client.options("/panosc-api/Datasets")
    assert response.status_code == 204
    assert response["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert response["Access-Control-Allow-Headers"] == "Accept, Content-Type"


def test_head_works_and_other_methods_get_405_json(client, db):
    assert client.head("/panosc-api/Datasets").status_code == 200
    response = client.post("/panosc-api/Datasets", data={})
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_unknown_routes_are_404_json_never_html(api, db):
    for path in ("/Samples", "/Instruments/x/files", "x"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "NOT_FOUND"


def test_query_parameter_is_used_when_the_filter_has_none(api, doi_dataset):
    from tests.catalogue.panosc.conftest import rebuild_index

    rebuild_index()
    assert [r["pid"] for r in api.json("/Datasets", query="aérogel")] == ["10.99999/DS-Abc"]
    assert api.json("/Datasets", query="nothing-like-it") == []


@pytest.mark.parametrize(
    ("filter_text", "code"),
    [
        ("[1,2]", "INVALID_FILTER"),
        ('"text"', "INVALID_FILTER"),
        ('{"where":{"nope":1}}', "UNKNOWN_PROPERTY"),
        ('{"include":"nope"}', "UNKNOWN_RELATION"),
        ('{"include":[{"relation":"files","extra":1}]}', "INVALID_FILTER"),
        ('{"where":{"size":{"between":[1]}}}', "INVALID_OPERAND"),
        ('{"where":{"size":{"inq":5}}}', "INVALID_OPERAND"),
        ('{"where":{"size":"big"}}', "INVALID_VALUE"),
        ('{"where":{"creationDate":{"gt":"yesterday"}}}', "INVALID_VALUE"),
        ('{"limit":-1}', "INVALID_VALUE"),
        ('{"skip":"1.5"}', "INVALID_VALUE"),
        ('{"query":5}', "INVALID_FILTER"),
        ('{"order":"nope DESC"}', "UNKNOWN_PROPERTY"),
        ('{"fields":["nope"]}', "UNKNOWN_PROPERTY"),
        ('{"where":{"title":{"regexp":"(a+)+$"}}}', "INVALID_FILTER"),
        ('{"where":{"title":{"regexp":"(unclosed"}}}', "INVALID_FILTER"),
        ('{"where":{"title":{"near":[1,2]}}}', "UNKNOWN_OPERATOR"),
        (
            '{"include":{"documents":{"datasets":{"documents":{"datasets":{"documents":"datasets"}}}}}}',
            "INVALID_FILTER",
        ),
        ('{"where":{"title":{"inq":' + json.dumps(list(range(1001))) + "}}}", "INVALID_OPERAND"),
        ('{"where":{"title":"' + "x" * 110_000 + '"}}', "INVALID_FILTER"),
        ("[" * 100_000 + "]" * 100_000, "INVALID_FILTER"),
    ],
)
def test_bad_input_is_a_400_naming_the_problem_never_a_500(api, db, filter_text, code):
    response = api.get("/Datasets", filter=filter_text)
    assert response.status_code == 400, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert "psycopg" not in response.content.decode() and "SELECT" not in response.content.decode()


def test_an_invalid_where_on_count_is_a_400(api, db):
    assert api.json("/Datasets/count", where="{bad", status=400)["error"]["code"] == "INVALID_FILTER"


def test_count_accepts_a_filter_with_where_when_where_is_missing(api, doi_dataset):
    assert api.json("/Datasets/count", filter={"where": {"title": "nothing"}}) == {"count": 0}


def test_deep_valid_nesting_and_a_thousand_item_inq_are_answered(api, doi_dataset):
    where: dict = {"title": "Aérogel run"}
    for _ in range(30):
        where = {"and": [where, {"or": [{"size": {"gte": 0}}, {"size": {"lt": 0}}]}]}
    assert len(api.json("/Datasets", filter={"where": where})) == 1
    inq = [f"pid-{index}" for index in range(999)] + ["10.99999/DS-Abc"]
    assert len(api.json("/Datasets", filter={"where": {"pid": {"inq": inq}}})) == 1


def test_limit_is_cut_to_max_limit_and_numbers_may_be_strings(api, doi_dataset, settings):
    settings.PANOSC_MAX_LIMIT = 1
    DatasetFactory()
    assert len(api.json("/Datasets", filter={"limit": "100"})) == 1
    assert len(api.json("/Datasets", filter={"limit": 0, "skip": "1"})) == 1


def test_is_public_conditions_are_no_ops_or_empty(api, doi_dataset):
    assert len(api.json("/Datasets", filter={"where": {"isPublic": True}})) == 1
    assert api.json("/Datasets", filter={"where": {"isPublic": "false"}}) == []
    assert api.json("/Datasets", filter={"where": {"isPublic": {"neq": True}}}) == []


@pytest.mark.parametrize(
    ("where", "titles"),
    [
        ({"title": {"like": "run%1"}}, ["run 1"]),
        ({"title": {"like": "Run"}}, []),
        ({"title": {"ilike": "RUN_2"}}, ["run 2"]),
        ({"title": {"nlike": "2"}}, ["run 1", "other"]),
        ({"title": {"regexp": "/^RUN/i"}}, ["run 1", "run 2"]),
        ({"title": {"neq": "run 1"}}, ["run 2", "other"]),
        ({"title": {"nin": ["run 1", "run 2"]}}, ["other"]),
        ({"title": {"inq": []}}, []),
        ({"title": {"nin": []}}, ["run 1", "run 2", "other"]),
        ({"size": {"between": [5, 1]}}, []),
        ({"size": {"gt": "5"}}, ["run 2"]),
        ({"or": []}, []),
        ({"and": []}, ["run 1", "run 2", "other"]),
        ({"text": "RUN"}, ["run 1", "run 2"]),
        ({"text": "%"}, []),
        ({"score": 3, "provider": "x"}, ["run 1", "run 2", "other"]),
        ({"creationDate": {"gte": "2020-03-14"}}, ["run 1", "run 2", "other"]),
    ],
)
def test_operators(api, db, where, titles):
    DatasetFactory(title="run 1", size=1)
    DatasetFactory(title="run 2", size=10)
    DatasetFactory(title="other", size=5)
    body = api.json("/Datasets", filter={"where": where})
    assert sorted(record["title"] for record in body) == sorted(titles)


def test_keywords_match_any_element(api, db):
    ProposalFactory(title="A", keywords=["cement", "water"])
    ProposalFactory(title="B", keywords=["steel"])
    for proposal in __import__("catalogue.models", fromlist=["Document"]).Document.objects.all():
        DatasetFactory(proposal=proposal)
    assert [r["title"] for r in api.json("/Documents", filter={"where": {"keywords": "water"}})] == ["A"]
    assert [r["title"] for r in api.json("/Documents", filter={"where": {"keywords": {"like": "ste%"}}})] == ["B"]
    assert [r["title"] for r in api.json("/Documents", filter={"where": {"keywords": {"nin": ["water"]}}})] == ["B"]
