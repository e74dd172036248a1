"""Ingestion throughput with 1 and 2 Celery worker processes, and a worker killed mid-run (issue 25): prints figures.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python benchmarks/workers.py [--copies 4] [--repeats 2] [--samples DIR]
        [--no-kill]

Real workers, as deploy/k8s runs them: the measured worker processes (`celery -A pancommons worker --queues
ingest,files,sync,housekeeping --concurrency 1`, each its own process) and, in every round, the one graph writer
(`--queues graph`: two writers would take turns on the store's lock, retrying 30 s later); the Redis of REDIS_URL
under a key prefix of their own, and a database of their own: `<DATABASE_URL's name>_workers`, migrated once, then
cloned afresh for each round so that every round starts from the same empty catalogue. A round queues `--copies`
copies of the real sample files (each copy in its own folder: a dataset a file, but for an entry with a uuid of its
own, which is one dataset in every copy) and is timed from the commit that queues the jobs until every job has
finished and every queue is empty (the search-index, FAIR and graph refreshes that follow ingestion included).

Rounds: 1 worker and 2 workers, alternating `--repeats` times (on a machine others load, each pair meets about
the same load; the speed-up is given per pair and as their median, beside each round's load average and the
workers' CPU a file, which the load does not change), then 2 workers of which one is killed (SIGKILL to its
process group: the worker and its pool child) a third of the way through; a replacement starts once the broker's
visibility timeout (set to VISIBILITY seconds here) has passed, as an orchestrator would restart it, and takes back
the unacknowledged task.
Every round is checked against the first: the same jobs finished in the same states and the same datasets, each
once (no job lost, no dataset duplicated). The machine's load and the CPU the workers used are printed beside.
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
BASE_DIR = Path(__file__).resolve().parent.parent
# Keys and databases of this run only: a worker left by an interrupted run never takes this run's tasks.
KEY_PREFIX = f"pancommons-bench-workers-{os.getpid()}:"
VISIBILITY = 20
os.environ["REDIS_KEY_PREFIX"] = KEY_PREFIX
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pancommons.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connections, transaction  # noqa: E402

from catalogue.management.commands.demo import real_sample_files  # noqa: E402
from catalogue.models import Dataset  # noqa: E402
from ingest import services  # noqa: E402
from ingest.models import IngestionJob  # noqa: E402

settings.DEBUG = False  # DEBUG keeps every statement in memory
DEFAULT = settings.DATABASES["default"]
TEMPLATE = f"{DEFAULT['NAME']}_workers"
RUN = os.getpid()
INGESTING = [queue for queue in settings.CELERY_TASK_QUEUES if queue != "graph"]
QUEUE_KEYS = [KEY_PREFIX + key for key in (*settings.CELERY_TASK_QUEUES, "unacked", "unacked_index")]
broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)


def server() -> psycopg.Connection:
    return psycopg.connect(
        host=DEFAULT["HOST"], port=DEFAULT["PORT"], user=DEFAULT["USER"], dbname="postgres", autocommit=True
    )


def database_url(name: str) -> str:
    return f"postgres://{DEFAULT['USER']}@{DEFAULT['HOST']}:{DEFAULT['PORT']}/{name}"


def prepare_template() -> None:
    with server() as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [TEMPLATE]).fetchone():
            return
        admin.execute(f'CREATE DATABASE "{TEMPLATE}"')
    print(f"migrating {TEMPLATE} (once) …", flush=True)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=BASE_DIR,
        env={**os.environ, "DATABASE_URL": database_url(TEMPLATE)},
        check=True,
    )


def use_fresh_database(name: str) -> None:
    """Point this process at a new clone of the template (the workers get its URL)."""
    connections.close_all()
    with server() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    settings.DATABASES["default"]["NAME"] = name
    connections["default"].settings_dict["NAME"] = name


def drop_database(name: str) -> None:
    connections.close_all()
    with server() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Worker:
    process: subprocess.Popen
    log: Path

    def cpu_seconds(self) -> float:
        """CPU the worker and its pool children used so far."""
        try:
            main = psutil.Process(self.process.pid)
            tree = [main, *main.children(recursive=True)]
            times = [p.cpu_times() for p in tree]
        except psutil.NoSuchProcess:
            return 0.0
        return sum(t.user + t.system + t.children_user + t.children_system for t in times)

    def resident_mb(self) -> float:
        """Memory of the worker and its pool children, each process's own pages (USS: the pages they share since
        the fork counted once, in the main process)."""
        try:
            main = psutil.Process(self.process.pid)
            tree = [main, *main.children(recursive=True)]
            return (main.memory_info().shared + sum(p.memory_full_info().uss for p in tree)) / 2**20
        except psutil.NoSuchProcess:
            return 0.0

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def start_worker(name: str, database: str, work: Path, queues: list[str]) -> Worker:
    log = work / f"{name}.log"
    command = [
        *(sys.executable, "-m", "celery", "-A", "pancommons", "worker", "--loglevel", "INFO", "-n", f"{name}@%h"),
        *("--concurrency", "1", "--queues", ",".join(queues)),
        *("--without-gossip", "--without-mingle"),
    ]
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(database),
        "REDIS_KEY_PREFIX": KEY_PREFIX,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY),
        "GRAPH_STORE_DIR": str(work / f"graph-{database}"),
        "PYTHONWARNINGS": "ignore",
    }
    with log.open("w") as output:
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env=environment, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    worker = Worker(process, log)
    deadline = time.monotonic() + 120
    while " ready." not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            worker.stop()
            raise SystemExit(f"worker {name} did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    return worker


def copy_samples(samples: Path, copies: int, work: Path) -> list[Path]:
    files = real_sample_files(samples)
    folders = []
    for copy in range(copies):
        folder = work / "data" / f"copy-{copy:02}"
        for path in files:
            target = folder / path.relative_to(samples)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        folders.append(folder)
    return folders


def queue_jobs(folders: list[Path]) -> int:
    plan = services.plan_ingestion(paths=folders)
    with transaction.atomic():
        for item in plan.files:
            services.queue_job(job=services.create_job(path=item.path, source_folder=item.source_folder))
    return len(plan.files)


def unfinished() -> int:
    return IngestionJob.objects.exclude(state__in=[IngestionJob.State.SUCCEEDED, IngestionJob.State.FAILED]).count()


def broker_busy() -> bool:
    """Whether a task waits in a queue or runs unacknowledged."""
    waiting = sum(broker.llen(KEY_PREFIX + queue) for queue in settings.CELERY_TASK_QUEUES)
    return bool(waiting or broker.hlen(KEY_PREFIX + "unacked"))


@dataclass
class Outcome:
    jobs: dict[str, int]
    datasets: set[str]  # pids: the same files give the same pids in every round (same paths)
    duplicates: int  # datasets recorded twice for one file and entry
    attempts: int


def outcome() -> Outcome:
    states: dict[str, int] = {}
    for state in IngestionJob.objects.values_list("state", flat=True):
        states[state] = states.get(state, 0) + 1
    rows = list(Dataset.objects.values_list("pid", "source_path", "entry_path"))
    duplicates = len(rows) - len({(path, entry) for _, path, entry in rows})
    attempts = sum(IngestionJob.objects.values_list("attempts", flat=True))
    return Outcome(states, {pid for pid, _, _ in rows}, duplicates, attempts)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f} (1 min) / {five:.1f} (5 min) on {os.cpu_count()} cores"


def run_round(
    label: str, workers: int, folders: list[Path], work: Path, kill: bool = False
) -> tuple[float, int, float, Outcome]:
    database = f"{TEMPLATE}_{RUN}_{workers}{'k' if kill else ''}"
    use_fresh_database(database)
    broker.delete(*QUEUE_KEYS)
    started_workers: list[Worker] = []
    try:
        for n in range(workers):
            started_workers.append(start_worker(f"bench{n}", database, work, INGESTING))
        started_workers.append(start_worker("bench-graph", database, work, ["graph"]))
        seconds, total, cpu, before, busy, resident = timed(
            label, workers, folders, work, kill, database, started_workers
        )
    finally:
        for worker in started_workers:
            worker.stop()
    result = outcome()
    drop_database(database)
    print(
        f"{label:<28} {total} files in {seconds:6.1f} s = {total / seconds:5.2f} files/s; workers' CPU "
        f"{cpu / total * 1000:.0f} ms a file, {resident:.0f} MB resident a worker; "
        f"machine busy {busy / seconds:.2f} of {os.cpu_count()} cores "
        f"(others {max(0.0, busy - cpu) / seconds:.2f}); {before}",
        flush=True,
    )
    return seconds, total, cpu / total, result


def timed(
    label: str, workers: int, folders: list[Path], work: Path, kill: bool, database: str, started_workers: list[Worker]
) -> tuple[float, int, float, str, float, float]:
    """Queue the round's jobs and wait for the workers: seconds, files, workers' CPU, load before, machine CPU
    and the largest worker's resident memory at the end (MB)."""
    before = load()
    cpu_before = psutil.cpu_times()
    started = time.perf_counter()
    total = queue_jobs(folders)
    killed_at = None
    while unfinished() or broker_busy():
        if kill and killed_at is None and unfinished() <= total * 2 // 3:
            running = IngestionJob.objects.filter(state=IngestionJob.State.RUNNING).count()
            started_workers[1].kill()
            killed_at = time.perf_counter()
            print(f"  killed a worker after {killed_at - started:.1f} s, {running} job(s) running", flush=True)
        if killed_at and time.perf_counter() - killed_at > VISIBILITY + 1 and len(started_workers) == workers + 1:
            # The orchestrator's restart: the new worker takes back what the dead one had not acknowledged.
            started_workers.append(start_worker("bench-replacement", database, work, INGESTING))
            print(f"  replacement worker started at {time.perf_counter() - started:.1f} s", flush=True)
        if time.perf_counter() - started > 900:
            raise SystemExit(f"{label}: not finished after 15 min ({unfinished()} jobs left)")
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    cpu = sum(worker.cpu_seconds() for worker in started_workers)
    resident = max(worker.resident_mb() for worker in started_workers)
    cpu_after = psutil.cpu_times()
    busy = sum(getattr(cpu_after, f) - getattr(cpu_before, f) for f in ("user", "system", "nice", "irq", "softirq"))
    return seconds, total, cpu, before, busy, resident


