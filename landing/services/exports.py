"""Exports derived from the one DataCite record (landing-doi.md §2.6–2.8): DataCite JSON, schema.org JSON-LD,
CSL-JSON, BibTeX and RIS, and FAIR signposting links."""

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import version

from django.conf import settings

from landing.datacite import xml as datacite_xml
from landing.datacite.metadata import Record, doi_url
from landing.services.distributions import Distribution
from landing.services.provenance import Agent, Provenance
from landing.services.standards import Standard
from landing.services.variables import Variable


@dataclass(frozen=True)
class ExportFormat:
    key: str
    label: str
    media_type: str
    extension: str


FORMATS = {
    f.key: f
    for f in (
        ExportFormat("datacite-xml", "DataCite XML", "application/vnd.datacite.datacite+xml", "xml"),
        ExportFormat("datacite-json", "DataCite JSON", "application/vnd.datacite.datacite+json", "json"),
        ExportFormat("csl-json", "CSL-JSON", "application/vnd.citationstyles.csl+json", "json"),
        ExportFormat("bibtex", "BibTeX", "application/x-bibtex", "bib"),
        ExportFormat("ris", "RIS", "application/x-research-info-systems", "ris"),
        # JSON-LD last: the fair-test harvester keeps only the last describedby link (landing-doi.md §2.8).
        ExportFormat("jsonld", "schema.org JSON-LD", "application/ld+json", "jsonld"),
    )
}
CITATION_FORMATS = ("csl-json", "bibtex", "ris")


def _date_of(record: Record, date_type: str) -> str | None:
    return next((d["date"] for d in record["dates"] if d["dateType"] == date_type), None)


def licence_rights(record: Record) -> Record:
    """The SPDX licence entry of a record's rights list."""
    return next(r for r in record["rightsList"] if r.get("rightsIdentifierScheme") == "SPDX")


def _is_open(record: Record) -> bool:
    return any(r.get("rightsUri") == "info:eu-repo/semantics/openAccess" for r in record["rightsList"])


def abstract(record: Record) -> str:
    return next((d["description"] for d in record["descriptions"] if d["descriptionType"] in ("Abstract", "Other")), "")


def doi_resolves(record: Record) -> bool:
    """A record's DOI resolves through doi.org once DataCite registered it; a draft's does not."""
    return bool(record.get("doi")) and record.get("state") != "draft"


def identifier_url(record: Record) -> str:
    """What to cite: the DOI's URL, or the landing page while the DOI is a draft (access-policy.md, Identifiers)."""
    return doi_url(record["doi"]) if doi_resolves(record) else record["url"]


def datacite_xml_export(record: Record) -> bytes:
    return datacite_xml.to_xml(record)


def datacite_json(record: Record) -> Record:
    """DataCite JSON as DataCite's own content negotiation serves it: the REST attributes with an id, the `agency`
    (how harvesters such as F-UJI recognise it) and the DOI's `state`."""
    payload = {key: value for key, value in record.items() if value not in (None, [])}
    return {"id": doi_url(record["doi"]), "agency": "datacite", **payload}


def csl_json(record: Record) -> Record:
    authors = []
    for creator in record["creators"]:
        if creator.get("familyName"):
            authors.append({"family": creator["familyName"], "given": creator.get("givenName", "")})
        else:
            authors.append({"literal": creator["name"]})
    item: Record = {
        "id": record.get("doi") or record["url"],
        "type": "dataset",
        "title": record["titles"][0]["title"],
        "author": authors,
        "publisher": record["publisher"]["name"],
        "issued": {"date-parts": [[record["publicationYear"]]]},
        "URL": identifier_url(record),
        "abstract": abstract(record),
        "genre": record["types"]["resourceType"],
    }
    if record.get("doi"):
        item["DOI"] = record["doi"]
    keywords = [s["subject"] for s in record["subjects"]]
    if keywords:
        item["keyword"] = ", ".join(keywords)
    return item


# LaTeX's specials as text. A brace is a command, not "\{": BibTeX counts every brace, so one unbalanced brace in a
# title (a typo) left an entry no reader could parse.
BIBTEX_SPECIALS = {
    **{character: "\\" + character for character in "&%$#_"},
    "{": r"{\textbraceleft}",
    "}": r"{\textbraceright}",
    "\\": r"{\textbackslash}",
}


def _bibtex_escape(text: str) -> str:
    return re.sub(r"[&%$#_{}\\]", lambda special: BIBTEX_SPECIALS[special.group()], text)


