"""Living maDMPs (services.dmp): export valid against the RDA DMP Common Standard 1.2, import round trip, schema
errors as a 400 listing each, the matching rule, and what each audience sees."""

import copy
import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from catalogue.models import DataManagementPlan, Document, PlannedDataset
from catalogue.services import dmp
from tests.conftest import client_for
from tests.factories import (
    DataFileFactory,
    DatasetFactory,
    InstrumentFactory,
    MemberFactory,
    PersonFactory,
    ProposalFactory,
    TechniqueFactory,
    UserFactory,
)
from tests.standards import MADMP_EXAMPLES, MADMP_SCHEMA, madmp_errors

pytestmark = pytest.mark.django_db
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
PLANNED_KEYS = ("title", "dmp_id", "created", "language", "ethical_issues_exist", "cost", "project", "description")


def planned(title: str, identifier: str, **extra: object) -> dict:
    return {
        "title": title,
        "dataset_id": {"identifier": identifier, "type": "other"},
        "personal_data": "no",
        "sensitive_data": "no",
        "distribution": [
            {
                "title": f"{title} (NeXus files)",
                "data_access": "open",
                "byte_size": 5_000_000,
                "format": ["application/x-hdf5"],
                "license": [{"license_ref": CC_BY, "start_date": "2030-01-01"}],
            }
        ],
        **extra,
    }


def plan_of(*datasets: dict) -> dict:
    return {
        "dmp": {
            "title": "DMP of the cement hydration beamtime",
            "dmp_id": {"identifier": "10.80000/dmp-cement", "type": "doi"},
            "created": "2026-01-10T09:00:00Z",
            "modified": "2026-02-01T09:00:00Z",
            "language": "eng",
            "ethical_issues_exist": "no",
            "description": "What we plan to measure and how we keep it.",
            "contact": {
                "name": "Pia Planner",
                "mbox": "pia@example.org",
                "contact_id": {"identifier": "0000-0002-1825-0097", "type": "orcid"},
            },
            "cost": [{"title": "Tape archive", "value": 1200, "currency_code": "EUR"}],
            "dataset": list(datasets),
        }
    }


@pytest.fixture
def team(proposal, member):
    """The proposal with a PI (e-mail, ORCID) beside `member`, an open and an embargoed dataset with files, a DOI."""
    proposal.members.update(role="co-proposer")
    Document.objects.filter(pk=proposal.pk).update(doi="10.80000/dmp-test", licence="CC-BY-4.0")
    proposal.refresh_from_db()
    pi = PersonFactory(full_name="Pia Investigator", orcid="0000-0001-2345-6789", email="pia@example.org")
    MemberFactory(document=proposal, person=pi, role="principal investigator")
    instrument = InstrumentFactory(facility=proposal.facility, name="SAXS-1")
    technique = TechniqueFactory()
    opened = DatasetFactory(proposal=proposal, instrument=instrument, techniques=[technique], definitions=["NXsas"])
    DataFileFactory(dataset=opened, path="raw/a.nxs", size=1000)
    DataFileFactory(dataset=opened, path="raw/a.txt", size=20)
    closed = DatasetFactory(proposal=proposal, instrument=instrument, embargoed=True, title="Embargoed run")
    DataFileFactory(dataset=closed, path="raw/b.h5", size=3000)
    for dataset in (opened, closed):
        dataset.size = sum(dataset.files.values_list("size", flat=True))
        dataset.save(update_fields=["size"])
    return proposal, opened, closed, instrument


def test_shipped_schema_is_the_shared_standard():
    assert json.loads(dmp.SCHEMA_FILE.read_text()) == json.loads(MADMP_SCHEMA.read_text())


@pytest.mark.parametrize("audience", ["steward", "member", "outsider", "anonymous"])
def test_every_exported_dmp_validates_against_the_standard(team, steward, member, outsider, audience, settings):
    settings.REPOSITORY_CERTIFICATION, settings.REPOSITORY_COUNTRY = "coretrustseal", "CH"
    proposal, opened, *_ = team
    dmp.import_plan(document=proposal, data=plan_of(planned("SAXS of cement", "plan-1")))
    user = {"steward": steward, "member": member, "outsider": outsider, "anonymous": None}[audience]
    response = client_for(user).get(f"/doi/{proposal.doi}/dmp.json")
    assert response.status_code == 200
    exported = response.json()
    assert madmp_errors(exported) == []
    host = next(d for d in exported["dmp"]["dataset"] if d["title"] == opened.title)["distribution"][0]["host"]
    assert (host["certified_with"], host["geo_location"]) == ("coretrustseal", "CH")


