"""The one mapping from the catalogue to DataCite 4.7 metadata (landing-doi.md §1.4, access-policy.md).

A record is a dict in the shape of DataCite's REST JSON attributes; the XML (`landing.datacite.xml`), schema.org,
CSL-JSON, BibTeX and RIS exports are all derived from it. It is always built for an audience: the public stub of an
embargoed proposal holds only what access-policy.md lists, and personal data (e-mails) never enter a record.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.postgres.aggregates import ArrayAgg, StringAgg
from django.db.models import CharField, Count, F, Func, Max, Min, Q, QuerySet, Sum, Value, Window
from django.db.models.functions import Concat, RowNumber
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS

from catalogue import visibility
from catalogue.licences import SPDX, licence_details
from catalogue.models import Dataset, Document, DocumentKind, DoiState, Facility, Instrument, Member, Technique
from catalogue.models.techniques import PANET_PURL
from landing.models import RelatedWork

Record = dict[str, Any]

ANONYMOUS = AnonymousUser()
SCHEMA_VERSION = "http://datacite.org/schema/kernel-4"
ORCID = "https://orcid.org"
ROR = "https://ror.org/"

# OpenAIRE wants the info:eu-repo term, F-UJI the COAR one: give both (landing-doi.md §1.4, "Access right").
ACCESS_RIGHTS = {
    True: [
        ("open access", "info:eu-repo/semantics/openAccess"),
        ("open access", "http://purl.org/coar/access_right/c_abf2"),
    ],
    False: [
        ("embargoed access", "info:eu-repo/semantics/embargoedAccess"),
        ("embargoed access", "http://purl.org/coar/access_right/c_f1cf"),
    ],
}
HDF5_MEDIA_TYPE = "application/x-hdf5"
# Beyond this many datasets the record lists no more parts: the landing page and search find the rest, and
# DataCite records stay of a size every harvester accepts.
MAX_PARTS_LISTED = 1000
PROVENANCE_ORDER = {"IsDerivedFrom": 0, "IsSourceOf": 1}
# A DOI's related DOIs: the proposals a collection is part of (or the collections a proposal has as parts), then
# its provenance.
RELATION_ORDER = {"IsPartOf": 0, "HasPart": 0, "IsDerivedFrom": 1, "IsSourceOf": 2}


def site_url(path: str) -> str:
    return settings.SITE_URL + path


def doi_url(doi: str) -> str:
    return "https://doi.org/" + doi


def doi_state(document: Document) -> str:
    """DataCite's word for where the DOI stands: "findable" or "registered" resolve through doi.org, "draft" not."""
    if document.doi_state in (DoiState.FINDABLE, DoiState.REGISTERED):
        return document.doi_state
    return "draft"


def landing_url(document: Document) -> str:
    return site_url(reverse("landing-doi", kwargs={"doi": document.doi}))


def dataset_url(dataset: Dataset) -> str:
    return site_url(reverse("landing-dataset", kwargs={"pid": dataset.pid}))


def dataset_urls(pids: list[str]) -> list[str]:
    """The dataset_url of many pids: a DOI's record lists up to MAX_PARTS_LISTED, and reverse() walks the resolver
    each time (70 ms for a page of 2,000), so it is asked once for the route and each pid quoted as it quotes."""
    marker = "pid"
    route = reverse("landing-dataset", kwargs={"pid": marker}).removesuffix(marker)
    return [site_url(route + quote(pid, safe=RFC3986_SUBDELIMS + "/~:@")) for pid in pids]


def licence_of(document: Document) -> str:
    return document.licence or settings.DEFAULT_LICENCE


def facility_of(document: Document) -> Facility | None:
    return facilities_of([document])[document.pk]


def facilities_of(documents: Iterable[Document]) -> dict[int, Facility | None]:
    """Each document's facility, else that of the instrument of its first dataset (by title) having one.

    Documents loaded with `select_related("facility")` cost one query in all, for those without a facility.
    """
    documents = list(documents)
    found: dict[int, Facility | None] = {d.pk: d.facility for d in documents if d.facility_id}
    unplaced = [d.pk for d in documents if not d.facility_id]
    if unplaced:
        firsts = (
            Dataset.objects.filter(proposal__in=unplaced, instrument__isnull=False)
            .select_related("instrument__facility")
            .order_by("proposal_id", *(Dataset._meta.ordering or ()))
            .distinct("proposal_id")
        )
        found |= {dataset.proposal_id: dataset.instrument.facility for dataset in firsts if dataset.instrument}
    return {d.pk: found.get(d.pk) for d in documents}


