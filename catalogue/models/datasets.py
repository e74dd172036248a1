"""Datasets: one measurement (raw) or one processing result (derived), with provenance and access fields."""

from datetime import datetime

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Now
from simple_history.models import HistoricalRecords

from catalogue.models.files import DataFile
from catalogue.models.validators import validate_json_depth


class DatasetKind(models.TextChoices):
    RAW = "raw", "raw"
    DERIVED = "derived", "derived"


class IngestionState(models.TextChoices):
    PENDING = "pending", "pending"
    INGESTED = "ingested", "ingested"
    FAILED = "failed", "failed"


# The years a measurement can lie in, as ingestion reads them (ingest/nexus/values.PLAUSIBLE_YEARS): an embargo end
# (up to a century later) then always computes, far from datetime's year 9999.
MEASUREMENT_YEARS = range(1900, 2201)


def validate_measurement_time(value: datetime) -> None:
    if value.year not in MEASUREMENT_YEARS:
        first, last = MEASUREMENT_YEARS[0], MEASUREMENT_YEARS[-1]
        raise ValidationError(f"A measurement time lies in the years {first}–{last}; {value:%Y-%m-%d} does not.")


class Dataset(models.Model):
    pid = models.CharField(max_length=255, unique=True, help_text="Stable local pid, minted once.")
    title = models.CharField(max_length=1024)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=8, choices=DatasetKind.choices, default=DatasetKind.RAW)
    keywords = ArrayField(models.CharField(max_length=255), default=list, blank=True)
    creation_time = models.DateTimeField(
        help_text="When the data was taken, or registered.", validators=[validate_measurement_time]
    )
    start_time = models.DateTimeField(null=True, blank=True, validators=[validate_measurement_time])
    end_time = models.DateTimeField(null=True, blank=True, validators=[validate_measurement_time])
    time_source = models.CharField(max_length=64, blank=True, help_text="Where the start time came from.")
    size = models.BigIntegerField(default=0, help_text="Total bytes of its files.")
    number_of_files = models.PositiveIntegerField(default=0)

    proposal = models.ForeignKey("catalogue.Document", on_delete=models.PROTECT, related_name="datasets")
    instrument = models.ForeignKey(
        "catalogue.Instrument", null=True, blank=True, on_delete=models.PROTECT, related_name="datasets"
    )
    instrument_name = models.CharField(
        max_length=255, blank=True, help_text="As the file names it; without an instrument: unmatched, for stewards."
    )
    samples = models.ManyToManyField("catalogue.Sample", blank=True, related_name="datasets")
    techniques = models.ManyToManyField("catalogue.Technique", blank=True, related_name="datasets")
    input_datasets = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="derived_datasets", help_text="Provenance."
    )
    software_name = models.CharField(max_length=255, blank=True)
    software_version = models.CharField(max_length=128, blank=True)
    definitions = ArrayField(
        models.CharField(max_length=64), default=list, blank=True, help_text="NeXus application definitions."
    )
    file_format = models.CharField(max_length=32, blank=True, help_text="e.g. NeXus/HDF5")

    scientific_metadata = models.JSONField(
        default=dict, blank=True, help_text="Free metadata beside parameters.", validators=[validate_json_depth]
    )
    raw_metadata = models.JSONField(
        default=dict, blank=True, help_text="What ingestion read, for reference.", validators=[validate_json_depth]
    )
    curated_fields = ArrayField(
        models.CharField(max_length=64), default=list, blank=True, help_text="Edited by a steward: kept on re-ingest."
    )
    source_folder = models.CharField(max_length=4096, blank=True)
    source_path = models.CharField(max_length=4096, blank=True, help_text="The master file.")
    entry_path = models.CharField(
        max_length=1024, blank=True, help_text="The NXentry (or NXsubentry) this dataset comes from."
    )
    file_dataset = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="entry_datasets",
        help_text="For a further entry of a multi-entry file: the dataset of its primary entry, which holds the "
        "file's rows (a file is linked once).",
    )
    ingestion_state = models.CharField(max_length=10, choices=IngestionState.choices, default=IngestionState.INGESTED)
    ingested_at = models.DateTimeField(null=True, blank=True)

    release_date = models.DateTimeField(
        help_text="Embargo end; kept by services.embargo from the measurement time and the overrides."
    )
    release_date_override = models.DateTimeField(null=True, blank=True, help_text="Set by a steward.")
    open_now = models.BooleanField(default=False, help_text="Opened explicitly, whatever the release date.")
    opened_at = models.DateTimeField(null=True, blank=True, help_text="When the opening was processed.")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)
    # The OAI-PMH datestamp: kept by PostgreSQL (migration 0019) on every change of the record, and on its opening.
    record_changed_at = models.DateTimeField(db_default=Now(), editable=False)
    # History records what people and ingestion changed. What services derive by plain UPDATEs after a save (the
    # release date, the curated-field list) is left out: history would credit it to the next editor. Views and
    # downloads are counted in DatasetStatistics.
    history = HistoricalRecords(
        excluded_fields=["raw_metadata", "modified_at", "release_date", "curated_fields", "record_changed_at"]
    )

    class Meta:
        ordering = ["title", "pid"]
        indexes = [
            models.Index(fields=["release_date"], name="dataset_release_date"),
            models.Index(fields=["creation_time", "pid"], name="dataset_creation"),
            models.Index(models.functions.Lower("title"), "pid", name="dataset_title_lower"),
            models.Index(fields=["title", "pid"], name="dataset_title"),  # the admin's order
            models.Index(fields=["file_format"], name="dataset_file_format"),  # the admin's format filter
            models.Index(fields=["source_path"], name="dataset_source_path"),
            # OAI-PMH (landing.oai.records): keyset pages in datestamp order, and the complete list's count at a
            # harvest's first request read from this index alone: it holds every column of the harvest's filter.
            models.Index(
                fields=["record_changed_at", "id"],
                include=["withdrawn_at", "open_now", "release_date", "opened_at", "instrument"],
                name="dataset_harvest",
            ),
            # OAI-PMH: whether a DOI is in an instrument's or facility's set, or open, by one probe of this index.
            models.Index(
                fields=["proposal", "instrument"],
                include=["withdrawn_at", "open_now", "release_date"],
                name="dataset_proposal_instrument",
            ),
            # OAI-PMH: the withdrawn datasets (deleted headers), counted apart from the open ones' kept counts.
            models.Index(
                fields=["record_changed_at", "id"],
                condition=models.Q(withdrawn_at__isnull=False),
                name="dataset_withdrawn",
            ),
            models.Index(
                fields=["instrument_name"],
                condition=models.Q(instrument__isnull=True) & ~models.Q(instrument_name=""),
                name="dataset_unmatched_instrument",
            ),
            GinIndex(fields=["keywords"], name="dataset_keywords_gin"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def data_files(self) -> models.QuerySet[DataFile]:
        """The files of this dataset: its own rows, or those of its file's primary entry (`file_dataset`)."""
        return DataFile.objects.filter(dataset_id=self.file_dataset_id or self.pk)


class Preview(models.Model):
    """The dataset's default plot drawn at ingestion (page and card sizes) with its caption, or why none could be made.

    `choice` records what was drawn and how (signal, axes, reduction of stacks, scales) for the notebook to redraw.
    """

    dataset = models.OneToOneField(Dataset, on_delete=models.CASCADE, related_name="preview")
    png = models.BinaryField(null=True, blank=True, help_text="Page size: the dataset page and the DOI page gallery.")
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    card_png = models.BinaryField(null=True, blank=True, help_text="Card size: the data alone, for result cards.")
    card_width = models.PositiveIntegerField(null=True, blank=True)
    card_height = models.PositiveIntegerField(null=True, blank=True)
    caption = models.TextField(blank=True, help_text="What the plot shows and every choice made.")
    choice = models.JSONField(default=dict, blank=True)
    signal_path = models.CharField(max_length=1024, blank=True)
    unavailable_reason = models.CharField(max_length=512, blank=True)

    def __str__(self) -> str:
        return f"preview of {self.dataset_id}"
