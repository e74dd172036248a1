"""Steward edits: remember which fields a person curated so that re-ingestion keeps them."""

from catalogue.models import Dataset, Document
from catalogue.services import embargo

# Fields whose steward value must survive a re-ingest of the file the dataset came from.
CURATABLE_DATASET_FIELDS = frozenset(
    {
        "title",
        "description",
        "keywords",
        "kind",
        "instrument",
        "proposal",
        "samples",
        "techniques",
        "start_time",
        "end_time",
        "creation_time",
        "release_date_override",
        "open_now",
        "scientific_metadata",
    }
)
RELEASE_FIELDS = frozenset({"start_time", "end_time", "release_date_override", "instrument", "proposal"})


def record_dataset_edit(*, dataset: Dataset, changed_fields: set[str]) -> None:
    """Call after a steward saved `dataset`: marks curated fields and refreshes release dates if needed."""
    curated = sorted(set(dataset.curated_fields) | (changed_fields & CURATABLE_DATASET_FIELDS))
    if curated != dataset.curated_fields:
        dataset.curated_fields = curated
        Dataset.objects.filter(pk=dataset.pk).update(curated_fields=curated)
    if changed_fields & RELEASE_FIELDS:
        embargo.refresh_release_dates(dataset)


def record_document_edit(*, document: Document, changed_fields: set[str]) -> None:
    if "release_date_override" in changed_fields:
        embargo.refresh_document_release_date(document)
