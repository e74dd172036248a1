"""Query-count ceilings of the landing pages and every export (issue 22): a page is built from a bounded number of
queries, the same for a DOI of two datasets and of twenty-one, with one or twenty files, people, samples, parameters…;
an anonymous visitor is then served the kept page in one query (the catalogue's state), views counted in the cache."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalogue.models import Preview
from tests.factories import (
    DataFileFactory,
    DatasetFactory,
    MemberFactory,
    ParameterFactory,
    SampleFactory,
    TechniqueFactory,
)
from tests.landing.conftest import saxs_curve_png

DOI = "/doi/10.80000/ESRF-MA-5678"
DATASET = "/datasets/esrf/dataset/000123"
# The most queries each URL may take to be built (the catalogue's state included); the counts must also not change
# when the catalogue grows.
CEILINGS = {
    DOI: 29,
    DATASET: 48,
    **{f"{DOI}?format={key}": 13 for key in ("datacite-xml", "datacite-json", "csl-json", "bibtex", "ris")},
    f"{DOI}?format=bibliography&style=ieee": 13,
    f"{DOI}?format=jsonld": 18,
    "/linkset/doi/10.80000/ESRF-MA-5678": 19,
    f"{DOI}?format=dcat": 16,
    f"{DOI}?format=ttl": 16,
    f"{DOI}/ro-crate-metadata.json": 18,
    **{f"{DATASET}?format={key}": 14 for key in ("csl-json", "bibtex", "ris", "bibliography")},
    f"{DATASET}?format=jsonld": 23,
    "/linkset/datasets/esrf/dataset/000123": 23,
    f"{DATASET}?format=dcat": 14,
}
# Served again: the catalogue's state (the view count of the pages is kept in the cache).
KEPT = dict.fromkeys(CEILINGS, 1)


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, HTTP_USER_AGENT="Mozilla/5.0")  # a counted visit: its update is counted too
    assert response.status_code == 200, url
    return len(captured.captured_queries)


def counts(client: Client) -> dict[str, tuple[int, int]]:
    """(built, served again) queries of each URL."""
    for page in (DOI, DATASET):  # the first visit ever reads the view count written so far into the cache
        queries(client, f"{page}?first-visit")
    return {url: (queries(client, url), queries(client, url)) for url in CEILINGS}


def grow(proposal, numbers: range) -> None:
    """One more of everything a page lists per number: datasets with files, samples, parameters, previews and
    techniques; people; inputs of the first dataset."""
    first = proposal.datasets.get(pid="esrf/dataset/000123")
    for n in numbers:
        MemberFactory(document=proposal, position=10 + n)
        dataset = DatasetFactory(
            proposal=proposal,
            instrument=first.instrument,
            samples=[SampleFactory(pid=f"esrf/sample/grown-{n}")],
            techniques=[TechniqueFactory(panet_id=f"PaNET9{n:04d}", name=f"technique {n}")],
        )
        DataFileFactory(dataset=dataset)
        DataFileFactory(dataset=first)
        ParameterFactory(dataset=first, name=f"parameter_{n}")
        first.samples.add(SampleFactory(pid=f"esrf/sample/first-{n}"))
        Preview.objects.create(dataset=dataset, png=saxs_curve_png(), width=480, height=320, signal_path="/data")
        first.input_datasets.add(dataset)


def test_pages_and_exports_take_a_bounded_number_of_queries_whatever_their_size(
    transactional_db, anonymous_client, open_proposal
):
    grow(open_proposal, range(1))
    small = counts(anonymous_client)
    grow(open_proposal, range(1, 20))
    large = counts(anonymous_client)
    assert large == small
    assert {url: built for url, (built, _) in large.items() if built > CEILINGS[url]} == {}
    assert {url: kept for url, (_, kept) in large.items()} == KEPT
