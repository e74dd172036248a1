"""Instrument identity: a facility's instrument registry (names, aliases, PIDINST fields), the matching of the names
files carry against it, and the steward's resolution of names that matched nothing (docs/people-and-instruments.md).
"""

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Count
from django.utils.text import slugify

from catalogue.models import Dataset, Document, DocumentKind, Facility, Instrument

REGISTRY_FIELDS = (
    "pid",
    "aliases",
    "description",
    "landing_page",
    "owner",
    "manufacturer",
    "model",
    "measured_variables",
)


class RegistryError(ValueError):
    pass


@dataclass(frozen=True)
class UnmatchedName:
    facility: Facility
    name: str
    datasets: int


def normalised(name: str) -> str:
    """The form names are compared in: "K11 DIAD", "k11diad" and "K11  diad" are one name."""
    return re.sub(r"\s+", "", name).casefold()


def default_pid(facility: Facility, name: str) -> str:
    return f"{facility.pid_prefix}/instrument/{slugify(name) or hashlib.md5(name.encode()).hexdigest()[:8]}"


def match(*, facility: Facility, name: str) -> Instrument | None:
    """The facility's instrument whose name or an alias is `name`, ignoring case and spaces."""
    wanted = normalised(name)
    for instrument in Instrument.objects.filter(facility=facility).only("pk", "name", "aliases", "facility_id"):
        if wanted in {normalised(known) for known in [instrument.name, *instrument.aliases]}:
            return instrument
    return None


def unmatched_names(*, facility: Facility | None = None) -> list[UnmatchedName]:
    """Instrument names carried by datasets that no registered instrument matched, with how many datasets."""
    rows = (
        Dataset.objects.filter(instrument__isnull=True)
        .exclude(instrument_name="")
        .filter(**({"proposal__facility": facility} if facility else {}))
        .values("proposal__facility", "instrument_name")
        .annotate(datasets=Count("pk"))
        .order_by("proposal__facility", "instrument_name")
    )
    by_pk = Facility.objects.in_bulk([row["proposal__facility"] for row in rows])
    return [
        UnmatchedName(facility=by_pk[row["proposal__facility"]], name=row["instrument_name"], datasets=row["datasets"])
        for row in rows
    ]


@transaction.atomic
def add_alias(*, instrument: Instrument, name: str) -> int:
    """Record `name` as an alias of `instrument` and give it every dataset of the facility carrying the name.

    Returns how many datasets were resolved.
    """
    if normalised(name) not in {normalised(known) for known in [instrument.name, *instrument.aliases]}:
        instrument.aliases = [*instrument.aliases, name]
        instrument.save(update_fields=["aliases"])
    return _resolve(instrument.facility, name, instrument)


@transaction.atomic
def register(*, facility: Facility, name: str) -> tuple[Instrument, int]:
    """Create an instrument named `name` (or find the one it matches) and resolve the datasets carrying it."""
    instrument = match(facility=facility, name=name)
    if instrument is None:
        instrument = Instrument.objects.create(pid=default_pid(facility, name), name=name, facility=facility)
    return instrument, _resolve(facility, name, instrument)


def _resolve(facility: Facility, name: str, instrument: Instrument) -> int:
    wanted = normalised(name)
    pending = Dataset.objects.filter(proposal__facility=facility, instrument__isnull=True).exclude(instrument_name="")
    pks = [pk for pk, raw in pending.values_list("pk", "instrument_name") if normalised(raw) == wanted]
    # The day's session proposal was opened under the unmatched name; it belongs to the instrument now.
    Document.objects.filter(kind=DocumentKind.SESSION, instrument__isnull=True, datasets__pk__in=pks).update(
        instrument=instrument
    )
    return Dataset.objects.filter(pk__in=pks).update(instrument=instrument)


@transaction.atomic
def load_registry(*, path: Path) -> list[Instrument]:
    """Create or update the instruments listed in `path` (keyed by facility and name) and switch their facilities to
    registry matching; names already waiting for a steward that the registry now knows are resolved."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(entries, list):
        raise RegistryError(f"{path}: expected a list of instruments")
    loaded = []
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("facility") or not entry.get("name"):
            raise RegistryError(f"{path}: every instrument needs facility and name: {entry!r}")
        unknown = set(entry) - set(REGISTRY_FIELDS) - {"facility", "name"}
        if unknown:
            raise RegistryError(f"{path}: unknown keys {sorted(unknown)} for {entry['name']}")
        facility = Facility.objects.filter(short_name=entry["facility"]).first()
        if facility is None:
            raise RegistryError(f"{path}: unknown facility {entry['facility']!r} for {entry['name']} (load it first)")
        defaults = {key: entry[key] for key in REGISTRY_FIELDS if key in entry}
        try:
            if defaults.get("landing_page"):
                URLValidator(schemes=["http", "https"])(defaults["landing_page"])
        except ValidationError as error:
            raise RegistryError(f"{path}: landing_page of {entry['name']} is not an http(s) URL") from error
        defaults.setdefault("pid", default_pid(facility, entry["name"]))
        instrument, _ = Instrument.objects.update_or_create(facility=facility, name=entry["name"], defaults=defaults)
        loaded.append(instrument)
    facilities = {instrument.facility for instrument in loaded}
    Facility.objects.filter(pk__in=[facility.pk for facility in facilities]).update(matches_instruments=True)
    for instrument in loaded:
        for name in [instrument.name, *instrument.aliases]:
            _resolve(instrument.facility, name, instrument)
    return loaded
