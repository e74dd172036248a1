"""The catalogue as DCAT-AP 3 RDF: one description per public entity, derived from the DataCite record of
landing.datacite.metadata and the rows the landing page shows, always as the anonymous public sees them.

Public entities (access-policy.md): the site's catalogue with its data services, every DOI (an embargoed proposal's
DOI as its public stub), every open dataset, every instrument. Anything else is absent: `describe` returns None.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

import pyoxigraph
from django.conf import settings
from django.db.models import Prefetch, Q
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import RFC3986_SUBDELIMS
from rdflib import BNode, Graph, Literal, URIRef
from rdflib import namespace as rdf
from rdflib.term import Node

from catalogue import panet, visibility
from catalogue.models import (
    DataFile,
    Dataset,
    Document,
    DocumentKind,
    Facility,
    Instrument,
    Parameter,
    Sample,
    Technique,
)
from catalogue.services import downloads
from landing.datacite import metadata
from landing.datacite.metadata import ANONYMOUS, Record
from landing.datacite.xml import xml_text
from landing.graph import vocabulary
from landing.graph.vocabulary import (
    CHECKSUM_ALGORITHMS,
    NEXUS_FORMAT,
    PANET_SCHEME,
    PREFIXES,
    QUDT_UNITS,
    Terms,
    definition_iri,
    media_type_iri,
)
from landing.services import crates
from landing.services.pages import citing_documents

# Each namespace's terms made once (vocabulary.Terms): a dataset's description reads some 300 of them.
DCAT, DCTERMS, FOAF, PROV, RDF, RDFS, SKOS, XSD = (
    Terms(namespace) for namespace in (rdf.DCAT, rdf.DCTERMS, rdf.FOAF, rdf.PROV, rdf.RDF, rdf.RDFS, rdf.SKOS, rdf.XSD)
)
ADMS, EU_ACCESS_RIGHT, EU_FILE_TYPE, EU_LANGUAGE, GEOSPARQL, ORG, PANET, QUDT, SCHEMA, SOSA, SPDX = (
    Terms(namespace)
    for namespace in (
        vocabulary.ADMS,
        vocabulary.EU_ACCESS_RIGHT,
        vocabulary.EU_FILE_TYPE,
        vocabulary.EU_LANGUAGE,
        vocabulary.GEOSPARQL,
        vocabulary.ORG,
        vocabulary.PANET,
        vocabulary.QUDT,
        vocabulary.SCHEMA,
        vocabulary.SOSA,
        vocabulary.SPDX,
    )
)
ZIP_MEDIA_TYPE = "application/zip"
# Standards the data services implement, as the IRIs their specifications are published under.
PANOSC_API_SPEC = "https://github.com/panosc-eu/search-api"
OAI_PMH_SPEC = "http://www.openarchives.org/OAI/2.0/openarchivesprotocol.htm"
SPARQL_PROTOCOL_SPEC = "https://www.w3.org/TR/sparql11-protocol/"


@dataclass(frozen=True)
class Entity:
    """A public entity of the graph: its kind ("catalogue", "document", "dataset", "instrument") and row id."""

    kind: str
    pk: int = 0

    def as_key(self) -> str:
        return f"{self.kind}:{self.pk}"

    @classmethod
    def from_key(cls, key: str) -> "Entity":
        kind, _, pk = key.partition(":")
        return cls(kind=kind, pk=int(pk or 0))


CATALOGUE = Entity("catalogue")


# An entity's triples as they are stated: a plain set, since an rdflib Graph's per-triple bookkeeping was most of a
# rebuild's time; the rebuild writes them to the store as they are, pages and tests read them as a Graph.
# Literals are pyoxigraph's: an rdflib Literal costs ~10 µs to make (it parses its value), a third of describing a
# dataset, and the store takes pyoxigraph terms anyway. Nodes stay rdflib's, as the pages and tests read them.
Value = Node | pyoxigraph.Literal
Triple = tuple[Node, Node, Value]
Triples = set[Triple]


@dataclass(frozen=True)
class Description:
    """The RDF of one entity: its IRI and every triple its page states (links to other entities as bare IRIs)."""

    iri: URIRef
    triples: Triples

    @property
    def graph(self) -> Graph:
        """The triples as a new rdflib Graph with the site's prefixes bound."""
        graph = Graph(bind_namespaces="none")
        for prefix, namespace in PREFIXES.items():
            graph.bind(prefix, namespace)
        for subject, predicate, value in self.triples:
            graph.add((subject, predicate, _rdflib(value) if isinstance(value, pyoxigraph.Literal) else value))
        return graph


def _rdflib(value: pyoxigraph.Literal) -> Literal:
    if value.language:
        return Literal(value.value, lang=value.language)
    if value.datatype == XSD_STRING:
        return Literal(value.value)
    return Literal(value.value, datatype=URIRef(value.datatype.value))


XSD_STRING = pyoxigraph.NamedNode(str(XSD.string))
_datatypes: dict[str, pyoxigraph.NamedNode] = {}


