"""Landing fixtures: an open proposal with a rich record, an embargoed one carrying a leak token, a fake DataCite."""

import io
import math
from datetime import UTC, datetime

import pytest
from django.test import override_settings
from PIL import Image, ImageDraw

from catalogue.models import Document, DoiState, Preview
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
from tests.landing.fake_datacite import FakeDatacite

LEAK_TOKEN = "ZEBRAQUOKKA"


@pytest.fixture
def esrf(db):
    return FacilityFactory(
        short_name="ESRF",
        name="European Synchrotron Radiation Facility",
        ror_id="https://ror.org/02550n020",
        country="FR",
        time_zone="Europe/Paris",
        pid_prefix="esrf",
        latitude=45.2086,
        longitude=5.6900,
    )


@pytest.fixture
def open_proposal(esrf):
    """An open ESRF proposal with a DOI (local draft), two creators, one dataset with files, sample and technique."""
    proposal = ProposalFactory(
        facility=esrf,
        proposal_number="MA-5678",
        title="In-situ hydration of cement pastes by SAXS",
        summary="We followed the early hydration of Portland cement pastes with small-angle X-ray scattering.",
        doi="10.80000/ESRF-MA-5678",
        doi_state=DoiState.LOCAL_DRAFT,
        funding=[
            {
                "funder_name": "European Research Council",
                "funder_ror": "https://ror.org/0472cxd90",
                "award_number": "101000001",
            }
        ],
    )
    MemberFactory(
        document=proposal,
        position=0,
        person=PersonFactory(
            full_name="Ada Lovelace",
            first_name="Ada",
            last_name="Lovelace",
            orcid="0000-0002-1825-0097",
            email="ada.private@example.org",
        ),
        affiliation=AffiliationFactory(name="Lund University", ror_id="https://ror.org/012a77v79"),
    )
    MemberFactory(
        document=proposal,
        position=1,
        role="co-proposer",
        person=PersonFactory(
            full_name="Émile Ørsted",
            first_name="Émile",
            last_name="Ørsted",
            orcid="",
            email="emile.private@example.org",
        ),
        affiliation=None,
    )
    instrument = InstrumentFactory(facility=esrf, name="ID02", pid="esrf/instrument/id02")
    dataset = DatasetFactory(
        proposal=proposal,
        instrument=instrument,
        pid="esrf/dataset/000123",
        title="Cement paste w/c 0.4 at 25 °C",
        techniques=[TechniqueFactory(panet_id="PaNET01188", name="small angle x-ray scattering")],
        samples=[SampleFactory(pid="esrf/sample/1", name="Portland cement paste", chemical_formula="Ca3SiO5")],
        size=3 * 1024**2,
        number_of_files=3,
        definitions=["NXsas"],
        start_time=datetime(2020, 3, 14, 9, 0, tzinfo=UTC),
        end_time=datetime(2020, 3, 15, 21, 0, tzinfo=UTC),
    )
    for n in range(3):
        DataFileFactory(dataset=dataset, path=f"raw/cement_{n:03d}.nxs", size=1024**2)
    ParameterFactory(dataset=dataset)
    Preview.objects.create(dataset=dataset, png=saxs_curve_png(), width=480, height=320, signal_path="/entry/data/I")
    return proposal


@pytest.fixture
def registered_proposal(open_proposal):
    """The open proposal once DataCite has made its DOI findable: it resolves through doi.org."""
    Document.objects.filter(pk=open_proposal.pk).update(doi_state=DoiState.FINDABLE)
    open_proposal.refresh_from_db()
    return open_proposal


def saxs_curve_png() -> bytes:
    """A real PNG of a log-log scattering curve, as ingestion's default-plot thumbnails look."""
    width, height = 480, 320
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.line([(50, 20), (50, 280), (460, 280)], fill="black", width=2)
    points = [(50 + x, 280 - int(250 * math.exp(-x / 90) + 10 * math.sin(x / 12) ** 2)) for x in range(0, 410, 2)]
    draw.line(points, fill=(11, 92, 173), width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def embargoed_proposal(esrf):
    """A proposal measured yesterday (3-year embargo): its dataset title, sample, parameter and files carry a token."""
    proposal = ProposalFactory(
        facility=esrf,
        proposal_number="MX-9999",
        title="Structure of a membrane transporter",
        summary=f"Summary that mentions {LEAK_TOKEN} and must stay private.",
        keywords=[f"{LEAK_TOKEN}-keyword"],
        doi="10.80000/ESRF-MX-9999",
        doi_state=DoiState.LOCAL_DRAFT,
        start_date=None,
        end_date=None,
    )
    MemberFactory(
        document=proposal,
        person=PersonFactory(
            full_name="Grace Hopper",
            first_name="Grace",
            last_name="Hopper",
            orcid="0000-0001-5109-3700",
            email="grace.private@example.org",
        ),
    )
    dataset = DatasetFactory(
        proposal=proposal,
        instrument=InstrumentFactory(facility=esrf, name="ID23", pid="esrf/instrument/id23"),
        pid=f"esrf/dataset/{LEAK_TOKEN.lower()}",
        title=f"{LEAK_TOKEN} crystal 7",
        samples=[SampleFactory(pid="esrf/sample/secret", name=f"{LEAK_TOKEN} protein")],
        embargoed=True,
    )
    DataFileFactory(dataset=dataset, path=f"raw/{LEAK_TOKEN}_0001.h5")
    ParameterFactory(dataset=dataset, name=f"{LEAK_TOKEN}_parameter")
    proposal.refresh_from_db()
    return proposal


@pytest.fixture
def fake_datacite():
    fake = FakeDatacite().start()
    with override_settings(
        DATACITE_API_URL=fake.url,
        DATACITE_USERNAME=fake.username,
        DATACITE_PASSWORD=fake.password,
        DATACITE_PREFIX="10.80000",
        DATACITE_ATTEMPTS=3,
        DATACITE_BACKOFF_SECONDS=0.01,
    ):
        yield fake
    fake.stop()
