"""Load test (issue 25): 200 concurrent clients on the PaNOSC API and the landing pages for 60 s against gunicorn, on
loopback, without and then with a read replica: errors, throughput and p50/p95/p99 printed. Never run as a test.

    DATABASE_URL=postgres://…/pc_NAME .venv/bin/python benchmarks/load.py [--clients 200] [--seconds 60]

The catalogue at DATABASE_URL (`manage.py generate_catalogue --datasets 20000` in your own database, say) is copied
into a scratch PostgreSQL primary on loopback, which gets a streaming replica made with pg_basebackup
(tests/postgres_servers.py, as the replica tests do). gunicorn serves it as compose does but sized for this machine
(`--workers 2 --threads 4`, DEBUG off, static files collected), first on the primary alone, then with
DATABASE_REPLICA_URLS naming the replica; each run has a cold cache of its own (a Redis key prefix per run). Each
client is a thread with a keep-alive connection that asks the next address of a fixed mix (PaNOSC API lists,
filters, counts and records; dataset and proposal pages; the portal's search) until the time is up. A request may
wait up to TIMEOUT seconds (200 clients queue in gunicorn's backlog; the run lasts at most --seconds + TIMEOUT);
any answer but 200, a timeout or a failed connection is an error. Which server did the reading is read from each
server's own statistics (transactions on the catalogue).
"""

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import psycopg

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from tests.postgres_servers import Server, primary_and_replica, start_replica  # noqa: E402
from tests.workers import free_port  # noqa: E402

# A request may wait this long (in gunicorn's backlog, mostly) before it counts as an error.
TIMEOUT = 180


def addresses(database_url: str, count: int = 20) -> list[str]:
    """The mix every client cycles through: PaNOSC API queries, records, and landing pages of open data."""
    with psycopg.connect(database_url) as connection:
        datasets = [
            row[0]
            for row in connection.execute(
                "SELECT pid FROM catalogue_dataset WHERE release_date < now() AND withdrawn_at IS NULL "
                "ORDER BY id LIMIT %s",
                [count],
            )
        ]
        proposals = [
            row[0]
            for row in connection.execute(
                "SELECT DISTINCT d.pid FROM catalogue_document d JOIN catalogue_dataset s ON s.proposal_id = d.id "
                "WHERE s.release_date < now() AND s.withdrawn_at IS NULL AND d.withdrawn_at IS NULL LIMIT %s",
                [count // 2],
            )
        ]
    if not datasets:
        sys.exit("no open dataset: fill the catalogue first (manage.py generate_catalogue --datasets 20000)")
    query = urllib.parse.quote

    def panosc(filter_: dict) -> str:
        return "/panosc-api/Datasets?filter=" + query(json.dumps(filter_))

    mix = [
        "/panosc-api/Datasets",
        "/panosc-api/Documents",
        "/panosc-api/Datasets/count",
        panosc({"limit": 20, "include": [{"relation": "parameters"}, {"relation": "techniques"}]}),
        panosc({"where": {"title": {"ilike": "%powder%"}}, "limit": 10}),
        "/search",
        "/search?q=diffraction",
    ]
    for pid in datasets:
        mix += [f"/datasets/{pid}", f"/panosc-api/Datasets/{query(pid, safe='')}"]
    mix += [f"/proposals/{pid}" for pid in proposals]
    return mix


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, reason: str) -> None:
        with self.lock:
            self.errors[reason] = self.errors.get(reason, 0) + 1


def client(port: int, mix: list[str], start: int, deadline: float, tally: Tally) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    turn = start
    while time.monotonic() < deadline:
        path = mix[turn % len(mix)]
        turn += 1
        began = time.monotonic()
        try:
            connection.request("GET", path, headers={"User-Agent": "load-benchmark"})
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as error:
            tally.error(type(error).__name__)
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
            continue
        if response.status != 200:
            tally.error(f"HTTP {response.status} {path.split('?')[0][:40]}")
        else:
            took = time.monotonic() - began
            tally.latencies.append(took)  # list.append is atomic under the GIL
            tally.by_kind.setdefault(kind(path), []).append(took)
    connection.close()


