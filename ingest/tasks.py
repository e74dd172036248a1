"""Celery tasks of ingestion: thin, idempotent, acks late (a killed worker's task is redelivered)."""

from celery import Task, shared_task
from celery.signals import worker_process_shutdown

from catalogue import isolation
from ingest import services
from ingest.nexus.reader import FileBusy


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=8)
def run_ingestion_job(self: Task, job_id: int) -> str:
    try:
        return services.run_job(job_id=job_id).state
    except FileBusy as busy:  # a writer still holds the file: back off, then record that we gave up
        if self.request.retries >= self.max_retries:
            return services.fail_job(job_id=job_id, error=f"{busy} (gave up after {self.max_retries} retries)").state
        raise self.retry(exc=busy, countdown=min(300, 5 * 2**self.request.retries)) from busy


@shared_task(acks_late=True, reject_on_worker_lost=True)
def hash_data_file(data_file_id: int) -> None:
    services.hash_data_file(data_file_id=data_file_id)


@shared_task(acks_late=True)
def scan_watched_folders() -> int:
    """Beat task: queue the files of INGEST_WATCH_DIRS whose size and mtime have been stable long enough."""
    return len(services.scan_watched_folders())


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=(FileBusy,), retry_backoff=5, max_retries=8)
def redraw_preview(dataset_id: int) -> None:
    services.redraw_preview(dataset_id=dataset_id)


@worker_process_shutdown.connect
def _stop_reader(**_: object) -> None:
    isolation.stop_reader()
