"""What the landing pages keep beside the catalogue: DataCite sync state, works citing a DOI, page-view counters."""

from django.db import models


class DoiRegistration(models.Model):
    """The last exchange with DataCite about one document's DOI, for curators to see (admin) and retries to read."""

    document = models.OneToOneField(
        "catalogue.Document", primary_key=True, on_delete=models.CASCADE, related_name="doi_registration"
    )
    metadata_sha256 = models.CharField(max_length=64, blank=True, help_text="Of the XML DataCite last accepted.")
    synced_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text="Failed attempts since the last success.")
    last_error = models.TextField(blank=True, help_text="DataCite's own words, e.g. a 422 validation message.")
    last_error_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"DataCite registration of {self.document_id}"


class RelatedWork(models.Model):
    """A paper or other work related to a DOI (a citation is evidenced reuse), recorded by a steward."""

    class Relation(models.TextChoices):
        IS_CITED_BY = "IsCitedBy", "is cited by"
        IS_SUPPLEMENT_TO = "IsSupplementTo", "is supplement to"
        IS_REFERENCED_BY = "IsReferencedBy", "is referenced by"
        IS_DOCUMENTED_BY = "IsDocumentedBy", "is documented by"

    class IdentifierType(models.TextChoices):
        DOI = "DOI", "DOI"
        URL = "URL", "URL"

    document = models.ForeignKey("catalogue.Document", on_delete=models.CASCADE, related_name="related_works")
    identifier = models.CharField(max_length=512, help_text="A DOI such as 10.1107/S1600577522001234, or a URL.")
    identifier_type = models.CharField(max_length=8, choices=IdentifierType.choices, default=IdentifierType.DOI)
    relation_type = models.CharField(max_length=32, choices=Relation.choices, default=Relation.IS_CITED_BY)
    resource_type = models.CharField(max_length=32, blank=True, default="JournalArticle")
    title = models.CharField(max_length=1024, blank=True)
    by_outside_group = models.BooleanField(
        default=True, help_text="Written by people outside the experiment team: counts as evidenced reuse."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document", "id"]
        constraints = [
            models.UniqueConstraint(fields=["document", "identifier", "relation_type"], name="related_work_unique")
        ]

    def __str__(self) -> str:
        return f"{self.document_id} {self.relation_type} {self.identifier}"


class DocumentStatistics(models.Model):
    """Page views of a proposal's or collection's landing page (dataset views are on Dataset.view_count)."""

    document = models.OneToOneField(
        "catalogue.Document", primary_key=True, on_delete=models.CASCADE, related_name="statistics"
    )
    view_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "document statistics"

    def __str__(self) -> str:
        return f"{self.document_id}: {self.view_count} views"
