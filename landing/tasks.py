"""Celery tasks of the landing app: thin, idempotent wrappers around landing.services.dois and page_cache."""

from celery import shared_task

from landing.datacite.client import DataciteUnavailable
from landing.services import dois, page_cache

RETRY = {
    "autoretry_for": (DataciteUnavailable,),
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 12,
    "acks_late": True,
    "reject_on_worker_lost": True,
}


@shared_task(**RETRY)
def mint_doi(document_id: int) -> None:
    dois.mint_doi(document_id=document_id)


@shared_task(**RETRY)
def sync_doi(document_id: int) -> None:
    dois.sync_doi(document_id=document_id)


@shared_task
def compact_page_changes() -> int:
    return page_cache.compact()
