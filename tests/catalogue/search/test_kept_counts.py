"""Open datasets per facet key combination as PostgreSQL keeps them (catalogue.search.counts.kept): always equal to a
count of the facet rows an anonymous visitor may see, whatever changed, whenever, and however it was written."""

import time
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from catalogue import visibility
from catalogue.models import Dataset, DatasetFacets, FacetCountDelta
from catalogue.models.facets import FACET_KEYS
from catalogue.search import counts, datasets
from catalogue.services import opening
from catalogue.tasks import compact_facet_counts
from tests.factories import DatasetFactory, InstrumentFactory, ProposalFactory, TechniqueFactory

pytestmark = pytest.mark.django_db


def kept() -> Counter:
    return Counter({tuple(group[key] for key in _keys()): group["count"] for group in counts.kept()})


def counted_afresh() -> Counter:
    """The visibility module's own answer, through the ORM."""
    rows = visibility.facet_rows_visible_to(AnonymousUser()).order_by().values(*FACET_KEYS)
    return Counter({tuple(row[key] for key in FACET_KEYS): row["n"] for row in rows.annotate(n=Count("pk"))})


def _keys() -> tuple[str, ...]:
    return ("technique_set", *FACET_KEYS[1:])


@pytest.fixture
def catalogue() -> dict[str, Dataset]:
    saxs = TechniqueFactory()
    waxs = TechniqueFactory(panet_id="PaNET01191", name="wide angle x-ray scattering")
    instrument = InstrumentFactory()
    return {
        "open": DatasetFactory(instrument=instrument, techniques=[saxs]),
        "open_too": DatasetFactory(instrument=instrument, techniques=[saxs]),
        "other": DatasetFactory(techniques=[saxs, waxs], file_format="CBF"),
        "embargoed": DatasetFactory(instrument=instrument, embargoed=True),
        "withdrawn": DatasetFactory(withdrawn_at=timezone.now()),
    }


def test_the_kept_counts_are_the_visible_rows_counted(catalogue) -> None:
    assert kept() == counted_afresh()
    assert sum(kept().values()) == 3


def test_every_kind_of_change_is_counted_in_the_same_transaction(catalogue) -> None:
    later = timezone.now() + timedelta(days=365)
    Dataset.objects.filter(pk=catalogue["open"].pk).update(release_date=later)  # embargo extended
    assert kept() == counted_afresh()
    Dataset.objects.filter(pk=catalogue["embargoed"].pk).update(open_now=True)  # opened early
    assert kept() == counted_afresh()
    Dataset.objects.filter(pk=catalogue["open_too"].pk).update(withdrawn_at=timezone.now())
    assert kept() == counted_afresh()
    catalogue["other"].techniques.clear()  # moves to another technique set
    catalogue["other"].instrument = InstrumentFactory()
    catalogue["other"].save()
    assert kept() == counted_afresh()
    with connection.cursor() as cursor:  # a steward's bulk fix in SQL
        cursor.execute("UPDATE catalogue_dataset SET file_format = 'HDF5', withdrawn_at = NULL")
    assert kept() == counted_afresh()
    Dataset.objects.filter(pk=catalogue["embargoed"].pk).delete()
    assert kept() == counted_afresh()
    assert sum(kept().values()) == 3  # open, other, open_too (no longer withdrawn)


def test_a_release_date_passing_counts_the_dataset_without_any_write(catalogue) -> None:
    soon = DatasetFactory(instrument=catalogue["open"].instrument, techniques=list(catalogue["open"].techniques.all()))
    Dataset.objects.filter(pk=soon.pk).update(release_date=timezone.now() + timedelta(seconds=1))
    before = sum(kept().values())
    assert kept() == counted_afresh()
    time.sleep(1.2)
    assert sum(kept().values()) == before + 1
    assert DatasetFacets.objects.get(pk=soon.pk).counted_open is False  # counted live, through the pending index

    opening.open_due()  # the hourly sweep writes the opening: from then on the log counts it
    assert DatasetFacets.objects.get(pk=soon.pk).counted_open is True
    assert kept() == counted_afresh()
    assert sum(kept().values()) == before + 1


def test_folding_the_log_keeps_every_count_and_one_row_per_combination(catalogue) -> None:
    for dataset in catalogue.values():
        Dataset.objects.filter(pk=dataset.pk).update(release_date=timezone.now() + timedelta(days=1))
        Dataset.objects.filter(pk=dataset.pk).update(release_date=timezone.now() - timedelta(days=1))
    expected = counted_afresh()
    assert FacetCountDelta.objects.count() > len(expected)
    compact_facet_counts()  # the periodic task, as the beat schedule calls it
    assert kept() == expected
    assert FacetCountDelta.objects.count() == len(expected)
    assert all(delta.datasets > 0 for delta in FacetCountDelta.objects.all())


def test_a_bulk_load_appends_one_row_per_combination_not_per_dataset() -> None:
    proposal = ProposalFactory()
    instrument = InstrumentFactory(facility=proposal.facility)
    FacetCountDelta.objects.all().delete()
    Dataset.objects.bulk_create(
        [
            Dataset(
                pid=f"bulk/{n}",
                title=f"bulk {n}",
                proposal=proposal,
                instrument=instrument,
                creation_time=timezone.now() - timedelta(days=2000),
                release_date=timezone.now() - timedelta(days=900),
                file_format="NeXus/HDF5",
            )
            for n in range(200)
        ]
    )
    assert FacetCountDelta.objects.count() == 1
    assert kept() == counted_afresh()
    assert sum(kept().values()) == 200


def test_the_open_parts_split_the_visible_rows_in_two(catalogue) -> None:
    soon = DatasetFactory()
    Dataset.objects.filter(pk=soon.pk).update(release_date=timezone.now() + timedelta(seconds=1))
    time.sleep(1.2)
    counted, released = (set(part.values_list("pk", flat=True)) for part in datasets.open_rows(Q()))
    assert released == {soon.pk}
    assert not counted & released
    assert counted | released == set(visibility.facet_rows_visible_to(AnonymousUser()).values_list("pk", flat=True))