def visible_datasets(*, document: Document, user: visibility.User) -> QuerySet[Dataset]:
    """The datasets of a proposal, or chosen in a collection, whose metadata `user` may see."""
    owned = Q(collections=document) if document.kind == DocumentKind.COLLECTION else Q(proposal=document)
    return visibility.datasets_visible_to(user).filter(owned).distinct().order_by("creation_time", "pid")


def document_metadata(*, document: Document, user: visibility.User = ANONYMOUS, stub: bool | None = None) -> Record:
    """The DataCite record of a proposal or collection as `user` may see it (DataCite itself gets the anonymous one).

    During an embargo, anonymous callers and non-members get the public stub of access-policy.md: DOI, facility,
    instruments, proposal number and title, team, measurement period, release date, licence and how to ask for access.
    `stub` is `visibility.public_stub_only(user, document)` when the caller asked it already for many documents.
    """
    stubs = None if stub is None else ({document.pk} if stub else set())
    return document_records(documents=[document], user=user, stubs=stubs)[0]


def record_datasets(*, document: Document, user: visibility.User) -> QuerySet[Dataset]:
    """visible_datasets() with what a page reads of each (instrument, facility, proposal, samples)."""
    return (
        visible_datasets(document=document, user=user)
        .select_related("instrument__facility", "proposal")
        .prefetch_related("samples")
    )


def document_records(
    *, documents: list[Document], user: visibility.User = ANONYMOUS, stubs: set[int] | None = None
) -> list[Record]:
    """The records of many documents as `user` may see them (see document_metadata), in a fixed number of queries:
    what a record says of the datasets a document holds is read in SQL (`_parts_of`), not dataset by dataset.

    `stubs` holds the ids among them that show only the public stub, when the caller asked it already; else it is
    asked per document. Documents loaded with `select_related("facility")` cost no query of their own.
    """
    if stubs is None:
        stubs = {document.pk for document in documents if visibility.public_stub_only(user, document)}
    parts = _parts_of([d for d in documents if d.pk not in stubs], user=user)
    facilities = facilities_of(documents)
    members = _members_by_document([document.pk for document in documents])
    periods = measurement_periods(documents, {pk: held.span for pk, held in parts.items()})
    instruments = instruments_of(documents)
    related = _related_identifiers_of(documents, parts)
    techniques = Technique.objects.in_bulk(set().union(*(held.techniques for held in parts.values())))
    records = []
    for document in documents:
        stub, facility, held = document.pk in stubs, facilities[document.pk], parts.get(document.pk, Parts())
        record: Record = {
            "doi": document.doi,
            "state": doi_state(document),
            "url": landing_url(document) if document.doi else None,
            "creators": _creators_of(members.get(document.pk, []), facility),
            "titles": [{"title": document.title}],
            "publisher": _publisher(facility),
            "publicationYear": _publication_year(document),
            "types": {
                "resourceTypeGeneral": "Dataset",
                "resourceType": "Dataset collection" if document.kind == DocumentKind.COLLECTION else "Experiment data",
            },
            "subjects": [] if stub else _subjects_of([techniques[pk] for pk in held.techniques], document.keywords),
            "contributors": _hosting_institution(facility),
            "dates": _dates(document, periods[document.pk]),
            "language": "en",
            "alternateIdentifiers": _alternate_identifiers(document),
            "relatedIdentifiers": [] if stub else related[document.pk],
            "relatedItems": [_instrument_item(instrument) for instrument in instruments[document.pk]],
            "sizes": [] if stub else _sizes(count=held.count, size=held.size, files=held.files),
            "formats": [] if stub else _formats(held.formats),
            "rightsList": _rights(licence_of(document), is_open=visibility.is_open(document) or held.any_open),
            "descriptions": _stub_descriptions(document) if stub else _descriptions(document, held, facility),
            "geoLocations": _geo_locations(facility),
            "fundingReferences": [] if stub else _funding(document.funding),
            "schemaVersion": SCHEMA_VERSION,
        }
        records.append(record)
    return records


Span = tuple[datetime | None, datetime | None]