def test_export_fills_distributions_embargo_and_contacts_from_the_catalogue(team, member):
    proposal, opened, closed, instrument = team
    exported = dmp.export_dmp(document=proposal, user=member)["dmp"]
    by_title = {entry["title"]: entry for entry in exported["dataset"]}
    open_files = by_title[opened.title]["distribution"][0]
    assert open_files["byte_size"] == 1020
    assert open_files["format"] == ["application/x-hdf5", "text/plain"]
    assert open_files["data_access"] == "open"
    assert open_files["license"][0]["license_ref"] == CC_BY
    assert by_title[opened.title]["technical_resource"][0]["name"] == "SAXS-1"
    assert "NXsas" in by_title[opened.title]["metadata"][0]["description"]
    embargoed = by_title["Embargoed run"]
    release = closed.release_date.date().isoformat()
    assert embargoed["distribution"][0]["data_access"] == "closed"
    assert embargoed["issued"] == embargoed["distribution"][0]["issued"] == release
    assert embargoed["distribution"][0]["license"][0]["start_date"] == release
    assert exported["contact"] == {
        "name": "Pia Investigator",
        "mbox": "pia@example.org",
        "contact_id": {"identifier": "0000-0001-2345-6789", "type": "orcid"},
    }
    orcids = [c["contributor_id"] for c in exported["contributor"] if c["name"] == "Pia Investigator"]
    assert orcids == [{"identifier": "0000-0001-2345-6789", "type": "orcid"}]
    assert "cost" not in exported  # costs stay empty unless a plan states them


def test_outsiders_see_no_plan_no_email_and_no_embargoed_dataset(team, outsider):
    proposal, opened, *_ = team
    dmp.import_plan(document=proposal, data=plan_of(planned("Secret plan title", "plan-1")))
    text = json.dumps(dmp.export_dmp(document=proposal, user=outsider))
    assert opened.title in text
    for hidden in ("Embargoed run", "Secret plan title", "pia@example.org", "Tape archive"):
        assert hidden not in text


def test_an_embargoed_proposal_shows_outsiders_only_its_public_stub(outsider):
    proposal = ProposalFactory(doi="10.80000/dmp-stub")
    closed = DatasetFactory(proposal=proposal, embargoed=True, title="Hidden run")
    exported = dmp.export_dmp(document=proposal, user=outsider)
    assert madmp_errors(exported) == []
    (entry,) = exported["dmp"]["dataset"]
    assert entry["dataset_id"] == {"identifier": "10.80000/dmp-stub", "type": "doi"}
    assert entry["distribution"][0]["data_access"] == "closed"
    proposal.refresh_from_db()
    assert entry["issued"] == proposal.release_date.date().isoformat() >= closed.release_date.date().isoformat()
    assert "Hidden run" not in json.dumps(exported)


def test_import_round_trips_the_planned_parts(team, member):
    proposal, *_ = team
    dmp.import_plan(document=proposal, data=plan_of(planned("SAXS of cement", "plan-1"), planned("WAXS", "plan-2")))
    first = dmp.export_dmp(document=proposal, user=member)
    dmp.import_plan(document=proposal, data=copy.deepcopy(first))
    second = dmp.export_dmp(document=proposal, user=member)
    assert PlannedDataset.objects.filter(plan__document=proposal).count() == 2  # produced entries are not plan
    assert second["dmp"]["dataset"] == first["dmp"]["dataset"]
    for key in PLANNED_KEYS:
        assert second["dmp"][key] == first["dmp"][key], key
    assert first["dmp"]["cost"] == [{"title": "Tape archive", "value": 1200, "currency_code": "EUR"}]


def test_bad_upload_is_a_400_listing_every_error_and_changes_nothing(team, steward):
    proposal, *_ = team
    dmp.import_plan(document=proposal, data=plan_of(planned("Kept plan", "plan-1")))
    bad = plan_of(planned("New plan", "plan-9"))
    del bad["dmp"]["title"]
    bad["dmp"]["created"] = "yesterday"
    bad["dmp"]["dataset"][0]["distribution"][0]["data_access"] = "sometimes"
    url = f"/api/v1/documents/{proposal.pid}/dmp/"
    response = client_for(steward).put(url, json.dumps(bad), content_type="application/json")
    assert response.status_code == 400
    errors = response.json()["error"]["errors"]
    assert {error["path"] for error in errors} == {
        "$.dmp",
        "$.dmp.created",
        "$.dmp.dataset[0].distribution[0].data_access",
    }
    assert any("'title' is a required property" in error["message"] for error in errors)
    assert list(PlannedDataset.objects.filter(plan__document=proposal).values_list("title", flat=True)) == ["Kept plan"]
    not_json = client_for(steward).put(url, b"{not json", content_type="application/json")
    assert not_json.status_code == 400 and not_json.json()["error"]["errors"][0]["path"] == "$"


def test_steward_uploads_through_the_api_and_members_may_only_read(team, steward, member):
    proposal, *_ = team
    url = f"/api/v1/documents/{proposal.pid}/dmp/"
    body = json.dumps(plan_of(planned("SAXS of cement", "plan-1")))
    assert client_for(member).put(url, body, content_type="application/json").status_code == 403
    uploaded = client_for(steward).put(url, body, content_type="application/json")
    assert uploaded.status_code == 200 and madmp_errors(uploaded.json()) == []
    assert DataManagementPlan.objects.get(document=proposal).imported_by == steward
    assert client_for(member).get(url).json()["dmp"]["dataset"][0]["title"] == "SAXS of cement"
    assert client_for(UserFactory()).get(url).status_code == 404


