"""User-office import over HTTP: good and bad files (each error named, nothing half-written), idempotence, the CSV
variant, the matching of ingested session proposals a steward confirms, and the DataCite XML of an imported proposal."""

import copy
import io
import json
from pathlib import Path

import pytest
import xmlschema
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from lxml import etree

from catalogue.models import Affiliation, Dataset, Document, Member, Person, SessionMatch
from landing.datacite import metadata
from landing.datacite import xml as datacite_xml
from tests.standards import DATACITE_XSD

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(shared_registry) -> None:
    """The facility registry and PaNET loaded once for the module (tests/ingest/conftest.py)."""


DMC = "exampledata/PSI_SINQ_DMC_dmc01.h5"  # SINQ, DMC, measured 2005-05-27, no proposal number: a session
URL = "/api/v1/user-office/proposals/"
ADA_ORCID = "0000-0002-1825-0097"
PSI_ROR = "https://ror.org/03eh3y714"
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
GOOD = json.loads((EXAMPLES / "user-office-proposals.json").read_text(encoding="utf-8"))
CSV = (EXAMPLES / "user-office-proposals.csv").read_text(encoding="utf-8")


@pytest.fixture
def session(ingest) -> Document:
    job = ingest(DMC)
    return Dataset.objects.get(pk=job.dataset_id).proposal


def post_json(client, data: object):
    return client.post(URL, json.dumps(data), content_type="application/json")


def counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (Document, Member, Person, Affiliation, SessionMatch))


def test_good_file_creates_the_proposal_with_its_team_and_suggests_the_session(session, steward_client):
    response = post_json(steward_client, GOOD)
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 1, "updated": 0, "suggested": 1}
    proposal = Document.objects.get(pid="psi.sinq/proposal/20050042")
    assert proposal.kind == "proposal" and proposal.title == "Magnetic order in Ga1-xMnxSb"
    assert [i.name for i in proposal.instruments.all()] == ["DMC"]
    ada = proposal.members.get(role="principal investigator")
    assert (ada.person.orcid, ada.affiliation.ror_id, ada.position) == (ADA_ORCID, PSI_ROR, 0)
    match = SessionMatch.objects.get()
    assert (match.session, match.proposal, match.state) == (session, proposal, "suggested")
    assert session.datasets.count() == 1  # nothing moves before a steward confirms


def test_reimport_updates_without_duplicates(session, steward_client):
    post_json(steward_client, GOOD)
    before = counts()
    changed = copy.deepcopy(GOOD)
    changed["proposals"][0]["title"] = "Magnetic order in GaMnSb, revised"
    response = post_json(steward_client, changed)
    assert response.json() == {"created": 0, "updated": 1, "suggested": 1}
    assert counts() == before
    assert Document.objects.get(pid="psi.sinq/proposal/20050042").title.endswith("revised")


def test_csv_variant_is_the_same_import(session, steward_client):
    response = steward_client.post(URL, CSV, content_type="text/csv")
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 1
    before = counts()
    assert post_json(steward_client, GOOD).json() == {"created": 0, "updated": 1, "suggested": 1}
    assert counts() == before


def test_bad_file_names_every_error_and_writes_nothing(session, steward_client):
    bad = copy.deepcopy(GOOD)
    second = copy.deepcopy(bad["proposals"][0]) | {"number": "20050043", "end_date": "2005-05-01"}
    del second["title"]
    second["instruments"] = ["HRPT-X"]
    second["members"][0]["orcid"] = "0000-0002-1825-0098"
    second["members"][1]["affiliation"]["ror"] = "https://ror.org/not-a-ror"
    bad["proposals"].append(second)
    before = counts()

    response = post_json(steward_client, bad)
    assert response.status_code == 400
    errors = response.json()["error"]["errors"]
    assert any(e.startswith("proposals/1: 'title' is a required property") for e in errors), errors
    assert any(e.startswith("proposals/1/members/1/affiliation/ror:") for e in errors), errors
    assert counts() == before  # the valid first proposal was not written either

    del second["members"][1]["affiliation"]["ror"]
    second["title"] = "Fixed title"
    response = post_json(steward_client, bad)
    errors = response.json()["error"]["errors"]
    assert response.status_code == 400
    assert errors == [
        "proposals/1/end_date: 2005-05-01 is before start_date 2005-05-26",
        "proposals/1/instruments/0: no instrument 'HRPT-X' at SINQ",
        "proposals/1/members/0/orcid: '0000-0002-1825-0098' is not a valid ORCID iD: its check digit is wrong",
    ]
    assert counts() == before


