"""Every export parses with a real parser, and content negotiation on the landing URL serves each one."""

import json

import bibtexparser
import pytest
import rdflib
from citeproc.source.json import CiteProcJSON
from django.test import override_settings
from lxml import etree
from pyld import jsonld

from catalogue.models import Document
from landing.datacite import xml as datacite_xml
from landing.services import citations
from tests.landing.conftest import LEAK_TOKEN

pytestmark = pytest.mark.django_db

SCHEMA = rdflib.Namespace("http://schema.org/")


def schema_org_loader(url, options=None):
    """Offline stand-in for https://schema.org's context: every term in the schema.org vocabulary."""
    assert url.rstrip("/") in ("https://schema.org", "http://schema.org"), url
    return {"contextUrl": None, "documentUrl": url, "document": {"@context": {"@vocab": "http://schema.org/"}}}


def json_ld_graph(data: dict) -> rdflib.Graph:
    nquads = jsonld.to_rdf(data, {"format": "application/n-quads", "documentLoader": schema_org_loader})
    return rdflib.Graph().parse(data=nquads, format="nquads")


def get(client, url, accept=None, **params):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    return client.get(url, params, **headers)


DOI_URL = "/doi/10.80000/ESRF-MA-5678"


def test_datacite_xml_export_is_valid_and_negotiated(anonymous_client, open_proposal):
    response = get(anonymous_client, DOI_URL, "application/vnd.datacite.datacite+xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.datacite.datacite+xml"
    assert "Accept" in response["Vary"]
    assert datacite_xml.validation_errors(response.content) == []
    assert 'rel="describes"' in response["Link"]


def test_datacite_json_export_carries_the_same_record(anonymous_client, open_proposal):
    data = json.loads(get(anonymous_client, DOI_URL, format="datacite-json").content)
    assert data["doi"] == "10.80000/ESRF-MA-5678"
    assert data["publisher"]["publisherIdentifier"] == "https://ror.org/02550n020"
    assert data["types"]["resourceTypeGeneral"] == "Dataset"


@pytest.mark.parametrize(
    "title", ["In-situ hydration of cement pastes", "In-situ hydration of cement {C3S\\ 100% pastes"]
)
def test_bibtex_export_parses_with_bibtexparser(anonymous_client, open_proposal, title):
    Document.objects.filter(pk=open_proposal.pk).update(title=title)
    response = get(anonymous_client, DOI_URL, "application/x-bibtex")
    assert response["Content-Type"].startswith("application/x-bibtex")
    database = bibtexparser.loads(response.content.decode())
    [entry] = database.entries
    assert entry["ENTRYTYPE"] == "misc"
    assert entry["doi"] == "10.80000/ESRF-MA-5678"
    assert entry["author"] == "Lovelace, Ada and Ørsted, Émile"
    assert "cement" in entry["title"]
    if "{" in title:
        assert entry["title"] == r"{In-situ hydration of cement {\textbraceleft}C3S{\textbackslash} 100\% pastes}"


@pytest.mark.parametrize("title", ["In-situ hydration of cement pastes", "In-situ hydration\r\nof cement pastes"])
def test_ris_export_has_one_complete_record(anonymous_client, open_proposal, title):
    Document.objects.filter(pk=open_proposal.pk).update(title=title)
    text = get(anonymous_client, DOI_URL, "application/x-research-info-systems").content.decode()
    tags = [line[:2] for line in text.splitlines() if line.strip()]
    assert tags[0] == "TY" and tags[-1] == "ER"
    assert all(line[2:6] == "  - " for line in text.splitlines() if line.strip())
    assert "DO  - 10.80000/ESRF-MA-5678" in text and text.count("AU  - ") == 2
    assert "TI  - In-situ hydration of cement pastes\r\n" in text


def test_csl_json_export_renders_with_citeproc(anonymous_client, open_proposal):
    items = json.loads(get(anonymous_client, DOI_URL, "application/vnd.citationstyles.csl+json").content)
    source = CiteProcJSON(items)
    assert "10.80000/esrf-ma-5678" in source  # citeproc-py keys references in lower case
    assert items[0]["type"] == "dataset" and items[0]["author"][0] == {"family": "Lovelace", "given": "Ada"}


def test_formatted_citation_in_several_styles(anonymous_client, open_proposal):
    apa = get(anonymous_client, DOI_URL, "text/x-bibliography").content.decode()
    assert apa.startswith("Lovelace, A., & Ørsted, É.") and "https://doi.org/10.80000/ESRF-MA-5678" in apa
    ieee = get(anonymous_client, DOI_URL, "text/x-bibliography", style="ieee").content.decode()
    assert "A. Lovelace" in ieee
    bad = get(anonymous_client, DOI_URL, "text/x-bibliography", style="klingon")
    assert bad.status_code == 400 and "klingon" in bad.json()["detail"]


def test_every_offered_style_renders(open_proposal):
    from landing.datacite import metadata

    record = metadata.document_metadata(document=open_proposal)
    for key, _label, text in citations.all_citations(record):
        assert "Lovelace" in text, key
        assert "&amp;" not in text


def test_json_ld_export_is_a_schema_org_dataset_in_rdf(anonymous_client, registered_proposal):
    data = json.loads(get(anonymous_client, DOI_URL, "application/ld+json").content)
    graph = json_ld_graph(data)
    subject = rdflib.URIRef("https://doi.org/10.80000/ESRF-MA-5678")
    assert (subject, rdflib.RDF.type, SCHEMA.Dataset) in graph
    assert str(graph.value(subject, SCHEMA.name)) == "In-situ hydration of cement pastes by SAXS"
    assert 50 <= len(str(graph.value(subject, SCHEMA.description))) <= 5000
    assert str(graph.value(subject, SCHEMA.license)) == "https://creativecommons.org/licenses/by/4.0/"
    creators = set(graph.objects(subject, SCHEMA.creator))
    assert rdflib.URIRef("https://orcid.org/0000-0002-1825-0097") in creators
    technique = rdflib.URIRef("http://purl.org/pan-science/PaNET/PaNET01188")
    assert (subject, SCHEMA.measurementTechnique, technique) in graph


def test_unsupported_accept_gets_406_with_an_explanation(anonymous_client, open_proposal):
    response = get(anonymous_client, DOI_URL, "application/pdf")
    assert response.status_code == 406
    assert "text/html" in response.json()["detail"]
    assert get(anonymous_client, DOI_URL, format="pdf").status_code == 406


def test_browsers_get_html_by_default(anonymous_client, open_proposal):
    response = get(anonymous_client, DOI_URL, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "Accept" in response["Vary"]


def test_quality_values_choose_the_preferred_format(anonymous_client, open_proposal):
    response = get(anonymous_client, DOI_URL, "application/x-bibtex;q=0.5, application/x-research-info-systems")
    assert response["Content-Type"].startswith("application/x-research-info-systems")


def test_exports_of_an_embargoed_proposal_are_the_stub_only(anonymous_client, embargoed_proposal):
    url = "/doi/10.80000/ESRF-MX-9999"
    for key in (
        "datacite-xml",
        "datacite-json",
        "csl-json",
        "bibtex",
        "ris",
        "jsonld",
        "bibliography",
        "linkset-json",
        "linkset",
    ):
        response = get(anonymous_client, url, format=key)
        assert response.status_code == 200, key
        assert LEAK_TOKEN.lower() not in response.content.decode().lower(), key
        assert b"private@example.org" not in response.content
    assert datacite_xml.validation_errors(get(anonymous_client, url, format="datacite-xml").content) == []


@override_settings(EMBARGOED_METADATA="visible")
def test_visible_policy_exports_metadata_but_no_file_links(anonymous_client, embargoed_proposal):
    data = json.loads(get(anonymous_client, "/doi/10.80000/ESRF-MX-9999", format="jsonld").content)
    assert "distribution" not in data
    assert "conditionsOfAccess" in data
    page = anonymous_client.get("/datasets/esrf/dataset/zebraquokka")
    assert page.status_code == 200
    assert LEAK_TOKEN in page.content.decode()
    assert b"/download" not in page.content


def test_dataset_exports_cite_the_proposal_doi(anonymous_client, open_proposal):
    url = "/datasets/esrf/dataset/000123"
    entry = bibtexparser.loads(get(anonymous_client, url, "application/x-bibtex").content.decode()).entries[0]
    assert entry["doi"] == "10.80000/ESRF-MA-5678"
    data = json.loads(get(anonymous_client, url, "application/ld+json").content)
    assert data["name"] == "Cement paste w/c 0.4 at 25 °C"
    assert data["isPartOf"] == ["https://doi.org/10.80000/ESRF-MA-5678"]
    graph = json_ld_graph(data)
    assert (None, rdflib.RDF.type, SCHEMA.Dataset) in graph
    xml = get(anonymous_client, url, "application/vnd.datacite.datacite+xml")
    assert xml.status_code == 406  # DataCite records belong to DOIs: the page links the proposal's


def test_datacite_xml_of_the_dataset_page_menu_points_to_the_doi(anonymous_client, open_proposal):
    html = anonymous_client.get("/datasets/esrf/dataset/000123").content.decode()
    tree = etree.HTML(html)
    links = {a.get("data-export"): a.get("href") for a in tree.iterfind(".//a[@data-export]")}
    assert links["datacite-xml"] == "/doi/10.80000/ESRF-MA-5678?format=datacite-xml"
    assert links["bibtex"] == "/datasets/esrf/dataset/000123?format=bibtex"


def test_json_ld_carries_google_dataset_search_required_and_recommended_properties(
    anonymous_client, registered_proposal
):
    data = json.loads(get(anonymous_client, DOI_URL, format="jsonld").content)
    assert data["@context"] == "https://schema.org" and data["@type"] == "Dataset"
    assert data["name"] and 50 <= len(data["description"]) <= 5000
    for recommended in (
        "creator",
        "funder",
        "hasPart",
        "identifier",
        "isAccessibleForFree",
        "keywords",
        "license",
        "measurementTechnique",
        "sameAs",
        "spatialCoverage",
        "temporalCoverage",
        "variableMeasured",
        "url",
        "includedInDataCatalog",
        "alternateName",
        "datePublished",
        "publisher",
        "provider",
    ):
        assert data.get(recommended), recommended
    assert data["variableMeasured"] == [{"@type": "PropertyValue", "name": "sample_temperature", "unitText": "degC"}]
    assert data["temporalCoverage"] == "2020-03-14/2020-03-17"
