"""Datasets per combination of facet keys among open data, for anonymous visitors, without scanning the catalogue.

PostgreSQL keeps the counts (catalogue/search/sql/facet_counts.sql): each facet row records whether it was open when
last written (`counted_open`), and every change to the rows appends the change in counted-open rows per combination
to FacetCountDelta. A row counted open stays open until a write changes it (a release date once passed stays passed;
extending an embargo or withdrawing is a write). What the log cannot know is a release date passing with no write
since: those rows are read live, through a partial index that holds only rows not counted open. Both parts are
read in one statement, so the answer is exact at that moment (the statement's, not the transaction's start), and
never counts embargoed data.
"""

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q, QuerySet
from django.utils import timezone

from catalogue.models import DatasetFacets, DatasetPosting, FacetCountDelta, FacetGroup
from catalogue.models.facets import FACET_KEYS

KEYS = FACET_KEYS
_KEY_LIST = ", ".join(KEYS)
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


def open_parts() -> tuple[Q, Q]:
    """The open facet rows as two disjoint parts: those counted open, which stay open until a write changes them,
    and those released since they were last written (a range of the partial index of rows not counted open)."""
    released = Q(counted_open=False, withdrawn_at__isnull=True, release_date__lte=timezone.now())
    return Q(counted_open=True), released


def _reading() -> BaseDatabaseWrapper:
    """The connection the ORM reads from in this request: a replica for a public read (pancommons/replicas.py)."""
    return connections[router.db_for_read(FacetGroup)]


def open_groups() -> list[dict]:
    """Open datasets counted per combination of facet keys: [{technique_set, instrument_id, …, count}]."""
    with _reading().cursor() as cursor:
        cursor.execute(OPEN_GROUPS)
        return [_group(*row) for row in cursor.fetchall()]


def with_keys(counts: QuerySet) -> list[dict]:
    """Counts per FacetGroup id (`counts` gives (group id, count) rows) as open_groups gives them, keyed by the facet
    keys: joined in the same statement, since thousands of ids sent back as a list cost more than the counting."""
    try:
        sql, params = counts.query.sql_with_params()
    except EmptyResultSet:  # a condition no row can meet (a text without indexed terms)
        return []
    return _keyed(sql, params)


def text_groups(term_ids: list[int], exact: list[int]) -> list[dict]:
    """The datasets counted open that hold a posting of one of `term_ids` or are among `exact`, counted per
    combination of facet keys as open_groups gives them.

    Read off the postings alone, which carry their dataset's group while it is counted open (sql/posting_groups.sql): a
    text's postings are a few percent of the catalogue's, where every open dataset's group was merged with them.
    """
    matched = f"""
        SELECT dataset_id, open_group_id FROM {DatasetPosting._meta.db_table}
        WHERE term_id = ANY(%s) AND open_group_id IS NOT NULL
        UNION
        SELECT dataset_id, group_id FROM {DatasetFacets._meta.db_table} WHERE dataset_id = ANY(%s) AND counted_open
    """
    return _keyed(f"SELECT open_group_id, count(*) FROM ({matched}) matched GROUP BY open_group_id", [term_ids, exact])


def _keyed(counts_sql: str, params: Sequence[Any]) -> list[dict]:
    keyed = f"""
        SELECT g.technique_set_id, {", ".join(f"g.{key}" for key in KEYS[1:])}, counted.n
        FROM ({counts_sql}) AS counted (group_id, n) JOIN {FacetGroup._meta.db_table} g ON g.id = counted.group_id
    """
    with _reading().cursor() as cursor:
        cursor.execute(keyed, params)
        return [_group(*row) for row in cursor.fetchall()]


def _group(
    technique_set: int, instrument: int | None, facility: int | None, year: int | None, file_format: str, count: int
) -> dict:
    return {
        "technique_set": technique_set,
        "instrument_id": instrument,
        "facility_id": facility,
        "year": year,
        "file_format": file_format,
        "count": count,
    }


def compact() -> int:
    """Fold the log (run periodically and after bulk loads); returns the rows left."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(COMPACT)
        return cursor.rowcount
