"""Stored FAIR scores of datasets and DOIs, the gaps the stewards' worklist sums, and daily snapshots.

catalogue.fair defines the checks and computes the scores; services.fair writes these rows when a dataset, its
proposal, its people or its files change. The rows carry copies of the keys stewards group by (facility,
instrument, proposal), so the admin, the worklist and the dashboard read narrow rows and indexes, never the
kilobyte-wide dataset rows.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models


class FairScoreBase(models.Model):
    score = models.FloatField(help_text="0 to 1: the weighted share of the FAIR checks passed.")
    # {check key: [earned 0..1 or null when not applicable, what is missing]}
    results = models.JSONField(default=dict)
    computed_at = models.DateTimeField()

    class Meta:
        abstract = True


class DatasetFairScore(FairScoreBase):
    dataset = models.OneToOneField(
        "catalogue.Dataset", primary_key=True, on_delete=models.CASCADE, related_name="fair_score"
    )
    proposal = models.ForeignKey("catalogue.Document", on_delete=models.CASCADE, related_name="+")
    instrument = models.ForeignKey(
        "catalogue.Instrument", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    facility = models.ForeignKey(
        "catalogue.Facility", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        indexes = [
            # The admin sorts and filters by band on it; the dashboard's histograms read it alone.
            models.Index(fields=["score", "dataset"], name="fair_dataset_score"),
            models.Index(fields=["facility", "instrument", "score"], name="fair_dataset_instrument"),
        ]

    def __str__(self) -> str:
        return f"FAIR {self.score:.2f} of dataset {self.dataset_id}"


class DocumentFairScore(FairScoreBase):
    document = models.OneToOneField(
        "catalogue.Document", primary_key=True, on_delete=models.CASCADE, related_name="fair_score"
    )
    facility = models.ForeignKey(
        "catalogue.Facility", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["score", "document"], name="fair_document_score")]

    def __str__(self) -> str:
        return f"FAIR {self.score:.2f} of document {self.document_id}"


class FairGap(models.Model):
    """One check a dataset does not fully pass, with the score it would gain: what the worklist's sums (FairWorkItem)
    add up. Written a million at a time by the first scoring of a catalogue, so it carries few indexes: the unique
    one (the dataset's gaps) and those a deleted proposal or instrument needs (a facility is deleted only once its
    documents are)."""

    dataset = models.ForeignKey("catalogue.Dataset", on_delete=models.CASCADE, related_name="+", db_index=False)
    check_key = models.CharField(max_length=32)
    gain = models.FloatField(help_text="What the dataset's score rises by once the check passes.")
    proposal = models.ForeignKey("catalogue.Document", on_delete=models.CASCADE, related_name="+")
    instrument = models.ForeignKey(
        "catalogue.Instrument", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    facility = models.ForeignKey(
        "catalogue.Facility", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dataset", "check_key"], name="fair_gap_unique")]

    def __str__(self) -> str:
        return f"dataset {self.dataset_id} misses {self.check_key} (+{self.gain:.2f})"


class FairWorkItem(models.Model):
    """One item of the stewards' worklist, summed over its gaps: a check failed by the datasets of one proposal (or,
    for an instrument's checks, of one instrument), at one facility or site-wide. services.fair keeps these rows
    equal to a recount of the gaps in the transaction that writes the gaps, so the worklist reads its first page
    from an index instead of summing every gap."""

    site_wide = models.BooleanField(help_text="Summed over every facility; otherwise over `facility`'s datasets.")
    facility = models.ForeignKey(
        "catalogue.Facility", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    check_key = models.CharField(max_length=32)
    proposal = models.ForeignKey("catalogue.Document", null=True, on_delete=models.CASCADE, related_name="+")
    instrument = models.ForeignKey("catalogue.Instrument", null=True, on_delete=models.CASCADE, related_name="+")
    # Not a PositiveIntegerField: PostgreSQL checks the proposed row of an upsert (here a negative change) against
    # CHECK constraints before it finds the row to add it to.
    datasets = models.IntegerField()
    # In millionths (the gaps' gains are rounded to 6 decimals), so adding and removing gaps never drifts.
    gain_micro = models.BigIntegerField()
    lacking = models.PositiveIntegerField(
        null=True, help_text="Creators without ORCID iD / affiliations without ROR id."
    )
    edits = models.PositiveIntegerField()
    priority = models.FloatField(help_text="Gain per edit: the worklist's order.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site_wide", "facility", "check_key", "proposal", "instrument"],
                nulls_distinct=False,
                name="fair_work_item_unique",
            )
        ]
        indexes = [
            models.Index(
                models.F("priority").desc(),
                models.F("gain_micro").desc(),
                "check_key",
                "proposal",
                "instrument",
                condition=models.Q(site_wide=True),
                name="fair_work_item_site",
            ),
            models.Index(
                "facility",
                models.F("priority").desc(),
                models.F("gain_micro").desc(),
                "check_key",
                "proposal",
                "instrument",
                condition=models.Q(site_wide=False),
                name="fair_work_item_facility",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.check_key} on {self.datasets} datasets (+{self.gain_micro / 1e6:.2f})"


class FairScoreCount(models.Model):
    """How many datasets of one facility and instrument score in one hundredth (0.42 ≤ score < 0.43): kept by
    services.fair with the scores, so the band counts and the dashboard's histograms read a few hundred rows."""

    facility = models.ForeignKey("catalogue.Facility", null=True, on_delete=models.CASCADE, related_name="+")
    instrument = models.ForeignKey("catalogue.Instrument", null=True, on_delete=models.CASCADE, related_name="+")
    hundredth = models.PositiveSmallIntegerField(help_text="floor(score × 100): 0 to 100.")
    datasets = models.IntegerField()  # not Positive: see FairWorkItem.datasets

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "instrument", "hundredth"], nulls_distinct=False, name="fair_score_count_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.datasets} datasets scoring {self.hundredth / 100:.2f}"


class FairSnapshot(models.Model):
    """The distribution of one instrument's dataset scores on one day (a daily beat task writes them)."""

    day = models.DateField()
    facility = models.ForeignKey(
        "catalogue.Facility", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    instrument = models.ForeignKey(
        "catalogue.Instrument", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    datasets = models.PositiveIntegerField()
    mean = models.FloatField()
    histogram = ArrayField(models.PositiveIntegerField(), help_text="Datasets per tenth of the score, 0–0.1 first.")

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "facility", "instrument"], nulls_distinct=False, name="fair_snapshot_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.datasets} datasets, mean {self.mean:.2f}"