def _literal(value: str, *, datatype: str | None = None, lang: str | None = None) -> pyoxigraph.Literal:
    """A literal with its lexical form as rdflib would normalise it (the callers give canonical forms), without the
    characters RDF/XML and SPARQL's XML results cannot hold."""
    value = xml_text(value)
    if lang:
        return pyoxigraph.Literal(value, language=lang)
    if datatype:
        node = _datatypes.get(datatype)
        if node is None:
            node = _datatypes[datatype] = pyoxigraph.NamedNode(datatype)
        return pyoxigraph.Literal(value, datatype=node)
    return pyoxigraph.Literal(value)


def _hex(value: str) -> str:
    """rdflib's canonical xsd:hexBinary: lower case, when the value is hex at all."""
    try:
        bytes.fromhex(value)
    except ValueError:
        return value
    return value.lower()


def new_graph() -> Triples:
    return set()


# --- IRIs -------------------------------------------------------------------------------------------------------


# Stand-ins that every route's converters accept, replaced by the quoted values (see _url).
_MARKERS = {"pid": "pid-marker", "doi": "doi-marker", "file_id": 918273645}
_routes: dict[tuple[object, ...], str] = {}


def _url(name: str, **values: str | int) -> str:
    """The site URL of reverse(name, kwargs=values), values quoted as reverse() quotes them. reverse() walks the
    resolver each time (~50 µs, some ten times a dataset in a rebuild), so each route is reversed once per URL
    configuration and script prefix, with markers, and the values are put in their place."""
    key = (name, tuple(values), get_urlconf(), get_script_prefix())
    route = _routes.get(key)
    if route is None:
        route = _routes[key] = reverse(name, kwargs={field: _MARKERS[field] for field in values})
    for field, value in values.items():
        route = route.replace(str(_MARKERS[field]), quote(str(value), safe=RFC3986_SUBDELIMS + "/~:@"), 1)
    return metadata.site_url(route)


def catalogue_iri() -> URIRef:
    return URIRef(_url("graph-catalogue"))


def document_iri(doi: str) -> URIRef:
    return URIRef(_url("landing-doi", doi=doi))


def dataset_iri(pid: str) -> URIRef:
    return URIRef(_url("landing-dataset", pid=pid))


def instrument_iri(pid: str) -> URIRef:
    return URIRef(_url("portal:instrument", pid=pid))


def service_iris() -> dict[str, URIRef]:
    """The data services of the site: the PaNOSC Search API, OAI-PMH and SPARQL endpoints."""
    return {
        "panosc": URIRef(metadata.site_url("/panosc-api")),
        "oai": URIRef(metadata.site_url("/oai")),
        "sparql": URIRef(metadata.site_url(reverse("graph-sparql"))),
    }


# --- Which entities are public ------------------------------------------------------------------------------


def public_documents() -> Any:
    """DOIs with a landing page for anyone: proposals (an embargoed one as its stub) and visible collections."""
    collections = visibility.documents_visible_to(ANONYMOUS).filter(kind=DocumentKind.COLLECTION).values("pk")
    return Document.objects.filter(doi__isnull=False, withdrawn_at__isnull=True).filter(
        ~Q(kind=DocumentKind.COLLECTION) | Q(pk__in=collections)
    )


def public_entities() -> Iterator[Entity]:
    """Every public entity, streamed in id order (the catalogue first)."""
    yield CATALOGUE
    for kind, queryset in (
        ("document", public_documents()),
        ("dataset", visibility.open_datasets()),
        ("instrument", visibility.public_instruments()),
    ):
        for pk in queryset.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=2000):
            yield Entity(kind, pk)


def describe(entity: Entity) -> Description | None:
    """The entity's RDF, or None when it is not (or no longer) public."""
    return describe_many([entity])[entity]


def describe_many(entities: Iterable[Entity]) -> dict[Entity, Description | None]:
    """The RDF of each entity (None when not public); datasets, DOIs and instruments are described together in a fixed
    number of queries each, so a batch of any size costs about what one entity does. Raises ValueError for an
    unknown kind."""
    wanted = list(dict.fromkeys(entities))
    datasets = describe_datasets([entity.pk for entity in wanted if entity.kind == "dataset"])
    documents = describe_documents([entity.pk for entity in wanted if entity.kind == "document"])
    instruments = describe_instruments([entity.pk for entity in wanted if entity.kind == "instrument"])
    described: dict[Entity, Description | None] = {}
    for entity in wanted:
        if entity.kind == "catalogue":
            described[entity] = describe_catalogue()
        elif entity.kind == "document":
            described[entity] = documents.get(entity.pk)
        elif entity.kind == "dataset":
            described[entity] = datasets.get(entity.pk)
        elif entity.kind == "instrument":
            described[entity] = instruments.get(entity.pk)
        else:
            raise ValueError(f"unknown entity kind {entity.kind!r}")
    return described


# --- Shared pieces --------------------------------------------------------------------------------------------


def _literal_date(value: str) -> pyoxigraph.Literal:
    return _literal(value, datatype=XSD.date)


def _moment(value: datetime | date) -> pyoxigraph.Literal:
    if isinstance(value, datetime):
        return _literal(value.isoformat(), datatype=XSD.dateTime)
    return _literal(value.isoformat(), datatype=XSD.date)


