"""`make demo`: prepare the embedded catalogue with the sample files and serve it with workers and beat."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import pluralize

from catalogue.services import accounts


def real_sample_files(samples_dir: Path) -> list[Path]:
    """The real facility files of the manifest (link targets included: ingestion files them under their master)."""
    manifest = json.loads((samples_dir / "manifest.json").read_text())
    return [samples_dir / entry["file"] for entry in manifest if not entry["file"].startswith("synthetic-appdefs/")]


class Command(BaseCommand):
    help = "Migrate, load PaNET and the facility registry, ingest the sample files, then serve site, worker and beat."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--samples", type=Path, default=settings.NEXUS_SAMPLES_DIR)
        parser.add_argument("--no-serve", action="store_true", help="Prepare the catalogue and exit.")

    def handle(self, *args: object, port: int, samples: Path, no_serve: bool, **options: object) -> None:
        stop_leftovers(settings.VAR_DIR / PROCESS_GROUPS_FILE)
        if not no_serve and not port_is_free(port):
            raise CommandError(
                f"Port {port} is in use by {port_holder(port)}: stop it, or start the demo on another port with "
                f"PORT=<number> make demo"
            )
        embedded = "host=/" in settings.DATABASE_URL
        broker = f"Redis {settings.REDIS_URL}" if settings.REDIS_URL else "PostgreSQL (no Redis answered)"
        self.stdout.write(f"Database: {'embedded PostgreSQL under var/' if embedded else 'DATABASE_URL'}")
        self.stdout.write(f"Broker:   {broker}")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("load_panet")
        call_command("load_facilities")
        call_command("load_instruments")
        self._ingest_samples(samples)
        call_command("rebuild_search_index")
        if "rebuild_graph" in get_commands():
            call_command("rebuild_graph")
        logins = accounts.ensure_demo_accounts(var_dir=settings.VAR_DIR)
        if no_serve:
            self._print_logins(logins, port)
            return
        self._serve(port, logins)

    def _ingest_samples(self, samples: Path) -> None:
        if "ingest" not in get_commands():
            self.stdout.write(self.style.WARNING("No ingestion pipeline installed: skipping the sample files."))
            return
        files = real_sample_files(samples)
        if not files:
            raise CommandError(f"No sample files found under {samples}")
        self.stdout.write(f"Ingesting {len(files)} sample files from {samples} …")
        call_command("ingest", *map(str, files), sync=True, keep_going=True)

    def _print_logins(self, logins: dict[str, str], port: int) -> None:
        site = f"http://127.0.0.1:{port}"
        self.stdout.write(self.style.SUCCESS(f"\nPaN Commons demo on {site}"))
        self.stdout.write(f"  portal and landing pages  {site}/")
        self.stdout.write(f"  curation admin            {site}/admin/")
        self.stdout.write(f"  REST API / OpenAPI        {site}/api/v1/  ·  {site}/api/schema/ui/")
        self.stdout.write(f"  PaNOSC Search API         {site}/panosc-api/Datasets")
        self.stdout.write(f"  health                    {site}/healthz")
        for username, password in logins.items():
            self.stdout.write(f"  login  {username:8} / {password}")
        self.stdout.write("Ctrl-C stops everything.\n")

    def _serve(self, port: int, logins: dict[str, str]) -> None:
        # Children get the resolved URLs so they never start a second embedded server.
        env = {
            **os.environ,
            "DATABASE_URL": settings.DATABASE_URL,
            "REDIS_URL": settings.REDIS_URL,
            "SITE_URL": f"http://127.0.0.1:{port}",
            # This command has shown the environment's warnings once; the children would repeat them each.
            "PYTHONWARNINGS": "ignore",
        }
        worker_name = f"{settings.REDIS_KEY_PREFIX.rstrip(':')}-worker@%h"
        processes = process_commands(port=port, bin_dir=Path(sys.executable).parent, worker_name=worker_name)
        # Each child leads a process group of its own: Ctrl-C reaches only this command, which then stops each
        # group whole (gunicorn's and Celery's own children included), and a crash leaves their ids on disk.
        children = {
            name: subprocess.Popen(command, env=env, cwd=settings.BASE_DIR, start_new_session=True)
            for name, command in processes.items()
        }
        groups_file = settings.VAR_DIR / PROCESS_GROUPS_FILE
        groups_file.write_text("".join(f"{child.pid}\n" for child in children.values()))
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        time.sleep(1.5)
        self._print_logins(logins, port)
        try:
            while not stopping:
                exited = [name for name, child in children.items() if child.poll() is not None]
                if exited:
                    raise CommandError(f"{', '.join(exited)} stopped unexpectedly; shutting the demo down")
                time.sleep(0.5)
        finally:
            stop_groups([child.pid for child in children.values()])
            for child in children.values():
                child.wait()
            groups_file.unlink(missing_ok=True)
            self.stdout.write("Demo stopped.")


def process_commands(*, port: int, bin_dir: Path, worker_name: str) -> dict[str, list[str]]:
    """Web, a worker for every queue but `graph`, the graph writer and beat as the demo starts them; the graph writer
    is one process (`--concurrency 1`, named `graph-` + `worker_name`), as two would take turns on the store's lock.
    deploy/compose.yaml and deploy/k8s run the same programs with the same arguments but for sizes and logging
    (tests/deploy/test_processes.py)."""
    celery_worker = (str(bin_dir / "celery"), "-A", "pancommons", "--quiet", "worker", "--loglevel", "WARNING")
    queues = [queue for queue in settings.CELERY_TASK_QUEUES if queue != "graph"]
    return {
        "web": [
            *(str(bin_dir / "gunicorn"), "pancommons.wsgi", "--bind", f"127.0.0.1:{port}"),
            *("--workers", "2", "--threads", "4", "--graceful-timeout", "5", "--limit-request-line", "8190"),
            # Errors only, and no control socket: its default path is one per user, shared by every demo.
            *("--log-level", "warning", "--no-control-socket"),
        ],
        "worker": [*celery_worker, "-n", worker_name, "--concurrency", "2", "--queues", ",".join(queues)],
        "graph-worker": [*celery_worker, "-n", f"graph-{worker_name}", "--concurrency", "1", "--queues", "graph"],
        "beat": [str(bin_dir / "celery"), "-A", "pancommons", "--quiet", "beat", "--loglevel", "WARNING"],
    }


PROCESS_GROUPS_FILE = "demo-processes"


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def port_holder(port: int) -> str:
    """Which process listens on `port`, as far as this user may see."""
    try:
        listeners = [
            c for c in psutil.net_connections("tcp") if c.laddr and c.laddr.port == port and c.status == "LISTEN"
        ]
    except psutil.AccessDenied:
        listeners = []
    for listener in listeners:
        if listener.pid:
            with contextlib.suppress(psutil.Error):
                return f"process {listener.pid} ({' '.join(psutil.Process(listener.pid).cmdline())[:80]})"
    return f"another process (`ss -ltnp 'sport = :{port}'` names it)"


def _group_alive(group: int) -> bool:
    """Whether a process of the group still runs (a zombie waiting for its parent to reap it does not count)."""
    for process in psutil.process_iter(["status"]):
        try:
            if os.getpgid(process.pid) == group and process.info["status"] != psutil.STATUS_ZOMBIE:
                return True
        except ProcessLookupError:
            continue
    return False


def stop_groups(groups: list[int], grace_seconds: float = 10) -> None:
    """SIGTERM to each process group, then SIGKILL to those still alive after `grace_seconds`."""
    for group in filter(_group_alive, groups):
        os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while any(map(_group_alive, groups)) and time.monotonic() < deadline:
        time.sleep(0.2)
    for group in filter(_group_alive, groups):
        os.killpg(group, signal.SIGKILL)


def stop_leftovers(groups_file: Path) -> None:
    """Stop what a demo that crashed left running (its process groups are listed in `groups_file`)."""
    if not groups_file.exists():
        return
    groups = [int(line) for line in groups_file.read_text().split()]
    leftovers = [group for group in groups if _group_alive(group) and _is_ours(group)]
    if leftovers:
        groups_left = f"{len(leftovers)} process group{pluralize(len(leftovers))}"
        sys.stderr.write(f"Stopping {groups_left} left by a demo that did not stop cleanly.\n")
        stop_groups(leftovers)
    groups_file.unlink()


def _is_ours(group: int) -> bool:
    # A group id is never reused while the group lives, so a group whose leader is gone is still ours; a living
    # leader must still run our code (/proc tells on Linux; elsewhere the file is trusted).
    cmdline = Path(f"/proc/{group}/cmdline")
    return not cmdline.exists() or b"pancommons" in cmdline.read_bytes()
