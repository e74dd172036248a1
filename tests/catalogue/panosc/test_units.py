"""Parameter conditions with units (spec §4, §13.4): table-driven, with and without a unit context."""

import pytest

from tests.catalogue.panosc.catalogue import add_parameter
from tests.factories import DatasetFactory

# (stored value, stored unit) → (query operator, operand, query unit, matches, value sent back)
TABLE = [
    ((25, "celsius"), ("eq", 298.15, "K", True, 298.15)),
    ((25, "degC"), ("between", [77, 78], "fahrenheit", True, 77)),
    ((300, "K"), ("lte", 80, "celsius", True, 26.85)),
    ((300, "K"), ("gt", 80, "fahrenheit", True, 80.33)),
    ((0.2, "nm"), ("eq", 2, "angstrom", True, 2)),
    ((0.2, "nm"), ("eq", 200, "pm", True, 200)),
    ((1.0, "Angstrom"), ("gte", 1.5, "angstrom", False, None)),
    ((1.0, "Angstrom"), ("eq", 0.1, "nm", True, 0.1)),
    ((8.5, "keV"), ("eq", 8500, "eV", True, 8500)),
    ((8500, "eV"), ("between", [1.3e-15, 1.4e-15], "J", True, 1.36e-15)),
    ((1, "bar"), ("eq", 100000, "Pa", True, 100000)),
    ((1000, "mbar"), ("eq", 1, "bar", True, 1)),
    ((1, "atm"), ("gt", 1, "bar", True, 1.01325)),
    ((20, "celsius"), ("eq", 293.15, "K", True, 293.15)),
]


@pytest.mark.parametrize(("stored", "query"), TABLE, ids=[f"{s[0]} {s[1]} {q[0]} {q[1]} {q[2]}" for s, q in TABLE])
def test_unit_conversion_table(api, db, stored, query):
    operator, operand, unit, matches, sent = query
    dataset = DatasetFactory()
    add_parameter(dataset, "quantity", *stored)
    where = {"and": [{"name": "quantity"}, {"value": {operator: operand}}, {"unit": unit}]}
    body = api.json("/Datasets", filter={"include": [{"relation": "parameters", "scope": {"where": where}}]})
    assert bool(body) == matches
    if matches:
        (parameter,) = body[0]["parameters"]
        assert parameter["unit"] == unit
        assert parameter["value"] == pytest.approx(sent, rel=1e-3)


def test_bounds_hold_within_a_relative_tolerance_of_one_in_a_billion(api, db):
    add_parameter(DatasetFactory(), "sample_temperature", 25, "celsius")
    for operator, operand in (("gte", 298.15 * (1 + 5e-10)), ("lte", 298.15 * (1 - 5e-10)), ("eq", 298.15 + 1e-8)):
        where = {"and": [{"name": "sample_temperature"}, {"value": {operator: operand}}, {"unit": "K"}]}
        assert api.json("/Datasets", filter={"include": [{"relation": "parameters", "scope": {"where": where}}]})


def test_a_unit_alone_matches_rows_whose_unit_converts_to_it(api, db):
    add_parameter(DatasetFactory(title="kelvin"), "sample_temperature", 25, "celsius")
    add_parameter(DatasetFactory(title="metres"), "sample_temperature", 3, "m")
    body = api.json("/Datasets", filter={"include": [{"relation": "parameters", "scope": {"where": {"unit": "K"}}}]})
    assert [record["title"] for record in body] == ["kelvin"]


def test_string_values_and_other_dimensions_never_match_a_unit_condition_but_hold_for_neq(api, db):
    add_parameter(DatasetFactory(title="text"), "sample_temperature", "room temperature")
    add_parameter(DatasetFactory(title="length"), "sample_temperature", 3, "m")
    scope = {"where": {"and": [{"name": "sample_temperature"}, {"value": {"gt": 0}}, {"unit": "K"}]}}
    assert api.json("/Datasets", filter={"include": [{"relation": "parameters", "scope": scope}]}) == []
    scope = {"where": {"and": [{"name": "sample_temperature"}, {"value": {"neq": 5}}, {"unit": "K"}]}}
    assert len(api.json("/Datasets", filter={"include": [{"relation": "parameters", "scope": scope}]})) == 2


