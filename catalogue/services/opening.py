"""The end of an embargo (access-policy.md § Embargo): opening proposals and datasets when their release date
passes or a steward/PI opens them early, reminders before that, and extending (renewing) an embargo.

An opening is processed once per record (`opened_at` claimed by a conditional UPDATE), one proposal per transaction,
so a run that crashes half-way leaves every proposal either fully processed or untouched for the next run.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from catalogue import signals, visibility
from catalogue.models import Dataset, Document, DocumentKind, Member
from catalogue.services import embargo
from catalogue.services.mail import proposal_label

logger = logging.getLogger(__name__)

PI_ROLES = ("principal investigator", "pi", "main proposer")


class EmbargoError(Exception):
    """A requested embargo change that the policy does not allow."""


@dataclass(frozen=True)
class Opening:
    document: Document
    document_opened: bool
    datasets: list[Dataset]


def principal_investigators(document: Document) -> QuerySet[Member]:
    """The PI(s) of a proposal; when none is marked, every member with an e-mail address."""
    members = Member.objects.filter(document=document).exclude(person__email="").select_related("person")
    pis = members.filter(role__iregex=r"^(" + "|".join(PI_ROLES) + r")$")
    return pis if pis.exists() else members


def is_principal_investigator(user: visibility.User, document: Document) -> bool:
    if not user.is_authenticated:
        return False
    return Member.objects.filter(
        document=document, person__user=user, role__iregex=r"^(" + "|".join(PI_ROLES) + r")$"
    ).exists()


def _due_q(now: datetime, prefix: str = "") -> Q:
    return (
        Q(**{f"{prefix}opened_at__isnull": True})
        & Q(**{f"{prefix}withdrawn_at__isnull": True})
        & (Q(**{f"{prefix}open_now": True}) | Q(**{f"{prefix}release_date__lte": now}))
    )


def documents_due(now: datetime | None = None) -> QuerySet[Document]:
    """Proposals to process: due themselves, or holding a dataset that is due."""
    now = now or timezone.now()
    has_due_dataset = Exists(Dataset.objects.filter(_due_q(now), proposal=OuterRef("pk")))
    return (
        Document.objects.exclude(kind=DocumentKind.COLLECTION)
        .filter(withdrawn_at__isnull=True)
        .filter(_due_q(now) | has_due_dataset)
        .order_by("release_date", "pk")
    )


def open_due(*, now: datetime | None = None) -> list[Opening]:
    """Process every opening that is due; safe to run twice or concurrently (each record is claimed once)."""
    now = now or timezone.now()
    openings = []
    for document_id in documents_due(now).values_list("pk", flat=True):
        opening = _process(document_id=document_id, now=now, by=None, reason="embargo ended")
        if opening is not None:
            openings.append(opening)
    return openings


def _claim(record: Dataset | Document, *, now: datetime, by: visibility.User | None, reason: str) -> bool:
    """Mark the record opened if nobody did yet, and write the event into its history."""
    claimed = type(record).objects.filter(pk=record.pk, opened_at__isnull=True).update(opened_at=now)
    if not claimed:
        return False
    record.opened_at = now
    record._change_reason = reason  # type: ignore[union-attr]  # read by django-simple-history
    if by is not None and by.is_authenticated:
        record._history_user = by  # type: ignore[union-attr]  # read by django-simple-history
    record.save(update_fields=["opened_at"])  # a second write, so that django-simple-history records the event
    return True


def _process(*, document_id: int, now: datetime, by: visibility.User | None, reason: str) -> Opening | None:
    with transaction.atomic():
        document = Document.objects.select_for_update(skip_locked=True).filter(pk=document_id).first()
        if document is None:  # another worker holds it; that worker processes it
            return None
        datasets = [
            dataset
            for dataset in Dataset.objects.filter(_due_q(now), proposal=document).order_by("pk")
            if _claim(dataset, now=now, by=by, reason=reason)
        ]
        document_due = document.opened_at is None and (
            document.open_now or (document.release_date is not None and document.release_date <= now)
        )
        document_opened = document_due and _claim(document, now=now, by=by, reason=reason)
        if not datasets and not document_opened:
            return None
        for dataset in datasets:
            signals.dataset_opened.send(sender=Dataset, dataset=dataset)
        if document_opened:
            signals.document_opened.send(sender=Document, document=document)
        opening = Opening(document=document, document_opened=document_opened, datasets=datasets)
        transaction.on_commit(lambda: _mail_opening(opening))
    logger.info("opened %s: proposal=%s datasets=%d", document.pid, document_opened, len(datasets))
    return opening


def _recipients(document: Document) -> list[str]:
    return sorted({member.person.email for member in principal_investigators(document)})


def record_address(document: Document) -> str:
    """Where a person reads about the proposal: its DOI when it has one, else the site."""
    return f"https://doi.org/{document.doi}" if document.doi else settings.SITE_URL


def _mail_opening(opening: Opening) -> None:
    recipients = _recipients(opening.document)
    if not recipients:
        return
    document = opening.document
    lines = [f"Hello,\n\nThe embargo on data of {proposal_label(document)} has ended; they are now open to everyone."]
    if opening.document_opened:
        lines.append(f"The proposal's record and DOI now show the full metadata: {record_address(document)}")
    if opening.datasets:
        lines.append(
            "Datasets opened now:\n" + "\n".join(f"- {dataset.pid}: {dataset.title}" for dataset in opening.datasets)
        )
    lines.append(f"Licence: {document.licence or settings.DEFAULT_LICENCE}.\n\n-- The data office")
    send_mail(f"Your data of {proposal_label(document)} are now open", "\n\n".join(lines), None, recipients)


def open_now(record: Dataset | Document, *, by: visibility.User | None) -> Opening | None:
    """Open a dataset, or a proposal with all its datasets, at once (a steward, or the PI from the site).

    Idempotent: opening an open record changes nothing. Raises EmbargoError for withdrawn records.
    """
    if record.withdrawn_at is not None:
        raise EmbargoError(f"{record.pid} is withdrawn; it cannot be opened")
    document = record if isinstance(record, Document) else record.proposal
    if document.kind == DocumentKind.COLLECTION:
        raise EmbargoError("collections open with their datasets; publish the collection instead")
    with transaction.atomic():
        if isinstance(record, Document):
            Document.objects.filter(pk=record.pk).update(open_now=True)
            Dataset.objects.filter(proposal=record, withdrawn_at__isnull=True).update(open_now=True)
        else:
            Dataset.objects.filter(pk=record.pk).update(open_now=True)
            embargo.refresh_document_release_date(document)
        return _process(document_id=document.pk, now=timezone.now(), by=by, reason="opened early")


def may_change_release_date(record: Dataset | Document) -> bool:
    """The rule every change of a release date obeys: open data stay open (access-policy.md § Embargo). Closing
    open data would break every citation of them; taking them down is a withdrawal (tombstone), never an embargo."""
    return not visibility.is_open(record)


def refuse_if_open(record: Dataset | Document) -> None:
    """Raises EmbargoError when the record's release date may not change any more (may_change_release_date)."""
    if not may_change_release_date(record):
        raise EmbargoError(f"{record.pid} is open already; an embargo cannot be put back on open data")


