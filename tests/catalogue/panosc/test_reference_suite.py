"""The reference implementation's acceptance suite (spec §13.1), replayed over its own fixture.

The requests and expectations are data (data/reference_cases.json), copied from panosc-eu/search-api's mocha tests
because CI has no network. Where our answer differs from the reference on purpose, the case says why:
- the fixture's datasets 1 and 2 are in no proposal; our model puts them in per-instrument session proposals
  (access-policy.md), so /Documents holds 4 documents, not 2;
- the reference sends score 0; the spec requires 0 < score < 1 on every top-level result.
"""

import json
from typing import Any

import pytest

from tests.catalogue.panosc.conftest import DATA

CASES = json.loads((DATA / "reference_cases.json").read_text())["cases"]


def values_at(record: object, path: str) -> list:
    """'a.b[]' → the a.b array's elements; 'a[].b' → b of every element of a; '0' indexes an array."""
    current: list[Any] = [record]
    for part in path.split("."):
        expand = part.endswith("[]")
        key = part[:-2] if expand else part
        step: list[Any] = []
        for value in current:
            item = value[int(key)] if key.isdigit() else value[key]
            step.extend(item if expand else [item])
        current = step
    return current


def check(record: dict, path: str, operation: str, expected: Any = None) -> None:
    if operation == "exists":
        assert values_at(record, path), path
        return
    values = values_at(record, path)
    if operation == "nonempty":
        assert all(isinstance(value, list) and value for value in values), (path, values)
        return
    assert values, path
    for value in values:
        if operation == "==":
            assert value == expected, (path, value)
        elif operation == "includes":
            assert expected in value, (path, value)
        elif operation == "within":
            assert expected[0] <= value <= expected[1], (path, value)
        elif operation == "lt":
            assert value < expected, (path, value)
        else:
            raise AssertionError(f"unknown check {operation}")


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_reference_request_gets_the_reference_answer(api, reference_catalogue, case):
    body = api.json(case["path"], filter=case.get("filter"))
    results = [body] if case.get("single") else body
    if case.get("single"):
        assert isinstance(body, dict)
    else:
        assert isinstance(body, list)
        if case.get("length") is not None:
            assert len(body) == case["length"]
        assert body, "every reference request has at least one answer in its own fixture"
    for record in results:
        assert 0 < record["score"] < 1
        for spec in case.get("each", []):
            check(record, *spec)
    if "names_in_order" in case:
        assert [record["name"] for record in body] == case["names_in_order"]
