"""Landing pages and their exports beside a trivial view (issue 22): req/s under 8 clients and p50 of one alone.

    DATABASE_URL=postgres://…/pc_bench .venv/bin/python benchmarks/landing.py [--before /work/main] [--seconds 5]

Starts gunicorn as the demo does (2 workers × 4 threads, DEBUG off) on DATABASE_URL's catalogue: the demo's sample
files (`manage.py demo --no-serve`) or a synthetic one (`manage.py generate_catalogue --datasets N`). Measures, for
the DOI page of the proposal of the open dataset with the most files, that dataset's page and every export of both,
/robots.txt as the trivial view: throughput with wrk (Debian's `wrk`; 8 connections) and the p50 of one client
alone. With --before, a second checkout (say main's code) serves the same catalogue and its figures print beside.
Target: every page and export at ≥ 25 % of the trivial view's throughput and p50 ≤ 10 ms alone. Never run as a test.
"""

import argparse
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent.parent
TRIVIAL = "/robots.txt"
CONNECTIONS = 8
DOCUMENT_EXPORTS = ("datacite-xml", "datacite-json", "csl-json", "bibtex", "ris", "jsonld", "dcat", "ttl")
DATASET_EXPORTS = ("csl-json", "bibtex", "ris", "jsonld", "dcat")


@dataclass(frozen=True)
class Figures:
    throughput: float  # requests per second under CONNECTIONS clients
    p50_alone: float  # ms


def pages(database_url: str) -> list[tuple[str, str]]:
    """(label, path) of what is measured: the trivial view first."""
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT s.pid, d.doi, (SELECT count(*) FROM catalogue_dataset x WHERE x.proposal_id = d.id) "
            "FROM catalogue_dataset s JOIN catalogue_document d ON d.id = s.proposal_id "
            "LEFT JOIN catalogue_datafile f ON f.dataset_id = s.id "
            "WHERE s.release_date < now() AND s.withdrawn_at IS NULL AND d.doi IS NOT NULL AND d.withdrawn_at IS NULL "
            "GROUP BY s.id, d.id ORDER BY count(f.id) DESC, s.id LIMIT 1"
        ).fetchone()
    if row is None:
        sys.exit("no open dataset with a DOI: fill the catalogue first (manage.py demo --no-serve)")
    pid, doi, datasets = row
    print(f"DOI {doi} ({datasets} datasets), dataset {pid}")
    measured = [("trivial " + TRIVIAL, TRIVIAL), ("DOI page", f"/doi/{doi}"), ("dataset page", f"/datasets/{pid}")]
    measured += [(f"DOI ?format={key}", f"/doi/{doi}?format={key}") for key in DOCUMENT_EXPORTS]
    measured += [
        ("DOI bibliography (APA)", f"/doi/{doi}?format=bibliography"),
        ("DOI linkset", f"/linkset/doi/{doi}"),
        ("DOI RO-Crate", f"/doi/{doi}/ro-crate-metadata.json"),
    ]
    measured += [(f"dataset ?format={key}", f"/datasets/{pid}?format={key}") for key in DATASET_EXPORTS]
    return measured


def environment(database_url: str, port: int, var_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": "benchmark-only",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback
        "SITE_URL": f"http://127.0.0.1:{port}",
        "PANCOMMONS_VAR_DIR": str(var_dir),
    }


@contextmanager
def serving(tree: Path, *, database_url: str, port: int) -> Iterator[str]:
    """gunicorn serving `tree`'s code (its static files collected into a scratch folder) until the block ends."""
    var_dir = Path(tempfile.mkdtemp(prefix="landing-bench-"))
    env = environment(database_url, port, var_dir)
    python = Path(sys.executable)
    subprocess.run(
        [python, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=tree, env=env, check=True, timeout=300
    )
    command = [str(python.parent / "gunicorn"), "pancommons.wsgi", "--chdir", str(tree), "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "2", "--threads", "4", "--log-level", "warning"]
    server = subprocess.Popen(command, cwd=tree, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                get(base, TRIVIAL)
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(var_dir, ignore_errors=True)


def get(base: str, path: str, connection: http.client.HTTPConnection | None = None) -> int:
    connection = connection or http.client.HTTPConnection(base.removeprefix("http://"), timeout=60)
    connection.request("GET", path, headers={"User-Agent": "landing-benchmark"})
    response = connection.getresponse()
    response.read()
    return response.status


def p50_alone(base: str, path: str, repeat: int) -> float:
    connection = http.client.HTTPConnection(base.removeprefix("http://"), timeout=60)
    for _ in range(4):  # both workers' connections and caches warm
        status = get(base, path, connection)
    if status != 200:
        raise SystemExit(f"{path} answered {status}")
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        get(base, path, connection)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def throughput(base: str, path: str, seconds: float) -> float:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "-H", "User-Agent: landing-benchmark", base + path],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in output:
        raise SystemExit(f"{path}: wrk saw error answers\n{output}")
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    assert found is not None, output
    return float(found.group(1))


def measure(tree: Path, measured: list[tuple[str, str]], *, args: argparse.Namespace) -> dict[str, Figures]:
    figures = {}
    with serving(tree, database_url=args.database_url, port=args.port) as base:
        for label, path in measured:
            figures[label] = Figures(throughput(base, path, args.seconds), p50_alone(base, path, args.repeat))
            print(f"  {tree.name}: {label}: {figures[label]}", file=sys.stderr, flush=True)
    return figures


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} on {os.cpu_count()} CPUs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--port", type=int, default=8110)
    parser.add_argument("--seconds", type=int, default=5, help="wrk run per page")
    parser.add_argument("--repeat", type=int, default=30, help="sequential requests for p50 alone")
    parser.add_argument("--before", type=Path, help="a checkout (say main's) to measure beside this one")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    measured = pages(args.database_url)
    print(f"before: {load()}")
    runs = {"this tree": measure(HERE, measured, args=args)}
    if args.before:
        runs = {"before": measure(args.before.resolve(), measured, args=args), **runs}
    print(f"after:  {load()}; {CONNECTIONS} clients (wrk, {args.seconds:g} s), p50 of {args.repeat} alone")
    header = f"{'page':28}" + "".join(f" | {name:>10} req/s  % trivial  p50 ms" for name in runs)
    print(header)
    missed = []
    for label, _ in measured:
        line = f"{label:28}"
        for name, figures in runs.items():
            trivial = figures[measured[0][0]].throughput
            own = figures[label]
            share = own.throughput / trivial * 100
            line += f" | {own.throughput:16.0f} {share:9.0f}% {own.p50_alone:7.1f}"
            if name == "this tree" and label != measured[0][0] and (share < 25 or own.p50_alone > 10):
                missed.append(label)
        print(line)
    print("target (≥ 25 % of trivial, p50 ≤ 10 ms) " + (f"missed by: {', '.join(missed)}" if missed else "met"))


if __name__ == "__main__":
    main()
