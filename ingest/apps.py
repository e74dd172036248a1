from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.signals import post_migrate

WATCH_INTERVAL_SECONDS = 60  # how often beat scans INGEST_WATCH_DIRS; stability is INGEST_STABLE_SECONDS


class IngestConfig(AppConfig):
    name = "ingest"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_schedule_watch, sender=self)


def _schedule_watch(using: str = DEFAULT_DB_ALIAS, **kwargs: object) -> None:
    """Keep the beat entry that scans INGEST_WATCH_DIRS in step with the settings after every migrate."""
    from django.conf import settings
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    if PeriodicTask._meta.db_table not in connections[using].introspection.table_names():
        return  # a migrate of other apps only (`migrate catalogue`) on a new database: the next full one does it
    name = "ingest: scan watched folders"
    if not settings.INGEST_WATCH_DIRS:
        PeriodicTask.objects.filter(name=name).delete()
        return
    every, _ = IntervalSchedule.objects.get_or_create(every=WATCH_INTERVAL_SECONDS, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.update_or_create(
        name=name, defaults={"task": "ingest.tasks.scan_watched_folders", "interval": every, "enabled": True}
    )
