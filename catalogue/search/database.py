"""The database side of search: the trigger and function SQL in catalogue/search/sql/, and the migration operation
that installs it. The files are the current definitions; every migration that changes what they rely on (a facet
row's columns) ends with InstallSearchSQL() (docs/recipes.md, "Add a facet or a range parameter")."""

from pathlib import Path

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import ProjectState

from catalogue.models.facets import FACET_KEYS, RANGED_PARAMETERS

SQL_DIR = Path(__file__).with_name("sql")
# In the order they are installed: the facet rows first, then the triggers on them.
FILES = ("facet_rows.sql", "facet_counts.sql", "facet_groups.sql", "posting_groups.sql")
Ranged = dict[str, tuple[str, str]]


def _of(name: str, dimension: str) -> str:
    return f"v.name = '{name}' AND v.dimension = '{dimension}'"


def placeholders(ranged: Ranged) -> dict[str, str]:
    """What the files' {names} stand for: the facet keys and, per range parameter, its three columns."""
    columns = [f"{prefix}_{part}" for prefix in ranged for part in ("low", "high", "count")]
    return {
        "facet_keys": ", ".join(FACET_KEYS),
        "new_facet_keys": ", ".join(f"NEW.{key}" for key in FACET_KEYS),
        "old_facet_keys": ", ".join(f"OLD.{key}" for key in FACET_KEYS),
        "ranged_types": ", ".join(
            f"{column} {'smallint' if column.endswith('_count') else 'double precision'}" for column in columns
        ),
        "ranged_aggregates": ",\n           ".join(
            f"min(v.value_si) FILTER (WHERE {_of(*of)}), max(v.value_si) FILTER (WHERE {_of(*of)}), "
            f"(count(*) FILTER (WHERE {_of(*of)}))::smallint"
            for of in ranged.values()
        ),
        "ranged_columns": ", ".join(columns),
        "ranged_selected": ", ".join(f"r.{column}" for column in columns),
        "ranged_updated": ", ".join(f"{column} = EXCLUDED.{column}" for column in columns),
    }


def search_sql(ranged: Ranged | None = None) -> str:
    """The files' SQL, filled in for these range parameters (by default catalogue.models.facets')."""
    values = placeholders(RANGED_PARAMETERS if ranged is None else ranged)
    return "\n".join((SQL_DIR / name).read_text().format_map(values) for name in FILES)


class InstallSearchSQL(migrations.operations.base.Operation):
    """(Re)creates every search function and trigger from the files: idempotent, keeps the data.

    `ranged` stands in for catalogue.models.facets.RANGED_PARAMETERS (a test's throwaway migration); backwards,
    the default definitions come back. `refresh` rewrites every facet row afterwards (a new range column filled;
    forwards only).
    """

    reduces_to_sql = True
    reversible = True

    def __init__(self, ranged: Ranged | None = None, refresh: bool = False) -> None:
        self.ranged = ranged
        self.refresh = refresh

    def deconstruct(self) -> tuple[str, list, dict]:
        kwargs: dict[str, object] = {}
        if self.ranged is not None:
            kwargs["ranged"] = self.ranged
        if self.refresh:
            kwargs["refresh"] = True
        return self.__class__.__name__, [], kwargs

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass

    def _install(self, editor: BaseDatabaseSchemaEditor, ranged: Ranged | None, refresh: bool) -> None:
        # A file may name a column a later migration adds (it is the current definition): bodies are checked when
        # they run, not now.
        editor.execute("SET LOCAL check_function_bodies = off")
        editor.execute(search_sql(ranged), None)  # no parameters: format()'s %s and %I stay as written
        if refresh:
            editor.execute("SELECT catalogue_refresh_dataset_facets(ARRAY(SELECT id FROM catalogue_dataset))")

    def database_forwards(
        self, app_label: str, editor: BaseDatabaseSchemaEditor, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        self._install(editor, self.ranged, self.refresh)

    def database_backwards(
        self, app_label: str, editor: BaseDatabaseSchemaEditor, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        self._install(editor, None, refresh=False)  # the columns it would fill go next

    def describe(self) -> str:
        return "Install the search functions and triggers of catalogue/search/sql/"
