"""Portal pages: home, search and browse (proposal, instrument, technique).

Views only translate HTTP to the search/browse services and back; bad query strings get a helpful page.
"""

from dataclasses import dataclass

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from catalogue import panet, visibility
from catalogue.models import Dataset, Instrument
from catalogue.search.criteria import FACET_NAMES, FACETS, RANGE_KINDS, SORTS, SearchQuery
from catalogue.services import dmp
from landing.graph import formats as graph_formats
from landing.graph import views as graph_views
from landing.graph.describe import Entity
from landing.pages import negotiation
from landing.portal import browse, forms, search

BROWSE_PAGE_SIZE = 20
UNFOLDED_TREE_SIZE = 30


@dataclass(frozen=True)
class FacetLink:
    """A facet value as the page shows it: its count and the URL that toggles it."""

    label: str
    count: int
    selected: bool
    href: str
    children: tuple["FacetLink", ...]

    expanded: bool = False  # whether the technique tree shows this value's narrower terms unfolded


def _search_url(query: SearchQuery) -> str:
    encoded = forms.query_string(query)
    return f"/search?{encoded}" if encoded else "/search"


def _links(
    query: SearchQuery, facet: search.Facet, values: tuple[search.FacetValue, ...], unfold_all: bool = False
) -> tuple[FacetLink, ...]:
    links = []
    for value in values:
        children = _links(query, facet, value.children, unfold_all)
        links.append(
            FacetLink(
                label=value.label,
                count=value.count,
                selected=value.selected,
                href=_search_url(forms.toggled(query, facet.name, value.value)),
                children=children,
                expanded=bool(children) and (unfold_all or any(c.selected or c.expanded for c in children)),
            )
        )
    return tuple(links)


def _size(values: tuple[search.FacetValue, ...]) -> int:
    return sum(1 + _size(value.children) for value in values)


def _facet_links(query: SearchQuery, facet: search.Facet) -> tuple[FacetLink, ...]:
    """A small technique tree is shown unfolded; a large one unfolds down to the chosen terms only."""
    return _links(query, facet, facet.values, unfold_all=_size(facet.values) <= UNFOLDED_TREE_SIZE)


def _active_filters(query: SearchQuery, facets: tuple[search.Facet, ...]) -> list[tuple[str, str]]:
    """(label, URL without it) for every chosen filter, so each can be removed with one click."""
    labels = {}

    def collect(facet: search.Facet, values: tuple[search.FacetValue, ...]) -> None:
        for value in values:
            labels[(facet.name, value.value)] = value.label
            collect(facet, value.children)

    for facet in facets:
        collect(facet, facet.values)
    vocabulary = panet.vocabulary()
    active = []
    for facet_name in FACET_NAMES:
        for value in query.selected(facet_name):
            label = labels.get((facet_name, value)) or (
                vocabulary.terms[value].label if facet_name == "technique" else value
            )
            without = _search_url(forms.toggled(query, facet_name, value))
            active.append((f"{FACETS[facet_name].label}: {label}", without))
    for parameter_range in query.ranges:
        low = "…" if parameter_range.low is None else f"{parameter_range.low:g}"
        high = "…" if parameter_range.high is None else f"{parameter_range.high:g}"
        active.append(
            (
                f"{parameter_range.kind.label}: {low} – {high} {parameter_range.unit}",
                _search_url(forms.without_range(query, parameter_range.kind.key)),
            )
        )
    return active


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    context = {"summary": browse.catalogue_summary(), "recent": browse.newest_open_datasets()}
    return render(request, "landing/portal/home.html", context)


