from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_stewards_group(sender: AppConfig, **kwargs: object) -> None:
    from catalogue.services import roles

    roles.ensure_stewards_group()


class CatalogueConfig(AppConfig):
    name = "catalogue"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_ensure_stewards_group, sender=self)
        from catalogue.dmp import receivers as dmp_receivers  # noqa: F401 — matches planned datasets on ingestion
        from catalogue.fair import receivers as fair_receivers  # noqa: F401 — keeps the FAIR scores current
        from catalogue.search import receivers  # noqa: F401 — connects the search index's signal receivers
