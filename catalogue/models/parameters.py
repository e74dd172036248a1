"""Scientific parameters: the value exactly as found, and its SI form for searching (PaNOSC spec §4.1)."""

from django.db import models
from django.db.models import Q


class Parameter(models.Model):
    dataset = models.ForeignKey(
        "catalogue.Dataset", null=True, blank=True, on_delete=models.CASCADE, related_name="parameters"
    )
    document = models.ForeignKey(
        "catalogue.Document", null=True, blank=True, on_delete=models.CASCADE, related_name="parameters"
    )
    name = models.CharField(max_length=255, help_text="PaNOSC name where one applies, e.g. sample_temperature")
    source = models.CharField(max_length=1024, blank=True, help_text="Where it was read, e.g. a NeXus path.")
    raw_value = models.TextField(blank=True, help_text="As found, never rewritten.")
    raw_unit = models.CharField(max_length=255, blank=True, help_text="As found, never rewritten.")
    value_number = models.FloatField(null=True, blank=True)
    value_text = models.TextField(null=True, blank=True)
    unit = models.CharField(max_length=64, blank=True, help_text="Normalised unit, e.g. degC, angstrom, keV.")
    value_si = models.FloatField(null=True, blank=True)
    unit_si = models.CharField(max_length=64, blank=True)
    dimension = models.CharField(max_length=128, blank=True, help_text="e.g. [temperature], [length]")
    is_physical = models.BooleanField(default=True, help_text="False for counts, pixels, 'User Unit' and the like.")

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            # Covering: a range on one parameter is read from the index alone (a million datasets' temperatures
            # below 80 °C were 586k random heap reads).
            models.Index(
                fields=["name", "value_si"], include=["dimension", "dataset"], name="parameter_name_si_covering"
            ),
            models.Index(fields=["name", "value_number"], name="parameter_name_number"),
            models.Index(fields=["dataset", "name"], name="parameter_dataset_name"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(dataset__isnull=False) | Q(document__isnull=False), name="parameter_has_owner"
            ),
        ]

    def __str__(self) -> str:
        value = self.value_number if self.value_number is not None else self.value_text
        return f"{self.name} = {value} {self.unit or self.raw_unit}".strip()

    @property
    def value(self) -> float | str | None:
        return self.value_number if self.value_number is not None else self.value_text
