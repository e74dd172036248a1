"""Domain events other apps listen to (landing mints DOIs, the search index refreshes its terms)."""

from django.dispatch import Signal

# Sent after a dataset was written by ingestion (created or updated), inside the writing transaction.
# kwargs: dataset (catalogue.models.Dataset), created (bool)
dataset_recorded = Signal()

# Sent when an embargo ended or was lifted early, inside the opening transaction (receivers that call out, such as
# the DataCite update, enqueue with delay_on_commit). kwargs: dataset (catalogue.models.Dataset)
dataset_opened = Signal()
# kwargs: document (catalogue.models.Document), its DOI to be made findable with the full record.
document_opened = Signal()
