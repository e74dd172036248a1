"""Living data management plans (RDA DMP Common Standard 1.2, catalogue/data/maDMP-schema-1.2.json).

A proposal's maDMP is filled from the catalogue (produced datasets, their files, embargo and licence, the team, this
repository as host) beside the plan a steward uploaded (validated against the standard's JSON Schema); planned
datasets are matched with the datasets ingestion produces (`planned_dataset_for` states the rule).
"""

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from jsonschema import Draft202012Validator

from catalogue import visibility
from catalogue.licences import licence_details
from catalogue.models import DataManagementPlan, Dataset, Document, Facility, Member, PlannedDataset, Technique
from catalogue.services.downloads import media_type

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "data" / "maDMP-schema-1.2.json"
NEXUS_MANUAL = "https://manual.nexusformat.org/classes/applications/"

Record = dict[str, Any]

# Filled from the catalogue whenever it knows them; the plan's own values stand in when it does not.
CATALOGUE_OWNS = ("contact", "contributor")


@dataclass(frozen=True)
class SchemaError:
    path: str  # a JSON path into the upload, e.g. $.dmp.dataset[0].title
    message: str


class InvalidPlan(Exception):
    """An upload that is not a valid maDMP 1.2; `errors` lists every problem found."""

    def __init__(self, errors: list[SchemaError]) -> None:
        super().__init__("; ".join(f"{error.path}: {error.message}" for error in errors))
        self.errors = errors


@functools.cache
def _validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_errors(data: object) -> list[SchemaError]:
    """Every way `data` breaks the maDMP 1.2 schema (formats such as date-time and email checked), in path order."""
    errors = sorted(_validator().iter_errors(data), key=lambda error: (error.json_path, error.message))
    return [SchemaError(path=error.json_path, message=error.message) for error in errors]


def parse_plan(raw: bytes) -> Any:
    """The JSON of an upload; InvalidPlan when it is not UTF-8 JSON."""
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidPlan([SchemaError(path="$", message=f"not UTF-8 JSON: {error}")]) from error


# --- Export ---------------------------------------------------------------------------------------------------


def dmp_url(document: Document) -> str:
    """Where the maDMP of a proposal is served: its DOI's when it has one, else the members' API route."""
    if document.doi:
        return settings.SITE_URL + reverse("landing-doi-dmp", kwargs={"doi": document.doi})
    return settings.SITE_URL + reverse("document-dmp", kwargs={"pid": document.pid})


def _dataset_url(dataset: Dataset) -> str:
    return settings.SITE_URL + reverse("landing-dataset", kwargs={"pid": dataset.pid})


def _date(moment: datetime | None) -> str | None:
    return moment.date().isoformat() if moment else None


def _facility(document: Document, datasets: list[Dataset]) -> Facility | None:
    if document.facility_id:
        return document.facility
    return next((dataset.instrument.facility for dataset in datasets if dataset.instrument), None)


def _host(facility: Facility | None) -> Record:
    """This repository as the host of every distribution (the standard's Host)."""
    host: Record = {
        "title": f"PaN Commons — {settings.HOME_FACILITY}",
        "url": settings.SITE_URL + "/",
        "host_id": [{"identifier": settings.SITE_URL + "/", "type": "url"}],
        "description": "The open-data repository of the facility: NeXus/HDF5 files with their catalogue, DOIs "
        "and landing pages; embargoed data open by themselves on their release date.",
        "pid_system": ["doi", "url"],
        "storage_type": settings.REPOSITORY_STORAGE_TYPE,
    }
    if settings.REPOSITORY_CERTIFICATION:
        host["certified_with"] = settings.REPOSITORY_CERTIFICATION
    country = settings.REPOSITORY_COUNTRY or (facility.country.upper() if facility else "")
    if country:
        host["geo_location"] = country
    return {key: value for key, value in host.items() if value}


def _data_office(facility: Facility | None) -> Record:
    identifier = {"identifier": facility.ror_id, "type": "ror"} if facility and facility.ror_id else None
    return {
        "name": f"Data office of {facility.name if facility else settings.HOME_FACILITY}",
        "mbox": settings.DATA_OFFICE_EMAIL or settings.DEFAULT_FROM_EMAIL,
        "contact_id": identifier or {"identifier": settings.SITE_URL + "/", "type": "url"},
    }


