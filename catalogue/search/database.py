"""The database side of search: the trigger and function SQL of catalogue/search/sql/, filled in from
catalogue.models.facets and installed by migrations (docs/recipes.md, "Add a facet or a range parameter")."""

import re
from pathlib import Path

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import ProjectState

from catalogue.models.facets import FACET_KEYS, RANGED_PARAMETERS

# In the order they are installed: the facet rows first, then the triggers on them.
FILES = ("facet_rows.sql", "facet_counts.sql", "facet_groups.sql", "posting_groups.sql")
Ranged = dict[str, tuple[str, str]]


def search_sql(ranged: Ranged | None = None, keys: tuple[str, ...] = FACET_KEYS, files: tuple[str, ...] = FILES) -> str:
    """The files' SQL with the facet keys and, per range parameter (by default RANGED_PARAMETERS), its columns."""
    ranged = RANGED_PARAMETERS if ranged is None else ranged
    columns = [f"{prefix}_{part}" for prefix in ranged for part in ("low", "high", "count")]
    of = [f"v.name = '{name}' AND v.dimension = '{dimension}'" for name, dimension in ranged.values()]
    values = {
        "facet_keys": ", ".join(keys),
        "new_facet_keys": ", ".join(f"NEW.{key}" for key in keys),
        "old_facet_keys": ", ".join(f"OLD.{key}" for key in keys),
        "ranged_types": ", ".join(f"{c} {'smallint' if c.endswith('_count') else 'double precision'}" for c in columns),
        "ranged_aggregates": ",\n           ".join(
            f"min(v.value_si) FILTER (WHERE {o}), max(v.value_si) FILTER (WHERE {o}), "
            f"(count(*) FILTER (WHERE {o}))::smallint"
            for o in of
        ),
        "ranged_columns": ", ".join(columns),
        "ranged_selected": ", ".join(f"r.{column}" for column in columns),
        "ranged_updated": ", ".join(f"{column} = EXCLUDED.{column}" for column in columns),
    }
    return "\n".join(_read(name).format_map(values) for name in files)


def dropping_sql(files: tuple[str, ...]) -> str:
    """DROP statements for the triggers, then the functions, that the files create."""
    sql = "\n".join(map(_read, files))
    triggers = re.findall(r"CREATE OR REPLACE TRIGGER (\w+) (?:BEFORE|AFTER) [\w ]+? ON (\w+)", sql)
    functions = dict.fromkeys(re.findall(r"CREATE (?:OR REPLACE )?FUNCTION (\w+)", sql))
    return "".join(f"DROP TRIGGER {name} ON {table};\n" for name, table in triggers) + (
        f"DROP FUNCTION {', '.join(functions)};"
    )


def _read(name: str) -> str:
    return (Path(__file__).with_name("sql") / name).read_text()


class InstallSearchSQL(migrations.operations.base.Operation):
    """(Re)creates the search functions and triggers of `files` (all by default), keeping the data; backwards, drops
    them when this operation `creates` them, or else installs the default definitions. `ranged` and `keys` stand in
    for RANGED_PARAMETERS and FACET_KEYS (an older migration's, a test's throwaway migration's); `refresh` then
    rewrites every facet row."""

    reversible = True

    def __init__(
        self,
        ranged: Ranged | None = None,
        keys: tuple[str, ...] = FACET_KEYS,
        files: tuple[str, ...] = FILES,
        creates: bool = False,
        refresh: bool = False,
    ) -> None:
        self.ranged, self.keys, self.files, self.creates, self.refresh = ranged, keys, files, creates, refresh

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass

    def database_forwards(self, app_label: str, editor: BaseDatabaseSchemaEditor, *states: ProjectState) -> None:
        _install(editor, search_sql(self.ranged, self.keys, self.files))
        if self.refresh:
            editor.execute("SELECT catalogue_refresh_dataset_facets(ARRAY(SELECT id FROM catalogue_dataset))")

    def database_backwards(self, app_label: str, editor: BaseDatabaseSchemaEditor, *states: ProjectState) -> None:
        # The columns a refresh filled go next.
        _install(editor, dropping_sql(self.files) if self.creates else search_sql(None, FACET_KEYS, self.files))

    def describe(self) -> str:
        return "Install the search functions and triggers of catalogue/search/sql/"


def _install(editor: BaseDatabaseSchemaEditor, sql: str) -> None:
    # A file may name a column a later migration adds (the files are the current definitions): bodies are checked
    # when they run.
    editor.execute("SET LOCAL check_function_bodies = off")
    editor.execute(sql, None)  # no parameters: format()'s %s and %I stay as written
