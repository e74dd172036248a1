"""The dataset changelist at scale: counts read at most a bounded number of rows and estimate beyond, the year and
file-format filters read indexes, and no statement of the page counts or de-duplicates the whole table."""

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalogue import changelists
from tests.factories import DatasetFactory

URL = "/admin/catalogue/dataset/"


@pytest.fixture
def datasets(db):
    def taken(year: int):
        return timezone.make_aware(datetime(year, 5, 1, 12))

    return [
        DatasetFactory(creation_time=taken(2019), file_format="NeXus/HDF5"),
        DatasetFactory(creation_time=taken(2022), file_format="CBF"),
        DatasetFactory(creation_time=taken(2022), file_format=""),
    ]


def listed(client, **params: str) -> list[int]:
    page = client.get(URL, params)
    assert page.status_code == 200
    return sorted(dataset.pk for dataset in page.context["cl"].result_list)


def test_year_filter_offers_the_years_from_first_to_last_and_filters_on_them(datasets, steward_client):
    page = steward_client.get(URL).content.decode()
    assert all(f"?year={year}" in page for year in (2019, 2020, 2021, 2022)) and "?year=2018" not in page
    assert listed(steward_client, year="2022") == sorted(d.pk for d in datasets[1:])
    assert listed(steward_client, year="2020") == []
    assert listed(steward_client, year="99999") == [] and len(listed(steward_client, year="later")) == 3


def test_file_format_filter_lists_each_format_once_and_filters_on_it(datasets, steward_client):
    assert changelists.file_formats() == ["", "CBF", "NeXus/HDF5"]
    assert listed(steward_client, file_format="CBF") == [datasets[1].pk]
    assert listed(steward_client, file_format="") == [datasets[2].pk]


def test_counts_exactly_up_to_the_bound_then_says_about_the_estimate(datasets, steward_client, monkeypatch):
    page = steward_client.get(URL)
    assert page.context["cl"].result_count == 3 and not page.context["cl"].paginator.estimated
    monkeypatch.setattr(changelists, "EXACT_COUNT_UP_TO", 2)
    with CaptureQueriesContext(connection) as captured:
        page = steward_client.get(URL)
    assert page.context["cl"].paginator.estimated and page.context["cl"].result_count >= 3
    assert f"about {page.context['cl'].result_count} datasets" in " ".join(page.content.decode().split())
    dataset_reads = [q["sql"] for q in captured if 'FROM "catalogue_dataset"' in q["sql"]]
    assert dataset_reads
    for sql in dataset_reads:
        assert "DISTINCT" not in sql, sql
        assert "COUNT(*)" not in sql or "LIMIT 3" in sql, sql  # the page count, bounded


def test_dataset_list_is_ordered_by_title_then_pid(db, steward_client):
    same = [DatasetFactory(title="Same title") for _ in range(2)]
    first = DatasetFactory(title="A first title")
    page = steward_client.get(URL)
    assert [d.pk for d in page.context["cl"].result_list][:3] == [first.pk] + [
        d.pk for d in sorted(same, key=lambda d: d.pid)
    ]


def test_proposal_list_counts_the_same_way(datasets, steward_client, monkeypatch):
    monkeypatch.setattr(changelists, "EXACT_COUNT_UP_TO", 2)
    page = steward_client.get("/admin/catalogue/proposal/")
    assert page.status_code == 200 and page.context["cl"].paginator.estimated
    assert f"about {page.context['cl'].result_count} proposals" in " ".join(page.content.decode().split())
