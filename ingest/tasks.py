"""Celery tasks of ingestion: thin, idempotent, acks late (a killed worker's task is redelivered)."""

from celery import shared_task

from ingest import services
from ingest.nexus.reader import FileBusy


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(FileBusy,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=8,
)
def run_ingestion_job(job_id: int) -> str:
    return services.run_job(job_id=job_id).state


@shared_task(acks_late=True, reject_on_worker_lost=True)
def hash_data_file(data_file_id: int) -> None:
    services.hash_data_file(data_file_id=data_file_id)


@shared_task(acks_late=True)
def scan_watched_folders() -> int:
    """Beat task: queue the files of INGEST_WATCH_DIRS whose size and mtime have been stable long enough."""
    return len(services.scan_watched_folders())
