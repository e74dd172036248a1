"""The portal's range filters read each dataset's lowest and highest SI value from the facet copy: they must keep
exactly the datasets the API's own parameter condition keeps (units, tolerance on inclusive bounds, several values
per dataset, values of another dimension)."""

import random
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef

from catalogue import visibility
from catalogue.models import Parameter
from catalogue.panosc.conditions import parameter_where
from catalogue.search import datasets
from catalogue.search.criteria import RANGE_KINDS, ParameterRange, SearchQuery
from tests.conftest import shared_rows
from tests.factories import DatasetFactory, ParameterFactory

pytestmark = pytest.mark.django_db

KIND = RANGE_KINDS["temperature"]


@pytest.fixture(scope="module")
def _temperatures_of_module(django_db_setup, django_db_blocker) -> Iterator[None]:
    """Datasets with temperatures, written once for the module's tests (tests.conftest.shared_rows)."""
    with shared_rows(django_db_blocker):
        rng = random.Random(7)
        for _ in range(40):
            dataset = DatasetFactory()
            for _ in range(rng.choice([0, 1, 1, 2, 3])):
                kelvin = rng.choice([253.15, 273.15, 293.15, 353.15, 353.15000000001, 400.0, rng.uniform(200, 450)])
                ParameterFactory(dataset=dataset, value_si=kelvin)
            if rng.random() < 0.2:  # the same name in another dimension never matches
                ParameterFactory(dataset=dataset, value_si=300.0, dimension="[length]")
        several = DatasetFactory()  # lowest value below a range, another inside it: found only through its rows
        for kelvin in (250.0, 300.0):
            ParameterFactory(dataset=several, value_si=kelvin)
        yield


@pytest.fixture
def temperatures(_temperatures_of_module, db) -> None:
    """The datasets with temperatures: the module's tests only read them."""


def _parameter_rows(operator: str, operand: object, unit: str):
    where = {"and": [{"name": KIND.parameter}, {"value": {operator: operand}}, {"unit": unit}]}
    return Parameter.objects.filter(parameter_where(where).q, dataset_id=OuterRef("pk"))


def by_parameter_rows(parameter_range: ParameterRange) -> set[int]:
    """The definition: a parameter row of the dataset satisfies the API's condition."""
    low, high, unit = parameter_range.low, parameter_range.high, parameter_range.unit
    if low is not None and high is not None:
        rows = _parameter_rows("between", [low, high], unit)
    elif low is not None:
        rows = _parameter_rows("gte", low, unit)
    else:
        rows = _parameter_rows("lte", high, unit)
    return set(visibility.open_datasets().filter(Exists(rows)).values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("unit", "low", "high"),
    [
        ("celsius", None, 80),
        ("celsius", 0, None),
        ("celsius", -20, 80),
        ("K", 273.15, 353.15),
        ("K", 300, 300),
        ("fahrenheit", 32, 176),
        ("celsius", 200, 100),  # an empty range
    ],
)
def test_range_filter_on_the_copy_keeps_what_the_parameter_rows_keep(temperatures, unit, low, high):
    parameter_range = ParameterRange(KIND, unit, low, high)
    query = SearchQuery(ranges=(parameter_range,))
    kept = set(datasets.matching_datasets(user=AnonymousUser(), query=query).values_list("pk", flat=True))
    assert kept == by_parameter_rows(parameter_range)
