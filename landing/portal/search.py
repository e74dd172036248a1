"""The portal's dataset search: facet and parameter filters, facet counts, sorting and pages (issue 8).

Every read starts from catalogue.visibility, so an embargoed dataset the visitor may not see never reaches a
result, a count or a facet. Free-text relevance is the PaNOSC scorer's (catalogue.search.scoring), not ours.
"""

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal, TypeVar

from django.conf import settings
from django.contrib.postgres.aggregates import ArrayAgg
from django.core.cache import cache
from django.db import connection
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, ExtractYear, Lower

from catalogue import panet, units, visibility
from catalogue.models import (
    Dataset,
    Facility,
    Instrument,
    Parameter,
    Preview,
    SearchGroup,
    SearchIndexState,
    Technique,
)
from catalogue.panosc import conditions
from catalogue.search import scoring

logger = logging.getLogger(__name__)
T = TypeVar("T")

PAGE_SIZE = 20
FACET_CACHE_SECONDS = 300
FacetName = Literal["technique", "instrument", "facility", "year", "access", "format"]
FACET_NAMES: tuple[FacetName, ...] = ("technique", "instrument", "facility", "year", "access", "format")
# The SearchQuery field holding each facet's chosen values; the URL parameter is the facet's name.
FACET_FIELDS: dict[FacetName, str] = {
    "technique": "techniques",
    "instrument": "instruments",
    "facility": "facilities",
    "year": "years",
    "access": "access",
    "format": "formats",
}
SORTS = {"relevance": "best match", "newest": "newest first", "oldest": "oldest first", "title": "title A–Z"}
# PaNET's upper terms only organise the ontology ("defined by experimental probe"); the tree starts below them.
PANET_GROUPING_TERMS = frozenset({"PaNET00001", "PaNET00002", "PaNET00003"})


@dataclass(frozen=True)
class RangeKind:
    """A parameter the portal filters by range: its PaNOSC name, its dimension and the units it offers."""

    key: str
    label: str
    parameter: str
    units: tuple[str, ...]

    @property
    def dimension(self) -> str:
        return units.dimension_of(units.query_unit(self.units[0]))

    @property
    def unit_choices(self) -> list[tuple[str, str]]:
        """(unit as sent in the URL, as shown to people)."""
        return [(unit, UNIT_SYMBOLS.get(unit, unit)) for unit in self.units]


UNIT_SYMBOLS = {"celsius": "°C", "fahrenheit": "°F", "angstrom": "Å"}


RANGE_KINDS: dict[str, RangeKind] = {
    kind.key: kind
    for kind in (
        RangeKind("temperature", "Sample temperature", "sample_temperature", ("K", "celsius", "fahrenheit")),
        RangeKind("wavelength", "Wavelength", "incident_wavelength", ("angstrom", "nm", "pm")),
        RangeKind("energy", "Photon energy", "incident_photon_energy", ("eV", "keV", "J")),
        RangeKind("pressure", "Sample pressure", "sample_pressure", ("Pa", "kPa", "bar", "mbar", "atm", "torr")),
    )
}


@dataclass(frozen=True)
class ParameterRange:
    """A range filter as the visitor wrote it (bounds in `unit`); either bound may be open."""

    kind: RangeKind
    unit: str
    low: float | None
    high: float | None


@dataclass(frozen=True)
class SearchQuery:
    """One state of the search page; every field round-trips through the URL (see forms.py)."""

    text: str = ""
    techniques: tuple[str, ...] = ()  # PaNET ids; each includes its descendants
    instruments: tuple[str, ...] = ()  # instrument pids
    facilities: tuple[str, ...] = ()  # facility short names
    years: tuple[int, ...] = ()
    access: tuple[str, ...] = ()  # "open", "embargoed"
    formats: tuple[str, ...] = ()
    ranges: tuple[ParameterRange, ...] = ()
    sort: str = ""
    page: int = 1

    @property
    def has_text(self) -> bool:
        """Whether the text carries any term (only stop words count as no query, PaNOSC spec §6.1)."""
        return bool(self.text.strip()) and bool(scoring.query_terms(self.text))

    @property
    def effective_sort(self) -> str:
        if self.sort and (self.sort != "relevance" or self.has_text):
            return self.sort
        return "relevance" if self.has_text else "newest"

    def selected(self, facet: FacetName) -> tuple[str, ...]:
        return tuple(str(value) for value in getattr(self, FACET_FIELDS[facet]))


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    children: tuple["FacetValue", ...] = ()


