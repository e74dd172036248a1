"""From a walked tree to catalogue facts: a generic NX_class-driven extractor refined by the matching profile.

Implements nexus-ingestion.md §1.2 (where each field lives) and §5 (worker flow). No Django: the result is a frozen
`Extraction` that ingest.services writes to the catalogue.
"""

import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from ingest.nexus import profiles as profiles_module
from ingest.nexus import techniques as techniques_module
from ingest.nexus import variables as variables_module
from ingest.nexus.reader import Field, Group, LinkedFile, Tree
from ingest.nexus.values import decode, parse_time, scalar, to_number, to_text

# Free scalars (NXcollection/NXnote fields beyond the named ones) recorded per entry: the default of the
# INGEST_FREE_SCALARS setting. Each costs about 45 µs of HDF5 calls; a few files carry hundreds (issue 26).
MAX_PARAMETERS = 200
MAX_RAW_ITEMS = 2000  # fields copied into raw_metadata
GENERIC_GROUP_NAMES = frozenset({"instrument", "sasinstrument", "sample", "sassample", "source", "sassource"})
ENTRY_NAMES = ("entry", "entry1", "raw_data_1")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
REDACTED = "(e-mail address: personal data)"
NO_ENTRY = "no NXentry group: not a NeXus file (or only the target of another file's links)"


@dataclass(frozen=True)
class Quantity:
    """A parameter as found: value and unit exactly as the file wrote them, and where."""

    name: str
    source: str
    raw_value: str
    raw_unit: str
    number: float | None
    text: str | None


@dataclass(frozen=True)
class User:
    name: str
    role: str = ""
    affiliation: str = ""
    address: str = ""
    email: str = ""
    orcid: str = ""
    facility_user_id: str = ""


@dataclass(frozen=True)
class SampleFacts:
    name: str
    chemical_formula: str = ""
    description: str = ""
    characteristics: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LinkSummary:
    total: int
    dangling: int
    missing_files: int


@dataclass(frozen=True)
class Extraction:
    entry_path: str
    title: str | None
    start_time_text: str | None
    end_time_text: str | None
    time_source: str
    experiment_identifier: str | None
    proposal_number: str | None
    entry_identifier: str | None
    entry_uuid: str | None
    description: str
    definitions: tuple[str, ...]
    software_name: str
    software_version: str
    source_name: str | None
    probe: str | None
    instrument_name: str | None
    facility: str | None  # short name from the profile; None = decide from the source name, else home facility
    profile: str
    techniques: tuple[str, ...]
    technique_source: str
    is_derived: bool
    sample: SampleFacts | None
    users: tuple[User, ...]
    parameters: tuple[Quantity, ...]
    links: tuple[LinkedFile, ...]
    link_summary: LinkSummary
    part_of: str | None  # for an NXsubentry: the path of its NXentry
    scientific_metadata: dict[str, Any]
    raw_metadata: dict[str, Any]
    warnings: tuple[str, ...]

    def start_time(self, zone: str) -> datetime | None:
        return parse_time(self.start_time_text, zone=zone)

    def end_time(self, zone: str) -> datetime | None:
        return parse_time(self.end_time_text, zone=zone)


def entries(tree: Tree) -> list[Group]:
    """NXentry groups at the root, the root @default one first; well-known names when NX_class is missing."""
    root = tree.nodes["/"]
    assert isinstance(root, Group)
    found = tree.subgroups(root, "NXentry")
    if not found:
        found = [group for group in tree.subgroups(root) if group.path.strip("/") in ENTRY_NAMES]
    default = to_text(tree.root_attrs.get("default"))
    if default:
        found.sort(key=lambda group: group.path.strip("/") != default)
    return found


def dataset_groups(tree: Tree) -> list[tuple[Group, Group | None]]:
    """The groups that each become a dataset, with the NXentry each belongs to: every NXentry (the root @default one
    first), each followed by its NXsubentry groups that carry their own definition (DLS multi-modal, DIALS)."""
    found: list[tuple[Group, Group | None]] = []
    for entry in entries(tree):
        found.append((entry, None))
        for subentry in tree.subgroups(entry, "NXsubentry"):
            definition = tree.field(f"{subentry.path}/definition")
            if definition is not None and to_text(definition.value) not in (None, "NXentry"):
                found.append((subentry, entry))
    return found


