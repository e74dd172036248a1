"""The Celery application; tasks live in each app's tasks.py, schedules in the database (django-celery-beat)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pancommons.settings")

app = Celery("pancommons")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
