"""OAI-PMH benchmark: ListRecords page latency and harvest throughput, beside a PaNOSC Datasets page.

Usage (a catalogue made with `manage.py generate_catalogue --datasets N`, a server on BASE_URL reading the same
DATABASE_URL, with the same SECRET_KEY, as this script):
    python benchmarks/oai.py --base-url http://127.0.0.1:8000 [--repeat 20] [--prefix oai_dc oai_datacite]
        [--pages 50 | --follow 0] [--sets openaire_data status:open facility:ESRF ...]

For each metadata prefix: p50/p95 of the first ListRecords page (which also counts the complete list), then a harvest.
With --pages N (the default), N pages spread evenly over the whole list, each reached by the resumption token a
harvester would hold there (the repository's own signed token for the record just before it), so that a whole
harvest of a million records need not be run: it prints the pages' p50/p95 and records/s and the time a whole
harvest would take at that rate. With --follow M, it follows every token from the first page instead (M pages,
0: all). ListIdentifiers is measured the same way (its first page and the spread pages). With --sets SPEC ..., each
set's first ListRecords page (oai_dc, with its count) and the --set-pages pages that follow it by their tokens; with
--after-change also its first page right after each of --repeat edits of a dataset's title (the catalogue is written:
a first page of another catalogue state, whose counts are not kept yet). The baselines, measured in the same run:
p50/p95 of a trivial view (`/healthz`: one `SELECT 1`) and of the PaNOSC API's Datasets page of 100.
The target of issue 19 is a ListRecords page p95 ≤ 200 ms at 1M datasets.
"""

import argparse
import json
import os
import statistics
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from xml.etree import ElementTree

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pancommons.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Value  # noqa: E402
from django.utils import timezone  # noqa: E402

from catalogue import visibility  # noqa: E402
from catalogue.models import Dataset  # noqa: E402
from landing.oai import provider, records  # noqa: E402

OAI = "{http://www.openarchives.org/OAI/2.0/}"


def fetch(url: str) -> tuple[float, bytes]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        body = response.read()
    return (time.perf_counter() - started) * 1000, body


def percentiles(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):7.1f} ms  p95 {p95:7.1f} ms  (n={len(ordered)})"


