"""Periodic catalogue work (scheduled in pancommons/celery.py): embargo openings, reminders, fixity, folding the
facet count log. Each task is idempotent and calls one service."""

from celery import shared_task

from catalogue.search import counts
from catalogue.services import fixity, opening


@shared_task(acks_late=True, reject_on_worker_lost=True)
def open_ended_embargoes() -> int:
    return len(opening.open_due())


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_embargo_reminders() -> int:
    return len(opening.send_reminders())


@shared_task(acks_late=True, reject_on_worker_lost=True)
def check_fixity() -> dict[str, int]:
    report = fixity.check_due_files()
    return {"checked": report.checked, "missing": report.missing, "mismatched": report.mismatched}


@shared_task(acks_late=True, reject_on_worker_lost=True)
def compact_facet_counts() -> int:
    return counts.compact()
