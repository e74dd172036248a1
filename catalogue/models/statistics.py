"""How often a record's landing page was viewed and its data downloaded: counters kept beside the records, in rows
of their own, so that counting never writes (locks, triggers) a catalogue row. A record without a row has none."""

from django.db import models


class Statistics(models.Model):
    view_count = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class DocumentStatistics(Statistics):
    """Page views of a proposal's or collection's landing page."""

    document = models.OneToOneField(
        "catalogue.Document", primary_key=True, on_delete=models.CASCADE, related_name="statistics"
    )

    class Meta:
        db_table = "landing_documentstatistics"  # created by the landing app, which owned the model before
        verbose_name_plural = "document statistics"

    def __str__(self) -> str:
        return f"{self.document_id}: {self.view_count} views"


class DatasetStatistics(Statistics):
    """Page views and downloads of a dataset (a file or the whole zip each count one)."""

    dataset = models.OneToOneField(
        "catalogue.Dataset", primary_key=True, on_delete=models.CASCADE, related_name="statistics"
    )
    download_count = models.PositiveIntegerField(default=0)
    outside_download_count = models.PositiveIntegerField(default=0, help_text="Downloads by people outside the team.")

    class Meta:
        verbose_name_plural = "dataset statistics"

    def __str__(self) -> str:
        return f"{self.dataset_id}: {self.view_count} views, {self.download_count} downloads"
