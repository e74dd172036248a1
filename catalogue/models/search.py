"""The relevance index of the PaNOSC `query` (spec §6.3): tf per (term, item), df per term, one corpus per group.

Only public items are indexed (open datasets, documents holding one, instruments), so that N and df never
reveal embargoed text. catalogue.search.index keeps these rows fresh; catalogue.search.scoring reads them.
"""

from django.db import models


class SearchGroup(models.TextChoices):
    DATASETS = "datasets", "datasets"
    DOCUMENTS = "documents", "documents"
    INSTRUMENTS = "instruments", "instruments"


class SearchTerm(models.Model):
    group = models.CharField(max_length=12, choices=SearchGroup.choices)
    term = models.CharField(max_length=64)
    document_frequency = models.PositiveIntegerField(default=0, help_text="df: indexed items that contain the term.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "term"], name="search_term_unique")]

    def __str__(self) -> str:
        return f"{self.group}:{self.term} (df {self.document_frequency})"


class SearchIndexState(models.Model):
    """N per group (indexed public items) and when the group last changed; shown on the PaNOSC status route."""

    group = models.CharField(max_length=12, choices=SearchGroup.choices, unique=True)
    items = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.group}: {self.items} items"


class Posting(models.Model):
    """tf of one term in one item; the item's group is the table's."""

    term = models.ForeignKey(SearchTerm, on_delete=models.CASCADE, related_name="+")
    tf = models.FloatField(help_text="count of the term in the item / distinct terms of the item")

    class Meta:
        abstract = True


class DatasetPosting(Posting):
    dataset = models.ForeignKey("catalogue.Dataset", on_delete=models.CASCADE, related_name="search_postings")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["term", "dataset"], name="dataset_posting_unique")]
        indexes = [models.Index(fields=["term", "tf"], name="dataset_posting_term_tf")]

    def __str__(self) -> str:
        return f"{self.term_id} in dataset {self.dataset_id}: {self.tf}"


class DocumentPosting(Posting):
    document = models.ForeignKey("catalogue.Document", on_delete=models.CASCADE, related_name="search_postings")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["term", "document"], name="document_posting_unique")]
        indexes = [models.Index(fields=["term", "tf"], name="document_posting_term_tf")]

    def __str__(self) -> str:
        return f"{self.term_id} in document {self.document_id}: {self.tf}"


class InstrumentPosting(Posting):
    instrument = models.ForeignKey("catalogue.Instrument", on_delete=models.CASCADE, related_name="search_postings")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["term", "instrument"], name="instrument_posting_unique")]
        indexes = [models.Index(fields=["term", "tf"], name="instrument_posting_term_tf")]

    def __str__(self) -> str:
        return f"{self.term_id} in instrument {self.instrument_id}: {self.tf}"


# Connect the index's signal receivers with the models (catalogue.apps is not ours to extend).
from catalogue.search import receivers  # noqa: E402, F401
