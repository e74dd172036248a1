"""The portal's and the federation's exact requests (spec §12 E1–E20) against a seeded catalogue."""

from collections.abc import Iterator

import pytest

from tests.catalogue.panosc.catalogue import Seeded, seed
from tests.conftest import shared_rows


@pytest.fixture(scope="module")
def _seeded_of_module(django_db_setup, django_db_blocker) -> Iterator[Seeded]:
    """The seeded catalogue, built and indexed once for the module (tests.conftest.shared_rows)."""
    with shared_rows(django_db_blocker):
        yield seed()


@pytest.fixture
def seeded(_seeded_of_module, db) -> Seeded:
    """The seeded catalogue: no test of this module writes, so they share its records as they are."""
    return _seeded_of_module


def pids(body: list) -> set[str]:
    return {record["pid"] for record in body}


def datasets_scope(*include: dict) -> dict:
    return {"include": [{"relation": "datasets", "scope": {"include": list(include)}}], "limit": 50}


def parameters_item(where: dict) -> dict:
    return {"relation": "parameters", "scope": {"where": where}}


def test_e1_query_less_documents_are_sorted_by_title_with_the_constant_score(api, seeded):
    body = api.json("/Documents", filter={"limit": 100})
    titles = [record["title"] for record in body]
    assert titles == sorted(titles, key=str.lower)
    assert all(record["score"] == 0.5 and record["isPublic"] and record["type"] == "proposal" for record in body)
    assert all(
        set(record)
        <= {
            "pid",
            "isPublic",
            "type",
            "title",
            "summary",
            "doi",
            "startDate",
            "endDate",
            "releaseDate",
            "license",
            "keywords",
            "score",
        }
        for record in body
    )


def test_e2_free_text_scores_between_zero_and_one_highest_first(api, seeded):
    body = api.json("/Documents", filter={"query": "water magnetic", "limit": 50})
    scores = [record["score"] for record in body]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < score < 1 for score in scores)
    by_pid = {record["pid"]: record["score"] for record in body}
    assert by_pid[seeded.proposal.pid] == pytest.approx(2**-0.5)  # only "water"
    assert body[0]["pid"] == seeded.catalyst.pid  # both terms


def test_e3_limit_sent_as_a_string_is_accepted(api, seeded):
    body = api.json("/Documents", filter={"query": "cement hydration", "limit": "100"})
    assert pids(body) == {seeded.proposal.pid}


def test_e4_technique_by_label_or_synonym_finds_narrower_terms_and_lists_matching_techniques(api, seeded):
    for name in ("x-ray absorption spectroscopy", "XAS", "X-Ray  Absorption Spectroscopy"):
        body = api.json(
            "/Documents", filter=datasets_scope({"relation": "techniques", "scope": {"where": {"name": name}}})
        )
        assert pids(body) == {seeded.proposal.pid}
        datasets = body[0]["datasets"]
        assert {d["pid"] for d in datasets} == {seeded.datasets["xas"].pid, seeded.datasets["microxas"].pid}
        assert all(
            t["pid"].startswith("http://purl.org/pan-science/PaNET/PaNET") for d in datasets for t in d["techniques"]
        )


def test_e5_temperature_range_in_kelvin_converts_celsius_and_millikelvin(api, seeded):
    where = {"and": [{"name": "sample_temperature"}, {"value": {"between": [10, 300]}}, {"unit": "K"}]}
    body = api.json("/Documents", filter=datasets_scope(parameters_item(where)))
    datasets = {d["pid"]: d for record in body for d in record["datasets"]}
    assert seeded.datasets["cement25"].pid in datasets
    assert seeded.datasets["cold"].pid in datasets
    assert seeded.datasets["cement30"].pid not in datasets
    assert datasets[seeded.datasets["cement25"].pid]["parameters"][0] | {"id": 0} == {
        "id": 0,
        "name": "sample_temperature",
        "value": 298.15,
        "unit": "K",
    }
    assert datasets[seeded.datasets["cold"].pid]["parameters"][0]["value"] == 150


