"""PaNOSC Search API benchmark: 20 portal-style requests against a live server, p50/p95 beside the SQL floor.

Usage (a catalogue made with `manage.py generate_catalogue --datasets N`, a server on BASE_URL):
    DATABASE_URL=postgres://… python benchmarks/search.py --base-url http://127.0.0.1:8000/panosc-api [--repeat 20]

The floor of a request is the time PostgreSQL needs to read the same top-level rows by pid over a direct
connection: what no API can beat. Beside it, the request floor: the p50 of the cheapest request the server
answers (/Instruments/count: routing, middleware, one indexed count, JSON, HTTP), which every request pays too.
Targets (issue 5): p95 ≤ 100 ms and ≤ 2× the floor for every request; the last column is p95 over the sum of
both floors. Prints one line per request.
With --explain (run from the project root, same settings as the server) each request is also replayed in-process
and the indexes in the plan of its slowest SQL statement are printed.
"""

import argparse
import json
import os
import statistics
import sys
import time
import urllib.parse
import urllib.request
from typing import Any

import psycopg

TABLES = {"Datasets": "catalogue_dataset", "Documents": "catalogue_document", "Instruments": "catalogue_instrument"}


def requests(sample_document: str, sample_dataset: str) -> list[tuple[str, str, dict | None]]:
    param = lambda where: {"relation": "parameters", "scope": {"where": where}}  # noqa: E731
    technique = lambda name: {"relation": "techniques", "scope": {"where": {"name": name}}}  # noqa: E731
    doc = urllib.parse.quote(sample_document, safe="")
    ds = urllib.parse.quote(sample_dataset, safe="")
    return [
        ("E1 documents, no query", "/Documents", {"limit": 100}),
        ("datasets, no query", "/Datasets", {"limit": 100}),
        ("text: one term", "/Documents", {"query": "catalyst", "limit": 50}),
        ("text: two terms", "/Documents", {"query": "magnetite hydration", "limit": 50}),
        ("text: datasets", "/Datasets", {"query": "perovskite degradation", "limit": 50}),
        ("technique on datasets", "/Datasets", {"include": [technique("small angle x-ray scattering")], "limit": 50}),
        (
            "E4 technique via documents",
            "/Documents",
            {
                "include": [{"relation": "datasets", "scope": {"include": [technique("small angle scattering")]}}],
                "limit": 50,
            },
        ),
        (
            "E5 temperature K",
            "/Datasets",
            {
                "include": [
                    param({"and": [{"name": "sample_temperature"}, {"value": {"between": [250, 350]}}, {"unit": "K"}]})
                ],
                "limit": 50,
            },
        ),
        (
            "E6 temperature celsius",
            "/Datasets",
            {
                "include": [
                    param({"and": [{"name": "sample_temperature"}, {"value": {"lte": "80"}}, {"unit": "celsius"}]})
                ],
                "limit": 50,
            },
        ),
        (
            "E7 wavelength angstrom",
            "/Datasets",
            {
                "include": [
                    param({"and": [{"name": "incident_wavelength"}, {"value": {"gte": "1.5"}}, {"unit": "angstrom"}]})
                ],
                "limit": 50,
            },
        ),
        (
            "E8 energy, no unit",
            "/Datasets",
            {
                "include": [param({"and": [{"name": "incident_photon_energy"}, {"value": {"between": [8000, 9000]}}]})],
                "limit": 50,
            },
        ),
        (
            "E9 formula like",
            "/Datasets",
            {
                "include": [param({"and": [{"name": "sample_chemical_formula"}, {"value": {"like": "Fe2O3"}}]})],
                "limit": 50,
            },
        ),
        (
            "E10 full combination",
            "/Documents",
            {
                "include": [
                    {
                        "relation": "datasets",
                        "scope": {
                            "include": [
                                technique("small angle x-ray scattering"),
                                param({"and": [{"name": "sample_chemical_formula"}, {"value": {"like": "Pt"}}]}),
                                param(
                                    {
                                        "and": [
                                            {"name": "incident_photon_energy"},
                                            {"value": {"gte": "7000"}},
                                            {"unit": "eV"},
                                        ]
                                    }
                                ),
                                param(
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
        ),
        (
            "E10 at limit 250",
            "/Documents",
            {
                "include": [
                    {
                        "relation": "datasets",
                        "scope": {
                            "include": [
                                technique("small angle x-ray scattering"),
                                param(
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
                "limit": 250,
            },
        ),
        ("instruments of a facility", "/Instruments", {"where": {"facility": "SYN-X"}}),
        (
            "date range, newest first",
            "/Datasets",
            {
                "where": {"creationDate": {"between": ["2018-01-01", "2018-06-30"]}},
                "order": "creationDate DESC",
                "limit": 50,
            },
        ),
        (
            "E11 document members",
            f"/documents/{doc}",
            {
                "include": [
                    {"relation": "members", "scope": {"include": [{"relation": "affiliation"}, {"relation": "person"}]}}
                ],
                "limit": 0,
            },
        ),
        (
            "E12 document datasets",
            f"/documents/{doc}",
            {
                "include": [
                    {
                        "relation": "datasets",
                        "scope": {"include": [{"relation": "techniques"}, {"relation": "parameters"}]},
                    }
                ],
                "limit": 0,
            },
        ),
        ("deep page", "/Datasets", {"skip": 5000, "limit": 100}),
        ("files of a dataset", f"/Datasets/{ds}/files", {"order": "size DESC", "limit": 10}),
    ]


def timed(url: str) -> tuple[float, object]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:
        body = json.loads(response.read())
    return (time.perf_counter() - started) * 1000, body


def first_value(connection: psycopg.Connection, sql: str) -> Any:
    row = connection.execute(sql).fetchone()
    assert row is not None, f"the catalogue has nothing for: {sql}"
    return row[0]


def floor_ms(connection: psycopg.Connection, path: str, body: Any, repeat: int) -> float:
    entity = path.strip("/").split("/")[0].capitalize()
    table = "catalogue_datafile" if path.endswith("/files") else TABLES[entity]
    records = body if isinstance(body, list) else [body]
    if table == "catalogue_datafile":
        ids = [record["id"] for record in records]
        sql, params = f"SELECT * FROM {table} WHERE id = ANY(%s)", [ids]
    else:
        sql, params = f"SELECT * FROM {table} WHERE pid = ANY(%s)", [[record["pid"] for record in records]]
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        connection.execute(sql, params).fetchall()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def explained_indexes(path: str, flt: dict | None) -> str:
    """The indexes PostgreSQL plans to use for the slowest statement of one request, replayed in-process."""
    import re

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    url = "/panosc-api" + path + ("?filter=" + urllib.parse.quote(json.dumps(flt)) if flt else "")
    with CaptureQueriesContext(connection) as captured:
        Client(HTTP_HOST="127.0.0.1").get(url)
    statements = [q for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    if not statements:
        return "-"
    slowest = max(statements, key=lambda q: float(q["time"]))["sql"]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + slowest)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    used = re.findall(r"Index (?:Only )?Scan (?:Backward )?using (\w+)", plan)
    used += re.findall(r"Bitmap Index Scan on (\w+)", plan)
    return ", ".join(sorted(set(used))) or "none (sequential scans)"


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000/panosc-api")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--explain", action="store_true", help="also print the indexes each request's plan uses")
    args = parser.parse_args()
    if args.explain:
        import django

        sys.path.insert(0, os.getcwd())
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pancommons.settings")
        django.setup()
        import logging

        logging.getLogger("catalogue.panosc").setLevel(logging.WARNING)
    connection = psycopg.connect(args.database_url, autocommit=True)
    datasets, document, dataset = (
        first_value(connection, sql)
        for sql in (
            "SELECT count(*) FROM catalogue_dataset",
            "SELECT d.pid FROM catalogue_document d JOIN catalogue_dataset s ON s.proposal_id = d.id "
            "WHERE s.release_date < now() AND d.pid LIKE '10.80000/SYN-%%' ORDER BY d.id LIMIT 1",
            "SELECT pid FROM catalogue_dataset WHERE release_date < now() ORDER BY id LIMIT 1",
        )
    )
    print(f"catalogue: {datasets} datasets; {args.repeat} runs per request against {args.base_url}")
    overhead_samples = [timed(args.base_url + "/Instruments/count")[0] for _ in range(args.repeat + 3)][3:]
    overhead = statistics.median(overhead_samples)
    print(f"request floor (p50 of /Instruments/count): {overhead:.1f} ms")
    print(f"{'request':32} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'floor ms':>9} {'p95/floor':>9} {'p95/both':>9}")
    worst = 0.0
    for name, path, flt in requests(document, dataset):
        url = args.base_url + path + ("?filter=" + urllib.parse.quote(json.dumps(flt)) if flt else "")
        for _ in range(3):  # warm every server worker's connection and caches, not only the first one's
            timed(url)
        samples, body = [], None
        for _ in range(args.repeat):
            elapsed, body = timed(url)
            samples.append(elapsed)
        floor = floor_ms(connection, path, body, args.repeat)
        p50, p95 = statistics.median(samples), percentile(samples, 0.95)
        count = len(body) if isinstance(body, list) else 1
        worst = max(worst, p95)
        print(
            f"{name:32} {count:5d} {p50:8.1f} {p95:8.1f} {floor:9.2f} {p95 / max(floor, 0.01):9.1f} "
            f"{p95 / (floor + overhead):9.1f}"
        )
        if args.explain:
            print(f"{'':32} indexes: {explained_indexes(path, flt)}")
    print(f"worst p95: {worst:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
