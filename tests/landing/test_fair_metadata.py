"""What careful machine readers find on landing pages (issue 27): files with media types and exact sizes, provenance
in PROV/PAV, draft DOIs said to be drafts, typed cite-as, DataCite JSON with its agency, NeXus in conformsTo and
measured variables. JSON-LD is read with schema.org's published context and DataCite XML checked against the 4.7 XSD,
both from ../shared; signposting is parsed with the `signposting` client."""

import json

import pytest
import rdflib
from django.urls import reverse
from signposting.linkheader import find_signposting_http_link

from catalogue.models import DataFile, Dataset, DatasetKind
from tests.factories import DataFileFactory, DatasetFactory
from tests.ingest.conftest import ingest, registry  # noqa: F401  fixtures: real files ingested
from tests.landing.conftest import LEAK_TOKEN
from tests.standards import DCT, PAV, PROV, SCHEMA, datacite_errors, expand, graph_of

pytestmark = pytest.mark.django_db

SITE = "http://127.0.0.1:8000"
DOI = "10.80000/ESRF-MA-5678"
DOI_PAGE = f"/doi/{DOI}"
DATASET_PAGE = "/datasets/esrf/dataset/000123"
HDF5 = "application/x-hdf5"


def json_ld(client, url: str) -> dict:
    response = client.get(url, {"format": "jsonld"})
    assert response.status_code == 200
    return json.loads(response.content)


def subject_of(graph: rdflib.Graph) -> rdflib.term.Node:
    [subject] = graph.subjects(rdflib.RDF.type, SCHEMA.Dataset)
    return subject


def distributions(graph: rdflib.Graph) -> dict[str, dict[str, str]]:
    """contentUrl → {encodingFormat, contentSize} of every DataDownload of the page's Dataset."""
    found = {}
    for node in graph.objects(subject_of(graph), SCHEMA.distribution):
        found[str(graph.value(node, SCHEMA.contentUrl))] = {
            "type": str(graph.value(node, SCHEMA.encodingFormat)),
            "size": str(graph.value(node, SCHEMA.contentSize)),
        }
    return found


def test_doi_page_lists_every_file_with_its_media_type_and_exact_size_and_the_zip(
    anonymous_client, registered_proposal
):
    graph = graph_of(json_ld(anonymous_client, DOI_PAGE))
    found = distributions(graph)
    files = DataFile.objects.filter(dataset__pid="esrf/dataset/000123").order_by("path")
    for data_file in files:
        url = SITE + reverse("download-file", kwargs={"pid": "esrf/dataset/000123", "file_id": data_file.pk})
        assert found[url] == {"type": HDF5, "size": "1048576 B"}
    zip_url = SITE + "/datasets/esrf/dataset/000123/download.zip"
    assert found[zip_url]["type"] == "application/zip"
    assert len(found) == 4


def test_doi_page_signposting_items_are_the_files_with_real_media_types_then_the_zip(
    anonymous_client, registered_proposal
):
    response = anonymous_client.get(DOI_PAGE)
    signposts = find_signposting_http_link([response["Link"]], SITE + DOI_PAGE)
    items = {(str(item.target), str(item.type)) for item in signposts.items}
    assert {media for _, media in items} == {HDF5, "application/zip"}
    assert sum(media == HDF5 for _, media in items) == 3
    linkset = anonymous_client.get(f"/linkset/doi/{DOI}").json()["linkset"][0]
    assert [item["type"] for item in linkset["item"]] == [HDF5, HDF5, HDF5, "application/zip"]


def test_sizes_are_exact_bytes_for_machines_and_readable_for_people(anonymous_client, registered_proposal):
    xml = anonymous_client.get(DOI_PAGE, {"format": "datacite-xml"}).content
    assert datacite_errors(xml) == []
    assert b"<size>3145728 bytes</size>" in xml and b"<size>3 files</size>" in xml
    data = json.loads(anonymous_client.get(DOI_PAGE, {"format": "datacite-json"}).content)
    assert data["sizes"] == ["3145728 bytes", "3 files"]
    page = anonymous_client.get(DATASET_PAGE).content.decode()
    assert "1.0 MB" in page and "1048576 B" not in page.split("application/ld+json")[0]


