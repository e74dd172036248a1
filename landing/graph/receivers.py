"""Keeps the graph store in step: every change to what an entity's RDF says queues a refresh of that entity and of
those that state something of it, sent as one Celery task per commit (a worker never reads uncommitted rows).

A dataset's RDF carries its proposal's creators and licence and its inputs' openness; a DOI's lists its datasets.
Openings (signals), withdrawals and steward edits (model saves) all arrive here; an embargo that simply runs out
is picked up by the opening sweep's signal and by the beat task refresh_recent.
"""

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from catalogue.commit_batches import CommitBatch
from catalogue.signals import dataset_opened, dataset_recorded, document_opened

TASK_BATCH = 500


def queue(keys: list[str]) -> None:
    """Refresh these entities ("dataset:42") once the current transaction commits (at once outside one)."""
    _refreshing.add(keys)


def _refresh(keys: set[str]) -> None:
    from landing.graph.tasks import refresh_entities

    ordered = sorted(keys)
    for start in range(0, len(ordered), TASK_BATCH):
        refresh_entities.delay(ordered[start : start + TASK_BATCH])


_refreshing = CommitBatch(_refresh)


def dataset_keys(dataset_ids: list[int]) -> list[str]:
    """The datasets, the DOIs holding them and the datasets derived from them."""
    from catalogue.models import Dataset, Document

    ids = [pk for pk in dataset_ids if pk is not None]
    proposals = Dataset.objects.filter(pk__in=ids).values_list("proposal_id", flat=True)
    collections = Document.collected_datasets.through.objects.filter(dataset_id__in=ids).values_list(
        "document_id", flat=True
    )
    derived = Dataset.input_datasets.through.objects.filter(to_dataset_id__in=ids).values_list(
        "from_dataset_id", flat=True
    )
    return [f"dataset:{pk}" for pk in {*ids, *derived}] + [f"document:{pk}" for pk in {*proposals, *collections}]


def document_keys(document_id: int) -> list[str]:
    """A DOI and every dataset whose RDF carries its record (creators, licence, funding, isPartOf)."""
    from catalogue.models import Dataset

    datasets = Dataset.objects.filter(proposal_id=document_id).values_list("pk", flat=True)
    collected = Dataset.objects.filter(collections=document_id).values_list("pk", flat=True)
    return [f"document:{document_id}", "catalogue:0", *(f"dataset:{pk}" for pk in {*datasets, *collected})]


def _dataset_changed(sender: object, **kwargs: object) -> None:
    dataset: Any = kwargs.get("dataset") or kwargs["instance"]  # a Dataset, from a catalogue signal or post_save
    queue(dataset_keys([dataset.pk]))


def _dataset_deleting(sender: object, instance, **kwargs: object) -> None:
    queue(dataset_keys([instance.pk]))


def _document_changed(sender: object, **kwargs: object) -> None:
    document: Any = kwargs.get("document") or kwargs["instance"]  # a Document, from a catalogue signal or post_save
    queue(document_keys(document.pk))


def _part_changed(sender: object, instance, **kwargs: object) -> None:
    """A file, parameter or related work: its dataset's or DOI's RDF."""
    if getattr(instance, "dataset_id", None):
        queue(dataset_keys([instance.dataset_id]))
    elif getattr(instance, "document_id", None):
        queue([f"document:{instance.document_id}"])


def _member_changed(sender: object, instance, **kwargs: object) -> None:
    queue(document_keys(instance.document_id))


def _instrument_changed(sender: object, instance, **kwargs: object) -> None:
    queue([f"instrument:{instance.pk}", "catalogue:0"])


def _facility_changed(sender: object, instance, **kwargs: object) -> None:
    queue(["catalogue:0", *(f"instrument:{pk}" for pk in instance.instruments.values_list("pk", flat=True))])


def _sample_changed(sender: object, instance, **kwargs: object) -> None:
    queue(dataset_keys(list(instance.datasets.values_list("pk", flat=True))))


def _dataset_links_changed(sender: type, instance, action: str, reverse: bool, pk_set, **kwargs: object) -> None:
    if not action.startswith("post_"):
        return
    if reverse and sender.__name__ == "Document_collected_datasets":  # dataset.collections.add(...)
        queue([*dataset_keys([instance.pk]), *(f"document:{pk}" for pk in pk_set or ())])
    elif sender.__name__ == "Document_collected_datasets":
        queue([f"document:{instance.pk}", *dataset_keys(sorted(pk_set or ()))])
    elif reverse:  # technique.datasets.add(...), sample.datasets.add(...)
        queue(dataset_keys(sorted(pk_set or ()) or list(instance.datasets.values_list("pk", flat=True))))
    else:
        queue(dataset_keys([instance.pk, *(pk_set or ())]))


def connect() -> None:
    dataset_recorded.connect(_dataset_changed, dispatch_uid="graph-dataset-recorded")
    dataset_opened.connect(_dataset_changed, dispatch_uid="graph-dataset-opened")
    document_opened.connect(_document_changed, dispatch_uid="graph-document-opened")
    post_save.connect(_dataset_changed, sender="catalogue.Dataset", dispatch_uid="graph-dataset-saved")
    pre_delete.connect(_dataset_deleting, sender="catalogue.Dataset", dispatch_uid="graph-dataset-deleted")
    for model in ("catalogue.Document", "catalogue.Proposal", "catalogue.Collection"):
        post_save.connect(_document_changed, sender=model, dispatch_uid=f"graph-saved-{model}")
        post_delete.connect(_document_changed, sender=model, dispatch_uid=f"graph-deleted-{model}")
    for model in ("catalogue.DataFile", "catalogue.Parameter", "catalogue.RelatedWork"):
        post_save.connect(_part_changed, sender=model, dispatch_uid=f"graph-saved-{model}")
        post_delete.connect(_part_changed, sender=model, dispatch_uid=f"graph-deleted-{model}")
    for signal in (post_save, post_delete):
        signal.connect(_member_changed, sender="catalogue.Member", dispatch_uid=f"graph-member-{signal}")
        signal.connect(_instrument_changed, sender="catalogue.Instrument", dispatch_uid=f"graph-instrument-{signal}")
    post_save.connect(_facility_changed, sender="catalogue.Facility", dispatch_uid="graph-facility-saved")
    post_save.connect(_sample_changed, sender="catalogue.Sample", dispatch_uid="graph-sample-saved")
    for through in (
        "catalogue.Dataset_techniques",
        "catalogue.Dataset_samples",
        "catalogue.Dataset_input_datasets",
        "catalogue.Document_collected_datasets",
    ):
        m2m_changed.connect(_dataset_links_changed, sender=through, dispatch_uid=f"graph-links-{through}")
