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

    # No index of its own: the unique (term, item) index of each table serves every lookup by term.
    term = models.ForeignKey(SearchTerm, on_delete=models.CASCADE, db_index=False, related_name="+")
    tf = models.FloatField(help_text="count of the term in the item / distinct terms of the item")

    class Meta:
        abstract = True


class DatasetPosting(Posting):
    dataset = models.ForeignKey("catalogue.Dataset", on_delete=models.CASCADE, related_name="search_postings")
    # The dataset's facet group while its facet row is counted open, else null: kept by triggers of migration 0014
    # from the facet row, so that a text search's open counts read the text's postings alone
    # (catalogue.search.counts.by_postings) instead of merging them with every open dataset's group.
    open_group = models.ForeignKey(
        "catalogue.FacetGroup",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["term", "dataset"], include=["open_group"], name="dataset_posting_unique")
        ]
        indexes = [models.Index(fields=["term", "tf", "dataset"], name="dataset_posting_covering")]

    def __str__(self) -> str:
        return f"{self.term_id} in dataset {self.dataset_id}: {self.tf}"


class DocumentPosting(Posting):
    document = models.ForeignKey("catalogue.Document", on_delete=models.CASCADE, related_name="search_postings")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["term", "document"], name="document_posting_unique")]
        indexes = [models.Index(fields=["term", "tf", "document"], name="document_posting_covering")]

    def __str__(self) -> str:
        return f"{self.term_id} in document {self.document_id}: {self.tf}"


class InstrumentPosting(Posting):
    instrument = models.ForeignKey("catalogue.Instrument", on_delete=models.CASCADE, related_name="search_postings")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["term", "instrument"], name="instrument_posting_unique")]
        indexes = [models.Index(fields=["term", "tf", "instrument"], name="instrument_posting_covering")]

    def __str__(self) -> str:
        return f"{self.term_id} in instrument {self.instrument_id}: {self.tf}"
