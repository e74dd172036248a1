"""What a landing page shows, for one caller: the record as they may see it, datasets, files, citations, relations,
counts and the carbon block. Views only render these; every read goes through catalogue.visibility."""

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Protocol
from urllib.parse import quote

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString, mark_safe

from catalogue import visibility
from catalogue.models import DataFile, Dataset, Document, DocumentKind, DoiState, Facility, Preview, Sample
from catalogue.services import downloads, statistics
from landing.datacite import metadata
from landing.datacite import xml as datacite_xml
from landing.datacite.metadata import Record
from landing.models import RelatedWork
from landing.services import carbon, citations, distributions, exports, provenance, standards, variables
from landing.services.signposting import Link

FILES_SHOWN = 20  # longer file lists are collapsed behind a <details>
DATASETS_SHOWN = 500
GALLERY_SIZE = 12  # previews on a DOI page; the datasets table lists the rest
BOT_MARKERS = ("bot", "crawl", "spider", "slurp", "curl", "wget", "python-requests", "headless", "fair", "harvest")


def optional_url(name: str, **kwargs: Any) -> str | None:
    """A route of another part of the site (downloads, access requests), or None while it is not installed."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def json_for_script(data: Any) -> SafeString:
    """JSON safe inside <script>: no '</script>' or HTML comment can close the element early."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return mark_safe(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


@dataclass(frozen=True)
class Access:
    is_open: bool
    release_date: datetime | None
    can_download: bool
    stub: bool
    request_url: str | None


@dataclass
class Page:
    """Everything a landing template renders, plus what the view puts in headers."""

    record: Record
    citation_record: Record
    access: Access
    canonical_url: str
    links: list[Link]
    exports: list[tuple[str, str, str]]  # (key, label, url)
    citations: list[tuple[str, str, str]]
    schema_org: Record
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def json_ld(self) -> SafeString:
        return json_for_script(self.schema_org)


def doi_notice(document: Document) -> str | None:
    """What the page must say while the DOI does not resolve through doi.org (access-policy.md, Identifiers)."""
    if document.doi_state == DoiState.LOCAL_DRAFT:
        return (
            "This DOI is a local draft: the site has no DataCite account configured, so it is not registered and "
            "does not resolve through doi.org. Cite the page address until it does."
        )
    if document.doi_state in (DoiState.NONE, DoiState.DRAFT):
        return "This DOI is being registered with DataCite; it resolves through doi.org once registration completes."
    return None


def citing_document(dataset: Dataset) -> Document | None:
    """The DOI a dataset is cited through: its proposal's, else the first published collection holding it."""
    return citing_documents([dataset])[dataset.pk]


def citing_documents(datasets: list[Dataset]) -> dict[int, Document | None]:
    """citing_document of each dataset (loaded with its proposal), by id, in at most one query."""
    citing = {
        dataset.pk: dataset.proposal if dataset.proposal.doi and dataset.proposal.withdrawn_at is None else None
        for dataset in datasets
    }
    uncited = [pk for pk, document in citing.items() if document is None]
    if uncited:
        links = (
            Document.collected_datasets.through.objects.filter(
                dataset_id__in=uncited,
                document__doi__isnull=False,
                document__published_at__isnull=False,
                document__withdrawn_at__isnull=True,
            )
            .select_related("document")
            .order_by("document__published_at", "document_id")
        )
        for link in links:
            citing[link.dataset_id] = citing[link.dataset_id] or link.document
    return citing


def is_counted_visit(*, user: visibility.User, user_agent: str) -> bool:
    """Views by robots and stewards are not counted."""
    agent = user_agent.lower()
    return bool(agent) and not any(marker in agent for marker in BOT_MARKERS) and not visibility.is_steward(user)


# Pages are built with this in place of their view count, filled in per request (cached pages stay valid).
VIEWS = "<!--page views-->"
# Views are written to the database this many at a time: a write a visit, on a busy page, queues every visitor behind
# the row's lock and a commit. Until written they are counted in the cache (losing it loses fewer than this per page),
# beside the count last written, so that a visit reads no row at all.
VIEWS_BATCH = 10


