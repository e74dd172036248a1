"""Ingestion services: plan which files to ingest, run a job, and write one file's records in one transaction.

Everything a trigger (command, API, watcher, admin, Celery task) does goes through here (issue 4, access-policy.md).
Re-ingesting a file updates its dataset in place, keeps steward-curated fields, and never duplicates.
"""

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import h5py
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify

from catalogue import panet, units
from catalogue.fair import receivers as fair_receivers
from catalogue.models import (
    Affiliation,
    DataFile,
    Dataset,
    DatasetKind,
    Document,
    DocumentKind,
    Facility,
    IngestionState,
    Instrument,
    Member,
    Parameter,
    Person,
    Preview,
    Sample,
    Technique,
)
from catalogue.services import embargo, instruments
from catalogue.signals import dataset_recorded
from ingest.models import IngestionJob
from ingest.nexus import checksums, extract, reader, values
from ingest.nexus.reader import FileBusy, FileRejected

if TYPE_CHECKING:
    from ingest.nexus.previews import PreviewResult

logger = logging.getLogger(__name__)

MAX_SCIENTIFIC_METADATA_BYTES = 256 * 1024
HDF5_SUFFIXES = (".nxs", ".h5", ".hdf", ".hdf5", ".nx5", ".nx", ".nexus", ".cxi")


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
    dataset: Dataset
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
    links = {real[path]: _link_targets(path) - {real[path]} for path in real}
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


def _link_targets(path: Path) -> set[Path]:
    """Real paths of the files `path` points at through external links or VDS sources (headers only)."""
    targets: set[Path] = set()
    try:
        if not h5py.is_hdf5(str(path)):
            return targets
        with h5py.File(path, "r") as handle:

            def visit(name: str, link: h5py.HardLink | h5py.SoftLink | h5py.ExternalLink) -> None:
                if isinstance(link, h5py.ExternalLink):
                    targets.add(Path(os.path.realpath(path.parent / link.filename)))
                elif isinstance(link, h5py.HardLink):
                    obj = handle.get(name)
                    if isinstance(obj, h5py.Dataset) and obj.is_virtual:
                        for source in obj.virtual_sources():
                            if source.file_name != ".":
                                targets.add(Path(os.path.realpath(path.parent / source.file_name)))

            handle.visititems_links(visit)
    except (OSError, RuntimeError, ValueError):
        pass  # a file we cannot read links nowhere; its own job reports why
    return targets


# --- jobs -------------------------------------------------------------------------------------------------------------


def create_job(
    *,
    path: Path,
    source_folder: Path | None = None,
    trigger: str = IngestionJob.Trigger.COMMAND,
    requested_by: AbstractBaseUser | None = None,
) -> IngestionJob:
    return IngestionJob.objects.create(
        path=str(path),
        source_folder=str(source_folder or path.parent),
        trigger=trigger,
        requested_by=requested_by,
    )


def retry_job(*, job: IngestionJob, requested_by: AbstractBaseUser | None = None) -> IngestionJob:
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
    """Read `path` and write its dataset with proposal, people, sample, techniques, parameters, files and preview.

    All rows are written in one transaction that also sends `dataset_recorded`; raises FileRejected (nothing written)
    for any file that cannot become a dataset, including one that changed or vanished while it was being ingested.
    """
    path = Path(os.path.abspath(path))
    source_folder = Path(os.path.abspath(source_folder))
    facts = reader.sniff(path, source_folder=source_folder)
    relative = os.path.relpath(path, source_folder)
    with reader.read_tree(path, source_folder=source_folder) as tree:
        try:
            extraction = extract.extract(tree, relative_path=relative)
        except ValueError as error:
            raise FileRejected(str(error)) from error
        except (OSError, RuntimeError) as error:
            # The reader reads groups and fields as extraction asks: HDF5 meets a damaged part of the file here.
            raise FileRejected(reader.damaged(error)) from error
        preview = _preview(path, tree, extraction.entry_path)
    files = _file_records(facts, extraction, source_folder)
    for attempt in range(2):
        try:
            with transaction.atomic():
                dataset, created = _write(extraction, facts, files, preview, relative, source_folder)
                dataset_recorded.send(sender=Dataset, dataset=dataset, created=created)
                _check_unchanged(facts)
            break
        except IntegrityError:
            # Two workers created the same dataset (or proposal, instrument) at once: the loser updates it.
            if attempt:
                raise
    large = [record.path for record in files if record.needs_checksum_task]
    if large:
        from ingest import tasks  # tasks import services; enqueue only after commit

        for data_file in DataFile.objects.filter(dataset=dataset, path__in=large):
            tasks.hash_data_file.delay_on_commit(data_file.pk)
    return IngestResult(dataset=dataset, created=created, warnings=extraction.warnings)