@dataclass(frozen=True)
class Facet:
    name: FacetName
    label: str
    values: tuple[FacetValue, ...]


@dataclass(frozen=True)
class SearchPage:
    datasets: list[Dataset]
    total: int
    page: int
    page_count: int
    facets: tuple[Facet, ...] = field(default_factory=tuple)


class PageOutOfRange(ValueError):
    def __init__(self, page: int, page_count: int) -> None:
        super().__init__(f"page {page} does not exist: the results fill {page_count} page(s)")
        self.page = page
        self.page_count = page_count


FACET_LABELS: dict[FacetName, str] = {
    "technique": "Technique",
    "instrument": "Instrument",
    "facility": "Facility",
    "year": "Year of measurement",
    "access": "Access",
    "format": "File format",
}


def _is_open() -> Q:
    # The visibility module's own definition of "open", so the access facet can never disagree with it.
    return visibility.open_q()


def _facet_expressions() -> dict[FacetName, object]:
    """SQL for each non-technique facet's key (techniques are many-to-many and counted separately).

    Instruments and facilities are grouped by row id, which spares the large scan a join per dataset; ids become
    pids and short names afterwards (_by_identifier).
    """
    return {
        "instrument": F("instrument_id"),
        "facility": Coalesce(F("instrument__facility_id"), F("proposal__facility_id")),
        "year": ExtractYear("creation_time"),
        "access": Case(When(_is_open(), then=Value("open")), default=Value("embargoed")),
        "format": F("file_format"),
    }


def technique_filter(panet_ids: tuple[str, ...]) -> Q:
    """Datasets with a technique at or below any of these PaNET terms ("small angle scattering" brings SAXS and
    SANS), compiled by the PaNOSC API's technique machinery so both expand PaNET alike (spec §5.2)."""
    return conditions.technique_where({"pid": {"inq": list(panet_ids)}}).dataset_q


def _parameter_rows(name: str, operator: str, operand: object, unit: str) -> QuerySet[Parameter]:
    """A dataset's parameter rows matching one condition, compiled by the PaNOSC API's own parameter machinery
    (unit conversion to SI, tolerance on inclusive bounds), exactly as the portal's filter reaches the API."""
    where = {"and": [{"name": name}, {"value": {operator: operand}}, {"unit": unit}]}
    return Parameter.objects.filter(conditions.parameter_where(where).q, dataset_id=OuterRef("pk"))


def _range_filter(parameter_range: ParameterRange) -> Q:
    """A value in range, or a `<name>_min`/`<name>_max` range that overlaps it (spec §4.2, ranges)."""
    name, unit = parameter_range.kind.parameter, parameter_range.unit
    low, high = parameter_range.low, parameter_range.high
    if low is not None and high is not None:
        point = _parameter_rows(name, "between", [low, high], unit)
    elif low is not None:
        point = _parameter_rows(name, "gte", low, unit)
    else:
        point = _parameter_rows(name, "lte", high, unit)
    overlap = Q()
    if high is not None:
        overlap &= Q(Exists(_parameter_rows(f"{name}_min", "lte", high, unit)))
    if low is not None:
        overlap &= Q(Exists(_parameter_rows(f"{name}_max", "gte", low, unit)))
    return Q(Exists(point)) | overlap


