"""Federation self-test: sends the portal's standard requests (spec §12) to any PaNOSC endpoint and checks the
answers against the JSON shapes the federation and the portal rely on (spec §0, §2, §8, §10).

A facility runs it before asking to join the federation: `manage.py panosc_selftest --base-url URL`.
"""

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")
PANET = re.compile(r"^http://purl\.org/pan-science/PaNET/PaNET\d+$")


@dataclass(frozen=True)
class Outcome:
    name: str
    passed: bool
    detail: str
    milliseconds: float


class Failed(AssertionError):
    pass


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise Failed(message)


def check_score(record: dict) -> None:
    score = record.get("score")
    expect(
        isinstance(score, int | float) and not isinstance(score, bool) and 0 < score < 1,
        f"score must be a number in (0,1), got {score!r} on {record.get('pid')}",
    )


def check_document(record: dict, *, top_level: bool = True) -> None:
    expect(isinstance(record.get("pid"), str) and record["pid"], "Document.pid must be a non-empty string")
    expect(isinstance(record.get("title"), str) and record["title"], f"Document {record['pid']} has no title")
    expect(record.get("isPublic") is True, f"Document {record['pid']}: isPublic must be true")
    expect(record.get("type") in ("proposal", "publication"), f"Document {record['pid']}: bad type")
    if record.get("doi") is not None:
        expect(not str(record["doi"]).startswith("http"), f"Document {record['pid']}: doi must be bare")
    for key in ("startDate", "endDate", "releaseDate"):
        if record.get(key) is not None:
            expect(bool(ISO_DATE.match(record[key])), f"Document {record['pid']}: {key} is not ISO 8601")
    if top_level:
        check_score(record)


def check_dataset(record: dict, *, top_level: bool = True) -> None:
    expect(isinstance(record.get("pid"), str) and record["pid"], "Dataset.pid must be a non-empty string")
    expect(isinstance(record.get("title"), str) and record["title"], f"Dataset {record['pid']} has no title")
    expect(record.get("isPublic") is True, f"Dataset {record['pid']}: isPublic must be true")
    expect(
        isinstance(record.get("creationDate"), str) and bool(ISO_DATE.match(record["creationDate"])),
        f"Dataset {record['pid']}: creationDate must be ISO 8601",
    )
    if top_level:
        check_score(record)


def check_instrument(record: dict) -> None:
    expect(isinstance(record.get("name"), str) and record["name"], f"Instrument {record.get('pid')} has no name")
    expect(isinstance(record.get("facility"), str), f"Instrument {record.get('pid')} has no facility")
    check_score(record)


class Client:
    def __init__(self, base_url: str, timeout: float, session: requests.Session) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session

    def get(self, path: str, *, filter: object = None, where: object = None, status: int = 200) -> Any:
        params = []
        if filter is not None:
            params.append("filter=" + quote(filter if isinstance(filter, str) else json.dumps(filter), safe=""))
        if where is not None:
            params.append("where=" + quote(json.dumps(where), safe=""))
        url = self.base_url + path + ("?" + "&".join(params) if params else "")
        response = self.session.get(url, timeout=self.timeout, headers={"Accept": "application/json"})
        expect(response.status_code == status, f"{path}: HTTP {response.status_code}, expected {status}")
        expect("application/json" in response.headers.get("Content-Type", ""), f"{path}: answer is not JSON")
        expect(response.headers.get("Access-Control-Allow-Origin") == "*", f"{path}: no CORS header")
        return response.json()


