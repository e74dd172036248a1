"""Data management plans (RDA DMP Common Standard 1.2): a proposal's uploaded plan and its planned datasets.

The catalogue itself is the reality a plan is compared with; services.dmp exports both as one maDMP.
"""

from django.conf import settings
from django.db import models


class DataManagementPlan(models.Model):
    """The maDMP a steward uploaded for a proposal, its `dmp` object kept without its datasets (the plan's header)."""

    document = models.OneToOneField("catalogue.Document", on_delete=models.CASCADE, related_name="dmp")
    header = models.JSONField(help_text="The uploaded `dmp` object without `dataset`, as validated.")
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "data management plan"

    def __str__(self) -> str:
        return f"DMP of {self.document}"


class PlannedDataset(models.Model):
    """One dataset of an uploaded plan, and the catalogue datasets that fulfil it (services.dmp's matching rule)."""

    plan = models.ForeignKey(DataManagementPlan, on_delete=models.CASCADE, related_name="planned_datasets")
    position = models.PositiveIntegerField(help_text="Its place in the uploaded plan.")
    title = models.CharField(max_length=1024)
    record = models.JSONField(help_text="The plan's dataset object, as uploaded.")
    datasets = models.ManyToManyField("catalogue.Dataset", blank=True, related_name="planned_as")

    class Meta:
        ordering = ["plan", "position"]
        constraints = [models.UniqueConstraint(fields=["plan", "position"], name="planned_dataset_position")]

    def __str__(self) -> str:
        return self.title
