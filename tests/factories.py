"""factory_boy factories for the catalogue, with deterministic values for anything a test asserts."""

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import models
from django.utils import timezone

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
from catalogue.services import embargo

T = TypeVar("T", bound=models.Model)


class ModelFactory(factory.django.DjangoModelFactory[T]):
    """factory_boy's Django factory, typed: calling a factory gives its model's instance."""

    class Meta:
        abstract = True

    if TYPE_CHECKING:
        # factory_boy's metaclass returns the built model, which mypy cannot see through an untyped __call__.
        def __new__(cls, *args: Any, **kwargs: Any) -> T: ...  # type: ignore[misc]


class UserFactory(ModelFactory[User]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class FacilityFactory(ModelFactory[Facility]):
    class Meta:
        model = Facility
        django_get_or_create = ("short_name",)

    short_name = factory.Sequence(lambda n: f"FAC{n}")
    name = factory.LazyAttribute(lambda f: f"{f.short_name} Light Source")
    ror_id = "https://ror.org/03eh3y714"
    country = "CH"
    time_zone = "Europe/Zurich"
    pid_prefix = factory.LazyAttribute(lambda f: f.short_name.lower())


class InstrumentFactory(ModelFactory[Instrument]):
    class Meta:
        model = Instrument
        django_get_or_create = ("pid",)

    facility = factory.SubFactory(FacilityFactory)
    name = factory.Sequence(lambda n: f"BL{n:02d}")
    pid = factory.LazyAttribute(lambda i: f"{i.facility.pid_prefix}/instrument/{i.name.lower()}")


class TechniqueFactory(ModelFactory[Technique]):
    """A PaNET term by id; the row is created with the given label when load_panet has not run."""

    class Meta:
        model = Technique
        django_get_or_create = ("panet_id",)

    panet_id = "PaNET01188"
    pid = factory.LazyAttribute(lambda t: f"http://purl.org/pan-science/PaNET/{t.panet_id}")
    name = "small angle x-ray scattering"


class PersonFactory(ModelFactory[Person]):
    class Meta:
        model = Person

    full_name = factory.Sequence(lambda n: f"Ada Example{n}")
    first_name = "Ada"
    last_name = factory.Sequence(lambda n: f"Example{n}")
    orcid = "0000-0002-1825-0097"
    email = factory.Sequence(lambda n: f"ada{n}@example.org")


class AffiliationFactory(ModelFactory[Affiliation]):
    class Meta:
        model = Affiliation

    name = "Example University"
    ror_id = "https://ror.org/012a77v79"
    city = "Lund"
    country = "Sweden"


class ProposalFactory(ModelFactory[Document]):
    class Meta:
        model = Document

    kind = DocumentKind.PROPOSAL
    facility = factory.SubFactory(FacilityFactory)
    proposal_number: object = factory.Sequence(lambda n: f"mx{1000 + n}-1")
    pid: object = factory.LazyAttribute(lambda p: f"{p.facility.pid_prefix}/proposal/{p.proposal_number}")
    title = factory.Sequence(lambda n: f"Proposal {n}: hydration of cement pastes")
    summary = "We follow the early hydration of cement by in-situ scattering."
    keywords = factory.LazyFunction(lambda: ["cement", "hydration"])
    licence = "CC-BY-4.0"
    start_date = datetime(2020, 3, 14, 8, 0, tzinfo=UTC)
    end_date = datetime(2020, 3, 17, 8, 0, tzinfo=UTC)


class CollectionFactory(ProposalFactory):
    kind = DocumentKind.COLLECTION
    pid = factory.Sequence(lambda n: f"collection/{n}")
    proposal_number = ""
    published_at = factory.LazyFunction(timezone.now)


class MemberFactory(ModelFactory[Member]):
    class Meta:
        model = Member

    document = factory.SubFactory(ProposalFactory)
    person = factory.SubFactory(PersonFactory)
    affiliation = factory.SubFactory(AffiliationFactory)
    role = "principal investigator"


class DatasetFactory(ModelFactory[Dataset]):
    """An open dataset measured in 2020; `embargoed=True` makes it measured yesterday (3-year embargo)."""

    class Meta:
        model = Dataset
        skip_postgeneration_save = True

    class Params:
        embargoed = factory.Trait(
            start_time=factory.LazyFunction(lambda: timezone.now() - timedelta(days=1)),
            end_time=factory.LazyFunction(lambda: timezone.now() - timedelta(hours=20)),
        )

    pid = factory.Sequence(lambda n: f"fac/dataset/{n:06d}")
    title = factory.Sequence(lambda n: f"Run {n} glassy carbon standard")
    description = "Calibration measurement."
    instrument = factory.SubFactory(InstrumentFactory)
    proposal = factory.SubFactory(ProposalFactory, facility=factory.SelfAttribute("..instrument.facility"))
    start_time = datetime(2020, 3, 14, 9, 26, 53, tzinfo=UTC)
    end_time = datetime(2020, 3, 14, 10, 0, 0, tzinfo=UTC)
    ingested_at = factory.LazyFunction(timezone.now)
    creation_time = factory.LazyAttribute(lambda d: d.start_time or d.ingested_at)
    size = 0
    number_of_files = 0
    file_format = "NeXus/HDF5"
    release_date = factory.LazyFunction(timezone.now)  # replaced by the embargo rule after creation

    @factory.post_generation
    def techniques(self, create: bool, extracted: list[Technique] | None, **kwargs: object) -> None:
        if create and extracted:
            self.techniques.set(extracted)

    @factory.post_generation
    def samples(self, create: bool, extracted: list[Sample] | None, **kwargs: object) -> None:
        if create and extracted:
            self.samples.set(extracted)

    @factory.post_generation
    def apply_embargo_rule(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            # factory_boy calls a post-generation hook with the built model as `self`.
            embargo.refresh_release_dates(self)  # type: ignore[arg-type]


class SampleFactory(ModelFactory[Sample]):
    class Meta:
        model = Sample

    pid = factory.Sequence(lambda n: f"sample/{n}")
    name = "glassy carbon"
    chemical_formula = "C"


class DataFileFactory(ModelFactory[DataFile]):
    class Meta:
        model = DataFile

    dataset = factory.SubFactory(DatasetFactory)
    path = factory.Sequence(lambda n: f"raw/scan_{n:05d}.nxs")
    size = 1024
    checksum = "0" * 128
    checksum_algorithm = "blake2b"


class ParameterFactory(ModelFactory[Parameter]):
    """25 °C by default; `wavelength=True` makes it 0.73 Å, `energy=True` 16.9 keV."""

    class Meta:
        model = Parameter

    class Params:
        wavelength = factory.Trait(
            raw_value="0.73",
            raw_unit="Å",
            value_number=0.73,
            unit="angstrom",
            value_si=7.3e-11,
            unit_si="meter",
            dimension="[length]",
        )
        energy = factory.Trait(
            raw_value="16.9",
            raw_unit="keV",
            value_number=16.9,
            unit="keV",
            value_si=2.7077e-15,
            unit_si="kilogram * meter ** 2 / second ** 2",
            dimension="[energy]",
        )

    dataset = factory.SubFactory(DatasetFactory)
    name = "sample_temperature"
    raw_value = "25"
    raw_unit = "degC"
    value_number = 25.0
    unit = "degC"
    value_si = 298.15
    unit_si = "kelvin"
    dimension = "[temperature]"