def _cached_counts(pending_key: str, written_key: str, *, add: int) -> tuple[int, int | None]:
    """The views pending in the cache after adding `add`, and the count last written (None when not read yet): one
    round trip on Redis, where the page itself is another."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):  # the local-memory cache of a checkout without REDIS_URL
        backend.add(pending_key, 0, timeout=None)
        return backend.incr(pending_key, add) if add else backend.get(pending_key), backend.get(written_key)
    client = backend._cache.get_client(write=True)
    with client.pipeline(transaction=False) as pipeline:
        pipeline.incrby(backend.make_and_validate_key(pending_key), add)  # made at 0 when missing, like cache.add
        pipeline.get(backend.make_and_validate_key(written_key))
        pending, written = pipeline.execute()
    return pending, None if written is None else int(written)  # Django's RedisCache stores integers as they are


def views(*, record: tuple[statistics.Kind, int], counted: bool) -> int:
    """The page views of a DOI page ("document", id) or a dataset page ("dataset", id), this visit included when it
    is `counted`. Every VIEWS_BATCH-th counted visit writes the batch; other visits query nothing (the count last
    written is read once into the cache)."""
    kind, pk = record
    pending_key, written_key = f"landing-views:{kind}:{pk}", f"landing-views-written:{kind}:{pk}"
    pending, written = _cached_counts(pending_key, written_key, add=1 if counted else 0)
    if counted and pending % VIEWS_BATCH == 0:  # exactly one visit sees each multiple
        cache.decr(pending_key, VIEWS_BATCH)
        written = statistics.add_views(kind=kind, pk=pk, number=VIEWS_BATCH)
        cache.set(written_key, written, timeout=None)
        return written + pending - VIEWS_BATCH
    if written is None:
        written = statistics.views(kind=kind, pk=pk)
        cache.add(written_key, written, timeout=None)
    return written + pending


def _crate_link(document: Document) -> list[tuple[str, str, str]]:
    url = optional_url("landing-doi-crate", doi=document.doi)
    return [("ro-crate", "RO-Crate (ro-crate-metadata.json)", url)] if url else []


def _export_links(base_url: str, keys: list[str]) -> list[tuple[str, str, str]]:
    return [(key, exports.FORMATS[key].label, f"{base_url}?format={key}") for key in keys]


def _describedby(base_url: str, keys: list[str]) -> list[Link]:
    return [
        Link(metadata.site_url(f"{base_url}?format={key}"), "describedby", exports.FORMATS[key].media_type)
        for key in keys
    ]


def _authors(record: Record) -> list[Link]:
    return [
        Link(identifier["nameIdentifier"], "author")
        for creator in record["creators"]
        for identifier in creator.get("nameIdentifiers", [])
        if identifier["nameIdentifierScheme"] == "ORCID"
    ]


def _licence_link(record: Record) -> Link:
    return Link(exports.licence_rights(record)["rightsUri"], "license")


TYPE_LINKS = [Link("https://schema.org/Dataset", "type"), Link("https://schema.org/AboutPage", "type")]


def _cite_as(record: Record) -> Link:
    """The DOI once it resolves; until then the landing page, saying why (never a doi.org link that fails)."""
    if exports.doi_resolves(record) or not record.get("doi"):
        return Link(exports.identifier_url(record), "cite-as", "text/html")
    return Link(record["url"], "cite-as", "text/html", title=datacite_xml.draft_notice(record))


def _details(
    datasets: list[Dataset], *, public: list[Dataset], facility: Facility | None, user: visibility.User
) -> exports.Details:
    """Distributions (of the datasets open to everyone), variables, provenance and standards of a page's datasets."""
    if not datasets:
        return exports.Details()
    return exports.Details(
        distributions=distributions.of_datasets(public),
        variables=variables.of_datasets(datasets),
        provenance=provenance.of_datasets(datasets, facility=facility, user=user),
        standards=standards.of_datasets(datasets),
    )


