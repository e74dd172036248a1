"""Facilities (a source such as SLS or SINQ) and their instruments (access-policy.md, Facilities)."""

from django.db import models
from simple_history.models import HistoricalRecords


class Facility(models.Model):
    short_name = models.CharField(max_length=64, unique=True, help_text="As PaNOSC sends it, e.g. 'SINQ'.")
    name = models.CharField(max_length=255)
    ror_id = models.URLField(blank=True, help_text="https://ror.org/…")
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code")
    time_zone = models.CharField(max_length=64, default="UTC", help_text="Naive times in files are read in it.")
    doi_prefix = models.CharField(max_length=32, blank=True)
    pid_prefix = models.CharField(max_length=64, help_text="Prefix of the local dataset pids, e.g. 'psi.ch/sinq'.")
    embargo_period_years = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Empty: the site-wide EMBARGO_PERIOD_YEARS."
    )
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    storage_root = models.CharField(max_length=1024, blank=True, help_text="Where this facility's files live.")
    bulk_download_url = models.CharField(
        max_length=1024, blank=True, help_text="Globus/SFTP link pattern; {pid} and {path} are substituted."
    )
    carbon_factors = models.JSONField(
        default=dict, blank=True, help_text="Overrides of the landing page's carbon method (power, grid intensity…)."
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "facilities"
        ordering = ["short_name"]

    def __str__(self) -> str:
        return self.short_name


class Instrument(models.Model):
    pid = models.CharField(max_length=255, unique=True)
    name = models.CharField(max_length=255)
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="instruments")
    description = models.TextField(blank=True)
    techniques = models.ManyToManyField("catalogue.Technique", blank=True, related_name="instruments")
    storage_root = models.CharField(max_length=1024, blank=True, help_text="Overrides the facility's.")
    history = HistoricalRecords(m2m_fields=[techniques])

    class Meta:
        ordering = ["name", "pid"]
        constraints = [models.UniqueConstraint(fields=["facility", "name"], name="instrument_name_per_facility")]

    def __str__(self) -> str:
        return f"{self.name} ({self.facility.short_name})"
