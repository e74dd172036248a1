"""Matches each dataset ingestion records with the proposal's plan, in the writing transaction."""

from django.dispatch import receiver

from catalogue.models import Dataset
from catalogue.services import dmp
from catalogue.signals import dataset_recorded


@receiver(dataset_recorded, dispatch_uid="dmp-match-dataset")
def _dataset_recorded(sender: object, dataset: Dataset, **kwargs: object) -> None:
    dmp.match_dataset(dataset=dataset)
