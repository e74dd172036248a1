"""Documents: proposals (one experiment, with a DOI) and collections (datasets behind a paper, with a DOI).

Both are PaNOSC Documents (type "proposal" and "publication"); Proposal and Collection are proxies of one table
so that the search API queries one relation.
"""

from typing import ClassVar

from django.contrib.auth.models import Group
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models.functions import Now
from simple_history.models import HistoricalRecords

from catalogue.models.validators import validate_json_depth


class DocumentKind(models.TextChoices):
    PROPOSAL = "proposal", "proposal"
    SESSION = "session", "instrument session"
    COLLECTION = "collection", "collection"


class DoiState(models.TextChoices):
    NONE = "", "no DOI"
    LOCAL_DRAFT = "local-draft", "local draft (no DataCite credentials)"
    DRAFT = "draft", "draft"
    REGISTERED = "registered", "registered"
    FINDABLE = "findable", "findable"


class Document(models.Model):
    kind = models.CharField(max_length=16, choices=DocumentKind.choices, default=DocumentKind.PROPOSAL)
    pid = models.CharField(max_length=255, unique=True)
    proposal_number = models.CharField(
        max_length=64, blank=True, help_text="As the proposal system gave it, e.g. mt9396-1 or IPTS-26010."
    )
    facility = models.ForeignKey(
        "catalogue.Facility", null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    instrument = models.ForeignKey(
        "catalogue.Instrument",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sessions",
        help_text="The instrument of a per-instrument, per-day session proposal.",
    )
    instruments = models.ManyToManyField(
        "catalogue.Instrument", blank=True, related_name="proposals", help_text="As the user office allocated them."
    )
    title = models.CharField(max_length=1024)
    summary = models.TextField(blank=True)
    keywords = ArrayField(models.CharField(max_length=255), default=list, blank=True)
    licence = models.CharField(max_length=64, blank=True, help_text="SPDX identifier, e.g. CC-BY-4.0")
    doi = models.CharField(max_length=255, unique=True, null=True, blank=True)
    doi_state = models.CharField(max_length=16, choices=DoiState.choices, default=DoiState.NONE, blank=True)
    start_date = models.DateTimeField(null=True, blank=True)
    end_date = models.DateTimeField(null=True, blank=True)
    release_date = models.DateTimeField(
        null=True, blank=True, help_text="Embargo end; kept by services.embargo from the datasets or the override."
    )
    release_date_override = models.DateTimeField(null=True, blank=True, help_text="Set by a steward.")
    open_now = models.BooleanField(default=False, help_text="Opened explicitly, whatever the release date.")
    opened_at = models.DateTimeField(null=True, blank=True, help_text="When the opening was processed.")
    embargo_reminder_sent_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True, help_text="Collections: when published.")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True)
    owner_group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    access_groups = models.ManyToManyField(Group, blank=True, related_name="documents")
    collected_datasets = models.ManyToManyField(
        "catalogue.Dataset", blank=True, related_name="collections", help_text="Collections only."
    )
    funding = models.JSONField(
        default=list,
        blank=True,
        help_text="[{funder_name, funder_ror, award_number}]",
        validators=[validate_json_depth],
    )
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)
    # The OAI-PMH datestamp: kept by PostgreSQL (migration 0019) on every change of the record, a DOI update and the
    # opening or withdrawal of one of its datasets included.
    record_changed_at = models.DateTimeField(db_default=Now(), editable=False)
    # DataCite's state, the reminder stamp and the derived release date are written by services with plain UPDATEs:
    # left out of history, which would credit them to the next person who edits the record.
    history = HistoricalRecords(
        m2m_fields=[collected_datasets],
        excluded_fields=["record_changed_at", "doi_state", "embargo_reminder_sent_at", "release_date"],
    )

    class Meta:
        ordering = ["title", "pid"]
        indexes = [
            models.Index(fields=["kind", "release_date"]),
            # The next release date of any document (landing.services.page_cache's embargo boundary).
            models.Index(fields=["release_date"], name="document_release_date"),
            models.Index(fields=["proposal_number"]),
            models.Index(fields=["title", "pid"], name="document_title"),  # the REST API's order: a page read in it
            # The portal's proposal shortcut matches the number case-insensitively ("MT9396-1").
            models.Index(models.functions.Upper("proposal_number"), name="document_number_upper"),
            models.Index(models.functions.Upper("doi"), name="document_doi_upper"),
            GinIndex(fields=["keywords"], name="document_keywords_gin"),
            # OAI-PMH (landing.oai.records.doi_documents): the harvested DOIs in datestamp order, with the columns of
            # the harvest's filters, so that the first request's count reads this small index alone.
            models.Index(
                fields=["record_changed_at", "id"],
                include=["withdrawn_at", "open_now", "release_date", "facility", "instrument"],
                condition=models.Q(doi__isnull=False, doi_state__in=[DoiState.FINDABLE, DoiState.REGISTERED])
                & (~models.Q(kind=DocumentKind.COLLECTION) | models.Q(published_at__isnull=False)),
                name="document_harvest",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.proposal_number or self.pid}: {self.title}"

    @property
    def panosc_type(self) -> str:
        return "publication" if self.kind == DocumentKind.COLLECTION else "proposal"


class ProposalManager(models.Manager["Proposal"]):
    def get_queryset(self) -> models.QuerySet["Proposal"]:
        return super().get_queryset().exclude(kind=DocumentKind.COLLECTION)


class Proposal(Document):
    objects: ClassVar[ProposalManager] = ProposalManager()

    class Meta:
        proxy = True


class CollectionManager(models.Manager["Collection"]):
    def get_queryset(self) -> models.QuerySet["Collection"]:
        return super().get_queryset().filter(kind=DocumentKind.COLLECTION)


class Collection(Document):
    objects: ClassVar[CollectionManager] = CollectionManager()

    class Meta:
        proxy = True

    def save(self, *args, **kwargs) -> None:
        self.kind = DocumentKind.COLLECTION
        super().save(*args, **kwargs)
