"""The search SQL in catalogue/search/sql/ is what the database runs, and the recipe "Add a facet or a range
parameter" (docs/recipes.md) works: a range parameter added by a migration is copied, and goes when rolled back."""

import pytest
from django.db import connection, migrations, models
from django.db.migrations.executor import MigrationExecutor

from catalogue.models.facets import RANGED_PARAMETERS
from catalogue.search.database import InstallSearchSQL, search_sql
from tests.factories import DatasetFactory, ParameterFactory

pytestmark = pytest.mark.django_db

SEARCH_FUNCTIONS = """
    SELECT proname, pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public' AND proname LIKE 'catalogue\\_%%' ORDER BY proname
"""
SEARCH_TRIGGERS = "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal ORDER BY 2"


def installed() -> tuple[list, list]:
    with connection.cursor() as cursor:
        cursor.execute(SEARCH_FUNCTIONS)
        functions = cursor.fetchall()
        cursor.execute(SEARCH_TRIGGERS)
        return functions, cursor.fetchall()


def copied(dataset_id: int, columns: list[str]) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM catalogue_datasetfacets WHERE dataset_id = %s", [dataset_id])
        return cursor.fetchone()


def test_the_database_runs_the_sql_in_the_files() -> None:
    before = installed()
    with connection.cursor() as cursor:
        cursor.execute(search_sql(), None)
    assert installed() == before


def throwaway_migration() -> migrations.Migration:
    """What the recipe has a developer write for a new range parameter, "sample thickness" in metres."""

    class SampleThickness(migrations.Migration):
        operations = [
            migrations.AddField("datasetfacets", "thickness_low", models.FloatField(null=True)),
            migrations.AddField("datasetfacets", "thickness_high", models.FloatField(null=True)),
            migrations.AddField("datasetfacets", "thickness_count", models.PositiveSmallIntegerField(default=0)),
            InstallSearchSQL(ranged={**RANGED_PARAMETERS, "thickness": ("sample_thickness", "[length]")}, refresh=True),
        ]

    return SampleThickness("9999_sample_thickness", "catalogue")


def test_a_range_parameter_added_by_a_migration_is_copied_and_goes_when_rolled_back() -> None:
    measured_before = DatasetFactory()
    ParameterFactory(dataset=measured_before, name="sample_thickness", value_si=0.002, dimension="[length]")
    executor = MigrationExecutor(connection)
    leaf = executor.loader.graph.leaf_nodes("catalogue")[0]
    state = executor.loader.project_state(leaf)
    migration = throwaway_migration()
    with connection.schema_editor(atomic=True) as editor:
        after = migration.apply(state.clone(), editor)

    # Existing rows are filled by the migration, new ones by the triggers.
    assert copied(measured_before.pk, ["thickness_low", "thickness_high", "thickness_count"]) == (0.002, 0.002, 1)
    dataset = DatasetFactory()
    for value in (0.001, 0.003):
        ParameterFactory(dataset=dataset, name="sample_thickness", value_si=value, dimension="[length]")
    ParameterFactory(dataset=dataset, name="sample_thickness", value_si=5.0, dimension="[time]")  # not a length
    ParameterFactory(dataset=dataset)  # 25 °C
    assert copied(dataset.pk, ["thickness_low", "thickness_high", "thickness_count"]) == (0.001, 0.003, 2)
    assert copied(dataset.pk, ["temperature_low", "temperature_count"]) == (298.15, 1)  # the others as before

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with connection.schema_editor(atomic=True) as editor:
        migration.unapply(after, editor)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'catalogue_datasetfacets'"
        )
        assert not [name for (name,) in cursor.fetchall() if name.startswith("thickness")]
    rolled_back = DatasetFactory()
    ParameterFactory(dataset=rolled_back, value_si=300.0, dimension="[temperature]")
    assert copied(rolled_back.pk, ["temperature_low", "temperature_count"]) == (300.0, 1)