def citation_key(record: Record) -> str:
    first = record["creators"][0]
    family = first.get("familyName") or first["name"].split(",")[0]
    word = re.sub(r"[^A-Za-z0-9]", "", family) or "data"
    suffix = re.sub(r"[^A-Za-z0-9]", "", (record.get("doi") or record["url"]).rsplit("/", 1)[-1])[-12:]
    return f"{word}{record['publicationYear']}_{suffix}"


def bibtex(record: Record) -> str:
    authors = " and ".join(
        f"{{{_bibtex_escape(c['name'])}}}" if c.get("nameType") == "Organizational" else _bibtex_escape(c["name"])
        for c in record["creators"]
    )
    fields = [
        ("author", authors),
        ("title", "{" + _bibtex_escape(record["titles"][0]["title"]) + "}"),
        ("publisher", _bibtex_escape(record["publisher"]["name"])),
        ("year", str(record["publicationYear"])),
        ("doi", record.get("doi") or ""),
        ("url", identifier_url(record)),
        ("keywords", _bibtex_escape(", ".join(s["subject"] for s in record["subjects"]))),
        ("copyright", _bibtex_escape(licence_rights(record)["rights"])),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{citation_key(record)},\n{body}\n}}\n"


def ris(record: Record) -> str:
    fields: list[tuple[str, object]] = [("TY", "DATA")]
    fields += [("AU", creator["name"]) for creator in record["creators"]]
    fields += [
        ("TI", record["titles"][0]["title"]),
        ("PY", record["publicationYear"]),
        ("PB", record["publisher"]["name"]),
        ("DO", record.get("doi")),
        ("UR", identifier_url(record)),
        ("DA", (_date_of(record, "Available") or "").replace("-", "/")),
        ("AB", abstract(record)),
    ]
    fields += [("KW", subject["subject"]) for subject in record["subjects"]]
    fields += [("LA", record["language"])]
    # A field is one line: a line break in a title read from a file would start a line with no tag.
    lines = [f"{tag}  - {' '.join(str(value).split())}" for tag, value in fields if value]
    return "\r\n".join([*lines, "ER  - "]) + "\r\n"


def _organisation(name: str, ror: str | None) -> Record:
    organisation: Record = {"@type": "Organization", "name": name}
    if ror:
        organisation |= {"@id": ror, "sameAs": ror}
    return organisation


def _person(creator: Record) -> Record:
    if creator.get("nameType") == "Organizational":
        ror = next((i["nameIdentifier"] for i in creator.get("nameIdentifiers", [])), None)
        return _organisation(creator["name"], ror)
    person: Record = {"@type": "Person", "name": creator["name"]}
    orcid = next(
        (i["nameIdentifier"] for i in creator.get("nameIdentifiers", []) if i["nameIdentifierScheme"] == "ORCID"), None
    )
    if orcid:
        person |= {"@id": orcid, "sameAs": orcid}
    if creator.get("givenName"):
        person["givenName"] = creator["givenName"]
    if creator.get("familyName"):
        person["familyName"] = creator["familyName"]
    affiliations = [_organisation(a["name"], a.get("affiliationIdentifier")) for a in creator.get("affiliation", [])]
    if affiliations:
        person["affiliation"] = affiliations
    return person


PANCOMMONS_VERSION = version("pancommons")
PROV = "http://www.w3.org/ns/prov#"
PAV = "http://purl.org/pav/"
SPDX_TERMS = "http://spdx.org/rdf/terms#"


@dataclass(frozen=True)
class Details:
    """What a page knows beyond the DataCite record, for the schema.org JSON-LD (and the RO-Crate built from it)."""

    distributions: list[Distribution] = field(default_factory=list)  # what the anonymous public may fetch now
    variables: list[Variable] = field(default_factory=list)
    provenance: Provenance | None = None
    standards: list[Standard] = field(default_factory=list)