def compare(label: str, reference: Outcome, got: Outcome, total: int) -> None:
    finished = got.jobs.get("succeeded", 0) + got.jobs.get("failed", 0)
    lost = total - finished
    same = got.jobs == reference.jobs and got.datasets == reference.datasets
    print(
        f"  {label}: {finished} of {total} jobs finished ({got.jobs}), lost {lost}; {len(got.datasets)} datasets, "
        f"duplicated {got.duplicates}; job attempts {got.attempts} for {total} jobs; "
        f"{'same jobs and datasets as with 1 worker' if same else 'DIFFERENT from the 1-worker round'}",
        flush=True,
    )


def main() -> None:
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(f"stopped by signal {signum}"))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=Path, default=settings.NEXUS_SAMPLES_DIR)
    parser.add_argument("--copies", type=int, default=4, help="copies of the sample files queued in each round")
    parser.add_argument("--repeats", type=int, default=2, help="pairs of 1- and 2-worker rounds, alternating")
    parser.add_argument("--no-kill", action="store_true", help="skip the round where a worker is killed")
    options = parser.parse_args()
    prepare_template()
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as directory:
        work = Path(directory)
        folders = copy_samples(options.samples, options.copies, work)
        reference: Outcome | None = None
        ratios: list[float] = []
        costs: list[float] = []
        for repeat in range(options.repeats):
            one_seconds, total, cpu_per_file, one = run_round(f"1 worker process ({repeat + 1})", 1, folders, work)
            reference = reference or one
            compare("1 worker", reference, one, total)
            two_seconds, _, two_cpu_per_file, two = run_round(f"2 worker processes ({repeat + 1})", 2, folders, work)
            compare("2 workers", reference, two, total)
            ratios.append(one_seconds / two_seconds)
            costs += [cpu_per_file, two_cpu_per_file]
        print(
            f"speed-up with 2 worker processes: {statistics.median(ratios):.2f}× median of "
            f"{', '.join(f'{ratio:.2f}×' for ratio in ratios)} (target ≥ 1.6×)"
        )
        cpu_per_file = statistics.median(costs)
        print(
            f"extrapolation: a file costs the workers {cpu_per_file * 1000:.0f} ms of CPU, so each worker process on a "
            f"core of its own ingests up to {1 / cpu_per_file:.1f} files/s, N of them N times that while PostgreSQL "
            "and the storage keep up; a shared, loaded machine gives each only its share of the cores (above)"
        )
        if not options.no_kill and reference:
            _, _, _, killed = run_round("2 workers, one killed", 2, folders, work, kill=True)
            compare("a worker killed mid-run", reference, killed, total)
    # Everything the run left under its prefix: queues, kombu's bindings, worker heartbeats.
    broker.delete(*broker.scan_iter(KEY_PREFIX + "*"))


if __name__ == "__main__":
    main()