def _carbon(*, hours: float | None, facility: Facility | None, outside: int, cited: int) -> carbon.Estimate | None:
    if not hours:
        return None
    return carbon.estimate(hours=hours, facility=facility, outside_downloads=outside, citations=cited)


def _beam_hours(document: Document, datasets: list[Dataset]) -> float | None:
    """A proposal's beamtime is its measurement period; a collection's, the sum of its datasets' own times."""
    if document.kind == DocumentKind.COLLECTION:
        return sum(carbon.beam_hours(d.start_time, d.end_time) or 0 for d in datasets) or None
    return carbon.beam_hours(*metadata.measurement_period(document, datasets))


def _citation_count(document: Document) -> int:
    return RelatedWork.objects.filter(
        document=document,
        by_outside_group=True,
        relation_type__in=[RelatedWork.Relation.IS_CITED_BY, RelatedWork.Relation.IS_SUPPLEMENT_TO],
    ).count()


def _drawn(previews: QuerySet[Preview]) -> QuerySet[Preview]:
    """Previews with a picture, without loading the pictures (the preview route serves them)."""
    return previews.filter(png__isnull=False).defer("png", "card_png", "choice")


def _gallery(downloadable: set[int]) -> list[Preview]:
    """The previews of the datasets `downloadable` by the caller: drawn from the data, they open with the files."""
    previews = _drawn(Preview.objects.filter(dataset__in=downloadable)).select_related("dataset")
    return list(previews.order_by("dataset__creation_time", "dataset__pk")[:GALLERY_SIZE])


def notebook_links(*, url: str, public: bool) -> dict[str, str | None]:
    """The notebook's address and, when a hub is configured (NOTEBOOK_HUB_URL) and anyone may fetch the data, where
    the hub opens it: a hub fetches the notebook without the visitor's login."""
    hub = settings.NOTEBOOK_HUB_URL
    return {
        "notebook_url": url,
        "notebook_hub_url": hub.format(url=quote(metadata.site_url(url), safe="")) if hub and public else None,
        "notebook_hub_name": settings.NOTEBOOK_HUB_NAME,
    }


@dataclass(frozen=True)
class Description:
    """A DOI's or a dataset's machine-readable description for one caller: the DataCite record, what the page knows
    beyond it and the schema.org JSON-LD built from both (pages, exports and RO-Crates share it)."""

    record: Record
    citation_record: Record
    facility: Facility | None
    datasets: list[Dataset]  # those described, as the caller may see them
    details: exports.Details
    schema_org: Record


def document_description(*, document: Document, user: visibility.User) -> Description:
    return DocumentForms(document=document, user=user).description


def _document_datasets(*, document: Document, user: visibility.User, stub: bool) -> QuerySet[Dataset]:
    return (Dataset.objects.none() if stub else metadata.visible_datasets(document=document, user=user)).select_related(
        "instrument__facility", "proposal"
    )


class Forms(Protocol):
    """What a page's machine-readable forms (exports, citations, linkset) derive from."""

    @property
    def canonical_url(self) -> str: ...
    @property
    def citation_record(self) -> Record: ...
    @property
    def schema_org(self) -> Record: ...
    @property
    def links(self) -> list[Link]: ...


class DocumentForms:
    """The forms of a DOI for one caller, each part built when first asked for: an export reads only the record."""

    def __init__(self, *, document: Document, user: visibility.User) -> None:
        self.document, self.user = document, user
        self.base = reverse("landing-doi", kwargs={"doi": document.doi})
        self.canonical_url = metadata.site_url(self.base)

    @cached_property
    def stub(self) -> bool:
        return visibility.public_stub_only(self.user, self.document)

    @cached_property
    def datasets(self) -> list[Dataset]:
        """Every dataset the caller may see (the page lists up to DATASETS_SHOWN, and counts them all)."""
        return [] if self.stub else list(metadata.record_datasets(document=self.document, user=self.user))

    @cached_property
    def citation_record(self) -> Record:
        return metadata.document_metadata(document=self.document, user=self.user, stub=self.stub)

    @cached_property
    def description(self) -> Description:
        record, datasets = self.citation_record, self.datasets[:DATASETS_SHOWN]
        facility = metadata.facility_of(self.document)
        public = [d for d in datasets if visibility.is_open(d)]
        details = _details(datasets, public=public, facility=facility, user=self.user)
        schema = exports.schema_org(record, catalogue_url=metadata.site_url("/"), details=details)
        return Description(record, record, facility, datasets, details, schema)

    @property
    def schema_org(self) -> Record:
        return self.description.schema_org

    @cached_property
    def links(self) -> list[Link]:
        record = self.citation_record
        links = [_cite_as(record), *TYPE_LINKS, *_authors(record), _licence_link(record)]
        links += [Link(item.url, "item", item.media_type) for item in self.description.details.distributions]
        return links + _describedby(self.base, list(exports.FORMATS))


