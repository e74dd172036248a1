"""The portal's dataset search: facet and parameter filters, facet counts, sorting and pages (issue 8).

Every read starts from catalogue.visibility, so an embargoed dataset the visitor may not see never reaches a
result, a count or a facet. Free-text relevance is the PaNOSC scorer's (catalogue.search.scoring), not ours.
"""

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Literal, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Lower
from django.template.defaultfilters import pluralize

from catalogue import panet, units, visibility
from catalogue.models import (
    Dataset,
    DatasetFacets,
    Facility,
    Instrument,
    Preview,
    SearchGroup,
    SearchIndexState,
    Technique,
    TechniqueSet,
)
from catalogue.search import ranges, scoring, techniques
from catalogue.services import facet_groups
from landing.portal.beside import beside

logger = logging.getLogger(__name__)
T = TypeVar("T")

PAGE_SIZE = 20
RELEASED_AS_LITERALS = 1000
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
        super().__init__(f"page {page} does not exist: the results fill {page_count} page{pluralize(page_count)}")
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


def technique_filter(panet_ids: tuple[str, ...]) -> Q:
    """Datasets with a technique at or below any of these PaNET terms ("small angle scattering" brings SAXS and
    SANS), as the PaNOSC API expands PaNET (spec §5.2)."""
    return techniques.datasets_q(techniques.chosen(panet_ids))


def _range_filter(parameter_range: ParameterRange) -> Q:
    """A value in range, or a `<name>_min`/`<name>_max` range that overlaps it (spec §4.2, ranges)."""
    kind = parameter_range.kind
    return ranges.range_q(kind.parameter, parameter_range.unit, parameter_range.low, parameter_range.high)


# --- facet choices: one SQL filter and one test of a counted group, which must agree --------------------------------

# The column of the facet rows (catalogue.models.facets) each facet is keyed by; "access" is computed (_access).
FACET_COLUMNS: dict[FacetName, str] = {
    "technique": "technique_set",
    "instrument": "instrument_id",
    "facility": "facility_id",
    "year": "year",
    "access": "access",
    "format": "file_format",
}


def _access() -> Case:
    # The visibility module's own definition of "open", so the access facet can never disagree with it.
    return Case(When(visibility.open_q(), then=Value("open")), default=Value("embargoed"))


def _choices(query: SearchQuery) -> dict[FacetName, frozenset]:
    """The chosen values of each facet with a choice, as the facet rows hold them: ids rather than pids, and for
    techniques the ids of the technique sets holding one of them (or a narrower term)."""
    chosen: dict[FacetName, frozenset] = {}
    if query.techniques:
        chosen["technique"] = frozenset(techniques.technique_sets(techniques.chosen(query.techniques)))
    if query.instruments:
        chosen["instrument"] = frozenset(
            Instrument.objects.filter(pid__in=query.instruments).values_list("pk", flat=True)
        )
    if query.facilities:
        chosen["facility"] = frozenset(
            Facility.objects.filter(short_name__in=query.facilities).values_list("pk", flat=True)
        )
    if query.years:
        chosen["year"] = frozenset(query.years)
    if query.access:
        chosen["access"] = frozenset(query.access)
    if query.formats:
        chosen["format"] = frozenset(query.formats)
    return chosen


def _choice_q(facet: FacetName, values: frozenset) -> Q:
    if facet == "access":
        open_rows = visibility.open_q()
        return Q() if values >= {"open", "embargoed"} else (open_rows if "open" in values else ~open_rows)
    if facet == "year":
        # The same rows bounded by date as well, so that a walk of the date index starts at the chosen years.
        return Q(year__in=sorted(values)) & _years_between(min(values), max(values))
    return Q(**{f"{FACET_COLUMNS[facet]}__in": sorted(values)})


def _years_between(first: int, last: int) -> Q:
    """creation_time within these years in UTC, as the facet rows' year column is computed (forms.YEARS bounds them)."""
    return Q(
        creation_time__gte=datetime(first, 1, 1, tzinfo=UTC), creation_time__lt=datetime(last + 1, 1, 1, tzinfo=UTC)
    )


