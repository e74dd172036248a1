"""Per-technique metadata expectations: which fields a dataset of a PaNET technique family should carry, from the
declarative profiles of catalogue/data/technique-expectations.yaml; lacking them flags, never rejects, a dataset."""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from django.db.models import Exists, OuterRef, Q, QuerySet

from catalogue.models import Dataset, Parameter

PROFILES = Path(__file__).resolve().parents[1] / "data" / "technique-expectations.yaml"
SAMPLE = "sample"


class ProfileError(ValueError):
    pass


@dataclass(frozen=True)
class Expectation:
    family: str  # a PaNET id; the term and every term below it
    name: str
    requires: tuple[tuple[str, ...], ...]  # each: alternatives, any one of which will do


@cache
def profiles(path: Path = PROFILES) -> tuple[Expectation, ...]:
    """The expectations of `path`; raises ProfileError naming the entry that is malformed."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    expectations = []
    for index, entry in enumerate(entries if isinstance(entries, list) else [entries]):
        if not isinstance(entry, dict) or set(entry) != {"family", "name", "expects"}:
            raise ProfileError(f"{path}: entry {index} needs exactly family, name and expects")
        requires = tuple(tuple(item) if isinstance(item, list) else (item,) for item in entry["expects"])
        if not requires or not all(requires) or not all(isinstance(name, str) for names in requires for name in names):
            raise ProfileError(f"{path}: entry {index} ({entry['name']}): expects needs names or lists of names")
        if any(SAMPLE in names and len(names) > 1 for names in requires):
            raise ProfileError(f"{path}: entry {index} ({entry['name']}): `sample` has no alternatives")
        expectations.append(Expectation(family=str(entry["family"]), name=entry["name"], requires=requires))
    return tuple(expectations)


def missing(*, dataset: Dataset) -> list[str]:
    """What the dataset lacks for each technique family it belongs to, e.g. "small angle scattering: sample"."""
    families = set()
    for panet_id, ancestors in dataset.techniques.values_list("panet_id", "ancestors"):
        families.update([panet_id, *ancestors])
    present = set(dataset.parameters.values_list("name", flat=True))
    if dataset.samples.exists():
        present.add(SAMPLE)
    return [
        f"{expectation.name}: {' or '.join(names)}"
        for expectation in profiles()
        if expectation.family in families
        for names in expectation.requires
        if not present.intersection(names)
    ]


def lacking(queryset: QuerySet[Dataset]) -> QuerySet[Dataset]:
    """The datasets of `queryset` that miss an expectation of one of their technique families (one SQL query)."""
    condition = Q(pk__in=[])
    for expectation in profiles():
        in_family = Exists(
            Dataset.techniques.through.objects.filter(dataset=OuterRef("pk")).filter(
                Q(technique__panet_id=expectation.family) | Q(technique__ancestors__contains=[expectation.family])
            )
        )
        gaps = Q(pk__in=[])
        for names in expectation.requires:
            if SAMPLE in names and len(names) == 1:
                gaps |= Q(~Exists(Dataset.samples.through.objects.filter(dataset=OuterRef("pk"))))
            else:
                gaps |= Q(~Exists(Parameter.objects.filter(dataset=OuterRef("pk"), name__in=names)))
        condition |= Q(in_family) & gaps
    return queryset.filter(condition)
