"""A facility's values that code later relies on (time zone, pid prefix, download pattern, carbon factors …) are
validated wherever they are written: the REST API, the admin and the registry; existing bad values are repaired."""

import importlib
import json

import pytest
from django.apps import apps
from django.urls import reverse

from catalogue.models import Facility
from catalogue.services import facilities
from tests.catalogue.test_admin import form_values
from tests.factories import FacilityFactory

pytestmark = pytest.mark.django_db

BAD_VALUES = [
    ("time_zone", "Mars/Olympus_Mons"),
    ("time_zone", ""),
    ("country", "che"),
    ("pid_prefix", "/psi"),
    ("pid_prefix", "psi sinq"),
    ("doi_prefix", "11.1234"),
    ("embargo_period_years", 5000),
    ("latitude", 91),
    ("longitude", -181),
    ("bulk_download_url", "globus://x/{dataset}"),
]


@pytest.mark.parametrize(("field", "value"), BAD_VALUES)
def test_the_api_refuses_a_bad_facility_value_naming_the_field(steward_client, field, value):
    facility = FacilityFactory(short_name="SINQ")
    response = steward_client.patch(
        f"/api/v1/facilities/{facility.short_name}/", json.dumps({field: value}), content_type="application/json"
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]
    assert getattr(Facility.objects.get(pk=facility.pk), field) != value


@pytest.mark.parametrize(
    ("field", "value"),
    BAD_VALUES + [("storage_root", "data/sinq"), ("carbon_factors", '{"power_share_kw": {"value": "lots"}}')],
)
def test_the_admin_refuses_a_bad_facility_value(steward_client, field, value):
    facility = FacilityFactory(short_name="SINQ", carbon_factors={"power_share_kw": {"value": 120}})
    url = reverse("admin:catalogue_facility_change", args=[facility.pk])
    data = form_values(steward_client.get(url).context["adminform"].form)
    data[field] = value
    response = steward_client.post(url, data)
    assert response.status_code == 200  # the form again, with the error
    assert field in response.context["adminform"].form.errors
    assert getattr(Facility.objects.get(pk=facility.pk), field) != value


def test_a_good_facility_edit_is_saved(steward_client):
    facility = FacilityFactory(short_name="SINQ")
    response = steward_client.patch(
        "/api/v1/facilities/SINQ/", json.dumps({"time_zone": "Asia/Tokyo"}), content_type="application/json"
    )
    assert response.status_code == 200
    facility.refresh_from_db()
    assert facility.time_zone == "Asia/Tokyo"


def test_the_registry_refuses_a_bad_time_zone_and_writes_nothing(tmp_path):
    registry = tmp_path / "facilities.yaml"
    registry.write_text("- {short_name: MARS, name: Mars, pid_prefix: mars, time_zone: Mars/Olympus_Mons}\n")
    with pytest.raises(facilities.RegistryError, match="MARS: time_zone"):
        facilities.load_registry(path=registry)
    assert not Facility.objects.filter(short_name="MARS").exists()


def test_existing_bad_values_are_repaired_by_the_migration():
    facility = FacilityFactory(short_name="MARS")
    Facility.objects.filter(pk=facility.pk).update(
        time_zone="Mars/Olympus_Mons", bulk_download_url="x/{nope}", carbon_factors={"power_share_kw": "a lot"}
    )
    migration = importlib.import_module("catalogue.migrations.0020_facility_values_validated")
    migration.repair_facilities(apps, None)
    facility.refresh_from_db()
    assert (facility.time_zone, facility.bulk_download_url, facility.carbon_factors) == ("UTC", "", {})