def kind(path: str) -> str:
    """The address without its pid or filter: what the per-kind figures are grouped by."""
    if path.startswith("/panosc-api/Datasets/") and not path.endswith("/count"):
        return "/panosc-api/Datasets/<pid>"
    for prefix in ("/datasets/", "/proposals/"):
        if path.startswith(prefix):
            return prefix + "<pid>"
    return path.split("?filter=")[0] + ("?filter=…" if "?filter=" in path else "")


@contextmanager
def serving(primary: Server, replica: Server | None, var_dir: Path) -> Iterator[tuple[int, psutil.Process]]:
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": primary.url(),
        "DATABASE_REPLICA_URLS": replica.url() if replica else "",
        "DEBUG": "false",
        "SECRET_KEY": "benchmark-only",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback
        "SITE_URL": f"http://127.0.0.1:{port}",
        "PANCOMMONS_VAR_DIR": str(var_dir),
        "REDIS_KEY_PREFIX": f"pancommons-bench-load-{os.getpid()}-{'replica' if replica else 'primary'}:",
    }
    python = Path(sys.executable)
    subprocess.run(
        [python, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=BASE_DIR, env=environment, check=True
    )
    command = [str(python.parent / "gunicorn"), "pancommons.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    command += ["--threads", "4", "--limit-request-line", "8190", "--log-level", "warning", "--timeout", "120"]
    log = (var_dir / "gunicorn.log").open("w")
    server = subprocess.Popen(command, cwd=BASE_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=5).request("GET", "/robots.txt")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    sys.exit("gunicorn did not start:\n" + (var_dir / "gunicorn.log").read_text()[-3000:])
                time.sleep(0.3)
        yield port, psutil.Process(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def run(label: str, primary: Server, replica: Server | None, mix: list[str], options: argparse.Namespace) -> None:
    var_dir = Path(tempfile.mkdtemp(prefix="load-bench-"))
    try:
        with serving(primary, replica, var_dir) as (port, gunicorn):
            for path in mix:  # every address answers before the clock starts (and the connections are open)
                warm = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
                warm.request("GET", path)
                status = warm.getresponse().status
                warm.close()
                if status != 200:
                    sys.exit(f"{path} answered {status}")
            servers = {"primary": primary, **({"replica": replica} if replica else {})}
            before = {name: server.transactions() for name, server in servers.items()}
            load = os.getloadavg()[0]
            tally = Tally()
            deadline = time.monotonic() + options.seconds
            started = time.monotonic()
            clients = [
                threading.Thread(target=client, args=(port, mix, n * 7, deadline, tally))
                for n in range(options.clients)
            ]
            for thread in clients:
                thread.start()
            for thread in clients:
                thread.join()
            elapsed = time.monotonic() - started
            read = {name: server.transactions() - before[name] for name, server in servers.items()}
            resident = sum(process.memory_info().rss for process in [gunicorn, *gunicorn.children()]) / 2**20
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    ordered = sorted(tally.latencies)
    errors = sum(tally.errors.values())
    print(
        f"{label:<22} {options.clients} clients, {elapsed:.0f} s: {len(ordered)} answers, {errors} errors "
        f"{tally.errors or ''}; {len(ordered) / elapsed:.1f} req/s; p50 {percentile(ordered, 0.5):.0f} ms, "
        f"p95 {percentile(ordered, 0.95):.0f} ms, p99 {percentile(ordered, 0.99):.0f} ms, "
        f"mean {statistics.fmean(ordered) * 1000:.0f} ms; transactions {read}; gunicorn RSS {resident:.0f} MB "
        f"(2 workers × 4 threads); load {load:.1f} before",
        flush=True,
    )
    for name, taken in sorted(tally.by_kind.items(), key=lambda item: -statistics.median(item[1])):
        print(f"    {name:<34} {len(taken):5} answers, p50 {statistics.median(taken) * 1000:6.0f} ms", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    options = parser.parse_args()
    source = options.database_url.rsplit("/", 1)[1]
    mix = addresses(options.database_url)
    with psycopg.connect(options.database_url) as connection:
        (datasets,) = connection.execute("SELECT count(*) FROM catalogue_dataset").fetchall()[0]
    print(f"{datasets} datasets from {source}; {len(mix)} addresses; {os.cpu_count()} cores", flush=True)
    with primary_and_replica() as (primary, replica):
        primary.copy_database(source)
        start_replica(primary, replica)
        run("primary alone", primary, None, mix, options)
        run("primary + replica", primary, replica, mix, options)


if __name__ == "__main__":
    main()
