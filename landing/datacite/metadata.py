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
    if document.facility_id:
        return document.facility
    dataset = document.datasets.select_related("instrument__facility").filter(instrument__isnull=False).first()
    return dataset.instrument.facility if dataset else None


def visible_datasets(*, document: Document, user: visibility.User) -> QuerySet[Dataset]:
    """The datasets of a proposal, or chosen in a collection, whose metadata `user` may see."""
    owned = Q(collections=document) if document.kind == DocumentKind.COLLECTION else Q(proposal=document)
    return visibility.datasets_visible_to(user).filter(owned).distinct().order_by("creation_time", "pid")


def all_datasets(document: Document) -> QuerySet[Dataset]:
    owned = Q(collections=document) if document.kind == DocumentKind.COLLECTION else Q(proposal=document)
    return Dataset.objects.filter(owned).distinct()


def document_metadata(*, document: Document, user: visibility.User = ANONYMOUS, stub: bool | None = None) -> Record:
    """The DataCite record of a proposal or collection as `user` may see it (DataCite itself gets the anonymous one).

    During an embargo, anonymous callers and non-members get the public stub of access-policy.md: DOI, facility,
    instruments, proposal number and title, team, measurement period, release date, licence and how to ask for access.
    `stub` is `visibility.public_stub_only(user, document)` when the caller asked it already for many documents.
    """
    if stub is None:
        stub = visibility.public_stub_only(user, document)
    datasets = [] if stub else list(record_datasets(document=document, user=user))
    return document_record(document=document, user=user, stub=stub, datasets=datasets)


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
    facility = facility_of(document)
    is_open = visibility.is_open(document) or any(visibility.is_open(dataset) for dataset in datasets)
    record: Record = {
        "doi": document.doi,
        "state": doi_state(document),
        "url": landing_url(document) if document.doi else None,
        "creators": _creators(document, facility),
        "titles": [{"title": document.title}],
        "publisher": _publisher(facility),
        "publicationYear": _publication_year(document),
        "types": {
            "resourceTypeGeneral": "Dataset",
            "resourceType": "Dataset collection" if document.kind == DocumentKind.COLLECTION else "Experiment data",
        },
        "subjects": [] if stub else _subjects(datasets, document.keywords),
        "contributors": _hosting_institution(facility),
        "dates": _dates(document, datasets),
        "language": "en",
        "alternateIdentifiers": _alternate_identifiers(document),
        "relatedIdentifiers": [] if stub else _related_identifiers(document, datasets, user),
        "relatedItems": _instruments(document),
        "sizes": [] if stub else _sizes(datasets),
        "formats": [] if stub else _formats(datasets),
        "rightsList": _rights(licence_of(document), is_open=is_open),
        "descriptions": _stub_descriptions(document) if stub else _descriptions(document, datasets, facility),
        "geoLocations": _geo_locations(facility),
        "fundingReferences": [] if stub else _funding(document.funding),
        "schemaVersion": SCHEMA_VERSION,
    }
    return record


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
    members: dict[int, list[Member]] = {}
    for member in _creator_members(Q(document__in={dataset.proposal_id for dataset in datasets})):
        members.setdefault(member.document_id, []).append(member)
    techniques: dict[int, list[Technique]] = {}
    links = Dataset.techniques.through.objects.filter(dataset_id__in=ids).select_related("technique")
    for link in links:
        techniques.setdefault(link.dataset_id, []).append(link.technique)
    provenance = _provenance_by_dataset(ids, user=user)
    records = []
    for dataset in datasets:
        document, cited_by = dataset.proposal, citing[dataset.pk]
        facility = dataset.instrument.facility if dataset.instrument_id else facility_of(document)
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
            "relatedItems": [_instrument_item(dataset.instrument)] if dataset.instrument_id else [],
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


def _creator_members(owned: Q) -> QuerySet[Member]:
    return (
        Member.objects.filter(owned, is_creator=True)
        .select_related("person", "affiliation")
        .order_by("document_id", "position", "id")
    )


