"""What OAI-PMH harvesters receive (docs/harvesting.md): the records, their datestamps and sets, in keyset pages.

Records are every DOI that resolves (proposals, an embargoed one as its public stub, and published collections) and
every open dataset; a withdrawn one stays as a deleted header. Embargoed datasets are absent, as from the PaNOSC API.
A datestamp is the record's `record_changed_at`, kept by PostgreSQL (catalogue migration 0019).
"""

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, TypeVar, cast

from django.core.cache import cache
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.expressions import Combinable

from catalogue import visibility
from catalogue.models import (
    Dataset,
    DatasetFacets,
    Document,
    DocumentKind,
    DoiState,
    Facility,
    Instrument,
    Technique,
    TechniqueSet,
)
from catalogue.search import counts
from landing.services import page_cache

Kind = Literal["doi", "dataset"]
# Keyset order across the two tables: (datestamp, rank of the kind, id).
RANKS: dict[Kind, int] = {"doi": 0, "dataset": 1}
OPENAIRE_SET = "openaire_data"
STATUS_OPEN = "status:open"
STATUS_CLOSED = "status:closed"
STATUS_SETS = ("status", STATUS_OPEN, STATUS_CLOSED)  # not deleted records
SPEC_UNSAFE = re.compile(r"[^A-Za-z0-9\-_.!~*'()]")
T = TypeVar("T")


@dataclass(frozen=True)
class Position:
    """A record's place in the harvest order; a resumption token carries the last one served."""

    changed_at: datetime
    rank: int
    id: int


@dataclass
class Header:
    kind: Kind
    id: int
    key: str  # the DOI or the dataset pid
    changed_at: datetime
    deleted: bool
    sets: list[str] = field(default_factory=list)

    @property
    def position(self) -> Position:
        return Position(self.changed_at, RANKS[self.kind], self.id)


@dataclass(frozen=True)
class Selection:
    """The arguments of a list request: datestamps in [start, end) and an optional set."""

    start: datetime | None
    end: datetime
    set_spec: str | None


def doi_documents() -> QuerySet[Document]:
    """Documents whose DOI resolves through doi.org (collections once published), withdrawn ones included."""
    return Document.objects.filter(doi__isnull=False, doi_state__in=[DoiState.FINDABLE, DoiState.REGISTERED]).filter(
        ~Q(kind=DocumentKind.COLLECTION) | Q(published_at__isnull=False)
    )


def harvested_datasets() -> QuerySet[Dataset]:
    """Open datasets, and withdrawn datasets that were open when withdrawn (their deleted headers)."""
    was_open = Q(withdrawn_at__isnull=False) & (
        Q(opened_at__isnull=False) | Q(open_now=True) | Q(release_date__lte=F("withdrawn_at"))
    )
    return Dataset.objects.filter(visibility.open_q() | was_open)


def spec_word(text: str) -> str:
    return SPEC_UNSAFE.sub("_", text)


def facility_specs() -> dict[str, int]:
    names = Facility.objects.order_by("short_name").values_list("short_name", "pk")
    return {f"facility:{spec_word(name)}": pk for name, pk in names}


def instrument_specs() -> dict[str, int]:
    return {
        f"instrument:{spec_word(pid)}": pk for pid, pk in Instrument.objects.order_by("pid").values_list("pid", "pk")
    }


def all_sets() -> list[tuple[str, str]]:
    """(setSpec, setName) of every set, parents before their children."""
    sets = [(OPENAIRE_SET, "OpenAIRE data (all records)"), ("status", "Records by access status")]
    sets += [(STATUS_OPEN, "Open access"), (STATUS_CLOSED, "Under embargo (public stub)")]
    sets.append(("facility", "Records by facility"))
    names = {f.pk: f.name for f in Facility.objects.all()}
    sets += [(spec, f"Facility: {names[pk]}") for spec, pk in facility_specs().items()]
    sets.append(("instrument", "Records by instrument"))
    instruments = {i.pk: f"{i.name} ({i.facility.name})" for i in Instrument.objects.select_related("facility")}
    sets += [(spec, f"Instrument: {instruments[pk]}") for spec, pk in instrument_specs().items()]
    sets.append(("technique", "Records by PaNET technique (with its narrower techniques)"))
    techniques = Technique.objects.filter(panet_id__isnull=False).order_by("panet_id")
    sets += [(f"technique:{t.panet_id}", f"Technique: {t.name}") for t in techniques]
    return sets