def test_e6_one_sided_bound_as_a_string_in_celsius(api, seeded):
    where = {"and": [{"name": "sample_temperature"}, {"value": {"lte": "80"}}, {"unit": "celsius"}]}
    body = api.json("/Datasets", filter={"include": [parameters_item(where)]})
    by_pid = {record["pid"]: record for record in body}
    room = by_pid[seeded.datasets["room"].pid]["parameters"][0]
    assert room["value"] == 26.85 and room["unit"] == "celsius"


def test_e7_wavelength_in_angstrom_matches_nanometres(api, seeded):
    where = {"and": [{"name": "incident_wavelength"}, {"value": {"gte": "1.5"}}, {"unit": "angstrom"}]}
    body = api.json("/Datasets", filter={"include": [parameters_item(where)]})
    assert pids(body) == {seeded.datasets["wl_nm"].pid}
    assert body[0]["parameters"][0]["value"] == 2 and body[0]["parameters"][0]["unit"] == "angstrom"


def test_e8_without_a_unit_values_compare_as_stored(api, seeded):
    where = {"and": [{"name": "incident_photon_energy"}, {"value": {"between": [8000, 9000]}}]}
    body = api.json("/Datasets", filter={"include": [parameters_item(where)]})
    assert pids(body) == {seeded.datasets["e_ev"].pid}
    assert body[0]["parameters"][0]["value"] == 8500 and body[0]["parameters"][0]["unit"] == "eV"


def test_e9_chemical_formula_like_is_case_sensitive_substring(api, seeded):
    where = {"and": [{"name": "sample_chemical_formula"}, {"value": {"like": "Fe2O3"}}]}
    body = api.json("/Datasets", filter={"include": [parameters_item(where)]})
    assert pids(body) == {seeded.datasets["fe"].pid, seeded.datasets["fe_h2o"].pid}


def test_e10_all_four_conditions_hold_on_the_same_dataset_and_the_query_ranks(api, seeded):
    body = api.json(
        "/Documents",
        filter={
            "include": [
                {
                    "relation": "datasets",
                    "scope": {
                        "include": [
                            {"relation": "techniques", "scope": {"where": {"name": "small angle x-ray scattering"}}},
                            parameters_item({"and": [{"name": "sample_chemical_formula"}, {"value": {"like": "Pt"}}]}),
                            parameters_item(
                                {
                                    "and": [
                                        {"name": "incident_photon_energy"},
                                        {"value": {"gte": "7000"}},
                                        {"unit": "eV"},
                                    ]
                                }
                            ),
                            parameters_item(
                                {
                                    "and": [
                                        {"name": "sample_temperature"},
                                        {"value": {"between": [250, 350]}},
                                        {"unit": "K"},
                                    ]
                                }
                            ),
                        ]
                    },
                }
            ],
            "query": "catalyst",
            "limit": 50,
        },
    )
    assert pids(body) == {seeded.catalyst.pid}
    (dataset,) = body[0]["datasets"]
    assert dataset["pid"] == seeded.datasets["pt_good"].pid
    values = {p["name"]: (p["value"], p.get("unit")) for p in dataset["parameters"]}
    assert values == {
        "sample_chemical_formula": ("Pt/Al2O3", None),
        "incident_photon_energy": (11500, "eV"),
        "sample_temperature": (300, "K"),
    }
    assert 0 < body[0]["score"] < 1


def test_e11_document_detail_with_members_despite_lower_case_route_and_encoded_slash(api, seeded):
    body = api.json(
        "/documents/10.99999%2FPROP-2023-0417",
        filter={
            "include": [
                {"relation": "members", "scope": {"include": [{"relation": "affiliation"}, {"relation": "person"}]}}
            ],
            "limit": 0,
        },
    )
    assert body["pid"] == "10.99999/PROP-2023-0417"
    assert body["members"][0]["person"]["fullName"] == "Ada Example"
    assert body["members"][0]["affiliation"]["name"] == "Example University"
    assert "email" not in str(body)