def extract(
    tree: Tree,
    *,
    relative_path: str,
    profiles: tuple[profiles_module.Profile, ...] | None = None,
    free_scalars: int = MAX_PARAMETERS,
) -> Extraction:
    """Everything the catalogue records from the file's primary entry. Raises ValueError when it has no NXentry.

    `free_scalars`: how many NXcollection/NXnote scalars beyond the named parameters to record (the
    INGEST_FREE_SCALARS setting); below the default, NXnote groups are also searched for PaNET ids in only that many
    of their fields each."""
    groups = dataset_groups(tree)
    if not groups:
        raise ValueError(NO_ENTRY)
    return _extract(tree, *groups[0], relative_path=relative_path, profiles=profiles, free_scalars=free_scalars)


def extract_all(
    tree: Tree,
    *,
    relative_path: str,
    profiles: tuple[profiles_module.Profile, ...] | None = None,
    free_scalars: int = MAX_PARAMETERS,
) -> tuple[Extraction, ...]:
    """One extraction per dataset of the file (see `dataset_groups`), the primary entry's first. Raises ValueError
    when the file has no NXentry; `free_scalars` as for `extract`."""
    groups = dataset_groups(tree)
    if not groups:
        raise ValueError(NO_ENTRY)
    return tuple(
        _extract(tree, group, parent, relative_path=relative_path, profiles=profiles, free_scalars=free_scalars)
        for group, parent in groups
    )


def _extract(
    tree: Tree,
    entry: Group,
    parent: Group | None,
    *,
    relative_path: str,
    profiles: tuple[profiles_module.Profile, ...] | None,
    free_scalars: int,
) -> Extraction:
    """What the catalogue records of one NXentry, or of one NXsubentry (`parent` its NXentry, which supplies what
    the subentry leaves out: title, times, proposal, people, instrument, sample)."""
    warnings: list[str] = []
    text = _Reader(tree, entry, parent)

    instrument = text.first_group("NXinstrument")
    source = _source(tree, entry, instrument) or (_source(tree, parent, None) if parent else None)
    source_name = text.text(source, "name") if source else None
    instrument_names = _instrument_names(tree, instrument)
    if parent is not None and not instrument_names:  # NXtomo subentries (DLS I13) name their instrument nowhere
        instrument_names = _instrument_names(tree, _Reader(tree, parent).first_group("NXinstrument"))
    profile = profiles_module.choose(
        profiles if profiles is not None else profiles_module.shipped_profiles(),
        path=str(tree.path),
        source_name=source_name,
        instrument_names=instrument_names,
    )
    rule = profile.instrument(path=str(tree.path), instrument_names=instrument_names)
    instrument_name = rule.name if rule else (instrument_names[0] if instrument_names else None)

    definitions = _definitions(tree, entry)
    probe = (
        techniques_module.normalise_probe(
            (text.text(source, "probe") or text.text(source, "radiation") or text.text(source, "type"))
            if source
            else None
        )
        or profile.probe
    )
    note_fields = free_scalars if free_scalars < MAX_PARAMETERS else None  # today: every field of a note
    techniques, technique_source = _techniques(tree, entry, definitions, probe, rule, note_fields)
    if not techniques:
        warnings.append("no technique: no known definition and no instrument rule")

    start_text, time_source = text.entry_text("start_time", profile), "start_time"
    if start_text is None:
        start_text, time_source = to_text(tree.root_attrs.get("file_time")), "file_time"
        if start_text is None or parse_time(start_text) is None:
            start_text, time_source = None, ""
    end_text = text.entry_text("end_time", profile)

    experiment_identifier = text.entry_text("experiment_identifier", profile)
    proposal_number = (
        experiment_identifier
        if experiment_identifier and profile.proposal_pattern.search(experiment_identifier)
        else None
    )
    program = text.field(entry, "program_name") or text.field(parent, "program_name")
    software_name = to_text(program.value) if program else None
    software_version = to_text(program.attrs.get("version")) if program else None
    if software_name is None:
        software_name = to_text(tree.root_attrs.get("creator"))

    sample_group = text.first_group("NXsample")
    sample = _sample(text, sample_group, text.profile_text("sample_name", profile))
    parameters = _parameters(tree, entry, text, instrument, sample_group, source, probe, profile, free_scalars)
    links = tuple(tree.links)
    summary = _link_summary(links)
    if summary.dangling:
        warnings.append(
            f"{summary.dangling} of {summary.total} external link or VDS targets missing"
            f" ({summary.missing_files} files absent)"
        )
    title = text.entry_text("title", profile, inherit=False)
    if title is None and parent is not None:
        parent_title = _Reader(tree, parent).entry_text("title", profile) or Path(relative_path).stem
        title = f"{parent_title} ({entry.path.rsplit('/', 1)[-1]})"
    title = title or (sample.name if sample else None) or Path(relative_path).stem

    return Extraction(
        entry_path=entry.path,
        title=title,
        start_time_text=start_text,
        end_time_text=end_text,
        time_source=time_source,
        experiment_identifier=experiment_identifier,
        proposal_number=proposal_number,
        entry_identifier=text.entry_text("entry_identifier", inherit=False),
        entry_uuid=text.entry_text("entry_identifier_uuid", inherit=False),
        description=text.entry_text("experiment_description") or text.entry_text("notes") or "",
        definitions=tuple(definitions),
        software_name=(software_name or "")[:255],
        software_version=(software_version or "")[:128],
        source_name=source_name,
        probe=probe,
        instrument_name=instrument_name,
        facility=profile.facility,
        profile=profile.id,
        techniques=techniques,
        technique_source=technique_source,
        is_derived=techniques_module.is_derived(definitions) or "dials" in (software_name or "").lower(),
        sample=sample,
        users=tuple(_users(text, entry) or (_users(text, parent) if parent else [])),
        parameters=parameters,
        links=links,
        link_summary=summary,
        part_of=parent.path if parent else None,
        scientific_metadata=_scientific_metadata(parameters, tree, entry, summary),
        raw_metadata=_raw_metadata(tree, entry),
        warnings=tuple(warnings),
    )


