"""The catalogue REST API under /api/v1/: reads through visibility, writes for stewards and tokens."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import DatasetFactory, InstrumentFactory, MemberFactory, SampleFactory, TechniqueFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def datasets(proposal):
    open_dataset = DatasetFactory(proposal=proposal, title="Open glassy carbon")
    embargoed = DatasetFactory(proposal=proposal, title="Embargoed kinetics", embargoed=True)
    return open_dataset, embargoed


def titles(response) -> set[str]:
    return {row["title"] for row in response.json()["results"]}


def test_anonymous_list_shows_open_datasets_only(anonymous_client, datasets):
    response = anonymous_client.get("/api/v1/datasets/")
    assert response.status_code == 200
    assert titles(response) == {"Open glassy carbon"}


def test_member_list_includes_their_embargoed_dataset(member_client, datasets):
    assert titles(member_client.get("/api/v1/datasets/")) == {"Open glassy carbon", "Embargoed kinetics"}


def test_embargoed_detail_is_404_for_outsiders(outsider_client, datasets):
    _, embargoed = datasets
    response = outsider_client.get(f"/api/v1/datasets/{embargoed.pid}/")
    assert response.status_code == 404
    assert response.json()["error"]["status"] == 404


def test_pid_with_slashes_resolves(anonymous_client, datasets):
    open_dataset, _ = datasets
    assert "/" in open_dataset.pid
    assert anonymous_client.get(f"/api/v1/datasets/{open_dataset.pid}/").json()["pid"] == open_dataset.pid


def test_filters_by_technique_and_title(anonymous_client, proposal):
    saxs = TechniqueFactory()
    DatasetFactory(proposal=proposal, title="With SAXS", techniques=[saxs])
    DatasetFactory(proposal=proposal, title="Without")
    assert titles(anonymous_client.get("/api/v1/datasets/", {"technique": "PaNET01188"})) == {"With SAXS"}
    assert titles(anonymous_client.get("/api/v1/datasets/", {"title": "witho"})) == {"Without"}


def test_samples_are_listed_once_each_to_those_who_see_one_of_their_datasets(
    anonymous_client, outsider_client, member_client, proposal
):
    shared, hidden = SampleFactory(name="shared carbon"), SampleFactory(name="hidden kinetics")
    DatasetFactory(proposal=proposal, samples=[shared])
    DatasetFactory(proposal=proposal, samples=[shared])
    DatasetFactory(proposal=proposal, samples=[shared, hidden], embargoed=True)
    SampleFactory(name="in no dataset")
    for client, expected in (
        (anonymous_client, ["shared carbon"]),
        (outsider_client, ["shared carbon"]),
        (member_client, ["hidden kinetics", "shared carbon"]),
    ):
        listing = client.get("/api/v1/samples/").json()
        assert [row["name"] for row in listing["results"]] == expected
        assert listing["count"] == len(expected)


def test_anonymous_cannot_write(anonymous_client, datasets):
    open_dataset, _ = datasets
    response = anonymous_client.patch(
        f"/api/v1/datasets/{open_dataset.pid}/", {"title": "x"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "error" in response.json()


def test_steward_token_creates_updates_and_deletes(steward, proposal):
    token = Token.objects.create(user=steward)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    instrument = InstrumentFactory(facility=proposal.facility)
    created = client.post(
        "/api/v1/datasets/",
        {
            "pid": "fac/dataset/api-1",
            "title": "Posted by the acquisition system",
            "proposal": proposal.pid,
            "instrument": instrument.pid,
            "creation_time": "2021-05-01T10:00:00Z",
            "end_time": "2021-05-01T11:00:00Z",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["release_date"].startswith("2024-05-01T11:00:00")
    updated = client.patch("/api/v1/datasets/fac/dataset/api-1/", {"description": "curated"}, format="json")
    assert updated.json()["description"] == "curated"
    assert "description" in updated.json()["curated_fields"]
    assert client.delete("/api/v1/datasets/fac/dataset/api-1/").status_code == 204


def test_bad_input_is_a_json_400_naming_the_field(steward_client, proposal):
    response = steward_client.post(
        "/api/v1/datasets/",
        {"pid": "x", "title": "t", "proposal": "no-such-proposal", "creation_time": "yesterday"},
        content_type="application/json",
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert "proposal" in fields and "creation_time" in fields


@pytest.mark.parametrize("field", ["start_time", "end_time", "creation_time"])
@pytest.mark.parametrize("moment", ["9999-06-01T00:00:00Z", "0001-01-01T00:00:00Z"])
def test_a_measurement_time_outside_the_plausible_years_is_a_json_400(steward_client, datasets, field, moment):
    open_dataset, _ = datasets
    response = steward_client.patch(
        f"/api/v1/datasets/{open_dataset.pid}/", {field: moment}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "1900–2200" in response.json()["error"]["fields"][field][0]


def test_duplicate_pid_is_a_400_not_a_500(steward_client, datasets, proposal):
    open_dataset, _ = datasets
    response = steward_client.post(
        "/api/v1/datasets/",
        {"pid": open_dataset.pid, "title": "t", "proposal": proposal.pid, "creation_time": "2021-05-01T10:00:00Z"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "pid" in response.json()["error"]["fields"]


def test_member_emails_only_for_team_and_stewards(anonymous_client, member_client, steward_client, proposal, datasets):
    MemberFactory(document=proposal)
    url = f"/api/v1/documents/{proposal.pid}/"
    public_people = [m["person"] for m in anonymous_client.get(url).json()["members"]]
    assert public_people and all("email" not in person for person in public_people)
    assert all("email" in m["person"] for m in member_client.get(url).json()["members"])
    assert all("email" in m["person"] for m in steward_client.get(url).json()["members"])


def test_proposal_with_only_embargoed_data_is_hidden_from_the_api(anonymous_client):
    embargoed = DatasetFactory(embargoed=True)
    assert anonymous_client.get(f"/api/v1/documents/{embargoed.proposal.pid}/").status_code == 404
    assert anonymous_client.get("/api/v1/documents/").json()["count"] == 0


def test_openapi_schema_is_valid_and_browsable(anonymous_client):
    from drf_spectacular.validation import validate_schema

    response = anonymous_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert "/api/v1/datasets/" in schema["paths"]
    assert anonymous_client.get("/api/schema/ui/").status_code == 200


def test_healthz_reports_database_and_redis(anonymous_client):
    response = anonymous_client.get("/healthz")
    body = response.json()
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True
    assert "workers" in body["checks"]
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"created_after": "0001-01-01T00:00:00+16:00"}, "created_after"),
        ({"created_before": "9999-12-31T23:59:59-23:59"}, "created_before"),
        ({"limit": str(2**64)}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": str(2**63)}, "offset"),
        ({"offset": "-5"}, "offset"),
        ({"page": "2"}, "page"),
        ({"ordering": "nonsense"}, "ordering"),
        ({"ordering": "title,-secret"}, "ordering"),
        ({"titel": "typo"}, "titel"),
    ],
)
def test_input_the_api_cannot_honour_is_a_400_naming_the_field(anonymous_client, datasets, params, field):
    response = anonymous_client.get("/api/v1/datasets/", params)
    assert response.status_code == 400, response.content
    assert list(response.json()["error"]["fields"]) == [field]


@pytest.mark.parametrize("url", ["/api/v1/documents/", "/api/v1/instruments/", "/api/v1/files/", "/api/v1/facilities/"])
def test_every_list_refuses_unknown_parameters_and_huge_limits(anonymous_client, db, url):
    assert anonymous_client.get(url, {"page": "1"}).status_code == 400
    assert anonymous_client.get(url, {"limit": str(2**64)}).status_code == 400


def test_ordering_limit_and_offset_that_the_api_reads_work(anonymous_client, proposal):
    for title in ("B", "A", "C"):
        DatasetFactory(proposal=proposal, title=title)
    response = anonymous_client.get("/api/v1/datasets/", {"ordering": "-title", "limit": "2", "offset": "1"})
    assert [row["title"] for row in response.json()["results"]] == ["B", "A"]
    for offset in ("+15:59", "+16:00", "-23:59"):  # any RFC 3339 offset, though PostgreSQL holds only ±15:59
        response = anonymous_client.get("/api/v1/datasets/", {"created_after": f"2020-01-01T00:00:00{offset}"})
        assert response.status_code == 200 and len(response.json()["results"]) == 3