@require_safe
def search_page(request: HttpRequest) -> HttpResponse:
    try:
        query = forms.parse(request.GET)
    except forms.BadSearch as error:
        context: dict[str, object] = {"problems": error.problems, "query": request.GET.get("q", "")}
        return render(request, "landing/portal/bad_search.html", context, status=400)
    try:
        results = search.search(user=request.user, query=query)
    except search.PageOutOfRange as error:
        last = _search_url(forms.replace_page(query, error.page_count))
        context = {"problems": [str(error)], "query": query.text, "last_page_url": last}
        return render(request, "landing/portal/bad_search.html", context, status=404)
    context = {
        "query": query.text,
        "search": query,
        "proposal_shortcut": browse.proposal_named(user=request.user, text=query.text),
        "results": results,
        "facets": [(facet, _facet_links(query, facet)) for facet in results.facets],
        "active_filters": _active_filters(query, results.facets),
        "range_kinds": [
            (kind, next((r for r in query.ranges if r.kind.key == kind.key), None)) for kind in RANGE_KINDS.values()
        ],
        "sorts": [
            (key, label, _search_url(forms.resorted(query, key)))
            for key, label in SORTS.items()
            if key != "relevance" or query.has_text
        ],
        "effective_sort": query.effective_sort,
        "previous_url": _search_url(forms.replace_page(query, query.page - 1)) if query.page > 1 else "",
        "next_url": (_search_url(forms.replace_page(query, query.page + 1)) if query.page < results.page_count else ""),
    }
    return render(request, "landing/portal/search.html", context)


def _page(request: HttpRequest, datasets: QuerySet[Dataset]) -> Page:
    paginator = Paginator(datasets, BROWSE_PAGE_SIZE)
    try:
        return paginator.page(request.GET.get("page", 1))
    except (EmptyPage, PageNotAnInteger) as error:
        raise Http404(f"No such page of datasets: {error}") from error


@require_safe
def proposal_page(request: HttpRequest, pid: str) -> HttpResponse:
    proposal = browse.visible_proposal(user=request.user, pid=pid)
    if proposal is None:
        raise Http404("No proposal with this identifier is public.")
    team_view = visibility.can_see_personal_data(request.user, proposal)
    context = {
        "proposal": proposal,
        "team": browse.proposal_team(proposal=proposal),
        "datasets": _page(request, browse.datasets_of_proposal(user=request.user, proposal=proposal)),
        # The plan is the team's: members and stewards see it beside what was produced.
        "plan": dmp.plan_versus_reality(document=proposal) if team_view else None,
        "dmp_url": dmp.dmp_url(proposal) if proposal.doi or team_view else None,
    }
    return render(request, "landing/portal/proposal.html", context)


@require_safe
def instrument_page(request: HttpRequest, pid: str) -> HttpResponse:
    instrument = get_object_or_404(Instrument.objects.select_related("facility"), pid=pid)
    try:
        key = negotiation.negotiate(request, available=tuple(graph_formats.RDF_FORMATS))
    except negotiation.NotAcceptable:
        key = negotiation.HTML  # the page as before: its RDF forms are optional
    if key != negotiation.HTML:
        return graph_views.entity_rdf(Entity("instrument", instrument.pk), key, stem=f"instrument-{instrument.pk}")
    query = SearchQuery(instruments=(instrument.pid,))
    found = browse.chosen_datasets(user=request.user, query=query)
    peak = max((count for _, count in found.per_year), default=0)
    context = {
        "instrument": instrument,
        "techniques": instrument.techniques.filter(is_concept=False).order_by("name"),
        "per_year": [(year, count, round(100 * count / peak) if peak else 0) for year, count in found.per_year],
        "total": found.total,
        "recent": found.newest,
        "search_url": _search_url(query),
    }
    return render(request, "landing/portal/instrument.html", context)


@require_safe
def technique_page(request: HttpRequest, panet_id: str) -> HttpResponse:
    term = panet.vocabulary().terms.get(panet_id)
    if term is None:
        raise Http404("No PaNET technique has this identifier.")
    vocabulary = panet.vocabulary()
    query = SearchQuery(techniques=(panet_id,))
    found = browse.chosen_datasets(user=request.user, query=query)
    context = {
        "term": term,
        "parents": [vocabulary.terms[parent] for parent in term.parents if parent in vocabulary.terms],
        "children": browse.narrower_terms(panet_id),
        "total": found.total,
        "recent": found.newest,
        "search_url": _search_url(query),
    }
    return render(request, "landing/portal/technique.html", context)
