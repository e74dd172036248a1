"""What the public search surfaces (PaNOSC API, relevance index, portal) may show: open data only, under either
EMBARGOED_METADATA policy (access-policy.md, "The PaNOSC Search API serves open data only")."""

from django.db.models import Exists, OuterRef, Q, QuerySet

from catalogue.models import Dataset, Document, DocumentKind, Instrument
from catalogue.visibility import open_datasets


def open_documents() -> QuerySet[Document]:
    """Documents holding at least one open dataset; collections only once published; never withdrawn ones."""
    open_ones = open_datasets()
    holds_open = Exists(open_ones.filter(proposal=OuterRef("pk"))) | Exists(
        open_ones.filter(collections=OuterRef("pk"))
    )
    published = ~Q(kind=DocumentKind.COLLECTION) | Q(published_at__isnull=False)
    return Document.objects.filter(Q(withdrawn_at__isnull=True) & published & holds_open)


def public_instruments() -> QuerySet[Instrument]:
    """Instruments are public descriptions of the facility, whatever their datasets' embargo."""
    return Instrument.objects.all()


def open_datasets_of_documents(document_ids: list[int]) -> QuerySet[Dataset]:
    return open_datasets().filter(Q(proposal_id__in=document_ids) | Q(collections__in=document_ids)).distinct()