def _provenance_by_dataset(ids: list[int], *, user: visibility.User) -> dict[int, list[tuple[str, int, str]]]:
    """(relation, proposal id, DOI) of the documents holding each dataset's visible inputs and derivatives, sorted
    by DOI: the rows _provenance reads, for many datasets at once."""
    visible = visibility.datasets_visible_to(user).exclude(proposal__doi__isnull=True)
    found: dict[int, set[tuple[str, int, str]]] = {}
    for relation, link in (("IsDerivedFrom", "derived_datasets"), ("IsSourceOf", "input_datasets")):
        rows = visible.filter(**{f"{link}__in": ids}).values_list(link, "proposal_id", "proposal__doi")
        for dataset_id, proposal_id, doi in rows:
            found.setdefault(dataset_id, set()).add((relation, proposal_id, doi))
    order = {"IsDerivedFrom": 0, "IsSourceOf": 1}
    return {pk: sorted(rows, key=lambda row: (order[row[0]], row[2])) for pk, rows in found.items()}


def _creators(document: Document, facility: Facility | None) -> list[Record]:
    return _creators_of(list(_creator_members(Q(document=document))), facility)


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


def _subjects(datasets: Iterable[Dataset], keywords: Iterable[str]) -> list[Record]:
    techniques = Technique.objects.filter(datasets__in=[d.pk for d in datasets]).distinct()
    return _subjects_of(list(techniques), keywords)


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
    if document.start_date or document.end_date:
        return document.start_date, document.end_date
    if document.kind == DocumentKind.COLLECTION:
        starts = [d.start_time for d in datasets if d.start_time]
        ends = [d.end_time for d in datasets if d.end_time]
        return min(starts, default=None), max(ends, default=None)
    span = all_datasets(document).aggregate(start=Min("start_time"), end=Max("end_time"))
    return span["start"], span["end"]


def _dates(document: Document, datasets: list[Dataset]) -> list[Record]:
    start, end = measurement_period(document, datasets)
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


def _related_identifiers(document: Document, datasets: list[Dataset], user: visibility.User) -> list[Record]:
    related: list[Record] = []
    ids = [dataset.pk for dataset in datasets]
    if document.kind == DocumentKind.COLLECTION:
        # A paper's collection is a portion of each proposal its datasets come from.
        proposals = Document.objects.filter(datasets__in=ids, doi__isnull=False).distinct().order_by("doi")
        related += [_related_doi(proposal.doi, "IsPartOf") for proposal in proposals]
    elif visibility.collections_published():  # the common case of none spares every record this query
        collections = (
            visibility.documents_visible_to(user)
            .filter(kind=DocumentKind.COLLECTION, collected_datasets__in=ids, doi__isnull=False)
            .distinct()
            .order_by("doi")
        )
        related += [_related_doi(collection.doi, "HasPart") for collection in collections]
    related += _provenance(datasets, exclude=document, user=user)
    related += [
        {
            "relatedIdentifier": dataset_url(dataset),
            "relatedIdentifierType": "URL",
            "relationType": "HasPart",
            "resourceTypeGeneral": "Dataset",
        }
        for dataset in datasets[:MAX_PARTS_LISTED]
    ]
    for work in RelatedWork.objects.filter(document=document).order_by("id"):
        entry: Record = {
            "relatedIdentifier": work.identifier,
            "relatedIdentifierType": work.identifier_type,
            "relationType": work.relation_type,
        }
        if work.resource_type:
            entry["resourceTypeGeneral"] = work.resource_type
        related.append(entry)
    return related


def _provenance(datasets: list[Dataset], *, exclude: Document | None, user: visibility.User) -> list[Record]:
    """IsDerivedFrom the DOIs of other documents holding our inputs, IsSourceOf those holding our derivatives."""
    ids = [dataset.pk for dataset in datasets]
    visible = visibility.datasets_visible_to(user)
    related: list[Record] = []
    for relation, link in (("IsDerivedFrom", "derived_datasets__in"), ("IsSourceOf", "input_datasets__in")):
        sources = visible.filter(**{link: ids}).exclude(proposal__doi__isnull=True)
        if exclude is not None:
            sources = sources.exclude(proposal=exclude)
        dois = sorted(set(sources.values_list("proposal__doi", flat=True)))
        related += [_related_doi(doi, relation) for doi in dois]
    return related


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
    used = all_datasets(document).filter(instrument__isnull=False).values("instrument")
    instruments = Instrument.objects.filter(Q(pk__in=used) | Q(pk=document.instrument_id))
    return list(instruments.select_related("facility").order_by("name"))


def _instruments(document: Document) -> list[Record]:
    return [_instrument_item(instrument) for instrument in document_instruments(document)]


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
    instruments = sorted({dataset.instrument.name for dataset in datasets if dataset.instrument_id})
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
