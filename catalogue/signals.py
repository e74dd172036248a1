"""Domain events other apps listen to (landing mints DOIs, the search index refreshes its terms)."""

from django.dispatch import Signal

# Sent after a dataset was written by ingestion (created or updated), inside the writing transaction.
# kwargs: dataset (catalogue.models.Dataset), created (bool)
dataset_recorded = Signal()