class _Reader:
    """Text and number lookups inside one entry (or subentry, falling back to its NXentry), following soft links."""

    def __init__(self, tree: Tree, entry: Group, parent: Group | None = None) -> None:
        self.tree = tree
        self.entry = entry
        self.parent = parent

    def first_group(self, nx_class: str) -> Group | None:
        for group in (self.entry, self.parent):
            groups = self.tree.subgroups(group, nx_class) if group is not None else []
            if groups:
                return groups[0]
        return None

    def field(self, group: Group | None, name: str) -> Field | None:
        if group is None:
            return None
        return self.tree.field(f"{group.path.rstrip('/')}/{name}")

    def text(self, group: Group | None, name: str) -> str | None:
        found = self.field(group, name)
        return to_text(found.value) if found else None

    def profile_text(self, name: str, profile: profiles_module.Profile) -> str | None:
        """The first non-missing value at the profile's paths for `name` (relative to the entry)."""
        for path in profile.fields.get(name, ()):
            found = self.tree.field(f"{self.entry.path}/{path.strip('/')}")
            text = to_text(found.value) if found else None
            if text:
                return text
        return None

    def entry_text(
        self, name: str, profile: profiles_module.Profile | None = None, *, inherit: bool = True
    ) -> str | None:
        """The profile's paths for `name` first, then the entry's field of that name; for a subentry (unless not
        `inherit`), then the same in its NXentry."""
        found = (profile and self.profile_text(name, profile)) or self.text(self.entry, name)
        if found is None and inherit and self.parent is not None:
            return _Reader(self.tree, self.parent).entry_text(name, profile)
        return found


def _source(tree: Tree, entry: Group, instrument: Group | None) -> Group | None:
    for parent in (instrument, entry):
        if parent is not None:
            sources = tree.subgroups(parent, "NXsource")
            if sources:
                return sources[0]
    return None


def _instrument_names(tree: Tree, instrument: Group | None) -> list[str]:
    names: list[str] = []
    if instrument is not None:
        found = tree.field(f"{instrument.path}/name")
        name = to_text(found.value) if found else None
        if name:
            names.append(name)
        group_name = instrument.path.rsplit("/", 1)[-1]
        if group_name.lower() not in GENERIC_GROUP_NAMES:
            names.append(group_name)
    root_instrument = to_text(tree.root_attrs.get("instrument"))
    if root_instrument:
        names.append(root_instrument)
    return names


