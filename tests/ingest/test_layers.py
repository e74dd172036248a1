"""Dependencies point one way (STYLE.md): interfaces → services → models; the catalogue imports no other app."""

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


def test_ingestion_services_do_not_import_the_tasks_that_call_them():
    assert "ingest.tasks" not in imported_modules(ROOT / "ingest/services.py")
    assert "ingest.services" in imported_modules(ROOT / "ingest/tasks.py")


def test_the_catalogue_imports_no_ingestion_module():
    offenders = {
        str(path.relative_to(ROOT)): sorted(module for module in imported_modules(path) if module.startswith("ingest"))
        for path in (ROOT / "catalogue").rglob("*.py")
    }
    assert {path: modules for path, modules in offenders.items() if modules} == {}


def test_ingestion_records_datasets_through_the_catalogue_service():
    modules = imported_modules(ROOT / "ingest/services.py")
    assert "catalogue.services.datasets" in modules
    assert not {"catalogue.models.Parameter", "catalogue.models.Member", "catalogue.models.Sample"} & modules