def _check_unchanged(facts: reader.FileFacts) -> None:
    try:
        stat = facts.path.stat()
    except FileNotFoundError as error:
        raise FileRejected(f"file was deleted during ingestion: {facts.path}") from error
    if (stat.st_size, stat.st_mtime) != (facts.size, facts.mtime):
        raise FileRejected(f"file changed during ingestion (still being written?): {facts.path}")


@dataclass(frozen=True)
class FileRecord:
    path: str
    role: str
    size: int | None
    modified_at: datetime | None
    checksum: str
    is_missing: bool
    needs_checksum_task: bool


def _file_records(facts: reader.FileFacts, extraction: extract.Extraction, source_folder: Path) -> list[FileRecord]:
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
            records.append(FileRecord(relative, role, None, None, "", is_missing=True, needs_checksum_task=False))
    return records


def _present(path: Path, relative: str, role: str) -> FileRecord:
    stat = path.stat()
    large = stat.st_size > settings.INGEST_LARGE_FILE_BYTES
    return FileRecord(
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


# --- writing --------------------------------------------------------------------------------------------------------


def _write(
    extraction: extract.Extraction,
    facts: reader.FileFacts,
    files: list[FileRecord],
    preview: "PreviewResult",
    relative: str,
    source_folder: Path,
) -> tuple[Dataset, bool]:
    facility = resolve_facility(short_name=extraction.facility, source_name=extraction.source_name)
    zone = facility.time_zone or "UTC"
    try:
        start, end = extraction.start_time(zone), extraction.end_time(zone)
    except values.ImplausibleTime as error:
        raise FileRejected(f"{error}; correct start_time or end_time in the file and ingest it again") from error
    now = timezone.now()
    instrument = _instrument(facility, extraction.instrument_name)
    proposal = _proposal(facility, instrument, extraction, start or now, zone)
    _members(proposal, extraction.users)

    pid = _pid(facility, extraction, facts.path)
    # The pid is minted once: a file re-ingested (from another folder argument, or recorded before pids hashed the
    # real location instead of the path inside the folder argument) is found by its path and keeps its pid.
    dataset = (
        Dataset.objects.select_for_update()
        .filter(Q(source_path=str(facts.path), entry_path=extraction.entry_path) | Q(pid=pid))
        .first()
    )
    created = dataset is None
    if dataset is None:
        dataset = Dataset(pid=pid)
    curated = set(dataset.curated_fields)

    def assign(name: str, value: object) -> None:
        if name not in curated:
            setattr(dataset, name, value)

    assign("title", (extraction.title or Path(relative).stem)[:1024])
    assign("description", extraction.description)
    assign("kind", DatasetKind.DERIVED if extraction.is_derived else DatasetKind.RAW)
    assign("start_time", start)
    assign("end_time", end)
    assign("creation_time", start or datetime.fromtimestamp(facts.mtime, tz=ZoneInfo("UTC")))
    assign("instrument", instrument)
    dataset.instrument_name = (extraction.instrument_name or "")[:255]
    assign("proposal", proposal)
    assign("scientific_metadata", _capped(extraction.scientific_metadata))
    dataset.time_source = extraction.time_source or "file modification time"
    dataset.software_name = extraction.software_name
    dataset.software_version = extraction.software_version
    dataset.definitions = list(extraction.definitions)
    dataset.file_format = "NeXus/HDF5"
    dataset.raw_metadata = extraction.raw_metadata
    dataset.source_folder = str(source_folder)
    dataset.source_path = str(facts.path)
    dataset.entry_path = extraction.entry_path
    dataset.ingestion_state = IngestionState.INGESTED
    dataset.ingested_at = now
    dataset.size = sum(record.size or 0 for record in files)
    dataset.number_of_files = len(files)
    dataset.release_date = embargo.dataset_release_date(dataset)
    dataset.save()

    if "samples" not in curated:
        dataset.samples.set(_samples(dataset, extraction))
    if "techniques" not in curated:
        dataset.techniques.set(techniques_by_id(extraction.techniques))
    _parameters(dataset, extraction)
    _data_files(dataset, files)
    _save_preview(dataset, preview)
    embargo.refresh_release_dates(dataset)
    _extend_proposal_period(proposal, start, end)
    return dataset, created


# --- previews ---------------------------------------------------------------------------------------------------------


def _preview(path: Path, tree: reader.Tree, entry_path: str) -> "PreviewResult":
    """The entry's preview, drawn before the transaction opens; a drawing that fails never fails the ingestion."""
    from ingest.nexus import previews  # Matplotlib weighs ~40 MB: loaded by the workers that draw, not by web processes

    entry = tree.group(entry_path)
    if entry is None:
        return previews.PreviewResult("", None, unavailable_reason=f"no entry {entry_path} in the file")
    try:
        return previews.make(path, tree, entry)
    except Exception as error:  # the record matters more than its picture; the reason goes to the stewards
        logger.exception("preview of %s failed", path)
        return previews.PreviewResult("", None, unavailable_reason=f"drawing failed: {type(error).__name__}: {error}")


def _save_preview(dataset: Dataset, preview: "PreviewResult") -> Preview:
    row, _ = Preview.objects.update_or_create(
        dataset=dataset,
        defaults={
            "png": preview.png,
            "width": preview.width,
            "height": preview.height,
            "card_png": preview.card_png,
            "card_width": preview.card_width,
            "card_height": preview.card_height,
            "caption": preview.caption,
            "choice": preview.choice,
            "signal_path": preview.signal_path[:1024],
            "unavailable_reason": preview.unavailable_reason[:512],
        },
    )
    return row


def redraw_preview(*, dataset_id: int) -> Preview | None:
    """Draw a dataset's preview again from its master file (after an upgrade of the drawing). Idempotent; None, with
    the preview left as it was, when the dataset or its file is gone. Raises FileBusy while a writer holds the file."""
    dataset = Dataset.objects.filter(pk=dataset_id).first()
    if dataset is None or not dataset.source_path:
        return None
    path = Path(dataset.source_path)
    try:
        tree = reader.read_tree(path, source_folder=Path(dataset.source_folder or path.parent))
    except FileRejected:
        logger.warning("preview of %s not redrawn: the file is gone or unreadable", path)
        return None
    with tree:
        preview = _preview(path, tree, dataset.entry_path)
    return _save_preview(dataset, preview)


def datasets_to_redraw(*, every: bool = False) -> list[int]:
    """Ids of the datasets whose preview predates captions and card sizes (or all of them), in id order."""
    datasets = Dataset.objects.exclude(source_path="")
    if not every:
        old_style = Q(preview__png__isnull=False, preview__card_png__isnull=True)
        datasets = datasets.filter(Q(preview__isnull=True) | old_style)
    return list(datasets.order_by("pk").values_list("pk", flat=True))


def _pid(facility: Facility, extraction: extract.Extraction, path: Path) -> str:
    """The entry's own uuid (ESS), else a hash of the file's real location and entry: never of its name alone, so
    that run.h5 in two folders are two datasets (nexus-ingestion.md §4.7)."""
    if extraction.entry_uuid:
        return f"{facility.pid_prefix}/{extraction.entry_uuid}"
    location = f"{os.path.realpath(path)}#{extraction.entry_path}"
    return f"{facility.pid_prefix}/{hashlib.blake2b(location.encode(), digest_size=10).hexdigest()}"


def resolve_facility(*, short_name: str | None, source_name: str | None) -> Facility:
    """The profile's facility, else one whose name is the NXsource name, else the home facility (created if new)."""
    if short_name:
        facility = Facility.objects.filter(short_name=short_name).first()
        if facility is not None:
            return facility
        return Facility.objects.create(short_name=short_name, name=short_name, pid_prefix=slugify(short_name))
    if source_name:
        facility = Facility.objects.filter(Q(short_name__iexact=source_name) | Q(name__iexact=source_name)).first()
        if facility is not None:
            return facility
    home = settings.HOME_FACILITY
    facility = Facility.objects.filter(Q(short_name=home[:64]) | Q(name=home)).first()
    if facility is None:
        facility = Facility.objects.create(short_name=home[:64], name=home, pid_prefix=slugify(home) or "local")
    return facility


def _instrument(facility: Facility, name: str | None) -> Instrument | None:
    if not name:
        return None
    name = name[:255]
    instrument = instruments.match(facility=facility, name=name)
    if instrument is None and not facility.matches_instruments:
        instrument, _ = Instrument.objects.get_or_create(
            pid=instruments.default_pid(facility, name), defaults={"name": name, "facility": facility}
        )
    # None with a name: unmatched in a registry facility; the dataset keeps the name for a steward to resolve.
    return instrument


def _proposal(
    facility: Facility, instrument: Instrument | None, extraction: extract.Extraction, moment: datetime, zone: str
) -> Document:
    """The proposal named by the file, else the per-instrument, per-day session proposal (access-policy.md)."""
    if extraction.proposal_number:
        number = extraction.proposal_number[:64]
        proposal, _ = Document.objects.get_or_create(
            pid=f"{facility.pid_prefix}/proposal/{number}",
            defaults={
                "kind": DocumentKind.PROPOSAL,
                "proposal_number": number,
                "facility": facility,
                "title": f"Proposal {number}",
                "licence": settings.DEFAULT_LICENCE,
            },
        )
        return proposal
    day = moment.astimezone(ZoneInfo(zone)).date().isoformat()
    owner = instrument.name if instrument else (extraction.instrument_name or facility.short_name)[:255]
    key = slugify(owner) or "instrument"
    proposal, _ = Document.objects.get_or_create(
        pid=f"{facility.pid_prefix}/session/{key}/{day}",
        defaults={
            "kind": DocumentKind.SESSION,
            "facility": facility,
            "instrument": instrument,
            "title": f"{owner} session {day}",
            "licence": settings.DEFAULT_LICENCE,
        },
    )
    return proposal


def _extend_proposal_period(proposal: Document, start: datetime | None, end: datetime | None) -> None:
    changes = {}
    if start and (proposal.start_date is None or start < proposal.start_date):
        changes["start_date"] = start
    last = end or start
    if last and (proposal.end_date is None or last > proposal.end_date):
        changes["end_date"] = last
    if changes:
        Document.objects.filter(pk=proposal.pk).update(**changes)


def _members(proposal: Document, users: tuple[extract.User, ...]) -> None:
    """People of the file's NXuser groups join the proposal; e-mails are kept as personal data (access-policy.md)."""
    for position, user in enumerate(users):
        person = None
        if user.orcid:
            person = Person.objects.filter(orcid=user.orcid).first()
        if person is None and user.email:
            person = Person.objects.filter(email__iexact=user.email).first()
        if person is None:
            person = Person.objects.filter(full_name=user.name, memberships__document=proposal).first()
        if person is None:
            person = Person.objects.create(full_name=user.name, orcid=user.orcid, email=user.email)
        elif user.email and not person.email:
            Person.objects.filter(pk=person.pk).update(email=user.email)
        affiliation = None
        if user.affiliation:
            affiliation = Affiliation.objects.filter(name=user.affiliation).first() or Affiliation.objects.create(
                name=user.affiliation, address=user.address
            )
        Member.objects.get_or_create(
            document=proposal,
            person=person,
            role=user.role,
            defaults={"affiliation": affiliation, "position": position},
        )


def _samples(dataset: Dataset, extraction: extract.Extraction) -> list[Sample]:
    if extraction.sample is None:
        return []
    sample, _ = Sample.objects.update_or_create(
        pid=f"{dataset.pid}/sample",
        defaults={
            "name": extraction.sample.name,
            "chemical_formula": extraction.sample.chemical_formula,
            "description": extraction.sample.description,
            "characteristics": extraction.sample.characteristics,
        },
    )
    return [sample]


def techniques_by_id(panet_ids: tuple[str, ...]) -> list[Technique]:
    """Technique rows for the most specific of the PaNET ids (an ancestor of another one is dropped), created from
    the shipped vocabulary when load_panet has not run yet."""
    vocabulary = panet.vocabulary()
    panet_ids = tuple(
        term_id
        for term_id in panet_ids
        if not any(term_id in vocabulary.terms[other].ancestors for other in panet_ids if other in vocabulary.terms)
    )
    rows = {row.panet_id: row for row in Technique.objects.filter(panet_id__in=panet_ids)}
    for term_id in panet_ids:
        term = vocabulary.terms.get(term_id)
        if term_id not in rows and term is not None:
            rows[term_id], _ = Technique.objects.get_or_create(
                panet_id=term_id,
                defaults={
                    "pid": term.purl,
                    "name": term.label,
                    "parents": list(term.parents),
                    "ancestors": list(term.ancestors),
                    "is_concept": term.is_concept,
                },
            )
    return [rows[term_id] for term_id in panet_ids if term_id in rows]


def _parameters(dataset: Dataset, extraction: extract.Extraction) -> None:
    dataset.parameters.all().delete()
    rows = []
    for quantity in extraction.parameters:
        meaning = units.normalise_unit(quantity.raw_unit, quantity_name=quantity.name)
        si = None
        if quantity.number is not None and meaning.is_physical and meaning.unit:
            try:
                si = units.to_si(quantity.number, meaning.unit)
            except (units.UnknownUnit, ValueError, TypeError):
                si = None
        rows.append(
            Parameter(
                dataset=dataset,
                name=quantity.name[:255],
                source=quantity.source[:1024],
                raw_value=quantity.raw_value,
                raw_unit=quantity.raw_unit[:255],
                value_number=quantity.number,
                value_text=quantity.text,
                unit=meaning.unit[:64],
                value_si=si.value if si and units.is_finite(si.value) else None,
                unit_si=si.unit[:64] if si else "",
                dimension=si.dimension[:128]
                if si
                else (units.dimension_of(meaning.unit)[:128] if meaning.unit else ""),
                is_physical=meaning.is_physical,
            )
        )
    Parameter.objects.bulk_create(rows)


def _data_files(dataset: Dataset, files: list[FileRecord]) -> None:
    algorithm = settings.CHECKSUM_ALGORITHM
    existing = {row.path: row for row in dataset.files.all()}
    keep = set()
    for record in files:
        keep.add(record.path)
        row = existing.get(record.path) or DataFile(dataset=dataset, path=record.path)
        unchanged = row.pk and row.size == record.size and row.modified_at == record.modified_at and row.checksum
        row.role = record.role
        row.size = record.size
        row.modified_at = record.modified_at
        row.is_missing = record.is_missing
        if record.checksum:
            row.checksum, row.checksum_algorithm, row.checksum_verified_at = record.checksum, algorithm, timezone.now()
        elif not unchanged:
            row.checksum, row.checksum_algorithm = "", ""
        row.save()
    dataset.files.exclude(path__in=keep).delete()


def _capped(metadata: dict) -> dict:
    """scientific_metadata stays below MAX_SCIENTIFIC_METADATA_BYTES: generic collection scalars go first."""
    if len(json.dumps(metadata, default=str)) <= MAX_SCIENTIFIC_METADATA_BYTES:
        return metadata
    kept = {key: value for key, value in metadata.items() if "." not in key}
    kept["truncated"] = True
    return kept


# --- queueing and watched folders -----------------------------------------------------------------------------------


def queue_job(*, job: IngestionJob) -> None:
    """Hand the job to a worker once the surrounding transaction commits."""
    from ingest import tasks

    tasks.run_ingestion_job.delay_on_commit(job.pk)


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
            if not IngestionJob.objects.filter(path=str(path), created_at__gte=changed_at).exists():
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


def reingest_datasets(*, datasets: list[Dataset], requested_by: AbstractBaseUser | None = None) -> list[IngestionJob]:
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