def schema_org(record: Record, *, catalogue_url: str, details: Details | None = None) -> Record:
    """schema.org Dataset for Google Dataset Search (landing-doi.md §2.7), with PROV-O/PAV provenance and
    `dct:conformsTo` (issue 27). The schema.org context defines the `prov`, `dct` and `xsd` prefixes; PAV has none
    there, so its terms are written as full IRIs."""
    details = details or Details()
    publisher = record["publisher"]
    facility = _organisation(publisher["name"], publisher.get("publisherIdentifier"))
    description = abstract(record)
    if len(description) < 50:  # Google wants 50–5000 characters
        description = f"{description} {record['types']['resourceType']} published by {publisher['name']}.".strip()
    licence = licence_rights(record)
    data: Record = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "@id": identifier_url(record),
        "name": record["titles"][0]["title"],
        "description": description[:5000],
        "url": record["url"],
        "identifier": identifier_url(record),
        "creator": [_person(c) for c in record["creators"]],
        "publisher": facility,
        "provider": facility,
        "license": licence["rightsUri"],
        "isAccessibleForFree": True,
        "inLanguage": record["language"],
        "includedInDataCatalog": {
            "@type": "DataCatalog",
            "name": f"{publisher['name']} data catalogue",
            "url": catalogue_url,
        },
    }
    if record.get("doi"):
        if doi_resolves(record):
            data["sameAs"] = doi_url(record["doi"])
            data["creativeWorkStatus"] = "Published"
        else:
            data["identifier"] = [
                identifier_url(record),
                {
                    "@type": "PropertyValue",
                    "propertyID": "DOI",
                    "value": record["doi"],
                    "description": datacite_xml.draft_notice(record),
                },
            ]
            data["creativeWorkStatus"] = "Draft"
    alternates = [a["alternateIdentifier"] for a in record["alternateIdentifiers"]]
    if alternates:
        data["alternateName"] = alternates
    keywords = [s["subject"] for s in record["subjects"]]
    if keywords:
        data["keywords"] = keywords
    techniques = [
        {"@type": "DefinedTerm", "@id": s["valueUri"], "name": s["subject"], "inDefinedTermSet": s["schemeUri"]}
        for s in record["subjects"]
        if s.get("subjectScheme") == "PaNET"
    ]
    if techniques:
        data["measurementTechnique"] = techniques
    collected = _date_of(record, "Collected")
    if collected:
        data["temporalCoverage"] = collected
    available = _date_of(record, "Available")
    issued = _date_of(record, "Issued")
    if available or issued:
        data["datePublished"] = available if _is_open(record) and available else issued
    for location in record["geoLocations"]:
        place: Record = {"@type": "Place", "name": location["geoLocationPlace"]}
        if "geoLocationPoint" in location:
            point = location["geoLocationPoint"]
            place["geo"] = {
                "@type": "GeoCoordinates",
                "latitude": point["pointLatitude"],
                "longitude": point["pointLongitude"],
            }
        data["spatialCoverage"] = place
    if not _is_open(record):
        data["conditionsOfAccess"] = (
            f"Embargoed until {available}: the files open then; until then the team can be asked for access."
        )
    parts = [r["relatedIdentifier"] for r in record["relatedIdentifiers"] if r["relationType"] == "HasPart"]
    if parts:
        data["hasPart"] = [doi_url(p) if not p.startswith("http") else p for p in parts]
    wholes = [doi_url(r["relatedIdentifier"]) for r in record["relatedIdentifiers"] if r["relationType"] == "IsPartOf"]
    if wholes:
        data["isPartOf"] = wholes
    sources = [
        doi_url(r["relatedIdentifier"]) for r in record["relatedIdentifiers"] if r["relationType"] == "IsDerivedFrom"
    ]
    if sources:
        data["isBasedOn"] = sources
    funders = [_organisation(f["funderName"], f.get("funderIdentifier")) for f in record["fundingReferences"]]
    if funders:
        data["funder"] = funders
    if details.variables:
        data["variableMeasured"] = [_variable(variable) for variable in details.variables]
    if details.distributions:
        data["distribution"] = [_data_download(item) for item in details.distributions]
    if details.standards:
        data["dct:conformsTo"] = [
            {"@id": standard.iri, "@type": "CreativeWork", "name": standard.name, "url": standard.url}
            for standard in details.standards
        ]
    if details.provenance is not None:
        data |= _provenance(details.provenance)
    return data


def _variable(variable: Variable) -> Record:
    value: Record = {"@type": "PropertyValue", "name": variable.name}
    if variable.unit:
        value["unitText"] = variable.unit
    if variable.description:
        value["description"] = variable.description
    return value


def _data_download(item: Distribution) -> Record:
    download: Record = {
        "@type": "DataDownload",
        "contentUrl": item.url,
        "encodingFormat": item.media_type,
        "name": item.name,
    }
    if item.size is not None:
        download["contentSize"] = f"{item.size} B"
    if item.checksum and item.checksum_algorithm == "sha256":
        download["sha256"] = item.checksum
    elif item.checksum and item.spdx_algorithm:
        download[SPDX_TERMS + "checksum"] = {
            "@type": SPDX_TERMS + "Checksum",
            SPDX_TERMS + "algorithm": {"@id": f"{SPDX_TERMS}checksumAlgorithm_{item.spdx_algorithm}"},
            SPDX_TERMS + "checksumValue": item.checksum,
        }
    if item.is_zip:
        download["description"] = (
            "Every file of the dataset in one zip, with checksum manifests and an RO-Crate (ro-crate-metadata.json)."
        )
    return download