@dataclass
class Parts:
    """What a DOI's record says of the datasets it holds that its reader may see (`_parts_of` reads it in SQL)."""

    count: int = 0
    any_open: bool = False
    size: int = 0
    files: int = 0
    span: Span = (None, None)
    formats: set[str] = field(default_factory=set)
    instruments: set[str] = field(default_factory=set)  # names
    pids: list[str] = field(default_factory=list)  # the first MAX_PARTS_LISTED, in (creation_time, pid) order
    techniques: set[int] = field(default_factory=set)
    samples: set[str] = field(default_factory=set)  # sample labels
    technical: set[str] = field(default_factory=set)
    related: set[tuple[str, str]] = field(default_factory=set)  # (relation, DOI): see _related_documents


def _parts_of(documents: list[Document], *, user: visibility.User) -> dict[int, Parts]:
    """The Parts of each document: five queries for the proposals and as many for the collections among them,
    however many datasets they hold (aggregates and distinct rows, never a row per dataset but the pids listed)."""
    parts = {document.pk: Parts() for document in documents}
    visible = visibility.datasets_visible_to(user)
    for owner, ids in (
        ("proposal", [d.pk for d in documents if d.kind != DocumentKind.COLLECTION]),
        ("collections", [d.pk for d in documents if d.kind == DocumentKind.COLLECTION]),
    ):
        if ids:
            _read_parts(parts, visible.filter(**{f"{owner}__in": ids}).order_by(), owner=owner, user=user)
    return parts


def _read_parts(parts: dict[int, Parts], owned: QuerySet[Dataset], *, owner: str, user: visibility.User) -> None:
    """Fill `parts` from `owned`, the visible datasets of the documents reached from a dataset by `owner` (its
    proposal, or the collections holding it); each query groups by that one join of `owned`."""
    totals = owned.values(owner).annotate(
        count=Count("pk"),
        open=Count("pk", filter=visibility.open_q()),
        size=Sum("size"),
        files=Sum("number_of_files"),
        start=Min("start_time"),
        end=Max("end_time"),
        formats=ArrayAgg("file_format", distinct=True, filter=~Q(file_format="")),
        instruments=ArrayAgg("instrument__name", distinct=True, filter=Q(instrument__isnull=False)),
        software=ArrayAgg(
            Concat("software_name", Value(" "), "software_version"), distinct=True, filter=~Q(software_name="")
        ),
        # Definitions are arrays of names, which array_agg cannot stack when their lengths differ.
        definitions=StringAgg(Func("definitions", Value("\n"), function="array_to_string"), "\n", distinct=True),
    )
    for row in totals:  # an aggregate over no row (a filter matching none) is NULL
        held = parts[row[owner]]
        held.count, held.any_open, held.size, held.files = row["count"], row["open"] > 0, int(row["size"]), row["files"]
        held.span = row["start"], row["end"]
        held.formats, held.instruments = set(row["formats"] or []), set(row["instruments"] or [])
        held.technical = {software.strip() for software in row["software"] or []}
        held.technical |= {f"NeXus {name}" for name in (row["definitions"] or "").split("\n") if name}
    order = Window(RowNumber(), partition_by=F(owner), order_by=[F("creation_time").asc(), F("pid").asc()])
    listed = owned.annotate(rank=order).filter(rank__lte=MAX_PARTS_LISTED).order_by("creation_time", "pid")
    for pk, pid in listed.values_list(owner, "pid"):
        parts[pk].pids.append(pid)
    for pk, technique in owned.filter(techniques__isnull=False).values_list(owner, "techniques").distinct():
        parts[pk].techniques.add(technique)
    samples = owned.filter(samples__isnull=False).values_list(owner, "samples__name", "samples__chemical_formula")
    for pk, name, formula in samples.distinct():
        parts[pk].samples.add(_sample_label(name, formula))
    for pk, proposal_id, doi, relation in _related_documents(owned, owner=owner, user=user):
        if proposal_id != pk:  # provenance within the proposal itself is no relation of the DOI
            parts[pk].related.add((relation, doi))


