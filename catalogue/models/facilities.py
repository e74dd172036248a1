"""Facilities (a source such as SLS or SINQ) and their instruments (access-policy.md, Facilities).

Every value code later relies on is validated where it is written (admin, API, registry), by the field's validators.
"""

import math
import re
from functools import cache
from pathlib import PurePosixPath
from zoneinfo import available_timezones

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from simple_history.models import HistoricalRecords

MAX_EMBARGO_YEARS = 100  # release dates stay far from datetime's year 9999


@cache
def _time_zones() -> frozenset[str]:
    # available_timezones() walks the tz database on disk (about 0.1 s): once per process is enough.
    return frozenset(available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in _time_zones():
        raise ValidationError(f"“{value}” is not an IANA time zone such as Europe/Zurich or UTC.")


def validate_absolute_path(value: str) -> None:
    if value and not PurePosixPath(value).is_absolute():
        raise ValidationError(f"“{value}” must be an absolute path, such as /data/facility.")


def validate_download_pattern(value: str) -> None:
    placeholders = re.sub(r"\{pid\}|\{path\}", "", value)
    if "{" in placeholders or "}" in placeholders:
        raise ValidationError("Only {pid} and {path} may stand in braces in the bulk download link.")


def validate_carbon_factors(value: object) -> None:
    """{"power_share_kw": {"value": 120, "year": 2024, "source": "…", "url": "…"}, …} (landing/services/carbon.py)."""
    if not isinstance(value, dict):
        raise ValidationError("Carbon factors must be an object of factors.")
    for key, factor in value.items():
        number = factor.get("value") if isinstance(factor, dict) else None
        if not isinstance(number, int | float) or isinstance(number, bool) or not math.isfinite(number):
            raise ValidationError(f"Carbon factor “{key}” needs a finite number as its “value”.")
        if not isinstance(factor.get("year", 0), int) or not all(
            isinstance(factor.get(name, ""), str) for name in ("source", "url")
        ):
            raise ValidationError(f"Carbon factor “{key}”: “year” is a whole number, “source” and “url” are text.")


class Facility(models.Model):
    short_name = models.CharField(max_length=64, unique=True, help_text="As PaNOSC sends it, e.g. 'SINQ'.")
    name = models.CharField(max_length=255)
    ror_id = models.URLField(blank=True, help_text="https://ror.org/…")
    country = models.CharField(
        max_length=2,
        blank=True,
        help_text="ISO 3166-1 alpha-2 code",
        validators=[RegexValidator(r"^[A-Z]{2}$", "A country is two capital letters (ISO 3166-1), such as CH.")],
    )
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        help_text="Naive times in files are read in it.",
        validators=[validate_time_zone],
    )
    doi_prefix = models.CharField(
        max_length=32,
        blank=True,
        validators=[RegexValidator(r"^10\.\d{4,9}$", "A DOI prefix looks like 10.16907.")],
    )
    pid_prefix = models.CharField(
        max_length=64,
        help_text="Prefix of the local dataset pids, e.g. 'psi.ch/sinq'.",
        validators=[
            RegexValidator(r"^[^\s/]+(/[^\s/]+)*$", "A pid prefix has no spaces and no leading or trailing slash.")
        ],
    )
    embargo_period_years = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Empty: the site-wide EMBARGO_PERIOD_YEARS.",
        validators=[MaxValueValidator(MAX_EMBARGO_YEARS)],
    )
    latitude = models.FloatField(null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)])
    storage_root = models.CharField(
        max_length=1024,
        blank=True,
        help_text="Where this facility's files live.",
        validators=[validate_absolute_path],
    )
    bulk_download_url = models.CharField(
        max_length=1024,
        blank=True,
        help_text="Globus/SFTP link pattern; {pid} and {path} are substituted.",
        validators=[validate_download_pattern],
    )
    carbon_factors = models.JSONField(
        default=dict,
        blank=True,
        help_text="Overrides of the landing page's carbon method (power, grid intensity…).",
        validators=[validate_carbon_factors],
    )
    matches_instruments = models.BooleanField(
        default=False,
        help_text="Ingestion matches the instrument registry only: unknown names are flagged to stewards, not created.",
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
    aliases = ArrayField(
        models.CharField(max_length=255),
        default=list,
        blank=True,
        help_text="Other names files give it (matched ignoring case and spaces), e.g. its short code.",
    )
    description = models.TextField(blank=True)
    # PIDINST (https://doi.org/10.15497/RDA00070) properties the registry holds.
    landing_page = models.URLField(blank=True, help_text="The facility's page about the instrument.")
    owner = models.CharField(max_length=255, blank=True, help_text="Empty: the facility.")
    manufacturer = models.CharField(max_length=255, blank=True)
    model = models.CharField(max_length=255, blank=True, help_text="The manufacturer's model name.")
    measured_variables = ArrayField(models.CharField(max_length=255), default=list, blank=True)
    techniques = models.ManyToManyField("catalogue.Technique", blank=True, related_name="instruments")
    storage_root = models.CharField(
        max_length=1024, blank=True, help_text="Overrides the facility's.", validators=[validate_absolute_path]
    )
    history = HistoricalRecords(m2m_fields=[techniques])

    class Meta:
        ordering = ["name", "pid"]
        constraints = [models.UniqueConstraint(fields=["facility", "name"], name="instrument_name_per_facility")]

    def __str__(self) -> str:
        return f"{self.name} ({self.facility.short_name})"
