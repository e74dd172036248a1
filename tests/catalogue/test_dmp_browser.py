"""A steward uploads a maDMP in the admin (headless Chromium) and reads plan versus reality on the proposal page."""

import json

import pytest

from catalogue.services import roles
from tests.catalogue.test_dmp import plan_of, planned
from tests.factories import DataFileFactory, DatasetFactory, InstrumentFactory, ProposalFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_steward_uploads_a_plan_and_sees_it_beside_the_produced_datasets(browser, live_server, artifacts_dir, tmp_path):
    proposal = ProposalFactory(proposal_number="DMP-1", title="Hydration of cement pastes")
    instrument = InstrumentFactory(facility=proposal.facility, name="I22")
    for number in range(3):
        dataset = DatasetFactory(proposal=proposal, instrument=instrument, title=f"SAXS run {number}", size=2_400_000)
        DataFileFactory(dataset=dataset, path=f"raw/run_{number}.nxs", size=2_400_000)
    DatasetFactory(proposal=proposal, title="Detector test", embargoed=True, size=1000)  # another instrument
    plan = plan_of(
        planned("SAXS of cement pastes", "plan-1", technical_resource=[{"name": "I22"}]),
        planned("WAXS of the same pastes", "plan-2", technical_resource=[{"name": "I11"}]),
    )
    upload = tmp_path / "plan.json"
    upload.write_text(json.dumps(plan))
    steward = UserFactory(username="dmp-steward", is_staff=True)
    steward.groups.add(roles.ensure_stewards_group())

    page = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url).new_page()
    page.goto("/admin/login/?next=/admin/catalogue/datamanagementplan/add/")
    page.fill("#id_username", "dmp-steward")
    page.fill("#id_password", "correct horse battery staple")
    page.click("input[type=submit]")
    page.select_option("#id_proposal", str(proposal.pk))
    page.set_input_files("#id_upload", str(upload))
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist")
    page.goto(f"/proposals/{proposal.pid}")
    table = page.locator("table.pc-plan")
    table.wait_for()
    page.screenshot(path=artifacts_dir / "plan-versus-reality.png", full_page=True)
    rows = table.locator("tbody tr")
    assert rows.nth(0).locator("td").nth(3).inner_text() == "3 datasets"
    assert rows.nth(1).locator("td").nth(3).inner_text() == "0 datasets"
    assert "1 dataset" in rows.nth(2).inner_text()  # the embargoed test run is not in the plan