def set_exists(spec: str) -> bool:
    return spec in dict(all_sets())


def _facet_rows_of_document() -> QuerySet[DatasetFacets]:
    """A DOI's datasets as their facet rows (catalogue.models.facets: the columns a set tests, kept by PostgreSQL in
    the statement that changes a dataset), read off narrow indexes: a test on the dataset rows themselves made
    PostgreSQL hash a scan of every dataset of the catalogue for each list request."""
    return DatasetFacets.objects.filter(proposal=OuterRef("pk"))


Condition = Q | Combinable


def _set_filters(spec: str) -> tuple[list[Condition], Q]:
    """A set's DOIs as disjoint parts (their union is the set's DOIs) and its datasets: the rules `_add_sets` names
    a header's sets by.

    A DOI is in most sets by its own columns, or else by one of its datasets (`_in_set_by_datasets_alone`). Asked
    as one OR, PostgreSQL hashes every facet row the dataset test could match (every open row of the catalogue for
    `status:open`) for each page; asked as parts, the first is a keyset scan of the DOIs' index.
    """
    nothing: tuple[list[Condition], Q] = ([], Q(pk__in=[]))
    if spec == OPENAIRE_SET:
        return [Q()], Q()
    if spec == "status":
        return [Q(withdrawn_at__isnull=True)], Q(withdrawn_at__isnull=True)
    current = Q(withdrawn_at__isnull=True)
    if spec == STATUS_OPEN:
        return [current & part for part in _open_doi_parts()], current
    if spec == STATUS_CLOSED:
        open_itself, open_by_a_dataset = _open_doi_parts()
        return [current & ~open_itself & ~open_by_a_dataset], Q(pk__in=[])
    rows = _facet_rows_of_document()
    if spec == "facility":
        return _own_or_by_datasets(
            spec, Q(facility__isnull=False), Exists(rows.filter(instrument_id__isnull=False))
        ), Q(instrument__isnull=False) | Q(proposal__facility__isnull=False)
    if spec.startswith("facility:"):
        pk = facility_specs().get(spec)
        if pk is None:
            return nothing
        # A row's facility is its instrument's, else its proposal's: the DOI's own facility, tested first.
        return _own_or_by_datasets(spec, Q(facility=pk), Exists(rows.filter(facility_id=pk))), Q(
            instrument__facility=pk
        ) | Q(instrument__isnull=True, proposal__facility=pk)
    if spec == "instrument":
        with_instrument = Exists(rows.filter(instrument_id__isnull=False))
        return _own_or_by_datasets(spec, Q(instrument__isnull=False), with_instrument), Q(instrument__isnull=False)
    if spec.startswith("instrument:"):
        pk = instrument_specs().get(spec)
        if pk is None:
            return nothing
        return _own_or_by_datasets(spec, Q(instrument=pk), Exists(rows.filter(instrument_id=pk))), Q(instrument=pk)
    if spec == "technique" or spec.startswith("technique:"):
        technique_sets = _technique_sets(spec)
        if not technique_sets:
            return nothing
        # A DOI shows the techniques of its open datasets only (an embargoed proposal's stub names none).
        tagged = Exists(rows.filter(visibility.open_q(), technique_set__in=technique_sets))
        return [tagged], Q(facets__technique_set__in=technique_sets)
    return nothing


def _own_or_by_datasets(name: str, own: Q, by_datasets: Exists) -> list[Condition]:
    """A set's DOIs as two disjoint parts: those in it by their own columns, and the others one of whose datasets
    puts them in it."""
    return [own, _in_set_by_datasets_alone(name, own, by_datasets)]


