"""The two landing pages: what each persona sees, the machine-readable head, signposting, tombstones and sitemap."""

import json
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from lxml import etree
from signposting.linkheader import find_signposting_http_link

from catalogue.models import Dataset, DatasetStatistics, DocumentStatistics, Preview
from landing.datacite.metadata import human_size
from landing.models import RelatedWork
from landing.services import pages
from tests.factories import CollectionFactory, DatasetFactory, PersonFactory, UserFactory
from tests.landing.conftest import LEAK_TOKEN

pytestmark = pytest.mark.django_db

DOI_URL = "/doi/10.80000/ESRF-MA-5678"
DATASET_URL = "/datasets/esrf/dataset/000123"
EMBARGOED_DOI_URL = "/doi/10.80000/ESRF-MX-9999"
EMBARGOED_DATASET_URL = "/datasets/esrf/dataset/zebraquokka"
BROWSER = {"HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"}


def html_tree(response):
    return etree.HTML(response.content.decode())


def json_ld_of(response) -> dict:
    [script] = html_tree(response).xpath("//script[@type='application/ld+json']")
    return json.loads(script.text)


def team_member_of(proposal, username="teammate"):
    user = UserFactory(username=username)
    person = proposal.members.first().person
    person.user = user
    person.save()
    return user


def test_open_doi_page_shows_everything_a_scientist_needs(anonymous_client, open_proposal):
    response = anonymous_client.get(DOI_URL, **BROWSER)
    assert response.status_code == 200
    html = response.content.decode()
    for expected in (
        "In-situ hydration of cement pastes by SAXS",
        "Ada Lovelace",
        "https://orcid.org/0000-0002-1825-0097",
        "Lund University",
        "European Synchrotron Radiation Facility",
        "ID02",
        "http://purl.org/pan-science/PaNET/PaNET01188",
        "Portland cement paste",
        "Cement paste w/c 0.4 at 25 °C",
        "10.80000/ESRF-MA-5678",
        "Open access",
        "Creative Commons Attribution 4.0 International",
        "Copy citation",
        "Export metadata",
        "Carbon footprint",
        "local draft",
    ):
        assert expected in html, expected
    assert "private@example.org" not in html


def test_doi_page_gives_the_volume_as_people_read_it_beside_the_exact_bytes(anonymous_client, open_proposal):
    """DataCite's sizes keep the exact byte count machines compare; the page says it as people read it too."""
    sizes = anonymous_client.get(DOI_URL, {"format": "datacite-json"}).json()["sizes"]
    size, files = int(sizes[0].removesuffix(" bytes")), sizes[1]
    [volume] = html_tree(anonymous_client.get(DOI_URL)).xpath("//dt[.='Volume']/following-sibling::dd[1]")
    assert volume.xpath("string()") == f"{human_size(size)} ({size:,} bytes), {files}"
    assert size > 1000  # the human size differs from the bytes


def test_doi_page_head_carries_json_ld_scholar_tags_and_canonical(anonymous_client, registered_proposal):
    response = anonymous_client.get(DOI_URL)
    tree = html_tree(response)
    data = json_ld_of(response)
    assert data["@type"] == "Dataset" and data["identifier"] == "https://doi.org/10.80000/ESRF-MA-5678"
    meta = {m.get("name"): m.get("content") for m in tree.xpath("//meta[@name]")}
    assert meta["citation_title"] == "In-situ hydration of cement pastes by SAXS"
    assert meta["citation_doi"] == "10.80000/ESRF-MA-5678"
    assert [m.get("content") for m in tree.xpath("//meta[@name='citation_author']")] == [
        "Lovelace, Ada",
        "Ørsted, Émile",
    ]
    assert tree.xpath("//link[@rel='canonical']/@href") == ["http://127.0.0.1:8000" + DOI_URL]
    assert tree.xpath("//main") and tree.xpath("//header") and tree.xpath("//footer")
    assert all(img.get("alt") for img in tree.xpath("//img"))


def test_doi_page_signposting_headers_parse_with_the_signposting_library(anonymous_client, registered_proposal):
    response = anonymous_client.get(DOI_URL)
    signposts = find_signposting_http_link([response["Link"]], "http://127.0.0.1:8000" + DOI_URL)
    assert str(signposts.citeAs.target) == "https://doi.org/10.80000/ESRF-MA-5678"
    assert str(signposts.license.target) == "https://creativecommons.org/licenses/by/4.0/"
    assert {str(a.target) for a in signposts.authors} == {"https://orcid.org/0000-0002-1825-0097"}
    assert {str(t.target) for t in signposts.types} == {"https://schema.org/Dataset", "https://schema.org/AboutPage"}
    described = {(str(d.target), d.type) for d in signposts.describedBy}
    # fair-test keeps only the last describedby: the JSON-LD one must come last in the header.
    last = [part for part in response["Link"].split(", <") if 'rel="describedby"' in part][-1]
    assert 'type="application/ld+json"' in last
    assert (
        "http://127.0.0.1:8000" + DOI_URL + "?format=datacite-xml",
        "application/vnd.datacite.datacite+xml",
    ) in described
    assert signposts.linksets