def _related_documents(
    owned: QuerySet[Dataset], *, owner: str, user: visibility.User
) -> QuerySet[Dataset, tuple[int, int, str, str]]:
    """(owner, proposal id, DOI, relation) of the DOIs `owned` relates to, in one query: the proposals holding their
    visible inputs and derivatives; for a collection, the proposals its datasets come from (a paper's collection is a
    portion of each); for a proposal, the published collections holding its datasets."""
    with_doi = visibility.datasets_visible_to(user).exclude(proposal__doi__isnull=True)
    related = [
        owned.filter(**{f"{link}__in": with_doi}).values_list(
            owner, f"{link}__proposal", f"{link}__proposal__doi", Value(relation, output_field=CharField())
        )
        for relation, link in (("IsDerivedFrom", "input_datasets"), ("IsSourceOf", "derived_datasets"))
    ]
    if owner == "collections":
        related.append(
            owned.filter(proposal__doi__isnull=False).values_list(
                owner, "proposal", "proposal__doi", Value("IsPartOf", output_field=CharField())
            )
        )
    elif visibility.collections_published():  # the common case of none spares every page this part
        holding = visibility.documents_visible_to(user).filter(kind=DocumentKind.COLLECTION, doi__isnull=False)
        related.append(
            owned.filter(collections__in=holding).values_list(
                owner, "collections", "collections__doi", Value("HasPart", output_field=CharField())
            )
        )
    return related[0].union(*related[1:])


def dataset_metadata(*, dataset: Dataset, citing: Document | None, user: visibility.User = ANONYMOUS) -> Record:
    """The record of one dataset (no DOI of its own): the same mapping, `IsPartOf` the DOI it is cited through.

    The caller has checked that `user` may see the dataset.
    """
    return dataset_records(datasets=[dataset], citing={dataset.pk: citing}, user=user)[0]


def dataset_records(
    *, datasets: list[Dataset], citing: dict[int, Document | None], user: visibility.User = ANONYMOUS
) -> list[Record]:
    """The records of many datasets (by `citing`, the DOI each is cited through), in a fixed number of queries.

    Datasets loaded with `select_related("proposal__facility", "instrument__facility")` cost no query of their own.
    The caller has checked that `user` may see them.
    """
    ids = [dataset.pk for dataset in datasets]
    urls = dataset_urls([dataset.pid for dataset in datasets])
    samples = _sample_labels_by_dataset(datasets)
    members = _members_by_document([dataset.proposal_id for dataset in datasets])
    techniques = _techniques_by_dataset(ids)
    provenance = _provenance_by_dataset(ids, user=user)
    facilities = facilities_of({d.proposal_id: d.proposal for d in datasets if not d.instrument_id}.values())
    urls = dataset_urls([dataset.pid for dataset in datasets])
    records = []
    for dataset, url in zip(datasets, urls, strict=True):
        document, cited_by = dataset.proposal, citing[dataset.pk]
        facility = dataset.instrument.facility if dataset.instrument else facilities[document.pk]
        related = [_related_doi(cited_by.doi, "IsPartOf")] if cited_by is not None and cited_by.doi else []
        for relation, proposal_id, doi in provenance.get(dataset.pk, []):
            if cited_by is None or proposal_id != cited_by.pk:
                related.append(_related_doi(doi, relation))
        record: Record = {
            "doi": None,
            "url": url,
            "creators": _creators_of(members.get(document.pk, []), facility),
            "titles": [{"title": dataset.title}],
            "publisher": _publisher(facility),
            "publicationYear": dataset.release_date.year,
            "types": {"resourceTypeGeneral": "Dataset", "resourceType": f"{dataset.get_kind_display()} data"},
            "subjects": _subjects_of(techniques.get(dataset.pk, []), dataset.keywords),
            "contributors": _hosting_institution(facility),
            "dates": _dates_of(
                start=dataset.start_time, end=dataset.end_time, release=dataset.release_date, issued=dataset.created_at
            ),
            "language": "en",
            "alternateIdentifiers": [{"alternateIdentifier": dataset.pid, "alternateIdentifierType": "Local"}],
            "relatedIdentifiers": related,
            "relatedItems": [_instrument_item(dataset.instrument)] if dataset.instrument else [],
            "sizes": _sizes(count=1, size=dataset.size, files=dataset.number_of_files),
            "formats": _formats({dataset.file_format} - {""}),
            "rightsList": _rights(licence_of(document), is_open=visibility.is_open(dataset)),
            "descriptions": _descriptions_of(
                abstract=dataset.description or dataset.title,
                parts=_parts_of_dataset(dataset, samples.get(dataset.pk, set())),
                facility=facility,
            ),
            "geoLocations": _geo_locations(facility),
            "fundingReferences": _funding(document.funding),
            "schemaVersion": SCHEMA_VERSION,
        }
        records.append(record)
    return records


