"""The stewards group: every permission on the project's own apps, kept in step after each migrate."""

from django.contrib.auth.models import Group, Permission

from catalogue.visibility import STEWARDS_GROUP

STEWARD_APPS = ("catalogue", "ingest", "landing", "django_celery_beat")


def ensure_stewards_group() -> Group:
    group, _ = Group.objects.get_or_create(name=STEWARDS_GROUP)
    group.permissions.set(Permission.objects.filter(content_type__app_label__in=STEWARD_APPS))
    return group