def _typed(graph: Triples, node: URIRef, kind: URIRef, **labels: str) -> URIRef:
    graph.add((node, RDF.type, kind))
    for predicate, text in labels.items():
        graph.add((node, {"title": DCTERMS.title, "label": RDFS.label, "name": FOAF.name}[predicate], _literal(text)))
    return node


def _resource(graph: Triples, url: str) -> URIRef:
    """A web resource named as a link target (DCAT-AP asks for rdfs:Resource)."""
    return _typed(graph, URIRef(url), RDFS.Resource)


def _organisation(graph: Triples, name: str, ror: str | None) -> URIRef | BNode:
    node: URIRef | BNode = URIRef(ror) if ror else BNode()
    graph.add((node, RDF.type, FOAF.Organization))
    graph.add((node, RDF.type, FOAF.Agent))
    graph.add((node, FOAF.name, _literal(name)))
    return node


def _publisher(graph: Triples, record: Record) -> URIRef | BNode:
    publisher = record["publisher"]
    return _organisation(graph, publisher["name"], publisher.get("publisherIdentifier"))


def _creator(graph: Triples, creator: Record) -> URIRef | BNode:
    identifiers = {i["nameIdentifierScheme"]: i["nameIdentifier"] for i in creator.get("nameIdentifiers", [])}
    if creator.get("nameType") == "Organizational":
        return _organisation(graph, creator["name"], identifiers.get("ROR"))
    person: URIRef | BNode = URIRef(identifiers["ORCID"]) if "ORCID" in identifiers else BNode()
    graph.add((person, RDF.type, FOAF.Person))
    graph.add((person, RDF.type, FOAF.Agent))
    graph.add((person, FOAF.name, _literal(creator["name"])))
    if creator.get("givenName"):
        graph.add((person, FOAF.givenName, _literal(creator["givenName"])))
    if creator.get("familyName"):
        graph.add((person, FOAF.familyName, _literal(creator["familyName"])))
    for affiliation in creator.get("affiliation", []):
        organisation = _organisation(graph, affiliation["name"], affiliation.get("affiliationIdentifier"))
        graph.add((person, ORG.memberOf, organisation))
    return person


def _licence(graph: Triples, record: Record) -> URIRef:
    rights = next(r for r in record["rightsList"] if r.get("rightsIdentifierScheme") == "SPDX")
    return _typed(graph, URIRef(rights["rightsUri"]), DCTERMS.LicenseDocument, title=rights["rights"])


def _is_open(record: Record) -> bool:
    return any(r.get("rightsUri") == "info:eu-repo/semantics/openAccess" for r in record["rightsList"])


def _access_rights(graph: Triples, *, open_data: bool) -> URIRef:
    """EU access-right authority: PUBLIC for open data, NON_PUBLIC while under embargo."""
    node = EU_ACCESS_RIGHT["PUBLIC" if open_data else "NON_PUBLIC"]
    graph.add((node, RDF.type, DCTERMS.RightsStatement))
    graph.add((node, RDF.type, SKOS.Concept))
    graph.add((node, SKOS.prefLabel, _literal("public" if open_data else "non-public", lang="en")))
    return node


def _identifier(graph: Triples, subject: URIRef, notation: str, *, datatype: str | None, agency: str) -> None:
    node = BNode()
    graph.add((subject, ADMS.identifier, node))
    graph.add((node, RDF.type, ADMS.Identifier))
    graph.add((node, SKOS.notation, _literal(notation, datatype=URIRef(datatype) if datatype else None)))
    graph.add((node, ADMS.schemaAgency, _literal(agency)))


def _dates(graph: Triples, subject: URIRef, record: Record) -> None:
    for entry in record["dates"]:
        kind, value = entry["dateType"], entry["date"]
        if kind == "Collected":
            start, _, end = value.partition("/")
            period = BNode()
            graph.add((subject, DCTERMS.temporal, period))
            graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
            if start:
                graph.add((period, DCAT.startDate, _literal_date(start)))
            if end:
                graph.add((period, DCAT.endDate, _literal_date(end)))
        elif kind == "Available":
            graph.add((subject, DCTERMS.available, _literal_date(value)))
        elif kind == "Issued":
            graph.add((subject, DCTERMS.issued, _literal_date(value)))


def _concept(graph: Triples, iri: str, label: str) -> URIRef:
    """A PaNET term with its broader terms up to the top, so that a query for a technique finds its sub-techniques."""
    global _concepts
    vocabulary = panet.vocabulary()
    if _concepts is None or _concepts[0] is not vocabulary:
        _concepts = (vocabulary, {})
    known = _concepts[1]
    if (iri, label) not in known:
        known[(iri, label)] = frozenset(_concept_triples(iri, label, vocabulary))
    graph |= known[(iri, label)]
    return URIRef(iri)


# The triples of each PaNET term as stated, for the vocabulary loaded (they are the same in every description).
_concepts: tuple[panet.Vocabulary, dict[tuple[str, str], frozenset[Triple]]] | None = None