def _in_set_by_datasets_alone(name: str, own: Q, by_datasets: Exists) -> Q:
    """The DOIs not in the set `name` by their own columns but by one of their datasets, kept for the catalogue's
    state (`_kept_for_state`).

    They are few as a rule (a dataset measured at another facility's instrument, or opened before its proposal),
    but finding them tests every DOI outside the first part (100–200 ms at a million datasets): each page and count
    of the set would otherwise pay for it again."""
    finding = doi_documents().filter(~own, by_datasets).values_list("pk", flat=True)
    return Q(pk__in=_kept_for_state(f"in-set-by-datasets-alone:{name}", lambda: list(finding)))


def _kept_for_state(name: str, work_out: Callable[[], T]) -> T:
    """What `work_out` answers, kept for the catalogue's state (landing.services.page_cache.state: any change, or a
    release date passing, is another key). Inside a transaction, which may have written what the state does not show
    yet, it is worked out afresh (as page_cache.serves says)."""
    if page_cache.in_transaction():
        return work_out()
    return cast(T, cache.get_or_set(f"oai:{name}:{page_cache.state()}", work_out, page_cache.TIMEOUT_SECONDS))


def _has_open_datasets() -> Exists:
    """A DOI record is open when the document is (`visibility.open_q()`) or when this holds: one of its datasets is
    (landing.datacite.metadata's rule)."""
    return Exists(_facet_rows_of_document().filter(visibility.open_q()))


def _open_doi_parts() -> tuple[Q, Q]:
    """The two disjoint parts of `status:open`: DOIs open themselves, and those open by a dataset alone."""
    open_itself = visibility.open_q()
    return open_itself, _in_set_by_datasets_alone(STATUS_OPEN, open_itself, _has_open_datasets())


def _technique_sets(spec: str) -> list[int]:
    """The technique sets (catalogue.models.facets) holding a technique of a technique set: any PaNET term, or the
    set's term and its narrower terms."""
    techniques = Technique.objects.filter(panet_id__isnull=False)
    if spec != "technique":
        techniques = techniques.descendants_of([spec.removeprefix("technique:")])
    ids = set(techniques.values_list("pk", flat=True))
    return [pk for pk, members in TechniqueSet.objects.values_list("pk", "techniques") if ids.intersection(members)]


def _after(position: Position | None, rank: int) -> Q:
    if position is None:
        return Q()
    # The plain lower bound is what the (record_changed_at, id) index starts its scan from: without it PostgreSQL
    # reads the index from the harvest's start and filters every record before the position (a million at 1M).
    since = Q(record_changed_at__gte=position.changed_at)
    later = Q(record_changed_at__gt=position.changed_at)
    if rank > position.rank:
        return since
    if rank == position.rank:
        return since & (later | Q(pk__gt=position.id))
    return later


def _in_set(set_spec: str | None) -> tuple[list[QuerySet[Document]], QuerySet[Dataset], Q]:
    """A set's DOIs, as the disjoint parts of `_set_filters`, its datasets, and the set's filter of datasets alone;
    without a set, every record."""
    documents, datasets = doi_documents(), harvested_datasets()
    if not set_spec:
        return [documents], datasets, Q()
    on_documents, on_datasets = _set_filters(set_spec)
    return [documents.filter(part) for part in on_documents], datasets.filter(on_datasets), on_datasets


def _filtered(selection: Selection) -> tuple[list[QuerySet[Document]], QuerySet[Dataset], Q]:
    """`_in_set` of the selection's set, within its datestamps."""
    documents, datasets, on_datasets = _in_set(selection.set_spec)
    within = Q(record_changed_at__lt=selection.end)
    if selection.start is not None:
        within &= Q(record_changed_at__gte=selection.start)
    return [part.filter(within) for part in documents], datasets.filter(within), on_datasets