def test_dataset_page_distribution_carries_checksums(anonymous_client, registered_proposal):
    data_file = DataFile.objects.filter(dataset__pid="esrf/dataset/000123").order_by("path").first()
    DataFile.objects.filter(pk=data_file.pk).update(checksum="ab" * 32, checksum_algorithm="sha256")
    data = json_ld(anonymous_client, DATASET_PAGE)
    [download] = [d for d in data["distribution"] if d["contentUrl"].endswith(f"/files/{data_file.pk}/download")]
    assert download["sha256"] == "ab" * 32 and download["contentSize"] == "1048576 B"


def test_provenance_is_prov_o_and_pav_in_the_json_ld(anonymous_client, registered_proposal):
    dataset = Dataset.objects.get(pid="esrf/dataset/000123")
    Dataset.objects.filter(pk=dataset.pk).update(software_name="bliss", software_version="2.1")
    graph = graph_of(json_ld(anonymous_client, DATASET_PAGE))
    subject = subject_of(graph)
    activity = graph.value(subject, PROV.wasGeneratedBy)
    assert (activity, rdflib.RDF.type, PROV.Activity) in graph
    assert graph.value(activity, PROV.startedAtTime).toPython().isoformat().startswith("2020-03-14T09:00")
    agents = set(graph.objects(activity, PROV.wasAssociatedWith))
    assert rdflib.URIRef(SITE + "/instruments/esrf/instrument/id02") in agents
    assert rdflib.URIRef("https://ror.org/02550n020") in agents
    assert str(graph.value(graph.value(subject, PAV.createdWith), SCHEMA.softwareVersion)) == "2.1"
    assert graph.value(subject, PAV.importedOn) is not None
    ingestion = graph.value(subject, PROV.wasInfluencedBy)
    assert (ingestion, rdflib.RDF.type, PROV.Activity) in graph and graph.value(ingestion, PROV.startedAtTime)
    assert graph.value(subject, PROV.wasAttributedTo) == rdflib.URIRef("https://ror.org/02550n020")


def test_derived_data_name_their_input_datasets(anonymous_client, registered_proposal):
    raw = Dataset.objects.get(pid="esrf/dataset/000123")
    derived = DatasetFactory(
        proposal=registered_proposal, instrument=raw.instrument, pid="esrf/dataset/000124", kind=DatasetKind.DERIVED
    )
    derived.input_datasets.add(raw)
    graph = graph_of(json_ld(anonymous_client, "/datasets/esrf/dataset/000124"))
    subject = subject_of(graph)
    raw_iri = rdflib.URIRef(SITE + DATASET_PAGE)
    assert (subject, PROV.wasDerivedFrom, raw_iri) in graph
    activity = graph.value(subject, PROV.wasGeneratedBy)
    assert (activity, PROV.used, raw_iri) in graph
    assert str(graph.value(activity, SCHEMA.name)) == "Processing"
    # On the DOI page both are inside the proposal: the input is not an input of the whole.
    whole = graph_of(json_ld(anonymous_client, DOI_PAGE))
    assert (None, PROV.wasDerivedFrom, raw_iri) not in whole


def test_draft_doi_is_a_draft_in_every_machine_readable_form(anonymous_client, open_proposal):
    landing = SITE + DOI_PAGE
    xml = anonymous_client.get(DOI_PAGE, {"format": "datacite-xml"}).content
    assert datacite_errors(xml) == []
    assert b'descriptionType="Other">Draft DOI: 10.80000/ESRF-MA-5678 is reserved but not registered' in xml
    datacite = json.loads(anonymous_client.get(DOI_PAGE, {"format": "datacite-json"}).content)
    assert datacite["state"] == "draft" and datacite["agency"] == "datacite"
    data = json_ld(anonymous_client, DOI_PAGE)
    assert data["creativeWorkStatus"] == "Draft" and data["@id"] == landing and "sameAs" not in data
    [expanded] = expand(data)
    assert expanded["@id"] == landing
    response = anonymous_client.get(DOI_PAGE)
    signposts = find_signposting_http_link([response["Link"]], landing)
    assert str(signposts.citeAs.target) == landing and str(signposts.citeAs.type) == "text/html"
    assert 'title="Draft DOI: 10.80000/ESRF-MA-5678' in response["Link"]
    assert all(str(link.target) == landing for link in signposts.signposts if link.rel == "cite-as")
    linkset = anonymous_client.get(f"/linkset/doi/{DOI}").json()["linkset"][0]
    assert linkset["cite-as"][0]["href"] == landing and linkset["cite-as"][0]["title"].startswith("Draft DOI:")
    dataset_page = anonymous_client.get(DATASET_PAGE)
    dataset_signposts = find_signposting_http_link([dataset_page["Link"]], SITE + DATASET_PAGE)
    assert str(dataset_signposts.citeAs.target) == landing