def _concept_triples(iri: str, label: str, vocabulary: panet.Vocabulary) -> Triples:
    graph = new_graph()
    term = URIRef(iri)
    graph.add((term, RDF.type, SKOS.Concept))
    graph.add((term, SKOS.prefLabel, _literal(label, lang="en")))
    graph.add((term, SKOS.inScheme, PANET_SCHEME))
    terms = vocabulary.terms
    known = terms.get(iri.removeprefix(str(PANET)))
    for ancestor_id in (known.id, *known.ancestors) if known else ():
        ancestor = terms.get(ancestor_id)
        if ancestor is None:
            continue
        node = URIRef(ancestor.purl)
        graph.add((node, RDF.type, SKOS.Concept))
        graph.add((node, SKOS.prefLabel, _literal(ancestor.label, lang="en")))
        graph.add((node, SKOS.inScheme, PANET_SCHEME))
        for parent in ancestor.parents:
            graph.add((node, SKOS.broader, PANET[parent]))
        # The closure too: `dcat:theme/skos:broaderTransitive?` is one lookup, where Oxigraph walks broader* slowly.
        for above in ancestor.ancestors:
            graph.add((node, SKOS.broaderTransitive, PANET[above]))
    return graph


def _subjects(graph: Triples, subject: URIRef, record: Record) -> None:
    for entry in record["subjects"]:
        if entry.get("subjectScheme") == "PaNET":
            graph.add((subject, DCAT.theme, _concept(graph, entry["valueUri"], entry["subject"])))
        else:
            graph.add((subject, DCAT.keyword, _literal(entry["subject"])))


def _place(graph: Triples, subject: URIRef, record: Record) -> None:
    for location in record["geoLocations"]:
        place = BNode()
        graph.add((subject, DCTERMS.spatial, place))
        graph.add((place, RDF.type, DCTERMS.Location))
        graph.add((place, RDFS.label, _literal(location["geoLocationPlace"])))
        point = location.get("geoLocationPoint")
        if point:
            wkt = f"POINT({point['pointLongitude']} {point['pointLatitude']})"
            graph.add((place, DCAT.centroid, _literal(wkt, datatype=GEOSPARQL.wktLiteral)))


def _funding(graph: Triples, subject: URIRef, record: Record) -> None:
    for reference in record["fundingReferences"]:
        funder = _organisation(graph, reference["funderName"], reference.get("funderIdentifier"))
        graph.add((subject, SCHEMA.funder, funder))


def _common(graph: Triples, subject: URIRef, record: Record) -> None:
    """What every dcat:Dataset takes from its DataCite record."""
    graph.add((subject, RDF.type, DCAT.Dataset))
    graph.add((subject, RDF.type, RDFS.Resource))
    graph.add((subject, DCTERMS.title, _literal(record["titles"][0]["title"])))
    description = next(
        (d["description"] for d in record["descriptions"] if d["descriptionType"] in ("Abstract", "Other")), ""
    )
    graph.add((subject, DCTERMS.description, _literal(description or record["titles"][0]["title"])))
    for extra in record["descriptions"]:
        if extra["descriptionType"] in ("Methods", "TechnicalInfo"):
            graph.add((subject, RDFS.comment, _literal(extra["description"])))
    graph.add((subject, DCTERMS.publisher, _publisher(graph, record)))
    for creator in record["creators"]:
        graph.add((subject, DCTERMS.creator, _creator(graph, creator)))
    graph.add((subject, DCAT.landingPage, _typed(graph, URIRef(record["url"]), FOAF.Document)))
    graph.add((subject, DCTERMS.license, _licence(graph, record)))
    graph.add((subject, DCTERMS.accessRights, _access_rights(graph, open_data=_is_open(record))))
    language = _typed(graph, EU_LANGUAGE["ENG"], DCTERMS.LinguisticSystem)
    graph.add((subject, DCTERMS.language, language))
    _dates(graph, subject, record)
    _subjects(graph, subject, record)
    _place(graph, subject, record)
    _funding(graph, subject, record)
    for alternate in record["alternateIdentifiers"]:
        kind = alternate["alternateIdentifierType"]
        agency = "proposal system" if kind == "Proposal" else record["publisher"]["name"]
        _identifier(graph, subject, alternate["alternateIdentifier"], datatype=None, agency=agency)
    graph.add((catalogue_iri(), DCAT.dataset, subject))


# --- Documents (DOIs) -----------------------------------------------------------------------------------------


def describe_documents(ids: list[int]) -> dict[int, Description]:
    """The public ones among these documents, described together: their records, instruments, periods and the local
    DOIs they relate to in a fixed number of queries."""
    documents = list(public_documents().select_related("facility").filter(pk__in=ids))
    records = metadata.document_records(documents=documents, user=ANONYMOUS)
    instruments = metadata.instruments_of(documents)
    periods = metadata.measurement_periods(documents, {})
    related_dois = {
        related["relatedIdentifier"]
        for record in records
        for related in record["relatedIdentifiers"]
        if related["relatedIdentifierType"] == "DOI"
    }
    local_dois = {doi for doi in Document.objects.filter(doi__in=related_dois).values_list("doi", flat=True) if doi}
    return {
        document.pk: describe_document(
            document, record, instruments=instruments[document.pk], period=periods[document.pk], local_dois=local_dois
        )
        for document, record in zip(documents, records, strict=True)
    }