def _facet_filter(facet: FacetName, query: SearchQuery) -> Q | None:
    selected = query.selected(facet)
    if not selected:
        return None
    if facet == "technique":
        return technique_filter(query.techniques)
    if facet == "access":
        return _is_open() if selected == ("open",) else (~_is_open() if selected == ("embargoed",) else Q())
    if facet == "year":
        # One BETWEEN per year (Django's __year), so the creation-time index can serve it.
        condition = Q()
        for year in query.years:
            condition |= Q(creation_time__year=year)
        return condition
    if facet == "facility":
        return Q(facility_key__in=Facility.objects.filter(short_name__in=selected).values("pk"))
    lookup = {"instrument": "instrument__pid__in", "format": "file_format__in"}[facet]
    return Q(**{lookup: selected})


def matching_datasets(*, user: visibility.User, query: SearchQuery, skip: FacetName | None = None) -> QuerySet:
    """Datasets the visitor may see that pass every filter of `query` (except facet `skip`) and match its text.

    The text restricts to what the PaNOSC scorer gives a score above 0, so facets count exactly the results.
    """
    datasets = visibility.datasets_visible_to(user)
    expressions = _facet_expressions()
    for facet in FACET_NAMES:
        condition = None if facet == skip else _facet_filter(facet, query)
        if condition is None:
            continue
        if facet == "facility":  # filtered through its facet key, joined only then
            datasets = datasets.alias(facility_key=expressions["facility"])
        datasets = datasets.filter(condition)
    for parameter_range in query.ranges:
        datasets = datasets.filter(_range_filter(parameter_range))
    if query.has_text:
        scored = scoring.rank_datasets(candidates=datasets, query=query.text)
        datasets = datasets.filter(pk__in=scored.order_by().values("pk"))
    return datasets


def _count_groups(datasets: QuerySet[Dataset], facets: list[FacetName]) -> dict[FacetName, dict[str, int]]:
    """Counts per key of several facets in one scan (GROUPING SETS): one query, however many facets."""
    if not facets:
        return {}
    expressions = _facet_expressions()
    columns = [f"facet_{name}" for name in facets]
    keyed = datasets.order_by().annotate(**{f"facet_{name}": expressions[name] for name in facets}).values(*columns)
    inner_sql, params = keyed.query.sql_with_params()
    quoted = [connection.ops.quote_name(column) for column in columns]
    sql = (
        f"SELECT {', '.join(quoted)}, GROUPING({', '.join(quoted)}), COUNT(*) FROM ({inner_sql}) AS matched "
        f"GROUP BY GROUPING SETS ({', '.join(f'({column})' for column in quoted)})"
    )
    counts: dict[FacetName, dict[str, int]] = {name: {} for name in facets}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            keys, grouping, count = row[: len(facets)], row[-2], row[-1]
            for position, name in enumerate(facets):
                # GROUPING() sets the bit of every column the row is not grouped by; ours is the zero bit.
                if not grouping & (1 << (len(facets) - 1 - position)) and keys[position] not in (None, ""):
                    counts[name][str(keys[position])] = count
    return counts


def _technique_counts(datasets: QuerySet[Dataset]) -> dict[str, int]:
    """Datasets per PaNET term, a dataset counting once under each term it or its techniques descend from.

    Datasets are grouped by their exact set of techniques in SQL (a handful of distinct sets even in a large
    catalogue); each set's ancestors are then rolled up, so a dataset tagged SAXS and WAXS counts once under
    "x-ray scattering".
    """
    through = Dataset.techniques.through
    per_dataset = (
        through.objects.filter(dataset_id__in=datasets.order_by().values("pk"))
        .values("dataset_id")
        .annotate(technique_set=ArrayAgg("technique_id", order_by="technique_id"))
        .values("technique_set")
    )
    inner_sql, params = per_dataset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT technique_set, COUNT(*) FROM ({inner_sql}) AS sets GROUP BY technique_set", params)
        technique_sets = cursor.fetchall()
    ids = {technique_id for technique_set, _ in technique_sets for technique_id in technique_set}
    terms_of = {
        technique.pk: {technique.panet_id, *technique.ancestors}
        for technique in Technique.objects.filter(pk__in=ids, panet_id__isnull=False).only("panet_id", "ancestors")
    }
    counts: dict[str, int] = defaultdict(int)
    for technique_set, count in technique_sets:
        for term in set().union(*(terms_of.get(technique_id, set()) for technique_id in technique_set)):
            counts[term] += count
    return dict(counts)