def test_linkset_lists_the_same_relations(anonymous_client, registered_proposal):
    response = anonymous_client.get("/linkset/doi/10.80000/ESRF-MA-5678")
    assert response["Content-Type"] == "application/linkset+json"
    [context] = response.json()["linkset"]
    assert context["anchor"] == "http://127.0.0.1:8000" + DOI_URL
    assert context["cite-as"] == [{"href": "https://doi.org/10.80000/ESRF-MA-5678", "type": "text/html"}]
    assert context["describedby"][-1]["type"] == "application/ld+json"
    text = anonymous_client.get("/linkset/doi/10.80000/ESRF-MA-5678", HTTP_ACCEPT="application/linkset")
    assert text["Content-Type"] == "application/linkset" and 'rel="cite-as"' in text.content.decode()


def test_embargoed_doi_page_shows_only_the_public_stub(anonymous_client, outsider_client, embargoed_proposal):
    for client in (anonymous_client, outsider_client):
        response = client.get(EMBARGOED_DOI_URL)
        assert response.status_code == 200
        html = response.content.decode()
        for expected in (
            "Structure of a membrane transporter",
            "MX-9999",
            "Grace Hopper",
            "ID23",
            "Under embargo until",
            "10.80000/ESRF-MX-9999",
            "CC-BY-4.0",
        ):
            assert expected in html, expected
        assert LEAK_TOKEN.lower() not in html.lower()
        assert "private@example.org" not in html
        assert "/download" not in html
        assert LEAK_TOKEN.lower() not in response["Link"].lower()


def test_embargoed_dataset_page_is_404_for_outsiders(anonymous_client, outsider_client, embargoed_proposal):
    for client in (anonymous_client, outsider_client):
        for url in (
            EMBARGOED_DATASET_URL,
            EMBARGOED_DATASET_URL + "/preview.png",
            "/linkset/datasets/esrf/dataset/zebraquokka",
        ):
            response = client.get(url)
            assert response.status_code == 404, url
            assert LEAK_TOKEN.lower() not in response.content.decode().lower()


def test_team_members_see_their_embargoed_data_in_full(embargoed_proposal):
    from tests.conftest import client_for

    client = client_for(team_member_of(embargoed_proposal))
    assert LEAK_TOKEN in client.get(EMBARGOED_DOI_URL).content.decode()
    page = client.get(EMBARGOED_DATASET_URL)
    assert page.status_code == 200 and f"raw/{LEAK_TOKEN}_0001.h5" in page.content.decode()


@override_settings(EMBARGOED_METADATA="visible")
def test_visible_policy_shows_metadata_and_keeps_files_closed(anonymous_client, embargoed_proposal):
    html = anonymous_client.get(EMBARGOED_DOI_URL).content.decode()
    assert f"{LEAK_TOKEN} crystal 7" in html and "Under embargo until" in html
    page = anonymous_client.get(EMBARGOED_DATASET_URL).content.decode()
    assert f"raw/{LEAK_TOKEN}_0001.h5" in page and "Files open on" in page


@override_settings(EMBARGOED_METADATA="visible")
def test_visible_policy_never_shows_a_plot_drawn_from_embargoed_data(anonymous_client, embargoed_proposal):
    dataset = embargoed_proposal.datasets.get()
    Preview.objects.update_or_create(dataset=dataset, defaults={"png": b"\x89PNG fake", "width": 4, "height": 3})
    for url in (EMBARGOED_DOI_URL, EMBARGOED_DATASET_URL):
        assert "preview.png" not in anonymous_client.get(url).content.decode(), url
    assert anonymous_client.get(EMBARGOED_DATASET_URL + "/preview.png").status_code == 404