@pytest.mark.parametrize(("start", "end"), [("0001-01-01", "0001-01-02"), ("9999-12-30", "9999-12-31")])
def test_a_date_outside_the_plausible_years_is_named_and_nothing_is_written(session, steward_client, start, end):
    bad = copy.deepcopy(GOOD)
    bad["proposals"][0] |= {"start_date": start, "end_date": end}
    before = counts()
    response = post_json(steward_client, bad)
    assert response.status_code == 400
    assert response.json()["error"]["errors"] == [
        f"proposals/0/start_date: {start} does not lie in the years 1900–2200",
        f"proposals/0/end_date: {end} does not lie in the years 1900–2200",
    ]
    assert counts() == before


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ("{not json", "application/json", "upload.json: line 1 column 2"),
        ('{"facility": "NOWHERE", "proposals": []}', "application/json", "facility: unknown facility 'NOWHERE'"),
        ("facility,number\nSINQ,1\n", "text/csv", "header: missing columns title, member_name, member_role"),
    ],
)
def test_unreadable_files_are_a_clear_400(registry, steward_client, body, content_type, expected):
    response = steward_client.post(URL, body, content_type=content_type)
    assert response.status_code == 400
    assert response.json()["error"]["errors"][0].startswith(expected)


def test_a_file_sent_as_a_form_is_a_415_saying_how_to_send_it(registry, steward_client):
    """A form's body is read as the form before the view runs: the file itself must be the body."""
    before = counts()
    for data in ({"file": io.StringIO(CSV)}, {"facility": "SINQ"}):
        response = steward_client.post(URL, data)  # multipart/form-data, the test client's default
        assert response.status_code == 415
        assert response.json()["error"]["message"] == (
            "Send the user-office file as the body (application/json or text/csv), not a form."
        )
    form = steward_client.post(URL, "facility=SINQ", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415
    assert counts() == before


def test_only_stewards_import(registry, anonymous_client, member_client):
    assert post_json(anonymous_client, GOOD).status_code in (401, 403)
    assert post_json(member_client, GOOD).status_code == 403
    assert not Document.objects.filter(proposal_number="20050042").exists()


def test_admin_upload_and_confirmed_match_move_the_session_datasets(session, steward_client):
    bad = SimpleUploadedFile("proposals.json", b'{"facility": "SINQ"}')
    page = steward_client.post(reverse("admin:catalogue_sessionmatch_add"), {"upload": bad})
    assert page.status_code == 200 and "proposals" in page.text and "required property" in page.text

    upload = SimpleUploadedFile("proposals.csv", CSV.encode())
    steward_client.post(reverse("admin:catalogue_sessionmatch_add"), {"upload": upload})
    match = SessionMatch.objects.get()
    steward_client.post(
        reverse("admin:catalogue_sessionmatch_changelist"), {"action": "confirm", "_selected_action": [match.pk]}
    )
    match.refresh_from_db()
    assert match.state == "confirmed" and match.decided_by.username == "steward"
    dataset = Dataset.objects.get(source_path__endswith=Path(DMC).name)
    assert dataset.proposal == match.proposal
    assert match.proposal.datasets.count() == 1 and session.datasets.count() == 0


def test_datacite_xml_of_imported_proposal_has_orcid_and_ror_creators(session, steward_client):
    post_json(steward_client, GOOD)
    proposal = Document.objects.get(pid="psi.sinq/proposal/20050042")
    proposal.doi = "10.80000/SINQ-20050042"
    proposal.save(update_fields=["doi"])
    xml = datacite_xml.to_xml(metadata.document_metadata(document=proposal, user=AnonymousUser()))
    xmlschema.XMLSchema(str(DATACITE_XSD)).validate(xml)

    ns = {"d": datacite_xml.NAMESPACE}
    creators = etree.fromstring(xml).findall("d:creators/d:creator", ns)
    assert [c.findtext("d:creatorName", namespaces=ns) for c in creators] == ["Lovelace, Ada", "Émile Ørsted"]
    assert creators[0].findtext("d:nameIdentifier", namespaces=ns) == f"https://orcid.org/{ADA_ORCID}"
    assert creators[0].find("d:affiliation", ns).get("affiliationIdentifier") == PSI_ROR