def describe_document(
    document: Document,
    record: Record,
    *,
    instruments: list[Instrument],
    period: tuple[datetime | None, datetime | None],
    local_dois: set[str],
) -> Description:
    """A proposal or collection DOI from its record (the public stub while embargoed, the full record once it holds
    open data), its instruments and measurement period; `local_dois` are the related DOIs that are ours."""
    assert document.doi is not None  # only DOI records are described
    graph = new_graph()
    subject = document_iri(document.doi)
    _common(graph, subject, record)
    graph.add((subject, DCTERMS.identifier, _literal(metadata.doi_url(document.doi))))
    _identifier(graph, subject, document.doi, datatype=None, agency="DataCite")
    for related in record["relatedIdentifiers"]:
        target = _related(related, local_dois)
        if target is None:
            continue
        relation = related["relationType"]
        if relation == "HasPart":
            graph.add((subject, DCTERMS.hasPart, target))
        elif relation == "IsPartOf":
            graph.add((subject, DCTERMS.isPartOf, target))
        elif relation == "IsDerivedFrom":
            graph.add((subject, PROV.wasDerivedFrom, target))
        elif relation in ("IsCitedBy", "IsReferencedBy", "IsSupplementTo", "IsDocumentedBy"):
            graph.add((subject, DCTERMS.isReferencedBy, _resource(graph, str(target))))
    start, end = period
    if instruments or start or end:
        experiment = URIRef(f"{subject}#experiment")
        graph.add((subject, PROV.wasGeneratedBy, experiment))
        graph.add((experiment, RDF.type, PROV.Activity))
        graph.add((experiment, RDFS.label, _literal(f"Experiment {document.proposal_number or document.title}")))
        for instrument in instruments:
            graph.add((experiment, PROV.wasAssociatedWith, instrument_iri(instrument.pid)))
        if start:
            graph.add((experiment, PROV.startedAtTime, _moment(start)))
        if end:
            graph.add((experiment, PROV.endedAtTime, _moment(end)))
    return Description(iri=subject, triples=graph)


def _related(related: Record, local_dois: set[str]) -> URIRef | None:
    """A related identifier as an IRI: our own DOIs and dataset pages as their local IRIs, others as resolvers'."""
    identifier, kind = related["relatedIdentifier"], related["relatedIdentifierType"]
    if kind == "DOI":
        if identifier in local_dois:
            return document_iri(identifier)
        return URIRef(metadata.doi_url(identifier))
    if kind in ("URL", "URN") and identifier.startswith(("http://", "https://")):
        return URIRef(identifier)
    return None


# --- Open datasets --------------------------------------------------------------------------------------------


def describe_datasets(ids: list[int]) -> dict[int, Description]:
    """The open ones of these datasets, by id: each with its files and zip as distributions, provenance,
    parameters, samples and standards. A fixed number of queries for the batch, plus the zip plan's per dataset."""
    if not ids:
        return {}
    datasets = list(
        visibility.open_datasets()
        .filter(pk__in=ids)
        .select_related("proposal__facility", "instrument__facility")
        .prefetch_related(
            Prefetch("samples", queryset=Sample.objects.order_by("pk")),
            Prefetch("parameters", queryset=Parameter.objects.order_by("name", "pk")),
        )
        .order_by("pk")
    )
    # A further entry of a multi-entry file has its files through its primary entry's rows (Dataset.data_files).
    files: dict[int, list[DataFile]] = {}
    holders = {dataset.file_dataset_id or dataset.pk for dataset in datasets}
    for data_file in DataFile.objects.filter(dataset_id__in=holders).order_by("path"):
        files.setdefault(data_file.dataset_id, []).append(data_file)
    citing = citing_documents(datasets)
    records = metadata.dataset_records(datasets=datasets, citing=citing, user=ANONYMOUS)
    collections: dict[int, list[tuple[int, str]]] = {}
    in_collections = public_documents().filter(kind=DocumentKind.COLLECTION, collected_datasets__in=ids)
    for dataset_id, pk, doi in in_collections.values_list("collected_datasets", "pk", "doi"):
        collections.setdefault(dataset_id, []).append((pk, doi))
    inputs: dict[int, list[str]] = {}
    for dataset_id, pid in (
        visibility.open_datasets().filter(derived_datasets__in=ids).values_list("derived_datasets", "pid")
    ):
        inputs.setdefault(dataset_id, []).append(pid)
    return {
        dataset.pk: _describe_dataset(
            dataset,
            record,
            citing=citing[dataset.pk],
            collections=collections.get(dataset.pk, []),
            inputs=inputs.get(dataset.pk, []),
            files=files.get(dataset.file_dataset_id or dataset.pk, []),
        )
        for dataset, record in zip(datasets, records, strict=True)
    }


