"""Ingestion services: plan which files to ingest, run a job, and write one file's records in one transaction.

Everything a trigger (command, API, watcher, admin, Celery task) does goes through here (issue 4, access-policy.md).
Re-ingesting a file updates its dataset in place, keeps steward-curated fields, and never duplicates.
"""

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from celery import current_app
from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from catalogue import isolation
from catalogue.fair import receivers as fair_receivers
from catalogue.models import DataFile, Dataset, Facility, Instrument, Preview
from catalogue.services import curation, datasets
from ingest.models import IngestionJob
from ingest.nexus import checksums, extract, reader, reading, values
from ingest.nexus.reader import FileBusy, FileRejected

logger = logging.getLogger(__name__)

HDF5_SUFFIXES = (".nxs", ".h5", ".hdf", ".hdf5", ".nx5", ".nx", ".nexus", ".cxi")
# What the job record adds to the reading process's failure, by its likely cause (catalogue.isolation.ReadingFailed).
READING_ADVICE = {
    "damaged": "check it with h5dump, copy it again from where it was written and ingest it again",
    "memory": "ingest it again when the workers have room",
}

Arguments = ParamSpec("Arguments")
Result = TypeVar("Result")


@dataclass(frozen=True)
class PlannedFile:
    path: Path
    source_folder: Path


@dataclass
class Plan:
    files: list[PlannedFile] = field(default_factory=list)
    link_targets: list[Path] = field(default_factory=list)  # recorded as files of their master's dataset


@dataclass(frozen=True)
class IngestResult:
    dataset: Dataset  # the primary entry's, which holds the file's rows
    created: bool
    warnings: tuple[str, ...]


# --- planning -------------------------------------------------------------------------------------------------------


def plan_ingestion(*, paths: list[Path]) -> Plan:
    """Expand folders (recursively) and set aside files that are only link/VDS targets of another given file.

    Symbolic links are planned like files, dangling ones too: their jobs record why they cannot be ingested.
    """
    candidates: list[PlannedFile] = []
    for given in paths:
        if given.is_dir():
            for found in sorted(given.rglob("*")):
                if not found.is_dir() and not found.name.startswith("."):
                    candidates.append(PlannedFile(found, given))
        else:
            candidates.append(PlannedFile(given, given.parent))
    targets = link_targets_of_masters([candidate.path for candidate in candidates])
    plan = Plan()
    for candidate in candidates:
        if Path(os.path.realpath(candidate.path)) in targets:
            plan.link_targets.append(candidate.path)
        else:
            plan.files.append(candidate)
    return plan


def link_targets_of_masters(paths: list[Path], *, masters: tuple[Path, ...] = ()) -> set[Path]:
    """Real paths among `paths` that a master reaches through external links or VDS sources (headers only).

    Masters are `masters` and the files of `paths` no other file links to. Files that only link to each other (a
    cycle, or a file linking to itself) are reached from no master: each stays a master of its own, so that none
    is set aside without a record.
    """
    real = {path: Path(os.path.realpath(path)) for path in [*paths, *masters]}
    links = {real[path]: _link_targets_apart(path) - {real[path]} for path in real}
    linked = set().union(*links.values())
    roots = {real[master] for master in masters} | {real[path] for path in paths if real[path] not in linked}
    reached: set[Path] = set()
    stack = list(roots)
    while stack:
        for target in links.get(stack.pop(), set()):
            if target not in reached:
                reached.add(target)
                stack.append(target)
    return reached & {real[path] for path in paths}


def read_apart(function: Callable[Arguments, Result], *args: Arguments.args, **kwargs: Arguments.kwargs) -> Result:
    """`function` run by the reading process (catalogue.isolation) within INGEST_READ_TIMEOUT; raises FileRejected,
    with what to do, when that process crashed or overran."""
    try:
        return isolation.read_apart("INGEST_READ_TIMEOUT", function, *args, **kwargs)
    except isolation.ReadingFailed as failed:
        advice = READING_ADVICE.get(failed.cause)
        raise FileRejected(f"{failed}; {advice}" if advice else str(failed)) from None


