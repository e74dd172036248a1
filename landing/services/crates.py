"""RO-Crate 1.3 metadata (`ro-crate-metadata.json`, issue 19): in each dataset's zip, describing the dataset and the
files beside it, and for a DOI, describing its visible datasets and their files on this site.

A crate is the landing pages' schema.org description (pages.*_description) flattened into one @graph, so a field that
is not on the landing page is not in a crate either; the measurement becomes RO-Crate's CreateAction with the
instrument as its `instrument`. Written by hand rather than with ro-crate-py, which builds crates from files on disk:
here the payload is streamed and only this JSON is made.
"""

import json
import re
from dataclasses import dataclass
from typing import Any

from catalogue import visibility
from catalogue.models import Dataset, Document
from catalogue.services import downloads
from landing.datacite import metadata
from landing.services import distributions, exports, pages

METADATA_FILE = "ro-crate-metadata.json"
# The current release, which ro-crate-py writes and roc-validator checks by default.
SPECIFICATION = "https://w3id.org/ro/crate/1.3"
# Prefixes of the pages' JSON-LD that RO-Crate's context does not define (prov and dct it does); keys under them are
# written compact, as RO-Crate wants every key mapped by the context.
PREFIXES = {"pav": exports.PAV, "spdx": exports.SPDX_TERMS, "xsd": "http://www.w3.org/2001/XMLSchema#"}
CONTEXT: list[Any] = [f"{SPECIFICATION}/context", PREFIXES]
MEDIA_TYPE = f'application/ld+json; profile="{SPECIFICATION}"'
# A crate describes what one would get; the pages' download list becomes the crate's hasPart of files.
LEFT_OUT = ("@context", "distribution")
MANIFEST_DESCRIPTIONS = {
    "MISSING.txt": "Files of the dataset that could not be read from storage when this zip was made.",
}

Entity = dict[str, Any]


@dataclass(frozen=True)
class CrateFile:
    id: str  # a path inside the crate, or an absolute URL for a file on this site
    name: str
    media_type: str
    size: int | None
    checksum: str = ""
    checksum_algorithm: str = ""
    description: str = ""


def dataset_crate(*, dataset: Dataset, user: visibility.User, plan: downloads.ZipPlan) -> bytes:
    """The crate at the root of a dataset's zip: the files the zip holds, with their exact sizes and checksums."""
    description = pages.dataset_description(dataset=dataset, user=user)
    files = [
        CrateFile(
            id=data_file.path,
            name=data_file.name,
            media_type=downloads.media_type(data_file),
            size=stored.size,
            checksum=data_file.checksum,
            checksum_algorithm=data_file.checksum_algorithm,
        )
        for data_file, stored in plan.files
    ]
    for name, content in downloads.manifests(plan).items():
        algorithm = name.removeprefix("checksums.")
        tool = downloads.CHECKSUM_TOOLS.get(algorithm)
        text = MANIFEST_DESCRIPTIONS.get(name) or f"{algorithm} checksums of the files; check them with `{tool} -c`."
        files.append(CrateFile(id=name, name=name, media_type="text/plain", size=len(content), description=text))
    return _serialise(_crate(description, parts=[_file(item) for item in files]))


def dataset_zip(*, dataset: Dataset, user: visibility.User, plan: downloads.ZipPlan) -> downloads.ZipStream:
    """The dataset's zip as it is served: its files, the checksum manifests and the crate describing them (one place,
    so the sizes that describe the zip elsewhere, e.g. DCAT's byteSize, are the bytes a download gets)."""
    crate = dataset_crate(dataset=dataset, user=user, plan=plan)
    return downloads.zip_stream(plan, documents={METADATA_FILE: crate})