def _person_id(member: Member) -> Record | None:
    return {"identifier": member.person.orcid, "type": "orcid"} if member.person.orcid else None


def _contact(members: list[Member], *, personal: bool) -> Record | None:
    """The principal investigator (else the first listed) with an e-mail address, for those who may see it."""
    if not personal:
        return None
    ordered = sorted(members, key=lambda member: "principal" not in member.role.lower())
    member = next((member for member in ordered if member.person.email), None)
    if member is None:
        return None
    return {
        "name": member.person.full_name,
        "mbox": member.person.email,
        "contact_id": _person_id(member) or {"identifier": member.person.email, "type": "other"},
    }


def _contributors(members: list[Member], *, personal: bool) -> list[Record]:
    """The team, as the public stub shows it (names, ORCID iDs, affiliations), with e-mails for the team."""
    contributors = []
    for member in members:
        person = member.person
        contributor: Record = {
            "name": person.full_name,
            "role": [member.role or "member"],
            "contributor_id": _person_id(member) or [],
        }
        if member.affiliation and member.affiliation.ror_id:
            contributor["affiliation"] = [
                {
                    "name": member.affiliation.name,
                    "affiliation_id": {"identifier": member.affiliation.ror_id, "type": "ror"},
                }
            ]
        if personal and person.email:
            contributor["mbox"] = person.email
        contributors.append(contributor)
    return contributors


def _project(document: Document, *, stub: bool) -> Record:
    project: Record = {"title": document.title, "start": _date(document.start_date), "end": _date(document.end_date)}
    if not stub:
        project["description"] = document.summary
        project["funding"] = [
            {
                "funder_id": {"identifier": funding["funder_ror"], "type": "ror"},
                **(
                    {"grant_id": {"identifier": funding["award_number"], "type": "other"}}
                    if funding.get("award_number")
                    else {}
                ),
            }
            for funding in document.funding
            if funding.get("funder_ror")
        ]
    return {key: value for key, value in project.items() if value}


def _licence(document: Document, start: datetime | None) -> list[Record]:
    """The licence from the release date on: a start date in the future is the standard's way to state an embargo."""
    if start is None:
        return []
    _, url = licence_details(document.licence or settings.DEFAULT_LICENCE)
    return [{"license_ref": url, "start_date": _date(start)}]


def _produced(dataset: Dataset, *, formats: list[str], planned: PlannedDataset | None, host: Record) -> Record:
    """A catalogue dataset as the standard's Dataset, with one distribution: its files here."""
    document = dataset.proposal
    url = _dataset_url(dataset)
    is_open = visibility.is_open(dataset)
    distribution: Record = {
        "title": f"Files of {dataset.title}",
        "access_url": url,
        "download_url": settings.SITE_URL + reverse("download-dataset", kwargs={"pid": dataset.pid}),
        "byte_size": dataset.size,
        "format": formats,
        "data_access": "open" if is_open else "closed",
        "issued": _date(dataset.release_date),
        "license": _licence(document, dataset.release_date),
        "host": host,
    }
    related = [{"identifier": document.doi, "type": "doi", "relation_type": "IsPartOf"}] if document.doi else []
    if planned is not None:
        planned_id = planned.record["dataset_id"]
        related.append(
            {"identifier": planned_id["identifier"], "type": planned_id["type"], "relation_type": "IsPartOf"}
        )
    record: Record = {
        "title": dataset.title,
        "description": dataset.description,
        "dataset_id": {"identifier": url, "type": "url"},
        "type": f"{dataset.kind} data",
        "issued": _date(dataset.release_date),
        "keyword": [*dataset.keywords, *(technique.name for technique in dataset.techniques.all())],
        "personal_data": "unknown",
        "sensitive_data": "unknown",
        "related_identifier": related,
        "distribution": [{key: value for key, value in distribution.items() if value not in (None, "", [])}],
    }
    if dataset.definitions:
        record["metadata"] = [
            {
                "description": f"NeXus application definition {definition}",
                "language": "eng",
                "metadata_standard_id": {"identifier": f"{NEXUS_MANUAL}{definition}.html", "type": "url"},
            }
            for definition in dataset.definitions
        ]
    if instrument := dataset.instrument:
        record["technical_resource"] = [
            {
                "name": instrument.name,
                "description": f"Instrument of {instrument.facility.name}",
                "technical_resource_id": [
                    {
                        "identifier": settings.SITE_URL + reverse("portal:instrument", kwargs={"pid": instrument.pid}),
                        "type": "url",
                    }
                ],
            }
        ]
    return {key: value for key, value in record.items() if value not in (None, "", [])}


