"""A realistic synthetic catalogue for benchmarks and demos (`manage.py generate_catalogue --datasets N`).

Facilities, instruments with PaNET techniques, proposals with teams, datasets with ~10 typed parameters in mixed
units and ~5 files each, written with COPY in batches so that a million datasets take minutes. Deterministic for a
given seed. SI values come from per-unit affine factors (pint once per unit, not per row).
"""

import io
import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection, models, transaction
from django.utils import timezone

from catalogue import units
from catalogue.models import (
    Affiliation,
    DataFile,
    Dataset,
    Document,
    Facility,
    Instrument,
    Member,
    Parameter,
    Person,
    Sample,
    Technique,
)
from catalogue.panet import vocabulary
from catalogue.services.techniques import load_panet

BATCH = 20_000
DATASETS_PER_PROPOSAL = 20

FACILITIES = [
    ("SYN-X", "Synthetic X-ray Light Source", "DE"),
    ("SYN-N", "Synthetic Neutron Source", "FR"),
    ("SYN-F", "Synthetic Free-Electron Laser", "CH"),
    ("SYN-M", "Synthetic Muon Source", "GB"),
]
TECHNIQUES = [
    "PaNET01188",  # small angle x-ray scattering
    "PaNET01189",  # small angle neutron scattering
    "PaNET01196",  # x-ray absorption spectroscopy
    "PaNET01200",  # x-ray emission spectroscopy
    "PaNET01227",  # x-ray absorption
    "PaNET01322",  # microfocus x-ray absorption spectroscopy
    "PaNET01183",  # resonant inelastic x-ray scattering
    "PaNET01162",  # grazing incidence small angle x-ray scattering
    "PaNET01313",  # magnetic x-ray tomography
    "PaNET01275",  # anomalous solution x-ray scattering
]
MATERIALS = [
    ("cement paste", "CaSiO3"),
    ("perovskite thin film", "CH3NH3PbI3"),
    ("lysozyme crystal", "C613H959N193O185S10"),
    ("platinum catalyst", "Pt/Al2O3"),
    ("lithium battery cathode", "LiFePO4"),
    ("graphene oxide", "C2O"),
    ("zeolite framework", "Na2Al2Si3O10"),
    ("protein solution", "H2O"),
    ("magnetite nanoparticles", "Fe3O4"),
    ("steel weld", "Fe"),
    ("haematite powder", "Fe2O3"),
    ("copper foil", "Cu"),
    ("silicon wafer", "Si"),
    ("polymer blend", "C8H8"),
    ("ice sample", "H2O"),
    ("glassy carbon standard", "C"),
    ("liquid crystal", "C18H19N"),
]
ACTIONS = ["in-situ", "operando", "time-resolved", "temperature-dependent", "high-pressure", "ex-situ", "ambient"]
TOPICS = [
    "hydration",
    "phase transition",
    "degradation",
    "crystallisation",
    "magnetic order",
    "strain mapping",
    "catalytic activity",
    "ion diffusion",
    "self-assembly",
    "corrosion",
    "nucleation",
    "charge ordering",
]
# name, units it is written in, low, high (in the first unit)
QUANTITIES = [
    ("sample_temperature", ["K", "celsius", "mK"], 4, 600),
    ("incident_wavelength", ["angstrom", "nm"], 0.5, 12),
    ("incident_photon_energy", ["eV", "keV"], 250, 30000),
    ("sample_pressure", ["Pa", "bar", "mbar"], 1e-5, 1e9),
    ("exposure_time", ["s", "ms"], 0.001, 600),
    ("detector_distance", ["m", "mm"], 0.1, 20),
    ("beam_current", ["mA"], 1, 500),
    ("sample_mass", ["mg", "g"], 0.1, 5000),
    ("monochromator_angle", ["deg", "rad"], 1, 80),
]
FIRST_NAMES = ["Ada", "Lise", "Marie", "Ernest", "Dorothy", "Rosalind", "Max", "Niels", "Chen", "Aiko", "Ravi", "Olga"]
LAST_NAMES = ["Meitner", "Curie", "Hodgkin", "Franklin", "Bragg", "Laue", "Bohr", "Wu", "Tanaka", "Raman", "Shull"]


@dataclass(frozen=True)
class Affine:
    scale: float
    offset: float
    dimension: str
    unit_si: str


def _affine(unit: str) -> Affine:
    zero, one = units.to_si(0.0, unit), units.to_si(1.0, unit)
    return Affine(one.value - zero.value, zero.value, zero.dimension, zero.unit)


