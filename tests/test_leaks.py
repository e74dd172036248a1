"""Nothing of an embargoed dataset leaks through any door (access-policy.md, default policy `hidden`).

An embargoed dataset whose title, description, sample, parameter and file names carry a unique token is seeded
beside open data. Every route the project has is found through Django's URL resolver and requested as anonymous
and as an outsider, with each path parameter filled from the seeded records, plus search-like query strings on
listings and export formats on the pages that name a record (those a team member finds): the token must appear
nowhere, no embargoed byte may be served, and no count may change because the dataset exists. As a team member,
the same dataset must be reachable.

A new route joins automatically when its path parameters have names listed in `candidates` below; a route with
a parameter of a new name FAILS this test until its values are added there or the route is listed in EXEMPT
with the reason it cannot leak.
"""

import io
import itertools
import json
import re
import zipfile
from collections.abc import Container, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

from catalogue.models import AccessRequest, DataFile, Dataset, Document, Preview
from catalogue.services import dmp
from landing.graph import sync as graph_sync
from tests.conftest import client_for, refetched, shared_rows
from tests.factories import (
    DataFileFactory,
    DatasetFactory,
    FacilityFactory,
    InstrumentFactory,
    ParameterFactory,
    ProposalFactory,
    SampleFactory,
    TechniqueFactory,
)

TOKEN = "qzleaktoken7731"
PROBE = TOKEN[:9]  # what the probes search for: a page echoing the query back must not count as a leak
SECRET_BYTES = b"\x89HDF\r\n\x1a\n" + TOKEN.encode() + b"-embargoed-payload-bytes-0123456789"

# Routes not exercised, each with the reason it cannot leak catalogue data to the public.
EXEMPT = {
    "password-set": "a one-time password link for an existing account; shows a password form only",
}
# Routes requested once, plainly: they hold no catalogue records and are slow (worker ping, schema generation,
# every Prometheus series of the process), and they read no query string.
PLAIN_ONLY = {"healthz", "schema", "schema-ui", "metrics"}
EXEMPT_PREFIXES = {
    "admin/": "the Django admin serves staff only (is_staff), and stewards see everything by design",
}

