"""What the landing pages keep beside the catalogue: DataCite sync state and the changes that expire cached pages."""

from django.db import models

# Works related to a DOI moved to the catalogue (the FAIR score reads and fixes them), and so did page-view counts
# (beside the datasets' own); importable here as before.
from catalogue.models import DocumentStatistics, RelatedWork  # noqa: F401


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


class PageChange(models.Model):
    """A committed transaction that changed something a landing page shows, written by PostgreSQL (landing migration
    0003), or the sum of many after compaction: the sum of the weights is the generation cached pages are keyed by."""

    txid = models.BigIntegerField(primary_key=True)
    weight = models.BigIntegerField(default=1)

    def __str__(self) -> str:
        return f"transaction {self.txid} × {self.weight}"
