"""The facet counts of a search (catalogue.search.criteria): the matching datasets counted per combination of facet
keys, the open ones by the cheapest exact strategy and shared between all visitors until the catalogue changes
(catalogue.search.cache), and summed per facet value with every choice but the facet's own.

A few thousand groups even for a million datasets; every facet's counts and the total are sums over them. Facet
choices play no part, so the groups of one text and range search serve every facet click that follows it.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Count, QuerySet

from catalogue import visibility
from catalogue.models import (
    DatasetFacets,
    DatasetPosting,
    FacetCountDelta,
    FacetGroup,
    SearchGroup,
    Technique,
    TechniqueSet,
)
from catalogue.models.facets import FACET_KEYS
from catalogue.search import scoring
from catalogue.search.cache import shared
from catalogue.search.criteria import FACET_NAMES, FACETS, PAGE_SIZE, FacetName, SearchQuery
from catalogue.search.datasets import access_case, matches, open_rows

_KEY_LIST = ", ".join(FACET_KEYS)
_GROUP_NAMES = ("technique_set", *FACET_KEYS[1:], "count")
_TABLE = FacetCountDelta._meta.db_table

OPEN_GROUPS = f"""
SELECT {_KEY_LIST}, sum(datasets)::bigint FROM (
    SELECT {_KEY_LIST}, datasets FROM {_TABLE}
    UNION ALL
    SELECT {_KEY_LIST}, 1 FROM {DatasetFacets._meta.db_table}
    WHERE NOT counted_open AND withdrawn_at IS NULL AND release_date <= statement_timestamp()
) counted
GROUP BY {_KEY_LIST} HAVING sum(datasets) > 0
"""

# Folds the log into one row per combination; rows appended meanwhile are not in this statement's snapshot, so
# they are neither deleted nor summed, and stay for the next time.
COMPACT = f"""
WITH folded AS (DELETE FROM {_TABLE} RETURNING {_KEY_LIST}, datasets)
INSERT INTO {_TABLE} ({_KEY_LIST}, datasets)
SELECT {_KEY_LIST}, sum(datasets) FROM folded GROUP BY {_KEY_LIST} HAVING sum(datasets) <> 0
"""


def open_groups(query: SearchQuery) -> list[dict]:
    """The open datasets matching the text and ranges counted per combination of facet keys (and "access"), by the
    cheapest strategy: the same for every visitor."""
    if not query.has_text and not query.ranges:
        return _open(kept())
    # A combination may come from both parts; every count is a sum over groups anyway.
    counted, released = open_rows(matches(query))
    match = None if query.ranges else scoring.text_match(SearchGroup.DATASETS, query.text)
    if match is None:
        return _open(by_group(counted) + by_group(released))
    return _open(by_postings(match.term_ids, match.exact) + by_group(released))


def groups_beyond_open(user: visibility.User, query: SearchQuery) -> list[dict]:
    """The same for the datasets the visitor sees beyond the open ones, row by row: a team's embargoed datasets are
    few (all embargoed ones for stewards and under EMBARGOED_METADATA=visible)."""
    beyond = visibility.facet_rows_beyond_open(user)
    return [] if beyond is None else by_rows(beyond.filter(matches(query)))


def kept() -> list[dict]:
    """Open datasets counted per combination of facet keys as PostgreSQL keeps them (sql/facet_counts.sql): no scan
    of the facet rows at all.

    Each facet row records whether it was open when last written (`counted_open`), and every change to the rows
    appends the change in counted-open rows per combination to FacetCountDelta. A row counted open stays open until a
    write changes it (a release date once passed stays passed; extending an embargo or withdrawing is a write). The
    rows released since their last write are read live, through a partial index of the rows not counted open. Both
    parts are read in one statement, so the answer is exact at that moment, and never counts embargoed data.
    """
    return _groups(OPEN_GROUPS)


def by_group(rows: QuerySet[DatasetFacets]) -> list[dict]:
    """Open facet rows counted by their FacetGroup id, one integer read off the partial indexes of open rows, keyed
    by the facet keys in the same statement: thousands of ids sent back as a list cost more than the counting."""
    # COUNT(*): counting a column would make PostgreSQL read the row where the index holds only the group.
    counts = rows.order_by().values_list("group").annotate(count=Count("*"))
    try:
        sql, params = counts.query.sql_with_params()
    except EmptyResultSet:  # a condition no row can meet (a text without indexed terms)
        return []
    return _keyed(sql, params)


def by_postings(term_ids: list[int], exact: list[int]) -> list[dict]:
    """The datasets counted open that hold a posting of one of `term_ids` or are among `exact`, counted per
    combination of facet keys.

    Read off the postings alone, which carry their dataset's group while it is counted open (sql/posting_groups.sql):
    a text's postings are a few percent of the catalogue's, where every open dataset's group was merged with them.
    """
    matched = f"""
        SELECT dataset_id, open_group_id FROM {DatasetPosting._meta.db_table}
        WHERE term_id = ANY(%s) AND open_group_id IS NOT NULL
        UNION
        SELECT dataset_id, group_id FROM {DatasetFacets._meta.db_table} WHERE dataset_id = ANY(%s) AND counted_open
    """
    return _keyed(f"SELECT open_group_id, count(*) FROM ({matched}) matched GROUP BY open_group_id", [term_ids, exact])


def by_rows(rows: QuerySet[DatasetFacets]) -> list[dict]:
    """Facet rows grouped by their keys and access: for visitors who may see embargoed data of their own."""
    columns = [facet.column for facet in FACETS.values() if facet.column != "access"]
    rows = rows.order_by().annotate(access=access_case())
    return list(rows.values(*columns, "access").annotate(count=Count("pk")))


def _reading() -> BaseDatabaseWrapper:
    """The connection the ORM reads from in this request: a replica for a public read (pancommons/replicas.py)."""
    return connections[router.db_for_read(FacetGroup)]


def _open(groups: list[dict]) -> list[dict]:
    for group in groups:  # in place: a copy of ~11k groups cost 4 ms
        group["access"] = "open"
    return groups


def _keyed(counts_sql: str, params: Sequence[Any]) -> list[dict]:
    keyed = f"""
        SELECT g.technique_set_id, {", ".join(f"g.{key}" for key in FACET_KEYS[1:])}, counted.n
        FROM ({counts_sql}) AS counted (group_id, n) JOIN {FacetGroup._meta.db_table} g ON g.id = counted.group_id
    """
    return _groups(keyed, params)


def _groups(sql: str, params: Sequence[Any] | None = None) -> list[dict]:
    """Rows of FACET_KEYS and a count, keyed as by_rows keys its groups (the technique set by its relation's name)."""
    with _reading().cursor() as cursor:
        cursor.execute(sql, params)
        # Not strict: the statement names the columns, and checking ~11k rows costs a page 2 ms (issue 23).
        return [dict(zip(_GROUP_NAMES, row, strict=False)) for row in cursor.fetchall()]


def compact() -> int:
    """Fold the log (run periodically and after bulk loads); returns the rows left."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(COMPACT)
        return cursor.rowcount


def shared_groups(user: visibility.User, query: SearchQuery) -> list[dict]:
    """What the visitor sees counted per combination of facet keys: the open groups shared between all visitors
    until the catalogue changes, and those the visitor sees beyond them."""
    state = repr((query.text, query.ranges))
    groups = shared("open-facet-groups", state, lambda: open_groups(query))
    if user.is_authenticated:
        return groups + groups_beyond_open(user, query)
    if visibility.sees_open_data_only(user):
        return groups
    # EMBARGOED_METADATA=visible: every anonymous visitor sees the same embargoed metadata.
    return groups + shared("facet-groups-beyond-open", state, lambda: groups_beyond_open(user, query))


def technique_counts(per_set: dict[int, int]) -> dict[str, int]:
    """Datasets per PaNET term from datasets per technique set, a dataset counting once under each term it or its
    techniques descend from.

    Each set of techniques is rolled up to its terms and their ancestors, so a dataset tagged SAXS and WAXS counts
    once under "x-ray scattering".
    """
    sets = dict(TechniqueSet.objects.filter(pk__in=per_set).values_list("pk", "techniques"))
    ids = {technique_id for techniques in sets.values() for technique_id in techniques}
    terms_of: dict[int, set[str]] = {
        technique.pk: {str(technique.panet_id), *technique.ancestors}
        for technique in Technique.objects.filter(pk__in=ids, panet_id__isnull=False).only("panet_id", "ancestors")
    }
    counts: dict[str, int] = defaultdict(int)
    for set_id, count in per_set.items():
        for term in set().union(*(terms_of.get(technique_id, set()) for technique_id in sets.get(set_id, ()))):
            counts[term] += count
    return dict(counts)


def _accepts(facet: FacetName, values: frozenset, group: dict) -> bool:
    return group[FACETS[facet].column] in values


@dataclass(frozen=True)
class Partition:
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
            column, tally = FACETS[name].column, defaultdict[object, int](int)
            # One tight loop per facet: a page sums ~11k groups six times (17 → 5 ms at a million datasets).
            for rows in (self.passing, self.failing_only.get(name, ())):
                for group in rows:
                    tally[group[column]] += group["count"]
            counts[name] = tally
        return counts


def partitioned(groups: list[dict], chosen: dict[FacetName, frozenset]) -> Partition:
    if not chosen:
        return Partition(groups, {})
    passing: list[dict] = []
    failing_only: dict[FacetName, list[dict]] = defaultdict(list)
    for group in groups:
        failed = [facet for facet, values in chosen.items() if not _accepts(facet, values, group)]
        if not failed:
            passing.append(group)
        elif len(failed) == 1:
            failing_only[failed[0]].append(group)
    return Partition(passing, failing_only)