def test_matching_rule_explicit_then_title_then_instrument_and_technique(team):
    proposal, opened, closed, instrument = team
    other = TechniqueFactory(panet_id="PaNET01127", name="x-ray diffraction")
    plan = dmp.import_plan(
        document=proposal,
        data=plan_of(
            planned("By instrument", "p-1", technical_resource=[{"name": "saxs-1"}]),
            planned("Wrong technique", "p-2", technical_resource=[{"name": "SAXS-1"}], keyword=[other.name]),
            planned("  embargoed   RUN ", "p-3"),
            planned("Explicit", opened.pid),
        ),
    )
    assert list(opened.planned_as.values_list("title", flat=True)) == ["Explicit"]
    assert list(closed.planned_as.values_list("title", flat=True)) == ["  embargoed   RUN "]
    stray = DatasetFactory(proposal=proposal, instrument=instrument, title="Another run", techniques=[other])
    assert dmp.match_dataset(dataset=stray).title == "By instrument"  # first in the plan among rank 3
    elsewhere = DatasetFactory(proposal=proposal, title="Unplanned run")
    assert dmp.match_dataset(dataset=elsewhere) is None
    report = dmp.plan_versus_reality(document=proposal)
    assert [(row.title, row.produced.count) for row in report.rows] == [
        ("By instrument", 1),
        ("Wrong technique", 0),
        ("  embargoed   RUN ", 1),
        ("Explicit", 1),
    ]
    assert report.rows[3].produced.byte_size == 1020 and report.rows[3].planned_byte_size == 5_000_000
    assert report.unplanned.count == 1
    assert plan.imported_at <= timezone.now() + timedelta(seconds=1)


def test_proposal_page_shows_plan_versus_reality_to_the_team_only(team, member, steward, outsider):
    proposal, opened, *_ = team
    dmp.import_plan(document=proposal, data=plan_of(planned("Secret plan title", opened.pid), planned("WAXS", "p-2")))
    for user in (member, steward):
        page = client_for(user).get(f"/proposals/{proposal.pid}")
        rows = [(row.title, row.produced.count) for row in page.context["plan"].rows]
        assert rows == [("Secret plan title", 1), ("WAXS", 0)]
        html = page.content.decode()
        assert "planned and produced" in html and "Not in the plan" in html
    public = client_for(outsider).get(f"/proposals/{proposal.pid}")
    assert public.status_code == 200 and public.context["plan"] is None
    assert "Secret plan title" not in public.content.decode()
    assert f'href="/doi/{proposal.doi}/dmp.json"' in client_for(outsider).get(f"/doi/{proposal.doi}").content.decode()


def test_steward_uploads_a_plan_in_the_admin_and_sees_each_error_of_a_bad_one(team, steward):
    proposal, opened, *_ = team
    client = client_for(steward)
    url = "/admin/catalogue/datamanagementplan/add/"
    bad = plan_of(planned("Bad", "p-1"))
    bad["dmp"]["language"] = "english"
    bad["dmp"]["dataset"][0]["personal_data"] = "maybe"
    upload = SimpleUploadedFile("plan.json", json.dumps(bad).encode(), content_type="application/json")
    refused = client.post(url, {"proposal": proposal.pk, "upload": upload})
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "$.dmp.language: &#x27;english&#x27; is not one of" in html
    assert "$.dmp.dataset[0].personal_data" in html
    assert not DataManagementPlan.objects.exists()

    good = SimpleUploadedFile("plan.json", json.dumps(plan_of(planned("Explicit", opened.pid))).encode())
    accepted = client.post(url, {"proposal": proposal.pk, "upload": good})
    assert accepted.status_code == 302
    plan = DataManagementPlan.objects.get(document=proposal)
    assert plan.imported_by == steward and list(opened.planned_as.all()) == list(plan.planned_datasets.all())
    assert "Explicit" in client.get(f"/admin/catalogue/datamanagementplan/{plan.pk}/change/").content.decode()


@pytest.mark.parametrize("example", sorted(p.name for p in MADMP_EXAMPLES.glob("ex*.json")))
def test_each_published_example_imports_and_comes_back_in_the_export(team, member, example):
    proposal, *_ = team
    uploaded = json.loads((MADMP_EXAMPLES / example).read_text())["dmp"]
    dmp.import_plan(document=proposal, data={"dmp": uploaded})
    exported = dmp.export_dmp(document=proposal, user=member)
    assert madmp_errors(exported) == []
    assert exported["dmp"]["dataset"][: len(uploaded["dataset"])] == uploaded["dataset"]
    for key in ("title", "dmp_id", "created", "ethical_issues_exist", "cost", "project"):
        if key in uploaded:  # the plan's header is kept; the catalogue fills what it leaves out
            assert exported["dmp"][key] == uploaded[key], key
