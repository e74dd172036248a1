"""Recording a dataset read from a file: its proposal, people, instrument, sample, techniques, parameters, files and
preview, upserted on its pid so that re-recording never duplicates and keeps what stewards curated.

The catalogue states what it reads from an entry as Protocols; ingestion's extraction satisfies them (issue 23).
"""

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from catalogue import units
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
)
from catalogue.services import embargo, instruments, techniques
from catalogue.signals import dataset_recorded

MAX_SCIENTIFIC_METADATA_BYTES = 256 * 1024


class PersonFacts(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def affiliation(self) -> str: ...
    @property
    def address(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def orcid(self) -> str: ...


class SampleFacts(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def chemical_formula(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def characteristics(self) -> dict[str, Any]: ...


class QuantityFacts(Protocol):
    """A parameter as the file wrote it: value and unit unchanged, and the path it was read from."""

    @property
    def name(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def raw_value(self) -> str: ...
    @property
    def raw_unit(self) -> str: ...
    @property
    def number(self) -> float | None: ...
    @property
    def text(self) -> str | None: ...


class EntryFacts(Protocol):
    """What the catalogue records of one entry of a file (ingest.nexus.extract.Extraction)."""

    @property
    def entry_path(self) -> str: ...
    @property
    def entry_uuid(self) -> str | None: ...
    @property
    def title(self) -> str | None: ...
    @property
    def description(self) -> str: ...
    @property
    def is_derived(self) -> bool: ...
    @property
    def time_source(self) -> str: ...
    @property
    def instrument_name(self) -> str | None: ...
    @property
    def proposal_number(self) -> str | None: ...
    @property
    def software_name(self) -> str: ...
    @property
    def software_version(self) -> str: ...
    @property
    def definitions(self) -> tuple[str, ...]: ...
    @property
    def techniques(self) -> tuple[str, ...]: ...
    @property
    def users(self) -> tuple[PersonFacts, ...]: ...
    @property
    def sample(self) -> SampleFacts | None: ...
    @property
    def parameters(self) -> tuple[QuantityFacts, ...]: ...
    @property
    def scientific_metadata(self) -> dict[str, Any]: ...
    @property
    def raw_metadata(self) -> dict[str, Any]: ...


class PreviewFacts(Protocol):
    """A drawn preview (ingest.nexus.previews.PreviewResult), or why there is none."""

    @property
    def signal_path(self) -> str: ...
    @property
    def png(self) -> bytes | None: ...
    @property
    def width(self) -> int | None: ...
    @property
    def height(self) -> int | None: ...
    @property
    def card_png(self) -> bytes | None: ...
    @property
    def card_width(self) -> int | None: ...
    @property
    def card_height(self) -> int | None: ...
    @property
    def caption(self) -> str: ...
    @property
    def choice(self) -> Mapping[str, Any]: ...
    @property
    def unavailable_reason(self) -> str: ...


@dataclass(frozen=True)
class FileRecord:
    """One file of a dataset as found on disk, its path relative to the dataset's source folder."""

    path: str
    role: str
    size: int | None
    modified_at: datetime | None
    checksum: str
    is_missing: bool
    needs_checksum_task: bool


def record_dataset(
    *,
    facility: Facility,
    entry: EntryFacts,
    start_time: datetime | None,
    end_time: datetime | None,
    source_path: Path,
    source_folder: Path,
    file_modified_at: datetime,
    files: list[FileRecord],
    preview: PreviewFacts,
    file_dataset: Dataset | None = None,
) -> tuple[Dataset, bool]:
    """Upsert the dataset of `entry` of the file at `source_path` with everything around it; (dataset, created).

    A file is linked once: its `files` become rows of this dataset, unless `file_dataset` (the dataset of the file's
    primary entry) holds them, as for the further entries of a multi-entry file. Fields a steward curated are kept.
    Sends `dataset_recorded`. Call it inside the caller's transaction: the rows
    of one file are meant to be written together (the dataset row is locked with SELECT … FOR UPDATE).
    """
    now = timezone.now()
    instrument = _instrument(facility, entry.instrument_name)
    proposal = _proposal(facility, instrument, entry, start_time or now)
    _members(proposal, entry.users)

    pid = dataset_pid(facility=facility, source_path=source_path, entry_path=entry.entry_path, uuid=entry.entry_uuid)
    # The pid is minted once: a file re-ingested (from another folder argument, or recorded before pids hashed the
    # real location instead of the path inside the folder argument) is found by its path and keeps its pid.
    dataset = (
        Dataset.objects.select_for_update()
        .filter(Q(source_path=str(source_path), entry_path=entry.entry_path) | Q(pid=pid))
        .first()
    )
    created = dataset is None
    if dataset is None:
        dataset = Dataset(pid=pid)
    curated = set(dataset.curated_fields)

    def assign(name: str, value: object) -> None:
        if name not in curated:
            setattr(dataset, name, value)

    assign("title", (entry.title or source_path.stem)[:1024])
    assign("description", entry.description)
    assign("kind", DatasetKind.DERIVED if entry.is_derived else DatasetKind.RAW)
    assign("start_time", start_time)
    assign("end_time", end_time)
    assign("creation_time", start_time or file_modified_at)
    assign("instrument", instrument)
    dataset.instrument_name = (entry.instrument_name or "")[:255]
    assign("proposal", proposal)
    assign("scientific_metadata", _capped(entry.scientific_metadata))
    dataset.time_source = entry.time_source or "file modification time"
    dataset.software_name = entry.software_name
    dataset.software_version = entry.software_version
    dataset.definitions = list(entry.definitions)
    dataset.file_format = "NeXus/HDF5"
    dataset.raw_metadata = entry.raw_metadata
    dataset.source_folder = str(source_folder)
    dataset.source_path = str(source_path)
    dataset.entry_path = entry.entry_path
    dataset.file_dataset = file_dataset
    dataset.ingestion_state = IngestionState.INGESTED
    dataset.ingested_at = now
    dataset.size = sum(record.size or 0 for record in files)
    dataset.number_of_files = len(files)
    dataset.release_date = embargo.dataset_release_date(dataset)
    dataset.save()

    if "samples" not in curated:
        dataset.samples.set(_samples(dataset, entry.sample))
    if "techniques" not in curated:
        dataset.techniques.set(techniques.techniques_by_id(entry.techniques))
    _parameters(dataset, entry.parameters)
    if file_dataset is None:
        # The primary entry of a file may change (the former one removed from the file): its rows move, ids kept.
        DataFile.objects.filter(dataset__source_path=str(source_path)).exclude(dataset=dataset).update(dataset=dataset)
    _data_files(dataset, [] if file_dataset else files)
    save_preview(dataset=dataset, preview=preview)
    embargo.refresh_release_dates(dataset)
    _extend_proposal_period(proposal, start_time, end_time)
    dataset_recorded.send(sender=Dataset, dataset=dataset, created=created)
    return dataset, created


def dataset_pid(*, facility: Facility, source_path: Path, entry_path: str, uuid: str | None = None) -> str:
    """The entry's own uuid (ESS), else a hash of the file's real location and entry: never of its name alone, so
    that run.h5 in two folders are two datasets (nexus-ingestion.md §4.7)."""
    if uuid:
        return f"{facility.pid_prefix}/{uuid}"
    location = f"{os.path.realpath(source_path)}#{entry_path}"
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


def save_preview(*, dataset: Dataset, preview: PreviewFacts) -> Preview:
    """Replace the dataset's preview (or the reason it has none)."""
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
            "choice": dict(preview.choice),
            "signal_path": preview.signal_path[:1024],
            "unavailable_reason": preview.unavailable_reason[:512],
        },
    )
    return row


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


def _proposal(facility: Facility, instrument: Instrument | None, entry: EntryFacts, moment: datetime) -> Document:
    """The proposal named by the file, else the per-instrument, per-day session proposal (access-policy.md)."""
    if entry.proposal_number:
        number = entry.proposal_number[:64]
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
    day = moment.astimezone(ZoneInfo(facility.time_zone or "UTC")).date().isoformat()
    owner = instrument.name if instrument else (entry.instrument_name or facility.short_name)[:255]
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


def _members(proposal: Document, users: tuple[PersonFacts, ...]) -> None:
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


def _samples(dataset: Dataset, sample_facts: SampleFacts | None) -> list[Sample]:
    if sample_facts is None:
        return []
    sample, _ = Sample.objects.update_or_create(
        pid=f"{dataset.pid}/sample",
        defaults={
            "name": sample_facts.name,
            "chemical_formula": sample_facts.chemical_formula,
            "description": sample_facts.description,
            "characteristics": sample_facts.characteristics,
        },
    )
    return [sample]


def _parameters(dataset: Dataset, quantities: tuple[QuantityFacts, ...]) -> None:
    dataset.parameters.all().delete()
    rows = []
    for quantity in quantities:
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


def _capped(metadata: dict[str, Any]) -> dict[str, Any]:
    """scientific_metadata stays below MAX_SCIENTIFIC_METADATA_BYTES: generic collection scalars go first."""
    if len(json.dumps(metadata, default=str)) <= MAX_SCIENTIFIC_METADATA_BYTES:
        return metadata
    kept = {key: value for key, value in metadata.items() if "." not in key}
    kept["truncated"] = True
    return kept