def _describe_dataset(
    dataset: Dataset,
    record: Record,
    *,
    citing: Document | None,
    collections: list[tuple[int, str]],
    inputs: list[str],
    files: list[DataFile],
) -> Description:
    graph = new_graph()
    subject = dataset_iri(dataset.pid)
    _common(graph, subject, record)
    graph.add((subject, DCTERMS.identifier, _literal(str(subject))))
    if citing is not None and citing.doi:
        graph.add((subject, DCTERMS.isPartOf, document_iri(citing.doi)))
    for pk, doi in collections:
        if citing is None or pk != citing.pk:
            graph.add((subject, DCTERMS.isPartOf, document_iri(doi)))
    for pid in inputs:
        graph.add((subject, PROV.wasDerivedFrom, dataset_iri(pid)))
    _activity(graph, subject, dataset, inputs)
    _standards(graph, subject, dataset)
    _parameters(graph, subject, dataset)
    _distributions(graph, subject, dataset, record, files)
    return Description(iri=subject, triples=graph)


def _activity(graph: Triples, subject: URIRef, dataset: Dataset, inputs: list[str]) -> None:
    """prov:wasGeneratedBy the measurement (raw data) or the processing (derived), with instrument, software, time."""
    derived = dataset.kind == "derived"
    activity = URIRef(f"{subject}#{'processing' if derived else 'measurement'}")
    graph.add((subject, PROV.wasGeneratedBy, activity))
    graph.add((activity, RDF.type, PROV.Activity))
    graph.add((activity, RDFS.label, _literal(f"{'Processing' if derived else 'Measurement'} of {dataset.title}")))
    if dataset.instrument:
        graph.add((activity, PROV.wasAssociatedWith, instrument_iri(dataset.instrument.pid)))
    if dataset.software_name:
        software = URIRef(f"{subject}#software")
        graph.add((activity, PROV.wasAssociatedWith, software))
        graph.add((software, RDF.type, PROV.SoftwareAgent))
        graph.add((software, RDFS.label, _literal(f"{dataset.software_name} {dataset.software_version}".strip())))
        graph.add((software, SCHEMA.name, _literal(dataset.software_name)))
        if dataset.software_version:
            graph.add((software, SCHEMA.softwareVersion, _literal(dataset.software_version)))
    if dataset.start_time:
        graph.add((activity, PROV.startedAtTime, _moment(dataset.start_time)))
    if dataset.end_time:
        graph.add((activity, PROV.endedAtTime, _moment(dataset.end_time)))
    for pid in inputs:
        graph.add((activity, PROV.used, dataset_iri(pid)))
    for sample in dataset.samples.all():  # prefetched by id
        node = URIRef(f"{subject}#sample-{sample.pk}")
        graph.add((activity, PROV.used, node))
        graph.add((node, RDF.type, SOSA.Sample))
        graph.add((node, RDF.type, PROV.Entity))
        graph.add((node, RDFS.label, _literal(sample.name)))
        if sample.chemical_formula:
            graph.add((node, SCHEMA.chemicalFormula, _literal(sample.chemical_formula)))


def _standards(graph: Triples, subject: URIRef, dataset: Dataset) -> None:
    """dct:conformsTo NeXus and the application definitions the file declares."""
    fmt = dataset.file_format.lower()
    if "nexus" not in fmt and not dataset.definitions:
        return
    graph.add((subject, DCTERMS.conformsTo, _typed(graph, URIRef(NEXUS_FORMAT), DCTERMS.Standard, title="NeXus")))
    for name in dataset.definitions:
        standard = _typed(graph, URIRef(definition_iri(name)), DCTERMS.Standard, title=f"NeXus {name}")
        graph.add((subject, DCTERMS.conformsTo, standard))


def _number(value: float) -> pyoxigraph.Literal:
    return _literal(repr(value), datatype=XSD.double)  # rdflib's lexical form of a double


def _parameters(graph: Triples, subject: URIRef, dataset: Dataset) -> None:
    """Measured parameters as on the page: the value as found, and its SI value and unit as QUDT quantities."""
    for parameter in dataset.parameters.all():  # prefetched by name
        node = URIRef(f"{subject}#parameter-{parameter.pk}")
        graph.add((subject, SCHEMA.variableMeasured, node))
        graph.add((node, RDF.type, SCHEMA.PropertyValue))
        graph.add((node, SCHEMA.name, _literal(parameter.name)))
        value = parameter.value
        if isinstance(value, float):
            graph.add((node, SCHEMA.value, _number(value)))
        elif parameter.raw_value:
            graph.add((node, SCHEMA.value, _literal(parameter.raw_value)))
        if parameter.raw_unit:
            graph.add((node, SCHEMA.unitText, _literal(parameter.raw_unit)))
        if parameter.unit in QUDT_UNITS:
            graph.add((node, SCHEMA.unitCode, QUDT_UNITS[parameter.unit]))
        si_unit = QUDT_UNITS.get(parameter.unit_si)
        if parameter.value_si is not None and si_unit is not None:
            graph.add((node, RDF.type, QUDT.QuantityValue))
            graph.add((node, QUDT.numericValue, _number(parameter.value_si)))
            graph.add((node, QUDT.unit, si_unit))


