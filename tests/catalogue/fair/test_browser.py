"""A data steward fixes the worklist's first item in headless Chromium and sees the score rise."""

import pytest

from catalogue.models import DatasetFairScore
from catalogue.services import fair, roles
from tests.factories import (
    DatasetFactory,
    FacilityFactory,
    InstrumentFactory,
    MemberFactory,
    PersonFactory,
    ProposalFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_steward_fixes_the_first_worklist_item_and_the_score_rises(browser, live_server, artifacts_dir):
    facility = FacilityFactory(short_name="BRW")
    proposal = ProposalFactory(facility=facility, proposal_number="BR-1", licence="")
    MemberFactory(document=proposal, person=PersonFactory(full_name="Noor Nord", orcid=""))
    datasets = [DatasetFactory(proposal=proposal, instrument=InstrumentFactory(facility=facility)) for _ in range(3)]
    fair.recompute(fair.Changed(documents=(proposal.pk,)))
    first = fair.worklist()[0]
    before = DatasetFairScore.objects.get(dataset=datasets[0]).score
    steward = UserFactory(username="browser-steward", is_staff=True)
    steward.groups.add(roles.ensure_stewards_group())

    page = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url).new_page()
    page.goto("/admin/login/?next=/admin/fair/worklist/")
    page.fill("#id_username", "browser-steward")
    page.fill("#id_password", "correct horse battery staple")
    page.click("input[type=submit]")
    page.wait_for_selector("#fair-worklist")
    page.screenshot(path=artifacts_dir / "worklist-before.png", full_page=True)
    row = page.locator("#fair-worklist tbody tr").first
    assert row.get_attribute("data-check") == first.check
    row.locator("a.button").click()
    page.wait_for_selector("#fair-fix-form")
    if first.check == "orcid":
        page.fill("#fair-fix-form input[name^=orcid_]", "0000-0002-1825-0097")
    elif first.check == "licence":
        page.select_option("#id_licence", "CC-BY-4.0")
    elif first.check == "publication":
        page.fill("#id_identifier", "10.1107/S1600577522001234")
    elif first.check == "keywords":
        page.fill("#id_keywords", "cement, hydration")
    page.screenshot(path=artifacts_dir / "fix-form.png", full_page=True)
    page.click("#fair-fix-form input[type=submit]")
    page.wait_for_selector("#fair-worklist, .messagelist")
    page.screenshot(path=artifacts_dir / "worklist-after.png", full_page=True)
    assert "scores recomputed" in page.locator(".messagelist").inner_text()

    after = DatasetFairScore.objects.get(dataset=datasets[0]).score
    assert after > before
    page.goto(f"/datasets/{datasets[0].pid}")
    badge = page.locator(".badges .badge.fair")
    assert badge.inner_text().endswith(f"{after:.2f}")
    page.screenshot(path=artifacts_dir / "dataset-after.png", full_page=True)
    page.context.close()
