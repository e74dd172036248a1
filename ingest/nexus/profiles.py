"""Declarative extraction profiles (ingest/profiles/*.yaml): which facility and instrument a file belongs to, and
what a facility knows that its files do not say (probe, instrument techniques, proposal number format).

The format is documented in ingest/profiles/README.md; nexus-ingestion.md §2.7 describes the idea. No Django.
"""

import fnmatch
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

PROFILES_DIR = Path(__file__).resolve().parent.parent / "profiles"
PANET_ID = re.compile(r"^PaNET\d{5,7}$")


class ProfileError(ValueError):
    pass


@dataclass(frozen=True)
class InstrumentRule:
    name: str
    match: tuple[re.Pattern[str], ...] = ()
    paths: tuple[str, ...] = ()
    techniques: tuple[str, ...] = ()
    override: bool = False


@dataclass(frozen=True)
class ParameterRule:
    name: str
    path: str


@dataclass(frozen=True)
class QuantityRule:
    """A PaNOSC parameter a facility writes under its own field name, in groups of the given NeXus classes directly
    inside the instrument (of the entry and of each NXsubentry): SINQ's `lambda` in NXcrystal or NXchopper."""

    name: str
    groups: tuple[str, ...]
    fields: tuple[str, ...]


FIELD_NAMES = frozenset({"title", "start_time", "end_time", "experiment_identifier", "sample_name"})


@dataclass(frozen=True)
class Profile:
    id: str
    facility: str | None
    order: int = 100
    source_names: tuple[re.Pattern[str], ...] = ()
    instrument_names: tuple[re.Pattern[str], ...] = ()
    paths: tuple[str, ...] = ()
    probe: str | None = None
    proposal_pattern: re.Pattern[str] = re.compile(r".")
    instruments: tuple[InstrumentRule, ...] = ()
    parameters: tuple[ParameterRule, ...] = field(default_factory=tuple)
    quantities: tuple[QuantityRule, ...] = field(default_factory=tuple)
    # Catalogue field → candidate paths below the NXentry, tried before the generic NX_class location.
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def matches(self, *, path: str, source_name: str | None, instrument_names: list[str]) -> bool:
        if source_name and any(pattern.search(source_name) for pattern in self.source_names):
            return True
        if any(pattern.search(name) for pattern in self.instrument_names for name in instrument_names):
            return True
        return any(fnmatch.fnmatchcase(path, pattern) for pattern in self.paths)

    def instrument(self, *, path: str, instrument_names: list[str]) -> InstrumentRule | None:
        for rule in self.instruments:
            if any(pattern.search(name) for pattern in rule.match for name in instrument_names):
                return rule
            if any(fnmatch.fnmatchcase(path, pattern) for pattern in rule.paths):
                return rule
        return None


GENERIC = Profile(id="generic", facility=None, order=10_000)


def load_profiles(directories: tuple[Path, ...] = (PROFILES_DIR,)) -> tuple[Profile, ...]:
    """Every profile in the YAML files of `directories`, lowest `order` first; ProfileError on a malformed file."""
    profiles = []
    for directory in directories:
        for path in sorted(Path(directory).glob("*.yaml")):
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
            entries = document if isinstance(document, list) else [document]
            for index, entry in enumerate(entries):
                profiles.append(_profile(entry, f"{path.stem}[{index}]" if len(entries) > 1 else path.stem, path))
    return tuple(sorted(profiles, key=lambda profile: (profile.order, profile.id)))


@cache
def shipped_profiles() -> tuple[Profile, ...]:
    return load_profiles()


def choose(
    profiles: tuple[Profile, ...], *, path: str, source_name: str | None, instrument_names: list[str]
) -> Profile:
    for profile in profiles:
        if profile.matches(path=path, source_name=source_name, instrument_names=instrument_names):
            return profile
    return GENERIC


def _profile(entry: object, profile_id: str, path: Path) -> Profile:
    if not isinstance(entry, dict):
        raise ProfileError(f"{path}: a profile must be a mapping")
    known = {"facility", "order", "match", "probe", "proposal_pattern", "instruments", "parameters", "fields"}
    known |= {"quantities"}
    unknown = set(entry) - known
    if unknown:
        raise ProfileError(f"{path}: unknown keys {sorted(unknown)}")
    match = entry.get("match") or {}
    fields = entry.get("fields") or {}
    if set(fields) - FIELD_NAMES:
        raise ProfileError(f"{path}: unknown fields {sorted(set(fields) - FIELD_NAMES)}; known: {sorted(FIELD_NAMES)}")
    try:
        return Profile(
            id=profile_id,
            facility=entry.get("facility"),
            order=int(entry.get("order", 100)),
            source_names=_patterns(match.get("source_names")),
            instrument_names=_patterns(match.get("instrument_names")),
            paths=tuple(match.get("paths") or ()),
            probe=entry.get("probe"),
            proposal_pattern=re.compile(entry.get("proposal_pattern", "."), re.IGNORECASE),
            instruments=tuple(_instrument(rule, path) for rule in entry.get("instruments") or ()),
            parameters=tuple(ParameterRule(name=p["name"], path=p["path"]) for p in entry.get("parameters") or ()),
            quantities=tuple(_quantity_rule(rule, path) for rule in entry.get("quantities") or ()),
            fields={name: tuple([paths] if isinstance(paths, str) else paths) for name, paths in fields.items()},
        )
    except (re.error, KeyError, TypeError) as error:
        raise ProfileError(f"{path}: {error}") from error


def _instrument(rule: dict, path: Path) -> InstrumentRule:
    techniques = tuple(rule.get("techniques") or ())
    bad = [term for term in techniques if not PANET_ID.match(term)]
    if bad:
        raise ProfileError(f"{path}: not PaNET ids: {bad}")
    return InstrumentRule(
        name=rule["name"],
        match=_patterns(rule.get("match")),
        paths=tuple(rule.get("paths") or ()),
        techniques=techniques,
        override=bool(rule.get("override", False)),
    )


def _quantity_rule(rule: dict, path: Path) -> QuantityRule:
    groups, fields = tuple(rule.get("groups") or ()), tuple(rule.get("fields") or ())
    bad = [name for name in groups if not name.startswith("NX")]
    if bad or not groups or not fields:
        raise ProfileError(f"{path}: quantity {rule.get('name')!r} needs NX classes in groups and field names: {bad}")
    return QuantityRule(name=rule["name"], groups=groups, fields=fields)


def _patterns(values: list[str] | None) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(value, re.IGNORECASE) for value in values or ())
