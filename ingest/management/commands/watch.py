"""manage.py watch DIR...: ingest new files once their size and mtime have been stable (a beat-free watcher)."""

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ingest import services
from ingest.apps import WATCH_INTERVAL_SECONDS


class Command(BaseCommand):
    help = "Watch folders and ingest each new or changed file once it has been stable for --stable-seconds."

    def add_arguments(self, parser):
        parser.add_argument("folders", nargs="+", type=Path)
        parser.add_argument("--stable-seconds", type=int, default=settings.INGEST_STABLE_SECONDS)
        parser.add_argument("--interval", type=float, default=WATCH_INTERVAL_SECONDS, help="Seconds between scans.")
        parser.add_argument("--once", action="store_true", help="Scan once and exit.")
        parser.add_argument("--sync", action="store_true", help="Ingest inline instead of queueing to the workers.")

    def handle(self, *args: object, folders: list[Path], stable_seconds: int, interval: float, **options: object):
        missing = [str(folder) for folder in folders if not folder.is_dir()]
        if missing:
            raise CommandError(f"not a folder: {', '.join(missing)}")
        folders = [folder.resolve() for folder in folders]
        while True:
            jobs = services.scan_watched_folders(
                folders=folders, stable_seconds=stable_seconds, queue=not options["sync"]
            )
            for job in jobs:
                if options["sync"]:
                    job = services.run_job(job_id=job.pk)
                self.stdout.write(f"{job.path}: {job.state}{' — ' + job.error if job.error else ''}")
            if options["once"]:
                return
            time.sleep(interval)
