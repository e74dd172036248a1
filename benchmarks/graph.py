"""Knowledge-graph figures: the rebuild's datasets/s and triples/s, the dump's triples/s with peak RSS, and a SPARQL
query's p95 right after a change.

Run against a catalogue of the size to measure (manage.py generate_catalogue --datasets N), with the environment of
the site (DATABASE_URL, GRAPH_STORE_DIR). Rebuilds the store first unless --no-rebuild. Baselines measured in the
same run: describing a sample of datasets one at a time (describe per entity, as a rebuild did before batches)
beside the same sample in one batch, reading every quad of the store without serialising (the dump's floor), and
the same query on a warm store with no change before it.

    .venv/bin/python benchmarks/graph.py --repeat 20
"""

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pancommons.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402

settings.DEBUG = False  # DEBUG keeps every SQL statement in memory, which would be measured as the dump's RSS

from catalogue import visibility  # noqa: E402
from landing.graph import catalogue, describe, sparql, store, sync  # noqa: E402
from landing.graph.examples import EXAMPLES  # noqa: E402

QUERY = EXAMPLES[0].query  # SAXS below 80 °C with DOIs


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dump_figures(key: str) -> tuple[int, float, int]:
    """(triples, seconds, bytes) of one full dump."""
    started = time.perf_counter()
    size = 0
    for chunk in catalogue.dump(key):
        size += len(chunk)
    seconds = time.perf_counter() - started
    reading = store.reading()
    assert reading is not None, "no knowledge graph built yet"
    triples = len(reading)
    return triples, seconds, size


def floor_seconds() -> float:
    started = time.perf_counter()
    reading = store.reading()
    assert reading is not None, "no knowledge graph built yet"
    for _ in reading.quads_for_pattern(None, None, None, None):
        pass
    return time.perf_counter() - started


def query_seconds() -> float:
    started = time.perf_counter()
    sparql.run(query=QUERY, accepted=["application/sparql-results+json"])
    return time.perf_counter() - started


def describe_rate(ids: list[int], *, batch: int) -> tuple[float, float]:
    """(datasets/s, triples/s) of describing these datasets `batch` at a time, quads included (no store write)."""
    started = time.perf_counter()
    triples = 0
    for start in range(0, len(ids), batch):
        entities = [describe.Entity("dataset", pk) for pk in ids[start : start + batch]]
        for entity, description in describe.describe_many(entities).items():
            own, shared = sync.placed(entity, description)
            triples += len(own) + len(shared)
    seconds = time.perf_counter() - started
    return len(ids) / seconds, triples / seconds


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20, help="changes (and queries) to time")
    parser.add_argument("--no-rebuild", action="store_true", help="use the store as it is")
    parser.add_argument("--sample", type=int, default=200, help="datasets described one at a time vs in a batch")
    options = parser.parse_args()

    datasets = visibility.open_datasets().count()
    print(f"catalogue: {datasets} open datasets, {describe.public_documents().count()} public DOIs")
    print(f"machine: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    sample = list(visibility.open_datasets().order_by("pk").values_list("pk", flat=True)[: options.sample])
    if sample:
        one_rate, one_triples = describe_rate(sample, batch=1)
        batch_rate, batch_triples = describe_rate(sample, batch=sync.BATCH)
        print(
            f"describe {len(sample)} datasets one at a time: {one_rate:,.1f} datasets/s ({one_triples:,.0f} triples/s);"
            f" in one batch: {batch_rate:,.1f} datasets/s ({batch_triples:,.0f} triples/s)"
        )
    if not options.no_rebuild:
        started = time.perf_counter()
        triples = sync.rebuild()
        seconds = time.perf_counter() - started
        entities = sum(1 for _ in describe.public_entities())
        print(
            f"rebuild: {entities:,} entities ({datasets:,} datasets) in {seconds:.1f} s = "
            f"{datasets / seconds:,.0f} datasets/s; {triples:,} triples in the store, "
            f"{triples / seconds:,.0f} triples/s"
        )
    rss_before = peak_rss_mb()
    floor = floor_seconds()
    for key in ("nt", "ttl"):
        triples, seconds, size = dump_figures(key)
        print(
            f"dump {key}: {triples:,} triples in {seconds:.2f} s = {triples / seconds:,.0f} triples/s, "
            f"{size / 1e6:.1f} MB; reading the quads alone {triples / floor:,.0f} triples/s"
        )
    print(f"peak RSS: {peak_rss_mb():.0f} MB (before the dumps {rss_before:.0f} MB)")

    warm = [query_seconds() for _ in range(options.repeat)]
    dataset_ids = list(visibility.open_datasets().order_by("pk").values_list("pk", flat=True)[: options.repeat])
    after_change, refresh = [], []
    for pk in dataset_ids:
        started = time.perf_counter()
        sync.refresh([describe.Entity("dataset", pk)])  # what the Celery task does after a commit
        refresh.append(time.perf_counter() - started)
        after_change.append(query_seconds())
    print(f"SPARQL example query, warm: p50 {statistics.median(warm) * 1000:.0f} ms, p95 {p95(warm) * 1000:.0f} ms")
    if after_change:
        print(
            f"SPARQL example query right after a change: p50 {statistics.median(after_change) * 1000:.0f} ms, "
            f"p95 {p95(after_change) * 1000:.0f} ms (the refresh itself: p50 {statistics.median(refresh) * 1000:.0f}"
            f" ms, p95 {p95(refresh) * 1000:.0f} ms)"
        )


if __name__ == "__main__":
    main()
