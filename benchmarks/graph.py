"""Knowledge-graph figures: the rebuild's datasets/s (and per CPU-second, worker processes included), the dump's
triples/s with its peak RSS, the SPARQL example's p50/p95 and a SPARQL query's p95 right after a change, each beside a
baseline measured in the same run.

Run against a catalogue of the size to measure (manage.py generate_catalogue --datasets N), with the environment of
the site (DATABASE_URL); --store-dir puts the store elsewhere than GRAPH_STORE_DIR (the benchmark replaces the store
there). Baselines: describing a sample of datasets one at a time (as a rebuild did before batches) beside the same
sample in batches; writing the sample's quads as rebuilds did before bulk loading (a transaction a batch) beside the
Loader; the rebuild as before this round (one process, Python's automatic garbage collection) on the first
--baseline-datasets open datasets, beside the rebuild with --workers describing processes; reading every quad of the
store without serialising (the dump's floor) and the process's RSS before the dumps; the complete answer of the
example query (the example pages it) and the query as first written.

The rebuild runs first unless --no-rebuild; the dumps and queries then run in a process of their own (this script
again, with --no-rebuild), so the peak RSS printed is the dump's, not the rebuild's. --rebuild-datasets N rebuilds
a part of the catalogue (the first N open datasets, their share of DOIs, every instrument) when the whole would take
too long, and prints what the whole would take at that rate; --dump-triples N stops each dump after N triples.
--no-edit refreshes a dataset's graph without editing its row first (a catalogue that must not be written).

    .venv/bin/python benchmarks/graph.py --repeat 20 --workers 2 --store-dir /big/disk/graph
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pancommons.settings")

# Each SPARQL query's child process (a forkserver's) re-runs this script as __mp_main__: it needs none of this, and
# setting Django up there again would be timed as the query.
if __name__ == "__main__":
    if "--store-dir" in sys.argv:  # read by the settings, so before they load (and inherited by the dump's process)
        os.environ["GRAPH_STORE_DIR"] = sys.argv[sys.argv.index("--store-dir") + 1]

    import django

    django.setup()

    import pyoxigraph
    from django.conf import settings

    logging.getLogger("celery.app.trace").setLevel(logging.WARNING)  # a line per task run here
    settings.DEBUG = False  # DEBUG keeps every SQL statement in memory, which would be measured as the dump's RSS

    from catalogue import visibility
    from catalogue.models import Dataset
    from landing.graph import catalogue, describe, sparql, store, sync, tasks
    from landing.graph.examples import EXAMPLES

    QUERY = EXAMPLES[0].query  # SAXS below 80 °C with DOIs

# The baseline of the example, its complete answer: the example as it was before it was paged (all the datasets).
QUERY_COMPLETE = """SELECT ?dataset ?title ?celsius ?facility (GROUP_CONCAT(DISTINCT ?doi) AS ?dois) WHERE {
  ?temperature schema:name "sample_temperature" ;
               qudt:numericValue ?kelvin .
  FILTER(?kelvin < 353.15)
  ?temperature qudt:unit unit:K .
  ?dataset schema:variableMeasured ?temperature ;
           dcat:theme/skos:broaderTransitive? panet:PaNET01188 ;
           a dcat:Dataset ;
           dct:title ?title ;
           dct:publisher/foaf:name ?facility .
  BIND(?kelvin - 273.15 AS ?celsius)
  OPTIONAL { ?dataset dct:isPartOf ?record . ?record dct:identifier ?doi .
             FILTER(STRSTARTS(?doi, "https://doi.org/")) }
}
GROUP BY ?dataset ?title ?celsius ?facility ?kelvin
ORDER BY ?kelvin ?dataset"""

# The same query as first written, the dataset's patterns first and the temperature FILTER last
# (Oxigraph evaluates largely in the written order).
QUERY_AS_FIRST_WRITTEN = """SELECT ?dataset ?title ?celsius ?facility (GROUP_CONCAT(DISTINCT ?doi) AS ?dois) WHERE {
  ?dataset a dcat:Dataset ; dct:title ?title ; dcat:theme/skos:broaderTransitive? panet:PaNET01188 ;
           dct:publisher/foaf:name ?facility ; schema:variableMeasured ?temperature .
  ?temperature schema:name "sample_temperature" ; qudt:unit unit:K ; qudt:numericValue ?kelvin .
  FILTER(?kelvin < 353.15)
  BIND(?kelvin - 273.15 AS ?celsius)
  OPTIONAL { ?dataset dct:isPartOf ?record . ?record dct:identifier ?doi .
             FILTER(STRSTARTS(?doi, "https://doi.org/")) }
}
GROUP BY ?dataset ?title ?celsius ?facility ?kelvin
ORDER BY ?kelvin ?dataset"""


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM: unlike getrusage's, not inherited from the process that started it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(work: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process and of its child processes that ended meanwhile) of `work`."""
    wall, cpu = time.perf_counter(), time.process_time() + children_cpu()
    work()
    return time.perf_counter() - wall, time.process_time() + children_cpu() - cpu


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def ms(values: list[float]) -> str:
    return f"p50 {statistics.median(values) * 1000:.0f} ms, p95 {p95(values) * 1000:.0f} ms"


