"""Every relation of spec §2.3 can be included, with the shapes and the scope rules of §3.4–3.5."""

import pytest

DATASET1 = "/Datasets/20.500.12269%2Fpanosc-dataset1"
DOCUMENT1 = "/Documents/10.5072%2Fpanosc-document1"


def test_dataset_relations_have_their_shapes(api, reference_catalogue):
    body = api.json(
        DATASET1,
        filter={"include": ["documents", "document", "techniques", "instrument", "files", "parameters", "samples"]},
    )
    assert {d["pid"] for d in body["documents"]} == {"10.5072/panosc-document1", "ess/session/loki/2020-05-05"}
    assert body["document"]["pid"] == "ess/session/loki/2020-05-05"  # the dataset's proposal
    assert body["instrument"] == {
        "pid": "20.500.12269/0f98fcf2-7bd7-430e-ad20-d47031ca8f71",
        "name": "LoKI",
        "facility": "ESS",
    }
    assert [f["name"] for f in body["files"]] == ["panosc-file1.hdf"]
    assert [p["name"] for p in body["parameters"]] == ["chemical_formula", "sample_state"]
    assert body["samples"] == [{"pid": "20.500.12269/panosc-sample1", "name": "solid copper cylinder"}]
    assert "score" not in body["instrument"] and all("score" not in d for d in body["documents"])


def test_nested_relations_from_every_side(api, reference_catalogue):
    body = api.json(
        DOCUMENT1,
        filter={
            "include": [
                {
                    "relation": "members",
                    "scope": {
                        "include": [
                            {
                                "relation": "person",
                                "scope": {"include": [{"relation": "members", "scope": {"include": ["document"]}}]},
                            },
                            {"relation": "affiliation", "scope": {"include": ["members"]}},
                            "document",
                        ]
                    },
                },
                {"relation": "parameters", "scope": {"include": ["document", "dataset"]}},
                {
                    "relation": "datasets",
                    "scope": {
                        "include": [
                            {"relation": "files", "scope": {"include": ["dataset"]}},
                            {"relation": "samples", "scope": {"include": ["datasets"]}},
                            {"relation": "techniques", "scope": {"include": ["datasets"]}},
                            {"relation": "instrument", "scope": {"include": ["datasets"]}},
                            {"relation": "parameters", "scope": {"include": ["dataset"]}},
                        ]
                    },
                },
            ]
        },
    )
    member = body["members"][0]
    assert member["document"]["pid"] == "10.5072/panosc-document1"
    assert {m["document"]["pid"] for m in member["person"]["members"]} <= {
        "10.5072/panosc-document1",
        "10.5072/panosc-document2",
    }
    assert len(member["affiliation"]["members"]) == 4
    (parameter,) = body["parameters"]
    assert parameter["document"]["pid"] == "10.5072/panosc-document1" and parameter["dataset"] is None
    dataset = body["datasets"][0]
    assert dataset["files"][0]["dataset"]["pid"] == dataset["pid"]
    assert len(dataset["samples"][0]["datasets"]) == 4
    assert dataset["techniques"][0]["datasets"]
    assert dataset["instrument"]["datasets"][0]["pid"] == dataset["pid"]
    assert all(p["dataset"]["pid"] == dataset["pid"] for p in dataset["parameters"])


def test_loopback_shorthand_include_forms(api, reference_catalogue):
    as_string = api.json(DATASET1, filter={"include": "files"})
    as_object = api.json(DATASET1, filter={"include": {"files": "dataset"}})
    assert as_string["files"][0]["name"] == as_object["files"][0]["name"]
    assert as_object["files"][0]["dataset"]["pid"] == "20.500.12269/panosc-dataset1"


def test_scope_order_skip_limit_and_fields_apply_per_parent(api, reference_catalogue):
    body = api.json(
        "/Instruments",
        filter={
            "where": {"name": {"inq": ["LoKI", "ODIN"]}},
            "include": [{"relation": "datasets", "scope": {"order": "title DESC", "limit": 1, "fields": ["title"]}}],
        },
    )
    assert [(i["name"], i["datasets"]) for i in body] == [
        ("LoKI", [{"title": "PaNOSC Test Dataset 1"}]),
        ("ODIN", [{"title": "PaNOSC Test Dataset 2"}]),
    ]
    body = api.json(
        "/Documents",
        filter={
            "where": {"pid": "10.5072/panosc-document2"},
            "include": [{"relation": "datasets", "scope": {"order": "title DESC", "skip": 1}}],
        },
    )
    assert [d["title"] for d in body[0]["datasets"]] == ["PaNOSC Test Dataset 3"]


def test_two_items_for_one_relation_must_both_hold_and_their_rows_are_united(api, reference_catalogue):
    both = {
        "include": [
            {"relation": "parameters", "scope": {"where": {"name": "chemical_formula"}}},
            {"relation": "parameters", "scope": {"where": {"name": "sample_state"}}},
        ]
    }
    body = api.json("/Datasets", filter=both)
    assert [d["pid"] for d in body] == ["20.500.12269/panosc-dataset1"]
    assert [p["name"] for p in body[0]["parameters"]] == ["chemical_formula", "sample_state"]
    body = api.json(
        "/Datasets",
        filter={
            "include": [
                {"relation": "parameters", "scope": {"where": {"name": "chemical_formula"}}},
                {"relation": "parameters", "scope": {"where": {"name": "photon_energy"}}},
            ]
        },
    )
    assert body == []


def test_a_constraining_to_one_include_filters_the_parent_and_a_missing_one_is_null(api, reference_catalogue):
    body = api.json("/Datasets", filter={"include": [{"relation": "instrument", "scope": {"where": {"name": "ODIN"}}}]})
    assert [(d["pid"], d["instrument"]["name"]) for d in body] == [("20.500.12269/panosc-dataset2", "ODIN")]
    detail = api.json(DATASET1, filter={"include": [{"relation": "instrument", "scope": {"where": {"name": "ODIN"}}}]})
    assert detail["instrument"] is None  # get-by-pid never filters the parent


@pytest.mark.parametrize("relation", ["members", "nothing"])
def test_an_unknown_relation_names_the_entity(api, reference_catalogue, relation):
    body = api.json("/Datasets", filter={"include": [relation]}, status=400)
    assert body["error"]["code"] == "UNKNOWN_RELATION" and "Dataset" in body["error"]["message"]
