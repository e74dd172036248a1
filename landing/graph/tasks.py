"""Celery tasks of the knowledge graph: thin, idempotent wrappers around landing.graph.sync."""

from datetime import timedelta

from celery import shared_task

from landing.graph import store, sync
from landing.graph.describe import Entity

# A release date passing is no write: every run looks this far back (the beat runs every 10 minutes).
RECENT_WINDOW = timedelta(minutes=15)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def refresh_entities(self, keys: list[str]) -> int:
    try:
        return sync.refresh([Entity.from_key(key) for key in keys])
    except store.Busy as busy:  # a rebuild holds the store: it ends, then this applies on top
        raise self.retry(exc=busy, countdown=30) from None


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def refresh_recent(self) -> int:
    try:
        return sync.refresh(sync.recently_changed(window=RECENT_WINDOW))
    except store.Busy as busy:
        raise self.retry(exc=busy, countdown=60) from None
