"""A seeded catalogue for the portal-filter, units, score and embargo tests (spec §12), built with the factories."""

from dataclasses import dataclass, field

from catalogue.models import Dataset, Document, Parameter, Technique
from catalogue.panet import vocabulary
from catalogue.panosc.fixture import parameter_fields
from catalogue.services.techniques import load_panet
from tests.catalogue.panosc.conftest import rebuild_index
from tests.factories import (
    AffiliationFactory,
    DataFileFactory,
    DatasetFactory,
    FacilityFactory,
    InstrumentFactory,
    MemberFactory,
    PersonFactory,
    ProposalFactory,
    SampleFactory,
)

SECRET = "qzxembargotoken"  # must never appear in any answer


def technique(panet_id: str) -> Technique:
    return Technique.objects.get(panet_id=panet_id)


def add_parameter(dataset: Dataset, name: str, value: object, unit: str = "") -> Parameter:
    return Parameter.objects.create(dataset=dataset, **parameter_fields(name, value, unit))


@dataclass
class Seeded:
    proposal: Document
    catalyst: Document
    datasets: dict[str, Dataset] = field(default_factory=dict)
    secret_only: Document | None = None


def seed() -> Seeded:
    load_panet(vocabulary=vocabulary())
    facility = FacilityFactory(short_name="PCD", name="PaN Commons Demo source", pid_prefix="pcd")
    sans = InstrumentFactory(facility=facility, name="SANS-1")
    proposal = ProposalFactory(
        facility=facility,
        pid="10.99999/PROP-2023-0417",
        doi="10.99999/PROP-2023-0417",
        title="Hydration of cement pastes by in-situ SANS",
        summary="We follow the early hydration of water in cement.",
    )
    MemberFactory(
        document=proposal,
        person=PersonFactory(full_name="Ada Example", orcid="0000-0002-1825-0097"),
        affiliation=AffiliationFactory(),
    )
    catalyst = ProposalFactory(
        facility=facility,
        title="Platinum catalyst under operando conditions",
        summary="Magnetic water catalysts.",
        keywords=[],
    )
    seeded = Seeded(proposal=proposal, catalyst=catalyst)

    def dataset(key: str, title: str, *, document: Document = proposal, **kwargs: object) -> Dataset:
        seeded.datasets[key] = DatasetFactory(proposal=document, instrument=sans, title=title, **kwargs)
        return seeded.datasets[key]

    d = dataset(
        "cement25", "Run 88412 cement paste 25 C", pid="10.99999/DS-88412", techniques=[technique("PaNET01189")]
    )
    add_parameter(d, "sample_temperature", 25, "celsius")
    DataFileFactory(dataset=d, path="raw/run88412.nxs", size=500)
    DataFileFactory(dataset=d, path="raw/run88412_big.nxs", size=9000)
    DataFileFactory(dataset=d, path="raw/notes.txt", size=20)
    add_parameter(dataset("cement30", "Cement paste 30 C"), "sample_temperature", 30, "celsius")
    add_parameter(dataset("cold", "Cold run in mK"), "sample_temperature", 150000, "mK")
    add_parameter(dataset("room", "Room temperature run"), "sample_temperature", 300, "K")
    add_parameter(dataset("wl_nm", "Wavelength in nm"), "incident_wavelength", 0.2, "nm")
    add_parameter(dataset("wl_a", "Wavelength in Angstrom"), "incident_wavelength", 1.0, "Angstrom")
    add_parameter(dataset("e_ev", "Energy in eV"), "incident_photon_energy", 8500, "eV")
    add_parameter(dataset("e_kev", "Energy in keV"), "incident_photon_energy", 8.5, "keV")
    add_parameter(dataset("fe", "Haematite"), "sample_chemical_formula", "Fe2O3")
    add_parameter(dataset("fe_h2o", "Hydrated haematite"), "sample_chemical_formula", "Fe2O3·H2O")
    add_parameter(dataset("fe_lower", "Lower-case formula"), "sample_chemical_formula", "fe2o3")
    dataset("xas", "XAS scan", techniques=[technique("PaNET01196")])
    dataset("microxas", "Microfocus XAS scan", techniques=[technique("PaNET01322")])
    good = dataset("pt_good", "Pt nanoparticles operando", document=catalyst, techniques=[technique("PaNET01188")])
    add_parameter(good, "sample_chemical_formula", "Pt/Al2O3")
    add_parameter(good, "incident_photon_energy", 11.5, "keV")
    add_parameter(good, "sample_temperature", 300, "K")
    partial = dataset("pt_partial", "Pt reference foil", document=catalyst, techniques=[technique("PaNET01188")])
    add_parameter(partial, "sample_chemical_formula", "Pt")
    add_parameter(partial, "incident_photon_energy", 11.5, "keV")
    add_parameter(partial, "sample_temperature", 20, "K")  # outside 250-350 K
    # the embargoed dataset: in the open proposal, and alone in a second one
    secret = dataset(
        "secret",
        f"Secret {SECRET} run",
        embargoed=True,
        techniques=[technique("PaNET01189")],
        samples=[SampleFactory(name=f"sample {SECRET}", description=SECRET)],
    )
    add_parameter(secret, "sample_chemical_formula", SECRET)
    add_parameter(secret, f"{SECRET}_param", 1.0, "K")
    DataFileFactory(dataset=secret, path=f"raw/{SECRET}.nxs")
    seeded.secret_only = ProposalFactory(facility=facility, title=f"Proposal {SECRET}", summary=SECRET)
    dataset("secret2", f"Another {SECRET}", document=seeded.secret_only, embargoed=True)
    rebuild_index()
    return seeded