@dataclass(frozen=True)
class Creator:
    """What a record says of a creator member: read as a row, not as Member, Person and Affiliation objects (a page
    of a hundred datasets from a hundred proposals has some two hundred)."""

    person_id: int
    full_name: str
    first_name: str
    last_name: str
    orcid: str | None
    affiliation: tuple[str, str | None] | None  # (name, ROR id)


def _members_by_document(document_ids: list[int]) -> dict[int, list[Creator]]:
    """The creator members of each document, in (position, id) order."""
    members: dict[int, list[Creator]] = {}
    rows = (
        Member.objects.filter(document__in=document_ids, is_creator=True)
        .order_by("document_id", "position", "id")
        .values_list(
            *("document_id", "person_id", "person__full_name", "person__first_name", "person__last_name"),
            *("person__orcid", "affiliation_id", "affiliation__name", "affiliation__ror_id"),
        )
    )
    for document_id, person_id, full_name, first, last, orcid, affiliation_id, name, ror_id in rows:
        affiliation = (name, ror_id) if affiliation_id else None
        members.setdefault(document_id, []).append(Creator(person_id, full_name, first, last, orcid, affiliation))
    return members


def _sample_labels_by_dataset(datasets: list[Dataset]) -> dict[int, set[str]]:
    """The sample labels of each dataset: from its samples when prefetched (the graph loads them for its own use),
    else read as rows in one query for all (an OAI-PMH page builds no Sample for a label)."""
    labels: dict[int, set[str]] = {}
    unloaded: list[int] = []
    for dataset in datasets:
        if "samples" in getattr(dataset, "_prefetched_objects_cache", {}):
            labels[dataset.pk] = {_sample_label(s.name, s.chemical_formula) for s in dataset.samples.all()}
        else:
            unloaded.append(dataset.pk)
    if unloaded:
        rows = Dataset.samples.through.objects.filter(dataset_id__in=unloaded).values_list(
            "dataset_id", "sample__name", "sample__chemical_formula"
        )
        for dataset_id, name, formula in rows:
            labels.setdefault(dataset_id, set()).add(_sample_label(name, formula))
    return labels


def _techniques_by_dataset(dataset_ids: list[int]) -> dict[int, list[Technique]]:
    """The techniques of each dataset; a page's few techniques are loaded once, not once per dataset tagged."""
    links = list(
        Dataset.techniques.through.objects.filter(dataset_id__in=dataset_ids).values_list("dataset_id", "technique_id")
    )
    loaded = Technique.objects.in_bulk({technique_id for _, technique_id in links})
    techniques: dict[int, list[Technique]] = {}
    for dataset_id, technique_id in links:
        techniques.setdefault(dataset_id, []).append(loaded[technique_id])
    return techniques


def _provenance_by_dataset(ids: list[int], *, user: visibility.User) -> dict[int, list[tuple[str, int, str]]]:
    """(relation, proposal id, DOI) of the documents holding each dataset's visible inputs and derivatives, sorted
    by DOI: the rows _provenance reads, for many datasets at once."""
    visible = visibility.datasets_visible_to(user).exclude(proposal__doi__isnull=True)
    found: dict[int, set[tuple[str, int, str]]] = {}
    for relation, link in (("IsDerivedFrom", "derived_datasets"), ("IsSourceOf", "input_datasets")):
        rows = visible.filter(**{f"{link}__in": ids}).values_list(link, "proposal_id", "proposal__doi")
        for dataset_id, proposal_id, doi in rows:
            found.setdefault(dataset_id, set()).add((relation, proposal_id, doi))
    return {pk: sorted(rows, key=lambda row: (PROVENANCE_ORDER[row[0]], row[2])) for pk, rows in found.items()}


def _creators_of(members: list[Creator], facility: Facility | None) -> list[Record]:
    """The creators, from the document's creator members in (position, id) order."""
    creators: list[Record] = []
    seen: set[int] = set()
    for person in members:
        if person.person_id in seen:  # one person may hold two roles
            continue
        seen.add(person.person_id)
        creator: Record = {"name": person_name(person.full_name, person.first_name, person.last_name)}
        creator["nameType"] = "Personal"
        if person.first_name:
            creator["givenName"] = person.first_name
        if person.last_name:
            creator["familyName"] = person.last_name
        creator["nameIdentifiers"] = (
            [{"nameIdentifier": f"{ORCID}/{person.orcid}", "nameIdentifierScheme": "ORCID", "schemeUri": ORCID}]
            if person.orcid
            else []
        )
        creator["affiliation"] = [_affiliation(*person.affiliation)] if person.affiliation else []
        creators.append(creator)
    if not creators:  # DataCite needs one creator: the facility stands for an unnamed team
        creators.append({"name": _facility_name(facility), "nameType": "Organizational", **_ror_ids(facility)})
    return creators


