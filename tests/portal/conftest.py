"""A small catalogue for the portal: open SAXS, SANS and diffraction data at two facilities, and one embargoed
SAXS dataset whose instrument, file format and year appear nowhere else (so any leak is visible)."""

from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import UTC, datetime

import pytest
from django.core.cache import cache

from catalogue import panet, units
from catalogue.models import Dataset, Document, Instrument, SearchGroup, Technique
from catalogue.search import index
from catalogue.services.techniques import load_panet
from tests.conftest import refetched, shared_rows
from tests.factories import (
    DatasetFactory,
    FacilityFactory,
    InstrumentFactory,
    ParameterFactory,
    ProposalFactory,
    SampleFactory,
    TechniqueFactory,
)

SAXS, SANS, XRD, SAS = "PaNET01188", "PaNET01189", "PaNET01101", "PaNET01124"


def build_techniques() -> dict[str, Technique]:
    load_panet(vocabulary=panet.vocabulary())
    return {panet_id: TechniqueFactory(panet_id=panet_id) for panet_id in (SAXS, SANS, XRD)}


@pytest.fixture
def techniques(db) -> dict[str, Technique]:
    return build_techniques()


@dataclass
class Catalogue:
    glassy_carbon: Dataset
    sans: Dataset
    diffraction: Dataset
    embargoed: Dataset
    i22: Instrument
    loq: Instrument
    secret_beamline: Instrument


def parameter(dataset: Dataset, name: str, value: float, raw_unit: str) -> None:
    """A numeric parameter stored as ingestion stores it: raw as written, SI through catalogue.units."""
    unit = units.normalise_unit(raw_unit, quantity_name=name).unit
    si = units.to_si(value, unit)
    ParameterFactory(
        dataset=dataset,
        name=name,
        raw_value=str(value),
        raw_unit=raw_unit,
        value_number=value,
        unit=unit,
        value_si=si.value,
        unit_si=si.unit,
        dimension=si.dimension,
    )


def build_catalogue(techniques: dict[str, Technique], proposal: Document) -> Catalogue:
    dls = FacilityFactory(short_name="DLS", name="Diamond Light Source")
    isis = FacilityFactory(short_name="ISIS", name="ISIS Neutron and Muon Source")
    i22 = InstrumentFactory(facility=dls, name="I22")
    loq = InstrumentFactory(facility=isis, name="LOQ")
    secret_beamline = InstrumentFactory(facility=dls, name="SECRET-BL")
    mt9396 = ProposalFactory(facility=dls, proposal_number="mt9396-1", title="Carbon standards for SAXS")

    glassy_carbon = DatasetFactory(
        title="Glassy carbon SAXS calibration",
        instrument=i22,
        proposal=mt9396,
        techniques=[techniques[SAXS]],
        samples=[SampleFactory(name="glassy carbon")],
        start_time=datetime(2021, 6, 1, 9, tzinfo=UTC),
        end_time=datetime(2021, 6, 1, 10, tzinfo=UTC),
        size=3_000_000,
        number_of_files=2,
    )
    parameter(glassy_carbon, "sample_temperature", 25, "degC")
    parameter(glassy_carbon, "incident_wavelength", 1.0, "angstrom")
    parameter(glassy_carbon, "incident_photon_energy", 12.4, "keV")

    sans = DatasetFactory(
        title="Micelles in heavy water",
        instrument=loq,
        techniques=[techniques[SANS]],
        start_time=datetime(2019, 2, 1, 9, tzinfo=UTC),
        end_time=datetime(2019, 2, 1, 10, tzinfo=UTC),
        file_format="ISIS RAW",
        size=5_000,
    )
    parameter(sans, "sample_temperature", 400, "K")
    parameter(sans, "incident_wavelength_min", 2, "angstrom")
    parameter(sans, "incident_wavelength_max", 10, "angstrom")
    parameter(sans, "sample_pressure", 1, "bar")

    diffraction = DatasetFactory(
        title="Powder diffraction of cement",
        instrument=i22,
        techniques=[techniques[XRD]],
        start_time=datetime(2020, 3, 14, 9, tzinfo=UTC),
        end_time=datetime(2020, 3, 14, 10, tzinfo=UTC),
    )
    embargoed = DatasetFactory(
        title="Unpublished glassy carbon secret",
        instrument=secret_beamline,
        proposal=proposal,
        techniques=[techniques[SAXS]],
        file_format="TIFF-SECRET",
        embargoed=True,
    )
    return Catalogue(glassy_carbon, sans, diffraction, embargoed, i22, loq, secret_beamline)


@pytest.fixture
def catalogue(techniques, proposal) -> Catalogue:
    return build_catalogue(techniques, proposal)


@pytest.fixture(scope="module")
def _catalogue_of_module(django_db_setup, django_db_blocker) -> Iterator[Catalogue]:
    """The catalogue built once for a module's tests (tests.conftest.shared_rows), `proposal` holding the
    embargoed dataset."""
    with shared_rows(django_db_blocker):
        yield build_catalogue(build_techniques(), ProposalFactory())


@pytest.fixture
def shared_catalogue(_catalogue_of_module, db) -> Catalogue:
    """The module's catalogue, as the test's own copies of its records: a module overrides `catalogue` and
    `proposal` with this and `shared_proposal` to build it once (every write of a test is still undone after it)."""
    shared = _catalogue_of_module
    return Catalogue(**{field.name: refetched(getattr(shared, field.name)) for field in fields(Catalogue)})


@pytest.fixture
def shared_proposal(_catalogue_of_module, db) -> Document:
    return refetched(_catalogue_of_module.embargoed.proposal)


@pytest.fixture
def indexed(catalogue) -> Catalogue:
    """The catalogue with its relevance index built, as the Celery reindex tasks keep it in production."""
    for group in SearchGroup:
        index.rebuild(group=group)
    return catalogue


@pytest.fixture(autouse=True)
def fresh_cache():
    """Shared facet counts must never carry over from one test's catalogue to the next."""
    cache.clear()
    yield
    cache.clear()
