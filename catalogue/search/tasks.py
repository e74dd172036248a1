"""Celery tasks of the relevance index: thin, idempotent wrappers around catalogue.search.index."""

from celery import shared_task

from catalogue.models import SearchGroup
from catalogue.search import index


@shared_task(acks_late=True, reject_on_worker_lost=True)
def reindex_items(group: str, ids: list[int]) -> None:
    if group == SearchGroup.DATASETS:
        index.reindex_datasets(dataset_ids=ids)
    else:
        index.reindex(group=SearchGroup(group), ids=ids)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def reindex_stale_datasets() -> None:
    """Periodic: picks up datasets whose embargo ran out (no write happens then) and closed ones."""
    index.reindex_datasets(dataset_ids=index.stale_dataset_ids(limit=10_000))