def _media_type(graph: Triples, media_type: str) -> URIRef:
    return _typed(graph, URIRef(media_type_iri(media_type)), DCTERMS.MediaType, label=media_type)


def _distributions(graph: Triples, subject: URIRef, dataset: Dataset, record: Record, files: list[DataFile]) -> None:
    """One dcat:Distribution per file of `files` (the dataset's, in path order: exact size, checksum, media type,
    download URL) and one for the zip."""
    licence = _licence(graph, record)
    hdf5 = _typed(graph, EU_FILE_TYPE["HDF"], DCTERMS.MediaTypeOrExtent, label="HDF")
    for data_file in files:
        distribution = URIRef(f"{subject}#file-{data_file.pk}")
        graph.add((subject, DCAT.distribution, distribution))
        graph.add((distribution, RDF.type, DCAT.Distribution))
        graph.add((distribution, DCTERMS.title, _literal(data_file.path)))
        graph.add((distribution, DCAT.accessURL, subject))
        graph.add((distribution, DCTERMS.license, licence))
        media_type = downloads.media_type(data_file)
        graph.add((distribution, DCAT.mediaType, _media_type(graph, media_type)))
        if media_type == metadata.HDF5_MEDIA_TYPE:
            graph.add((distribution, DCTERMS.format, hdf5))
        if data_file.size is not None:
            graph.add((distribution, DCAT.byteSize, _literal(str(data_file.size), datatype=XSD.nonNegativeInteger)))
        if data_file.checksum and data_file.checksum_algorithm in CHECKSUM_ALGORITHMS:
            checksum = URIRef(f"{subject}#file-{data_file.pk}-checksum")
            algorithm = CHECKSUM_ALGORITHMS[data_file.checksum_algorithm]
            graph.add((distribution, SPDX.checksum, checksum))
            graph.add((checksum, RDF.type, SPDX.Checksum))
            graph.add((checksum, SPDX.algorithm, _typed(graph, algorithm, SPDX.ChecksumAlgorithm)))
            graph.add((checksum, SPDX.checksumValue, _literal(_hex(data_file.checksum), datatype=XSD.hexBinary)))
        if not data_file.is_missing:
            url = _url("download-file", pid=dataset.pid, file_id=data_file.pk)
            graph.add((distribution, DCAT.downloadURL, _resource(graph, url)))
    plan = downloads.plan_zip(dataset, data_files=files)
    if not plan.files or downloads.too_large_for_zip(plan):
        return
    archive = URIRef(f"{subject}#zip")
    graph.add((subject, DCAT.distribution, archive))
    graph.add((archive, RDF.type, DCAT.Distribution))
    graph.add((archive, DCTERMS.title, _literal("All files of the dataset as one zip, with checksum manifests")))
    graph.add((archive, DCAT.accessURL, subject))
    url = _url("download-dataset", pid=dataset.pid)
    graph.add((archive, DCAT.downloadURL, _resource(graph, url)))
    graph.add((archive, DCAT.mediaType, _media_type(graph, ZIP_MEDIA_TYPE)))
    zip_format = _typed(graph, EU_FILE_TYPE["ZIP"], DCTERMS.MediaTypeOrExtent, label="ZIP")
    graph.add((archive, DCTERMS.format, zip_format))
    size = len(crates.dataset_zip(dataset=dataset, user=ANONYMOUS, plan=plan))
    graph.add((archive, DCAT.byteSize, _literal(str(size), datatype=XSD.nonNegativeInteger)))
    graph.add((archive, DCTERMS.license, licence))


# --- Instruments ----------------------------------------------------------------------------------------------


def describe_instruments(ids: list[int]) -> dict[int, Description]:
    """The public ones among these instruments, by id, with their facilities and techniques in two queries."""
    if not ids:
        return {}
    instruments = (
        visibility.public_instruments()
        .filter(pk__in=ids)
        .select_related("facility")
        .prefetch_related(Prefetch("techniques", queryset=Technique.objects.order_by("pk")))
    )
    return {instrument.pk: describe_instrument(instrument) for instrument in instruments}


