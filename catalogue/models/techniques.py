"""Techniques: PaNET terms (the reasoned hierarchy) plus any local techniques a facility needs."""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q

PANET_PURL = "http://purl.org/pan-science/PaNET/"


class TechniqueQuerySet(models.QuerySet["Technique"]):
    def descendants_of(self, panet_ids: list[str]) -> "TechniqueQuerySet":
        """The terms themselves plus every term that has one of them among its reasoned ancestors."""
        return self.filter(Q(panet_id__in=panet_ids) | Q(ancestors__overlap=panet_ids))


class Technique(models.Model):
    pid = models.CharField(max_length=255, unique=True, help_text="The PaNET PURL, or a stable local pid.")
    panet_id = models.CharField(max_length=32, unique=True, null=True, blank=True)
    name = models.CharField(max_length=255, help_text="PaNET preferred label, or the local name.")
    alt_labels = ArrayField(models.CharField(max_length=255), default=list, blank=True)
    definition = models.TextField(blank=True)
    parents = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    ancestors = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    is_concept = models.BooleanField(default=False, help_text="PaNET specifier concept, not for tagging data.")

    objects = TechniqueQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pid"]
        indexes = [GinIndex(fields=["ancestors"], name="technique_ancestors_gin")]

    def __str__(self) -> str:
        return self.name

    @property
    def purl(self) -> str | None:
        return PANET_PURL + self.panet_id if self.panet_id else None
