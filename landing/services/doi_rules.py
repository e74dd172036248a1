"""When a DOI is minted or its DataCite record refreshed (access-policy.md, "DataCite states"): the catalogue's
events (first dataset, steward edits, openings, publication) queue landing.tasks once the change commits."""

from django.db.models import Q
from django.db.models.signals import post_delete, post_save

from catalogue import signals
from catalogue.models import Collection, Dataset, Document, DocumentKind, Member, Proposal
from landing import tasks


def _on_dataset_recorded(sender: object, dataset: Dataset, created: bool, **kwargs: object) -> None:
    """A proposal's first dataset mints its DOI; later ones update the registered metadata."""
    proposal = dataset.proposal
    task = tasks.sync_doi if proposal.doi else tasks.mint_doi
    task.delay_on_commit(proposal.pk)


def _on_document_saved(sender: object, instance: Document, **kwargs: object) -> None:
    """A steward's edit (or an opening, or a withdrawal) reaches DataCite once committed; a collection published
    in the admin gets its DOI."""
    if instance.doi:
        tasks.sync_doi.delay_on_commit(instance.pk)
    elif instance.kind == DocumentKind.COLLECTION and instance.published_at:
        tasks.mint_doi.delay_on_commit(instance.pk)


def _on_member_changed(sender: object, instance: Member, **kwargs: object) -> None:
    # Read the DOI afresh: when a whole document is being deleted its members go first.
    document_id = instance.document_id
    if Document.objects.filter(pk=document_id, doi__isnull=False).exists():
        tasks.sync_doi.delay_on_commit(document_id)


def _sync_documents_of(dataset: Dataset) -> None:
    """Queue a DataCite update for the DOIs describing `dataset`: its proposal's and its collections'."""
    citing = Document.objects.filter(Q(pk=dataset.proposal_id) | Q(collected_datasets=dataset), doi__isnull=False)
    for document_id in citing.values_list("pk", flat=True).distinct():
        tasks.sync_doi.delay_on_commit(document_id)


def _on_dataset_saved(sender: object, instance: Dataset, created: bool, **kwargs: object) -> None:
    """A steward's edit of a dataset (title, withdrawal…) changes the full record of the DOIs describing it."""
    if not created:
        _sync_documents_of(instance)


def on_opened(
    sender: object, *, dataset: Dataset | None = None, document: Document | None = None, **kwargs: object
) -> None:
    """An embargo ended: the DOIs describing the data get the full record."""
    if document is not None:
        tasks.sync_doi.delay_on_commit(document.pk)
    elif dataset is not None:
        _sync_documents_of(dataset)


def connect() -> None:
    signals.dataset_recorded.connect(_on_dataset_recorded, dispatch_uid="landing-mint-doi")
    # The opening service claims records with a conditional UPDATE (no post_save) and sends these instead.
    signals.dataset_opened.connect(on_opened, dispatch_uid="landing-dataset-opened")
    signals.document_opened.connect(on_opened, dispatch_uid="landing-document-opened")
    for model in (Document, Proposal, Collection):
        post_save.connect(_on_document_saved, sender=model, dispatch_uid=f"landing-sync-{model.__name__}")
    post_save.connect(_on_dataset_saved, sender=Dataset, dispatch_uid="landing-dataset-saved")
    post_save.connect(_on_member_changed, sender=Member, dispatch_uid="landing-member-saved")
    post_delete.connect(_on_member_changed, sender=Member, dispatch_uid="landing-member-deleted")