def test_dataset_page_is_cited_through_its_proposal_doi(anonymous_client, registered_proposal):
    response = anonymous_client.get(DATASET_URL, **BROWSER)
    assert response.status_code == 200
    html = response.content.decode()
    assert "cite as DOI" in html and "Datasets are cited through the DOI" in html
    for expected in ("raw/cement_000.nxs", "blake2b", "sample_temperature", "Portland cement paste", "ID02"):
        assert expected in html, expected
    signposts = find_signposting_http_link([response["Link"]], "http://127.0.0.1:8000" + DATASET_URL)
    assert str(signposts.citeAs.target) == "https://doi.org/10.80000/ESRF-MA-5678"
    data = json_ld_of(response)
    assert data["citation"] == "https://doi.org/10.80000/ESRF-MA-5678"
    meta = {m.get("name"): m.get("content") for m in html_tree(response).xpath("//meta[@name]")}
    assert meta["citation_doi"] == "10.80000/ESRF-MA-5678"


def test_default_plot_preview_is_served_with_alt_text(anonymous_client, open_proposal):
    tree = html_tree(anonymous_client.get(DOI_URL))
    [image] = tree.xpath("//section[@class='gallery']//figure//img")
    assert "Default plot" in image.get("alt")
    response = anonymous_client.get(image.get("src"))
    assert response["Content-Type"] == "image/png" and response.content.startswith(b"\x89PNG")


def test_long_file_lists_are_collapsed(anonymous_client, open_proposal):
    from tests.factories import DataFileFactory

    dataset = Dataset.objects.get(pid="esrf/dataset/000123")
    for n in range(30):
        DataFileFactory(dataset=dataset, path=f"processed/frame_{n:04d}.h5")
    tree = html_tree(anonymous_client.get(DATASET_URL))
    assert len(tree.xpath("//details[contains(@class, 'more-files')]//tbody/tr")) == 33 - 20
    assert "Show the other 13 files" in tree.xpath("string(//details[contains(@class,'more-files')]/summary)")


ROBOT = {"HTTP_USER_AGENT": "Googlebot/2.1 (+http://www.google.com/bot.html)"}


def views_shown(response) -> int:
    return int(html_tree(response).xpath("string(//dt[.='Views']/following-sibling::dd[1])"))


def test_page_views_are_counted_for_people_not_robots_or_stewards(anonymous_client, steward_client, open_proposal):
    anonymous_client.get(DOI_URL, **BROWSER)
    anonymous_client.get(DOI_URL, **ROBOT)
    steward_client.get(DOI_URL, **BROWSER)
    assert anonymous_client.head(DOI_URL, **BROWSER).status_code == 200  # link checkers: answered, not counted
    assert views_shown(anonymous_client.get(DOI_URL, **ROBOT)) == 1
    assert views_shown(anonymous_client.get(DOI_URL, **BROWSER)) == 2  # this visit included
    anonymous_client.get(DATASET_URL, **BROWSER)
    assert views_shown(steward_client.get(DATASET_URL, **BROWSER)) == 1


def test_page_views_reach_the_database_in_batches(anonymous_client, open_proposal):
    for _ in range(pages.VIEWS_BATCH - 1):
        anonymous_client.get(DATASET_URL, **BROWSER)
    dataset = Dataset.objects.get(pid="esrf/dataset/000123")
    assert not DatasetStatistics.objects.filter(dataset=dataset).exists()
    assert views_shown(anonymous_client.get(DATASET_URL, **BROWSER)) == pages.VIEWS_BATCH
    assert DatasetStatistics.objects.get(dataset=dataset).view_count == pages.VIEWS_BATCH
    assert views_shown(anonymous_client.get(DATASET_URL, **ROBOT)) == pages.VIEWS_BATCH
    for _ in range(pages.VIEWS_BATCH):
        anonymous_client.get(DOI_URL, **BROWSER)
    assert DocumentStatistics.objects.get(document=open_proposal).view_count == pages.VIEWS_BATCH


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "v"}})
def test_page_views_are_counted_in_batches_without_redis_too(anonymous_client, open_proposal):
    caches["default"].clear()
    for _ in range(pages.VIEWS_BATCH + 1):
        anonymous_client.get(DATASET_URL, **BROWSER)
    assert DatasetStatistics.objects.get(dataset__pid="esrf/dataset/000123").view_count == pages.VIEWS_BATCH
    assert views_shown(anonymous_client.get(DATASET_URL, **ROBOT)) == pages.VIEWS_BATCH + 1


