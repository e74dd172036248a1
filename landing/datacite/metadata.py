"""The one mapping from the catalogue to DataCite 4.7 metadata (landing-doi.md §1.4, access-policy.md).

A record is a dict in the shape of DataCite's REST JSON attributes; the XML (`landing.datacite.xml`), schema.org,
CSL-JSON, BibTeX and RIS exports are all derived from it. It is always built for an audience: the public stub of an
embargoed proposal holds only what access-policy.md lists, and personal data (e-mails) never enter a record.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Max, Min, Q, QuerySet
from django.template.defaultfilters import pluralize
from django.urls import reverse

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
    """visible_datasets() with what a record and a page read of each (instrument, facility, proposal, samples)."""
    return (
        visible_datasets(document=document, user=user)
        .select_related("instrument__facility", "proposal")
        .prefetch_related("samples")
    )


def document_record(*, document: Document, user: visibility.User, stub: bool, datasets: list[Dataset]) -> Record:
    """document_metadata() from what the caller has read already: `stub` must be public_stub_only(user, document)
    and `datasets` record_datasets() for `user` (none for a stub)."""
    stubs = {document.pk} if stub else set()
    return document_records(documents=[document], user=user, stubs=stubs, datasets={document.pk: datasets})[0]


def document_records(
    *,
    documents: list[Document],
    user: visibility.User = ANONYMOUS,
    stubs: set[int] | None = None,
    datasets: dict[int, list[Dataset]] | None = None,
) -> list[Record]:
    """The records of many documents as `user` may see them (see document_metadata), in a fixed number of queries.

    `stubs` holds the ids among them that show only the public stub, when the caller asked it already; else it is
    asked per document. `datasets` are their visible datasets by document id, when the caller read them already.
    Documents loaded with `select_related("facility")` cost no query of their own.
    """
    if stubs is None:
        stubs = {document.pk for document in documents if visibility.public_stub_only(user, document)}
    if datasets is None:
        datasets = _visible_datasets_of([d for d in documents if d.pk not in stubs], user=user)
    facilities = facilities_of(documents)
    members = _members_by_document([document.pk for document in documents])
    periods = measurement_periods(documents, datasets)
    instruments = instruments_of(documents)
    related = _related_identifiers_of(documents, datasets, user=user)
    techniques = _techniques_by_dataset([dataset.pk for rows in datasets.values() for dataset in rows])
    records = []
    for document in documents:
        stub, facility, rows = document.pk in stubs, facilities[document.pk], datasets.get(document.pk, [])
        is_open = visibility.is_open(document) or any(visibility.is_open(dataset) for dataset in rows)
        unique_techniques = {t.pk: t for dataset in rows for t in techniques.get(dataset.pk, [])}
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
            "subjects": [] if stub else _subjects_of(list(unique_techniques.values()), document.keywords),
            "contributors": _hosting_institution(facility),
            "dates": _dates(document, periods[document.pk]),
            "language": "en",
            "alternateIdentifiers": _alternate_identifiers(document),
            "relatedIdentifiers": [] if stub else related[document.pk],
            "relatedItems": [_instrument_item(instrument) for instrument in instruments[document.pk]],
            "sizes": [] if stub else _sizes(rows),
            "formats": [] if stub else _formats(rows),
            "rightsList": _rights(licence_of(document), is_open=is_open),
            "descriptions": _stub_descriptions(document) if stub else _descriptions(document, rows, facility),
            "geoLocations": _geo_locations(facility),
            "fundingReferences": [] if stub else _funding(document.funding),
            "schemaVersion": SCHEMA_VERSION,
        }
        records.append(record)
    return records


def _visible_datasets_of(documents: list[Document], *, user: visibility.User) -> dict[int, list[Dataset]]:
    """visible_datasets of each document, by id, with their instruments and samples (three queries)."""
    proposals = {d.pk for d in documents if d.kind != DocumentKind.COLLECTION}
    collections = [d.pk for d in documents if d.kind == DocumentKind.COLLECTION]
    visible = visibility.datasets_visible_to(user)
    collected: dict[int, list[int]] = {}
    links = Document.collected_datasets.through.objects.filter(document__in=collections, dataset__in=visible)
    for dataset_id, document_id in links.values_list("dataset_id", "document_id"):
        collected.setdefault(dataset_id, []).append(document_id)
    rows = (
        visible.filter(Q(proposal__in=proposals) | Q(pk__in=list(collected)))
        .select_related("instrument__facility")
        .prefetch_related("samples")
        .order_by("creation_time", "pid")
    )
    found: dict[int, list[Dataset]] = {}
    for dataset in rows:
        owners = collected.get(dataset.pk, [])
        if dataset.proposal_id in proposals:
            owners = [*owners, dataset.proposal_id]
        for owner in owners:
            found.setdefault(owner, []).append(dataset)
    return found


def dataset_metadata(*, dataset: Dataset, citing: Document | None, user: visibility.User = ANONYMOUS) -> Record:
    """The record of one dataset (no DOI of its own): the same mapping, `IsPartOf` the DOI it is cited through.

    The caller has checked that `user` may see the dataset.
    """
    return dataset_records(datasets=[dataset], citing={dataset.pk: citing}, user=user)[0]


def dataset_records(
    *, datasets: list[Dataset], citing: dict[int, Document | None], user: visibility.User = ANONYMOUS
) -> list[Record]:
    """The records of many datasets (by `citing`, the DOI each is cited through), in a fixed number of queries.

    Datasets loaded with `select_related("proposal__facility", "instrument__facility")` and
    `prefetch_related("samples")` cost no query of their own. The caller has checked that `user` may see them.
    """
    ids = [dataset.pk for dataset in datasets]
    members = _members_by_document([dataset.proposal_id for dataset in datasets])
    techniques = _techniques_by_dataset(ids)
    provenance = _provenance_by_dataset(ids, user=user)
    facilities = facilities_of({d.proposal_id: d.proposal for d in datasets if not d.instrument_id}.values())
    records = []
    for dataset in datasets:
        document, cited_by = dataset.proposal, citing[dataset.pk]
        facility = dataset.instrument.facility if dataset.instrument else facilities[document.pk]
        related = [_related_doi(cited_by.doi, "IsPartOf")] if cited_by is not None and cited_by.doi else []
        for relation, proposal_id, doi in provenance.get(dataset.pk, []):
            if cited_by is None or proposal_id != cited_by.pk:
                related.append(_related_doi(doi, relation))
        record: Record = {
            "doi": None,
            "url": dataset_url(dataset),
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
            "sizes": _sizes([dataset]),
            "formats": _formats([dataset]),
            "rightsList": _rights(licence_of(document), is_open=visibility.is_open(dataset)),
            "descriptions": _descriptions_of(
                abstract=dataset.description or dataset.title, datasets=[dataset], facility=facility
            ),
            "geoLocations": _geo_locations(facility),
            "fundingReferences": _funding(document.funding),
            "schemaVersion": SCHEMA_VERSION,
        }
        records.append(record)
    return records


def _members_by_document(document_ids: list[int]) -> dict[int, list[Member]]:
    """The creator members of each document, in (position, id) order."""
    members: dict[int, list[Member]] = {}
    rows = (
        Member.objects.filter(document__in=document_ids, is_creator=True)
        .select_related("person", "affiliation")
        .order_by("document_id", "position", "id")
    )
    for member in rows:
        members.setdefault(member.document_id, []).append(member)
    return members


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


def _creators_of(members: list[Member], facility: Facility | None) -> list[Record]:
    """The creators, from the document's creator members in (position, id) order."""
    creators: list[Record] = []
    seen: set[int] = set()
    for member in members:
        if member.person_id in seen:  # one person may hold two roles
            continue
        seen.add(member.person_id)
        person = member.person
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
        creator["affiliation"] = [_affiliation(member.affiliation)] if member.affiliation_id else []
        creators.append(creator)
    if not creators:  # DataCite needs one creator: the facility stands for an unnamed team
        creators.append({"name": _facility_name(facility), "nameType": "Organizational", **_ror_ids(facility)})
    return creators