class Copier:
    """COPY rows of one model: the given columns from each row, every other column at its model default."""

    def __init__(self, model: type[models.Model], columns: list[str]) -> None:
        self.model = model
        fields = {field.column: field for field in model._meta.concrete_fields}
        self.columns = columns
        # Columns with a database default (and their triggers, e.g. record_changed_at) are left to PostgreSQL.
        self.rest = [
            column
            for column in fields
            if column not in columns and column != "id" and not fields[column].has_db_default()
        ]
        now = timezone.now()
        defaults = []
        for column in self.rest:
            field = fields[column]
            value = now if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False) else None
            if value is None:
                value = field.get_default()  # "" for blank text columns without a default, None if nullable
            defaults.append(_text(value))
        self.suffix = ("\t" + "\t".join(defaults)) if defaults else ""
        self.buffer = io.StringIO()
        self.pending = 0

    def add(self, values: Iterable[object]) -> None:
        self.buffer.write("\t".join(_text(value) for value in values) + self.suffix + "\n")
        self.pending += 1
        if self.pending >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        table = self.model._meta.db_table
        names = ", ".join(f'"{column}"' for column in self.columns + self.rest)
        with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            copy.write(self.buffer.getvalue())
        self.buffer = io.StringIO()
        self.pending = 0


def _text(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return "{" + ",".join('"' + str(item).replace('"', '\\"') + '"' for item in value) + "}"
    if isinstance(value, dict):
        value = json.dumps(value)
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def _next_id(model: type[models.Model]) -> int:
    return (model._default_manager.aggregate(top=models.Max("pk"))["top"] or 0) + 1


def _reset_sequences(*model_list: type[models.Model]) -> None:
    with connection.cursor() as cursor:
        for model in model_list:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT max(id) FROM {table}), 1))"
            )