def count(selection: Selection) -> int:
    """The complete list's size.

    An incremental harvest (`from`) counts its range of the datestamp index. A harvest from the start counts what
    is kept, less what changed since its upper bound (an index range at the newest end): its DOIs as counted once
    for the catalogue's state (`_kept_for_state`: a technique set tests every DOI, 200–300 ms at a million
    datasets), and its open datasets as PostgreSQL keeps them per instrument, facility and technique set
    (catalogue.search.counts.kept: no scan of the datasets at all); plus its withdrawn datasets (deleted headers; a
    partial index).
    """
    if selection.start is not None:
        documents, datasets, _ = _filtered(selection)
        return sum(part.count() for part in documents) + datasets.count()
    documents, datasets, on_datasets = _in_set(selection.set_spec)
    since = Q(record_changed_at__gte=selection.end)
    kept_dois = _kept_for_state(f"dois:{selection.set_spec}", lambda: sum(part.count() for part in documents))
    dois = kept_dois - sum(part.filter(since).count() for part in documents)
    in_set = _in_set_groups(selection.set_spec)
    kept = sum(group["count"] for group in counts.kept() if in_set(group))
    changed = visibility.open_datasets().filter(since, on_datasets).count()
    withdrawn = 0
    if selection.set_spec not in STATUS_SETS:
        withdrawn = datasets.filter(withdrawn_at__isnull=False, record_changed_at__lt=selection.end).count()
    return dois + kept - changed + withdrawn


def _in_set_groups(spec: str | None) -> Callable[[dict], bool]:
    """Whether the open datasets of a kept count group (catalogue.search.counts) are in the set: the datasets'
    side of `_set_filters`, on the group's keys (its facility is the instrument's, else the proposal's, as here)."""
    if spec is None or spec in (OPENAIRE_SET, "status", STATUS_OPEN):
        return lambda group: True
    if spec == "facility":
        return lambda group: group["facility_id"] is not None
    if spec.startswith("facility:"):
        facility = facility_specs().get(spec)
        return lambda group: facility is not None and group["facility_id"] == facility
    if spec == "instrument":
        return lambda group: group["instrument_id"] is not None
    if spec.startswith("instrument:"):
        instrument = instrument_specs().get(spec)
        return lambda group: instrument is not None and group["instrument_id"] == instrument
    if spec == "technique" or spec.startswith("technique:"):
        tagged = set(_technique_sets(spec))
        return lambda group: group["technique_set"] in tagged
    return lambda group: False


def page(selection: Selection, *, after: Position | None, size: int) -> tuple[list[Header], bool]:
    """The next `size` headers after `after` in (datestamp, kind, id) order with their sets, and whether more follow."""
    document_parts, datasets, _ = _filtered(selection)
    found: list[Header] = []
    kinds: list[tuple[Kind, QuerySet, str]] = [("doi", part, "doi") for part in document_parts]
    kinds.append(("dataset", datasets, "pid"))
    for kind, queryset, key in kinds:
        # The header's fields come with the keyset read: the rows are those of the index scan, fetched once.
        rows = (
            queryset.filter(_after(after, RANKS[kind]))
            .order_by("record_changed_at", "pk")
            .values_list("pk", key, "record_changed_at", "withdrawn_at")[: size + 1]
        )
        found += [
            Header(kind, pk, key, changed_at, withdrawn_at is not None) for pk, key, changed_at, withdrawn_at in rows
        ]
    found.sort(key=lambda header: (header.changed_at, RANKS[header.kind], header.id))
    chosen = found[:size]
    _add_sets(chosen)
    return chosen, len(found) > size


def headers(*, document_ids: list[int], dataset_ids: list[int]) -> list[Header]:
    """Headers with their sets for these records, in harvest order (a few queries whatever their number)."""
    found: list[Header] = []
    if document_ids:
        documents = doi_documents().filter(pk__in=document_ids)
        for pk, doi, changed_at, withdrawn_at in documents.values_list(
            "pk", "doi", "record_changed_at", "withdrawn_at"
        ):
            assert doi is not None  # doi_documents() have one
            found.append(Header("doi", pk, doi, changed_at, withdrawn_at is not None))
    if dataset_ids:
        datasets = harvested_datasets().filter(pk__in=dataset_ids)
        for pk, pid, changed_at, withdrawn_at in datasets.values_list("pk", "pid", "record_changed_at", "withdrawn_at"):
            found.append(Header("dataset", pk, pid, changed_at, withdrawn_at is not None))
    _add_sets(found)
    found.sort(key=lambda header: (header.changed_at, RANKS[header.kind], header.id))
    return found


