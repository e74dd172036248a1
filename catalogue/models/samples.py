"""Samples measured in datasets."""

from django.db import models
from simple_history.models import HistoricalRecords

from catalogue.models.validators import validate_json_depth


class Sample(models.Model):
    pid = models.CharField(max_length=255, unique=True)
    name = models.CharField(max_length=512)
    description = models.TextField(blank=True)
    chemical_formula = models.CharField(max_length=255, blank=True)
    characteristics = models.JSONField(
        default=dict, blank=True, help_text="Free sample metadata from the file.", validators=[validate_json_depth]
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "pid"]

    def __str__(self) -> str:
        return self.name
