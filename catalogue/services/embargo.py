"""Release dates (embargo ends) of datasets and proposals, from access-policy.md § Embargo."""

from datetime import datetime

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from catalogue.models import Dataset, Document, Facility


def embargo_years(facility: Facility | None) -> int:
    if facility is not None and facility.embargo_period_years is not None:
        return facility.embargo_period_years
    return settings.EMBARGO_PERIOD_YEARS


def add_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February into a common year
        return moment.replace(year=moment.year + years, day=28)


def dataset_release_date(dataset: Dataset) -> datetime:
    """The steward's override, else measurement end (or start, or ingestion) + the facility's embargo period."""
    if dataset.release_date_override is not None:
        return dataset.release_date_override
    measured = dataset.end_time or dataset.start_time or dataset.ingested_at or timezone.now()
    facility = dataset.instrument.facility if dataset.instrument else dataset.proposal.facility
    return add_years(measured, embargo_years(facility))


def refresh_release_dates(dataset: Dataset) -> None:
    """Store the dataset's release date and its proposal's (which opens with its last dataset)."""
    dataset.release_date = dataset_release_date(dataset)
    Dataset.objects.filter(pk=dataset.pk).update(release_date=dataset.release_date)
    refresh_document_release_date(dataset.proposal)


def refresh_document_release_date(document: Document) -> None:
    if document.release_date_override is not None:
        release = document.release_date_override
    else:
        release = document.datasets.aggregate(last=Max("release_date"))["last"]
    document.release_date = release
    Document.objects.filter(pk=document.pk).update(release_date=release)