def test_counting_page_views_writes_no_catalogue_row(anonymous_client, open_proposal):
    """Views are counted in statistics rows of their own: a dataset's row carries facet and search triggers and a
    lock that every visitor of a busy page would queue behind."""

    def row_versions() -> list[tuple[str, str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 'dataset', ctid::text FROM catalogue_dataset UNION ALL "
                "SELECT 'document', ctid::text FROM catalogue_document ORDER BY 1, 2"
            )
            return cursor.fetchall()

    before = row_versions()
    for _ in range(pages.VIEWS_BATCH):
        anonymous_client.get(DATASET_URL, **BROWSER)
        anonymous_client.get(DOI_URL, **BROWSER)
    assert DatasetStatistics.objects.get(dataset__pid="esrf/dataset/000123").view_count == pages.VIEWS_BATCH
    assert DocumentStatistics.objects.get(document=open_proposal).view_count == pages.VIEWS_BATCH
    assert row_versions() == before


def test_doi_lookup_is_case_insensitive_with_one_canonical_url(anonymous_client, open_proposal):
    response = anonymous_client.get("/doi/10.80000/esrf-ma-5678?format=bibtex")
    assert response.status_code == 301
    assert response["Location"] == DOI_URL + "?format=bibtex"


def test_unknown_doi_and_dataset_get_a_helpful_404(anonymous_client, db):
    response = anonymous_client.get("/doi/10.80000/NOPE")
    assert response.status_code == 404 and "No DOI 10.80000/NOPE" in response.content.decode()
    unknown = anonymous_client.get("/datasets/no/such/pid")
    assert unknown.status_code == 404 and "No public dataset has this identifier" in unknown.content.decode()


def test_withdrawn_proposal_is_a_tombstone_with_its_citation(anonymous_client, open_proposal):
    open_proposal.withdrawn_at = timezone.now()
    open_proposal.withdrawal_reason = "The sample was mislabelled."
    open_proposal.save()
    response = anonymous_client.get(DOI_URL)
    assert response.status_code == 410
    html = response.content.decode()
    assert "The sample was mislabelled." in html and "Lovelace, A." in html and "10.80000/ESRF-MA-5678" in html
    assert 'rel="cite-as"' in response["Link"]


def test_withdrawn_open_dataset_is_a_tombstone_but_a_withdrawn_embargoed_one_stays_unknown(
    anonymous_client, open_proposal, embargoed_proposal
):
    Dataset.objects.update(withdrawn_at=timezone.now(), withdrawal_reason="Retracted.")
    assert anonymous_client.get(DATASET_URL).status_code == 410
    response = anonymous_client.get(EMBARGOED_DATASET_URL)
    assert response.status_code == 404 and f"{LEAK_TOKEN} crystal" not in response.content.decode()


def test_sitemap_lists_only_open_landing_pages(anonymous_client, open_proposal, embargoed_proposal):
    index = anonymous_client.get("/sitemap.xml")
    assert index.status_code == 200
    locations = etree.fromstring(index.content).xpath("//*[local-name()='loc']/text()")
    pages = []
    for location in locations:
        path = location.split("://", 1)[1].split("/", 1)[1]
        section = anonymous_client.get("/" + path)
        pages += etree.fromstring(section.content).xpath("//*[local-name()='loc']/text()")
    assert any(page.endswith(DOI_URL) for page in pages)
    assert any(page.endswith(DATASET_URL) for page in pages)
    assert not any("MX-9999" in page or "zebraquokka" in page for page in pages)
    robots = anonymous_client.get("/robots.txt").content.decode()
    assert "Sitemap: http://127.0.0.1:8000/sitemap.xml" in robots


def test_sitemap_index_dates_each_section_by_its_newest_open_record(
    anonymous_client, open_proposal, embargoed_proposal
):
    Dataset.objects.filter(proposal=embargoed_proposal).update(modified_at=timezone.now() + timedelta(days=1))
    index = etree.fromstring(anonymous_client.get("/sitemap.xml").content)
    dated = {
        entry.xpath("*[local-name()='loc']/text()")[0].rsplit("/", 1)[1]: entry.xpath(
            "*[local-name()='lastmod']/text()"
        )[0]
        for entry in index.xpath("//*[local-name()='sitemap']")
    }
    newest_open = Dataset.objects.filter(proposal=open_proposal).latest("modified_at").modified_at
    assert dated["sitemap-datasets.xml"] == newest_open.isoformat()  # the embargoed dataset's later write stays hidden
    open_proposal.refresh_from_db()
    assert dated["sitemap-doi.xml"] == open_proposal.modified_at.isoformat()


def test_carbon_block_shows_a_range_and_the_methodology_lists_every_factor(anonymous_client, open_proposal):
    RelatedWork.objects.create(document=open_proposal, identifier="10.1107/S1600577522009999")
    html = anonymous_client.get(DOI_URL).content.decode()
    assert "CO₂e" in html and "has avoided about" in html and "1 citation" in html
    method = anonymous_client.get("/about/carbon").content.decode()
    for expected in ("NOBUGS 2022", "Electricity Maps", "18.4", "75.0", "163.0", "1170.0", "ODbL"):
        assert expected in method, expected


def test_collection_page_lists_its_datasets_and_unpublished_collections_stay_hidden(
    anonymous_client, open_proposal, esrf
):
    collection = CollectionFactory(facility=esrf, doi="10.80000/ESRF-C9", title="Data behind our paper")
    collection.collected_datasets.set(open_proposal.datasets.all())
    html = anonymous_client.get("/doi/10.80000/ESRF-C9").content.decode()
    assert "Data collection" in html and "Cement paste w/c 0.4" in html and "10.80000/ESRF-MA-5678" in html
    assert "Producing these data emitted about" in html  # beamtime = the collected datasets' own times
    draft = CollectionFactory(facility=esrf, doi="10.80000/ESRF-C10", published_at=None)
    draft.collected_datasets.set(open_proposal.datasets.all())
    assert anonymous_client.get("/doi/10.80000/ESRF-C10").status_code == 404


def test_scientist_creates_a_collection_with_a_doi(open_proposal, outsider, outsider_client):
    dataset_page = outsider_client.get(DATASET_URL).content.decode()
    assert "/collections/new?datasets=esrf/dataset/000123" in dataset_page
    PersonFactory(user=outsider, full_name="Olga Outsider", first_name="Olga", last_name="Outsider", orcid="")
    response = outsider_client.post(
        "/collections/new",
        {"title": "Data of our 2026 paper", "description": "The runs behind figure 3.", "datasets": DATASET_URL[10:]},
    )
    assert response.status_code == 303
    page = outsider_client.get(response["Location"])
    html = page.content.decode()
    assert "Data of our 2026 paper" in html and "Olga Outsider" in html and "local draft" in html


def test_collection_of_invisible_datasets_is_refused_without_confirming_they_exist(outsider_client, embargoed_proposal):
    response = outsider_client.post(
        "/collections/new", {"title": "Sneaky", "datasets": "esrf/dataset/zebraquokka\nno/such/pid"}
    )
    assert response.status_code == 400
    assert "No dataset you can see has the pid(s): esrf/dataset/zebraquokka, no/such/pid" in response.content.decode()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"title": "x" * 1100, "datasets": "esrf/dataset/000123"}, "keep it under 1024"),
        ({"title": "   ", "datasets": "esrf/dataset/000123"}, "needs a title"),
        ({"title": "T", "datasets": ""}, "at least one dataset"),
        ({"title": "T", "datasets": "esrf/dataset/000123", "keywords": "k" * 300}, "under 255 characters"),
        ({"title": "T", "datasets": "a\x00b"}, "NUL character"),
    ],
)
def test_bad_collection_forms_get_a_clear_message_and_write_nothing(outsider_client, open_proposal, form, message):
    from catalogue.models import Collection

    response = outsider_client.post("/collections/new", form)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Collection.objects.exists()


