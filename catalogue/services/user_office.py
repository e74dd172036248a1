"""User-office import: a facility's real proposals, with their teams (ORCID, ROR affiliations) and dates, from the
JSON format of catalogue/data/user-office-schema.json or its CSV variant (docs/people-and-instruments.md); and the
suggested links from ingestion's session proposals to them, which a steward confirms.
"""

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from jsonschema import Draft202012Validator

from catalogue import visibility
from catalogue.models import (
    Affiliation,
    Dataset,
    Document,
    DocumentKind,
    Facility,
    Member,
    Person,
    SessionMatch,
)
from catalogue.models.datasets import MEASUREMENT_YEARS
from catalogue.services import curation, embargo, instruments

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "data" / "user-office-schema.json"
CSV_COLUMNS = (
    "facility",
    "number",
    "title",
    "abstract",
    "start_date",
    "end_date",
    "instruments",
    "member_name",
    "member_given_name",
    "member_family_name",
    "member_orcid",
    "member_email",
    "member_role",
    "affiliation_name",
    "affiliation_ror",
    "affiliation_country",
)

Proposals = dict[str, Any]


class ImportFailed(ValueError):
    """The file was refused as a whole; `errors` names each problem with its location. Nothing was written."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    suggested: int


@cache
def _validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def read_file(*, content: bytes, name: str) -> Proposals:
    """The proposals of an uploaded file: JSON, or CSV when the name ends in .csv. Raises ImportFailed."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFailed([f"{name}: not UTF-8 text ({error.reason} at byte {error.start})"]) from error
    if name.lower().endswith(".csv"):
        return from_csv(text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportFailed([f"{name}: line {error.lineno} column {error.colno}: {error.msg}"]) from error


def from_csv(text: str) -> Proposals:
    """The CSV variant, one row per member (proposal columns repeated), into the JSON shape; raises ImportFailed."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in ("facility", "number", "title", "member_name", "member_role")]
    missing = [column for column in missing if column not in (reader.fieldnames or [])]
    if missing:
        raise ImportFailed([f"header: missing columns {', '.join(missing)}"])
    unknown = sorted(set(reader.fieldnames or []) - set(CSV_COLUMNS))
    if unknown:
        raise ImportFailed([f"header: unknown columns {', '.join(unknown)}"])
    facilities: set[str] = set()
    proposals: dict[str, dict[str, Any]] = {}
    for row in reader:
        values = {key: (value or "").strip() for key, value in row.items() if key}
        facilities.add(values["facility"])
        proposal = proposals.setdefault(
            values["number"],
            {"number": values["number"], "title": values["title"], "members": []}
            | {key: values[key] for key in ("abstract", "start_date", "end_date") if values.get(key)}
            | (
                {"instruments": [name.strip() for name in values["instruments"].split(";") if name.strip()]}
                if values.get("instruments")
                else {}
            ),
        )
        member = {
            key.removeprefix("member_"): values[key]
            for key in ("member_name", "member_given_name", "member_family_name", "member_orcid", "member_email")
            if values.get(key)
        } | {"role": values["member_role"]}
        if values.get("affiliation_name"):
            member["affiliation"] = {"name": values["affiliation_name"]} | {
                key.removeprefix("affiliation_"): values[key]
                for key in ("affiliation_ror", "affiliation_country")
                if values.get(key)
            }
        proposal["members"].append(member)
    if len(facilities) > 1:
        raise ImportFailed([f"facility: one facility per file, found {', '.join(sorted(facilities))}"])
    return {"facility": facilities.pop() if facilities else "", "proposals": list(proposals.values())}


def validate(data: object) -> tuple[Facility, list[str]]:
    """The facility of `data` and every problem found, each named by its location (e.g. proposals/0/members/1/orcid)."""
    errors = [
        f"{'/'.join(map(str, error.absolute_path)) or '(top level)'}: {error.message}"
        for error in sorted(_validator().iter_errors(data), key=lambda error: list(map(str, error.absolute_path)))
    ]
    if errors or not isinstance(data, dict):
        return Facility(), errors
    facility = Facility.objects.filter(short_name=data["facility"]).first()
    if facility is None:
        return Facility(), [f"facility: unknown facility {data['facility']!r}"]
    numbers: set[str] = set()
    for index, proposal in enumerate(data["proposals"]):
        at = f"proposals/{index}"
        if proposal["number"] in numbers:
            errors.append(f"{at}/number: {proposal['number']!r} appears twice")
        numbers.add(proposal["number"])
        if proposal.get("start_date") and proposal.get("end_date") and proposal["end_date"] < proposal["start_date"]:
            errors.append(f"{at}/end_date: {proposal['end_date']} is before start_date {proposal['start_date']}")
        for key in ("start_date", "end_date"):  # the schema checked the form; a year 1 would be stored BC
            if proposal.get(key) and date.fromisoformat(proposal[key]).year not in MEASUREMENT_YEARS:
                first, last = MEASUREMENT_YEARS[0], MEASUREMENT_YEARS[-1]
                errors.append(f"{at}/{key}: {proposal[key]} does not lie in the years {first}–{last}")
        for position, name in enumerate(proposal.get("instruments", [])):
            if instruments.match(facility=facility, name=name) is None:
                errors.append(f"{at}/instruments/{position}: no instrument {name!r} at {facility.short_name}")
        for position, member in enumerate(proposal["members"]):
            if member.get("orcid"):
                try:
                    curation.normalise_orcid(member["orcid"])
                except curation.CurationError as error:
                    errors.append(f"{at}/members/{position}/orcid: {error}")
    return facility, errors


@transaction.atomic
def import_proposals(*, data: object) -> ImportResult:
    """Create or update the proposals of `data` (keyed by facility and number, the pid ingestion gives a proposal a
    file names) with their members, and suggest the session proposals they may own.

    Idempotent: a re-import updates in place and replaces each proposal's members with the file's. One transaction;
    raises ImportFailed with every problem before anything is written.
    """
    facility, errors = validate(data)
    if errors:
        raise ImportFailed(errors)
    assert isinstance(data, dict)
    created = updated = suggested = 0
    for entry in data["proposals"]:
        proposal, was_created = _upsert(facility, entry)
        created += was_created
        updated += not was_created
        suggested += len(suggest_sessions(proposal=proposal))
    return ImportResult(created=created, updated=updated, suggested=suggested)


def _upsert(facility: Facility, entry: dict[str, Any]) -> tuple[Document, bool]:
    zone = ZoneInfo(facility.time_zone or "UTC")
    start = _moment(entry.get("start_date"), time.min, zone)
    end = _moment(entry.get("end_date"), time.max, zone)
    fields = {
        "kind": DocumentKind.PROPOSAL,
        "facility": facility,
        "proposal_number": entry["number"],
        "title": entry["title"],
        "summary": entry.get("abstract", ""),
        "start_date": start,
        "end_date": end,
    }
    proposal, created = Document.objects.update_or_create(
        pid=f"{facility.pid_prefix}/proposal/{entry['number']}",
        defaults=fields,
        create_defaults=fields | {"licence": settings.DEFAULT_LICENCE},
    )
    matched = (instruments.match(facility=facility, name=name) for name in entry.get("instruments", []))
    proposal.instruments.set([instrument for instrument in matched if instrument is not None])  # validated above
    kept = [_member(proposal, member, position) for position, member in enumerate(entry["members"])]
    proposal.members.exclude(pk__in=kept).delete()
    return proposal, created


def _moment(value: str | None, at: time, zone: ZoneInfo) -> datetime | None:
    return datetime.combine(date.fromisoformat(value), at, tzinfo=zone) if value else None


def _member(proposal: Document, entry: dict[str, Any], position: int) -> int:
    orcid = curation.normalise_orcid(entry["orcid"]) if entry.get("orcid") else ""
    person = Person.objects.filter(orcid=orcid).first() if orcid else None
    if person is None:
        person = Person.objects.filter(full_name=entry["name"], memberships__document=proposal).first()
    names = {
        "full_name": entry["name"],
        "first_name": entry.get("given_name", ""),
        "last_name": entry.get("family_name", ""),
        "orcid": orcid,
    } | ({"email": entry["email"]} if entry.get("email") else {})
    if person is None:
        person = Person.objects.create(**names)
    else:
        Person.objects.filter(pk=person.pk).update(**names)
    member, _ = Member.objects.update_or_create(
        document=proposal,
        person=person,
        role=entry["role"],
        defaults={"affiliation": _affiliation(entry.get("affiliation")), "is_creator": True, "position": position},
    )
    return member.pk


def _affiliation(entry: dict[str, str] | None) -> Affiliation | None:
    if not entry:
        return None
    fields = {"name": entry["name"], "country": entry.get("country", ""), "ror_id": entry.get("ror", "")}
    found = Affiliation.objects.filter(**({"ror_id": entry["ror"]} if entry.get("ror") else fields)).first()
    if found is None:
        return Affiliation.objects.create(**fields)
    Affiliation.objects.filter(pk=found.pk).update(**fields)
    return found


def suggest_sessions(*, proposal: Document) -> list[SessionMatch]:
    """Suggest the session proposals of the proposal's instruments that fall within its dates (idempotent; a
    dismissed suggestion stays dismissed)."""
    if proposal.start_date is None or proposal.end_date is None:
        return []
    sessions = Document.objects.filter(
        kind=DocumentKind.SESSION,
        facility=proposal.facility_id,
        instrument__in=proposal.instruments.all(),
        start_date__gte=proposal.start_date,
        start_date__lte=proposal.end_date,
    ).select_related("instrument")
    matches = []
    for session in sessions:
        assert session.instrument is not None  # sessions are chosen by instrument
        match, _ = SessionMatch.objects.get_or_create(
            session=session,
            proposal=proposal,
            defaults={"reason": f"{session.instrument.name}, {session.start_date:%Y-%m-%d} within the proposal"},
        )
        matches.append(match)
    return matches


@transaction.atomic
def confirm(*, match: SessionMatch, by: visibility.User | None) -> int:
    """Move the session's datasets to the real proposal (a steward's explicit proposal choice is kept) and record who
    confirmed; other suggestions for the session are dismissed. Returns how many datasets moved. Idempotent."""
    if match.state == SessionMatch.State.CONFIRMED:
        return 0
    moving = list(
        Dataset.objects.filter(proposal=match.session)
        .exclude(curated_fields__contains=["proposal"])
        .values_list("pk", flat=True)
    )
    Dataset.objects.filter(pk__in=moving).update(proposal=match.proposal)
    for dataset in Dataset.objects.filter(pk__in=moving).select_related("proposal__facility", "instrument__facility"):
        embargo.refresh_release_dates(dataset)
    embargo.refresh_document_release_date(match.session)
    now = timezone.now()
    decider = by if by is not None and by.is_authenticated else None
    SessionMatch.objects.filter(pk=match.pk).update(
        state=SessionMatch.State.CONFIRMED, decided_by=decider, decided_at=now
    )
    SessionMatch.objects.filter(session=match.session, state=SessionMatch.State.SUGGESTED).exclude(pk=match.pk).update(
        state=SessionMatch.State.DISMISSED, decided_by=decider, decided_at=now
    )
    return len(moving)


def dismiss(*, match: SessionMatch, by: visibility.User | None) -> None:
    decider = by if by is not None and by.is_authenticated else None
    SessionMatch.objects.filter(pk=match.pk, state=SessionMatch.State.SUGGESTED).update(
        state=SessionMatch.State.DISMISSED, decided_by=decider, decided_at=timezone.now()
    )
