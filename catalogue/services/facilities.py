"""The facility registry: which facilities a site knows, from a YAML file an operator can edit."""

from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from catalogue.models import Facility

REGISTRY_FIELDS = (
    "name",
    "ror_id",
    "country",
    "time_zone",
    "pid_prefix",
    "latitude",
    "longitude",
    "embargo_period_years",
    "doi_prefix",
    "storage_root",
    "bulk_download_url",
)


class RegistryError(ValueError):
    pass


@transaction.atomic
def load_registry(*, path: Path) -> list[Facility]:
    """Create or update the facilities listed in `path`; a steward's later edits are overwritten only here."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(entries, list):
        raise RegistryError(f"{path}: expected a list of facilities")
    facilities = []
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("short_name") or not entry.get("pid_prefix"):
            raise RegistryError(f"{path}: every facility needs short_name and pid_prefix: {entry!r}")
        unknown = set(entry) - set(REGISTRY_FIELDS) - {"short_name"}
        if unknown:
            raise RegistryError(f"{path}: unknown keys {sorted(unknown)} for {entry['short_name']}")
        facility = Facility.objects.filter(short_name=entry["short_name"]).first() or Facility(
            short_name=entry["short_name"]
        )
        for key in REGISTRY_FIELDS:
            if key in entry:
                setattr(facility, key, entry[key])
        try:
            facility.full_clean()
        except ValidationError as error:
            problems = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items())
            raise RegistryError(f"{path}: {entry['short_name']}: {problems}") from error
        facility.save()
        facilities.append(facility)
    return facilities