def _accepts(facet: FacetName, values: frozenset, group: dict) -> bool:
    return group[FACET_COLUMNS[facet]] in values


def _unfaceted_rows(user: visibility.User, query: SearchQuery) -> QuerySet[DatasetFacets]:
    """Facet rows of the datasets the visitor may see that match the text and parameter ranges (not the facets)."""
    return visibility.facet_rows_visible_to(user).filter(_matches(query))


def _unfaceted_parts(user: visibility.User, query: SearchQuery) -> list[QuerySet[DatasetFacets]]:
    """_unfaceted_rows in two disjoint parts: the rows counted open (services.facet_groups) and the others.

    For visitors who see open data only, the first part needs no access check, so PostgreSQL reads it off the
    partial index of rows counted open alone, and the second is the few rows released since last written.
    """
    if visibility.sees_open_data_only(user):
        counted, released = facet_groups.open_parts()
        parts = [DatasetFacets.objects.filter(counted), DatasetFacets.objects.filter(_as_literals(released))]
    else:
        visible = visibility.facet_rows_visible_to(user)
        parts = [visible.filter(counted_open=True), visible.filter(counted_open=False)]
    matches = _matches(query)  # once: the text's terms are looked up in the index
    return [rows.filter(matches) for rows in parts]


def _as_literals(released: Q) -> Q:
    """The rows released since they were last written, as their ids when they are few (they are, between two
    opening sweeps). PostgreSQL cannot know how few: it guessed 200k at a million datasets and hashed a text's
    postings for them (175 ms for none at all)."""
    ids = list(DatasetFacets.objects.filter(released).values_list("pk", flat=True)[: RELEASED_AS_LITERALS + 1])
    return Q(pk__in=ids) if len(ids) <= RELEASED_AS_LITERALS else released


def _matches(query: SearchQuery) -> Q:
    """Rows that match the parameter ranges and the text: what the PaNOSC scorer gives a score above 0, so
    facets count exactly the results."""
    matches = Q()
    for parameter_range in query.ranges:
        matches &= _range_filter(parameter_range)
    if query.has_text:
        matches &= scoring.scored_q(SearchGroup.DATASETS, query.text)
    return matches


def matching_datasets(*, user: visibility.User, query: SearchQuery) -> QuerySet[Dataset]:
    """Datasets the visitor may see that pass every filter of `query` and match its text."""
    return _matching(user, query, _choices(query))


def _matching(user: visibility.User, query: SearchQuery, chosen: dict[FacetName, frozenset]) -> QuerySet[Dataset]:
    return Dataset.objects.filter(pk__in=_matching_rows(user, query, chosen).values("pk"))


def _matching_rows(
    user: visibility.User, query: SearchQuery, chosen: dict[FacetName, frozenset]
) -> QuerySet[DatasetFacets]:
    return _chosen(_unfaceted_rows(user, query), chosen)


def _chosen(rows: QuerySet[DatasetFacets], chosen: dict[FacetName, frozenset]) -> QuerySet[DatasetFacets]:
    for facet, values in chosen.items():
        rows = rows.filter(_choice_q(facet, values))
    return rows


def _groups(user: visibility.User, query: SearchQuery) -> list[dict]:
    """The matching datasets counted per combination of facet keys: for open-data visitors without text or ranges
    as PostgreSQL keeps them (services.facet_groups), else grouped from the narrow facet rows (for open-data
    visitors by each row's FacetGroup id, one integer read off the partial indexes of open rows, or for a text
    alone off the text's postings, which carry it).

    A few thousand groups even for a million datasets; every facet's counts, with every filter but its own, and
    the total are sums over them (facet_counts). Facet choices play no part, so the groups of one text and range
    search serve every facet click that follows it.
    """
    columns = [column for column in FACET_COLUMNS.values() if column != "access"]
    if visibility.sees_open_data_only(user):
        if not query.has_text and not query.ranges:
            # Kept by PostgreSQL as the catalogue changes: no scan of the facet rows at all.
            return _open(facet_groups.open_groups())
        # Every row is open: no access column to compute. A combination may come from both parts; every count is a
        # sum over groups anyway.
        counted, released = _unfaceted_parts(user, query)
        match = None if query.ranges else scoring.text_match(SearchGroup.DATASETS, query.text)
        if match is None:
            groups = facet_groups.with_keys(_per_group(counted))
        else:
            groups = facet_groups.text_groups(match.term_ids, match.exact)
        return _open(groups + facet_groups.with_keys(_per_group(released)))
    rows = _unfaceted_rows(user, query).order_by()
    return list(rows.annotate(access=_access()).values(*columns, "access").annotate(count=Count("pk")))


