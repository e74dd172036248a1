"""Each dataset posting carries its dataset's facet group while the facet row is counted open (migration 0014)."""

import threading
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from catalogue.models import Dataset, DatasetFacets, DatasetPosting, SearchGroup
from catalogue.search import index
from tests.factories import DatasetFactory, InstrumentFactory

pytestmark = pytest.mark.django_db


def mismatches() -> list[tuple]:
    """Postings whose group is not their facet row's group while counted open (else null)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT p.dataset_id, p.open_group_id, f.group_id, f.counted_open
            FROM catalogue_datasetposting p LEFT JOIN catalogue_datasetfacets f ON f.dataset_id = p.dataset_id
            WHERE p.open_group_id IS DISTINCT FROM CASE WHEN f.counted_open THEN f.group_id END
            """
        )
        return cursor.fetchall()


def groups_of(dataset: Dataset) -> set:
    return set(DatasetPosting.objects.filter(dataset=dataset).values_list("open_group", flat=True))


def facet_group(dataset: Dataset) -> int:
    return DatasetFacets.objects.values_list("group", flat=True).get(pk=dataset.pk)


def test_new_postings_take_the_group_of_their_open_dataset() -> None:
    datasets = [DatasetFactory(), DatasetFactory(file_format="CBF")]
    index.reindex_datasets(dataset_ids=[dataset.pk for dataset in datasets])
    for dataset in datasets:
        assert groups_of(dataset) == {facet_group(dataset)}
    assert mismatches() == []


def test_a_rebuilt_index_carries_the_groups_too() -> None:
    datasets = [DatasetFactory(), DatasetFactory(instrument=InstrumentFactory())]
    index.rebuild(group=SearchGroup.DATASETS)
    assert DatasetPosting.objects.filter(dataset__in=datasets).exists()
    assert mismatches() == []


def test_postings_follow_every_change_of_the_facet_row() -> None:
    dataset, other = DatasetFactory(), DatasetFactory()
    index.reindex_datasets(dataset_ids=[dataset.pk, other.pk])

    Dataset.objects.filter(pk=dataset.pk).update(instrument=InstrumentFactory())  # a new combination of keys
    assert groups_of(dataset) == {facet_group(dataset)} != groups_of(other)

    Dataset.objects.filter(pk=dataset.pk).update(release_date=timezone.now() + timedelta(days=400))  # embargoed
    assert groups_of(dataset) == {None}

    Dataset.objects.filter(pk=dataset.pk).update(open_now=True)  # opened early
    assert groups_of(dataset) == {facet_group(dataset)}

    Dataset.objects.filter(pk=dataset.pk).update(withdrawn_at=timezone.now())
    assert groups_of(dataset) == {None}

    with connection.cursor() as cursor:  # the facet row gone: nothing left to count the postings by
        cursor.execute("DELETE FROM catalogue_datasetfacets WHERE dataset_id = %s", [other.pk])
    assert groups_of(other) == {None}
    assert mismatches() == []


def test_a_dataset_no_longer_open_loses_its_postings_and_their_groups() -> None:
    dataset = DatasetFactory()
    index.reindex_datasets(dataset_ids=[dataset.pk])
    Dataset.objects.filter(pk=dataset.pk).update(release_date=timezone.now() + timedelta(days=400))
    index.reindex_datasets(dataset_ids=[dataset.pk])
    assert groups_of(dataset) == set()


def _dsn() -> str:
    database = connection.settings_dict
    return psycopg.conninfo.make_conninfo(
        host=database["HOST"], port=database["PORT"], user=database["USER"], dbname=database["NAME"]
    )


def _reindex_in_its_own_connection(dataset: Dataset) -> None:
    try:
        index.reindex_datasets(dataset_ids=[dataset.pk])
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_reindex_during_an_uncommitted_change_of_the_facet_row_takes_the_committed_group() -> None:
    """The reindex waits on the facet row's share lock, then reads the row as the writer committed it."""
    dataset, moved_to = DatasetFactory(), InstrumentFactory()
    with psycopg.connect(_dsn()) as writer:
        writer.execute("UPDATE catalogue_dataset SET instrument_id = %s WHERE id = %s", [moved_to.pk, dataset.pk])
        indexing = threading.Thread(target=_reindex_in_its_own_connection, args=[dataset])
        indexing.start()
        indexing.join(timeout=1)
        assert indexing.is_alive()  # waiting for the writer
        writer.commit()
        indexing.join(timeout=10)
        assert not indexing.is_alive()
    assert groups_of(dataset) == {facet_group(dataset)}
    assert DatasetFacets.objects.get(pk=dataset.pk).instrument_id == moved_to.pk
    assert mismatches() == []


@pytest.mark.django_db(transaction=True)
def test_a_change_of_the_facet_row_during_an_uncommitted_reindex_updates_the_new_postings() -> None:
    """The writer waits for the reindex to commit, then updates the postings it wrote: never a stale group."""
    dataset = DatasetFactory()
    index.reindex_datasets(dataset_ids=[dataset.pk])
    with psycopg.connect(_dsn()) as indexer, psycopg.connect(_dsn()) as writer:
        indexer.execute(
            "SELECT 1 FROM catalogue_datasetfacets WHERE dataset_id = %s FOR SHARE", [dataset.pk]
        )  # as index.reindex does before rewriting the postings
        indexer.execute("DELETE FROM catalogue_datasetposting WHERE dataset_id = %s", [dataset.pk])
        indexer.execute(
            "INSERT INTO catalogue_datasetposting (term_id, dataset_id, tf) "
            "SELECT id, %s, 1 FROM catalogue_searchterm WHERE \"group\" = 'datasets' LIMIT 3",
            [dataset.pk],
        )
        embargo = "UPDATE catalogue_dataset SET release_date = now() + interval '1 year' WHERE id = %s"

        def change() -> None:
            writer.execute(embargo, [dataset.pk])
            writer.commit()

        changing = threading.Thread(target=change)
        changing.start()
        changing.join(timeout=1)
        assert changing.is_alive()  # waiting for the indexer's share lock
        assert indexer.execute(
            "SELECT count(*) FROM catalogue_datasetposting WHERE dataset_id = %s AND open_group_id IS NOT NULL",
            [dataset.pk],
        ).fetchone() == (3,)
        indexer.commit()
        changing.join(timeout=10)
        assert not changing.is_alive()
    assert groups_of(dataset) == {None}
    assert mismatches() == []
