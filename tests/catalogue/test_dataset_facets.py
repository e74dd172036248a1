"""The narrow facet copy (DatasetFacets) follows every change of what it copies, in the same transaction."""

import threading
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from catalogue.models import Dataset, DatasetFacets, FacetGroup, Parameter, TechniqueSet
from catalogue.models.facets import RANGED_PARAMETERS
from tests.factories import (
    DatasetFactory,
    FacilityFactory,
    InstrumentFactory,
    ParameterFactory,
    ProposalFactory,
    TechniqueFactory,
)

pytestmark = pytest.mark.django_db


def expected_row(dataset: Dataset) -> dict:
    """What the copy must hold, computed from the catalogue through the ORM."""
    dataset.refresh_from_db()
    facility = dataset.instrument.facility_id if dataset.instrument else dataset.proposal.facility_id
    keys = {
        "instrument_id": dataset.instrument_id,
        "facility_id": facility,
        "year": dataset.creation_time.astimezone(UTC).year,
        "file_format": dataset.file_format,
        "technique_set__techniques": sorted(dataset.techniques.values_list("pk", flat=True)),
    }
    return {
        "proposal_id": dataset.proposal_id,
        "creation_time": dataset.creation_time,
        **keys,
        **{f"group__{key}": value for key, value in keys.items()},  # the group holds the row's own keys
        "release_date": dataset.release_date,
        "open_now": dataset.open_now,
        "withdrawn_at": dataset.withdrawn_at,
    }


def copied_row(dataset: Dataset) -> dict:
    return DatasetFacets.objects.filter(pk=dataset.pk).values(*expected_row(dataset)).get()


def test_a_new_dataset_gets_its_row_with_facility_and_techniques() -> None:
    saxs = TechniqueFactory()
    waxs = TechniqueFactory(panet_id="PaNET01191", name="wide angle x-ray scattering")
    dataset = DatasetFactory(techniques=[waxs, saxs])
    assert copied_row(dataset) == expected_row(dataset)
    assert copied_row(dataset)["technique_set__techniques"] == sorted([saxs.pk, waxs.pk])


def test_edits_that_matter_are_copied_at_once() -> None:
    dataset = DatasetFactory()
    Dataset.objects.filter(pk=dataset.pk).update(
        release_date=timezone.now() + timedelta(days=400),
        file_format="CBF",
        creation_time=datetime(2011, 12, 31, 23, 30, tzinfo=UTC),
    )
    row = copied_row(dataset)
    assert row == expected_row(dataset)
    assert (row["file_format"], row["year"]) == ("CBF", 2011)

    dataset.withdrawn_at = timezone.now()
    dataset.open_now = True
    dataset.save()
    assert copied_row(dataset) == expected_row(dataset)


def test_technique_links_added_removed_and_replaced() -> None:
    first = TechniqueFactory()
    second = TechniqueFactory(panet_id="PaNET01191", name="wide angle x-ray scattering")
    dataset = DatasetFactory()
    dataset.techniques.add(first)
    assert copied_row(dataset)["technique_set__techniques"] == [first.pk]
    dataset.techniques.set([second])
    assert copied_row(dataset)["technique_set__techniques"] == [second.pk]
    dataset.techniques.clear()
    assert copied_row(dataset)["technique_set__techniques"] == []
    first.datasets.add(dataset)  # from the other side of the link
    assert copied_row(dataset)["technique_set__techniques"] == [first.pk]


def test_facility_follows_the_instrument_or_else_the_proposal() -> None:
    dataset = DatasetFactory()
    elsewhere = FacilityFactory()
    instrument = dataset.instrument
    assert instrument is not None
    instrument.facility = elsewhere
    instrument.save()
    assert copied_row(dataset)["facility_id"] == elsewhere.pk

    without_instrument = DatasetFactory(instrument=None, proposal=ProposalFactory())
    proposal = without_instrument.proposal
    proposal.facility = elsewhere
    proposal.save()
    assert copied_row(without_instrument)["facility_id"] == elsewhere.pk

    dataset.instrument = InstrumentFactory()
    dataset.save()
    assert copied_row(dataset) == expected_row(dataset)


def test_deleting_a_dataset_deletes_its_row() -> None:
    kept, gone = DatasetFactory(), DatasetFactory()
    gone_pk = gone.pk
    gone.delete()
    assert not DatasetFacets.objects.filter(pk=gone_pk).exists()
    assert DatasetFacets.objects.filter(pk=kept.pk).exists()


def test_bulk_statements_are_copied_too() -> None:
    """Raw SQL (a steward's script, the generator's COPY) bypasses Django and still reaches the copy."""
    datasets = DatasetFactory.create_batch(3)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE catalogue_dataset SET open_now = true WHERE id = ANY(%s)", [[d.pk for d in datasets]])
    assert all(copied_row(dataset)["open_now"] for dataset in datasets)
    assert DatasetFacets.objects.count() == Dataset.objects.count()


