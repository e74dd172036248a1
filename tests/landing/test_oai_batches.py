"""A ListRecords page builds its DataCite records in a batch (metadata.document_records / dataset_records): the
queries do not grow with the page's records, and a batch-built record equals the one built alone."""

from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from lxml import etree

from catalogue import visibility
from catalogue.models import Dataset, Document, DoiState, Instrument, Technique
from catalogue.services import opening
from landing.datacite import metadata
from landing.models import RelatedWork
from landing.oai import records
from tests.factories import (
    AffiliationFactory,
    DatasetFactory,
    InstrumentFactory,
    MemberFactory,
    PersonFactory,
    ProposalFactory,
    SampleFactory,
    TechniqueFactory,
)
from tests.ingest.conftest import ingest, registry  # noqa: F401  fixtures: real files ingested
from tests.landing.graph_catalogue import graph_catalogue

OAI = "{http://www.openarchives.org/OAI/2.0/}"
# Queries of a ListRecords page whatever its size: the request's own, the list and headers, and one per relation.
PAGE_QUERY_CEILING = 40


def assert_batches_match_one_by_one(user: visibility.User = metadata.ANONYMOUS) -> None:
    documents = list(Document.objects.filter(doi__isnull=False).select_related("facility").order_by("pk"))
    assert len(documents) >= 2
    together = metadata.document_records(documents=documents, user=user)
    for document, record in zip(documents, together, strict=True):
        assert record == metadata.document_metadata(document=document, user=user), document.doi


def test_real_ingested_proposals_get_the_same_record_in_a_batch_and_alone(ingest, member):  # noqa: F811
    samples = ["NXcanSAS_examples/DLS_I22_gc14.h5", "exampledata/PSI_SINQ_DMC_dmc01.h5"]
    for number, sample in enumerate(samples):
        proposal = ingest(sample).dataset.proposal
        Document.objects.filter(pk=proposal.pk).update(doi=f"10.80000/OAI-{number}", doi_state=DoiState.FINDABLE)
        person = PersonFactory(full_name=f"Ada Lovelace {number}", orcid=f"0000-0002-1825-009{number}")
        MemberFactory(document=proposal, position=0, person=person, affiliation=AffiliationFactory())
        RelatedWork.objects.create(
            document=proposal, identifier=f"10.1000/paper-{number}", identifier_type="DOI", relation_type="IsCitedBy"
        )
        if number == 0:
            opening.open_now(proposal, by=None)
        else:  # embargoed: the public stub, except for its team
            MemberFactory(document=proposal, person=member.people.get(), is_creator=False)
    assert_batches_match_one_by_one()
    assert_batches_match_one_by_one(member)


def test_derived_collected_and_embargoed_documents_get_the_same_record_in_a_batch_and_alone(
    open_proposal, embargoed_proposal, tmp_path
):
    catalogue = graph_catalogue(open_proposal, embargoed_proposal, storage=tmp_path / "storage")
    other = ProposalFactory(doi="10.80000/OAI-DERIVED", doi_state=DoiState.FINDABLE)
    Document.objects.filter(pk=other.pk).update(facility=None)  # placed by its dataset's instrument
    derived = DatasetFactory(proposal=other, instrument=catalogue.raw.instrument, open_now=True)
    derived.input_datasets.add(catalogue.raw)
    assert_batches_match_one_by_one()


def add_proposals(numbers: range, *, technique: Technique, instrument: Instrument) -> None:
    """Proposals with DOIs, each with a team, a related work and two open datasets with a sample and a technique
    (one without an instrument), each derived from the previous; every other proposal, the first included, without
    a facility; every fourth embargoed (its public stub)."""
    for number in numbers:
        embargoed = number % 4 == 1
        proposal = ProposalFactory(doi=f"10.80000/PAGE-{number}", doi_state=DoiState.FINDABLE)
        if number % 2 == 0:
            Document.objects.filter(pk=proposal.pk).update(facility=None)
        MemberFactory(document=proposal, position=0, affiliation=AffiliationFactory())
        RelatedWork.objects.create(
            document=proposal, identifier=f"10.1000/p{number}", identifier_type="DOI", relation_type="IsCitedBy"
        )
        previous = Dataset.objects.order_by("-pk").first()
        for instrument_of in (None, instrument):
            dataset = DatasetFactory(
                proposal=proposal, instrument=instrument_of, techniques=[technique], embargoed=embargoed
            )
            dataset.samples.add(SampleFactory())
            if previous is not None:
                dataset.input_datasets.add(previous)


def list_records(client, size: int) -> int:
    """The number of records on the first ListRecords page of `size`."""
    with override_settings(OAI_PAGE_SIZE=size):
        response = client.get("/oai", {"verb": "ListRecords", "metadataPrefix": "oai_datacite"})
    assert response.status_code == 200
    return len(etree.fromstring(response.content).findall(f".//{OAI}record"))


