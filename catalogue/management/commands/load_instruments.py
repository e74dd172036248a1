from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalogue.services import instruments

DEFAULT_REGISTRY = Path(__file__).resolve().parents[2] / "data" / "instruments.yaml"


class Command(BaseCommand):
    help = "Create or update instruments from a YAML registry (default: the demo registry); load facilities first."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_REGISTRY)

    def handle(self, *args: object, path: Path, **options: object) -> None:
        try:
            loaded = instruments.load_registry(path=path)
        except (OSError, instruments.RegistryError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Instruments: {', '.join(str(instrument) for instrument in loaded)}")