def _link_targets_apart(path: Path) -> set[Path]:
    try:
        return read_apart(reading.link_targets, path)
    except FileRejected:
        return set()  # the reading process crashed or overran on the file: its own job records that


# --- jobs -------------------------------------------------------------------------------------------------------------


def job_path(path: Path) -> str:
    """The path as a job row keeps it. A Linux file name may hold any bytes; those that are not UTF-8 are written as
    \\xNN, since PostgreSQL text holds only Unicode (one such name crashed the scan of its whole folder)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def create_job(
    *,
    path: Path,
    source_folder: Path | None = None,
    trigger: str = IngestionJob.Trigger.COMMAND,
    requested_by: User | None = None,
) -> IngestionJob:
    """A queued job for the file; one whose path is not UTF-8 is recorded failed at once, saying so."""
    written = job_path(path)
    refused = {}
    if written != str(path):
        refused = {
            "state": IngestionJob.State.FAILED,
            "finished_at": timezone.now(),
            "error": f"the file's path is not valid UTF-8 ({written}): rename it (convmv converts a folder of Latin-1 "
            "names) and it is ingested at the next scan",
        }
    return IngestionJob.objects.create(
        path=written,
        source_folder=job_path(source_folder or path.parent),
        trigger=trigger,
        requested_by=requested_by,
        **refused,
    )


def retry_job(*, job: IngestionJob, requested_by: User | None = None) -> IngestionJob:
    """A new attempt at the same file (the failed row stays as history)."""
    return create_job(
        path=Path(job.path),
        source_folder=Path(job.source_folder),
        trigger=IngestionJob.Trigger.ADMIN,
        requested_by=requested_by,
    )


def run_job(*, job_id: int) -> IngestionJob:
    """Claim the job, ingest its file, record the outcome. Idempotent: a finished job is left alone.

    A job found `running` was claimed by a worker that died (acks_late redelivery): it is claimed again, which is safe
    because a file's records are written in one transaction. Raises FileBusy (the task retries) when a writer holds
    the file; every other problem is recorded on the job, never raised.
    """
    claimed = IngestionJob.objects.filter(
        pk=job_id, state__in=[IngestionJob.State.QUEUED, IngestionJob.State.RUNNING]
    ).update(state=IngestionJob.State.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1)
    job = IngestionJob.objects.get(pk=job_id)
    if not claimed:
        return job
    try:
        result = ingest_file(path=Path(job.path), source_folder=Path(job.source_folder))
    except FileBusy:
        IngestionJob.objects.filter(pk=job_id).update(state=IngestionJob.State.QUEUED)
        raise
    except FileRejected as rejected:
        return _finish(job, state=IngestionJob.State.FAILED, error=str(rejected))
    except Exception as error:  # the worker must survive any file; the reason goes to the stewards
        logger.exception("ingestion of %s failed", job.path)
        error_text = (
            f"PaN Commons could not ingest this file because of a fault in its own code ({type(error).__name__}: "
            f"{error}); the file may well be fine: report job {job.pk} to the site's administrators"
        )
        return _finish(job, state=IngestionJob.State.FAILED, error=error_text)
    return _finish(
        job,
        state=IngestionJob.State.SUCCEEDED,
        dataset=result.dataset,
        outcome=IngestionJob.Outcome.CREATED if result.created else IngestionJob.Outcome.UPDATED,
        warnings=list(result.warnings),
    )


def fail_job(*, job_id: int, error: str) -> IngestionJob:
    """Record that a job will not be tried again (a file locked by its writer for too long)."""
    return _finish(IngestionJob.objects.get(pk=job_id), state=IngestionJob.State.FAILED, error=error)


def _finish(job: IngestionJob, **fields: object) -> IngestionJob:
    fields["finished_at"] = timezone.now()
    for name, value in fields.items():
        setattr(job, name, value)
    job.save(update_fields=list(fields))
    return job


# --- one file ---------------------------------------------------------------------------------------------------------


def ingest_file(*, path: Path, source_folder: Path) -> IngestResult:
    """Read `path` and write a dataset per entry (each NXentry, and each NXsubentry with its own definition), with
    proposal, people, sample, techniques, parameters and preview; the file's rows go to the primary entry's dataset.

    All rows are written in one transaction that also sends `dataset_recorded` per dataset; raises FileRejected
    (nothing written) for any file that cannot become a dataset, including one that changed or vanished while it was
    being ingested.
    """
    path = Path(os.path.abspath(path))
    source_folder = Path(os.path.abspath(source_folder))
    relative = os.path.relpath(path, source_folder)
    facts, extractions, previews = read_apart(
        reading.read_file, path, source_folder, relative=relative, free_scalars=settings.INGEST_FREE_SCALARS
    )
    files = _file_records(facts, extractions[0], source_folder)
    modified_at = datetime.fromtimestamp(facts.mtime, tz=ZoneInfo("UTC"))
    for attempt in range(2):
        try:
            with transaction.atomic():
                recorded: list[tuple[Dataset, bool]] = []
                for extraction, preview in zip(extractions, previews, strict=True):
                    facility = datasets.resolve_facility(
                        short_name=extraction.facility, source_name=extraction.source_name
                    )
                    start, end = _times(extraction, facility.time_zone or "UTC")
                    recorded.append(
                        datasets.record_dataset(
                            facility=facility,
                            entry=extraction,
                            start_time=start,
                            end_time=end,
                            source_path=facts.path,
                            source_folder=source_folder,
                            file_modified_at=modified_at,
                            files=files,
                            file_dataset=recorded[0][0] if recorded else None,
                            preview=preview,
                        )
                    )
                _withdraw_vanished_entries(facts.path, [dataset for dataset, _ in recorded], relative=relative)
                _check_unchanged(facts)
            break
        except IntegrityError:
            # Two workers created the same dataset (or proposal, instrument) at once: the loser updates it.
            if attempt:
                raise
    dataset, created = recorded[0]
    large = [record.path for record in files if record.needs_checksum_task]
    for data_file_id in DataFile.objects.filter(dataset=dataset, path__in=large).values_list("pk", flat=True):
        _enqueue("hash_data_file", data_file_id)
    warnings = dict.fromkeys(warning for extraction in extractions for warning in extraction.warnings)
    return IngestResult(dataset=dataset, created=created, warnings=tuple(warnings))


def _withdraw_vanished_entries(path: Path, recorded: list[Dataset], *, relative: str) -> None:
    """Withdraw the datasets of entries no longer in the file at `path` (tombstones, never deleted: their pids
    may be cited); they point at the file's current primary dataset, which now holds its rows."""
    vanished = Dataset.objects.filter(source_path=str(path)).exclude(pk__in=[dataset.pk for dataset in recorded])
    for dataset in vanished.filter(withdrawn_at__isnull=True).select_for_update():
        reason = f"entry {dataset.entry_path} is no longer in {relative} (found missing on re-ingestion)"
        curation.withdraw_dataset(dataset=dataset, reason=reason, by=None)
    vanished.exclude(file_dataset=recorded[0]).update(file_dataset=recorded[0])