def document_crate(*, document: Document, user: visibility.User) -> bytes:
    """A DOI's crate: its datasets as the caller may see them, each with the files the public may download here."""
    description = pages.document_description(document=document, user=user)
    public = {item.url: item for item in description.details.distributions if not item.is_zip}
    by_dataset: dict[str, list[distributions.Distribution]] = {}
    for item in public.values():
        by_dataset.setdefault(item.dataset_pid, []).append(item)
    parts = []
    for dataset in description.datasets:
        files = [_file(_web_file(item)) for item in by_dataset.get(dataset.pid, [])]
        entity: Entity = {
            "@id": metadata.dataset_url(dataset),
            "@type": "Dataset",
            "name": dataset.title,
            "identifier": dataset.pid,
            "url": metadata.dataset_url(dataset),
        }
        if files:
            entity["hasPart"] = [{"@id": file["@id"]} for file in files]
        parts.append((entity, files))
    files = [file for _, dataset_files in parts for file in dataset_files]
    return _serialise(_crate(description, parts=[entity for entity, _ in parts], extra=tuple(files)))


def _web_file(item: distributions.Distribution) -> CrateFile:
    return CrateFile(
        id=item.url,
        name=item.path or item.name,
        media_type=item.media_type,
        size=item.size,
        checksum=item.checksum,
        checksum_algorithm=item.checksum_algorithm,
    )


def _file(item: CrateFile) -> Entity:
    entity: Entity = {"@id": item.id, "@type": "File", "name": item.name, "encodingFormat": item.media_type}
    if item.size is not None:
        entity["contentSize"] = str(item.size)
    if item.checksum and item.checksum_algorithm == "sha256":
        entity["sha256"] = item.checksum
    elif item.checksum and item.checksum_algorithm in distributions.SPDX_ALGORITHMS:
        algorithm = distributions.SPDX_ALGORITHMS[item.checksum_algorithm]
        entity[exports.SPDX_TERMS + "checksum"] = {
            "@type": exports.SPDX_TERMS + "Checksum",
            exports.SPDX_TERMS + "algorithm": {"@id": f"{exports.SPDX_TERMS}checksumAlgorithm_{algorithm}"},
            exports.SPDX_TERMS + "checksumValue": item.checksum,
        }
    if item.description:
        entity["description"] = item.description
    return entity


def _crate(description: pages.Description, *, parts: list[Entity], extra: tuple[Entity, ...] = ()) -> list[Entity]:
    """The @graph: metadata descriptor, root dataset (the page's description), its parts, the measurement as a
    CreateAction, and every contextual entity (people, organisations, techniques, licence, instruments)."""
    root = {key: value for key, value in description.schema_org.items() if key not in LEFT_OUT}
    root["@id"] = "./"
    licence = exports.licence_rights(description.record)
    root["license"] = {"@id": licence["rightsUri"], "@type": "CreativeWork", "name": licence["rights"]}
    root["datePublished"] = root.get("datePublished") or str(description.record["publicationYear"])
    if parts:
        root["hasPart"] = [{"@id": part["@id"]} for part in parts]
    # A root's conformsTo names RO-Crate profiles only: NeXus is what the data files conform to.
    standards = root.pop("dct:conformsTo", [])
    entities: dict[str, Entity] = {}
    _flatten(_compact(root), entities)
    action = _measurement(description)
    if action is not None:
        _flatten(action, entities)
    descriptor: Entity = {
        "@id": METADATA_FILE,
        "@type": "CreativeWork",
        "conformsTo": {"@id": SPECIFICATION},
        "about": {"@id": "./"},
    }
    for entity in (*parts, *extra):
        _flatten(_compact(entity), entities)
    for entity in entities.values():
        _software_as_ro_crate_wants(entity)
        if standards and entity.get("encodingFormat") == downloads.MEDIA_TYPES[".nxs"]:
            entity["conformsTo"] = [{"@id": standard["@id"]} for standard in standards]
    if standards:
        _flatten(standards, entities)
    return [descriptor, entities.pop("./"), *entities.values()]


