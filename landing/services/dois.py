"""DOIs of proposals and collections: minting, and keeping DataCite in step (access-policy.md, "DataCite states").

Proposal DOIs are findable from the first dataset on, with the public stub as metadata until the data open; collection
DOIs become findable when the collection is published; withdrawn records are hidden (the DOI keeps resolving to our
tombstone). Without DataCite credentials (settings DATACITE_USERNAME/PASSWORD) DOIs stay local drafts.
"""

import hashlib
import logging
import re

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalogue.models import Document, DocumentKind, DoiState
from landing.datacite import metadata
from landing.datacite import xml as datacite_xml
from landing.datacite.client import DataciteClient, DataciteRejected, DataciteUnavailable
from landing.models import DoiRegistration

logger = logging.getLogger(__name__)


def datacite_configured() -> bool:
    return bool(settings.DATACITE_USERNAME and settings.DATACITE_PASSWORD)


def client() -> DataciteClient:
    return DataciteClient(
        api_url=settings.DATACITE_API_URL,
        username=settings.DATACITE_USERNAME,
        password=settings.DATACITE_PASSWORD,
        attempts=settings.DATACITE_ATTEMPTS,
        backoff_seconds=settings.DATACITE_BACKOFF_SECONDS,
    )


def doi_prefix(document: Document) -> str:
    """The facility's own prefix when DataCite is configured; local drafts always use DATACITE_PREFIX."""
    if datacite_configured() and document.facility and document.facility.doi_prefix:
        return document.facility.doi_prefix
    return settings.DATACITE_PREFIX


def doi_suffix(document: Document) -> str:
    """Readable and stable: FACILITY-PROPOSALNUMBER for proposals, FACILITY-C<id> for collections."""
    facility = document.facility.short_name if document.facility else "PC"
    if document.kind == DocumentKind.COLLECTION:
        local = f"C{document.pk}"
    else:
        local = document.proposal_number or document.pid.rsplit("/", 1)[-1]
    return re.sub(r"[^A-Z0-9.\-]+", "-", f"{facility}-{local}".upper()).strip("-")


@transaction.atomic
def assign_doi(*, document_id: int) -> Document:
    """Give the document a DOI unless it has one (idempotent; the row lock serialises concurrent calls)."""
    document = Document.objects.select_for_update(of=("self",)).select_related("facility").get(pk=document_id)
    if document.doi:
        return document
    doi = f"{doi_prefix(document)}/{doi_suffix(document)}"
    if Document.objects.filter(doi__iexact=doi).exists():
        doi = f"{doi}-{document.pk}"
    document.doi = doi
    document.doi_state = DoiState.DRAFT if datacite_configured() else DoiState.LOCAL_DRAFT
    Document.objects.filter(pk=document.pk).update(doi=document.doi, doi_state=document.doi_state)
    return document


def mint_doi(*, document_id: int) -> None:
    """Give a proposal (at its first dataset, the ESRF practice) or a collection its DOI, and register it."""
    if not Document.objects.filter(pk=document_id).exists():  # deleted before the queued task ran
        return
    assign_doi(document_id=document_id)
    sync_doi(document_id=document_id)


def target_event(document: Document) -> str | None:
    """The DataCite event that brings the DOI where the access policy wants it (None: leave a draft as draft)."""
    if document.withdrawn_at is not None:
        return "hide" if document.doi_state == DoiState.FINDABLE else None
    if document.kind == DocumentKind.COLLECTION and document.published_at is None:
        return None
    return "publish"


EVENT_STATES = {"publish": "findable", "hide": "registered"}


def sync_doi(*, document_id: int) -> str:
    """Send the public record to DataCite when it changed; returns the DOI's state.

    Raises DataciteUnavailable for the task to retry. DataCite's refusals (invalid metadata, wrong prefix, bad
    credentials) and our own XSD errors are recorded on the DoiRegistration for curators, not raised.
    """
    document = Document.objects.select_related("facility").filter(pk=document_id).first()
    if document is None or not document.doi:  # deleted before the queued task ran, or nothing to register
        return DoiState.NONE
    if not datacite_configured():
        if document.doi_state != DoiState.LOCAL_DRAFT:
            Document.objects.filter(pk=document.pk).update(doi_state=DoiState.LOCAL_DRAFT)
        return DoiState.LOCAL_DRAFT
    registration, _ = DoiRegistration.objects.get_or_create(document=document)
    event = target_event(document)
    record = metadata.document_metadata(document=document)
    # The state this call brings the DOI to, not the one it leaves (no event: it stays where it is).
    record["state"] = EVENT_STATES[event] if event else metadata.doi_state(document)
    xml = datacite_xml.to_xml(record)
    errors = datacite_xml.validation_errors(xml)
    if errors:
        _record_failure(registration, "Our record is not valid DataCite 4.7: " + "; ".join(errors[:5]))
        return document.doi_state
    url = metadata.landing_url(document)
    digest = hashlib.sha256(b"\n".join([xml, (event or "").encode(), url.encode()])).hexdigest()
    if registration.metadata_sha256 == digest and not registration.last_error:
        return document.doi_state
    try:
        status = client().put_doi(doi=document.doi, xml=xml, url=url, event=event)
    except DataciteRejected as error:
        _record_failure(registration, str(error))
        logger.warning("DataCite refused %s: %s", document.doi, error)
        return document.doi_state
    except DataciteUnavailable as error:
        _record_failure(registration, str(error))
        raise
    Document.objects.filter(pk=document.pk).update(doi_state=status.state)
    DoiRegistration.objects.filter(pk=registration.pk).update(
        metadata_sha256=digest, synced_at=timezone.now(), attempts=0, last_error="", last_error_at=None
    )
    return status.state


def _record_failure(registration: DoiRegistration, message: str) -> None:
    registration.attempts += 1
    registration.last_error = message
    registration.last_error_at = timezone.now()
    registration.save(update_fields=["attempts", "last_error", "last_error_at"])