def _technique_tree(counts: dict[str, int], selected: tuple[str, ...]) -> tuple[FacetValue, ...]:
    vocabulary = panet.vocabulary()
    shown = {
        term_id
        for term_id in counts
        if term_id in vocabulary.terms
        and term_id not in PANET_GROUPING_TERMS
        and not vocabulary.terms[term_id].is_concept
    }
    children: dict[str, list[str]] = defaultdict(list)
    roots = []
    for term_id in shown:
        # PaNET is a graph (SAXS is both "small angle" and "x-ray" scattering): each term is drawn once, under its
        # first listed parent; choosing any broader term still includes it, and every count includes it.
        parent = next((parent for parent in vocabulary.terms[term_id].parents if parent in shown), None)
        if parent is None:
            roots.append(term_id)
        else:
            children[parent].append(term_id)

    def node(term_id: str, path: frozenset[str]) -> FacetValue:
        below = sorted(children[term_id], key=lambda child: (-counts[child], vocabulary.terms[child].label))
        return FacetValue(
            value=term_id,
            label=vocabulary.terms[term_id].label,
            count=counts[term_id],
            selected=term_id in selected,
            children=tuple(node(child, path | {term_id}) for child in below if child not in path),
        )

    return tuple(node(root, frozenset()) for root in sorted(roots, key=lambda r: (-counts[r], r)))


def _by_identifier(facet: FacetName, counts: dict[str, int]) -> tuple[dict[str, int], dict[str, str]]:
    """Counts keyed as the URL names the values (instrument pid, facility short name), and their labels."""
    if facet == "instrument":
        rows = Instrument.objects.filter(pk__in=counts).values_list("pk", "pid", "name", "facility__short_name")
        keyed = {str(pk): (pid, f"{name} ({facility})") for pk, pid, name, facility in rows}
    elif facet == "facility":
        rows = Facility.objects.filter(pk__in=counts).values_list("pk", "short_name", "name")
        keyed = {str(pk): (short_name, name) for pk, short_name, name in rows}
    else:
        labels = {"open": "Open", "embargoed": "Under embargo"} if facet == "access" else {}
        return counts, {key: labels.get(key, key) for key in counts}
    return (
        {keyed[key][0]: count for key, count in counts.items() if key in keyed},
        {identifier: label for identifier, label in keyed.values()},
    )


def facet_counts(*, user: visibility.User, query: SearchQuery) -> tuple[Facet, ...]:
    """Every facet's values with the number of matching datasets.

    A facet's counts apply every filter but its own, so choosing one instrument still shows how many datasets
    the others would add. Facets without a selection share one GROUPING SETS scan.
    """
    counts: dict[FacetName, dict[str, int]] = {}
    shared = [name for name in FACET_NAMES if name != "technique" and not query.selected(name)]
    counts.update(_count_groups(matching_datasets(user=user, query=query), shared))
    for name in FACET_NAMES:
        if name != "technique" and query.selected(name):
            counts.update(_count_groups(matching_datasets(user=user, query=query, skip=name), [name]))
    technique_counts = _technique_counts(matching_datasets(user=user, query=query, skip="technique"))

    facets = [Facet("technique", FACET_LABELS["technique"], _technique_tree(technique_counts, query.techniques))]
    for name in FACET_NAMES[1:]:
        found, labels = _by_identifier(name, counts[name])
        selected = query.selected(name)
        for value in selected:  # a chosen value stays on screen (count 0) so it can be unchosen
            found.setdefault(value, 0)
        if name == "year":
            ordered = sorted(found, reverse=True)
        else:
            ordered = sorted(found, key=lambda key: (-found[key], labels.get(key, key).lower()))
        values = tuple(FacetValue(key, labels.get(key, key), found[key], key in selected) for key in ordered)
        facets.append(Facet(name, FACET_LABELS[name], values))
    return tuple(facets)


