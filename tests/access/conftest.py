"""Fixtures of the access tests: real files under a real storage root, embargoed and open datasets around them."""

import hashlib
from pathlib import Path

import pytest

from tests.factories import DataFileFactory, DatasetFactory, FacilityFactory, InstrumentFactory


def write_file(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@pytest.fixture
def storage_root(tmp_path) -> Path:
    root = tmp_path / "storage"
    root.mkdir()
    return root


@pytest.fixture
def facility(db, storage_root):
    return FacilityFactory(short_name="TESTSRC", storage_root=str(storage_root))


@pytest.fixture
def stored_dataset(facility, storage_root):
    """Build a dataset of `proposal` with real files: stored_dataset(proposal, {"raw/a.nxs": b"..."}, embargoed=…)."""

    def build(proposal, files: dict[str, bytes], *, embargoed: bool = False, folder: str = "exp1"):
        instrument = InstrumentFactory(facility=facility, name="BL01")
        source = storage_root / folder
        source.mkdir(exist_ok=True)
        dataset = DatasetFactory(
            proposal=proposal, instrument=instrument, source_folder=str(source), embargoed=embargoed
        )
        for relative, content in files.items():
            write_file(source / relative, content)
            DataFileFactory(
                dataset=dataset,
                path=relative,
                size=len(content),
                checksum=hashlib.blake2b(content).hexdigest(),
                checksum_algorithm="blake2b",
            )
        dataset.refresh_from_db()
        return dataset

    return build