def _compact(node: Any) -> Any:
    """Full IRIs under PREFIXES as compact IRIs, in keys and types."""
    if isinstance(node, list):
        return [_compact(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        _compact_iri(key): ([_compact_iri(t) for t in value] if isinstance(value, list) else _compact_iri(value))
        if key == "@type"
        else _compact(value)
        for key, value in node.items()
    }


def _compact_iri(iri: str) -> str:
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri.removeprefix(namespace)}"
    return iri


def _software_as_ro_crate_wants(entity: Entity) -> None:
    """RO-Crate's SoftwareApplication must carry a url and a version; software known only by name and version stays
    a prov:SoftwareAgent."""
    types = _as_list(entity.get("@type", []))
    if "SoftwareApplication" not in types:
        return
    if entity.get("softwareVersion"):
        entity["version"] = entity["softwareVersion"]
    if not (entity.get("url") and entity.get("version")):
        remaining = [t for t in types if t != "SoftwareApplication"] or ["prov:SoftwareAgent"]
        entity["@type"] = remaining if len(remaining) > 1 else remaining[0]


def _measurement(description: pages.Description) -> Entity | None:
    """RO-Crate's provenance of equipment: a CreateAction whose instruments are the beamline and the software."""
    provenance = description.details.provenance
    if provenance is None:
        return None
    instruments = [
        {"@id": agent.iri or f"#instrument-{_slug(agent.name)}", "@type": "IndividualProduct", "name": agent.name}
        for agent in provenance.instruments
    ] + [
        {
            "@id": f"#software-{_slug(agent.name)}-{_slug(agent.version)}",
            "@type": ["prov:SoftwareAgent", "SoftwareApplication"],
            "name": agent.name,
            **({"softwareVersion": agent.version} if agent.version else {}),
        }
        for agent in provenance.software
    ]
    action: Entity = {
        "@id": "#measurement",
        "@type": "CreateAction",
        "name": "Processing" if provenance.derived else "Measurement",
        "result": {"@id": "./"},
    }
    if instruments:
        action["instrument"] = instruments
    if provenance.facility is not None:
        action["agent"] = {
            "@id": provenance.facility.iri or "#facility",
            "@type": "Organization",
            "name": provenance.facility.name,
        }
    if provenance.inputs:
        action["object"] = [{"@id": iri} for iri in provenance.inputs]
    if provenance.started:
        action["startTime"] = provenance.started.isoformat()
    if provenance.ended:
        action["endTime"] = provenance.ended.isoformat()
    return action


def _flatten(node: Any, entities: dict[str, Entity]) -> Any:
    """Hoist every typed or identified object into `entities` (merged by @id) and leave an {"@id": …} in its place;
    values (@value) and plain references stay inline."""
    if isinstance(node, list):
        return [_flatten(item, entities) for item in node]
    if not isinstance(node, dict) or "@value" in node or set(node) == {"@id"}:
        return node
    copy = {key: _flatten(value, entities) for key, value in node.items()}
    if "@id" not in copy and "@type" not in copy:
        return copy
    identifier = copy.get("@id") or f"#{_slug(_first(copy['@type']))}-{len(entities) + 1}"
    copy["@id"] = identifier
    _merge(entities, identifier, copy)
    return {"@id": identifier}


def _merge(entities: dict[str, Entity], identifier: str, entity: Entity) -> None:
    existing = entities.setdefault(identifier, {"@id": identifier})
    for key, value in entity.items():
        if key not in existing:
            existing[key] = value
        elif key == "@type":
            types = [*_as_list(existing[key]), *(t for t in _as_list(value) if t not in _as_list(existing[key]))]
            existing[key] = types if len(types) > 1 else types[0]
        elif existing[key] != value and key != "@id":
            merged = _as_list(existing[key]) + [item for item in _as_list(value) if item not in _as_list(existing[key])]
            existing[key] = merged


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _first(value: Any) -> str:
    return str(_as_list(value)[0])


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _serialise(graph: list[Entity]) -> bytes:
    return json.dumps({"@context": CONTEXT, "@graph": graph}, indent=2, ensure_ascii=False).encode()