def person_name(full_name: str, first_name: str, last_name: str) -> str:
    """'Family, Given' as DataCite and citation styles want it."""
    if last_name:
        return f"{last_name}, {first_name}" if first_name else last_name
    return full_name


def _affiliation(name: str, ror_id: str | None) -> Record:
    entry: Record = {"name": name}
    if ror_id:
        entry |= {"affiliationIdentifier": ror_id, "affiliationIdentifierScheme": "ROR", "schemeUri": ROR}
    return entry


def _facility_name(facility: Facility | None) -> str:
    return facility.name if facility is not None else settings.HOME_FACILITY


def _ror_ids(facility: Facility | None) -> Record:
    if facility is None or not facility.ror_id:
        return {"nameIdentifiers": []}
    return {"nameIdentifiers": [{"nameIdentifier": facility.ror_id, "nameIdentifierScheme": "ROR", "schemeUri": ROR}]}


def _publisher(facility: Facility | None) -> Record:
    publisher: Record = {"name": _facility_name(facility)}
    if facility is not None and facility.ror_id:
        publisher |= {"publisherIdentifier": facility.ror_id, "publisherIdentifierScheme": "ROR", "schemeUri": ROR}
    return publisher


def _hosting_institution(facility: Facility | None) -> list[Record]:
    return [
        {
            "name": _facility_name(facility),
            "nameType": "Organizational",
            "contributorType": "HostingInstitution",
            **_ror_ids(facility),
        }
    ]


def _publication_year(document: Document) -> int:
    """The year the data became (or will become) public."""
    moment = document.published_at if document.kind == DocumentKind.COLLECTION else None
    moment = moment or document.release_date or document.created_at
    return moment.year


def _subjects_of(techniques: list[Technique], keywords: Iterable[str]) -> list[Record]:
    """PaNET techniques by name, then the keywords not already named."""
    subjects: list[Record] = []
    for technique in sorted(techniques, key=lambda technique: (technique.name, technique.pk)):
        subject: Record = {"subject": technique.name}
        if technique.panet_id:
            subject |= {"subjectScheme": "PaNET", "schemeUri": PANET_PURL, "valueUri": technique.purl}
        subjects.append(subject)
    seen = {s["subject"].lower() for s in subjects}
    for keyword in keywords:
        if keyword.lower() not in seen:
            seen.add(keyword.lower())
            subjects.append({"subject": keyword})
    return subjects


def measurement_period(document: Document, datasets: list[Dataset]) -> Span:
    """(start, end) of the measurement: the document's dates, else the span of its datasets' times.

    A proposal's span covers all its datasets, embargoed included: the period is part of the public stub. A
    collection's covers only `datasets`, those the caller may see.
    """
    starts = [d.start_time for d in datasets if d.start_time]
    ends = [d.end_time for d in datasets if d.end_time]
    return measurement_periods([document], {document.pk: (min(starts, default=None), max(ends, default=None))})[
        document.pk
    ]


def measurement_periods(documents: list[Document], spans: dict[int, Span]) -> dict[int, Span]:
    """measurement_period of each document, in at most one query; `spans` holds, by collection id, the span of the
    datasets of the collection the caller may see."""
    found: dict[int, Span] = {}
    spanned: list[int] = []
    for document in documents:
        if document.start_date or document.end_date:
            found[document.pk] = document.start_date, document.end_date
        elif document.kind == DocumentKind.COLLECTION:
            found[document.pk] = spans.get(document.pk, (None, None))
        else:
            spanned.append(document.pk)
    if spanned:
        rows = (
            Dataset.objects.filter(proposal__in=spanned)
            .order_by()
            .values("proposal_id")
            .annotate(start=Min("start_time"), end=Max("end_time"))
        )
        found |= {row["proposal_id"]: (row["start"], row["end"]) for row in rows}
    return {document.pk: found.get(document.pk, (None, None)) for document in documents}