def _embargoed(document: Document, host: Record) -> Record:
    """The whole proposal as one closed dataset: what the public stub of an embargoed DOI tells (access-policy.md)."""
    distribution: Record = {
        "title": f"Files of {document.title}",
        "access_url": settings.SITE_URL + reverse("landing-doi", kwargs={"doi": document.doi}),
        "data_access": "closed",
        "issued": _date(document.release_date),
        "license": _licence(document, document.release_date),
        "host": host,
    }
    record: Record = {
        "title": document.title,
        "dataset_id": {"identifier": document.doi, "type": "doi"},
        "type": "dataset",
        "issued": _date(document.release_date),
        "personal_data": "unknown",
        "sensitive_data": "unknown",
        "distribution": [{key: value for key, value in distribution.items() if value}],
    }
    return {key: value for key, value in record.items() if value}


def _formats_by_dataset(dataset_ids: list[int]) -> dict[int, list[str]]:
    from catalogue.models import DataFile

    found: dict[int, set[str]] = {}
    for data_file in DataFile.objects.filter(dataset_id__in=dataset_ids).only("dataset_id", "path"):
        found.setdefault(data_file.dataset_id, set()).add(media_type(data_file))
    return {pk: sorted(types) for pk, types in found.items()}


def export_dmp(*, document: Document, user: visibility.User) -> Record:
    """The proposal's maDMP as `user` may see it.

    The team and stewards get everything: the uploaded plan (its header and planned datasets as uploaded) and every
    produced dataset, with e-mail addresses. Everyone else gets no plan, no e-mail address and only the datasets
    visible to them; during an embargo (the public stub) the proposal stands as one closed dataset with its release
    date and licence, as the DOI's landing page shows it.
    """
    personal = visibility.can_see_personal_data(user, document)
    stub = visibility.public_stub_only(user, document)
    plan = DataManagementPlan.objects.filter(document=document).first() if personal else None
    datasets = (
        []
        if stub
        else list(
            visibility.datasets_visible_to(user)
            .filter(proposal=document)
            .select_related("proposal", "instrument__facility")
            .prefetch_related("techniques", "planned_as")
            .order_by("creation_time", "pid")
        )
    )
    members = list(document.members.select_related("person", "affiliation"))
    facility = _facility(document, datasets)
    host = _host(facility)
    planned = list(plan.planned_datasets.all()) if plan else []
    formats = _formats_by_dataset([dataset.pk for dataset in datasets])
    planned_ids = {item.pk for item in planned}

    def planned_for(dataset: Dataset) -> PlannedDataset | None:
        return next((item for item in dataset.planned_as.all() if item.pk in planned_ids), None)

    entries = [item.record for item in planned]
    entries += [
        _produced(dataset, formats=formats.get(dataset.pk, []), planned=planned_for(dataset), host=host)
        for dataset in datasets
    ]
    if stub:
        entries.append(_embargoed(document, host))
    changes = [document.modified_at, *(dataset.modified_at for dataset in datasets)]
    if plan:
        changes.append(plan.imported_at)
    header: Record = dict(plan.header) if plan else {}
    dmp: Record = {
        "title": f"Data management plan of proposal {document.proposal_number or document.pid}: {document.title}",
        "dmp_id": {"identifier": dmp_url(document), "type": "url"},
        "created": document.created_at.isoformat(),
        "language": "eng",
        "ethical_issues_exist": "unknown",
        "project": [_project(document, stub=stub)],
        **header,
        "modified": max(changes).isoformat(),
        "contact": _contact(members, personal=personal) or header.get("contact") or _data_office(facility),
        "contributor": _contributors(members, personal=personal) or header.get("contributor", []),
        "dataset": entries,
    }
    if not stub and document.summary and "description" not in header:
        dmp["description"] = document.summary
    if document.doi:
        dmp.setdefault("alternate_identifier", [{"identifier": document.doi, "type": "doi"}])
    return {"dmp": dmp}


