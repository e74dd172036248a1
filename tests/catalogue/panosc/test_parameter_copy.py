"""Parameter conditions on the copied parameters (temperature, wavelength, energy, pressure) are answered from each
dataset's facet row; they must keep exactly the datasets an independent evaluation of the spec keeps: some
parameter row of that name, in that dimension, compares in SI with a relative tolerance of 1e-9 on inclusive
bounds (spec §4.2) — whatever the unit, however many values a dataset holds."""

import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogue import units
from tests.factories import DatasetFactory, ParameterFactory

TOLERANCE = 1e-9
CHOSEN_KELVIN = [250.0, 273.15, 293.15, 300.0, 353.15, 400.0]


@pytest.fixture
def temperatures(db) -> dict[str, list[float]]:
    rng = random.Random(11)
    values: dict[str, list[float]] = {}
    for index in range(30):
        dataset = DatasetFactory(pid=f"copy/{index:02d}")
        values[dataset.pid] = [rng.choice(CHOSEN_KELVIN) for _ in range(rng.choice([0, 1, 1, 2, 3]))]
        for kelvin in values[dataset.pid]:
            ParameterFactory(dataset=dataset, value_si=kelvin)
        if index % 5 == 0:  # the name in another dimension never matches
            ParameterFactory(dataset=dataset, value_si=300.0, dimension="[length]")
    return values


def compares(kelvin: float, operator: str, operand: Any) -> bool:
    def tolerance(bound: float) -> float:
        return abs(bound) * TOLERANCE

    if operator == "between":
        low, high = operand
        return low - tolerance(low) <= kelvin <= high + tolerance(high)
    return {
        "eq": lambda: abs(kelvin - operand) <= tolerance(operand),
        "lt": lambda: kelvin < operand,
        "lte": lambda: kelvin <= operand + tolerance(operand),
        "gt": lambda: kelvin > operand,
        "gte": lambda: kelvin >= operand - tolerance(operand),
    }[operator]()


# Operands in each unit that land exactly on, just beside and between the stored values.
operands = {
    "K": st.sampled_from([250, 273.15, 300, 353.15, 299.9999, 400, 500]),
    "mK": st.sampled_from([250000, 300000, 353150, 400000]),
    "celsius": st.sampled_from([-23.15, 0, 20, 26.85, 80, 126.85]),
    "fahrenheit": st.sampled_from([32, 68, 176, 80.33]),
}
conditions = st.sampled_from(sorted(operands)).flatmap(
    lambda unit: st.one_of(
        st.builds(lambda op, x: (unit, op, x), st.sampled_from(["eq", "lt", "lte", "gt", "gte"]), operands[unit]),
        st.builds(lambda a, b: (unit, "between", sorted([a, b])), operands[unit], operands[unit]),
    )
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(condition=conditions)
def test_copied_parameter_conditions_keep_what_the_spec_keeps(api, temperatures, condition):
    unit, operator, operand = condition

    def kelvin(x: float) -> float:  # unit conversion is pint's (not under test here)
        return units.to_si(x, units.query_unit(unit)).value

    in_kelvin = [kelvin(x) for x in operand] if operator == "between" else kelvin(operand)
    expected = sorted(
        pid for pid, kelvins in temperatures.items() if any(compares(k, operator, in_kelvin) for k in kelvins)
    )
    where = {"and": [{"name": "sample_temperature"}, {"value": {operator: operand}}, {"unit": unit}]}
    body = api.json(
        "/Datasets", filter={"include": [{"relation": "parameters", "scope": {"where": where}}], "limit": 1000}
    )
    assert sorted(record["pid"] for record in body) == expected