def set_release_date(record: Dataset | Document, *, release_date: datetime, by: visibility.User | None) -> None:
    """A steward's new release date (embargo end) for one record still under embargo, earlier or later; a date
    already passed opens it at the next opening run. Refreshes the stored release dates (the proposal's too).

    Raises EmbargoError when the record is open already (see refuse_if_open).
    """
    refuse_if_open(record)
    record.release_date_override = release_date
    record._change_reason = f"release date set to {release_date:%Y-%m-%d}"  # type: ignore[union-attr]  # read by django-simple-history
    if by is not None and by.is_authenticated:
        record._history_user = by  # type: ignore[union-attr]  # read by django-simple-history
    record.save(update_fields=["release_date_override"])
    if isinstance(record, Dataset):
        embargo.refresh_release_dates(record)
    else:
        embargo.refresh_document_release_date(record)


def extend_embargo(record: Dataset | Document, *, until: datetime, by: visibility.User | None) -> None:
    """Renew an embargo until `until`: a dataset alone, or a proposal with every dataset still under embargo.

    Raises EmbargoError when the date is not in the future or not after the current release date, or the record
    is open already (see refuse_if_open).
    """
    if until <= timezone.now():
        raise EmbargoError("the new release date must lie in the future")
    refuse_if_open(record)
    if record.release_date is not None and until <= record.release_date:
        raise EmbargoError(f"the embargo already runs until {record.release_date:%Y-%m-%d}; choose a later day")
    with transaction.atomic():
        datasets = (
            [record]
            if isinstance(record, Dataset)
            else list(
                Dataset.objects.filter(proposal=record, withdrawn_at__isnull=True, opened_at__isnull=True)
                .exclude(open_now=True)
                .filter(release_date__gt=timezone.now())
            )
        )
        for dataset in datasets:
            dataset.release_date_override = max(until, dataset.release_date)
            dataset._change_reason = f"embargo extended until {until:%Y-%m-%d}"  # type: ignore[attr-defined]  # read by django-simple-history
            if by is not None and by.is_authenticated:
                dataset._history_user = by  # type: ignore[attr-defined]  # read by django-simple-history
            dataset.save(update_fields=["release_date_override"])
            embargo.refresh_release_dates(dataset)
        document = record if isinstance(record, Document) else record.proposal
        if isinstance(record, Document):
            document.release_date_override = until
            document._change_reason = f"embargo extended until {until:%Y-%m-%d}"  # type: ignore[attr-defined]  # read by django-simple-history
            if by is not None and by.is_authenticated:
                document._history_user = by  # type: ignore[attr-defined]  # read by django-simple-history
            document.save(update_fields=["release_date_override"])
            embargo.refresh_document_release_date(document)
        # A renewed embargo earns a new reminder before its new end.
        Document.objects.filter(pk=document.pk).update(embargo_reminder_sent_at=None)