def person_name(full_name: str, first_name: str, last_name: str) -> str:
    """'Family, Given' as DataCite and citation styles want it."""
    if last_name:
        return f"{last_name}, {first_name}" if first_name else last_name
    return full_name


def _affiliation(affiliation: Any) -> Record:
    entry: Record = {"name": affiliation.name}
    if affiliation.ror_id:
        entry |= {"affiliationIdentifier": affiliation.ror_id, "affiliationIdentifierScheme": "ROR", "schemeUri": ROR}
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


def measurement_period(document: Document, datasets: list[Dataset]) -> tuple[datetime | None, datetime | None]:
    """(start, end) of the measurement: the document's dates, else the span of its datasets' times.

    A proposal's span covers all its datasets, embargoed included: the period is part of the public stub. A
    collection's covers only `datasets`, those the caller may see.
    """
    return measurement_periods([document], {document.pk: datasets})[document.pk]


def measurement_periods(
    documents: list[Document], datasets: dict[int, list[Dataset]]
) -> dict[int, tuple[datetime | None, datetime | None]]:
    """measurement_period of each document (`datasets` by document id), in at most one query."""
    found: dict[int, tuple[datetime | None, datetime | None]] = {}
    spanned: list[int] = []
    for document in documents:
        if document.start_date or document.end_date:
            found[document.pk] = document.start_date, document.end_date
        elif document.kind == DocumentKind.COLLECTION:
            rows = datasets.get(document.pk, [])
            starts = [d.start_time for d in rows if d.start_time]
            ends = [d.end_time for d in rows if d.end_time]
            found[document.pk] = min(starts, default=None), max(ends, default=None)
        else:
            spanned.append(document.pk)
    if spanned:
        spans = (
            Dataset.objects.filter(proposal__in=spanned)
            .order_by()
            .values("proposal_id")
            .annotate(start=Min("start_time"), end=Max("end_time"))
        )
        found |= {span["proposal_id"]: (span["start"], span["end"]) for span in spans}
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