def describe_instrument(instrument: Instrument) -> Description:
    """An instrument as a resource of its own, with the PIDINST properties the catalogue holds."""
    graph = new_graph()
    subject = instrument_iri(instrument.pid)
    graph.add((subject, RDF.type, SOSA.Platform))
    graph.add((subject, RDF.type, PROV.Agent))
    graph.add((subject, RDF.type, RDFS.Resource))
    graph.add((subject, DCTERMS.title, _literal(instrument.name)))
    graph.add((subject, RDFS.label, _literal(f"{instrument.name} ({instrument.facility.name})")))
    if instrument.description:
        graph.add((subject, DCTERMS.description, _literal(instrument.description)))
    for alias in instrument.aliases:
        graph.add((subject, SKOS.altLabel, _literal(alias)))
    landing = URIRef(instrument.landing_page) if instrument.landing_page else subject
    graph.add((subject, DCAT.landingPage, _typed(graph, landing, FOAF.Document)))
    # PIDINST properties (RDA recommendation 10.15497/RDA00070) in schema.org terms.
    if instrument.owner:
        graph.add((subject, SCHEMA.owner, _organisation(graph, instrument.owner, None)))
    if instrument.manufacturer:
        graph.add((subject, SCHEMA.manufacturer, _organisation(graph, instrument.manufacturer, None)))
    if instrument.model:
        graph.add((subject, SCHEMA.model, _literal(instrument.model)))
    for variable in instrument.measured_variables:
        graph.add((subject, SCHEMA.variableMeasured, _literal(variable)))
    if instrument.pid.startswith("10."):  # registered with DataCite (PIDINST), e.g. ESRF's 10.15151/ESRF-INSTR-…
        graph.add((subject, DCTERMS.identifier, _literal(metadata.doi_url(instrument.pid))))
        graph.add((subject, RDFS.seeAlso, URIRef(metadata.doi_url(instrument.pid))))
    else:
        graph.add((subject, DCTERMS.identifier, _literal(instrument.pid)))
    owner = _facility(graph, instrument.facility)
    graph.add((subject, SOSA.isHostedBy, owner))
    graph.add((subject, DCTERMS.publisher, owner))
    for technique in instrument.techniques.all():  # prefetched by describe_instruments
        if not technique.is_concept and technique.panet_id is not None:
            graph.add((subject, DCAT.theme, _concept(graph, technique.purl or "", technique.name)))
    return Description(iri=subject, triples=graph)


def _facility(graph: Triples, facility: Facility) -> URIRef | BNode:
    return _organisation(graph, facility.name, facility.ror_id or None)


# --- The catalogue and its data services ------------------------------------------------------------------------


def home_facility() -> Facility | None:
    home = settings.HOME_FACILITY
    return Facility.objects.filter(Q(short_name=home[:64]) | Q(name=home)).first()


def describe_catalogue() -> Description:
    """The site's dcat:Catalog with its data services; its datasets link themselves into it (dcat:dataset)."""
    graph = new_graph()
    subject = catalogue_iri()
    facility = home_facility()
    publisher = (
        _facility(graph, facility) if facility is not None else _organisation(graph, settings.HOME_FACILITY, None)
    )
    graph.add((subject, RDF.type, DCAT.Catalog))
    graph.add((subject, DCTERMS.title, _literal(f"{settings.HOME_FACILITY} data catalogue")))
    graph.add(
        (
            subject,
            DCTERMS.description,
            _literal(
                f"Open experimental data of {settings.HOME_FACILITY}: proposals and collections with DOIs, open "
                "datasets with their files, instruments and techniques (PaNET), as DCAT-AP 3."
            ),
        )
    )
    graph.add((subject, DCTERMS.publisher, publisher))
    graph.add((subject, FOAF.homepage, _typed(graph, URIRef(metadata.site_url("/")), FOAF.Document)))
    graph.add((subject, DCTERMS.language, _typed(graph, EU_LANGUAGE["ENG"], DCTERMS.LinguisticSystem)))
    graph.add((subject, DCAT.themeTaxonomy, PANET_SCHEME))
    graph.add((PANET_SCHEME, RDF.type, SKOS.ConceptScheme))
    graph.add((PANET_SCHEME, DCTERMS.title, _literal("PaNET: the photon and neutron experimental techniques")))
    name, url = metadata.licence_details(settings.DEFAULT_LICENCE)
    graph.add((subject, DCTERMS.license, _typed(graph, URIRef(url or ""), DCTERMS.LicenseDocument, title=name)))
    services = service_iris()
    descriptions = {
        "panosc": (
            "PaNOSC Search API",
            "The European photon and neutron federated search API over the open datasets and documents.",
            PANOSC_API_SPEC,
        ),
        "oai": (
            "OAI-PMH 2.0",
            "Harvesting of every public DOI and open dataset (oai_dc, oai_datacite, datacite).",
            OAI_PMH_SPEC,
        ),
        "sparql": (
            "SPARQL 1.1 endpoint",
            "Read-only SPARQL 1.1 queries over this catalogue's open knowledge graph.",
            SPARQL_PROTOCOL_SPEC,
        ),
    }
    for key, (title, description, standard) in descriptions.items():
        service = services[key]
        graph.add((subject, DCAT.service, service))
        graph.add((service, RDF.type, DCAT.DataService))
        graph.add((service, DCTERMS.title, _literal(title)))
        graph.add((service, DCTERMS.description, _literal(description)))
        graph.add((service, DCAT.endpointURL, _resource(graph, str(service))))
        graph.add((service, DCTERMS.conformsTo, _typed(graph, URIRef(standard), DCTERMS.Standard, title=title)))
        graph.add((service, DCTERMS.publisher, publisher))
        graph.add((service, DCTERMS.accessRights, _access_rights(graph, open_data=True)))
    facilities = Facility.objects.filter(
        Q(instruments__isnull=False) | Q(documents__doi__isnull=False) | Q(pk=facility.pk if facility else None)
    ).distinct()
    for other in facilities.order_by("short_name"):
        graph.add((subject, DCTERMS.creator if other == facility else SCHEMA.provider, _facility(graph, other)))
    return Description(iri=subject, triples=graph)