def _catalogue_version() -> str | None:
    """Changes whenever a dataset is (re)indexed: every edit, opening, withdrawal and each periodic embargo sweep."""
    state = SearchIndexState.objects.filter(group=SearchGroup.DATASETS).values_list("items", "updated_at").first()
    return None if state is None else f"{state[0]}:{state[1].timestamp()}"


def shared(name: str, state: str, compute: Callable[[], T]) -> T:
    """compute(), kept in the cache for FACET_CACHE_SECONDS or until the catalogue changes, whichever is first.

    Only for what every caller of `name` with this `state` may see alike. The cache is a speed-up only: when it is
    unreachable the value is computed and the page still served.
    """
    version = _catalogue_version()
    if version is None:
        return compute()
    digest = hashlib.sha256(f"{version}|{settings.EMBARGOED_METADATA}|{state}".encode()).hexdigest()
    key = f"portal:{name}:{digest}"
    try:
        value = cache.get(key)
    except Exception:
        logger.warning("portal cache unavailable", exc_info=True)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, FACET_CACHE_SECONDS)
        except Exception:
            logger.warning("portal cache unavailable", exc_info=True)
    return value


def cached_facet_counts(*, user: visibility.User, query: SearchQuery) -> tuple[Facet, ...]:
    """facet_counts, shared between anonymous visitors (who all see the same open data).

    At a million datasets the counts take seconds while the same few searches (home page links, popular
    techniques) come again and again. Signed-in visitors may see their own embargoed data: never shared.
    """
    if user.is_authenticated:
        return facet_counts(user=user, query=query)
    state = repr(replace(query, page=1, sort=""))
    return shared("facets", state, lambda: facet_counts(user=user, query=query))


def _ordered(datasets: QuerySet[Dataset], sort: str) -> QuerySet[Dataset]:
    # Each order ends with pid so that pages never overlap or skip a dataset.
    if sort == "title":
        return datasets.order_by(Lower("title"), "pid")
    if sort == "oldest":
        return datasets.order_by("creation_time", "pid")
    return datasets.order_by("-creation_time", "-pid")


def with_card_fields(datasets: QuerySet[Dataset]) -> QuerySet[Dataset]:
    """What a result card shows, in a fixed number of queries (no per-card queries, no large JSON columns)."""
    return (
        datasets.select_related("proposal", "instrument__facility")
        .prefetch_related("techniques")
        .defer("raw_metadata", "scientific_metadata", "description")
        .annotate(
            has_preview=Exists(Preview.objects.filter(dataset_id=OuterRef("pk"), png__isnull=False)),
            is_open=Case(When(_is_open(), then=Value(True)), default=Value(False)),
        )
    )


def _total(facets: tuple[Facet, ...], query: SearchQuery) -> int:
    """The number of results, read off the access facet (every dataset is open or not) instead of a new scan."""
    access = next(facet for facet in facets if facet.name == "access")
    chosen = set(query.access)
    return sum(value.count for value in access.values if not chosen or value.value in chosen)


def search(*, user: visibility.User, query: SearchQuery, with_facets: bool = True) -> SearchPage:
    """One page of results (and the facets) for the visitor; raises PageOutOfRange past the last page.

    Relevance is the PaNOSC endpoint's own score (catalogue.search.scoring), so both rank alike.
    """
    datasets = matching_datasets(user=user, query=query)
    facets = cached_facet_counts(user=user, query=query) if with_facets else ()
    total = _total(facets, query) if with_facets else datasets.count()
    page_count = max(1, -(-total // PAGE_SIZE))
    if query.page > page_count:
        raise PageOutOfRange(query.page, page_count)
    if query.effective_sort == "relevance":
        filtered = matching_datasets(user=user, query=replace(query, text=""))
        ordered = scoring.rank_datasets(candidates=filtered, query=query.text)
    else:
        ordered = _ordered(datasets, query.effective_sort)
    start = (query.page - 1) * PAGE_SIZE
    page = list(with_card_fields(ordered)[start : start + PAGE_SIZE])
    return SearchPage(datasets=page, total=total, page=query.page, page_count=page_count, facets=facets)