def _times(extraction: extract.Extraction, zone: str) -> tuple[datetime | None, datetime | None]:
    try:
        return extraction.start_time(zone), extraction.end_time(zone)
    except values.ImplausibleTime as error:
        raise FileRejected(f"{error}; correct start_time or end_time in the file and ingest it again") from error


def _check_unchanged(facts: reader.FileFacts) -> None:
    try:
        stat = facts.path.stat()
    except FileNotFoundError as error:
        raise FileRejected(f"file was deleted during ingestion: {facts.path}") from error
    if (stat.st_size, stat.st_mtime) != (facts.size, facts.mtime):
        raise FileRejected(f"file changed during ingestion (still being written?): {facts.path}")


def _file_records(
    facts: reader.FileFacts, extraction: extract.Extraction, source_folder: Path
) -> list[datasets.FileRecord]:
    """The master and every distinct link/VDS target, paths relative to the source folder; small files hashed here."""
    records = [_present(facts.path, os.path.relpath(facts.path, source_folder), DataFile.Role.MASTER)]
    seen = {records[0].path}
    for link in extraction.links:
        if link.resolved is not None:
            relative = os.path.relpath(link.resolved, os.path.realpath(source_folder))
        else:
            relative = link.written  # outside the folder and absent (Savu I13's /dls/… paths): as written
        if relative in seen:
            continue
        seen.add(relative)
        role = DataFile.Role.LINKED if link.kind == "external" else DataFile.Role.VIRTUAL_SOURCE
        if link.exists and link.resolved is not None:
            records.append(_present(link.resolved, relative, role))
        else:
            records.append(
                datasets.FileRecord(relative, role, None, None, "", is_missing=True, needs_checksum_task=False)
            )
    return records


