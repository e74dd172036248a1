"""Admin changelist pieces that read a page, not the table, at a million datasets: a paginator that counts up to a
bound and estimates beyond it, a year filter and a file-format filter read from indexes."""

import json
from datetime import datetime

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Max, Min, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import cached_property

from catalogue.models import Dataset

EXACT_COUNT_UP_TO = 1_000


class EstimatedCountPaginator(Paginator):
    """Counts the rows exactly up to EXACT_COUNT_UP_TO (reading at most that many), and beyond gives PostgreSQL's
    estimate of the query's rows (its plan, no table read); `estimated` says which. A list of a million datasets
    costs its page, where Django's count read every row of it."""

    estimated = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        exact = queryset.order_by()[: EXACT_COUNT_UP_TO + 1].count()
        if exact <= EXACT_COUNT_UP_TO:
            return exact
        self.estimated = True
        plan = json.loads(queryset.order_by().explain(format="json"))
        return max(int(plan[0]["Plan"]["Plan Rows"]), exact)


class CreationYearFilter(admin.SimpleListFilter):
    """The years the data were taken in, from the first to the last (two reads of the creation index), instead of
    the date hierarchy's DISTINCT over every row."""

    title = "year taken"
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        span = Dataset.objects.aggregate(first=Min("creation_time"), last=Max("creation_time"))
        if span["first"] is None:
            return []
        first, last = (timezone.localtime(span[end]).year for end in ("first", "last"))
        return [(str(year), str(year)) for year in range(last, first - 1, -1)]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value() or ""
        if not value.isdigit():
            return queryset
        year = int(value)
        if not 1 <= year < 9999:
            return queryset.none()
        start, end = (timezone.make_aware(datetime(y, 1, 1)) for y in (year, year + 1))
        return queryset.filter(creation_time__gte=start, creation_time__lt=end)


# A loose index scan: one probe of dataset_file_format per distinct format, where DISTINCT reads every row.
_FILE_FORMATS = """
WITH RECURSIVE formats(file_format) AS (
    (SELECT file_format FROM catalogue_dataset ORDER BY file_format LIMIT 1)
    UNION ALL
    SELECT (SELECT d.file_format FROM catalogue_dataset d WHERE d.file_format > f.file_format
            ORDER BY d.file_format LIMIT 1)
    FROM formats f WHERE f.file_format IS NOT NULL
)
SELECT file_format FROM formats WHERE file_format IS NOT NULL
"""


def file_formats() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(_FILE_FORMATS)
        return [row[0] for row in cursor.fetchall()]


class FileFormatFilter(admin.SimpleListFilter):
    title = "file format"
    parameter_name = "file_format"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(name, name or "(none)") for name in file_formats()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset if self.value() is None else queryset.filter(file_format=self.value())