def _dates(document: Document, period: tuple[datetime | None, datetime | None]) -> list[Record]:
    start, end = period
    issued = document.published_at if document.kind == DocumentKind.COLLECTION else None
    dates = _dates_of(start=start, end=end, release=document.release_date, issued=issued or document.created_at)
    if document.withdrawn_at is not None:
        dates.append(
            {
                "date": document.withdrawn_at.date().isoformat(),
                "dateType": "Withdrawn",
                "dateInformation": document.withdrawal_reason or "Withdrawn by the facility",
            }
        )
    return dates


def _dates_of(
    *, start: datetime | None, end: datetime | None, release: datetime | None, issued: datetime | None
) -> list[Record]:
    dates: list[Record] = []
    if start or end:
        span = "/".join(moment.date().isoformat() for moment in (start, end) if moment is not None)
        dates.append({"date": span, "dateType": "Collected"})
    if release is not None:
        if issued is not None and release.date() > issued.date():
            # An embargo, as the OpenAIRE Guidelines for Data Archives state it: Accepted (start) to Available (end).
            dates.append({"date": issued.date().isoformat(), "dateType": "Accepted"})
        dates.append({"date": release.date().isoformat(), "dateType": "Available"})
    if issued is not None:
        dates.append({"date": issued.date().isoformat(), "dateType": "Issued"})
    return dates


def _alternate_identifiers(document: Document) -> list[Record]:
    identifiers = [{"alternateIdentifier": document.pid, "alternateIdentifierType": "Local"}]
    if document.proposal_number:
        identifiers.insert(0, {"alternateIdentifier": document.proposal_number, "alternateIdentifierType": "Proposal"})
    return identifiers


def _related_doi(doi: str, relation: str) -> Record:
    return {
        "relatedIdentifier": doi,
        "relatedIdentifierType": "DOI",
        "relationType": relation,
        "resourceTypeGeneral": "Dataset",
    }


def _related_identifiers_of(documents: list[Document], parts: dict[int, Parts]) -> dict[int, list[Record]]:
    """The related identifiers of each document from its Parts, and its related works (one query)."""
    works: dict[int, list[RelatedWork]] = {}
    for work in RelatedWork.objects.filter(document__in=[d.pk for d in documents]).order_by("id"):
        works.setdefault(work.document_id, []).append(work)
    found: dict[int, list[Record]] = {}
    for document in documents:
        held = parts.get(document.pk, Parts())
        related = [
            _related_doi(doi, relation)
            for relation, doi in sorted(held.related, key=lambda link: (RELATION_ORDER[link[0]], link[1]))
        ]
        related += [
            {
                "relatedIdentifier": url,
                "relatedIdentifierType": "URL",
                "relationType": "HasPart",
                "resourceTypeGeneral": "Dataset",
            }
            for url in dataset_urls(held.pids)
        ]
        for work in works.get(document.pk, []):
            entry: Record = {
                "relatedIdentifier": work.identifier,
                "relatedIdentifierType": work.identifier_type,
                "relationType": work.relation_type,
            }
            if work.resource_type:
                entry["resourceTypeGeneral"] = work.resource_type
            related.append(entry)
        found[document.pk] = related
    return found


def _instrument_item(instrument: Instrument) -> Record:
    item: Record = {
        "relatedItemType": "Instrument",
        "relationType": "IsCollectedBy",
        "titles": [{"title": f"{instrument.name} ({instrument.facility.name})"}],
    }
    if instrument.pid.startswith("10."):  # instruments registered with DataCite (ESRF's 10.15151/ESRF-INSTR-…)
        item["relatedItemIdentifier"] = {"relatedItemIdentifier": instrument.pid, "relatedItemIdentifierType": "DOI"}
    return item


def document_instruments(document: Document) -> list[Instrument]:
    """Instruments of a proposal: its session instrument and those of all its datasets (part of the public stub)."""
    return instruments_of([document])[document.pk]


