"""The admin's dataset form keeps a file's hundreds of parameters to a compact, paginated, read-only table."""

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import DatasetFactory, ParameterFactory

PARAMETERS = 150


@pytest.fixture
def dataset(db):
    dataset = DatasetFactory()
    for n in range(PARAMETERS):
        ParameterFactory(dataset=dataset, name=f"detector_{n:03d}_distance", wavelength=True)
    return dataset


def test_parameters_are_paged_read_only_with_si_values(steward_client, dataset):
    url = reverse("admin:catalogue_dataset_change", args=[dataset.pk])
    first = steward_client.get(url).content.decode()
    assert "detector_019_distance" in first and "detector_020_distance" not in first and "7.3×10⁻¹¹ m" in first
    assert 'name="parameters-0-name"' not in first, "parameters are not form fields"
    second = steward_client.get(url + "?parameters_page=2").content.decode()
    assert "detector_020_distance" in second and "detector_000_distance" not in second


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_dataset_form_is_a_page_not_a_scroll(browser, live_server, steward_client, dataset, artifacts_dir):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    session = steward_client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
    page = context.new_page()
    page.goto(reverse("admin:catalogue_dataset_change", args=[dataset.pk]))
    page.screenshot(path=artifacts_dir / "dataset-form.png", full_page=True)
    height = page.evaluate("document.documentElement.scrollHeight")
    context.close()
    assert height < 4000, f"the dataset form is {height} px high"