def _present(path: Path, relative: str, role: str) -> datasets.FileRecord:
    stat = path.stat()
    large = stat.st_size > settings.INGEST_LARGE_FILE_BYTES
    return datasets.FileRecord(
        path=relative,
        role=role,
        size=stat.st_size,
        modified_at=datetime.fromtimestamp(stat.st_mtime, tz=ZoneInfo("UTC")),
        checksum="" if large else checksums.file_checksum(path, algorithm=settings.CHECKSUM_ALGORITHM),
        is_missing=False,
        needs_checksum_task=large,
    )


def hash_data_file(*, data_file_id: int) -> DataFile | None:
    """Checksum of one (large) file, streamed; idempotent, skipped when the row is gone or already hashed."""
    data_file = DataFile.objects.select_related("dataset").filter(pk=data_file_id).first()
    if data_file is None or data_file.checksum or data_file.is_missing:
        return data_file
    path = Path(data_file.dataset.source_folder) / data_file.path
    algorithm = settings.CHECKSUM_ALGORITHM
    try:
        digest = checksums.file_checksum(path, algorithm=algorithm)
    except FileNotFoundError:
        DataFile.objects.filter(pk=data_file.pk).update(is_missing=True)
        fair_receivers.queue("datasets", [data_file.dataset_id])  # an UPDATE sends no post_save
        return data_file
    DataFile.objects.filter(pk=data_file.pk).update(
        checksum=digest, checksum_algorithm=algorithm, checksum_verified_at=timezone.now()
    )
    data_file.refresh_from_db()
    return data_file


# --- previews ---------------------------------------------------------------------------------------------------------


def redraw_preview(*, dataset_id: int) -> Preview | None:
    """Draw a dataset's preview again from its master file (after an upgrade of the drawing). Idempotent; None, with
    the preview left as it was, when the dataset or its file is gone. Raises FileBusy while a writer holds the file."""
    dataset = Dataset.objects.filter(pk=dataset_id).first()
    if dataset is None or not dataset.source_path:
        return None
    path = Path(dataset.source_path)
    source_folder = Path(dataset.source_folder or path.parent)
    try:
        preview = read_apart(reading.draw_preview, path, source_folder, entry_path=dataset.entry_path)
    except FileRejected as rejected:
        logger.warning("preview of %s not redrawn: %s", path, rejected)
        return None
    return datasets.save_preview(dataset=dataset, preview=preview)


def datasets_to_redraw(*, every: bool = False) -> list[int]:
    """Ids of the datasets whose preview predates captions and card sizes (or all of them), in id order."""
    datasets = Dataset.objects.exclude(source_path="")
    if not every:
        old_style = Q(preview__png__isnull=False, preview__card_png__isnull=True)
        datasets = datasets.filter(Q(preview__isnull=True) | old_style)
    return list(datasets.order_by("pk").values_list("pk", flat=True))


# --- queueing and watched folders -----------------------------------------------------------------------------------


def queue_job(*, job: IngestionJob) -> None:
    """Hand the job to a worker once the surrounding transaction commits."""
    _enqueue("run_ingestion_job", job.pk)


def _enqueue(task: str, *args: int) -> None:
    """Send a task of ingest.tasks once the surrounding transaction commits (as `delay_on_commit` does), by name:
    the tasks call these services, so this module does not import them."""
    transaction.on_commit(lambda: current_app.send_task(f"ingest.tasks.{task}", args=args))