def test_e12_document_detail_lists_every_open_dataset_with_its_techniques(api, seeded):
    body = api.json(
        "/documents/10.99999%2FPROP-2023-0417",
        filter={"include": [{"relation": "datasets", "scope": {"include": [{"relation": "techniques"}]}}], "limit": 0},
    )
    open_ones = {
        d.pid
        for key, d in seeded.datasets.items()
        if d.proposal_id == seeded.proposal.pk and not key.startswith("secret")
    }
    assert {d["pid"] for d in body["datasets"]} == open_ones
    assert all(isinstance(d["techniques"], list) for d in body["datasets"])


def test_e13_unknown_pid_is_404_model_not_found(api, seeded):
    body = api.json("/Documents/10.99999%2Fdoes-not-exist", status=404)
    assert body["error"]["code"] == "MODEL_NOT_FOUND" and body["error"]["statusCode"] == 404


def test_e14_counts(api, seeded):
    assert api.json("/Documents/count", where={"type": "proposal"}) == {"count": 2}
    open_datasets = len([key for key in seeded.datasets if not key.startswith("secret")])
    assert api.json("/Datasets/count") == {"count": open_datasets}
    assert api.json("/Datasets/count", where={"text": "cement"}) == {"count": 2}


def test_e15_parameter_or_of_two_groups(api, seeded):
    where = {
        "or": [
            {"and": [{"name": "sample_chemical_formula"}, {"value": "Fe2O3"}]},
            {"and": [{"name": "incident_photon_energy"}, {"value": 8500}]},
        ]
    }
    body = api.json("/Datasets", filter={"include": [parameters_item(where)]})
    assert pids(body) == {seeded.datasets["fe"].pid, seeded.datasets["e_ev"].pid}
    assert all(0 < record["score"] < 1 for record in body)


def test_e17_instruments_of_another_facility_give_an_empty_page(api, seeded):
    assert api.json("/Instruments", filter={"where": {"facility": "ESS"}, "skip": 3, "limit": 3}) == []
    assert len(api.json("/Instruments", filter={"where": {"facility": "PCD"}})) == 1


def test_e18_files_of_a_dataset_by_name_pattern_largest_first_and_count(api, seeded):
    body = api.json(
        "/Datasets/10.99999%2FDS-88412/files",
        filter={"where": {"name": {"like": ".nxs"}}, "order": "size DESC", "limit": 10},
    )
    assert [f["name"] for f in body] == ["run88412_big.nxs", "run88412.nxs"]
    assert body[0] == {"id": body[0]["id"], "name": "run88412_big.nxs", "path": "raw", "size": 9000}
    assert api.json("/Datasets/10.99999%2FDS-88412/files/count") == {"count": 3}
    assert api.json("/datasets/10.99999%2FDS-88412/FILES/Count", where={"name": {"like": ".txt"}}) == {"count": 1}


def test_e19_dates_fields_and_order(api, seeded):
    body = api.json(
        "/Datasets",
        filter={
            "where": {"creationDate": {"gt": "2019-01-01"}},
            "order": "creationDate DESC",
            "fields": {"pid": True, "title": True},
            "limit": 5,
        },
    )
    assert len(body) == 5
    assert all(set(record) == {"pid", "title", "score"} for record in body)


@pytest.mark.parametrize(
    ("raw_filter", "code"),
    [
        ("{bad", "INVALID_FILTER"),
        ('{"where":{"size":{"gtx":1}}}', "UNKNOWN_OPERATOR"),
        (
            '{"include":[{"relation":"parameters","scope":{"where":{"and":[{"name":"sample_temperature"},'
            '{"value":{"gt":1}},{"unit":"kelvinz"}]}}}]}',
            "UNKNOWN_UNIT",
        ),
    ],
)
def test_e20_malformed_input_is_a_400_naming_the_problem(api, seeded, raw_filter, code):
    body = api.json("/Datasets", filter=raw_filter, status=400)
    assert body["error"]["code"] == code and body["error"]["name"] == "BadRequestError"
