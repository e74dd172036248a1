"""Keeps the relevance index fresh: every change to a scored text queues a reindex that runs after commit.

Listens to ingestion's dataset_recorded and to the model signals of steward edits (admin, REST API). Changes are
collected per thread and sent as one Celery task per group when the transaction commits, so a worker never reads
uncommitted rows and a dataset with 40 parameters is reindexed once.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from catalogue.commit_batches import CommitBatch, by_kind
from catalogue.signals import dataset_opened, dataset_recorded, document_opened


def queue_reindex(group: str, ids: list[int]) -> None:
    """Reindex these items once the current transaction commits (at once outside a transaction)."""
    _reindexing.add((group, pk) for pk in ids if pk is not None)


def _reindex(items: set[tuple[str, int]]) -> None:
    from catalogue.search.tasks import reindex_items

    for group, ids in by_kind(items).items():
        reindex_items.delay(group, ids)


_reindexing = CommitBatch(_reindex)


def _dataset_recorded(sender: object, dataset, **kwargs: object) -> None:
    queue_reindex("datasets", [dataset.pk])


def _document_opened(sender: object, document, **kwargs: object) -> None:
    queue_reindex("documents", [document.pk])


def _dataset_saved(sender: object, instance, **kwargs: object) -> None:
    queue_reindex("datasets", [instance.pk])


def _document_saved(sender: object, instance, **kwargs: object) -> None:
    from catalogue.visibility import forget_collections_cache

    forget_collections_cache()
    queue_reindex("documents", [instance.pk])
    # a dataset's scored text carries its proposal's title
    queue_reindex("datasets", list(instance.datasets.values_list("pk", flat=True)))


def _instrument_saved(sender: object, instance, **kwargs: object) -> None:
    queue_reindex("instruments", [instance.pk])
    queue_reindex("datasets", list(instance.datasets.values_list("pk", flat=True)))


def _sample_saved(sender: object, instance, **kwargs: object) -> None:
    queue_reindex("datasets", list(instance.datasets.values_list("pk", flat=True)))


def _parameter_saved(sender: object, instance, **kwargs: object) -> None:
    from catalogue.search.ranges import forget_ranges

    forget_ranges()
    if instance.dataset_id:
        queue_reindex("datasets", [instance.dataset_id])


def _member_saved(sender: object, instance, **kwargs: object) -> None:
    queue_reindex("documents", [instance.document_id])


def _dataset_links_changed(sender: object, instance, action: str, reverse: bool, pk_set, **kwargs: object) -> None:
    if not action.startswith("post_"):
        return
    if reverse:  # technique.datasets.add(...) / sample.datasets.add(...)
        queue_reindex("datasets", sorted(pk_set or []) or list(instance.datasets.values_list("pk", flat=True)))
    else:
        queue_reindex("datasets", [instance.pk])


def _collection_changed(sender: object, instance, action: str, reverse: bool, pk_set, **kwargs: object) -> None:
    if not action.startswith("post_"):
        return
    if reverse:
        queue_reindex("datasets", [instance.pk])
        queue_reindex("documents", sorted(pk_set or []))
    else:
        queue_reindex("documents", [instance.pk])


def _item_deleted(sender, instance, **kwargs: object) -> None:
    # The postings go with the row (CASCADE); take them out first so that df and N stay right.
    from catalogue.models import SearchGroup
    from catalogue.search import index

    group = {"Dataset": "datasets", "Document": "documents", "Instrument": "instruments"}[sender.__name__]
    index.reindex(group=SearchGroup(group), ids=[instance.pk], forget=True)
    if group == "datasets":
        queue_reindex("documents", index.documents_of_datasets([instance.pk]))


dataset_recorded.connect(_dataset_recorded, dispatch_uid="search-dataset-recorded")
dataset_opened.connect(_dataset_recorded, dispatch_uid="search-dataset-opened")
document_opened.connect(_document_opened, dispatch_uid="search-document-opened")
for model, handler in (
    ("catalogue.Dataset", _dataset_saved),
    ("catalogue.Document", _document_saved),
    ("catalogue.Instrument", _instrument_saved),
    ("catalogue.Sample", _sample_saved),
    ("catalogue.Parameter", _parameter_saved),
    ("catalogue.Member", _member_saved),
):
    post_save.connect(handler, sender=model, dispatch_uid=f"search-saved-{model}")
for model, handler in (("catalogue.Parameter", _parameter_saved), ("catalogue.Member", _member_saved)):
    post_delete.connect(handler, sender=model, dispatch_uid=f"search-deleted-{model}")
for model in ("catalogue.Dataset", "catalogue.Document", "catalogue.Instrument"):
    pre_delete.connect(_item_deleted, sender=model, dispatch_uid=f"search-deleting-{model}")
m2m_changed.connect(_dataset_links_changed, sender="catalogue.Dataset_techniques", dispatch_uid="search-techniques")
m2m_changed.connect(_dataset_links_changed, sender="catalogue.Dataset_samples", dispatch_uid="search-samples")
m2m_changed.connect(_collection_changed, sender="catalogue.Document_collected_datasets", dispatch_uid="search-coll")