def _open(groups: list[dict]) -> list[dict]:
    for group in groups:  # in place: a copy of ~11k groups cost 4 ms
        group["access"] = "open"
    return groups


def _per_group(rows: QuerySet[DatasetFacets]) -> QuerySet:
    # COUNT(*): counting a column would make PostgreSQL read the row where the index holds only the group.
    return rows.order_by().values_list("group").annotate(count=Count("*"))


def _shared_groups(user: visibility.User, query: SearchQuery) -> list[dict]:
    """_groups, shared between anonymous visitors (who all see the same data) until the catalogue changes.

    Signed-in visitors may see their own embargoed data: never shared.
    """
    if user.is_authenticated:
        return _groups(user, query)
    state = repr((query.text, query.ranges))
    return shared("facet-groups", state, lambda: _groups(user, query))


def _technique_counts(per_set: dict[int, int]) -> dict[str, int]:
    """Datasets per PaNET term from datasets per technique set, a dataset counting once under each term it or its
    techniques descend from.

    Each set of techniques is rolled up to its terms and their ancestors, so a dataset tagged SAXS and WAXS counts
    once under "x-ray scattering".
    """
    sets = dict(TechniqueSet.objects.filter(pk__in=per_set).values_list("pk", "techniques"))
    ids = {technique_id for techniques in sets.values() for technique_id in techniques}
    terms_of = {
        technique.pk: {technique.panet_id, *technique.ancestors}
        for technique in Technique.objects.filter(pk__in=ids, panet_id__isnull=False).only("panet_id", "ancestors")
    }
    counts: dict[str, int] = defaultdict(int)
    for set_id, count in per_set.items():
        for term in set().union(*(terms_of.get(technique_id, set()) for technique_id in sets.get(set_id, ()))):
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
    the others would add.
    """
    return _facets(_partitioned(_shared_groups(user, query), _choices(query)), query)


@dataclass(frozen=True)
class _Partition:
    """The groups that pass every facet choice, and per chosen facet those failing that choice alone."""

    passing: list[dict]
    failing_only: dict[FacetName, list[dict]]

    @cached_property
    def total(self) -> int:
        return sum(group["count"] for group in self.passing)

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    def per_facet(self) -> dict[FacetName, dict]:
        """Each facet's counts per key among the groups that pass every choice but the facet's own."""
        counts: dict[FacetName, dict] = {}
        for name in FACET_NAMES:
            column, tally = FACET_COLUMNS[name], defaultdict(int)
            # One tight loop per facet: a page sums ~11k groups six times (17 → 5 ms at a million datasets).
            for rows in (self.passing, self.failing_only.get(name, ())):
                for group in rows:
                    tally[group[column]] += group["count"]
            counts[name] = tally
        return counts


def _partitioned(groups: list[dict], chosen: dict[FacetName, frozenset]) -> _Partition:
    if not chosen:
        return _Partition(groups, {})
    passing: list[dict] = []
    failing_only: dict[FacetName, list[dict]] = defaultdict(list)
    for group in groups:
        failed = [facet for facet, values in chosen.items() if not _accepts(facet, values, group)]
        if not failed:
            passing.append(group)
        elif len(failed) == 1:
            failing_only[failed[0]].append(group)
    return _Partition(passing, failing_only)


def _facets(groups: _Partition, query: SearchQuery) -> tuple[Facet, ...]:
    per_facet = groups.per_facet()
    technique_counts = _technique_counts(per_facet["technique"])
    facets = [Facet("technique", FACET_LABELS["technique"], _technique_tree(technique_counts, query.techniques))]
    for name in FACET_NAMES[1:]:
        counted = {str(key): count for key, count in per_facet[name].items() if key not in (None, "")}
        found, labels = _by_identifier(name, counted)
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


def _ordered(
    user: visibility.User, query: SearchQuery, chosen: dict[FacetName, frozenset], *, end: int
) -> QuerySet[Dataset]:
    """The matching datasets in date or title order, correct up to position `end`; each order ends with a unique
    key so that pages never overlap or skip a dataset.

    By date, the first `end` of each part (_unfaceted_parts) are picked in order, those counted open walking
    their date index (catalogue.models.facets), and the page is the first `end` of both. Walking the dataset
    table's date index newest first would step over every embargoed dataset of the last years (270k of a million)
    before the first open one. By title, embargoed rows are spread through the index, so walking it is quick.
    """
    sort = query.effective_sort
    if sort == "title":
        return _matching(user, query, chosen).order_by(Lower("title"), "pid")
    parts = [_chosen(rows, chosen) for rows in _unfaceted_parts(user, query)]
    newest = sort != "oldest"
    order = ("-creation_time", "-pk") if newest else ("creation_time", "pk")
    firsts = [row for part in parts for row in part.order_by(*order).values_list("creation_time", "pk")[:end]]
    top = sorted(firsts, reverse=newest)[:end]
    return Dataset.objects.filter(pk__in=[pk for _, pk in top]).order_by(*order)


def with_card_fields(datasets: QuerySet[Dataset]) -> QuerySet[Dataset]:
    """What a result card shows, in a fixed number of queries (no per-card queries, no large JSON columns)."""
    return (
        datasets.select_related("proposal", "instrument__facility")
        .prefetch_related("techniques")
        .defer("raw_metadata", "scientific_metadata", "description")
        .annotate(
            has_preview=Exists(Preview.objects.filter(dataset_id=OuterRef("pk"), png__isnull=False)),
            is_open=Case(When(visibility.open_q(), then=Value(True)), default=Value(False)),
        )
    )


def search(*, user: visibility.User, query: SearchQuery, with_facets: bool = True) -> SearchPage:
    """One page of results (and the facets) for the visitor; raises PageOutOfRange past the last page.

    Relevance is the PaNOSC endpoint's own score (catalogue.search.scoring), so both rank alike. The first page
    always exists, so its results are fetched while the counts are computed beside them (landing.portal.beside):
    a first visitor of a text and range search waits for the slower of the two, not for both. A later page waits
    for the counts, which say whether it exists.
    """
    chosen = _choices(query)
    if query.page == 1:
        # request.user is lazy, and resolving it is not thread-safe: resolved here, before two threads read it.
        user.is_authenticated  # noqa: B018 (the expression resolves it)
        counting = beside(_shared_groups, user, query)
        page = _results(user, query, chosen)
        groups = _partitioned(counting.result(), chosen)
    else:
        groups = _partitioned(_shared_groups(user, query), chosen)
        if query.page > groups.page_count:
            raise PageOutOfRange(query.page, groups.page_count)
        page = _results(user, query, chosen)
    facets = _facets(groups, query) if with_facets else ()
    return SearchPage(datasets=page, total=groups.total, page=query.page, page_count=groups.page_count, facets=facets)


def _results(user: visibility.User, query: SearchQuery, chosen: dict[FacetName, frozenset]) -> list[Dataset]:
    """The datasets of the query's page, as cards; an empty list past the last page."""
    start = (query.page - 1) * PAGE_SIZE
    if query.effective_sort != "relevance":
        ordered = _ordered(user, query, chosen, end=start + PAGE_SIZE)
        return list(with_card_fields(ordered)[start : start + PAGE_SIZE])
    filtered = _matching(user, replace(query, text=""), chosen)
    ranked = scoring.ranked_page(
        SearchGroup.DATASETS, candidates=filtered, query=query.text, start=start, stop=start + PAGE_SIZE
    )
    order = [pk for pk, _ in ranked]
    cards = {dataset.pk: dataset for dataset in with_card_fields(Dataset.objects.filter(pk__in=order))}
    return [cards[pk] for pk in order if pk in cards]
