"""Fixtures for ingestion tests: the demo facility registry and PaNET loaded, and ingesting helpers."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from catalogue import panet
from catalogue.management.commands.load_facilities import DEFAULT_REGISTRY
from catalogue.services import facilities, techniques
from ingest import services
from ingest.models import IngestionJob
from tests.conftest import SAMPLES_DIR, shared_rows


def load_registry() -> None:
    facilities.load_registry(path=DEFAULT_REGISTRY)
    techniques.load_panet(vocabulary=panet.vocabulary())


@pytest.fixture
def registry(db) -> None:
    load_registry()


@pytest.fixture(scope="module")
def _registry_of_module(django_db_setup, django_db_blocker) -> Iterator[None]:
    """Loaded once for a module's tests (tests.conftest.shared_rows)."""
    with shared_rows(django_db_blocker):
        load_registry()
        yield


@pytest.fixture
def shared_registry(_registry_of_module, db) -> None:
    """The registry and PaNET loaded once for the module: a module overrides `registry` with this."""


@pytest.fixture
def ingest(registry):
    """Run one ingestion job for a file (a sample name or a path) and return the finished job."""

    def run(target: str | Path, source_folder: Path | None = None) -> IngestionJob:
        path = target if isinstance(target, Path) else SAMPLES_DIR / target
        job = services.create_job(path=path, source_folder=source_folder or path.parent)
        return services.run_job(job_id=job.pk)

    return run
