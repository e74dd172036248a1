from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalogue.services import user_office


class Command(BaseCommand):
    help = "Import proposals from a user-office file (JSON, or CSV by its .csv name): docs/people-and-instruments.md."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args: object, path: Path, **options: object) -> None:
        try:
            data = user_office.read_file(content=path.read_bytes(), name=path.name)
            result = user_office.import_proposals(data=data)
        except OSError as error:
            raise CommandError(str(error)) from error
        except user_office.ImportFailed as failed:
            raise CommandError("nothing imported:\n" + "\n".join(failed.errors)) from failed
        self.stdout.write(
            f"Proposals: {result.created} created, {result.updated} updated; {result.suggested} session matches."
        )
