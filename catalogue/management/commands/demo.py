"""`make demo`: prepare the embedded catalogue with the sample files and serve it with a worker and beat."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError

from catalogue.services import accounts


def real_sample_files(samples_dir: Path) -> list[Path]:
    """The real facility files of the manifest (link targets included: ingestion files them under their master)."""
    manifest = json.loads((samples_dir / "manifest.json").read_text())
    return [samples_dir / entry["file"] for entry in manifest if not entry["file"].startswith("synthetic-appdefs/")]


class Command(BaseCommand):
    help = "Migrate, load PaNET and the facility registry, ingest the sample files, then serve site, worker and beat."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--samples", type=Path, default=settings.NEXUS_SAMPLES_DIR)
        parser.add_argument("--no-serve", action="store_true", help="Prepare the catalogue and exit.")

    def handle(self, *args: object, port: int, samples: Path, no_serve: bool, **options: object) -> None:
        embedded = "host=/" in settings.DATABASE_URL
        broker = f"Redis {settings.REDIS_URL}" if settings.REDIS_URL else "PostgreSQL (no Redis answered)"
        self.stdout.write(f"Database: {'embedded PostgreSQL under var/' if embedded else 'DATABASE_URL'}")
        self.stdout.write(f"Broker:   {broker}")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("load_panet")
        call_command("load_facilities")
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
        }
        python = sys.executable
        bin_dir = Path(python).parent
        processes = {
            "web": [
                str(bin_dir / "gunicorn"),
                "pancommons.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--limit-request-line",
                "8190",
                "--access-logfile",
                "-",
            ],
            "worker": [
                str(bin_dir / "celery"),
                "-A",
                "pancommons",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
                "--queues",
                "celery,graph",
            ],
            "beat": [str(bin_dir / "celery"), "-A", "pancommons", "beat", "--loglevel", "INFO"],
        }
        children = {
            name: subprocess.Popen(command, env=env, cwd=settings.BASE_DIR) for name, command in processes.items()
        }
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
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for child in children.values():
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
            self.stdout.write("Demo stopped.")
