"""Give every proposal with datasets (and every published collection) its DOI, and bring DataCite up to date."""

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Q
from django.template.defaultfilters import pluralize

from catalogue.models import Document, DocumentKind
from landing.datacite.client import DataciteUnavailable
from landing.services import dois


class Command(BaseCommand):
    help = "Mint missing DOIs (proposals with datasets, published collections) and send changed records to DataCite."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List what would be minted, change nothing.")

    def handle(self, *args: object, dry_run: bool = False, **options: object) -> None:
        wanted = Q(kind=DocumentKind.COLLECTION, published_at__isnull=False) | (
            ~Q(kind=DocumentKind.COLLECTION) & Q(datasets__isnull=False)
        )
        documents = Document.objects.filter(wanted).distinct().order_by("pk")
        minted = synced = failed = 0
        for document in documents.iterator():
            if dry_run:
                if not document.doi:
                    self.stdout.write(f"would mint a DOI for {document.pid}")
                continue
            had_doi = bool(document.doi)
            try:
                dois.mint_doi(document_id=document.pk)
            except DataciteUnavailable as error:
                failed += 1
                self.stderr.write(f"{document.pid}: {error}")
                continue
            minted += not had_doi
            synced += had_doi
        if not dry_run:
            minted_dois = f"{minted} DOI{pluralize(minted)} minted"
            self.stdout.write(f"{minted_dois}, {synced} checked against DataCite, {failed} left for later.")
