"""OAI-PMH benchmark: ListRecords page latency and full-harvest throughput, beside a PaNOSC Datasets page.

Usage (a catalogue made with `manage.py generate_catalogue --datasets N`, a server on BASE_URL):
    python benchmarks/oai.py --base-url http://127.0.0.1:8000 [--repeat 20] [--prefix oai_dc] [--max-pages 0]

Prints p50/p95 of a ListRecords page (the first page, and pages reached by resumption tokens along a harvest),
the records per second of a full harvest that follows every token (or --max-pages of them), and, as the baseline
measured in the same run, p50/p95 of the PaNOSC API's Datasets page of 100 (`/panosc-api/Datasets`). The target of
issue 19 is a ListRecords page p95 ≤ 200 ms at 1M datasets.
"""

import argparse
import json
import statistics
import time
import urllib.parse
import urllib.request
from xml.etree import ElementTree

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--prefix", default="oai_dc")
    parser.add_argument("--max-pages", type=int, default=0, help="stop the harvest after this many pages (0: all)")
    args = parser.parse_args()
    oai = f"{args.base_url}/oai?"
    first_page = oai + urllib.parse.urlencode({"verb": "ListRecords", "metadataPrefix": args.prefix})
    baseline = f"{args.base_url}/panosc-api/Datasets?" + urllib.parse.urlencode({"filter": json.dumps({"limit": 100})})
    fetch(first_page), fetch(baseline)  # warm both
    firsts = [fetch(first_page)[0] for _ in range(args.repeat)]
    baselines = [fetch(baseline)[0] for _ in range(args.repeat)]

    pages: list[float] = []
    records = 0
    size = None
    started = time.perf_counter()
    url = first_page
    while url:
        elapsed, body = fetch(url)
        pages.append(elapsed)
        root = ElementTree.fromstring(body)
        records += len(root.findall(f".//{OAI}record"))
        token = root.find(f".//{OAI}resumptionToken")
        size = token.get("completeListSize") if token is not None else records
        url = (
            oai + urllib.parse.urlencode({"verb": "ListRecords", "resumptionToken": token.text})
            if (token is not None and token.text)
            else ""
        )
        if args.max_pages and len(pages) >= args.max_pages:
            break
    seconds = time.perf_counter() - started

    print(f"ListRecords {args.prefix}, first page      {percentiles(firsts)}")
    print(f"ListRecords {args.prefix}, harvest pages   {percentiles(pages)}")
    print(f"baseline: PaNOSC Datasets, limit 100  {percentiles(baselines)}")
    rate = records / seconds
    print(f"harvest: {records} records of {size} in {len(pages)} pages, {seconds:.1f} s, {rate:.0f} records/s")


if __name__ == "__main__":
    main()