def _technique_specs(set_ids: set[int]) -> dict[int, set[str]]:
    """The technique sets' specs: each of their PaNET terms with its broader terms, and `technique` when any."""
    members = dict(TechniqueSet.objects.filter(pk__in=set_ids).values_list("pk", "techniques"))
    terms = {
        pk: {f"technique:{panet_id}", *(f"technique:{ancestor}" for ancestor in ancestors)}
        for pk, panet_id, ancestors in Technique.objects.filter(
            pk__in={technique for techniques in members.values() for technique in techniques}, panet_id__gt=""
        ).values_list("pk", "panet_id", "ancestors")
    }
    specs = {
        pk: set().union(*(terms.get(technique, set()) for technique in techniques))
        for pk, techniques in members.items()
    }
    return {pk: found | {"technique"} if found else found for pk, found in specs.items()}


def _add_sets(found: list[Header]) -> None:
    """Names the headers' sets by what `_set_filters` tests, read off the same facet rows: a dataset's own row; a
    DOI's own facility and instrument, the instrument and facility of every row of its datasets (the public stub
    names them), and the technique sets of its open rows."""
    facility_spec = {pk: spec for spec, pk in facility_specs().items()}
    instrument_spec = {pk: spec for spec, pk in instrument_specs().items()}

    def places(instrument: int | None, facility: int | None) -> set[str]:
        named = {instrument_spec[instrument], "instrument"} if instrument else set()
        return named | ({facility_spec[facility], "facility"} if facility else set())

    dataset_ids = [h.id for h in found if h.kind == "dataset"]
    document_ids = [h.id for h in found if h.kind == "doi"]
    specs: dict[tuple[Kind, int], set[str]] = defaultdict(set)
    technique_sets: dict[tuple[Kind, int], set[int]] = defaultdict(set)
    open_documents: set[int] = set()
    # A page of datasets only (most pages of a large catalogue) asks nothing of documents, and the other way round.
    if dataset_ids:
        for pk, instrument, facility, technique_set in DatasetFacets.objects.filter(
            dataset__in=dataset_ids
        ).values_list("dataset", "instrument_id", "facility_id", "technique_set"):
            specs["dataset", pk] |= places(instrument, facility)
            technique_sets["dataset", pk].add(technique_set)
    if document_ids:
        for pk, instrument, facility in Document.objects.filter(pk__in=document_ids).values_list(
            "pk", "instrument", "facility"
        ):
            specs["doi", pk] |= places(instrument, facility)
        rows = DatasetFacets.objects.filter(proposal__in=document_ids)
        for pk, instrument, facility in (
            rows.filter(instrument_id__isnull=False).values_list("proposal", "instrument_id", "facility_id").distinct()
        ):
            specs["doi", pk] |= places(instrument, facility)
        for pk, technique_set in rows.filter(visibility.open_q()).values_list("proposal", "technique_set").distinct():
            technique_sets["doi", pk].add(technique_set)
        # The page's own DOIs tested as they are: the kept list of the whole catalogue is for sets and counts.
        open_q = visibility.open_q() | _has_open_datasets()
        open_documents = set(doi_documents().filter(open_q, pk__in=document_ids).values_list("pk", flat=True))
    technique_specs = _technique_specs(set().union(*technique_sets.values()))
    for header in found:
        sets = {OPENAIRE_SET} | specs[header.kind, header.id]
        sets = sets.union(*(technique_specs.get(pk, set()) for pk in technique_sets[header.kind, header.id]))
        if not header.deleted:
            is_open = header.kind == "dataset" or header.id in open_documents
            sets |= {"status", STATUS_OPEN if is_open else STATUS_CLOSED}
        header.sets = sorted(sets)


def find(kind: Kind, key: str) -> Header | None:
    if kind == "doi":
        ids = list(doi_documents().filter(doi__iexact=key).values_list("pk", flat=True)[:1])
        return next(iter(headers(document_ids=ids, dataset_ids=[])), None)
    ids = list(harvested_datasets().filter(pid=key).values_list("pk", flat=True)[:1])
    return next(iter(headers(document_ids=[], dataset_ids=ids)), None)


def earliest_datestamp() -> datetime | None:
    stamps = [
        queryset.order_by("record_changed_at").values_list("record_changed_at", flat=True).first()
        for queryset in (doi_documents(), harvested_datasets())
    ]
    return min((stamp for stamp in stamps if stamp is not None), default=None)
