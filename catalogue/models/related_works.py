"""Works related to a DOI (papers citing or documenting the data), recorded by stewards and scientists.

The table was created by the landing app (migration landing 0001) and keeps its name; the catalogue owns the model
since the FAIR score's qualified links (I3) and its fixes read and write it.
"""

from django.db import models
from simple_history.models import HistoricalRecords


class RelatedWork(models.Model):
    """A paper or other work related to a DOI (a citation is evidenced reuse)."""

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
    history = HistoricalRecords()

    class Meta:
        db_table = "landing_relatedwork"
        ordering = ["document", "id"]
        constraints = [
            models.UniqueConstraint(fields=["document", "identifier", "relation_type"], name="related_work_unique")
        ]

    def __str__(self) -> str:
        return f"{self.document_id} {self.relation_type} {self.identifier}"
