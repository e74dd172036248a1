"""Landing app wiring: DOIs (services/doi_rules.py) and the knowledge graph (graph/receivers.py) follow the
catalogue through its signals."""

from django.apps import AppConfig


class LandingConfig(AppConfig):
    name = "landing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from landing.graph import receivers as graph_receivers
        from landing.services import doi_rules

        graph_receivers.connect()
        doi_rules.connect()