def test_datasets_with_the_same_techniques_share_one_technique_set() -> None:
    saxs = TechniqueFactory()
    waxs = TechniqueFactory(panet_id="PaNET01191", name="wide angle x-ray scattering")
    first, second = DatasetFactory(techniques=[saxs, waxs]), DatasetFactory(techniques=[waxs, saxs])
    untagged = DatasetFactory()
    rows = DatasetFacets.objects.in_bulk([first.pk, second.pk, untagged.pk])
    assert rows[first.pk].technique_set_id == rows[second.pk].technique_set_id
    assert rows[untagged.pk].technique_set.techniques == []
    assert TechniqueSet.objects.filter(techniques=sorted([saxs.pk, waxs.pk])).count() == 1


def test_rows_with_the_same_keys_share_one_group_and_a_new_combination_gets_its_own() -> None:
    saxs = TechniqueFactory()
    instrument = InstrumentFactory()
    taken = datetime(2021, 3, 1, tzinfo=UTC)
    first = DatasetFactory(instrument=instrument, techniques=[saxs], creation_time=taken)
    second = DatasetFactory(instrument=instrument, techniques=[saxs], creation_time=taken + timedelta(days=30))
    without_instrument = DatasetFactory(
        instrument=None, proposal=first.proposal, techniques=[saxs], creation_time=taken
    )

    def group(dataset: Dataset) -> int:
        return DatasetFacets.objects.values_list("group", flat=True).get(pk=dataset.pk)

    assert group(first) == group(second) != group(without_instrument)
    groups = FacetGroup.objects.count()
    Dataset.objects.filter(pk=second.pk).update(file_format="CBF")
    assert group(second) != group(first)
    assert FacetGroup.objects.count() == groups + 1
    Dataset.objects.filter(pk=second.pk).update(file_format=first.file_format)
    assert group(second) == group(first)
    assert FacetGroup.objects.count() == groups + 1  # the old combination is found again, not added twice


@pytest.mark.django_db(transaction=True)
def test_two_writers_adding_the_same_new_combination_at_once_share_one_group() -> None:
    """The second writer waits for the first to commit its group, then takes it (the trigger's second look)."""
    first = DatasetFactory()
    second = DatasetFactory(instrument=first.instrument, creation_time=first.creation_time)
    database = connection.settings_dict
    dsn = psycopg.conninfo.make_conninfo(
        host=database["HOST"], port=database["PORT"], user=database["USER"], dbname=database["NAME"]
    )
    update = "UPDATE catalogue_dataset SET file_format = 'Zarr' WHERE id = %s"
    with psycopg.connect(dsn) as writer, psycopg.connect(dsn) as other:
        writer.execute(update, [first.pk])  # uncommitted: its new group is invisible to the other writer

        def second_update() -> None:
            other.execute(update, [second.pk])
            other.commit()

        waiting = threading.Thread(target=second_update)
        waiting.start()
        waiting.join(timeout=1)
        assert waiting.is_alive()  # blocked on the key the first writer inserted
        writer.commit()
        waiting.join(timeout=10)
        assert not waiting.is_alive()
    rows = DatasetFacets.objects.filter(pk__in=[first.pk, second.pk])
    assert rows.values("group").distinct().count() == 1
    assert FacetGroup.objects.filter(file_format="Zarr").count() == 1
    assert str(rows.values_list("group__key", flat=True).first()).endswith("/'Zarr'")


def test_range_parameters_are_copied_as_lowest_highest_and_count() -> None:
    dataset = DatasetFactory()
    first = ParameterFactory(dataset=dataset, value_si=300.0)
    ParameterFactory(dataset=dataset, value_si=250.0)
    ParameterFactory(dataset=dataset, value_si=9.0, dimension="[length]")  # wrong dimension: not a temperature
    ParameterFactory(dataset=dataset, name="incident_wavelength", value_si=1e-10, dimension="[length]")
    row = DatasetFacets.objects.get(pk=dataset.pk)
    assert (row.temperature_low, row.temperature_high, row.temperature_count) == (250.0, 300.0, 2)
    assert (row.wavelength_low, row.wavelength_count, row.energy_count) == (1e-10, 1, 0)

    first.value_si = 400.0
    first.save()
    Parameter.objects.filter(dataset=dataset, value_si=250.0).delete()
    row.refresh_from_db()
    assert (row.temperature_low, row.temperature_high, row.temperature_count) == (400.0, 400.0, 1)


def test_the_copied_parameters_are_the_portals_range_kinds() -> None:
    from catalogue.search.criteria import RANGE_KINDS

    assert {kind.key: (kind.parameter, kind.dimension) for kind in RANGE_KINDS.values()} == RANGED_PARAMETERS
