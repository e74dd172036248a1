"""The project's modules import each other one way: import-linter's contracts (pyproject.toml) and no import cycles."""

from pathlib import Path

import grimp
from django.conf import settings
from importlinter.cli import lint_imports

PROJECT_PACKAGES = ("pancommons", "catalogue", "ingest", "landing", "benchmarks")


def test_import_contracts_are_kept():
    config = Path(settings.BASE_DIR) / "pyproject.toml"
    assert lint_imports(config_filename=str(config), no_cache=True) == 0, "see the contracts broken above"


def test_no_module_imports_itself_through_others():
    graph = grimp.build_graph(*PROJECT_PACKAGES, cache_dir=None)
    cycles = {
        tuple(sorted((module, imported)))
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if graph.find_shortest_chain(importer=imported, imported=module)
    }
    assert cycles == set()