@transaction.atomic
def generate(
    *, datasets: int, seed: int = 1, embargoed_share: float = 0.1, progress: Callable[[str], None] | None = None
) -> dict[str, int]:
    """Add `datasets` synthetic datasets (and their proposals, parameters, files); returns the counts written."""
    rng = random.Random(seed)
    report = progress or (lambda message: None)
    load_panet(vocabulary=vocabulary())
    techniques = dict(Technique.objects.filter(panet_id__in=TECHNIQUES).values_list("panet_id", "pk"))
    technique_ids = [techniques[panet_id] for panet_id in TECHNIQUES if panet_id in techniques]
    instruments = []
    for short, name, country in FACILITIES:
        facility, _ = Facility.objects.get_or_create(
            short_name=short, defaults={"name": name, "country": country, "pid_prefix": short.lower()}
        )
        for number in range(6):
            instrument, _ = Instrument.objects.get_or_create(
                facility=facility,
                name=f"{short}-BL{number:02d}",
                defaults={
                    "pid": f"{short.lower()}/instrument/bl{number:02d}",
                    "description": f"Beamline {number} of the {name}",
                },
            )
            instrument.techniques.set(rng.sample(technique_ids, 3))
            instruments.append(instrument)
    people = [
        Person(full_name=f"{first} {last}", first_name=first, last_name=last)
        for first in FIRST_NAMES
        for last in LAST_NAMES
    ]
    Person.objects.bulk_create(people)
    affiliation = Affiliation.objects.create(name="Synthetic University", city="Grenoble", country="France")
    samples = Sample.objects.bulk_create(
        [
            Sample(
                pid=f"syn/sample/{seed}/{index}",
                name=f"{material} sample {index}",
                chemical_formula=formula,
                description=f"{material} prepared for {rng.choice(TOPICS)} studies",
            )
            for index, (material, formula) in enumerate(MATERIALS * 20)
        ]
    )
    affines = {unit: _affine(unit) for _, unit_list, _, _ in QUANTITIES for unit in unit_list}

    proposals = max(1, datasets // DATASETS_PER_PROPOSAL)
    first_document = _next_id(Document)
    documents = Copier(
        Document,
        [
            "id",
            "kind",
            "pid",
            "proposal_number",
            "facility_id",
            "title",
            "summary",
            "keywords",
            "licence",
            "doi",
            "doi_state",
            "start_date",
            "end_date",
            "release_date",
        ],
    )
    members = Copier(Member, ["document_id", "person_id", "affiliation_id", "role", "position"])
    now = timezone.now()
    proposal_plan = []
    for index in range(proposals):
        material, _ = rng.choice(MATERIALS)
        topic, action = rng.choice(TOPICS), rng.choice(ACTIONS)
        instrument = rng.choice(instruments)
        start = datetime(2015, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(0, 4000))
        embargoed = rng.random() < embargoed_share
        if embargoed:
            start = now - timedelta(days=rng.randrange(1, 300))
        release = start + timedelta(days=3 * 365 + 3)
        pid = f"10.80000/SYN-{seed}-{index:07d}"
        documents.add(
            [
                first_document + index,
                "proposal",
                pid,
                f"syn{seed}-{index}",
                instrument.facility_id,
                f"{action.capitalize()} study of {topic} in {material}",
                f"We propose to follow the {topic} of {material} by {action} measurements at {instrument.name}. "
                f"The results will clarify the mechanism of {topic} under realistic conditions.",
                [material, topic],
                "CC-BY-4.0",
                pid,
                "findable",  # as if registered with DataCite: OAI-PMH harvests findable DOIs only
                start,
                start + timedelta(days=3),
                release,
            ]
        )
        for position, person in enumerate(rng.sample(people, 2)):
            members.add(
                [
                    first_document + index,
                    person.pk,
                    affiliation.pk,
                    "principal investigator" if position == 0 else "co-proposer",
                    position,
                ]
            )
        proposal_plan.append((first_document + index, instrument, material, topic, start, release))
    documents.flush()
    members.flush()
    report(f"{proposals} proposals")

    first_dataset = _next_id(Dataset)
    rows = Copier(
        Dataset,
        [
            "id",
            "pid",
            "title",
            "description",
            "keywords",
            "creation_time",
            "start_time",
            "end_time",
            "size",
            "number_of_files",
            "proposal_id",
            "instrument_id",
            "release_date",
            "file_format",
            "ingested_at",
        ],
    )
    dataset_techniques = Copier(Dataset.techniques.through, ["dataset_id", "technique_id"])
    dataset_samples = Copier(Dataset.samples.through, ["dataset_id", "sample_id"])
    parameters = Copier(
        Parameter,
        [
            "dataset_id",
            "name",
            "raw_value",
            "raw_unit",
            "value_number",
            "value_text",
            "unit",
            "value_si",
            "unit_si",
            "dimension",
            "is_physical",
        ],
    )
    data_files = Copier(DataFile, ["dataset_id", "path", "size", "checksum", "checksum_algorithm"])
    for index in range(datasets):
        dataset_id = first_dataset + index
        document_id, instrument, material, topic, start, release = proposal_plan[index % proposals]
        taken = start + timedelta(minutes=17 * (index // proposals))
        files = rng.randint(3, 7)
        file_sizes = [rng.randint(10_000, 2_000_000_000) for _ in range(files)]
        temperature = rng.uniform(4, 600)
        run = 10_000 + index
        rows.add(
            [
                dataset_id,
                f"syn/{seed}/ds/{index:08d}",
                f"Run {run} {material} {topic} at {temperature:.0f} K",
                f"{rng.choice(ACTIONS).capitalize()} measurement of {material} on {instrument.name}.",
                [topic],
                taken,
                taken,
                taken + timedelta(minutes=15),
                sum(file_sizes),
                files,
                document_id,
                instrument.pk,
                release,
                "NeXus/HDF5",
                taken,
            ]
        )
        for technique_id in rng.sample(technique_ids, rng.randint(1, 2)):
            dataset_techniques.add([dataset_id, technique_id])
        dataset_samples.add([dataset_id, rng.choice(samples).pk])
        for name, unit_list, low, high in QUANTITIES:
            unit = rng.choice(unit_list)
            value = rng.uniform(low, high)
            if unit != unit_list[0]:
                value = _convert(value, unit_list[0], unit, affines)
            affine = affines[unit]
            parameters.add(
                [
                    dataset_id,
                    name,
                    f"{value:.6g}",
                    unit,
                    float(f"{value:.6g}"),
                    None,
                    units.normalise_unit(unit).unit,
                    float(f"{value:.6g}") * affine.scale + affine.offset,
                    affine.unit_si,
                    affine.dimension,
                    True,
                ]
            )
        parameters.add(
            [
                dataset_id,
                "sample_chemical_formula",
                MATERIALS[index % len(MATERIALS)][1],
                "",
                None,
                MATERIALS[index % len(MATERIALS)][1],
                "",
                None,
                "",
                "",
                False,
            ]
        )
        for number, size in enumerate(file_sizes):
            data_files.add([dataset_id, f"raw/run{run}/scan_{number:04d}.nxs", size, "", ""])
        if (index + 1) % 100_000 == 0:
            report(f"{index + 1} datasets")
    for copier in (rows, dataset_techniques, dataset_samples, parameters, data_files):
        copier.flush()
    _reset_sequences(
        Document, Member, Dataset, Parameter, DataFile, Dataset.techniques.through, Dataset.samples.through
    )
    with connection.cursor() as cursor:
        for model in (Document, Dataset, Parameter, DataFile):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
    return {"proposals": proposals, "datasets": datasets}


def _convert(value: float, from_unit: str, to_unit: str, affines: dict[str, Affine]) -> float:
    source, target = affines[from_unit], affines[to_unit]
    return (value * source.scale + source.offset - target.offset) / target.scale