def document_page(*, document: Document, user: visibility.User) -> Page:
    """The DOI landing page of a proposal or collection; the caller has checked it may be shown (stub or full)."""
    forms = DocumentForms(document=document, user=user)
    description = forms.description
    record = description.record
    stub = forms.stub
    base = forms.base
    datasets = _document_datasets(document=document, user=user, stub=stub)
    downloadable = set(
        visibility.datasets_downloadable_by(user).filter(pk__in=datasets.values("pk")).values_list("pk", flat=True)
    )
    facility = description.facility
    dataset_rows = description.datasets
    is_open = visibility.is_open(document) or any(visibility.is_open(d) for d in dataset_rows)
    access = Access(
        is_open=is_open and not stub,
        release_date=document.release_date,
        can_download=bool(downloadable),
        stub=stub,
        request_url=optional_url("access-request", pid=document.pid) if not is_open or stub else None,
    )
    start, end = metadata.measurement_period(document, dataset_rows)
    related = _related(document=document, record=record, user=user, stub=stub)
    downloaded = statistics.downloads(dataset_ids=[d.pk for d in forms.datasets])
    return Page(
        record=record,
        citation_record=record,
        access=access,
        canonical_url=forms.canonical_url,
        links=forms.links,
        exports=[*_export_links(base, list(exports.FORMATS)), *_crate_link(document)],
        citations=citations.all_citations(record),
        schema_org=description.schema_org,
        extra={
            "document": document,
            "proposal_number": document.proposal_number,
            "is_collection": document.kind == DocumentKind.COLLECTION,
            "doi_url": metadata.doi_url(document.doi) if document.doi else None,
            "doi_notice": doi_notice(document),
            "facility": facility,
            "instruments": metadata.document_instruments(document),
            "measurement_start": start,
            "measurement_end": end,
            "licence": metadata.licence_details(metadata.licence_of(document)),
            "licence_id": metadata.licence_of(document),
            "datasets": dataset_rows,
            "datasets_total": len(forms.datasets),
            "downloadable": downloadable,
            "gallery": [] if stub else _gallery(downloadable),
            "gallery_total": 0 if stub else _drawn(Preview.objects.filter(dataset__in=downloadable)).count(),
            "samples": [] if stub else _samples(datasets),
            "views": mark_safe(VIEWS),
            "downloads": None if stub else downloaded.total,
            "carbon": _carbon(
                hours=_beam_hours(document, dataset_rows),
                facility=facility,
                outside=downloaded.outside,
                cited=_citation_count(document),
            ),
            "related": related,
            **(
                {}
                if stub or not dataset_rows
                else notebook_links(
                    url=reverse("landing-doi-notebook", kwargs={"doi": document.doi}), public=access.is_open
                )
            ),
        },
    )


def _samples(datasets: QuerySet[Dataset]) -> list[Sample]:
    return list(Sample.objects.filter(datasets__in=datasets.values("pk")).distinct().order_by("name")[:50])