def test_eq_with_a_numeric_string_matches_numbers_and_strings(api, db):
    add_parameter(DatasetFactory(title="number"), "run", 20)
    add_parameter(DatasetFactory(title="string"), "run", "20")
    scope = {"where": {"and": [{"name": "run"}, {"value": "20"}]}}
    body = api.json("/Datasets", filter={"include": [{"relation": "parameters", "scope": scope}]})
    assert sorted(record["title"] for record in body) == ["number", "string"]
    assert {type(record["parameters"][0]["value"]) for record in body} == {int, str}


@pytest.mark.parametrize(
    "unit",
    [
        "K",
        "degC",
        "degF",
        "meter",
        "angstrom",
        "rad",
        "deg",
        "grad",
        "arcsec",
        "arcmin",
        "s",
        "minute",
        "hour",
        "day",
        "Hz",
        "g",
        "A",
        "mol",
        "cd",
        "N",
        "J",
        "erg",
        "Wh",
        "eV",
        "W",
        "Pa",
        "psi",
        "atm",
        "torr",
        "bar",
        "C",
        "V",
        "ohm",
        "F",
        "Wb",
        "T",
        "H",
        "S",
        "B",
        "um",
        "µm",
        "ykelvin",
        "Ykelvin",
        "nm",
        "pm",
        "celsius",
        "fahrenheit",
    ],
)
def test_every_unit_of_the_reference_list_is_accepted_in_queries(api, db, unit):
    scope = {"where": {"and": [{"name": "x"}, {"value": {"gt": 1}}, {"unit": unit}]}}
    assert api.json("/Datasets", filter={"include": [{"relation": "parameters", "scope": scope}]}) == []


@pytest.mark.parametrize("unit", ["kelvinz", "b", "", "furlongs per fortnight x"])
def test_an_unknown_unit_is_a_400_unknown_unit(api, db, unit):
    scope = {"where": {"and": [{"name": "x"}, {"value": {"gt": 1}}, {"unit": unit}]}}
    body = api.json("/Datasets", filter={"include": [{"relation": "parameters", "scope": scope}]}, status=400)
    assert body["error"]["code"] == "UNKNOWN_UNIT"


@pytest.mark.parametrize(
    ("condition", "unit", "matches"),
    [
        ({"between": [280, 290]}, "K", True),
        ({"between": [0, 10]}, "celsius", True),
        ({"gte": 310}, "K", False),
        ({"lte": "260"}, "K", True),
        ({"eq": 275}, "K", True),
        ({"lt": 240}, "K", False),
    ],
)
def test_a_min_max_pair_counts_as_a_range_for_the_parameter(api, db, condition, unit, matches):
    dataset = DatasetFactory(title="ramp")
    add_parameter(dataset, "sample_temperature_min", 250, "K")
    add_parameter(dataset, "sample_temperature_max", 300, "K")
    where = {"and": [{"name": "sample_temperature"}, {"value": condition}, {"unit": unit}]}
    body = api.json("/Datasets", filter={"include": [{"relation": "parameters", "scope": {"where": where}}]})
    assert bool(body) == matches
    if matches:
        assert {p["name"] for p in body[0]["parameters"]} == {"sample_temperature_min", "sample_temperature_max"}
        assert {p["unit"] for p in body[0]["parameters"]} == {unit}


@pytest.mark.parametrize("condition", [{"inq": ["K", "kelvinz"]}, {"neq": "kelvinz"}, {"nin": ["kelvinz"]}])
def test_an_unknown_unit_under_any_operator_is_a_400_as_in_the_portal(api, db, condition):
    scope = {"where": {"and": [{"name": "x"}, {"value": {"gt": 1}}, {"unit": condition}]}}
    body = api.json("/Datasets", filter={"include": [{"relation": "parameters", "scope": scope}]}, status=400)
    assert body["error"]["code"] == "UNKNOWN_UNIT" and "kelvinz" in body["error"]["message"]


def test_a_unit_pattern_names_no_unit_and_is_matched_as_text(api, db):
    scope = {"where": {"and": [{"name": "x"}, {"unit": {"like": "kelv%"}}]}}
    assert api.json("/Datasets", filter={"include": [{"relation": "parameters", "scope": scope}]}) == []
