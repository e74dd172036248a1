"""Ingestion records datasets through the catalogue's service, naming no model that service owns.

The layers themselves (services never import tasks, the catalogue imports no ingestion module) are import-linter
contracts in pyproject.toml, run by tests/test_imports.py. This check stays here because it is about imported
*names*: import-linter's graph (grimp) has modules only, and `from catalogue.models import Parameter` is an import
of `catalogue.models` there, the same as importing `Dataset` from it; nor can a contract require an import.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (a function-level import is still an import)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return found


def test_ingestion_records_datasets_through_the_catalogue_service():
    modules = imported_modules(ROOT / "ingest/services.py")
    assert "catalogue.services.datasets" in modules
    assert not {"catalogue.models.Parameter", "catalogue.models.Member", "catalogue.models.Sample"} & modules
