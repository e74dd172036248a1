"""The Celery application; tasks live in each app's tasks.py, schedules in the database (django-celery-beat)."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pancommons.settings")

app = Celery("pancommons")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Task modules below an app (catalogue.search, catalogue.fair, landing.graph), where app-based autodiscovery does
# not look.
app.autodiscover_tasks(["catalogue.search", "catalogue.fair", "landing.graph"])
app.steps["worker"].add("pancommons.workers:Heartbeat")
# Task run times and failures for Prometheus (connects Celery signal handlers).
import pancommons.metrics  # noqa: E402, F401

# Periodic work; django-celery-beat copies these entries into its tables, where stewards can pause or retime them.
app.conf.beat_schedule = {
    "open-ended-embargoes": {"task": "catalogue.tasks.open_ended_embargoes", "schedule": crontab(minute=5)},
    "embargo-reminders": {"task": "catalogue.tasks.send_embargo_reminders", "schedule": crontab(hour=6, minute=15)},
    "fixity": {"task": "catalogue.tasks.check_fixity", "schedule": crontab(minute=35)},
    "facet-counts": {"task": "catalogue.tasks.compact_facet_counts", "schedule": 300.0},
    # Kept landing pages read the sum of one row per changing transaction: a minute's rows folded into one.
    "page-changes": {"task": "landing.tasks.compact_page_changes", "schedule": 60.0},
    # Safety net for openness changed by plain UPDATEs (withdrawals, bulk fixes); openings reindex at once.
    "search-reindex-stale-datasets": {"task": "catalogue.search.tasks.reindex_stale_datasets", "schedule": 600.0},
    # FAIR scores: a first score for rows loaded without signals; the daily distribution for the dashboard.
    "fair-score-unscored": {"task": "catalogue.fair.tasks.score_unscored", "schedule": 600.0},
    "fair-daily-snapshot": {"task": "catalogue.fair.tasks.take_snapshot", "schedule": crontab(hour=0, minute=20)},
    # Embargoes that ran out without a write, withdrawals by plain UPDATE: the graph store follows within minutes.
    "graph-refresh-recent": {"task": "landing.graph.tasks.refresh_recent", "schedule": 600.0},
}
