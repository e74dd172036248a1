"""Technique queries expand to PaNET descendants (spec §5): the ten worked queries of the PaNOSC techniques
requirements document, E16, and name / synonym / PURL equivalence.

The document's tables were checked against the shipped PaNET (commit in catalogue/data/PaNET-terms.tsv): all ten
expected sets still hold with today's hierarchy, with "x-ray probe" now labelled "x-ray probe technique".
"""

import json
from collections.abc import Iterator

import pytest

from catalogue.models import Technique
from catalogue.panet import vocabulary
from catalogue.services.techniques import load_panet
from tests.catalogue.panosc.conftest import DATA, rebuild_index
from tests.conftest import shared_rows
from tests.factories import DatasetFactory

EXAMPLES = json.loads((DATA / "panet_worked_examples.json").read_text())


@pytest.fixture(scope="module")
def _tagged_of_module(django_db_setup, django_db_blocker) -> Iterator[None]:
    """The worked examples' datasets, tagged and indexed once for the module (tests.conftest.shared_rows)."""
    with shared_rows(django_db_blocker):
        load_panet(vocabulary=vocabulary())
        for key, names in EXAMPLES["datasets"].items():
            techniques = [Technique.objects.get(panet_id=vocabulary().find(name)[0].id) for name in names]
            DatasetFactory(pid=f"example/{key}", title=f"Example {key}", techniques=techniques)
        rebuild_index()
        yield


@pytest.fixture
def tagged(_tagged_of_module, db) -> None:
    """The worked examples' datasets: no test of this module writes."""


def returned(api, where: dict) -> list[str]:
    body = api.json("/Datasets", filter={"include": [{"relation": "techniques", "scope": {"where": where}}]})
    return sorted((record["pid"].split("/")[1] for record in body), key=int)


@pytest.mark.parametrize("example", EXAMPLES["queries"], ids=[f"query {q['query']}" for q in EXAMPLES["queries"]])
def test_worked_query_returns_the_documented_datasets(api, tagged, example):
    assert returned(api, example["where"]) == example["returned"]


def test_name_synonym_and_purl_forms_give_the_same_datasets(api, tagged):
    by_name = returned(api, {"name": "x-ray emission spectroscopy"})
    assert returned(api, {"name": "XES"}) == by_name
    for pid in (
        "http://purl.org/pan-science/PaNET/PaNET01200",
        "https://purl.org/pan-science/PaNET/PaNET01200",
        "PaNET01200",
        "PaNET:PaNET01200",
        "panet01200",
    ):
        assert returned(api, {"pid": pid}) == by_name
        assert returned(api, {"panetId": {"inq": [pid]}}) == by_name


def test_e16_negation_excludes_datasets_tagged_in_both_sets(api, tagged):
    where = {
        "and": [{"pid": "http://purl.org/pan-science/PaNET/PaNET01124"}, {"name": {"neq": "x-ray probe technique"}}]
    }
    assert returned(api, where) == []  # every SAS-family tag here is an x-ray technique too


def test_matching_techniques_are_listed_and_a_negative_only_scope_lists_all(api, tagged):
    body = api.json(
        "/Datasets",
        filter={
            "where": {"pid": "example/9"},
            "include": [{"relation": "techniques", "scope": {"where": {"name": "small angle scattering"}}}],
        },
    )
    assert [t["name"] for t in body[0]["techniques"]] == ["grazing incidence small angle scattering"]
    body = api.json(
        "/Datasets",
        filter={
            "where": {"pid": "example/9"},
            "include": [{"relation": "techniques", "scope": {"where": {"name": {"neq": "magnetism technique"}}}}],
        },
    )
    assert len(body[0]["techniques"]) == 2


def test_an_unknown_label_matches_nothing_and_its_negation_everything_tagged(api, tagged):
    assert returned(api, {"name": "no such technique"}) == []
    assert len(returned(api, {"name": {"neq": "no such technique"}})) == 10


def test_a_field_other_than_pid_panetid_or_name_is_a_400(api, tagged):
    body = api.json(
        "/Datasets", filter={"include": [{"relation": "techniques", "scope": {"where": {"foo": 1}}}]}, status=400
    )
    assert body["error"]["code"] == "UNKNOWN_PROPERTY"
