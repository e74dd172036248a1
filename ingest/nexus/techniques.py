"""Techniques of an entry: embedded PaNET note > instrument override > definitions refined by probe > instrument
default (nexus-ingestion.md §1.6, issue 4 step 6). Returns PaNET ids; the most specific terms only. No Django.
"""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from ingest.nexus.reader import Group, Tree

DEFINITIONS_FILE = Path(__file__).resolve().parent / "definitions.yaml"
PANET_IN_TEXT = re.compile(r"PaNET\d{5}(?!\d)")


@dataclass(frozen=True)
class DefinitionRule:
    techniques: tuple[str, ...]
    probe: dict[str, tuple[str, ...]]
    derived: bool
    recognise: dict[str, tuple[tuple[str, ...], ...]]


@cache
def definition_rules() -> dict[str, DefinitionRule]:
    document = yaml.safe_load(DEFINITIONS_FILE.read_text(encoding="utf-8"))
    return {
        name: DefinitionRule(
            techniques=tuple(rule.get("techniques") or ()),
            probe={probe: tuple(ids) for probe, ids in (rule.get("probe") or {}).items()},
            derived=bool(rule.get("derived", False)),
            recognise={
                specific: tuple(tuple(chain) for chain in chains)
                for specific, chains in (rule.get("recognise") or {}).items()
            },
        )
        for name, rule in document.items()
    }


def normalise_probe(text: str | None) -> str | None:
    """'X-ray', 'Synchrotron X-ray Source', 'Spallation Neutron Source', 'photon' … → 'x-ray' / 'neutron' / …"""
    if not text:
        return None
    lowered = text.lower()
    if "neutron" in lowered or "spallation" in lowered or "reactor" in lowered:
        return "neutron"
    if "x-ray" in lowered or "xray" in lowered or "synchrotron" in lowered or lowered == "photon":
        return "x-ray"
    for probe in ("muon", "electron", "positron", "proton", "ultraviolet", "visible light"):
        if probe in lowered:
            return probe
    return None


def recognise_definition(tree: Tree, entry: Group, definition: str) -> str:
    """The more specific definition a file written under a parent name really follows, told by its groups."""
    rule = definition_rules().get(definition)
    if rule is None:
        return definition
    for specific, chains in rule.recognise.items():
        if any(_has_chain(tree, entry, chain) for chain in chains):
            return specific
    return definition


def from_definitions(definitions: list[str], probe: str | None) -> tuple[str, ...]:
    found: list[str] = []
    rules = definition_rules()
    for definition in definitions:
        rule = rules.get(definition)
        if rule is None:
            continue
        terms = rule.probe.get(probe or "", rule.techniques)
        found.extend(term for term in terms if term not in found)
    return tuple(found)


def is_derived(definitions: list[str]) -> bool:
    rules = definition_rules()
    return (
        bool(definitions)
        and all(rules[name].derived for name in definitions if name in rules)
        and any(name in rules for name in definitions)
    )


def embedded(texts: list[str]) -> tuple[str, ...]:
    """PaNET ids written into the file itself (an NXnote listing technique IRIs beats any inference)."""
    found: list[str] = []
    for text in texts:
        found.extend(term for term in PANET_IN_TEXT.findall(text) if term not in found)
    return tuple(found)


def _has_chain(tree: Tree, group: Group, chain: tuple[str, ...]) -> bool:
    if not chain:
        return True
    nx_class, _, name = chain[0].partition(":")
    return any(
        (not name or child.path.rsplit("/", 1)[-1] == name) and _has_chain(tree, child, chain[1:])
        for child in tree.subgroups(group, nx_class)
    )
