"""What the public search surfaces (PaNOSC API, relevance index, portal) may show: open data only, under either
EMBARGOED_METADATA policy (access-policy.md, "The PaNOSC Search API serves open data only")."""

import time

from django.db.models import Exists, OuterRef, Q, QuerySet

from catalogue.models import Document, DocumentKind, Instrument
from catalogue.visibility import open_datasets

# Relation paths that reach datasets through collections; skipped while no collection is published.
COLLECTION_PATHS = frozenset({"collections", "collected_datasets"})
_COLLECTIONS_TTL_SECONDS = 30.0
_collections_seen: tuple[float, bool] = (0.0, True)


def collections_published() -> bool:
    """Whether any collection is published (cached briefly: it changes when a steward publishes one).

    Without collections a document holds a dataset only through its proposal, and PostgreSQL answers that with an
    index semi-join; the OR with the collection path would make it hash every open dataset on each request. A stale
    "no" hides a just-published collection for a few seconds, never shows anything that is not open.
    """
    global _collections_seen
    checked_at, exists = _collections_seen
    if time.monotonic() - checked_at > _COLLECTIONS_TTL_SECONDS:
        exists = Document.objects.filter(kind=DocumentKind.COLLECTION, published_at__isnull=False).exists()
        _collections_seen = (time.monotonic(), exists)
    return exists


def forget_collections_cache() -> None:
    global _collections_seen
    _collections_seen = (0.0, True)


def open_documents() -> QuerySet[Document]:
    """Documents holding at least one open dataset; collections only once published; never withdrawn ones."""
    open_ones = open_datasets()
    proposals = ~Q(kind=DocumentKind.COLLECTION) & Exists(open_ones.filter(proposal=OuterRef("pk")))
    documents = Document.objects.filter(withdrawn_at__isnull=True)
    if not collections_published():
        return documents.filter(proposals)
    collections = Q(kind=DocumentKind.COLLECTION, published_at__isnull=False) & Exists(
        open_ones.filter(collections=OuterRef("pk"))
    )
    return documents.filter(proposals | collections)


def public_instruments() -> QuerySet[Instrument]:
    """Instruments are public descriptions of the facility, whatever their datasets' embargo."""
    return Instrument.objects.all()