def _definitions(tree: Tree, entry: Group) -> list[str]:
    """Definitions of the entry and its NXsubentry groups, recognising derived ones written under a parent name."""
    found: list[str] = []
    for group in [entry, *tree.subgroups(entry, "NXsubentry")]:
        node = tree.field(f"{group.path}/definition")
        name = to_text(node.value) if node else None
        if name and name != "NXentry":  # SOLEIL writes the base class name here
            name = techniques_module.recognise_definition(tree, group, name)
            if name not in found:
                found.append(name)
    return found


def _techniques(
    tree: Tree,
    entry: Group,
    definitions: list[str],
    probe: str | None,
    rule: profiles_module.InstrumentRule | None,
    note_fields: int | None,
) -> tuple[tuple[str, ...], str]:
    notes = [
        to_text(node.value) or ""
        for group in tree.subgroups(entry, "NXnote")
        for _, node in itertools.islice(tree.members(group), note_fields)
        if isinstance(node, Field)
    ]
    written = techniques_module.embedded(notes)
    if written:
        return written, "embedded PaNET note"
    if rule and rule.override and rule.techniques:
        return rule.techniques, f"instrument {rule.name}"
    inferred = techniques_module.from_definitions(definitions, probe)
    if inferred:
        return inferred, "definition " + ", ".join(definitions) + (f" ({probe})" if probe else "")
    if rule and rule.techniques:
        return rule.techniques, f"instrument {rule.name}"
    return (), ""


def _sample(text: _Reader, group: Group | None, profile_name: str | None) -> SampleFacts | None:
    name = profile_name or (text.text(group, "name") or text.text(group, "short_title") if group else None)
    if name is None:
        return None
    characteristics = {}
    for key in ("type", "situation", "preparation_date", "space_group", "short_title"):
        value = text.text(group, key)
        if value:
            characteristics[key] = value
    return SampleFacts(
        name=name[:512],
        chemical_formula=(text.text(group, "chemical_formula") or "")[:255],
        description=text.text(group, "description") or "",
        characteristics=characteristics,
    )


def _users(text: _Reader, entry: Group) -> list[User]:
    users = []
    for group in text.tree.subgroups(entry, "NXuser"):
        name = text.text(group, "name")
        if not name:
            continue
        email = text.text(group, "email") or ""
        users.append(
            User(
                name=name[:255],
                role=(text.text(group, "role") or "")[:64],
                affiliation=(text.text(group, "affiliation") or "")[:512],
                address=(text.text(group, "address") or "")[:512],
                email=email[:254] if "@" in email else "",
                orcid=_orcid(text.text(group, "ORCID") or text.text(group, "orcid")),
                facility_user_id=text.text(group, "facility_user_id") or "",
            )
        )
    return users


def _orcid(value: str | None) -> str:
    if not value:
        return ""
    match = re.search(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]", value)
    return match.group(0) if match else ""


def _quantity(name: str, node: Field | None, *, unit_default: str = "") -> Quantity | None:
    """A parameter from a field: scalars as they are, small arrays by their mean (NXlog values)."""
    if node is None or node.value is None:
        return None
    unit = to_text(node.attrs.get("units"), keep_placeholders=True)
    if unit is None:
        unit = to_text(node.attrs.get("unit"), keep_placeholders=True) or unit_default
    value = node.value
    number = to_number(value)
    if number is None and isinstance(value, np.ndarray) and value.dtype.kind in "iuf" and value.size:
        finite = value[np.isfinite(value)] if value.dtype.kind == "f" else value
        number = float(finite.mean()) if finite.size else None
    if number is not None:
        return Quantity(name, node.path, _raw(value), unit, number, None)
    text = to_text(value)
    if text is None:
        return None
    return Quantity(name, node.path, text, unit, None, text)


def _raw(value: object) -> str:
    value = scalar(value)
    if isinstance(value, np.ndarray):
        return np.array2string(value, separator=", ", threshold=16)[:1024]
    if isinstance(value, bytes):
        return decode(value)
    return str(value)


