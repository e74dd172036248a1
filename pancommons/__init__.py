"""PaN Commons: the Django project (settings, urls, Celery app)."""

from pancommons.celery import app as celery_app

__all__ = ["celery_app"]