def _related(*, document: Document, record: Record, user: visibility.User, stub: bool) -> list[dict[str, str]]:
    """Related records to link: proposals, collections, derived/source DOIs and papers, with readable labels."""
    if stub:
        return []
    labels = {
        "IsPartOf": "Part of",
        "HasPart": "Collection using these data",
        "IsDerivedFrom": "Derived from",
        "IsSourceOf": "Source of",
        "IsCitedBy": "Cited by",
        "IsSupplementTo": "Supplement to",
        "IsReferencedBy": "Referenced by",
        "IsDocumentedBy": "Documented by",
    }
    titles = dict(
        Document.objects.filter(
            doi__in=[
                r["relatedIdentifier"] for r in record["relatedIdentifiers"] if r["relatedIdentifierType"] == "DOI"
            ]
        ).values_list("doi", "title")
    )
    work_titles = dict(RelatedWork.objects.filter(document=document).values_list("identifier", "title"))
    related = []
    for entry in record["relatedIdentifiers"]:
        if entry["relatedIdentifierType"] == "URL" and entry["relationType"] == "HasPart":
            continue  # the datasets table lists them
        identifier = entry["relatedIdentifier"]
        local = identifier in titles
        related.append(
            {
                "relation": labels.get(entry["relationType"], entry["relationType"]),
                "identifier": identifier,
                "title": titles.get(identifier) or work_titles.get(identifier) or identifier,
                "url": reverse("landing-doi", kwargs={"doi": identifier})
                if local
                else (metadata.doi_url(identifier) if entry["relatedIdentifierType"] == "DOI" else identifier),
            }
        )
    return related


@dataclass(frozen=True)
class FileRow:
    data_file: DataFile
    download_url: str | None
    explore_url: str | None  # the H5Web viewer, for HDF5 files the caller may download


def _file_row(dataset: Dataset, data_file: DataFile, *, can_download: bool) -> FileRow:
    if not can_download or data_file.is_missing:
        return FileRow(data_file, download_url=None, explore_url=None)
    hdf5 = downloads.media_type(data_file) == downloads.MEDIA_TYPES[".h5"]
    return FileRow(
        data_file,
        download_url=optional_url("download-file", pid=dataset.pid, file_id=data_file.pk),
        explore_url=optional_url("viewer-explore", pid=dataset.pid, file_id=data_file.pk) if hdf5 else None,
    )


def dataset_description(*, dataset: Dataset, user: visibility.User, citing: Document | None = None) -> Description:
    """The caller has checked `user` may see the dataset; `citing`, when the caller has it, is citing_document()."""
    citing = citing or citing_document(dataset)
    record = metadata.dataset_metadata(dataset=dataset, citing=citing, user=user)
    citation_record = metadata.document_metadata(document=citing, user=user) if citing else record
    facility = dataset.instrument.facility if dataset.instrument else metadata.facility_of(dataset.proposal)
    public = [dataset] if visibility.is_open(dataset) else []
    details = _details([dataset], public=public, facility=facility, user=user)
    schema = exports.schema_org(record, catalogue_url=metadata.site_url("/"), details=details)
    if citing:
        schema["citation"] = exports.identifier_url(citation_record)
    return Description(record, citation_record, facility, [dataset], details, schema)


def _dataset_export_links(dataset: Dataset, citing: Document | None) -> list[tuple[str, str, str]]:
    """A dataset's exports; its DataCite forms are those of the DOI citing it."""
    base = reverse("landing-dataset", kwargs={"pid": dataset.pid})
    keys = (["datacite-xml", "datacite-json"] if citing else []) + list(exports.CITATION_FORMATS) + ["jsonld"]
    export_links = []
    for key in keys:
        if key.startswith("datacite") and citing:
            url = reverse("landing-doi", kwargs={"doi": citing.doi}) + f"?format={key}"
        else:
            url = f"{base}?format={key}"
        export_links.append((key, exports.FORMATS[key].label, url))
    return export_links


