"""Which datasets match a search (catalogue.search.criteria) and its page of results, for one visitor.

Every read starts from catalogue.visibility, so an embargoed dataset the visitor may not see never reaches a result
or a count. Free-text relevance is the PaNOSC scorer's (catalogue.search.scoring), so the portal and the PaNOSC API
rank alike; techniques and parameter ranges are compiled as the API compiles them (techniques, ranges).
"""

from dataclasses import replace
from datetime import UTC, datetime

from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Lower
from django.utils import timezone

from catalogue import visibility
from catalogue.models import Dataset, DatasetFacets, Facility, Instrument, Preview, SearchGroup
from catalogue.search import ranges, scoring, techniques
from catalogue.search.criteria import FACETS, PAGE_SIZE, FacetName, SearchQuery

RELEASED_AS_LITERALS = 1000


def access_case() -> Case:
    # The visibility module's own definition of "open", so the access facet can never disagree with it.
    return Case(When(visibility.open_q(), then=Value("open")), default=Value("embargoed"))


def choices(query: SearchQuery) -> dict[FacetName, frozenset]:
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
    for facet in ("year", "access", "format"):  # held as chosen
        if values := getattr(query, FACETS[facet].field):
            chosen[facet] = frozenset(values)
    return chosen


def _choice_q(facet: FacetName, values: frozenset) -> Q:
    if facet == "access":
        open_ones = visibility.open_q()
        return Q() if values >= {"open", "embargoed"} else (open_ones if "open" in values else ~open_ones)
    if facet == "year":
        # The same rows bounded by date as well, so that a walk of the date index starts at the chosen years.
        return Q(year__in=sorted(values)) & _years_between(min(values), max(values))
    return Q(**{f"{FACETS[facet].column}__in": sorted(values)})


def _years_between(first: int, last: int) -> Q:
    """creation_time within these years in UTC, as the facet rows' year column is computed (forms.YEARS bounds them)."""
    return Q(
        creation_time__gte=datetime(first, 1, 1, tzinfo=UTC), creation_time__lt=datetime(last + 1, 1, 1, tzinfo=UTC)
    )


def unfaceted_rows(user: visibility.User, query: SearchQuery) -> QuerySet[DatasetFacets]:
    """Facet rows of the datasets the visitor may see that match the text and parameter ranges (not the facets)."""
    return visibility.facet_rows_visible_to(user).filter(matches(query))


def unfaceted_parts(user: visibility.User, query: SearchQuery) -> list[QuerySet[DatasetFacets]]:
    """unfaceted_rows in disjoint parts: the open rows (open_rows), the same whoever asks, and those the visitor
    sees beyond them, read by proposal (visibility.facet_rows_beyond_open). One access rule over every row, an OR,
    had PostgreSQL read all the rows for a signed-in visitor (400–800 ms a page at a million datasets)."""
    matching = matches(query)  # once: the text's terms are looked up in the index
    beyond = visibility.facet_rows_beyond_open(user)
    return open_rows(matching) + ([] if beyond is None else [beyond.filter(matching)])


def open_rows(matching: Q) -> list[QuerySet[DatasetFacets]]:
    """The open facet rows that match, in two disjoint parts: those counted open, which stay open until a write
    changes them (read off their partial indexes alone), and those released since they were last written."""
    released = Q(counted_open=False, withdrawn_at__isnull=True, release_date__lte=timezone.now())
    return [
        DatasetFacets.objects.filter(part).filter(matching) for part in (Q(counted_open=True), _as_literals(released))
    ]


def _as_literals(released: Q) -> Q:
    """The rows released since they were last written, as their ids when they are few (they are, between two
    opening sweeps). PostgreSQL cannot know how few: it guessed 200k at a million datasets and hashed a text's
    postings for them (175 ms for none at all)."""
    ids = list(DatasetFacets.objects.filter(released).values_list("pk", flat=True)[: RELEASED_AS_LITERALS + 1])
    return Q(pk__in=ids) if len(ids) <= RELEASED_AS_LITERALS else released


def matches(query: SearchQuery) -> Q:
    """Rows that match the parameter ranges and the text: what the PaNOSC scorer gives a score above 0, so
    facets count exactly the results."""
    matches = Q()
    for chosen in query.ranges:  # a value in range, or a <name>_min/<name>_max range that overlaps it (spec §4.2)
        matches &= ranges.range_q(chosen.kind.parameter, chosen.unit, chosen.low, chosen.high)
    if query.has_text:
        matches &= scoring.scored_q(SearchGroup.DATASETS, query.text)
    return matches


def matching_datasets(*, user: visibility.User, query: SearchQuery) -> QuerySet[Dataset]:
    """Datasets the visitor may see that pass every filter of `query` and match its text."""
    return _matching(user, query, choices(query))


def _matching(user: visibility.User, query: SearchQuery, chosen: dict[FacetName, frozenset]) -> QuerySet[Dataset]:
    return Dataset.objects.filter(pk__in=_chosen(unfaceted_rows(user, query), chosen).values("pk"))


def _chosen(rows: QuerySet[DatasetFacets], chosen: dict[FacetName, frozenset]) -> QuerySet[DatasetFacets]:
    for facet, values in chosen.items():
        rows = rows.filter(_choice_q(facet, values))
    return rows


def in_order(
    user: visibility.User, query: SearchQuery, chosen: dict[FacetName, frozenset], *, end: int
) -> QuerySet[Dataset]:
    """The matching datasets in date or title order, correct up to position `end`; each order ends with a unique
    key so that pages never overlap or skip a dataset.

    By date, the first `end` of each part (unfaceted_parts) are picked in order, those counted open walking
    their date index (catalogue.models.facets), and the page is the first `end` of both. Walking the dataset
    table's date index newest first would step over every embargoed dataset of the last years (270k of a million)
    before the first open one. By title, embargoed rows are spread through the index, so walking it is quick.
    """
    sort = query.effective_sort
    if sort == "title":
        return _matching(user, query, chosen).order_by(Lower("title"), "pid")
    parts = [_chosen(rows, chosen) for rows in unfaceted_parts(user, query)]
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


def results(user: visibility.User, query: SearchQuery, chosen: dict[FacetName, frozenset]) -> list[Dataset]:
    """The datasets of the query's page, as cards; an empty list past the last page."""
    start = (query.page - 1) * PAGE_SIZE
    if query.effective_sort != "relevance":
        ordered = in_order(user, query, chosen, end=start + PAGE_SIZE)
        return list(with_card_fields(ordered)[start : start + PAGE_SIZE])
    filtered = _matching(user, replace(query, text=""), chosen)
    ranked = scoring.ranked_page(
        SearchGroup.DATASETS, candidates=filtered, query=query.text, start=start, stop=start + PAGE_SIZE
    )
    order = [pk for pk, _ in ranked]
    cards = {dataset.pk: dataset for dataset in with_card_fields(Dataset.objects.filter(pk__in=order))}
    return [cards[pk] for pk in order if pk in cards]