# --- Rebuild ---------------------------------------------------------------------------------------------------


def describe_rate(ids: list[int], *, batch: int) -> tuple[float, float]:
    """(datasets/s, triples/s) of describing these datasets `batch` at a time, quads included (no store write)."""
    triples = 0

    def work() -> None:
        nonlocal triples
        for start in range(0, len(ids), batch):
            entities = [describe.Entity("dataset", pk) for pk in ids[start : start + batch]]
            for entity, description in describe.describe_many(entities).items():
                assert description is not None, entity  # open datasets only
                own, shared = sync.placed(entity, description)
                triples += len(own) + len(shared)

    seconds, _ = timed(work)
    return len(ids) / seconds, triples / seconds


def write_rates(ids: list[int]) -> tuple[int, float, float]:
    """(quads, quads/s written a transaction a batch as before, quads/s through the Loader) for these datasets."""
    batches = [
        describe.describe_many([describe.Entity("dataset", pk) for pk in ids[start : start + sync.BATCH]])
        for start in range(0, len(ids), sync.BATCH)
    ]
    store.root().mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=store.root()) as scratch:
        old, count = timed_transactions(pyoxigraph.Store(str(Path(scratch) / "before")), batches)
        new, _ = timed(lambda: load_batches(sync.Loader(pyoxigraph.Store(str(Path(scratch) / "after"))), batches))
    return count, count / old, count / new


def timed_transactions(
    building: pyoxigraph.Store, batches: list[dict[describe.Entity, describe.Description | None]]
) -> tuple[float, int]:
    """Seconds and quads of writing the batches as rebuilds did before: all its quads in one transaction a batch,
    after removing the graphs of the shared resources it states."""
    quads = [
        [
            quad
            for entity, description in described.items()
            if description is not None
            for quad in itertools.chain(*sync.placed(entity, description))
        ]
        for described in batches
    ]
    own_graphs = {store.entity_graph(entity.as_key()) for described in batches for entity in described}
    started = time.perf_counter()
    for batch in quads:
        for graph in {quad.graph_name for quad in batch} - own_graphs:
            building.remove_graph(graph)
        building.extend(batch)
    return time.perf_counter() - started, sum(len(batch) for batch in quads)


def load_batches(loader: sync.Loader, batches: list[dict[describe.Entity, describe.Description | None]]) -> None:
    for described in batches:
        loader.add(described)
    loader.finish()


def part(datasets: int) -> Iterator[describe.Entity]:
    """The first `datasets` open datasets, the DOIs in the catalogue's proportion, every instrument."""
    open_datasets = visibility.open_datasets().count()
    documents = describe.public_documents().count() * datasets // max(open_datasets, 1)
    entities = list(describe.public_entities())
    kinds: dict[str, list[describe.Entity]] = {}
    for entity in entities:
        kinds.setdefault(entity.kind, []).append(entity)
    yield from kinds.get("catalogue", [])
    yield from kinds.get("document", [])[:documents]
    yield from kinds.get("dataset", [])[:datasets]
    yield from kinds.get("instrument", [])