def _related_identifiers_of(
    documents: list[Document], datasets: dict[int, list[Dataset]], *, user: visibility.User
) -> dict[int, list[Record]]:
    """The related identifiers of each document with its visible `datasets`, in at most five queries."""
    ids = [dataset.pk for rows in datasets.values() for dataset in rows]
    collections = {d.pk for d in documents if d.kind == DocumentKind.COLLECTION}
    # A paper's collection is a portion of each proposal its datasets come from.
    sources = {dataset.proposal_id for pk in collections for dataset in datasets.get(pk, [])}
    proposal_dois = {
        pk: doi
        for pk, doi in Document.objects.filter(pk__in=sources, doi__isnull=False).values_list("pk", "doi")
        if doi is not None
    }
    holders: dict[int, set[str]] = {}
    if visibility.collections_published():  # the common case of none spares every record this query
        proposal_datasets = [d.pk for pk, rows in datasets.items() if pk not in collections for d in rows]
        holding = (
            visibility.documents_visible_to(user)
            .filter(kind=DocumentKind.COLLECTION, collected_datasets__in=proposal_datasets, doi__isnull=False)
            .values_list("collected_datasets", "doi")
        )
        for dataset_id, doi in holding:
            if doi is not None:
                holders.setdefault(dataset_id, set()).add(doi)
    provenance = _provenance_by_dataset(ids, user=user)
    works: dict[int, list[RelatedWork]] = {}
    for work in RelatedWork.objects.filter(document__in=[d.pk for d in documents]).order_by("id"):
        works.setdefault(work.document_id, []).append(work)
    found: dict[int, list[Record]] = {}
    for document in documents:
        rows = datasets.get(document.pk, [])
        if document.pk in collections:
            dois = {proposal_dois[d.proposal_id] for d in rows if d.proposal_id in proposal_dois}
            related = [_related_doi(doi, "IsPartOf") for doi in sorted(dois)]
        else:
            related = [
                _related_doi(doi, "HasPart") for doi in sorted(set().union(*(holders.get(d.pk, set()) for d in rows)))
            ]
        links = {
            (relation, doi)
            for d in rows
            for relation, proposal_id, doi in provenance.get(d.pk, [])
            if proposal_id != document.pk
        }
        related += [
            _related_doi(doi, relation)
            for relation, doi in sorted(links, key=lambda link: (PROVENANCE_ORDER[link[0]], link[1]))
        ]
        related += [
            {
                "relatedIdentifier": dataset_url(dataset),
                "relatedIdentifierType": "URL",
                "relationType": "HasPart",
                "resourceTypeGeneral": "Dataset",
            }
            for dataset in rows[:MAX_PARTS_LISTED]
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


def _sizes(datasets: list[Dataset]) -> list[str]:
    """Exact counts, as machines compare them with what they download (the pages show human_size)."""
    if not datasets:
        return []
    size, files = sum(d.size for d in datasets), sum(d.number_of_files for d in datasets)
    return [f"{size} bytes", f"{files} file{pluralize(files)}"]


def _formats(datasets: list[Dataset]) -> list[str]:
    formats = sorted({dataset.file_format for dataset in datasets if dataset.file_format})
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


def _descriptions(document: Document, datasets: list[Dataset], facility: Facility | None) -> list[Record]:
    return _descriptions_of(abstract=document.summary, datasets=datasets, facility=facility, title=document.title)


def _descriptions_of(
    *, abstract: str, datasets: list[Dataset], facility: Facility | None, title: str = ""
) -> list[Record]:
    instruments = sorted({dataset.instrument.name for dataset in datasets if dataset.instrument})
    where = f" on {', '.join(instruments)}" if instruments else ""
    if not abstract:
        count = f"{len(datasets)} dataset{pluralize(len(datasets))}"
        abstract = f"{title or 'Data'}: {count} measured at {_facility_name(facility)}{where}."
    descriptions: list[Record] = [{"description": abstract, "descriptionType": "Abstract"}]
    samples = sorted(
        {
            f"{sample.name} ({sample.chemical_formula})" if sample.chemical_formula else sample.name
            for dataset in datasets
            for sample in dataset.samples.all()
        }
    )
    if samples:
        descriptions.append({"description": "Samples: " + "; ".join(samples) + ".", "descriptionType": "Methods"})
    technical = sorted(
        {f"NeXus {name}" for dataset in datasets for name in dataset.definitions}
        | {
            f"{dataset.software_name} {dataset.software_version}".strip()
            for dataset in datasets
            if dataset.software_name
        }
    )
    if technical:
        descriptions.append({"description": "; ".join(technical) + ".", "descriptionType": "TechnicalInfo"})
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