def send_reminders(*, now: datetime | None = None) -> list[Document]:
    """E-mail the PI of each proposal opening within EMBARGO_REMINDER_DAYS, once per embargo."""
    now = now or timezone.now()
    horizon = now + timedelta(days=settings.EMBARGO_REMINDER_DAYS)
    candidates = (
        Document.objects.exclude(kind=DocumentKind.COLLECTION)
        .filter(
            withdrawn_at__isnull=True,
            opened_at__isnull=True,
            open_now=False,
            embargo_reminder_sent_at__isnull=True,
            release_date__gt=now,
            release_date__lte=horizon,
        )
        .order_by("release_date")
    )
    reminded = []
    for document in candidates:
        with transaction.atomic():
            claimed = Document.objects.filter(pk=document.pk, embargo_reminder_sent_at__isnull=True).update(
                embargo_reminder_sent_at=now
            )
            if claimed:
                transaction.on_commit(partial(_mail_reminder, document))
                reminded.append(document)
    return reminded


def _mail_reminder(document: Document) -> None:
    recipients = _recipients(document)
    if not recipients:
        return
    day, label = f"{document.release_date:%Y-%m-%d}", proposal_label(document)
    body = (
        f"Hello,\n\nThe embargo on the data of {label} ends on {day}; from then on anyone may read and "
        f"download them under {document.licence or settings.DEFAULT_LICENCE}.\n\n"
        'Nothing needs doing if that is right. To open them earlier, use "Open now" on the proposal\'s page; '
        "to extend the embargo, ask the data office before that day.\n\n"
        f"{record_address(document)}\n\n-- The data office"
    )
    send_mail(f"The data of {label} open on {day}", body, None, recipients)