# --- Import ---------------------------------------------------------------------------------------------------


def _is_produced_here(record: Record) -> bool:
    """An entry for a dataset of this repository (as our export writes them): reality, which the catalogue holds."""
    page_of_any_dataset = _dataset_url(Dataset(pid="-")).removesuffix("-")
    return record["dataset_id"]["identifier"].startswith(page_of_any_dataset)


@transaction.atomic
def import_plan(*, document: Document, data: Any, user: visibility.User | None = None) -> DataManagementPlan:
    """Store `data` (a parsed maDMP) as the proposal's plan, replacing the previous one, and match its datasets.

    One transaction: either the whole plan is stored and matched, or nothing changes. Entries for datasets of
    this repository (an exported maDMP uploaded again) are reality, not plan, and are skipped. Raises InvalidPlan
    listing every schema error.
    """
    errors = schema_errors(data)
    if errors:
        raise InvalidPlan(errors)
    body: Record = data["dmp"]
    header = {key: value for key, value in body.items() if key not in ("dataset", "modified")}
    plan, _ = DataManagementPlan.objects.update_or_create(
        document=document,
        defaults={
            "header": header,
            "imported_at": timezone.now(),
            "imported_by": user if user is not None and user.is_authenticated else None,
        },
    )
    plan.planned_datasets.all().delete()
    records = [record for record in body["dataset"] if not _is_produced_here(record)]
    wishes = _wishes(
        PlannedDataset.objects.bulk_create(
            PlannedDataset(plan=plan, position=position, title=record["title"][:1024], record=record)
            for position, record in enumerate(records)
        )
    )
    # The old planned datasets took their links with them: write the new ones at once.
    through = PlannedDataset.datasets.through
    datasets = document.datasets.select_related("instrument").prefetch_related("techniques")
    through.objects.bulk_create(
        through(planneddataset_id=planned.pk, dataset_id=dataset.pk)
        for dataset in datasets.iterator(chunk_size=2000)
        if (planned := planned_dataset_for(dataset, wishes)) is not None
    )
    return plan


# --- Matching -------------------------------------------------------------------------------------------------


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def _instrument_names(dataset: Dataset) -> set[str]:
    instrument = dataset.instrument
    if instrument is None:
        return set()
    url = settings.SITE_URL + reverse("portal:instrument", kwargs={"pid": instrument.pid})
    return {_normal(instrument.name), _normal(instrument.pid), _normal(url)}


def _technique_names(techniques: Iterable[Technique]) -> set[str]:
    names: set[str] = set()
    for technique in techniques:
        names |= {_normal(technique.name), _normal(technique.pid), *map(_normal, technique.alt_labels)}
        if technique.panet_id:
            names.add(_normal(technique.panet_id))
    return names


@dataclass(frozen=True)
class _Wish:
    """What a planned dataset names, normalised once per matching."""

    planned: PlannedDataset
    identifiers: frozenset[str]
    title: str
    instruments: frozenset[str]
    techniques: frozenset[str]


def _wishes(planned: Iterable[PlannedDataset]) -> list[_Wish]:
    planned = list(planned)
    keywords = {_normal(keyword) for item in planned for keyword in item.record.get("keyword", [])}
    # Only keywords that name a technique of the catalogue (PaNET label, alternative label, id or PURL) count.
    known = _technique_names(Technique.objects.only("pid", "panet_id", "name", "alt_labels")) if keywords else set()
    wishes = []
    for item in planned:
        record = item.record
        alternates = [alternate["identifier"] for alternate in record.get("alternate_identifier", [])]
        resources = record.get("technical_resource", [])
        instruments = [resource["name"] for resource in resources] + [
            identifier["identifier"]
            for resource in resources
            for identifier in resource.get("technical_resource_id", [])
        ]
        wishes.append(
            _Wish(
                planned=item,
                identifiers=frozenset([record["dataset_id"]["identifier"], *alternates]),
                title=_normal(record["title"]),
                instruments=frozenset(map(_normal, instruments)),
                techniques=frozenset({_normal(keyword) for keyword in record.get("keyword", [])} & known),
            )
        )
    return wishes