def test_registered_doi_is_cited_as_a_typed_doi_link_and_published(anonymous_client, registered_proposal):
    response = anonymous_client.get(DOI_PAGE)
    signposts = find_signposting_http_link([response["Link"]], SITE + DOI_PAGE)
    assert str(signposts.citeAs.target) == f"https://doi.org/{DOI}" and str(signposts.citeAs.type) == "text/html"
    data = json_ld(anonymous_client, DOI_PAGE)
    assert data["creativeWorkStatus"] == "Published" and data["sameAs"] == f"https://doi.org/{DOI}"
    xml = anonymous_client.get(DOI_PAGE, {"format": "datacite-xml"}).content
    assert b"Draft DOI" not in xml and datacite_errors(xml) == []
    datacite = json.loads(anonymous_client.get(DOI_PAGE, {"format": "datacite-json"}).content)
    assert datacite["state"] == "findable" and datacite["agency"] == "datacite"
    assert datacite["id"] == f"https://doi.org/{DOI}"


@pytest.mark.parametrize("url", [DOI_PAGE, DATASET_PAGE])
def test_nexus_and_its_application_definition_are_declared_in_conforms_to(anonymous_client, registered_proposal, url):
    graph = graph_of(json_ld(anonymous_client, url))
    standards = set(graph.objects(subject_of(graph), DCT.conformsTo))
    assert rdflib.URIRef("https://doi.org/10.25504/FAIRsharing.eq2pdx") in standards
    assert rdflib.URIRef("https://manual.nexusformat.org/classes/applications/NXsas.html") in standards


def test_embedded_json_ld_on_the_page_is_the_negotiated_one(anonymous_client, registered_proposal):
    html = anonymous_client.get(DOI_PAGE).content.decode()
    embedded = html.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert json.loads(embedded) == json_ld(anonymous_client, DOI_PAGE)


def test_variables_fall_back_to_the_nexus_signal_and_axes_with_units(anonymous_client, ingest):  # noqa: F811
    job = ingest("exampledata/IPNS_LRMECS_lrcs3701.nx5")
    dataset = job.dataset
    # The file's one physical parameter (the chopper's energy) taken away: a dataset with none, as the ESS files are.
    dataset.parameters.filter(is_physical=True).delete()
    data = json_ld(anonymous_client, f"/datasets/{dataset.pid}")
    variables = {v["name"]: v.get("unitText") for v in data["variableMeasured"]}
    assert variables == {"data": "counts", "polar_angle": "degrees", "time_of_flight": "microseconds"}
    assert any("NeXus signal" in v["description"] for v in data["variableMeasured"])
    graph = graph_of(data)
    assert len(set(graph.objects(subject_of(graph), SCHEMA.variableMeasured))) == 3


def test_parameters_stay_the_measured_variables_when_there_are_some(anonymous_client, registered_proposal):
    data = json_ld(anonymous_client, DATASET_PAGE)
    names = [v["name"] for v in data["variableMeasured"]]
    assert names and "I" not in names


def test_embargoed_proposal_lists_no_file_provenance_or_variables(anonymous_client, embargoed_proposal):
    DataFileFactory(dataset=embargoed_proposal.datasets.get(), path="raw/more.h5", size=5)
    body = anonymous_client.get("/doi/10.80000/ESRF-MX-9999", {"format": "jsonld"}).content.decode()
    data = json.loads(body)
    for key in ("distribution", "variableMeasured", "prov:wasGeneratedBy", "dct:conformsTo"):
        assert key not in data
    assert LEAK_TOKEN.lower() not in body.lower()
    links = anonymous_client.get("/doi/10.80000/ESRF-MX-9999")["Link"]
    assert 'rel="item"' not in links
