"""Catalogue rows as PaNOSC JSON objects (spec §2): camelCase keys, ISO dates in UTC with milliseconds, unknown
optional values left out, and nothing internal (database ids of pid-keyed rows, embargo flags, e-mails, paths)."""

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from catalogue import units
from catalogue.models import DataFile, Dataset, Document, Instrument, Member, Parameter, Person, Sample, Technique
from catalogue.panosc.conditions import UnitGroup


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _compact(record: dict) -> dict:
    return {key: value for key, value in record.items() if value is not None and value != "" and value != []}


def dataset(row: Dataset) -> dict:
    return _compact(
        {
            "pid": row.pid,
            "title": row.title or row.pid,
            "isPublic": True,
            "creationDate": iso(row.creation_time),
            "size": row.size,
        }
    )


def document(row: Document) -> dict:
    return _compact(
        {
            "pid": row.pid,
            "isPublic": True,
            "type": row.panosc_type,
            "title": row.title or row.pid,
            "summary": row.summary,
            "doi": row.doi,
            "startDate": iso(row.start_date),
            "endDate": iso(row.end_date),
            "releaseDate": iso(row.release_date),
            "license": row.licence,
            "keywords": list(row.keywords),
        }
    )


def instrument(row: Instrument) -> dict:
    return {"pid": row.pid, "name": row.name or row.pid, "facility": row.facility.short_name}


def data_file(row: DataFile) -> dict:
    return _compact({"id": row.pk, "name": row.name, "path": row.directory, "size": row.size})


def _number(value: float) -> float | int:
    # 12 significant digits hide float noise of unit conversions (26.850000000000023 → 26.85)
    rounded = float(f"{value:.12g}")
    return int(rounded) if rounded.is_integer() and abs(rounded) < 2**53 else rounded


def parameter(row: Parameter, unit_groups: Sequence[UnitGroup] = ()) -> dict:
    group_index = getattr(row, "panosc_group", None)
    if group_index is not None and row.value_si is not None:
        group = unit_groups[group_index]
        return {
            "id": row.pk,
            "name": row.name,
            "value": _number(units.from_si(row.value_si, group.unit)),
            "unit": group.written,
        }
    value = _number(row.value_number) if row.value_number is not None else (row.value_text or "")
    return _compact({"id": row.pk, "name": row.name, "value": value, "unit": row.raw_unit or row.unit}) | {
        "value": value
    }


def technique(row: Technique) -> dict:
    return _compact({"pid": row.purl or row.pid, "name": row.name, "panetId": row.purl})


def sample(row: Sample) -> dict:
    return _compact({"pid": row.pid, "name": row.name or row.pid, "description": row.description})


def member(row: Member) -> dict:
    return _compact({"id": row.pk, "role": row.role})


def person(row: Person) -> dict:
    return _compact(
        {
            "id": str(row.pk),
            "fullName": row.full_name,
            "orcid": row.orcid,
            "researcherId": row.researcher_id,
            "firstName": row.first_name,
            "lastName": row.last_name,
        }
    )


def affiliation(row) -> dict:
    return _compact({"id": row.pk, "name": row.name, "address": row.address, "city": row.city, "country": row.country})


SERIALIZERS: dict[str, Callable] = {
    "Dataset": dataset,
    "Document": document,
    "Instrument": instrument,
    "File": data_file,
    "Parameter": parameter,
    "Technique": technique,
    "Sample": sample,
    "Member": member,
    "Person": person,
    "Affiliation": affiliation,
}