def scan_watched_folders(
    *, folders: list[Path] | None = None, stable_seconds: int | None = None, queue: bool = True
) -> list[IngestionJob]:
    """Create (and queue) a job for each file that is new or changed since its last job and whose mtime has been
    stable for `stable_seconds` (files still being written wait). Stateless: the job rows are the memory.

    Link and VDS targets are skipped: those recorded as files of a dataset, and those of new or pending masters.
    Only new files are opened, so a scan of a large, mostly ingested folder costs a directory listing.
    """
    folders = folders if folders is not None else [Path(folder) for folder in settings.INGEST_WATCH_DIRS]
    stable = settings.INGEST_STABLE_SECONDS if stable_seconds is None else stable_seconds
    now = timezone.now().timestamp()
    jobs = []
    for folder in folders:
        candidates = []
        for path in sorted(folder.rglob("*")):
            try:
                stat = path.stat() if path.exists() else path.lstat()  # a dangling link gets a job saying so
            except OSError:
                continue
            if path.is_dir() or path.name.startswith(".") or now - stat.st_mtime < stable:
                continue
            changed_at = datetime.fromtimestamp(stat.st_mtime, tz=ZoneInfo("UTC"))
            if not IngestionJob.objects.filter(path=job_path(path), created_at__gte=changed_at).exists():
                candidates.append(path)
        recorded = DataFile.objects.filter(
            role__in=[DataFile.Role.LINKED, DataFile.Role.VIRTUAL_SOURCE], dataset__source_folder=str(folder)
        ).values_list("path", flat=True)
        targets = {Path(os.path.realpath(folder / path)) for path in recorded}
        pending = IngestionJob.objects.filter(
            state__in=[IngestionJob.State.QUEUED, IngestionJob.State.RUNNING], source_folder=str(folder)
        ).values_list("path", flat=True)
        targets |= link_targets_of_masters(candidates, masters=tuple(Path(path) for path in pending))
        for path in candidates:
            if Path(os.path.realpath(path)) in targets:
                continue
            with transaction.atomic():
                job = create_job(path=path, source_folder=folder, trigger=IngestionJob.Trigger.WATCH)
                if queue:
                    queue_job(job=job)
            jobs.append(job)
    return jobs


def reingest_datasets(*, datasets: list[Dataset], requested_by: User | None = None) -> list[IngestionJob]:
    """Queue a new ingestion of each dataset's master file (steward action); curated fields survive it."""
    jobs = []
    with transaction.atomic():
        for dataset in datasets:
            if not dataset.source_path:
                continue
            job = create_job(
                path=Path(dataset.source_path),
                source_folder=Path(dataset.source_folder or Path(dataset.source_path).parent),
                trigger=IngestionJob.Trigger.ADMIN,
                requested_by=requested_by,
            )
            queue_job(job=job)
            jobs.append(job)
    return jobs


class PathNotAllowed(ValueError):
    """A path outside every folder this site ingests from."""


def allowed_source_folder(*, path: Path) -> Path:
    """The configured ingestion root that holds `path` (its source folder); PathNotAllowed otherwise.

    Roots: INGEST_WATCH_DIRS, the facilities' and instruments' storage roots, and the sample files with DEBUG on.
    """
    roots = [Path(root) for root in settings.INGEST_WATCH_DIRS]
    if settings.DEBUG:
        roots.append(Path(settings.NEXUS_SAMPLES_DIR))
    roots += [Path(root) for root in Facility.objects.exclude(storage_root="").values_list("storage_root", flat=True)]
    roots += [Path(root) for root in Instrument.objects.exclude(storage_root="").values_list("storage_root", flat=True)]
    if not path.is_absolute():
        raise PathNotAllowed(f"path must be absolute: {path}")
    real = Path(os.path.realpath(path))
    for root in roots:
        real_root = Path(os.path.realpath(root))
        if real == real_root or real_root in real.parents:
            return root
    raise PathNotAllowed(f"{path} is outside the folders this site ingests from")
