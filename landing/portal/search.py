"""The portal's dataset search page: a search (catalogue.search.criteria) answered by catalogue.search, its facet
counts as labelled values and the PaNET tree (issue 8)."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.template.defaultfilters import pluralize

from catalogue import panet, visibility
from catalogue.models import Dataset, Facility, Instrument
from catalogue.search import counts, datasets
from catalogue.search.beside import beside
from catalogue.search.criteria import FACET_NAMES, FACETS, FacetName, SearchQuery

# PaNET's upper terms only organise the ontology ("defined by experimental probe"); the tree starts below them.
PANET_GROUPING_TERMS = frozenset({"PaNET00001", "PaNET00002", "PaNET00003"})


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


def _by_identifier(facet: FacetName, counted: dict[str, int]) -> tuple[dict[str, int], dict[str, str]]:
    """Counts keyed as the URL names the values (instrument pid, facility short name), and their labels."""
    if facet == "instrument":
        instruments = Instrument.objects.filter(pk__in=counted).values_list("pk", "pid", "name", "facility__short_name")
        keyed = {str(pk): (pid, f"{name} ({facility})") for pk, pid, name, facility in instruments}
    elif facet == "facility":
        facilities = Facility.objects.filter(pk__in=counted).values_list("pk", "short_name", "name")
        keyed = {str(pk): (short_name, name) for pk, short_name, name in facilities}
    else:
        labels = {"open": "Open", "embargoed": "Under embargo"} if facet == "access" else {}
        return counted, {key: labels.get(key, key) for key in counted}
    return (
        {keyed[key][0]: count for key, count in counted.items() if key in keyed},
        {identifier: label for identifier, label in keyed.values()},
    )


def facet_counts(*, user: visibility.User, query: SearchQuery) -> tuple[Facet, ...]:
    """Every facet's values with the number of matching datasets.

    A facet's counts apply every filter but its own, so choosing one instrument still shows how many datasets
    the others would add.
    """
    return _facets(counts.partitioned(counts.shared_groups(user, query), datasets.choices(query)), query)


def _facets(groups: counts.Partition, query: SearchQuery) -> tuple[Facet, ...]:
    per_facet = groups.per_facet()
    technique_counts = counts.technique_counts(per_facet["technique"])
    facets = [Facet("technique", FACETS["technique"].label, _technique_tree(technique_counts, query.techniques))]
    for name in FACET_NAMES[1:]:
        counted = {str(key): count for key, count in per_facet[name].items() if key not in (None, "")}
        found, labels = _by_identifier(name, counted)
        selected = query.selected(name)
        for value in selected:  # a chosen value stays on screen (count 0) so it can be unchosen
            found.setdefault(value, 0)
        shown = {key: labels.get(key, key) for key in found}
        if name == "year":
            ordered = sorted(found, reverse=True)
        else:
            ordered = sorted(found, key=lambda key: (-found[key], shown[key].lower()))
        values = tuple(FacetValue(key, shown[key], found[key], key in selected) for key in ordered)
        facets.append(Facet(name, FACETS[name].label, values))
    return tuple(facets)


def search(*, user: visibility.User, query: SearchQuery, with_facets: bool = True) -> SearchPage:
    """One page of results (and the facets) for the visitor; raises PageOutOfRange past the last page.

    Relevance is the PaNOSC endpoint's own score (catalogue.search.scoring), so both rank alike. The first page
    always exists, so its results are fetched while the counts are computed beside them (catalogue.search.beside):
    a first visitor of a text and range search waits for the slower of the two, not for both. A later page waits
    for the counts, which say whether it exists.
    """
    chosen = datasets.choices(query)
    if query.page == 1:
        # request.user is lazy, and resolving it is not thread-safe: resolved here, before two threads read it.
        user.is_authenticated  # noqa: B018 (the expression resolves it)
        counting = beside(counts.shared_groups, user, query)
        page = datasets.results(user, query, chosen)
        groups = counts.partitioned(counting.result(), chosen)
    else:
        groups = counts.partitioned(counts.shared_groups(user, query), chosen)
        if query.page > groups.page_count:
            raise PageOutOfRange(query.page, groups.page_count)
        page = datasets.results(user, query, chosen)
    facets = _facets(groups, query) if with_facets else ()
    return SearchPage(datasets=page, total=groups.total, page=query.page, page_count=groups.page_count, facets=facets)