def test_a_list_records_page_costs_the_same_queries_for_3_or_30_records(db, client):
    technique, instrument = TechniqueFactory(panet_id="PaNET01188"), InstrumentFactory()
    add_proposals(range(2), technique=technique, instrument=instrument)  # 2 DOIs (1 stub), 2 open datasets
    with CaptureQueriesContext(connection) as few:
        assert list_records(client, 3) == 3
    add_proposals(range(2, 14), technique=technique, instrument=instrument)
    with CaptureQueriesContext(connection) as many:
        assert list_records(client, 30) == 30
    assert len(many) == len(few)
    assert len(many) <= PAGE_QUERY_CEILING


def doi_with_datasets(number: int, datasets: int, *, technique: Technique, instrument: Instrument) -> Document:
    """A proposal with a DOI and `datasets` open datasets, each with its own sample, technique, definition and
    software, derived from the one before."""
    proposal = ProposalFactory(doi=f"10.80000/PARTS-{number}", doi_state=DoiState.FINDABLE)
    previous = None
    for index in range(datasets):
        dataset = DatasetFactory(
            proposal=proposal,
            instrument=instrument if index % 2 else None,
            techniques=[technique, TechniqueFactory(panet_id=f"PaNET7{number:02d}{index:02d}")],
            definitions=[f"NXdef{index}"],
            software_name=f"daq-{index}",
            file_format="NeXus/HDF5",
            number_of_files=1,
        )
        dataset.samples.add(SampleFactory())
        if previous is not None:
            dataset.input_datasets.add(previous)
        previous = dataset
    return proposal


def test_doi_records_cost_the_same_queries_for_1_or_12_datasets_a_doi(db):
    technique, instrument = TechniqueFactory(panet_id="PaNET01188"), InstrumentFactory()
    small = [doi_with_datasets(n, 1, technique=technique, instrument=instrument) for n in range(3)]
    large = [doi_with_datasets(n, 12, technique=technique, instrument=instrument) for n in range(3, 6)]
    counted = []
    for documents in (small, large):
        with CaptureQueriesContext(connection) as captured:
            records = metadata.document_records(documents=documents, stubs=set())
        counted.append(len(captured))
    assert counted[0] == counted[1]
    parts = [r for r in records[0]["relatedIdentifiers"] if r["relatedIdentifierType"] == "URL"]
    assert len(parts) == 12 and records[0]["sizes"][1] == "12 files"
    technical = records[0]["descriptions"][-1]["description"]
    assert "NeXus NXdef11;" in technical and "daq-11" in technical


def test_a_doi_lists_its_first_parts_by_creation_time_and_counts_them_all(db, monkeypatch):
    proposal = ProposalFactory(doi="10.80000/MANY-PARTS", doi_state=DoiState.FINDABLE)
    datasets = [DatasetFactory(proposal=proposal, number_of_files=2) for _ in range(3)]
    for hours, dataset in zip((3, 1, 2), datasets, strict=True):
        Dataset.objects.filter(pk=dataset.pk).update(creation_time=datasets[0].creation_time.replace(hour=hours))
    monkeypatch.setattr(metadata, "MAX_PARTS_LISTED", 2)
    record = metadata.document_metadata(document=proposal)
    listed = [r["relatedIdentifier"] for r in record["relatedIdentifiers"] if r["relationType"] == "HasPart"]
    assert listed == [metadata.dataset_url(datasets[1]), metadata.dataset_url(datasets[2])]
    assert record["sizes"][1] == "6 files"


def test_dataset_urls_quote_pids_as_reverse_does(db):
    pids = ["esrf/dataset/1", "a b/c", "x%2Fy", "é/ü", "a#b?c", "semi;colon,comma=+&$!'()*", "~user:@/x"]
    assert metadata.dataset_urls(pids) == [metadata.dataset_url(Dataset(pid=pid)) for pid in pids]


def test_a_resumed_page_starts_its_index_scan_at_the_token_position(db):
    for _ in range(3):
        DatasetFactory(open_now=True)
    selection = records.Selection(start=None, end=timezone.now(), set_spec=None)
    [first, *_] = records.page(selection, after=None, size=1)[0]
    with CaptureQueriesContext(connection) as captured:
        records.page(selection, after=first.position, size=1)
    [listing] = [q["sql"] for q in captured if 'FROM "catalogue_dataset"' in q["sql"] and "LIMIT" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + listing)
        [condition] = [row[0] for row in cursor.fetchall() if "Index Cond" in row[0]]
    assert "record_changed_at >= " in condition
