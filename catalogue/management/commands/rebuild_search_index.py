"""manage.py rebuild_search_index [--group datasets|documents|instruments]: the relevance index from scratch."""

from django.core.management.base import BaseCommand

from catalogue.models import SearchGroup
from catalogue.search import index


class Command(BaseCommand):
    help = "Rebuild the PaNOSC relevance index (tf, df, N) of public items; run after bulk loads or to repair."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--group", choices=[group.value for group in SearchGroup], action="append")

    def handle(self, *args: object, group: list[str] | None, verbosity: int, **options: object) -> None:
        for name in group or [g.value for g in SearchGroup]:
            items = index.rebuild(group=SearchGroup(name), progress=self.stdout.write if verbosity > 1 else None)
            self.stdout.write(f"{name}: {items} public items indexed")
