"""A narrow copy of what the portal filters and counts datasets by: one row per dataset, written by PostgreSQL.

Facet counts look at every dataset a visitor may see. On the dataset table itself (titles, abstracts, JSON
metadata: kilobytes a row) that is a scan of gigabytes at a million datasets; this copy is ~150 bytes a row.
Triggers (catalogue/search/sql/facet_rows.sql) rewrite a row in the same transaction as any change to its
dataset, its technique links, its range parameters, or its instrument's or proposal's facility, so the copy is
never stale: an embargo extended or a dataset withdrawn is reflected in the very statement that made the change.
Nothing in Python writes it.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models

# Parameters copied per dataset, by column prefix: (name, pint dimensionality of its SI unit); the triggers'
# SQL is written from this list (catalogue.search.database; docs/recipes.md, "Add a facet or a range parameter").
RANGED_PARAMETERS: dict[str, tuple[str, str]] = {
    "temperature": ("sample_temperature", "[temperature]"),
    "wavelength": ("incident_wavelength", "[length]"),
    "energy": ("incident_photon_energy", "[mass] * [length] ** 2 / [time] ** 2"),
    "pressure": ("sample_pressure", "[mass] / [length] / [time] ** 2"),
}

# The facet keys a facet row is counted by (FacetGroup, FacetCountDelta and the SQL of catalogue/search/sql/).
FACET_KEYS = ("technique_set_id", "instrument_id", "facility_id", "year", "file_format")
RANGED_COLUMNS = [f"{prefix}_{part}" for prefix in RANGED_PARAMETERS for part in ("low", "high", "count")]
# The dataset's columns that catalogue.visibility decides openness by, copied under the same names.
ACCESS_COLUMNS = ["release_date", "open_now", "withdrawn_at"]


class TechniqueSet(models.Model):
    """A distinct set of technique ids that some dataset holds: a few dozen even in a large catalogue.

    Facet rows point to their set, so counting groups by one integer instead of hashing an array per dataset
    (277 → ~90 ms for a million rows) and a technique filter becomes a list of set ids.
    """

    techniques = ArrayField(models.BigIntegerField(), unique=True, help_text="Technique ids, sorted.")

    def __str__(self) -> str:
        return f"technique set {self.techniques}"


class FacetGroup(models.Model):
    """One combination of facet keys that some dataset has had: a few thousand even in a large catalogue.

    Facet rows point to theirs (a trigger of catalogue/search/sql/facet_groups.sql finds or adds it), so that the
    counts of a text or range search group narrow indexes of rows by one integer (catalogue.search.counts).
    Never deleted: a combination no row has any more counts nothing.
    """

    key = models.TextField(unique=True, help_text="The keys as one string, so that one index lookup finds them.")
    technique_set = models.ForeignKey(TechniqueSet, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    instrument_id = models.BigIntegerField(null=True)
    facility_id = models.BigIntegerField(null=True)
    year = models.SmallIntegerField(null=True)
    file_format = models.CharField(max_length=32, blank=True)

    def __str__(self) -> str:
        return f"facet group {self.key}"


class DatasetFacets(models.Model):
    dataset = models.OneToOneField(
        "catalogue.Dataset",
        primary_key=True,
        on_delete=models.DO_NOTHING,  # the delete trigger removes the row with its dataset
        db_constraint=False,
        related_name="facets",
    )
    proposal = models.ForeignKey(
        "catalogue.Document",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # facets_by_proposal
        related_name="+",
    )
    instrument_id = models.BigIntegerField(null=True)
    facility_id = models.BigIntegerField(null=True, help_text="The instrument's facility, else the proposal's.")
    year = models.SmallIntegerField(null=True, help_text="Year of creation_time in UTC.")
    creation_time = models.DateTimeField()
    file_format = models.CharField(max_length=32, blank=True)
    technique_set = models.ForeignKey(TechniqueSet, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    # The combination of the keys above, set by a trigger whenever they change.
    group = models.ForeignKey(
        FacetGroup, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    # The portal's range parameters in SI (lowest and highest value, how many): the dataset's parameter rows of that
    # name and dimension. A range filter reads them instead of joining ~600k parameter rows (spec §4 names).
    temperature_low = models.FloatField(null=True)
    temperature_high = models.FloatField(null=True)
    temperature_count = models.PositiveSmallIntegerField(default=0)
    wavelength_low = models.FloatField(null=True)
    wavelength_high = models.FloatField(null=True)
    wavelength_count = models.PositiveSmallIntegerField(default=0)
    energy_low = models.FloatField(null=True)
    energy_high = models.FloatField(null=True)
    energy_count = models.PositiveSmallIntegerField(default=0)
    pressure_low = models.FloatField(null=True)
    pressure_high = models.FloatField(null=True)
    pressure_count = models.PositiveSmallIntegerField(default=0)
    # The dataset's access columns, under the same names, so that visibility's rules apply to this table as they are.
    release_date = models.DateTimeField(null=True)
    open_now = models.BooleanField(default=False)
    withdrawn_at = models.DateTimeField(null=True)
    # Open when the row was last written (catalogue/search/sql/facet_counts.sql sets it): such a row stays open until
    # a write changes it, since a release date once passed stays passed. Only rows with this set are in
    # FacetCountDelta.
    counted_open = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "dataset facets"
        indexes = [
            # Open data newest or oldest first, and counted per group under text and range filters together, read
            # from the index alone: walking the dataset table's dates newest first steps over every embargoed dataset
            # of the last years, and a range count read the whole table (range columns included: 380 → 230 ms at 1M).
            models.Index(
                fields=["creation_time", "dataset"],
                include=[
                    "technique_set",
                    "instrument_id",
                    "facility_id",
                    "year",
                    "file_format",
                    *RANGED_COLUMNS,
                    "group",
                ],
                name="facets_open_by_date",
                condition=models.Q(counted_open=True),
            ),
            # The rows whose release date may have passed since they were written (catalogue.search.counts.kept).
            models.Index(
                fields=["release_date"],
                name="facets_release_pending",
                condition=models.Q(counted_open=False, withdrawn_at__isnull=True),
            ),
            # A range count reads only the open rows within its bound, with their groups (the lowest value for an
            # upper bound, the highest for a lower one; catalogue.search.ranges.copied_q). With the
            # dataset too, so that a text and a range together probe the text's datasets with those rows instead of
            # reading every open row (text and temperature < 80 °C at 1M: 290 → 145 ms; a range alone no slower),
            # and the count of values, so that a range with both bounds stops at its upper one (204 → 60 ms).
            *(
                models.Index(
                    fields=[f"{prefix}_{end}"],
                    include=["group", "dataset", f"{prefix}_count"],
                    name=f"facets_open_{prefix}_{end}",
                    condition=models.Q(counted_open=True),
                )
                for prefix in RANGED_PARAMETERS
                for end in ("low", "high")
            ),
            # A proposal's open datasets tested on the copied conditions from the index alone (the PaNOSC API's
            # documents with datasets that qualify): the proposal's heap rows cost 20 buffer reads a document.
            models.Index(
                fields=["proposal"],
                include=["dataset", "technique_set", *RANGED_COLUMNS, *ACCESS_COLUMNS],
                name="facets_by_proposal",
            ),
            # The DOIs of an instrument's or a facility's OAI-PMH set: PostgreSQL hashes the proposals of that
            # instrument's or facility's rows, read off these, where it read every row of the catalogue.
            models.Index(fields=["instrument_id", "proposal"], name="facets_instrument_proposal"),
            models.Index(fields=["facility_id", "proposal"], name="facets_facility_proposal"),
        ]

    def __str__(self) -> str:
        return f"facets of dataset {self.dataset_id}"


class FacetCountDelta(models.Model):
    """Changes to the number of counted-open facet rows per combination of facet keys, appended by a trigger on
    DatasetFacets (catalogue/search/sql/facet_counts.sql) and summed by catalogue.search.counts.kept.

    An append-only log, so that concurrent ingestions never wait on each other for a shared counter row;
    counts.compact() folds it back to one row per combination.
    """

    technique_set_id = models.BigIntegerField()
    instrument_id = models.BigIntegerField(null=True)
    facility_id = models.BigIntegerField(null=True)
    year = models.SmallIntegerField(null=True)
    file_format = models.CharField(max_length=32, blank=True)
    datasets = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.datasets:+d} datasets"
