"""manage.py ingest PATH...: turn NeXus files (or folders of them) into catalogue records, inline or through workers."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from ingest import services
from ingest.models import IngestionJob
from ingest.nexus.reader import FileBusy


class Command(BaseCommand):
    help = (
        "Ingest NeXus/HDF5 files or folders (recursively). Files that are only link targets of another given file "
        "become files of that file's dataset. Exits non-zero when a file fails, unless --keep-going."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument("--sync", action="store_true", help="Run inline instead of queueing to the workers.")
        parser.add_argument("--keep-going", action="store_true", help="Exit 0 even when some files failed.")
        parser.add_argument("--timeout", type=float, default=3600, help="Seconds to wait for the workers.")

    def handle(
        self,
        *args: object,
        paths: list[Path],
        sync: bool,
        keep_going: bool,
        timeout: float,
        verbosity: int,
        **options: object,
    ):
        missing = [str(path) for path in paths if not path.exists() and not path.is_symlink()]
        if missing:
            raise CommandError(f"no such file or folder: {', '.join(missing)}")
        # A dangling link stays itself, so that its job records where it points.
        plan = services.plan_ingestion(paths=[path.resolve() if path.exists() else path.absolute() for path in paths])
        with transaction.atomic():
            jobs = [services.create_job(path=item.path, source_folder=item.source_folder) for item in plan.files]
            if not sync:
                for job in jobs:
                    services.queue_job(job=job)
        show = self.stdout.isatty() and verbosity > 0
        if sync:
            for job in tqdm(jobs, desc="ingesting", unit="file", disable=not show):
                try:
                    services.run_job(job_id=job.pk)
                except FileBusy as busy:  # inline there is no retry: the job records that the file was busy
                    services.fail_job(job_id=job.pk, error=str(busy))
        else:
            self._wait(jobs, timeout, show)
        finished = list(IngestionJob.objects.filter(pk__in=[job.pk for job in jobs]).order_by("path"))
        failed = self._summary(finished, plan)
        if failed and not keep_going:
            raise CommandError(f"{failed} of {len(finished)} files failed")

    def _wait(self, jobs: list[IngestionJob], timeout: float, show: bool) -> None:
        ids = [job.pk for job in jobs]
        deadline = time.monotonic() + timeout
        done_states = [IngestionJob.State.SUCCEEDED, IngestionJob.State.FAILED]
        with tqdm(total=len(ids), desc="waiting for workers", unit="file", disable=not show) as bar:
            while True:
                done = IngestionJob.objects.filter(pk__in=ids, state__in=done_states).count()
                bar.update(done - bar.n)
                if done == len(ids):
                    return
                if time.monotonic() > deadline:
                    raise CommandError(f"timed out: {len(ids) - done} files still queued or running (is a worker up?)")
                time.sleep(0.5)

    def _summary(self, jobs: list[IngestionJob], plan: services.Plan) -> int:
        counts = {"created": 0, "updated": 0, "failed": 0}
        width = max((len(job.path) for job in jobs), default=10)
        for job in jobs:
            if job.state == IngestionJob.State.FAILED:
                counts["failed"] += 1
                line = f"{job.path:<{width}}  FAILED   {job.error}"
                self.stdout.write(self.style.ERROR(line))
            else:
                counts[job.outcome or "updated"] += 1
                note = f"  ({'; '.join(job.warnings)})" if job.warnings else ""
                self.stdout.write(
                    f"{job.path:<{width}}  {job.outcome:<8} {job.dataset.pid if job.dataset else ''}{note}"
                )
        for target in plan.link_targets:
            self.stdout.write(f"{str(target):<{width}}  link target: recorded as a file of its master's dataset")
        self.stdout.write(
            self.style.SUCCESS(
                f"{counts['created']} ingested, {counts['updated']} updated, {counts['failed']} failed, "
                f"{len(plan.link_targets)} link targets"
            )
        )
        return counts["failed"]