# Query strings a search surface may understand; a surface that ignores them answers its default page.
RELATIONS = ("files", "parameters", "samples", "techniques", "instrument")
SEARCH_QUERIES = [
    {"q": PROBE},
    {"query": PROBE},
    {"search": PROBE},
    {"title": PROBE},
    {"text": PROBE},
    {"filter": json.dumps({"where": {"title": {"ilike": f"%{PROBE}%"}}})},
    {"where": json.dumps({"title": {"ilike": f"%{PROBE}%"}})},
    {"filter": json.dumps({"query": PROBE})},
    # PaNOSC relations pulled into documents and instruments.
    {
        "filter": json.dumps(
            {"include": [{"relation": "datasets", "scope": {"include": [{"relation": r} for r in RELATIONS]}}]}
        )
    },
    # OAI-PMH harvesting (/oai): every format, the sets the embargoed dataset would be in, by GET and POST alike.
    {"verb": "ListRecords", "metadataPrefix": "oai_dc"},
    {"verb": "ListRecords", "metadataPrefix": "oai_datacite"},
    {"verb": "ListRecords", "metadataPrefix": "datacite"},
    {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"},
    {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "technique:PaNET01188"},
    {"verb": "ListRecords", "metadataPrefix": "datacite", "set": "status:closed"},
    {"verb": "ListSets"},
    # SPARQL over the open graph: a search for the token, and the whole graph at once.
    {"query": f'SELECT * WHERE {{ ?s ?p ?o FILTER(CONTAINS(LCASE(STR(?o)), "{PROBE}")) }}'},
    {"query": f'SELECT * WHERE {{ ?s ?p ?o FILTER(CONTAINS(LCASE(STR(?s)), "{PROBE}")) }}'},
    {"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
]
EXPORT_FORMATS = [
    *("json", "jsonld", "datacite", "xml", "bibtex", "ris", "csl", "dcat", "ttl", "rdf", "nt", "linkset", "oai_dc"),
]
EXPORT_MEDIA_TYPES = [
    "application/json",
    "application/ld+json",
    "application/vnd.datacite.datacite+xml",
    "application/vnd.datacite.datacite+json",
    "application/vnd.citationstyles.csl+json",
    "application/x-bibtex",
    "application/x-research-info-systems",
    "text/turtle",
    "application/rdf+xml",
    "application/n-triples",
    'application/ld+json; profile="http://www.w3.org/ns/dcat#"',
    "application/linkset+json",
]
PLAN = {
    "dmp": {
        "title": f"Plan of the {TOKEN} beamtime",
        "dmp_id": {"identifier": f"https://example.org/{TOKEN}", "type": "url"},
        "created": "2026-01-10T09:00:00Z",
        "modified": "2026-01-10T09:00:00Z",
        "language": "eng",
        "ethical_issues_exist": "no",
        "contact": {
            "name": TOKEN,
            "mbox": f"{TOKEN}@example.org",
            "contact_id": {"identifier": TOKEN, "type": "other"},
        },
        "dataset": [
            {
                "title": f"Planned {TOKEN} scans",
                "dataset_id": {"identifier": TOKEN, "type": "other"},
                "personal_data": "no",
                "sensitive_data": "no",
            }
        ],
    }
}
COUNT_KEYS = {"count", "total", "totalCount", "total_count", "hits", "number_of_datasets", "datasets_count"}


@dataclass(frozen=True)
class Route:
    name: str
    template: str  # the full path with {parameter} placeholders
    pattern: URLPattern


def routes() -> Iterator[Route]:
    def walk(resolver: URLResolver, prefix: str) -> Iterator[Route]:
        for entry in resolver.url_patterns:
            piece = _template(entry.pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry, prefix + piece)
            else:
                yield Route(name=entry.name or "", template="/" + prefix + piece, pattern=entry)

    yield from walk(get_resolver(), "")


def _template(pattern: object) -> str:
    """A URL pattern as a string with {name} placeholders, for route() and regex patterns alike."""
    text = str(pattern)
    if type(pattern).__name__ == "RoutePattern":
        return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", text)
    text = re.sub(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)", r"{\1}", text)
    return text.removeprefix("^").removesuffix("$").replace("/?", "/").replace("\\.", ".").replace("\\", "")


def placeholders(template: str) -> list[str]:
    return re.findall(r"{(\w+)}", template)


@dataclass
class Seed:
    dataset: Dataset
    data_file: DataFile
    document: Document
    open_dataset: Dataset


@pytest.fixture(scope="module")
def _seed_of_module(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Seed]:
    """Seeded once for the module's tests (tests.conftest.shared_rows); the files and the graph's store in a
    temporary folder of the module's, which no test writes to."""
    tmp_path = tmp_path_factory.mktemp("leaks")
    # The default policy, whatever the environment says.
    with (
        shared_rows(django_db_blocker),
        override_settings(EMBARGOED_METADATA="hidden", GRAPH_STORE_DIR=tmp_path / "graph"),
    ):
        yield _seeded(ProposalFactory(), tmp_path)


@pytest.fixture
def seed(_seed_of_module, db) -> Seed:
    """The test's own copies of the seeded records."""
    shared = _seed_of_module
    return Seed(
        *(refetched(record) for record in (shared.dataset, shared.data_file, shared.document, shared.open_dataset))
    )


@pytest.fixture
def proposal(seed) -> Document:
    """The seeded proposal, on whose team `member` is."""
    return seed.document


def _seeded(proposal: Document, tmp_path: Path) -> Seed:
    root = tmp_path / "storage"
    source = root / "exp"
    source.mkdir(parents=True)
    facility = FacilityFactory(short_name="LEAKSRC", storage_root=str(root))
    instrument = InstrumentFactory(facility=facility, name="LEAKBL")
    technique = TechniqueFactory()
    # A registered DOI: its public stub is an OAI-PMH record, harvested beside the open data.
    Document.objects.filter(pk=proposal.pk).update(doi="10.80000/leak-test", doi_state="findable", facility=facility)
    proposal.refresh_from_db()
    dataset = DatasetFactory(
        proposal=proposal,
        instrument=instrument,
        embargoed=True,
        title=f"Tomography of {TOKEN} crystals",
        description=f"Measured on the {TOKEN} sample.",
        keywords=[TOKEN],
        source_folder=str(source),
        scientific_metadata={"note": TOKEN},
        samples=[SampleFactory(name=f"{TOKEN} sample", pid="sample/leak-hidden")],
        techniques=[technique],
    )
    ParameterFactory(dataset=dataset, name=f"{TOKEN}_temperature", raw_value=TOKEN)
    Preview.objects.create(  # drawn from the embargoed data: its bytes and caption must stay closed too
        dataset=dataset,
        png=SECRET_BYTES,
        card_png=SECRET_BYTES,
        caption=f"Default plot of the {TOKEN} sample",
        choice={"signal": f"/entry/{TOKEN}"},
        signal_path=f"/entry/{TOKEN}",
    )
    (source / f"{TOKEN}_scan.nxs").write_bytes(SECRET_BYTES)
    data_file = DataFileFactory(dataset=dataset, path=f"{TOKEN}_scan.nxs", size=len(SECRET_BYTES))

    open_source = root / "open"
    open_source.mkdir()
    (open_source / "open.nxs").write_bytes(b"open bytes")
    open_dataset = DatasetFactory(instrument=instrument, source_folder=str(open_source), techniques=[technique])
    DataFileFactory(dataset=open_dataset, path="open.nxs", size=10)
    AccessRequest.objects.create(document=proposal, guest_name="G", guest_email="g@example.org", reason="r")
    dmp.import_plan(document=proposal, data=PLAN)  # a plan is the team's: never shown to outsiders
    # The knowledge graph's store, built from this catalogue: /sparql, the dump and the catalogue pages read it.
    graph_sync.rebuild()
    return Seed(dataset=dataset, data_file=data_file, document=proposal, open_dataset=open_dataset)


def candidates(seed: Seed) -> dict[str, list[str]]:
    """Values for each path parameter name, aimed at the embargoed records."""
    dataset, document = seed.dataset, seed.document
    assert dataset.instrument is not None
    sample = dataset.samples.get()
    encoded = {record.pid: quote(record.pid, safe="") for record in (dataset, document)}
    return {
        "pid": [dataset.pid, document.pid, sample.pid, dataset.instrument.pid],
        "dataset_pid": [dataset.pid],
        "document_pid": [document.pid],
        "proposal_pid": [document.pid],
        "doi": [str(document.doi)],
        "file_id": [str(seed.data_file.pk)],
        "pk": [str(dataset.pk), str(seed.data_file.pk), str(dataset.parameters.get().pk), str(document.pk)],
        "id": [str(dataset.pk), str(document.pk)],
        "request_id": [str(AccessRequest.objects.get().pk)],
        "job_id": ["1"],  # ingestion jobs: the first job of the test database
        "short_name": [dataset.instrument.facility.short_name],
        "panet_id": [str(dataset.techniques.get().panet_id)],
        "format": ["json", ".json", "api", ".api"],
        # The PaNOSC Search API serves everything below its prefix from one catch-all route.
        "rest": [
            "",
            "/",
            *(
                f"/{kind}{suffix}"
                for kind in ("Datasets", "Documents", "Instruments", "Samples", "Techniques")
                for suffix in ("", "/count")
            ),
            *(f"/Datasets/{encoded[dataset.pid]}{suffix}" for suffix in ("", "/files", "/files/count")),
            f"/Documents/{encoded[document.pid]}",
        ],
    }


def route_values(route: Route, values: dict[str, list[str]]) -> dict[str, list[str]]:
    """Candidates plus what the route itself declares, such as the section names of a sitemap."""
    sitemaps = route.pattern.default_args.get("sitemaps")
    return {**values, "section": list(sitemaps)} if isinstance(sitemaps, dict) else values


def concrete_urls(route: Route, values: dict[str, list[str]]) -> list[str] | None:
    """Every URL the route serves for the candidate values; None when a parameter has no candidates."""
    values = route_values(route, values)
    names = placeholders(route.template)
    if any(name not in values for name in names):
        return None
    urls = []
    for combination in itertools.product(*(values[name] for name in names)):
        url = route.template.format(**dict(zip(names, combination, strict=True)))
        try:
            match = resolve(url)
        except Resolver404:
            continue
        if match.func == route.pattern.callback or getattr(match.func, "cls", None) == getattr(
            route.pattern.callback, "cls", object()
        ):
            urls.append(url)
    return urls


def is_exempt(route: Route) -> bool:
    return route.name in EXEMPT or any(route.template.startswith("/" + prefix) for prefix in EXEMPT_PREFIXES)


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def zip_member(archive: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        return opened.read(next(member for member in opened.namelist() if member.endswith("/" + name)))


def counts_in(content: bytes) -> list[tuple[str, int]]:
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return []
    found = []

    def visit(node: object, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in COUNT_KEYS and isinstance(value, int):
                    found.append((f"{path}.{key}", value))
                visit(value, f"{path}.{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                visit(value, f"{path}[{index}]")

    visit(data, "")
    return found


def requests_for(
    route: Route, urls: list[str], records: list[str], *, probes: bool, named: Container[str]
) -> Iterator[tuple[str, str, dict, dict]]:
    """(method, url, query, headers) for one route: plain GET and HEAD, then search queries on listings (URLs
    naming no record) and export formats/media types on the record pages among `named`."""
    names = placeholders(route.template)
    listing_route = all(name in ("format", "rest") for name in names)
    for url in urls:
        yield "get", url, {}, {}
        if route.name in PLAIN_ONLY:
            continue
        yield "head", url, {}, {}
        if not probes:
            continue
        if listing_route and not any(record in url for record in records):
            for query in SEARCH_QUERIES:
                yield "get", url, query, {}
        elif "format" not in names and url in named:
            for name in EXPORT_FORMATS:
                yield "get", url, {"format": name}, {}
            for media_type in EXPORT_MEDIA_TYPES:
                yield "get", url, {}, {"HTTP_ACCEPT": media_type}


def urls_naming_a_record(member: Client, values: dict[str, list[str]]) -> set[str]:
    """The URLs with path parameters that name a record on their route: those a team member, who may see every
    seeded record, is not answered 404. Every candidate value goes into every parameter of that name, so most of
    the URLs ask a route for a record of another kind (a sample's PID on a dataset's page), which no one finds in
    any format: the export probes skip those."""
    named = set()
    for route in routes():
        if is_exempt(route) or route.name in PLAIN_ONLY or not placeholders(route.template):
            continue
        named |= {url for url in concrete_urls(route, values) or [] if member.get(url).status_code != 404}
    return named


def exercise(
    client: Client,
    values: dict[str, list[str]],
    *,
    named: Container[str] = frozenset(),
    probes: bool = True,
    lists_only: bool = False,
) -> tuple[list[str], dict[str, list], list[str]]:
    """Request every public surface, probing the record pages among `named`; returns (leaks, counts per request,
    unexercisable routes)."""
    leaks, counts, unexercised = [], {}, []
    token = TOKEN.encode()
    # PaNOSC paths naming one record (the rest are listings and counts).
    records = [value for value in values["rest"] if "%2F" in value]
    for route in routes():
        if is_exempt(route):
            continue
        if lists_only and placeholders(route.template):
            continue
        urls = concrete_urls(route, values)
        if urls is None:
            unexercised.append(f"{route.name or '(unnamed)'} {route.template}: a path parameter has no candidates")
            continue
        if not urls:
            unexercised.append(f"{route.name or '(unnamed)'} {route.template}: shadowed by an earlier route")
            continue
        for method, url, query, headers in requests_for(route, urls, records, probes=probes, named=named):
            response = getattr(client, method)(url, query, **headers)
            content = body_of(response)
            label = f"{method.upper()} {url} {query or ''} {headers or ''}"
            if token in content or SECRET_BYTES[:24] in content:
                leaks.append(f"{label} -> {response.status_code}: the token or embargoed bytes are in the body")
            if any(TOKEN in str(value) for value in response.headers.values()):
                leaks.append(f"{label} -> {response.status_code}: the token is in a header")
            if response.status_code >= 500:
                leaks.append(f"{label} -> {response.status_code}: server error")
            if route.name not in PLAIN_ONLY:
                counts[label] = counts_in(content)
    return leaks, counts, unexercised


@pytest.mark.parametrize("persona", ["anonymous", "outsider"])
def test_embargoed_dataset_leaks_nowhere(seed, outsider, member, persona):
    client = Client(raise_request_exception=False)
    if persona == "outsider":
        client.force_login(outsider)
    values = candidates(seed)
    named = urls_naming_a_record(client_for(member), values)
    dataset = seed.dataset
    assert {
        f"/datasets/{dataset.pid}",
        f"/api/v1/datasets/{dataset.pid}/",
        f"/datasets/{dataset.pid}/files/{seed.data_file.pk}/download",
        f"/doi/{seed.document.doi}",
    } <= named, "the export probes must reach the embargoed records' own pages"
    leaks, counts_with, unexercised = exercise(client, values, named=named)
    assert not unexercised, (
        "routes with path parameters this test cannot fill; add their values to candidates() "
        f"or list them in EXEMPT with a reason: {unexercised}"
    )
    assert not leaks, "\n".join(leaks)

    # Counts and facets must not reveal that the embargoed dataset exists: they are the same without it.
    seed.dataset.delete()
    _, counts_without, _ = exercise(client, values, lists_only=True)
    differing = {
        label: (found, counts_without[label])
        for label, found in counts_with.items()
        if label in counts_without and found != counts_without[label]
    }
    assert not differing, differing


def test_oai_pmh_knows_no_embargoed_dataset_and_shows_its_doi_as_the_stub(seed, anonymous_client):
    from landing.oai import provider, records

    dataset = seed.dataset
    identifier = provider.oai_identifier(records.Header("dataset", dataset.pk, dataset.pid, dataset.created_at, False))
    for method in ("get", "post"):
        for arguments in (
            {"verb": "GetRecord", "identifier": identifier, "metadataPrefix": "datacite"},
            {"verb": "ListMetadataFormats", "identifier": identifier},
        ):
            body = getattr(anonymous_client, method)("/oai", arguments).content
            assert b'code="idDoesNotExist"' in body and TOKEN.encode() not in body
    listed = anonymous_client.get("/oai", {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}).content
    assert b"doi/10.80000/leak-test" in listed and seed.open_dataset.pid.encode() in listed
    assert dataset.pid.encode() not in listed


def test_error_pages_do_not_echo_embargoed_metadata(seed, anonymous_client):
    dataset = seed.dataset
    for url in (
        f"/datasets/{dataset.pid}/files/999999/download",
        f"/datasets/{dataset.pid}/nothing-here",
        f"/api/v1/datasets/{dataset.pid}/",
        f"/no-such-page/{dataset.pid}",
    ):
        response = anonymous_client.get(url)
        assert response.status_code in (404, 410), url
        assert TOKEN.encode() not in response.content


def test_team_member_reaches_everything(seed, member_client):
    dataset, data_file = seed.dataset, seed.data_file
    detail = member_client.get(f"/api/v1/datasets/{dataset.pid}/")
    assert detail.status_code == 200 and TOKEN in detail.content.decode()
    for listing in ("/api/v1/samples/", "/api/v1/parameters/", "/api/v1/files/"):
        assert TOKEN in member_client.get(listing, {"limit": 500}).content.decode(), listing
    download = member_client.get(f"/datasets/{dataset.pid}/files/{data_file.pk}/download")
    assert body_of(download) == SECRET_BYTES
    archive = body_of(member_client.get(f"/datasets/{dataset.pid}/download.zip"))
    assert SECRET_BYTES in archive
    crate = member_client.get(f"/doi/{seed.document.doi}/ro-crate-metadata.json").content.decode()
    assert TOKEN in crate and TOKEN in zip_member(archive, "ro-crate-metadata.json").decode()
    plan = member_client.get(f"/doi/{seed.document.doi}/dmp.json").json()["dmp"]
    assert plan["title"] == PLAN["dmp"]["title"] and dataset.title in json.dumps(plan["dataset"])
    # Every surface together: the member finds the token somewhere beyond the API and the downloads too.
    leaks, _, _ = exercise(member_client, candidates(seed), probes=False)
    assert any("token or embargoed bytes" in leak for leak in leaks)


@pytest.mark.parametrize("persona", ["anonymous", "outsider", "member"])
def test_previews_notebooks_and_viewer_of_embargoed_data_open_to_the_team_only(seed, outsider, member, persona):
    client = {"anonymous": Client(), "outsider": client_for(outsider), "member": client_for(member)}[persona]
    dataset = seed.dataset
    urls = [
        f"/datasets/{dataset.pid}/preview.png",
        f"/datasets/{dataset.pid}/preview.png?size=card",
        f"/datasets/{dataset.pid}/notebook.ipynb",
        f"/doi/{seed.document.doi}/notebook.ipynb",
        f"/datasets/{dataset.pid}/files/{seed.data_file.pk}/explore",  # names the file: the token for the team
    ]
    for url in urls:
        response = client.get(url)
        if persona == "member":
            assert response.status_code == 200, url
            assert SECRET_BYTES in response.content or TOKEN.encode() in response.content, url
        else:
            assert response.status_code == 404, url
            assert TOKEN.encode() not in response.content and SECRET_BYTES[:24] not in response.content, url


def test_every_route_is_exercised_or_exempt_by_name():
    unknown = [name for name in EXEMPT if name not in {route.name for route in routes()}]
    assert not unknown, f"EXEMPT names routes that no longer exist: {unknown}"


def test_a_route_with_an_unknown_parameter_is_reported_unexercised(seed):
    route = next(route for route in routes() if route.name == "download-file")
    mystery = Route(name="mystery", template="/mystery/{riddle}/", pattern=route.pattern)
    assert concrete_urls(mystery, candidates(seed)) is None
    expected = f"/datasets/{seed.dataset.pid}/files/{seed.data_file.pk}/download"
    assert expected in concrete_urls(route, candidates(seed))
