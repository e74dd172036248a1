"""Celery tasks of the FAIR score: thin, idempotent wrappers around services.fair (scheduled in pancommons/celery)."""

from celery import shared_task

from catalogue.services import fair


@shared_task(acks_late=True, reject_on_worker_lost=True)
def recompute_scores(changed: dict[str, list[int]]) -> dict[str, int]:
    result = fair.recompute(fair.Changed(**{kind: tuple(ids) for kind, ids in changed.items()}))
    return {"datasets": result.datasets, "documents": result.documents}


@shared_task(acks_late=True, reject_on_worker_lost=True)
def score_unscored() -> dict[str, int]:
    """Periodic safety net: rows written without signals (bulk loads, plain UPDATEs, an upgrade) get their first
    score. A full sweep queues the next one at once, so a million unscored datasets do not wait for the beat."""
    result = fair.score_unscored(limit=fair.SWEEP_DATASETS)
    if result.datasets == fair.SWEEP_DATASETS:
        score_unscored.delay()
    return {"datasets": result.datasets, "documents": result.documents}


@shared_task(acks_late=True, reject_on_worker_lost=True)
def take_snapshot() -> int:
    return fair.take_snapshot()
