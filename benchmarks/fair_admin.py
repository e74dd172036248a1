"""The FAIR score in the admin at scale (issue 21: "the admin can sort and filter on it at a million datasets").

    DATABASE_URL=postgres://…/pc_x .venv/bin/python benchmarks/fair_admin.py [--repeat 10]

Times, in-process (django.test.Client: the whole admin stack without a network hop), the dataset and proposal
changelists sorted by FAIR score and filtered by score band, and the stewards' worklist, beside two baselines
measured in the same run: a trivial admin page (the facility list) and the plain dataset list (what the score adds
to it). Then replays each page once, EXPLAINs every SELECT it ran, and prints the indexes in the plan of its list
(the SELECT of one page of rows) and every sequential scan on a table that grows with the catalogue: the plans that
must not change shape at a million datasets.

Against whatever DATABASE_URL names: a catalogue made with `manage.py generate_catalogue --datasets N` and scored
(the beat's `fair-score-unscored` sweep, or `fair.score_unscored()` until it returns zero). It writes nothing but a
staff user, "fair-admin-benchmark", made if missing.
"""

import argparse
import os
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pancommons.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from catalogue.models import Dataset, DatasetFairScore, Document, FairGap, FairWorkItem  # noqa: E402

# Tables that grow with the catalogue: a sequential scan of one of them is what would not hold at a million.
GROWING = (
    "catalogue_dataset",
    "catalogue_datasetfairscore",
    "catalogue_document",
    "catalogue_documentfairscore",
    "catalogue_fairgap",
    "catalogue_fairworkitem",
)
BENCHMARK_USER = "fair-admin-benchmark"
LIST_PER_PAGE = 100  # the admin's default page: the list statement ends "LIMIT 100"


@dataclass(frozen=True)
class Timing:
    name: str
    path: str
    p50: float
    p95: float


def steward_client() -> Client:
    user, _ = get_user_model().objects.get_or_create(
        username=BENCHMARK_USER, defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client


def fair_column(client: Client, changelist: str) -> int:
    """The changelist's `o` index of the FAIR column, read from its sortable header link."""
    page = client.get(changelist).content.decode()
    found = re.search(r'column-fair.*?href="\?o=(\d+)', page, re.S)
    if not found:
        raise SystemExit(f"no sortable FAIR column on {changelist}")
    return int(found.group(1))


def pages(client: Client) -> list[tuple[str, str]]:
    datasets, proposals = "/admin/catalogue/dataset/", "/admin/catalogue/proposal/"
    column, proposal_column = fair_column(client, datasets), fair_column(client, proposals)
    return [
        ("trivial admin page (facilities)", "/admin/catalogue/facility/"),
        ("datasets, no sort or filter", datasets),
        ("datasets sorted by score, worst first", f"{datasets}?o={column}"),
        ("datasets sorted by score, best first", f"{datasets}?o=-{column}"),
        ("datasets in band poor", f"{datasets}?fair=poor"),
        ("datasets in band moderate", f"{datasets}?fair=moderate"),
        ("datasets in band moderate, best first", f"{datasets}?fair=moderate&o=-{column}"),
        ("datasets not scored yet", f"{datasets}?fair=unscored"),
        ("proposals sorted by score, worst first", f"{proposals}?o={proposal_column}"),
        ("proposals in band poor", f"{proposals}?fair=poor"),
        ("worklist", "/admin/fair/worklist/"),
    ]


def timed(client: Client, name: str, path: str, repeat: int) -> Timing:
    response = client.get(path)  # warm: caches, prepared plans, the page's first compile
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (repeat - 1)))]
    return Timing(name, path, statistics.median(samples), p95)


def plans(client: Client, path: str) -> tuple[str, list[str]]:
    """Indexes in the plan of the page's list (the SELECT of one page of rows; the worklist: its slowest SELECT),
    and each SELECT whose plan scans a growing table sequentially (with its time here and the start of its SQL)."""
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    statements = [q for q in captured.captured_queries if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))]
    if not statements:
        return "-", []
    pages = [q for q in statements if re.search(rf" LIMIT {LIST_PER_PAGE}\b", q["sql"])]
    listing = pages[0] if pages else max(statements, key=lambda q: float(q["time"]))
    used: list[str] = []
    scans = []
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute("EXPLAIN " + statement["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
            tables = sorted({table for table in re.findall(r"Seq Scan on (\w+)", plan) if table in GROWING})
            if tables:
                sql = " ".join(statement["sql"].split())
                scans.append(f"{float(statement['time']) * 1000:.0f} ms, seq scan on {', '.join(tables)}: {sql[:90]}…")
            if statement is listing:
                used = re.findall(r"Index (?:Only )?Scan (?:Backward )?using (\w+)", plan)
                used += re.findall(r"Bitmap Index Scan on (\w+)", plan)
    indexes = f"{float(listing['time']) * 1000:.0f} ms, " + (", ".join(sorted(set(used))) or "no index")
    return indexes, scans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    counts = {
        "datasets": Dataset.objects.count(),
        "scored": DatasetFairScore.objects.count(),
        "proposals and collections": Document.objects.count(),
        "worklist gaps": FairGap.objects.count(),
        "worklist items": FairWorkItem.objects.count(),
    }
    print(", ".join(f"{value} {name}" for name, value in counts.items()))
    if counts["scored"] < counts["datasets"]:
        print("warning: not every dataset is scored (run fair.score_unscored() until it returns zero)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        print(cursor.fetchone()[0].split(",")[0], f"; load average {os.getloadavg()[0]:.2f}")
    client = steward_client()
    timings = [timed(client, name, path, args.repeat) for name, path in pages(client)]
    floor = timings[0].p50
    print(f"\n{'page':42} {'p50 ms':>8} {'p95 ms':>8} {'×triv':>5}  list SELECT: ms, indexes in its plan")
    for timing in timings:
        indexes, scans = plans(client, timing.path)
        figures = f"{timing.p50:8.1f} {timing.p95:8.1f} {timing.p50 / floor:5.1f}"
        print(f"{timing.name:42} {figures}  {indexes}")
        for scan in scans:
            print(f"    {scan}")


if __name__ == "__main__":
    main()
