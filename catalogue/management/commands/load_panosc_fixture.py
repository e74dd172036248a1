"""manage.py load_panosc_fixture [PATH]: the PaNOSC reference fixture into the catalogue, then the search index."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from catalogue.models import SearchGroup
from catalogue.panosc.fixture import load_reference_fixture
from catalogue.search import index

DEFAULT_PATH = Path(settings.BASE_DIR) / "catalogue" / "panosc" / "data" / "reference-db.json"


class Command(BaseCommand):
    help = "Load the PaNOSC reference implementation's db.json (spec §13.1) and index it for scoring."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)

    def handle(self, *args: object, path: Path, **options: object) -> None:
        counts = load_reference_fixture(path=path)
        for group in SearchGroup:
            index.rebuild(group=group)
        self.stdout.write(", ".join(f"{count} {name}" for name, count in counts.items()) + " loaded and indexed")
