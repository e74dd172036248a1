"""Text XML cannot carry (a vertical tab a steward pasted from a word processor, an escape sequence in a file's notes,
U+FFFE) stays in the catalogue as written, and every XML surface stays well-formed and valid: it is a space there.
One such title once failed a whole OAI-PMH harvest and the DOI's DataCite XML with a server error."""

import pytest
from lxml import etree

from catalogue.models import Dataset, Document
from landing.datacite import xml as datacite_xml
from landing.graph import sync
from tests.landing.test_graph import sparql
from tests.landing.test_oai import error_code, oai_schema  # noqa: F401  oai_schema: a fixture

PASTED = "Cement\x0bpaste\x1b[1m hydrated\ufffe"
SHOWN = "Cement paste [1m hydrated "


@pytest.fixture
def pasted(open_proposal, settings, tmp_path) -> tuple[Document, Dataset]:
    settings.GRAPH_STORE_DIR = tmp_path / "graph"
    Document.objects.filter(pk=open_proposal.pk).update(title=PASTED)
    dataset = open_proposal.datasets.get()
    Dataset.objects.filter(pk=dataset.pk).update(title=PASTED)
    sync.rebuild()
    return Document.objects.get(pk=open_proposal.pk), Dataset.objects.get(pk=dataset.pk)


def test_the_catalogue_keeps_the_text_as_written(pasted):
    document, dataset = pasted
    assert document.title == dataset.title == PASTED


@pytest.mark.parametrize("prefix", ["oai_dc", "oai_datacite", "datacite"])
def test_an_oai_pmh_harvest_is_valid_and_shows_the_text_with_spaces(
    pasted,
    anonymous_client,
    oai_schema,  # noqa: F811
    prefix,
):
    response = anonymous_client.get("/oai", {"verb": "ListRecords", "metadataPrefix": prefix})
    assert response.status_code == 200
    assert [str(error.reason) for error in oai_schema.iter_errors(response.content)] == []
    root = etree.fromstring(response.content)
    assert error_code(root) is None
    assert SHOWN in {element.text for element in root.iter() if element.getparent() is not None}


def test_the_dois_datacite_xml_is_valid_and_shows_the_text_with_spaces(pasted, anonymous_client):
    document, _ = pasted
    response = anonymous_client.get(f"/doi/{document.doi}", HTTP_ACCEPT="application/vnd.datacite.datacite+xml")
    assert response.status_code == 200
    assert datacite_xml.validation_errors(response.content) == []
    titles = etree.fromstring(response.content).iter(f"{{{datacite_xml.NAMESPACE}}}title")
    assert SHOWN in [title.text for title in titles]


def test_rdf_xml_and_sparql_xml_results_are_well_formed(pasted, anonymous_client):
    document, dataset = pasted
    for url in (f"/datasets/{dataset.pid}", f"/doi/{document.doi}"):
        response = anonymous_client.get(url, {"format": "rdf"})
        assert response.status_code == 200
        assert SHOWN.encode() in etree.tostring(etree.fromstring(response.content), encoding="utf-8")
    query = "SELECT ?title WHERE { ?d a dcat:Dataset ; dct:title ?title }"
    response = sparql(anonymous_client, query, "application/sparql-results+xml")
    assert response.status_code == 200
    literals = etree.fromstring(response.content).iter("{http://www.w3.org/2005/sparql-results#}literal")
    assert [literal.text for literal in literals] == [SHOWN, SHOWN]  # the DOI and its dataset
