from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalogue.services import facilities

DEFAULT_REGISTRY = Path(__file__).resolve().parents[2] / "data" / "facilities.yaml"


class Command(BaseCommand):
    help = "Create or update facilities from a YAML registry (default: the demo registry)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_REGISTRY)

    def handle(self, *args: object, path: Path, **options: object) -> None:
        try:
            loaded = facilities.load_registry(path=path)
        except (OSError, facilities.RegistryError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Facilities: {', '.join(f.short_name for f in loaded)}")