def _rank(wish: _Wish, dataset: Dataset, instruments: set[str], techniques: set[str]) -> int | None:
    if dataset.pid in wish.identifiers:
        return 1
    if wish.title == _normal(dataset.title):
        return 2
    if not wish.instruments and not wish.techniques:
        return None
    instrument_ok = not wish.instruments or bool(wish.instruments & instruments)
    technique_ok = not wish.techniques or bool(wish.techniques & techniques)
    return 3 if instrument_ok and technique_ok else None


def planned_dataset_for(dataset: Dataset, wishes: list[_Wish]) -> PlannedDataset | None:
    """The planned dataset that `dataset` fulfils, if any.

    The rule, first that holds wins, and among planned datasets matched the same way the first in the plan:
    1. explicit: the plan's dataset_id or one of its alternate_identifier values is the dataset's pid;
    2. title: the same title, ignoring case and runs of white space;
    3. instrument and technique: the planned dataset names an instrument (technical_resource name or identifier:
       the instrument's name, pid or page URL here) or a technique (a keyword that is a PaNET label, alternative
       label, id or PURL), and the dataset has every kind it names: its instrument, and one of the named techniques.
    """
    instruments = _instrument_names(dataset)
    techniques = _technique_names(dataset.techniques.all())
    ranked = [
        (rank, wish.planned.position, wish.planned)
        for wish in wishes
        if (rank := _rank(wish, dataset, instruments, techniques)) is not None
    ]
    return min(ranked, key=lambda found: found[:2])[2] if ranked else None


def match_dataset(*, dataset: Dataset) -> PlannedDataset | None:
    """Link a dataset just recorded to the planned dataset it fulfils (or to none); a no-op without a plan.

    Idempotent: a re-ingested or renamed dataset is matched afresh.
    """
    plan = DataManagementPlan.objects.filter(document_id=dataset.proposal_id).first()
    if plan is None:
        return None
    planned = planned_dataset_for(dataset, _wishes(plan.planned_datasets.all()))
    dataset.planned_as.set([planned] if planned else [])
    return planned


# --- Plan versus reality --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Produced:
    count: int
    byte_size: int
    formats: tuple[str, ...]
    open_count: int


@dataclass(frozen=True)
class PlanRow:
    """One planned dataset beside what the catalogue holds for it."""

    title: str
    planned_byte_size: int | None
    planned_formats: tuple[str, ...]
    planned_access: tuple[str, ...]
    planned_issued: str | None
    produced: Produced


@dataclass(frozen=True)
class PlanReport:
    imported_at: datetime
    rows: tuple[PlanRow, ...]
    unplanned: Produced


def _produced_summary(datasets: list[Dataset], formats: dict[int, list[str]]) -> Produced:
    return Produced(
        count=len(datasets),
        byte_size=sum(dataset.size for dataset in datasets),
        formats=tuple(sorted({name for dataset in datasets for name in formats.get(dataset.pk, [])})),
        open_count=sum(visibility.is_open(dataset) for dataset in datasets),
    )


def plan_versus_reality(*, document: Document) -> PlanReport | None:
    """The plan's datasets beside the produced ones (for the team and stewards); None when no plan was uploaded."""
    plan = DataManagementPlan.objects.filter(document=document).first()
    if plan is None:
        return None
    datasets = list(document.datasets.prefetch_related("planned_as"))
    formats = _formats_by_dataset([dataset.pk for dataset in datasets])
    by_plan: dict[int, list[Dataset]] = {}
    for dataset in datasets:
        for planned in dataset.planned_as.all():
            by_plan.setdefault(planned.pk, []).append(dataset)
    rows = []
    for planned in plan.planned_datasets.all():
        distributions = planned.record.get("distribution", [])
        sizes = [item["byte_size"] for item in distributions if "byte_size" in item]
        rows.append(
            PlanRow(
                title=planned.title,
                planned_byte_size=sum(sizes) if sizes else None,
                planned_formats=tuple(sorted({name for item in distributions for name in item.get("format", [])})),
                planned_access=tuple(sorted({item["data_access"] for item in distributions})),
                planned_issued=planned.record.get("issued"),
                produced=_produced_summary(by_plan.get(planned.pk, []), formats),
            )
        )
    unplanned = [dataset for dataset in datasets if not dataset.planned_as.all()]
    return PlanReport(imported_at=plan.imported_at, rows=tuple(rows), unplanned=_produced_summary(unplanned, formats))
