"""Keeps the stored FAIR scores current: every change to a dataset, its proposal, people, affiliations, samples,
instrument, files or related works queues a recompute that runs once the transaction commits.

Changes are collected per thread and handled once per commit. A change that touches few datasets (a steward's or
a scientist's edit) is scored right after the commit, so the page they return to shows the new score; one that
touches many (a person's ORCID iD on 340 datasets, an instrument) goes to a Celery task, enqueued on commit.
"""

import logging

from django.conf import settings
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from catalogue.commit_batches import CommitBatch, by_kind
from catalogue.signals import dataset_opened, dataset_recorded, document_opened

logger = logging.getLogger(__name__)


def queue(kind: str, ids: list[int]) -> None:
    """Rescore what depends on these records of `kind` (a field of services.fair.Changed) after the commit."""
    _rescoring.add((kind, pk) for pk in ids if pk is not None)


def _rescore(items: set[tuple[str, int]]) -> None:
    from catalogue.fair import tasks
    from catalogue.services import fair

    changed = fair.Changed(**{kind: tuple(ids) for kind, ids in by_kind(items).items()})
    few = fair.affected_datasets(changed).values("pk")[: settings.FAIR_INLINE_DATASETS + 1].count()
    if few <= settings.FAIR_INLINE_DATASETS:
        try:
            fair.recompute(changed)
            return
        except Exception:  # the edit is committed: let the worker score it rather than fail the request
            logger.exception("FAIR scores of %s could not be computed inline; queued", changed)
    tasks.recompute_scores.delay(changed.as_json())


_rescoring = CommitBatch(_rescore, robust=True)


def _dataset_saved(sender: object, instance, **kwargs: object) -> None:
    queue("datasets", [instance.pk])


def _dataset_deleted(sender: object, instance, **kwargs: object) -> None:
    from catalogue.services import fair

    fair.forget_datasets(dataset_ids=[instance.pk])


def _dataset_event(sender: object, dataset, **kwargs: object) -> None:
    queue("datasets", [dataset.pk])


def _document_event(sender: object, document, **kwargs: object) -> None:
    queue("documents", [document.pk])


def _by_attribute(kind: str, attribute: str):
    def receiver(sender: object, instance, **kwargs: object) -> None:
        queue(kind, [getattr(instance, attribute)])

    return receiver


def _links_changed(sender: object, instance, action: str, reverse: bool, pk_set, **kwargs: object) -> None:
    if not action.startswith("post_"):
        return
    if reverse:  # sample.datasets.add(...), collection membership seen from the dataset
        queue("datasets", sorted(pk_set or []))
    else:
        queue("datasets", [instance.pk])


def _collection_changed(sender: object, instance, action: str, reverse: bool, pk_set, **kwargs: object) -> None:
    if not action.startswith("post_"):
        return
    if reverse:
        queue("datasets", [instance.pk])
        queue("documents", sorted(pk_set or []))
    else:
        queue("documents", [instance.pk])
        queue("datasets", sorted(pk_set or []))


# Before the cascade deletes the score and gaps, so the kept sums lose them too.
pre_delete.connect(_dataset_deleted, sender="catalogue.Dataset", dispatch_uid="fair-dataset-deleted")
dataset_recorded.connect(_dataset_event, dispatch_uid="fair-dataset-recorded")
dataset_opened.connect(_dataset_event, dispatch_uid="fair-dataset-opened")
document_opened.connect(_document_event, dispatch_uid="fair-document-opened")
for model, handler in (
    ("catalogue.Dataset", _dataset_saved),
    ("catalogue.Document", _by_attribute("documents", "pk")),
    ("catalogue.Person", _by_attribute("people", "pk")),
    ("catalogue.Affiliation", _by_attribute("affiliations", "pk")),
    ("catalogue.Instrument", _by_attribute("instruments", "pk")),
    ("catalogue.Sample", _by_attribute("samples", "pk")),
):
    post_save.connect(handler, sender=model, dispatch_uid=f"fair-saved-{model}")
for model, handler in (
    ("catalogue.Member", _by_attribute("documents", "document_id")),
    ("catalogue.RelatedWork", _by_attribute("documents", "document_id")),
    ("catalogue.Parameter", _by_attribute("datasets", "dataset_id")),
    ("catalogue.DataFile", _by_attribute("datasets", "dataset_id")),
):
    post_save.connect(handler, sender=model, dispatch_uid=f"fair-saved-{model}")
    post_delete.connect(handler, sender=model, dispatch_uid=f"fair-deleted-{model}")
for through in ("techniques", "samples", "input_datasets"):
    m2m_changed.connect(_links_changed, sender=f"catalogue.Dataset_{through}", dispatch_uid=f"fair-{through}")
m2m_changed.connect(_collection_changed, sender="catalogue.Document_collected_datasets", dispatch_uid="fair-coll")