def test_collection_form_needs_a_login(anonymous_client, db):
    assert anonymous_client.get("/collections/new").status_code == 302


def test_recently_opened_dataset_page_offers_downloads_once_routes_exist(anonymous_client, open_proposal):
    dataset = Dataset.objects.get(pid="esrf/dataset/000123")
    dataset.release_date = timezone.now() - timedelta(days=1)
    dataset.save()
    html = anonymous_client.get(DATASET_URL).content.decode()
    assert "Open access" in html


def test_session_proposal_without_dates_takes_its_period_from_datasets(anonymous_client, esrf):
    dataset = DatasetFactory(
        instrument__facility=esrf,
        proposal__facility=esrf,
        proposal__start_date=None,
        proposal__end_date=None,
        proposal__doi="10.80000/ESRF-SESSION-1",
    )
    html = anonymous_client.get("/doi/10.80000/ESRF-SESSION-1").content.decode()
    assert dataset.start_time.strftime("%-d %b %Y") in html


def test_doi_page_queries_do_not_grow_with_its_datasets(anonymous_client, open_proposal):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import DataFileFactory, SampleFactory

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert anonymous_client.get(DOI_URL).status_code == 200
        return len(captured.captured_queries)

    queries()  # the first visit fills the site's caches (whether any collection is published)
    before = queries()
    instrument = open_proposal.datasets.first().instrument
    for n in range(10):
        dataset = DatasetFactory(proposal=open_proposal, instrument=instrument, samples=[SampleFactory(pid=f"s/{n}")])
        DataFileFactory(dataset=dataset)
    assert queries() == before
