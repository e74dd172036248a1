"""A demo-like slice of the catalogue for the knowledge-graph tests: an open proposal DOI with a SAXS dataset at
25 °C (files, checksums, sample, ORCID, ROR, funder), a dataset derived from it, a published collection, an embargoed
proposal (public stub only) and its instrument."""

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.utils import timezone

from catalogue.models import Dataset, Document
from tests.factories import CollectionFactory, DataFileFactory, DatasetFactory, ParameterFactory


@dataclass
class GraphCatalogue:
    proposal: Document
    raw: Dataset
    derived: Dataset
    collection: Document
    embargoed: Document


def graph_catalogue(open_proposal: Document, embargoed_proposal: Document, *, storage: Path) -> GraphCatalogue:
    """`storage` receives the raw dataset's files, so that its zip can be sized (and downloaded)."""
    raw = open_proposal.datasets.get()
    raw.source_folder = str(storage / "cement")
    raw.save()
    for data_file in raw.files.all():
        path = storage / "cement" / data_file.path
        path.parent.mkdir(parents=True, exist_ok=True)
        assert data_file.size is not None
        path.write_bytes(b"\x89HDF" + bytes(data_file.size - 4))
        data_file.checksum = "ab" * 64
        data_file.save()
    derived = DatasetFactory(
        proposal=open_proposal,
        instrument=raw.instrument,
        pid="esrf/dataset/000124",
        title="Azimuthally integrated curves of the cement paste",
        kind="derived",
        software_name="pyFAI",
        software_version="2024.2",
        definitions=["NXazint1d"],
        start_time=datetime(2020, 3, 16, 9, 0, tzinfo=UTC),
        end_time=datetime(2020, 3, 16, 10, 0, tzinfo=UTC),
    )
    derived.input_datasets.add(raw)
    DataFileFactory(dataset=derived, path="processed/cement_azint.nxs", size=2048)
    ParameterFactory(dataset=derived, name="sample_temperature", raw_value="90", value_number=90.0, value_si=363.15)
    collection = CollectionFactory(
        facility=open_proposal.facility,
        title="Data behind: early cement hydration",
        doi="10.80000/ESRF-COLL-1",
        published_at=timezone.now(),
    )
    collection.collected_datasets.add(raw, derived)
    return GraphCatalogue(
        proposal=open_proposal, raw=raw, derived=derived, collection=collection, embargoed=embargoed_proposal
    )