def _parameters(
    tree: Tree,
    entry: Group,
    text: _Reader,
    instrument: Group | None,
    sample: Group | None,
    source: Group | None,
    probe: str | None,
    profile: profiles_module.Profile,
    free_scalars: int,
) -> tuple[Quantity, ...]:
    """Named parameters under the federation portal's names, then the profile's, then generic collection scalars."""
    found: dict[str, Quantity] = {}

    def add(quantity: Quantity | None) -> None:
        if quantity is not None and quantity.name not in found:
            found[quantity.name] = quantity

    # Multi-modal files (DLS mm) keep the instrument of each modality in an NXsubentry.
    instruments = [
        *([instrument] if instrument else []),
        *(found for sub in tree.subgroups(entry, "NXsubentry") for found in tree.subgroups(sub, "NXinstrument")),
    ]
    monochromators = [group for found in instruments for group in tree.subgroups(found, "NXmonochromator")]
    beams = [
        *(group for found in instruments for group in tree.subgroups(found, "NXbeam")),
        *(tree.subgroups(sample, "NXbeam") if sample else []),
    ]
    for group in monochromators:
        if group.path.rsplit("/", 1)[-1] == "analyser":
            continue
        add(_quantity("incident_wavelength", text.field(group, "wavelength")))
        energy_name = "incident_photon_energy" if probe == "x-ray" else "incident_energy"
        add(_quantity(energy_name, text.field(group, "energy")))
    for group in beams:
        add(_quantity("incident_wavelength", text.field(group, "incident_wavelength")))
        energy_name = "incident_photon_energy" if probe in ("x-ray", None) else "incident_energy"
        add(_quantity(energy_name, text.field(group, "incident_energy")))
    if source is not None:
        add(_quantity("incident_wavelength", text.field(source, "incident_wavelength")))  # NXcanSAS SASsource
        add(_quantity("source_energy", text.field(source, "energy")))
        add(_quantity("source_current", text.field(source, "current")))
    if sample is not None:
        for name in ("temperature", "sample_temperature", "temperature_mean"):  # SINQ DMC: sample_temperature
            add(_quantity("sample_temperature", text.field(sample, name)))
        for log in tree.subgroups(sample, "NXlog", "NXenvironment", "NXsensor"):
            if "temp" not in log.path.rsplit("/", 1)[-1].lower():
                continue
            # pynxtools: sample/temperature_env (NXenvironment) → soft link to the manipulator's NXsensor
            for reading in [log, *tree.subgroups(log, "NXsensor", "NXlog")]:
                add(
                    _quantity("sample_temperature", text.field(reading, "average_value"))
                    or _quantity("sample_temperature", text.field(reading, "value"))
                )
        add(_quantity("sample_pressure", text.field(sample, "pressure")))
        add(_quantity("sample_chemical_formula", text.field(sample, "chemical_formula")))
        for name in ("magnetic_field", "electric_field", "thickness", "mass", "density", "concentration"):
            add(_quantity(f"sample_{name}", text.field(sample, name)))

    def add_number(name: str, *nodes: Field | None) -> None:  # DLS I13 writes a detector's uuid as its distance
        for node in nodes:
            quantity = _quantity(name, node)
            if quantity is not None and quantity.number is not None:
                add(quantity)

    for detector in (group for found in instruments for group in tree.subgroups(found, "NXdetector")):
        add_number("detector_distance", text.field(detector, "distance"), text.field(detector, "detector_distance"))
        add_number("exposure_time", text.field(detector, "count_time"))
    for quantity_rule in profile.quantities:
        for group in (group for found in instruments for group in tree.subgroups(found, *quantity_rule.groups)):
            add_number(quantity_rule.name, *(text.field(group, name) for name in quantity_rule.fields))
    for rule in profile.parameters:
        add(_quantity(rule.name, tree.field(f"{entry.path}/{rule.path}")))
    if "sample_chemical_formula" in found and found["sample_chemical_formula"].text is None:
        del found["sample_chemical_formula"]

    generic = 0
    for group in tree.subgroups(entry, "NXcollection", "NXnote"):
        for name, node in _scalars(tree, group):
            if generic >= free_scalars:
                break
            key = f"{group.path.rsplit('/', 1)[-1]}.{name}"
            quantity = _quantity(key, node)
            if quantity is not None and key not in found:
                found[key] = quantity
                generic += 1
    return tuple(found.values())


