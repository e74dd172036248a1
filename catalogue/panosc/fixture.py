"""Loads the PaNOSC reference implementation's fixture (panosc-eu/search-api data/db.json) into the catalogue,
so that the reference test suite's requests can be replayed against our endpoint (spec §13.1).

Mapping to our model: the "publication" document becomes a published collection; the "proposal" document a
proposal; datasets the fixture places in no proposal join a per-instrument session proposal (access-policy.md);
techniques are the PaNET terms named by their panetId; parameters keep their raw value and unit and get SI values.
"""

import json
from datetime import datetime
from pathlib import Path

from django.db import transaction

from catalogue import units
from catalogue.models import (
    Affiliation,
    DataFile,
    Dataset,
    Document,
    DocumentKind,
    Facility,
    Instrument,
    Member,
    Parameter,
    Person,
    Sample,
    Technique,
)
from catalogue.panet import vocabulary
from catalogue.search.techniques import normalise_panet_id
from catalogue.services.techniques import load_panet


def _records(models: dict, name: str) -> list[dict]:
    return [json.loads(text) for text in models.get(name, {}).values()]


def parameter_fields(name: str, value: object, unit: str) -> dict:
    """Raw value and unit as given, plus the SI value when the value is a number in a physical unit."""
    fields: dict = {"name": name, "raw_value": str(value), "raw_unit": unit or ""}
    if isinstance(value, int | float) and not isinstance(value, bool):
        fields["value_number"] = float(value)
        normalised = units.normalise_unit(unit, quantity_name=name)
        fields["unit"] = normalised.unit
        fields["is_physical"] = normalised.is_physical
        if normalised.is_physical and normalised.unit:
            si = units.to_si(float(value), normalised.unit)
            fields.update(value_si=si.value, unit_si=si.unit, dimension=si.dimension)
    else:
        fields["value_text"] = str(value)
    return fields


@transaction.atomic
def load_reference_fixture(*, path: Path) -> dict[str, int]:
    """Idempotent: records are upserted by pid; returns how many of each kind the fixture holds."""
    models = json.loads(path.read_text(encoding="utf-8"))["models"]
    load_panet(vocabulary=vocabulary())
    facility, _ = Facility.objects.get_or_create(
        short_name="ESS", defaults={"name": "European Spallation Source", "pid_prefix": "ess", "country": "SE"}
    )
    instruments = {}
    for record in _records(models, "Instrument"):
        instruments[record["pid"]], _ = Instrument.objects.update_or_create(
            pid=record["pid"], defaults={"name": record["name"], "facility": facility}
        )
    documents = {}
    for record in _records(models, "Document"):
        kind = DocumentKind.COLLECTION if record["type"] == "publication" else DocumentKind.PROPOSAL
        documents[record["pid"]], _ = Document.objects.update_or_create(
            pid=record["pid"],
            defaults={
                "kind": kind,
                "title": record["title"],
                "doi": record["pid"],
                "facility": facility,
                "open_now": True,
                "published_at": datetime.fromisoformat("2020-05-05T15:01:02+00:00"),
            },
        )
    proposal_of = {}
    for link in _records(models, "DocumentDataset"):
        if documents[link["documentId"]].kind != DocumentKind.COLLECTION:
            proposal_of[link["datasetId"]] = documents[link["documentId"]]
    datasets = {}
    for record in _records(models, "Dataset"):
        created = datetime.fromisoformat(record["creationDate"].replace("Z", "+00:00"))
        instrument = instruments.get(record.get("instrumentId"))
        proposal = proposal_of.get(record["pid"]) or _session(instrument, facility, created)
        datasets[record["pid"]], _ = Dataset.objects.update_or_create(
            pid=record["pid"],
            defaults={
                "title": record["title"],
                "creation_time": created,
                "start_time": created,
                "instrument": instrument,
                "proposal": proposal,
                "release_date": created,
                "open_now": True,
            },
        )
    for link in _records(models, "DocumentDataset"):
        document = documents[link["documentId"]]
        if document.kind == DocumentKind.COLLECTION:
            document.collected_datasets.add(datasets[link["datasetId"]])
    techniques = {}
    for record in _records(models, "Technique"):
        techniques[record["pid"]] = Technique.objects.get(panet_id=normalise_panet_id(record["panetId"]))
    for link in _records(models, "DatasetTechnique"):
        datasets[link["datasetId"]].techniques.add(techniques[link["techniqueId"]])
    samples = {}
    for record in _records(models, "Sample"):
        samples[record["pid"]], _ = Sample.objects.update_or_create(
            pid=record["pid"], defaults={"name": record["name"]}
        )
    for link in _records(models, "DatasetSample"):
        datasets[link["datasetId"]].samples.add(samples[link["sampleId"]])
    for record in _records(models, "File"):
        DataFile.objects.update_or_create(dataset=datasets[record["datasetId"]], path=record["name"])
    for record in _records(models, "Parameter"):
        owner = (
            {"dataset": datasets[record["datasetId"]]}
            if "datasetId" in record
            else {"document": documents[record["documentId"]]}
        )
        fields = parameter_fields(record["name"], record["value"], record.get("unit", ""))
        Parameter.objects.update_or_create(**owner, name=record["name"], defaults=fields)
    affiliations = {}
    for record in _records(models, "Affiliation"):
        affiliations[record["id"]], _ = Affiliation.objects.update_or_create(
            name=record["name"],
            defaults={key: record.get(key, "") for key in ("address", "city", "country")},
        )
    people = {}
    for record in _records(models, "Person"):
        people[record["id"]] = Person.objects.filter(full_name=record["fullName"]).first() or Person.objects.create(
            full_name=record["fullName"]
        )
    for record in _records(models, "Member"):
        Member.objects.update_or_create(
            document=documents[record["documentId"]],
            person=people[record["personId"]],
            role=record["role"],
            defaults={"affiliation": affiliations.get(record.get("affiliationId"))},
        )
    return {name: len(models.get(name, {})) for name in ("Dataset", "Document", "Instrument", "Parameter", "File")}


def _session(instrument: Instrument | None, facility: Facility, day: datetime) -> Document:
    name = instrument.name if instrument else facility.short_name
    pid = f"{facility.pid_prefix}/session/{name.lower()}/{day:%Y-%m-%d}"
    session, _ = Document.objects.get_or_create(
        pid=pid,
        defaults={
            "kind": DocumentKind.SESSION,
            "title": f"{name} session {day:%Y-%m-%d}",
            "facility": facility,
            "instrument": instrument,
            "open_now": True,
        },
    )
    return session
