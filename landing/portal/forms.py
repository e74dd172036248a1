"""The search page's URL: reading query strings into a SearchQuery (with clear errors) and writing them back.

Every state of the page is a URL, so a search can be bookmarked and shared.
"""

import math
from dataclasses import replace
from urllib.parse import urlencode

from django.http import QueryDict

from catalogue import panet, units
from catalogue.models import Facility, Instrument
from catalogue.search.criteria import (
    FACET_NAMES,
    RANGE_KINDS,
    SORTS,
    FacetName,
    ParameterRange,
    SearchQuery,
)

MAX_QUERY_LENGTH = 500
MAX_VALUES_PER_FACET = 50
ACCESS_VALUES = ("open", "embargoed")
YEARS = range(1900, 2201)
MAX_PAGE = 10**9


class BadSearch(ValueError):
    """A query string the page cannot honour; `problems` says what to fix, in the visitor's words."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _panet_id(text: str) -> str | None:
    key = text.strip()
    if key.startswith(panet.PURL_PREFIX):
        key = key[len(panet.PURL_PREFIX) :]
    return key if key in panet.vocabulary().terms else None


def _number(text: str, what: str, problems: list[str]) -> float | None:
    if not text.strip():
        return None
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        problems.append(f"{what} must be a number, not “{text}”.")
        return None
    if not math.isfinite(value):
        problems.append(f"{what} must be a finite number.")
        return None
    return value


def _ranges(params: QueryDict, problems: list[str]) -> tuple[ParameterRange, ...]:
    ranges = []
    for kind in RANGE_KINDS.values():
        low = _number(params.get(f"{kind.key}_min", ""), f"The lowest {kind.label.lower()}", problems)
        high = _number(params.get(f"{kind.key}_max", ""), f"The highest {kind.label.lower()}", problems)
        unit = params.get(f"{kind.key}_unit", "").strip() or kind.units[0]
        if low is None and high is None:
            continue
        try:
            readable = units.query_unit(unit)
        except units.UnknownUnit:
            problems.append(f"“{unit}” is not a unit we know; use one of {', '.join(kind.units)}.")
            continue
        if units.dimension_of(readable) != kind.dimension:
            problems.append(f"“{unit}” is not a unit of {kind.label.lower()}; use one of {', '.join(kind.units)}.")
            continue
        if low is not None and high is not None and low > high:
            problems.append(f"The {kind.label.lower()} range is empty: {low:g} is above {high:g}.")
            continue
        ranges.append(ParameterRange(kind=kind, unit=unit, low=low, high=high))
    return tuple(ranges)


def _values(params: QueryDict, name: str, problems: list[str]) -> list[str]:
    values = [value.strip() for value in params.getlist(name) if value.strip()]
    if len(values) > MAX_VALUES_PER_FACET:
        problems.append(f"At most {MAX_VALUES_PER_FACET} values of “{name}” can be chosen at once.")
        return []
    return list(dict.fromkeys(values))


def parse(params: QueryDict) -> SearchQuery:
    """A SearchQuery from the page's query string; raises BadSearch listing every problem found."""
    # NUL characters and lone surrogates never get this far: pancommons.middleware refuses them for every route.
    problems: list[str] = []
    text = " ".join(params.get("q", "").split())
    if len(text) > MAX_QUERY_LENGTH:
        problems.append(f"The search text is too long: keep it under {MAX_QUERY_LENGTH} characters.")

    techniques = []
    for value in _values(params, "technique", problems):
        panet_id = _panet_id(value)
        if panet_id is None:
            problems.append(f"“{value}” is not a PaNET technique id (such as PaNET01188).")
        else:
            techniques.append(panet_id)

    instruments = _values(params, "instrument", problems)
    known = set(Instrument.objects.filter(pid__in=instruments).values_list("pid", flat=True))
    problems += [f"There is no instrument “{pid}”." for pid in instruments if pid not in known]

    facilities = _values(params, "facility", problems)
    known = set(Facility.objects.filter(short_name__in=facilities).values_list("short_name", flat=True))
    problems += [f"There is no facility “{name}”." for name in facilities if name not in known]

    years = []
    for value in _values(params, "year", problems):
        if value.isdigit() and int(value) in YEARS:
            years.append(int(value))
        else:
            problems.append(f"“{value}” is not a year between {YEARS.start} and {YEARS.stop - 1}.")

    access = _values(params, "access", problems)
    problems += [f"Access is “open” or “embargoed”, not “{value}”." for value in access if value not in ACCESS_VALUES]

    formats = _values(params, "format", problems)
    ranges = _ranges(params, problems)

    sort = params.get("sort", "").strip()
    if sort and sort not in SORTS:
        problems.append(f"Results can be sorted by {', '.join(SORTS)}, not “{sort}”.")

    page_text = params.get("page", "1").strip() or "1"
    page = int(page_text) if page_text.isdigit() and 0 < int(page_text) <= MAX_PAGE else 0
    if not page:
        problems.append(f"“{page_text}” is not a page number.")

    if problems:
        raise BadSearch(problems)
    return SearchQuery(
        text=text,
        techniques=tuple(techniques),
        instruments=tuple(instruments),
        facilities=tuple(facilities),
        years=tuple(years),
        access=tuple(access),
        formats=tuple(formats),
        ranges=ranges,
        sort=sort,
        page=page,
    )


def query_string(query: SearchQuery) -> str:
    """The URL query string of a search state: the inverse of parse()."""
    pairs: list[tuple[str, str]] = []
    if query.text:
        pairs.append(("q", query.text))
    for facet in FACET_NAMES:
        pairs += [(facet, value) for value in query.selected(facet)]
    for parameter_range in query.ranges:
        key = parameter_range.kind.key
        if parameter_range.low is not None:
            pairs.append((f"{key}_min", f"{parameter_range.low:g}"))
        if parameter_range.high is not None:
            pairs.append((f"{key}_max", f"{parameter_range.high:g}"))
        pairs.append((f"{key}_unit", parameter_range.unit))
    if query.sort:
        pairs.append(("sort", query.sort))
    if query.page != 1:
        pairs.append(("page", str(query.page)))
    return urlencode(pairs)


def toggled(query: SearchQuery, facet: FacetName, value: str) -> SearchQuery:
    """The same search with one facet value chosen or unchosen, back on page 1."""
    current = query.selected(facet)
    chosen = tuple(item for item in current if item != value) if value in current else (*current, value)
    match facet:
        case "technique":
            return replace(query, techniques=chosen, page=1)
        case "instrument":
            return replace(query, instruments=chosen, page=1)
        case "facility":
            return replace(query, facilities=chosen, page=1)
        case "year":
            return replace(query, years=tuple(int(item) for item in chosen), page=1)
        case "access":
            return replace(query, access=chosen, page=1)
        case "format":
            return replace(query, formats=chosen, page=1)


def without_range(query: SearchQuery, key: str) -> SearchQuery:
    return replace(query, ranges=tuple(r for r in query.ranges if r.kind.key != key), page=1)


def replace_page(query: SearchQuery, page: int) -> SearchQuery:
    return replace(query, page=page)


def resorted(query: SearchQuery, sort: str) -> SearchQuery:
    return replace(query, sort=sort, page=1)