def rebuild_figures(options: argparse.Namespace) -> None:
    open_datasets = visibility.open_datasets().count()
    sample = list(visibility.open_datasets().order_by("pk").values_list("pk", flat=True)[: options.sample])
    if sample:
        one_rate, one_triples = describe_rate(sample[: max(1, len(sample) // 4)], batch=1)
        batch_rate, batch_triples = describe_rate(sample, batch=sync.BATCH)
        print(
            f"describe datasets one at a time: {one_rate:,.1f} datasets/s ({one_triples:,.0f} triples/s); "
            f"in batches of {sync.BATCH}: {batch_rate:,.1f} datasets/s ({batch_triples:,.0f} triples/s)"
        )
        quads, old, new = write_rates(sample)
        print(
            f"write {len(sample):,} datasets' {quads:,} quads a transaction a batch (before): {old:,.0f} quads/s; "
            f"bulk-loaded by the Loader (converting the terms included): {new:,.0f} quads/s"
        )
    if options.baseline_datasets:
        baseline = list(part(options.baseline_datasets))
        print(f"baseline rebuild starts at {time.strftime('%H:%M:%S')} UTC, load average {load()}")
        rebuild_figure("baseline rebuild as before (one process, automatic garbage collection)", baseline, as_before)
    entities = None
    if options.rebuild_datasets:
        entities = list(part(options.rebuild_datasets))
    counted = entities if entities is not None else list(describe.public_entities())
    datasets = sum(entity.kind == "dataset" for entity in counted)
    print(f"rebuild starts at {time.strftime('%H:%M:%S')} UTC, load average {load()}")
    seconds, cpu = rebuild_figure(
        f"rebuild with {options.workers} describing process(es)",
        counted if entities is not None else None,
        partial(sync.rebuild, workers=options.workers, optimize=not options.no_optimize),
    )
    if datasets < open_datasets:
        print(
            f"  a part of the catalogue: all {open_datasets:,} open datasets at this rate ≈ "
            f"{open_datasets / datasets * seconds / 60:,.0f} min ({open_datasets / datasets * cpu / 60:,.0f} CPU-min)"
        )
    print(f"peak RSS of the rebuild's process: {peak_rss_mb():,.0f} MB")


def rebuild_figure(
    label: str, entities: list[describe.Entity] | None, rebuild: Callable[..., int]
) -> tuple[float, float]:
    """Rebuild the store from these entities (None: the whole catalogue), print the figures; (seconds, CPU-s)."""
    counted = entities if entities is not None else list(describe.public_entities())
    datasets = sum(entity.kind == "dataset" for entity in counted)
    triples = 0

    def work() -> None:
        nonlocal triples
        triples = rebuild(entities=entities)

    seconds, cpu = timed(work)
    print(
        f"{label}: {len(counted):,} entities ({datasets:,} datasets) in {seconds:,.1f} s (CPU {cpu:,.1f} s, worker "
        f"processes included) = {datasets / seconds:,.0f} datasets/s ({datasets / cpu:,.0f} per CPU-second); "
        f"{triples:,} triples in the store, {triples / seconds:,.0f} triples/s; load average at the end {load()}"
    )
    return seconds, cpu


def as_before(*, entities: list[describe.Entity] | None) -> int:
    """The rebuild as it ran before this round: in this process, with Python's automatic garbage collection."""
    original = sync._collecting_per_batch
    # A stand-in used the same way (a context manager of no arguments), though not of the same type.
    sync._collecting_per_batch = contextlib.nullcontext  # type: ignore[assignment]
    try:
        return sync.rebuild(entities=entities, workers=1)
    finally:
        sync._collecting_per_batch = original


# --- Dump and SPARQL (a process of their own) ----------------------------------------------------------------


def dump_figures(key: str, limit: int | None) -> tuple[int, float, int]:
    """(triples, seconds, bytes) of one dump, or of its first `limit` triples."""
    reader = store.reading()
    assert reader is not None
    total = len(reader)
    started = time.perf_counter()
    size = sent = 0
    for chunk in catalogue.dump(key):
        size += len(chunk)
        sent += catalogue.DUMP_BATCH
        if limit is not None and sent >= limit:
            break
    return min(sent, total), time.perf_counter() - started, size


def floor_seconds(limit: int | None) -> tuple[int, float]:
    reader = store.reading()
    assert reader is not None
    started = time.perf_counter()
    count = 0
    for _ in itertools.islice(reader.quads_for_pattern(None, None, None, None), limit):
        count += 1
    return count, time.perf_counter() - started


def query_seconds(query: str | None = None) -> float:
    started = time.perf_counter()
    sparql.run(query=query or QUERY, accepted=["application/sparql-results+json"])
    return time.perf_counter() - started


def rows(query: str) -> list[dict[str, object]]:
    """The answer's rows, each row's DOIs sorted (GROUP_CONCAT's order is unspecified; a dataset without a DOI
    leaves the variable unbound)."""
    body = sparql.run(query=query, accepted=["application/sparql-results+json"]).body
    bindings = json.loads(body)["results"]["bindings"]
    return [{**row, "dois": sorted(row.get("dois", {}).get("value", "").split())} for row in bindings]


def refresh_dataset(pk: int) -> None:
    """What the worker does after a dataset's edit is committed (the task, run here)."""
    tasks.refresh_entities.apply(args=[[f"dataset:{pk}"]]).get()


def complete_answer_figures(options: argparse.Namespace, page: list[dict[str, object]]) -> None:
    complete = rows(QUERY_COMPLETE)
    same = complete == rows(QUERY_AS_FIRST_WRITTEN)
    in_complete = bool(page) and all(row in complete for row in page)
    first_written = [query_seconds(QUERY_AS_FIRST_WRITTEN) for _ in range(options.baseline_repeat)]
    whole = [query_seconds(QUERY_COMPLETE) for _ in range(options.baseline_repeat)]
    print(
        f"SPARQL example query's complete answer ({len(complete):,} rows) as first written {ms(first_written)}, "
        f"reordered {ms(whole)} (same answers: {same}; each row of the page in it: {in_complete})"
    )


def dump_and_query_figures(options: argparse.Namespace) -> None:
    reader = store.reading()
    if reader is None:
        sys.exit("no store published yet: run without --no-rebuild (or manage.py rebuild_graph)")
    print(f"store: {len(reader):,} triples (generation {store.current_generation()}); load average {load()}")
    rss_before = peak_rss_mb()
    count, floor = floor_seconds(options.dump_triples)
    for key in ("nt", "ttl"):
        triples, seconds, size = dump_figures(key, options.dump_triples)
        print(
            f"dump {key}: {triples:,} triples in {seconds:,.2f} s = {triples / seconds:,.0f} triples/s, "
            f"{size / 1e6:,.1f} MB; reading the quads alone {count / floor:,.0f} triples/s"
        )
    print(f"peak RSS of the dump's process: {peak_rss_mb():,.0f} MB (before the dumps {rss_before:,.0f} MB)")

    page = rows(QUERY)  # also starts the forkserver the queries run from
    warm = [query_seconds() for _ in range(options.repeat)]
    print(f"SPARQL example query (SAXS below 80 °C), warm, no change before it: a page of {len(page)} {ms(warm)}")
    try:
        complete_answer_figures(options, page)
    except sparql.TooSlow as stopped:  # a large store: the complete answer is what the example pages to avoid
        print(f"SPARQL example query's complete answer (the baseline): {stopped}")
    edited = list(visibility.open_datasets().order_by("-pk").values_list("pk", "title")[: options.repeat])
    tasks.refresh_entities.apply(args=[[f"dataset:{edited[0][0]}"]]).get()  # once untimed: the first loads the code
    after_change, refresh = [], []
    for pk, title in edited:
        if not options.no_edit:
            Dataset.objects.filter(pk=pk).update(title=f"{title} (edited)")  # a steward's edit, without its signal
        seconds, _ = timed(partial(refresh_dataset, pk))
        refresh.append(seconds)
        after_change.append(query_seconds())
    for pk, title in edited:
        if not options.no_edit:
            Dataset.objects.filter(pk=pk).update(title=title)
    tasks.refresh_entities.apply(args=[[f"dataset:{pk}" for pk, _ in edited]]).get()
    print(
        f"SPARQL example query right after a change (a dataset {'refreshed' if options.no_edit else 'edited'}, its "
        "graph refreshed by the task and a generation published): "
        f"{ms(after_change)}; the refresh itself {ms(refresh)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20, help="changes (and queries) to time")
    parser.add_argument("--no-rebuild", action="store_true", help="use the store as it is: dumps and queries only")
    parser.add_argument("--sample", type=int, default=1000, help="datasets for the describe and write baselines")
    parser.add_argument("--rebuild-datasets", type=int, help="rebuild only the first N open datasets (and their DOIs)")
    parser.add_argument("--dump-triples", type=int, help="stop each dump after about N triples")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="describing processes of the rebuild")
    parser.add_argument(
        "--baseline-datasets", type=int, default=2000, help="open datasets of the baseline rebuild (0: none)"
    )
    parser.add_argument("--baseline-repeat", type=int, default=3, help="runs of the complete-answer queries")
    parser.add_argument("--store-dir", help="the store's directory (GRAPH_STORE_DIR); its store is replaced")
    parser.add_argument("--no-edit", action="store_true", help="refresh datasets without editing their rows")
    parser.add_argument("--no-optimize", action="store_true", help="rebuild without the final compaction (disk)")
    options = parser.parse_args()

    if options.no_rebuild:
        dump_and_query_figures(options)
        return
    print(
        f"catalogue: {Dataset.objects.count():,} datasets, {visibility.open_datasets().count():,} open, "
        f"{describe.public_documents().count():,} public DOIs"
    )
    print(f"machine: {os.cpu_count()} CPUs, load average {load()}, {time.strftime('%Y-%m-%d %H:%M')} UTC")
    print(f"store directory: {store.root()}")
    rebuild_figures(options)
    sys.stdout.flush()
    forwarded = ["--repeat", str(options.repeat), "--baseline-repeat", str(options.baseline_repeat)]
    if options.no_edit:
        forwarded.append("--no-edit")
    if options.dump_triples:
        forwarded += ["--dump-triples", str(options.dump_triples)]
    subprocess.run([sys.executable, __file__, "--no-rebuild", *forwarded], check=True)


if __name__ == "__main__":
    main()