def run(*, base_url: str, timeout: float = 10.0) -> list[Outcome]:
    session = requests.Session()
    client = Client(base_url, timeout, session)
    found: dict[str, str] = {}

    def e1() -> str:
        body = client.get("/Documents", filter={"limit": 100})
        expect(isinstance(body, list), "/Documents must answer an array")
        for record in body:
            check_document(record)
            expect(not {"datasets", "members"} & set(record), "relation keys sent without include")
        titles = [record["title"].lower() for record in body]
        expect(titles == sorted(titles), "query-less documents must be ordered by title A→Z ignoring case")
        if body:
            found["document"] = body[0]["pid"]
        return f"{len(body)} documents"

    def datasets() -> str:
        body = client.get("/Datasets", filter={"limit": "10"})
        expect(isinstance(body, list), "/Datasets must answer an array")
        for record in body:
            check_dataset(record)
        if body:
            found["dataset"] = body[0]["pid"]
        return f"{len(body)} datasets (limit sent as a string)"

    def instruments() -> str:
        body = client.get("/Instruments", filter={"limit": 50})
        for record in body:
            check_instrument(record)
        return f"{len(body)} instruments"

    def e2() -> str:
        body = client.get("/Documents", filter={"query": "data sample measurement", "limit": 50})
        for record in body:
            check_document(record)
        scores = [record["score"] for record in body]
        expect(scores == sorted(scores, reverse=True), "scored results must come highest score first")
        return f"{len(body)} scored documents"

    def e4() -> str:
        body = client.get(
            "/Documents",
            filter={
                "include": [
                    {
                        "relation": "datasets",
                        "scope": {
                            "include": [
                                {"relation": "techniques", "scope": {"where": {"name": "small angle scattering"}}}
                            ]
                        },
                    }
                ],
                "limit": 50,
            },
        )
        for record in body:
            check_document(record)
            expect(isinstance(record.get("datasets"), list) and record["datasets"], "constrained datasets empty")
            for dataset in record["datasets"]:
                check_dataset(dataset, top_level=False)
                expect(dataset.get("techniques"), f"dataset {dataset['pid']}: no matching technique listed")
                for technique in dataset["techniques"]:
                    expect(
                        bool(PANET.match(str(technique.get("pid")))) or not technique.get("panetId"),
                        f"technique pid {technique.get('pid')!r} is not a PaNET PURL",
                    )
        return f"{len(body)} documents with small-angle-scattering datasets"

    def e5() -> str:
        where = {"and": [{"name": "sample_temperature"}, {"value": {"between": [10, 300]}}, {"unit": "K"}]}
        body = client.get(
            "/Datasets", filter={"include": [{"relation": "parameters", "scope": {"where": where}}], "limit": 50}
        )
        for record in body:
            check_dataset(record)
            for parameter in record.get("parameters", []):
                expect(parameter.get("unit") == "K", "matched parameters must come back in the query's unit")
                expect(10 - 1e-6 <= parameter["value"] <= 300 + 1e-6, "parameter outside the asked range")
        return f"{len(body)} datasets between 10 and 300 K"

    def e11() -> str:
        pid = found.get("document", "")
        expect(pid != "", "no document to fetch (E1 found none)")
        body = client.get(
            f"/documents/{quote(pid, safe='')}",
            filter={
                "include": [
                    {"relation": "members", "scope": {"include": [{"relation": "affiliation"}, {"relation": "person"}]}}
                ],
                "limit": 0,
            },
        )
        expect(isinstance(body, dict), "get-by-pid must answer one object")
        check_document(body)
        expect(isinstance(body.get("members"), list), "members must be an array")
        for member in body["members"]:
            expect(
                isinstance(member.get("person"), dict) and member["person"].get("fullName"),
                "every member needs person.fullName (the portal crashes without it)",
            )
        return f"{pid}: {len(body['members'])} members"

    def e12() -> str:
        pid = found.get("document", "")
        expect(pid != "", "no document to fetch (E1 found none)")
        body = client.get(
            f"/documents/{quote(pid, safe='')}",
            filter={
                "include": [
                    {
                        "relation": "datasets",
                        "scope": {"include": [{"relation": "techniques"}, {"relation": "parameters"}]},
                    }
                ],
                "limit": 0,
            },
        )
        for dataset in body.get("datasets", []):
            expect(isinstance(dataset.get("techniques"), list), "techniques must be an array")
            expect(isinstance(dataset.get("parameters"), list), "parameters must be an array")
        return f"{pid}: {len(body.get('datasets', []))} datasets"

    def e13() -> str:
        body = client.get("/Documents/" + quote("10.0000/panosc-selftest-missing", safe=""), status=404)
        expect(isinstance(body.get("error", {}).get("message"), str), "404 must carry error.message")
        return "404 with error.message"

    def e14() -> str:
        counts = [client.get(path) for path in ("/Documents/count", "/Datasets/count", "/Instruments/count")]
        expect(
            all(isinstance(count, dict) and isinstance(count.get("count"), int) for count in counts),
            'counts must be objects {"count": n}',
        )
        proposals = client.get("/Documents/count", where={"type": "proposal"})
        expect(isinstance(proposals.get("count"), int), "count with where must work")
        return ", ".join(str(count["count"]) for count in counts)

    def e20() -> str:
        body = client.get("/Datasets", filter="{bad", status=400)
        expect(isinstance(body.get("error", {}).get("message"), str), "400 must carry error.message")
        return "malformed filter gives 400"

    checks: list[tuple[str, Callable[[], str]]] = [
        ("E1 documents, no query", e1),
        ("datasets", datasets),
        ("instruments", instruments),
        ("E2 free-text query", e2),
        ("E4 technique include", e4),
        ("E5 parameter with unit", e5),
        ("E11 document members", e11),
        ("E12 document datasets", e12),
        ("E13 unknown pid", e13),
        ("E14 counts", e14),
        ("E20 malformed filter", e20),
    ]
    outcomes = []
    with session:  # closed at the end, not when collected: its kept-alive connection holds a thread of the server
        for name, check in checks:
            started = time.perf_counter()
            try:
                detail, passed = check(), True
            except (Failed, requests.RequestException, ValueError, KeyError, TypeError) as error:
                detail, passed = str(error) or type(error).__name__, False
            outcomes.append(Outcome(name, passed, detail, (time.perf_counter() - started) * 1000))
    return outcomes