class DatasetForms:
    """The forms of a dataset for one caller (who may see it), each part built when first asked for."""

    def __init__(self, *, dataset: Dataset, user: visibility.User) -> None:
        self.dataset, self.user = dataset, user
        self.citing = citing_document(dataset)
        self.canonical_url = metadata.site_url(reverse("landing-dataset", kwargs={"pid": dataset.pid}))

    @cached_property
    def citation_record(self) -> Record:
        """What the dataset is cited as: the record of the DOI citing it, else its own."""
        if self.citing:
            return metadata.document_metadata(document=self.citing, user=self.user)
        return self.description.record

    @cached_property
    def description(self) -> Description:
        return dataset_description(dataset=self.dataset, user=self.user, citing=self.citing)

    @property
    def schema_org(self) -> Record:
        return self.description.schema_org

    @cached_property
    def export_links(self) -> list[tuple[str, str, str]]:
        return _dataset_export_links(self.dataset, self.citing)

    @cached_property
    def links(self) -> list[Link]:
        record = self.description.record
        links = [_cite_as(self.description.citation_record), *TYPE_LINKS, *_authors(record), _licence_link(record)]
        links += [Link(item.url, "item", item.media_type) for item in self.description.details.distributions]
        return links + [
            Link(metadata.site_url(url), "describedby", exports.FORMATS[key].media_type)
            for key, _, url in self.export_links
        ]


def dataset_page(*, dataset: Dataset, user: visibility.User) -> Page:
    """The landing page of one dataset; the caller has checked `user` may see it."""
    forms = DatasetForms(dataset=dataset, user=user)
    citing = forms.citing
    description = forms.description
    record, citation_record = description.record, description.citation_record
    can_download = visibility.can_download_dataset(user, dataset)
    is_open = visibility.is_open(dataset)
    files = list(dataset.data_files)
    file_rows = [_file_row(dataset, data_file, can_download=can_download) for data_file in files]
    facility = description.facility
    access = Access(
        is_open=is_open,
        release_date=dataset.release_date,
        can_download=can_download,
        stub=False,
        request_url=None if is_open else optional_url("access-request", pid=dataset.proposal.pid),
    )
    parameters = list(dataset.parameters.all().order_by("name"))
    visible = visibility.datasets_visible_to(user)
    downloaded = statistics.downloads(dataset_ids=[dataset.pk])
    return Page(
        record=record,
        citation_record=citation_record,
        access=access,
        canonical_url=forms.canonical_url,
        links=forms.links,
        exports=forms.export_links,
        citations=citations.all_citations(citation_record),
        schema_org=description.schema_org,
        extra={
            "dataset": dataset,
            "proposal_number": dataset.proposal.proposal_number,
            "citing": citing,
            "doi_url": metadata.doi_url(citing.doi) if citing and citing.doi else None,
            "doi_notice": doi_notice(citing) if citing else None,
            "facility": facility,
            "instrument": dataset.instrument,
            "techniques": list(dataset.techniques.all()),
            "samples": list(dataset.samples.all()),
            "parameters": parameters,
            "files": file_rows,
            "files_first": file_rows[:FILES_SHOWN],
            "files_rest": file_rows[FILES_SHOWN:],
            "zip_url": optional_url("download-dataset", pid=dataset.pid) if can_download else None,
            "bulk_url": (
                facility.bulk_download_url.format(pid=dataset.pid, path=dataset.source_folder)
                if facility is not None and facility.bulk_download_url and can_download
                else None
            ),
            "licence": metadata.licence_details(metadata.licence_of(dataset.proposal)),
            "licence_id": metadata.licence_of(dataset.proposal),
            "preview": _drawn(Preview.objects.filter(dataset=dataset)).first() if can_download else None,
            **notebook_links(url=reverse("landing-dataset-notebook", kwargs={"pid": dataset.pid}), public=is_open),
            "inputs": list(visible.filter(derived_datasets=dataset)),
            "derived": list(visible.filter(input_datasets=dataset)),
            "collections": list(
                visibility.documents_visible_to(user).filter(
                    Q(kind=DocumentKind.COLLECTION), collected_datasets=dataset, doi__isnull=False
                )
            ),
            "views": mark_safe(VIEWS),
            "downloads": downloaded.total,
            "carbon": _carbon(
                hours=carbon.beam_hours(dataset.start_time, dataset.end_time),
                facility=facility,
                outside=downloaded.outside,
                cited=_citation_count(citing) if citing else 0,
            ),
        },
    )
