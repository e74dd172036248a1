"""Files: one row per file of a dataset, never an embedded list."""

from django.db import models


class DataFile(models.Model):
    class Role(models.TextChoices):
        MASTER = "master", "master file"
        LINKED = "linked", "external-link target"
        VIRTUAL_SOURCE = "vds", "virtual dataset source"
        OTHER = "other", "other"

    dataset = models.ForeignKey("catalogue.Dataset", on_delete=models.CASCADE, related_name="files")
    path = models.CharField(max_length=4096, help_text="Relative to the dataset's source folder.")
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.MASTER)
    size = models.BigIntegerField(null=True, blank=True)
    checksum = models.CharField(max_length=128, blank=True)
    checksum_algorithm = models.CharField(max_length=16, blank=True)
    checksum_verified_at = models.DateTimeField(null=True, blank=True)
    modified_at = models.DateTimeField(null=True, blank=True)
    is_missing = models.BooleanField(default=False)
    fixity_error = models.CharField(max_length=512, blank=True, help_text="Set by the periodic fixity check.")

    class Meta:
        ordering = ["path"]
        constraints = [models.UniqueConstraint(fields=["dataset", "path"], name="data_file_path_per_dataset")]

    def __str__(self) -> str:
        return self.path

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def directory(self) -> str:
        return self.path.rsplit("/", 1)[0] if "/" in self.path else ""
