"""Landing app wiring: DOIs follow the catalogue through its signals (first dataset, steward edits, publication)."""

from django.apps import AppConfig
from django.db.models import Q
from django.db.models.signals import post_delete, post_save


def _on_dataset_recorded(sender: object, dataset: object, created: bool, **kwargs: object) -> None:
    """A proposal's first dataset mints its DOI; later ones update the registered metadata."""
    from landing import tasks

    proposal = dataset.proposal  # type: ignore[attr-defined]
    task = tasks.sync_doi if proposal.doi else tasks.mint_doi
    task.delay_on_commit(proposal.pk)


def _on_document_saved(sender: object, instance: object, **kwargs: object) -> None:
    """A steward's edit (or an opening, or a withdrawal) reaches DataCite once committed; a collection published
    in the admin gets its DOI."""
    from catalogue.models import DocumentKind
    from landing import tasks

    if instance.doi:  # type: ignore[attr-defined]
        tasks.sync_doi.delay_on_commit(instance.pk)  # type: ignore[attr-defined]
    elif instance.kind == DocumentKind.COLLECTION and instance.published_at:  # type: ignore[attr-defined]
        tasks.mint_doi.delay_on_commit(instance.pk)  # type: ignore[attr-defined]


def _on_member_changed(sender: object, instance: object, **kwargs: object) -> None:
    from catalogue.models import Document
    from landing import tasks

    # Read the DOI afresh: when a whole document is being deleted its members go first.
    document_id = instance.document_id  # type: ignore[attr-defined]
    if Document.objects.filter(pk=document_id, doi__isnull=False).exists():
        tasks.sync_doi.delay_on_commit(document_id)


def _sync_documents_of(dataset: object) -> None:
    """Queue a DataCite update for the DOIs describing `dataset`: its proposal's and its collections'."""
    from catalogue.models import Document
    from landing import tasks

    citing = Document.objects.filter(
        Q(pk=dataset.proposal_id) | Q(collected_datasets=dataset),  # type: ignore[attr-defined]
        doi__isnull=False,
    )
    for document_id in citing.values_list("pk", flat=True).distinct():
        tasks.sync_doi.delay_on_commit(document_id)


def _on_dataset_saved(sender: object, instance: object, created: bool, **kwargs: object) -> None:
    """A steward's edit of a dataset (title, withdrawal…) changes the full record of the DOIs describing it."""
    if not created:
        _sync_documents_of(instance)


def _on_opened(sender: object, **kwargs: object) -> None:
    """An embargo ended: the DOIs describing the data get the full record."""
    from landing import tasks

    if "document" in kwargs:
        tasks.sync_doi.delay_on_commit(kwargs["document"].pk)  # type: ignore[attr-defined]
    else:
        _sync_documents_of(kwargs["dataset"])


class LandingConfig(AppConfig):
    name = "landing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from catalogue import signals
        from catalogue.models import Collection, Dataset, Document, Member, Proposal
        from landing.graph import receivers as graph_receivers

        graph_receivers.connect()

        signals.dataset_recorded.connect(_on_dataset_recorded, dispatch_uid="landing-mint-doi")
        # The opening service claims records with a conditional UPDATE (no post_save) and sends these instead.
        signals.dataset_opened.connect(_on_opened, dispatch_uid="landing-dataset-opened")
        signals.document_opened.connect(_on_opened, dispatch_uid="landing-document-opened")
        for model in (Document, Proposal, Collection):
            post_save.connect(_on_document_saved, sender=model, dispatch_uid=f"landing-sync-{model.__name__}")
        post_save.connect(_on_dataset_saved, sender=Dataset, dispatch_uid="landing-dataset-saved")
        post_save.connect(_on_member_changed, sender=Member, dispatch_uid="landing-member-saved")
        post_delete.connect(_on_member_changed, sender=Member, dispatch_uid="landing-member-deleted")