def spread_positions(pages: int) -> tuple[list[records.Position], int]:
    """The harvest positions just before `pages` pages spread evenly over the whole list, and its size."""
    documents = records.doi_documents().annotate(rank=Value(records.RANKS["doi"]))
    datasets = records.harvested_datasets().annotate(rank=Value(records.RANKS["dataset"]))
    listed = documents.values_list("record_changed_at", "rank", "pk").union(
        datasets.values_list("record_changed_at", "rank", "pk"), all=True
    )
    sql, params = listed.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({sql}) listed", params)
        (size,) = cursor.fetchone()
        step = max(1, size // (pages + 1))  # no page starts at the end of the list
        cursor.execute(
            f"SELECT * FROM (SELECT *, row_number() OVER (ORDER BY 1, 2, 3) AS n FROM ({sql}) listed) numbered"
            " WHERE n %% %s = 0 ORDER BY n",
            [*params, step],
        )
        found = [records.Position(changed_at, rank, pk) for changed_at, rank, pk, _ in cursor.fetchall()]
    return found[:pages], size


def token_at(prefix: str, position: records.Position, size: int) -> str:
    selection = records.Selection(start=None, end=timezone.now(), set_spec=None)
    harvest = provider.Harvest(prefix=prefix, selection=selection, after=None, cursor=0, size=size)
    return harvest.token(position, cursor=0)


def read_page(url: str) -> tuple[float, int, str]:
    """(milliseconds, records (headers), the next token or "") of one list page."""
    elapsed, body = fetch(url)
    root = ElementTree.fromstring(body)
    error = root.find(f"{OAI}error")
    if error is not None:
        raise SystemExit(f"{url}: {ElementTree.tostring(error).decode()}")
    token = root.find(f".//{OAI}resumptionToken")
    return elapsed, len(root.findall(f".//{OAI}header")), (token.text or "") if token is not None else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--prefix", nargs="+", default=["oai_dc", "oai_datacite"])
    parser.add_argument("--pages", type=int, default=50, help="harvest this many pages spread over the list")
    parser.add_argument("--follow", type=int, default=None, help="instead follow the tokens for this many (0: all)")
    parser.add_argument("--sets", nargs="*", default=[], help="also measure these sets (setSpec), oai_dc")
    parser.add_argument("--set-pages", type=int, default=10, help="pages of each set to follow after its first")
    parser.add_argument(
        "--after-change", action="store_true", help="also each set's first page right after an edit of a dataset"
    )
    args = parser.parse_args()
    oai = f"{args.base_url}/oai?"
    baseline = f"{args.base_url}/panosc-api/Datasets?" + urllib.parse.urlencode({"filter": json.dumps({"limit": 100})})
    trivial = f"{args.base_url}/healthz"
    fetch(baseline)
    fetch(trivial)
    started = time.perf_counter()
    positions, size = spread_positions(args.pages) if args.follow is None else ([], 0)
    if positions:
        print(f"{len(positions)} positions spread over {size} records found in {time.perf_counter() - started:.1f} s")
    baselines: list[float] = []
    trivials: list[float] = []
    for verb, prefix in [("ListRecords", prefix) for prefix in args.prefix] + [("ListIdentifiers", "oai_dc")]:
        first_page = oai + urllib.parse.urlencode({"verb": verb, "metadataPrefix": prefix})
        fetch(first_page)
        firsts = [fetch(first_page)[0] for _ in range(args.repeat)]
        baselines += [fetch(baseline)[0] for _ in range(args.repeat)]
        trivials += [fetch(trivial)[0] for _ in range(args.repeat)]
        pages: list[float] = []
        harvested = 0
        if args.follow is None:
            for position in positions:
                url = oai + urllib.parse.urlencode({"verb": verb, "resumptionToken": token_at(prefix, position, size)})
                elapsed, count, _ = read_page(url)
                pages.append(elapsed)
                harvested += count
        else:
            url = first_page
            while url and (not args.follow or len(pages) < args.follow):
                elapsed, count, token = read_page(url)
                pages.append(elapsed)
                harvested += count
                url = oai + urllib.parse.urlencode({"verb": verb, "resumptionToken": token}) if token else ""
        seconds = sum(pages) / 1000
        rate = harvested / seconds
        print(f"{verb:15} {prefix:12} first page     {percentiles(firsts)}")
        print(f"{verb:15} {prefix:12} harvest pages  {percentiles(pages)}")
        how = "spread over the list" if args.follow is None else "following the tokens"
        print(f"  harvest: {harvested} records in {len(pages)} pages {how}, {seconds:.1f} s, {rate:.0f} records/s")
        if size:
            print(f"  a whole harvest of {size} records at that rate: {size / rate / 60:.1f} min")
    newest = visibility.open_datasets().order_by("-pk").values_list("pk", "title")
    edited = newest.first() if args.after_change else None
    for spec in args.sets:
        first_page = oai + urllib.parse.urlencode({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": spec})
        _, _, token = read_page(first_page)
        firsts = [read_page(first_page)[0] for _ in range(args.repeat)]
        after_change = []
        if edited:
            try:
                for turn in range(args.repeat):
                    # A steward's edit (without its signal): another catalogue state, so nothing kept for the last.
                    Dataset.objects.filter(pk=edited[0]).update(title=f"{edited[1]} (edited {turn})")
                    after_change.append(read_page(first_page)[0])
            finally:  # the catalogue as it was, even when a page fails
                Dataset.objects.filter(pk=edited[0]).update(title=edited[1])
        pages = []
        while token and len(pages) < args.set_pages:
            resumed = oai + urllib.parse.urlencode({"verb": "ListRecords", "resumptionToken": token})
            elapsed, _, token = read_page(resumed)
            pages.append(elapsed)
        print(f"set {spec:32} first page     {percentiles(firsts)}")
        if after_change:
            print(f"set {spec:32} after a change {percentiles(after_change)}")
        if pages:
            print(f"set {spec:32} next pages     {percentiles(pages)}")
        baselines += [fetch(baseline)[0] for _ in range(args.repeat)]
        trivials += [fetch(trivial)[0] for _ in range(args.repeat)]
    print(f"baseline: trivial view (/healthz)                   {percentiles(trivials)}")
    print(f"baseline: PaNOSC Datasets, limit 100                {percentiles(baselines)}")
    print(f"load average {' '.join(f'{load:.1f}' for load in os.getloadavg())}")


if __name__ == "__main__":
    main()