def _timestamp(moment: datetime) -> Record:
    return {"@value": moment.isoformat(), "@type": "xsd:dateTime"}


def _agent(agent: Agent, *types: str) -> Record:
    node: Record = {"@type": list(types), "name": agent.name}
    if agent.iri:
        node["@id"] = agent.iri
        node["url"] = agent.iri
    if agent.version:
        node["softwareVersion"] = agent.version
    return node


def ingestion_agent() -> Agent:
    return Agent(
        name=f"PaN Commons ingestion at {settings.HOME_FACILITY}",
        iri=settings.SITE_URL + "/",
        version=PANCOMMONS_VERSION,
    )


def _provenance(provenance: Provenance) -> Record:
    """PROV-O: the measurement (or processing) that generated the data, who and what took part, the inputs of
    derived data; PAV: the software it was created with and the ingestion that imported it into this catalogue."""
    instruments = [_agent(i, "prov:Agent", "Thing") for i in provenance.instruments]
    software = [_agent(s, "prov:SoftwareAgent", "SoftwareApplication") for s in provenance.software]
    facility = _agent(provenance.facility, "prov:Organization", "Organization") if provenance.facility else None
    activity: Record = {
        "@type": "prov:Activity",
        "name": "Processing" if provenance.derived else "Measurement",
    }
    if provenance.started:
        activity["prov:startedAtTime"] = _timestamp(provenance.started)
    if provenance.ended:
        activity["prov:endedAtTime"] = _timestamp(provenance.ended)
    associated = instruments + software + ([facility] if facility else [])
    if associated:
        activity["prov:wasAssociatedWith"] = associated
    inputs = [{"@id": iri} for iri in provenance.inputs]
    if inputs:
        activity["prov:used"] = inputs
    data: Record = {"prov:wasGeneratedBy": activity}
    if facility:
        data["prov:wasAttributedTo"] = facility
    if inputs:
        data["prov:wasDerivedFrom"] = inputs
    if software:
        data[PAV + "createdWith"] = software
    if provenance.started:
        data[PAV + "createdOn"] = _timestamp(provenance.started)
    if provenance.ingested:
        importer = _agent(ingestion_agent(), "prov:SoftwareAgent", "SoftwareApplication")
        data[PAV + "importedOn"] = _timestamp(provenance.ingested)
        data[PAV + "importedBy"] = importer
        data["prov:wasInfluencedBy"] = {
            "@type": "prov:Activity",
            "name": "Ingestion: the NeXus file read and recorded in this catalogue",
            "prov:startedAtTime": _timestamp(provenance.ingested),
            "prov:wasAssociatedWith": importer,
        }
    return data


def meta_tags(record: Record, *, page_url: str) -> list[tuple[str, str]]:
    """Highwire (Google Scholar) and Dublin Core <meta> tags (landing-doi.md §2.9)."""
    tags = [("citation_title", record["titles"][0]["title"])]
    tags += [("citation_author", creator["name"]) for creator in record["creators"]]
    issued = next((d["date"] for d in record["dates"] if d["dateType"] in ("Available", "Issued")), None)
    tags.append(("citation_publication_date", (issued or str(record["publicationYear"])).replace("-", "/")))
    tags.append(("citation_publisher", record["publisher"]["name"]))
    if record.get("doi"):
        tags.append(("citation_doi", record["doi"]))
    keywords = [s["subject"] for s in record["subjects"]]
    if keywords:
        tags.append(("citation_keywords", "; ".join(keywords)))
    tags.append(("citation_abstract_html_url", page_url))
    tags += [("DC.title", record["titles"][0]["title"])]
    tags += [("DC.creator", creator["name"]) for creator in record["creators"]]
    tags += [
        ("DC.publisher", record["publisher"]["name"]),
        ("DC.date", str(record["publicationYear"])),
        ("DC.type", "Dataset"),
        ("DC.identifier", identifier_url(record)),
        ("DC.rights", licence_rights(record)["rightsUri"]),
        ("DC.language", record["language"]),
    ]
    return tags


def render(record: Record, key: str) -> bytes:
    """One export of the record as bytes in its media type (FORMATS[key]); schema.org comes from schema_org()."""
    if key == "datacite-xml":
        return datacite_xml_export(record)
    if key == "datacite-json":
        return json.dumps(datacite_json(record), indent=2, ensure_ascii=False).encode()
    if key == "csl-json":
        return json.dumps([csl_json(record)], indent=2, ensure_ascii=False).encode()
    if key == "bibtex":
        return bibtex(record).encode()
    if key == "ris":
        return ris(record).encode()
    raise KeyError(key)
