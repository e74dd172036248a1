"""Contracts checked on random input (spec §13.5, §13.7, §13.8): the score contract, a differential test of the SQL
path against a small in-memory evaluator of the same semantics, and query-count ceilings per request shape."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.catalogue.panosc.catalogue import seed
from tests.catalogue.panosc.conftest import rebuild_index
from tests.factories import DatasetFactory

RANDOM = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
WORDS = ["cement", "water", "run", "Run", "paste", "steel", "x-ray", "zinc", "a_b", "50%", "Å"]
BASE = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture
def rows(db):
    records = []
    for index in range(24):
        title = " ".join(WORDS[(index * k) % len(WORDS)] for k in (1, 3, 7)[: 1 + index % 3])
        dataset = DatasetFactory(
            pid=f"diff/{index:02d}",
            title=title,
            size=index * 7 % 50,
            start_time=BASE + timedelta(days=index * 11),
            end_time=BASE + timedelta(days=index * 11, hours=1),
        )
        records.append(dataset)
    rebuild_index()
    return records


# --- the in-memory evaluator (LoopBack semantics of spec §3.2, written independently of the SQL compiler) -------


def like(pattern: str, value: str, insensitive: bool) -> bool:
    regex, escaped = "", False
    for char in pattern:
        if escaped:
            regex += re.escape(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            regex += ".*"
        elif char == "_":
            regex += "."
        else:
            regex += re.escape(char)
    return re.search(regex, value, (re.IGNORECASE if insensitive else 0) | re.DOTALL) is not None


def holds(record: dict, where: dict) -> bool:
    for key, condition in where.items():
        if key == "and" and not all(holds(record, clause) for clause in condition):
            return False
        if key == "or" and not any(holds(record, clause) for clause in condition):
            return False
        if key == "text" and condition.lower() not in record["title"].lower():
            return False
        if key in ("title", "size", "creationDate"):
            value = record[key]
            operations = condition.items() if isinstance(condition, dict) else [("eq", condition)]
            for operator, operand in operations:
                if key == "creationDate" and operator not in ("like", "ilike", "nlike"):
                    operand = [parse(x) for x in operand] if isinstance(operand, list) else parse(operand)
                if not satisfies(operator, operand, value):
                    return False
    return True


def parse(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def satisfies(operator: str, operand: Any, value: Any) -> bool:
    return {
        "eq": lambda: value == operand,
        "neq": lambda: value != operand,
        "gt": lambda: value > operand,
        "gte": lambda: value >= operand,
        "lt": lambda: value < operand,
        "lte": lambda: value <= operand,
        "between": lambda: operand[0] <= value <= operand[1],
        "inq": lambda: value in operand,
        "nin": lambda: value not in operand,
        "like": lambda: like(operand, value, False),
        "ilike": lambda: like(operand, value, True),
        "nlike": lambda: not like(operand, value, False),
    }[operator]()


words = st.sampled_from(WORDS + ["", "RUN", "%", "_"])
dates = st.integers(min_value=-5, max_value=300).map(lambda days: (BASE + timedelta(days=days)).date().isoformat())
title_condition = st.one_of(
    words,
    st.builds(lambda op, w: {op: w}, st.sampled_from(["eq", "neq", "like", "ilike", "nlike"]), words),
    st.builds(lambda op, ws: {op: ws}, st.sampled_from(["inq", "nin"]), st.lists(words, max_size=3)),
)
size_condition = st.one_of(
    st.integers(0, 50),
    st.builds(lambda op, n: {op: n}, st.sampled_from(["eq", "neq", "gt", "gte", "lt", "lte"]), st.integers(0, 50)),
    st.builds(lambda a, b: {"between": [a, b]}, st.integers(0, 50), st.integers(0, 50)),
    st.builds(lambda op, ns: {op: ns}, st.sampled_from(["inq", "nin"]), st.lists(st.integers(0, 50), max_size=4)),
)
date_condition = st.builds(lambda op, d: {op: d}, st.sampled_from(["gt", "gte", "lt", "lte"]), dates)
leaf = st.one_of(
    st.builds(lambda c: {"title": c}, title_condition),
    st.builds(lambda c: {"size": c}, size_condition),
    st.builds(lambda c: {"creationDate": c}, date_condition),
    st.builds(lambda w: {"text": w}, words),
)
wheres = st.recursive(
    leaf,
    lambda children: st.one_of(
        st.builds(lambda cs: {"and": cs}, st.lists(children, max_size=3)),
        st.builds(lambda cs: {"or": cs}, st.lists(children, max_size=3)),
    ),
    max_leaves=6,
)


@RANDOM
@given(where=wheres)
def test_sql_path_agrees_with_the_in_memory_evaluator(api, rows, where):
    records = [{"pid": d.pid, "title": d.title, "size": d.size, "creationDate": d.creation_time} for d in rows]
    expected = sorted(record["pid"] for record in records if holds(record, where))
    body = api.json("/Datasets", filter={"where": where, "limit": 1000})
    assert sorted(record["pid"] for record in body) == expected
    assert api.json("/Datasets/count", where=where) == {"count": len(expected)}


@RANDOM
@given(where=wheres, query=st.one_of(st.none(), st.lists(st.sampled_from(WORDS + ["the", "of"]), max_size=3)))
def test_every_score_lies_strictly_between_zero_and_one_and_orders_results(api, rows, where, query):
    flt: dict = {"where": where}
    if query is not None:
        flt["query"] = " ".join(query)
    body = api.json("/Datasets", filter=flt)
    scores = [record["score"] for record in body]
    assert all(isinstance(score, float) and 0 < score <= 0.999999 for score in scores)
    if query and any(word not in ("the", "of") for word in query):
        assert scores == sorted(scores, reverse=True)


# --- query-count ceilings (spec §11, §13.8) ------------------------------------------------------------------


@pytest.fixture
def seeded(db):
    return seed()


CEILINGS = {
    "E1": (5, "/Documents", {"limit": 250}),
    "E4": (
        9,
        "/Documents",
        {
            "include": [
                {
                    "relation": "datasets",
                    "scope": {
                        "include": [
                            {"relation": "techniques", "scope": {"where": {"name": "x-ray absorption spectroscopy"}}}
                        ]
                    },
                }
            ],
            "limit": 250,
        },
    ),
    "E10": (
        17,  # 3 of them read the technique ids of the technique condition, once per statement that filters by it
        "/Documents",
        {
            "include": [
                {
                    "relation": "datasets",
                    "scope": {
                        "include": [
                            {"relation": "techniques", "scope": {"where": {"name": "small angle x-ray scattering"}}},
                            {
                                "relation": "parameters",
                                "scope": {
                                    "where": {"and": [{"name": "sample_chemical_formula"}, {"value": {"like": "Pt"}}]}
                                },
                            },
                            {
                                "relation": "parameters",
                                "scope": {
                                    "where": {
                                        "and": [
                                            {"name": "sample_temperature"},
                                            {"value": {"between": [250, 350]}},
                                            {"unit": "K"},
                                        ]
                                    }
                                },
                            },
                        ]
                    },
                }
            ],
            "query": "catalyst",
            "limit": 250,
        },
    ),
    "E12": (
        9,
        "/Documents",
        {
            "include": [
                {"relation": "datasets", "scope": {"include": [{"relation": "techniques"}, {"relation": "parameters"}]}}
            ],
            "limit": 250,
        },
    ),
    "E11": (
        10,
        "/documents/10.99999%2FPROP-2023-0417",
        {
            "include": [
                {"relation": "members", "scope": {"include": [{"relation": "affiliation"}, {"relation": "person"}]}}
            ],
            "limit": 0,
        },
    ),
}


@pytest.mark.parametrize("shape", CEILINGS)
def test_query_count_does_not_grow_with_the_number_of_rows(api, seeded, shape, django_assert_max_num_queries):
    ceiling, path, flt = CEILINGS[shape]
    with django_assert_max_num_queries(ceiling):
        assert api.json(path, filter=flt)
