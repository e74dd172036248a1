"""Counting page views and downloads (catalogue.models.statistics): one upsert of the record's statistics row, never
a write of the record itself (a dataset's row carries search and facet triggers and its lock)."""

from dataclasses import dataclass
from typing import Literal

from django.db import connection
from django.db.models import Sum

from catalogue.models import Dataset, DatasetStatistics, DocumentStatistics

Kind = Literal["document", "dataset"]
MODELS: dict[Kind, type[DocumentStatistics] | type[DatasetStatistics]] = {
    "document": DocumentStatistics,
    "dataset": DatasetStatistics,
}


def _add(kind: Kind, pk: int, counts: dict[str, int]) -> dict[str, int]:
    """Adds `counts` (column → number) to the record's row, made when missing; returns the columns' new values."""
    model = MODELS[kind]
    table, key = model._meta.db_table, model._meta.pk.column
    # A new row gets every counter, 0 but those counted (the columns have no database default).
    every = [field.column for field in model._meta.concrete_fields if field.column and not field.primary_key]
    columns = list(counts)
    sql = (
        f"INSERT INTO {table} ({key}, {', '.join(every)}) VALUES (%s{', %s' * len(every)}) "
        f"ON CONFLICT ({key}) DO UPDATE SET "
        + ", ".join(f"{column} = {table}.{column} + EXCLUDED.{column}" for column in columns)
        + f" RETURNING {', '.join(columns)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk, *(counts.get(column, 0) for column in every)])
        row = cursor.fetchone()
    return dict(zip(columns, row, strict=True))


def add_views(*, kind: Kind, pk: int, number: int) -> int:
    """Adds `number` page views to a document's or dataset's count; returns the new count."""
    return _add(kind, pk, {"view_count": number})["view_count"]


def views(*, kind: Kind, pk: int) -> int:
    """The page views counted so far (0 for a record never counted)."""
    return MODELS[kind].objects.filter(pk=pk).values_list("view_count", flat=True).first() or 0


def add_download(*, dataset_id: int, outside: bool) -> None:
    """Counts one download of the dataset; `outside` when by someone outside its team (reuse, the carbon block)."""
    _add("dataset", dataset_id, {"download_count": 1, "outside_download_count": int(outside)})


def of_dataset(*, dataset: Dataset) -> DatasetStatistics:
    """The dataset's counts; an unsaved row of zeros when it has none."""
    return DatasetStatistics.objects.filter(dataset=dataset).first() or DatasetStatistics(dataset=dataset)


@dataclass(frozen=True)
class Downloads:
    total: int = 0
    outside: int = 0


def downloads(*, dataset_ids: list[int]) -> Downloads:
    """The downloads of these datasets together, in one query."""
    if not dataset_ids:
        return Downloads()
    sums = DatasetStatistics.objects.filter(dataset_id__in=dataset_ids).aggregate(
        total=Sum("download_count"), outside=Sum("outside_download_count")
    )
    return Downloads(total=sums["total"] or 0, outside=sums["outside"] or 0)
