"""Previews on the landing pages: the dataset page's figure with its caption, the DOI page's gallery of the datasets
the visitor may download, and both pages in headless Chromium over real sample files (screenshots kept)."""

import pytest
from django.test import override_settings

from catalogue import panet
from catalogue.management.commands.load_facilities import DEFAULT_REGISTRY
from catalogue.models import Preview
from catalogue.services import facilities, techniques
from ingest import services
from landing.services import collections
from tests.conftest import SAMPLES_DIR, client_for
from tests.factories import DatasetFactory, UserFactory
from tests.landing.conftest import LEAK_TOKEN, saxs_curve_png
from tests.landing.test_pages import html_tree, team_member_of

DATASET = "/datasets/esrf/dataset/000123"
DOI = "/doi/10.80000/ESRF-MA-5678"


def test_dataset_page_shows_the_page_size_preview_with_its_caption(anonymous_client, open_proposal):
    Preview.objects.filter(dataset__pid="esrf/dataset/000123").update(
        caption="The file's NeXus default plot: I (1/cm) of /entry/data. Log intensity axis: I spans 3.1 decades.",
        width=768,
        height=480,
    )
    tree = html_tree(anonymous_client.get(DATASET))
    [figure] = tree.xpath("//figure[@class='preview']")
    [image] = figure.xpath("img")
    assert image.get("src") == f"{DATASET}/preview.png" and (image.get("width"), image.get("height")) == ("768", "480")
    assert figure.xpath("string(figcaption)").endswith("Log intensity axis: I spans 3.1 decades.")


def test_card_size_is_served_for_result_cards(anonymous_client, open_proposal):
    Preview.objects.filter(dataset__pid="esrf/dataset/000123").update(card_png=b"\x89PNG card")
    assert anonymous_client.get(f"{DATASET}/preview.png", {"size": "card"}).content == b"\x89PNG card"
    assert anonymous_client.get(f"{DATASET}/preview.png").content == saxs_curve_png()


def gallery_of(response) -> list[str]:
    return [image.get("src") for image in html_tree(response).xpath("//section[@class='gallery']//img")]


def test_doi_gallery_shows_the_previews_of_the_datasets_the_visitor_may_download(anonymous_client, open_proposal):
    secret = DatasetFactory(proposal=open_proposal, pid=f"esrf/dataset/{LEAK_TOKEN.lower()}", embargoed=True)
    Preview.objects.create(dataset=secret, png=saxs_curve_png(), caption=f"{LEAK_TOKEN} plot", width=768, height=480)
    second = DatasetFactory(proposal=open_proposal, pid="esrf/dataset/000124", title="Cement paste w/c 0.5")
    Preview.objects.create(dataset=second, png=saxs_curve_png(), caption="Second plot", width=768, height=480)
    response = anonymous_client.get(DOI)
    assert gallery_of(response) == [f"{DATASET}/preview.png", "/datasets/esrf/dataset/000124/preview.png"]
    assert LEAK_TOKEN not in response.content.decode()
    member = client_for(team_member_of(open_proposal))
    assert len(gallery_of(member.get(DOI))) == 3


@override_settings(EMBARGOED_METADATA="visible")
def test_gallery_never_shows_a_plot_of_embargoed_files_under_the_visible_metadata_policy(
    anonymous_client, embargoed_proposal
):
    dataset = embargoed_proposal.datasets.get()
    Preview.objects.create(dataset=dataset, png=saxs_curve_png(), caption="secret", width=768, height=480)
    response = anonymous_client.get("/doi/10.80000/ESRF-MX-9999")
    assert LEAK_TOKEN in response.content.decode()  # the metadata are public under this policy
    assert gallery_of(response) == [] and "secret" not in response.content.decode()


SHOWCASE = [
    "exampledata/APS_15IDD_AgBehenate_228.hdf5",
    "sasdata/ISIS_LARMOR_14250_2D_NXcanSAS_v3.h5",
    "punx/NIST_SANS_cs_af1410.h5",
    "exampledata/IPNS_LRMECS_lrcs3701.nx5",
    "exampledata/SLS_STXM_Sample_Stack_128.hdf5",
    "pynxtools-xps/BESSY_Cu-HHTP.ibw.nxs",
]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dataset_page_and_doi_gallery_in_chromium(browser, live_server, settings, artifacts_dir):
    settings.EMBARGO_PERIOD_YEARS = 0
    facilities.load_registry(path=DEFAULT_REGISTRY)
    techniques.load_panet(vocabulary=panet.vocabulary())
    datasets = [
        services.ingest_file(path=SAMPLES_DIR / relative, source_folder=SAMPLES_DIR).dataset for relative in SHOWCASE
    ]
    owner = UserFactory(username="curator")
    collection = collections.create_collection(
        user=owner,
        title="Standards and test samples across facilities",
        description="Silver behenate, glassy carbon and vanadium runs gathered to compare instruments.",
        dataset_pids=[dataset.pid for dataset in datasets],
    )
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(f"{live_server.url}/datasets/{datasets[0].pid}")
        figure = page.locator("figure.preview")
        assert figure.locator("img").evaluate("image => image.complete && image.naturalWidth") == 768
        assert "Log colour scale" in figure.locator("figcaption").inner_text()
        assert page.locator("section.notebook a[download]").get_attribute("href").endswith("/notebook.ipynb")
        page.screenshot(path=artifacts_dir / "dataset-page.png", full_page=True)

        page.goto(f"{live_server.url}/doi/{collection.doi}")
        images = page.locator("section.gallery img")
        assert images.count() == len(SHOWCASE)
        page.wait_for_function("Array.from(document.querySelectorAll('section.gallery img')).every(i => i.complete)")
        widths = images.evaluate_all("images => images.map(image => image.naturalWidth)")
        assert widths == [768] * len(SHOWCASE)
        page.screenshot(path=artifacts_dir / "doi-gallery.png", full_page=True)
    finally:
        page.close()