def _scalars(tree: Tree, group: Group, prefix: str = "", depth: int = 0) -> Iterator[tuple[str, Field]]:
    """Scalar fields of an NXcollection, one level of nesting deep (GDA `before_scan/<scannable>/<field>`), read
    only as far as the caller iterates (SNS DASlogs hold over a thousand fields)."""
    for name, node in tree.members(group):
        if isinstance(node, Field) and node.size == 1 and node.value is not None:
            yield prefix + name, node
        elif isinstance(node, Group) and depth < 1:
            yield from _scalars(tree, node, f"{prefix}{name}.", depth + 1)


def _link_summary(links: tuple[LinkedFile, ...]) -> LinkSummary:
    dangling = sum(1 for link in links if not link.object_exists)
    missing_files = len({link.written for link in links if not link.exists})
    return LinkSummary(total=len(links), dangling=dangling, missing_files=missing_files)


def _scientific_metadata(
    parameters: tuple[Quantity, ...], tree: Tree, entry: Group, links: LinkSummary
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        quantity.name: {
            "value": quantity.number if quantity.number is not None else jsonable(quantity.text),
            "unit": quantity.raw_unit,
            "source": quantity.source,
        }
        for quantity in parameters
    }
    detectors = []
    instrument = tree.subgroups(entry, "NXinstrument")
    for group in tree.subgroups(instrument[0], "NXdetector") if instrument else []:
        data = tree.field(f"{group.path}/data")
        detectors.append(
            {
                "path": group.path,
                "description": to_text(getattr(tree.field(f"{group.path}/description"), "value", None)),
                "type": to_text(getattr(tree.field(f"{group.path}/type"), "value", None)),
                "data_shape": list(data.shape) if data else None,
                "data_dtype": data.dtype if data else None,
                "filters": list(data.filters) if data else [],
            }
        )
    if detectors:
        metadata["detectors"] = detectors
    if links.total:
        metadata["links"] = {"total": links.total, "dangling": links.dangling, "missing_files": links.missing_files}
    plotted = variables_module.plotted_variables(tree, entry)
    if plotted:
        metadata["default_plot"] = plotted
    return metadata


def _raw_metadata(tree: Tree, entry: Group) -> dict[str, Any]:
    """The entry's fields that extraction read, path → value (and unit), for reference beside the curated fields.

    Only those: the tree reads a field when it is first looked up, and reading every field of a file was most of the
    time of ingestion (issue 26). NXuser groups are left out and e-mail addresses redacted: contact details are
    personal data (access-policy.md) and live only in Person rows, which members and stewards alone see."""
    private = tuple(group.path + "/" for group in tree.subgroups(entry, "NXuser"))
    fields: dict[str, Any] = {}
    for path, node in list(tree.nodes.items()):
        if len(fields) >= MAX_RAW_ITEMS:
            break
        if not isinstance(node, Field) or not path.startswith(entry.path + "/") or path.startswith(private):
            continue
        if node.value is None:
            fields[path] = {"shape": list(node.shape), "dtype": node.dtype}
            continue
        value = jsonable(node.value)
        unit = to_text(node.attrs.get("units"), keep_placeholders=True)
        fields[path] = {"value": value, "unit": unit} if unit else value
    return {
        "root_attributes": {key: jsonable(value) for key, value in list(tree.root_attrs.items())[:64]},
        "entry": entry.path,
        "fields": fields,
        "soft_links": dict(list(tree.soft_links.items())[:500]),
        "unreadable": tree.broken,
        "userblock_size": tree.userblock_size,
    }


def jsonable(value: object) -> Any:
    """A JSON-safe copy of a value read from a file (NaN and infinities become None, bytes become text)."""
    value = scalar(value)
    if isinstance(value, np.ndarray):
        return [jsonable(item) for item in value.reshape(-1)[:16]]
    if isinstance(value, bytes):
        return jsonable(to_text(value, keep_placeholders=True))
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return EMAIL.sub(REDACTED, value.replace("\x00", ""))
    if isinstance(value, int | bool) or value is None:
        return value
    return str(value)
