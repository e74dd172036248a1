"""A dataset built to pass every FAIR check, and the pieces the tests change to make one check fail."""

import pytest

from catalogue.models import DoiState, RelatedWork
from tests.factories import (
    AffiliationFactory,
    DataFileFactory,
    DatasetFactory,
    FacilityFactory,
    InstrumentFactory,
    MemberFactory,
    ParameterFactory,
    PersonFactory,
    ProposalFactory,
    SampleFactory,
    TechniqueFactory,
)


@pytest.fixture
def complete_dataset(db):
    """Open raw data cited through a findable DOI, with everything the checks look for."""
    facility = FacilityFactory(short_name="FAIRSRC")
    proposal = ProposalFactory(facility=facility, doi="10.80000/FAIR-1", doi_state=DoiState.FINDABLE)
    for position in range(2):
        MemberFactory(
            document=proposal,
            position=position,
            person=PersonFactory(orcid="0000-0002-1825-0097"),
            affiliation=AffiliationFactory(ror_id="https://ror.org/012a77v79"),
        )
    RelatedWork.objects.create(document=proposal, identifier="10.1107/S1600577522001234")
    dataset = DatasetFactory(
        proposal=proposal,
        instrument=InstrumentFactory(facility=facility, name="ES1", pid="10.15151/ESRF-ES-90632078"),
        title="Cement paste w/c 0.4 at 25 °C",
        description="Small-angle scattering of a hydrating Portland cement paste, followed for 36 hours at 25 °C.",
        keywords=["cement", "hydration"],
        techniques=[TechniqueFactory()],
        samples=[SampleFactory()],
        software_name="GDA",
        software_version="9.2",
        definitions=["NXsas"],
        source_path="/data/raw/cement_0001.nxs",
    )
    ParameterFactory(dataset=dataset)
    DataFileFactory(dataset=dataset, path="raw/cement_0001.nxs")
    return dataset
