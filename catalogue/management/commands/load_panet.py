from django.core.management.base import BaseCommand

from catalogue import panet
from catalogue.services import techniques


class Command(BaseCommand):
    help = "Load (or refresh) the PaNET technique ontology into the catalogue."

    def handle(self, *args: object, **options: object) -> None:
        created, updated = techniques.load_panet(vocabulary=panet.vocabulary())
        self.stdout.write(f"PaNET: {created} terms created, {updated} updated")