def instruments_of(documents: list[Document]) -> dict[int, list[Instrument]]:
    """document_instruments of each document, by name, in at most three queries."""
    wanted: dict[int, set[int]] = {d.pk: ({d.instrument_id} if d.instrument_id else set()) for d in documents}
    proposals = [d.pk for d in documents if d.kind != DocumentKind.COLLECTION]
    collections = [d.pk for d in documents if d.kind == DocumentKind.COLLECTION]
    pairs = list(
        Dataset.objects.filter(proposal__in=proposals, instrument__isnull=False)
        .order_by()
        .values_list("proposal_id", "instrument_id")
        .distinct()
    )
    pairs += (
        Document.collected_datasets.through.objects.filter(document__in=collections, dataset__instrument__isnull=False)
        .values_list("document_id", "dataset__instrument_id")
        .distinct()
    )
    for document_id, instrument_id in pairs:
        wanted[document_id].add(instrument_id)
    instruments = Instrument.objects.select_related("facility").in_bulk(set().union(*wanted.values()))
    return {
        pk: sorted((instruments[i] for i in ids), key=lambda instrument: (instrument.name, instrument.pk))
        for pk, ids in wanted.items()
    }


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def _sizes(*, count: int, size: int, files: int) -> list[str]:
    """Exact counts, as machines compare them with what they download (the pages show human_size)."""
    if not count:
        return []
    return [f"{size} bytes", f"{files} file{pluralize(files)}"]


def _formats(names: set[str]) -> list[str]:
    formats = sorted(names)
    if any("hdf5" in name.lower() or "nexus" in name.lower() for name in formats):
        formats.insert(0, HDF5_MEDIA_TYPE)
    return formats


def _rights(licence: str, *, is_open: bool) -> list[Record]:
    name, url = licence_details(licence)
    rights: list[Record] = [
        {
            "rights": name,
            "rightsUri": url,
            "rightsIdentifier": licence.lower(),
            "rightsIdentifierScheme": "SPDX",
            "schemeUri": SPDX,
        }
    ]
    rights += [{"rights": label, "rightsUri": uri} for label, uri in ACCESS_RIGHTS[is_open]]
    return rights


def _stub_descriptions(document: Document) -> list[Record]:
    release = document.release_date.date().isoformat() if document.release_date else "a date not yet set"
    text = (
        f"The data of this experiment are under embargo until {release}, following the facility's data policy. "
        f"The full metadata and files become public then, under {licence_of(document)}; until then the team can "
        "be asked for access on the landing page."
    )
    return [{"description": text, "descriptionType": "Other"}]


def _descriptions(document: Document, parts: Parts, facility: Facility | None) -> list[Record]:
    return _descriptions_of(abstract=document.summary, parts=parts, facility=facility, title=document.title)


def _parts_of_dataset(dataset: Dataset, samples: set[str]) -> Parts:
    """A dataset's own Parts, from the dataset as loaded and its sample labels."""
    return Parts(
        count=1,
        instruments={dataset.instrument.name} if dataset.instrument else set(),
        samples=samples,
        technical={f"NeXus {name}" for name in dataset.definitions}
        | ({f"{dataset.software_name} {dataset.software_version}".strip()} if dataset.software_name else set()),
    )


def _sample_label(name: str, chemical_formula: str) -> str:
    return f"{name} ({chemical_formula})" if chemical_formula else name


def _descriptions_of(*, abstract: str, parts: Parts, facility: Facility | None, title: str = "") -> list[Record]:
    where = f" on {', '.join(sorted(parts.instruments))}" if parts.instruments else ""
    if not abstract:
        count = f"{parts.count} dataset{pluralize(parts.count)}"
        abstract = f"{title or 'Data'}: {count} measured at {_facility_name(facility)}{where}."
    descriptions: list[Record] = [{"description": abstract, "descriptionType": "Abstract"}]
    if parts.samples:
        text = "Samples: " + "; ".join(sorted(parts.samples)) + "."
        descriptions.append({"description": text, "descriptionType": "Methods"})
    if parts.technical:
        descriptions.append(
            {"description": "; ".join(sorted(parts.technical)) + ".", "descriptionType": "TechnicalInfo"}
        )
    return descriptions


def _geo_locations(facility: Facility | None) -> list[Record]:
    if facility is None:
        return []
    location: Record = {"geoLocationPlace": facility.name}
    if facility.latitude is not None and facility.longitude is not None:
        location["geoLocationPoint"] = {"pointLatitude": facility.latitude, "pointLongitude": facility.longitude}
    return [location]


def _funding(funding: list[dict[str, str]]) -> list[Record]:
    references: list[Record] = []
    for grant in funding:
        if not grant.get("funder_name"):
            continue
        reference: Record = {"funderName": grant["funder_name"]}
        if grant.get("funder_ror"):
            reference |= {"funderIdentifier": grant["funder_ror"], "funderIdentifierType": "ROR"}
        if grant.get("award_number"):
            reference["awardNumber"] = grant["award_number"]
        if grant.get("award_uri"):
            reference["awardUri"] = grant["award_uri"]
        references.append(reference)
    return references
