"""Real landing pages in headless Chromium at desktop and phone widths: screenshots, citation copy, export menu."""

import bibtexparser
import pytest

from landing.datacite import xml as datacite_xml
from landing.models import RelatedWork

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
DOI_URL = "/doi/10.80000/ESRF-MA-5678"


@pytest.fixture(params=sorted(VIEWPORTS))
def page(request, browser, live_server):
    context = browser.new_context(viewport=VIEWPORTS[request.param], base_url=live_server.url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    tab = context.new_page()
    tab.viewport_name = request.param
    yield tab
    context.close()


def test_doi_page_citation_copy_and_export_menu_work(page, open_proposal, artifacts_dir):
    RelatedWork.objects.create(document=open_proposal, identifier="10.1107/S1600577522009999", title="Our paper")
    page.goto(DOI_URL)
    assert page.title().startswith("In-situ hydration of cement pastes by SAXS")
    page.screenshot(path=artifacts_dir / f"doi-{page.viewport_name}.png", full_page=True)

    page.select_option("#citation-style", "ieee")
    ieee = page.locator("[data-citation='ieee']")
    assert ieee.is_visible() and not page.locator("[data-citation='apa']").is_visible()
    page.click("[data-copy-citation]")
    page.wait_for_selector(".copy-status:has-text('Citation copied')")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == ieee.inner_text().strip() and "A. Lovelace" in copied

    menu = page.locator("details.export-menu")
    assert not page.locator("[data-export='bibtex']").is_visible()
    menu.locator("summary").focus()
    page.keyboard.press("Enter")  # keyboard users open the menu like everyone else
    bibtex_link = page.locator("[data-export='bibtex']")
    assert bibtex_link.is_visible()
    page.screenshot(path=artifacts_dir / f"doi-export-menu-{page.viewport_name}.png")
    entry = bibtexparser.loads(page.request.get(bibtex_link.get_attribute("href")).text()).entries[0]
    assert entry["doi"] == "10.80000/ESRF-MA-5678"
    xml = page.request.get(page.locator("[data-export='datacite-xml']").get_attribute("href")).body()
    assert datacite_xml.validation_errors(xml) == []
    page.keyboard.press("Escape")
    assert not bibtex_link.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "no sideways scrolling"


ACCESSIBILITY_PROBLEMS = """() => {
  const problems = [];
  document.querySelectorAll("img:not([alt])").forEach((el) => problems.push("img without alt: " + el.src));
  document.querySelectorAll("input, select, textarea").forEach((el) => {
    const labelled = (el.id && document.querySelector(`label[for="${el.id}"]`)) || el.getAttribute("aria-label");
    if (el.type !== "hidden" && !labelled)
      problems.push("control without label: " + (el.id || el.name));
  });
  for (const landmark of ["header", "main", "footer", "nav"])
    if (!document.querySelector(landmark)) problems.push("missing landmark: " + landmark);
  if (document.querySelectorAll("h1").length !== 1) problems.push("pages have exactly one h1");
  const levels = Array.from(document.querySelectorAll("h1, h2, h3, h4")).map((h) => Number(h.tagName[1]));
  levels.forEach((level, i) => { if (i && level > levels[i - 1] + 1) problems.push("heading level skipped at " + i); });
  return problems;
}"""


def test_landing_pages_pass_basic_accessibility_checks_and_work_by_keyboard(page, open_proposal):
    for url in (DOI_URL, "/datasets/esrf/dataset/000123", "/about/carbon"):
        page.goto(url)
        assert page.evaluate(ACCESSIBILITY_PROBLEMS) == [], url
    page.goto(DOI_URL)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.focus("[data-copy-citation]")
    page.keyboard.press("Enter")
    page.wait_for_selector(".copy-status:has-text('Citation copied')")
    assert "Lovelace, A." in page.evaluate("navigator.clipboard.readText()")


def test_dataset_page_renders_files_and_cites_the_doi(page, open_proposal, artifacts_dir):
    page.goto("/datasets/esrf/dataset/000123")
    page.screenshot(path=artifacts_dir / f"dataset-{page.viewport_name}.png", full_page=True)
    assert page.locator("table.files tbody tr").count() == 3
    assert "cite as DOI" in page.locator(".badges").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "no sideways scrolling"


def test_embargoed_doi_page_shows_the_stub_and_how_to_get_access(page, embargoed_proposal, artifacts_dir):
    page.goto("/doi/10.80000/ESRF-MX-9999")
    page.screenshot(path=artifacts_dir / f"stub-{page.viewport_name}.png", full_page=True)
    assert "Under embargo until" in page.locator(".banner.embargo").inner_text()
    assert "ZEBRAQUOKKA" not in page.content()


def test_methodology_and_tombstone_pages_render(page, open_proposal, artifacts_dir):
    page.goto("/about/carbon")
    page.screenshot(path=artifacts_dir / f"methodology-{page.viewport_name}.png", full_page=True)
    assert page.locator("h1").inner_text().startswith("How the carbon estimate")
    open_proposal.withdrawn_at = open_proposal.modified_at
    open_proposal.withdrawal_reason = "The sample was mislabelled; a corrected dataset will follow."
    open_proposal.save()
    response = page.goto(DOI_URL)
    assert response.status == 410
    page.screenshot(path=artifacts_dir / f"tombstone-{page.viewport_name}.png", full_page=True)
    assert "mislabelled" in page.locator(".banner.withdrawn").inner_text()
