"""The three OAI-PMH metadata formats, each derived from the one DataCite record of `landing.datacite.metadata`:
`oai_dc` (with the OpenAIRE Guidelines' info:eu-repo terms), `oai_datacite` (DataCite's OAI wrapper 1.1 around the
kernel-4.7 record) and `datacite` (the bare kernel-4.7 record).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from lxml import etree

from landing.datacite import xml as datacite_xml
from landing.datacite.metadata import Record, doi_url

XSI = "http://www.w3.org/2001/XMLSchema-instance"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
OAI_DATACITE = "http://schema.datacite.org/oai/oai-1.1/"
KERNEL_VERSION = "4.7"
EU_REPO = "info:eu-repo/semantics/"


@dataclass(frozen=True)
class Format:
    prefix: str
    schema: str
    namespace: str
    render: Callable[[Record], etree._Element]


def _identifier(record: Record) -> str:
    return doi_url(record["doi"]) if record.get("doi") else record["url"]


def oai_dc(record: Record) -> etree._Element:
    """Simple Dublin Core as OpenAIRE reads it: access rights and the embargo end as info:eu-repo terms."""
    root = etree.Element(f"{{{OAI_DC}}}dc", nsmap={"oai_dc": OAI_DC, "dc": DC, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI_DC} http://www.openarchives.org/OAI/2.0/oai_dc.xsd")

    def add(tag: str, value: object) -> None:
        etree.SubElement(root, f"{{{DC}}}{tag}").text = datacite_xml.xml_text(value)

    for title in record["titles"]:
        add("title", title["title"])
    for creator in record["creators"]:
        add("creator", creator["name"])
    for subject in record["subjects"]:
        add("subject", subject["subject"])
    for description in record["descriptions"]:
        add("description", description["description"])
    add("publisher", record["publisher"]["name"])
    for contributor in record["contributors"]:
        add("contributor", contributor["name"])
    add("date", record["publicationYear"])
    embargoed = any(rights.get("rightsUri") == EU_REPO + "embargoedAccess" for rights in record["rightsList"])
    for date in record["dates"]:
        if date["dateType"] == "Available" and embargoed:
            add("date", f"info:eu-repo/date/embargoEnd/{date['date']}")
    add("type", record["types"]["resourceTypeGeneral"])
    add("type", record["types"]["resourceType"])
    for value in record["formats"]:
        add("format", value)
    add("identifier", _identifier(record))
    for alternate in record["alternateIdentifiers"]:
        add("identifier", alternate["alternateIdentifier"])
    add("language", record["language"])
    for related in record["relatedIdentifiers"]:
        target = related["relatedIdentifier"]
        add("relation", doi_url(target) if related["relatedIdentifierType"] == "DOI" else target)
    for location in record["geoLocations"]:
        add("coverage", location["geoLocationPlace"])
    for rights in record["rightsList"]:
        add("rights", rights.get("rightsUri") or rights["rights"])
    return root


def datacite(record: Record) -> etree._Element:
    return datacite_xml.to_element(record)


def oai_datacite(record: Record) -> etree._Element:
    """DataCite's OAI wrapper 1.1: schema version, the data centre's symbol and the unaltered kernel record."""
    root = etree.Element(f"{{{OAI_DATACITE}}}oai_datacite", nsmap={None: OAI_DATACITE, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI_DATACITE} http://schema.datacite.org/oai/oai-1.1/oai.xsd")
    etree.SubElement(root, f"{{{OAI_DATACITE}}}schemaVersion").text = KERNEL_VERSION
    etree.SubElement(root, f"{{{OAI_DATACITE}}}datacentreSymbol").text = settings.DATACITE_USERNAME or "PANCOMMONS"
    etree.SubElement(root, f"{{{OAI_DATACITE}}}payload").append(datacite(record))
    return root


FORMATS = {
    "oai_dc": Format("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC, oai_dc),
    "oai_datacite": Format(
        "oai_datacite", "http://schema.datacite.org/oai/oai-1.1/oai.xsd", OAI_DATACITE, oai_datacite
    ),
    "datacite": Format(
        "datacite", "https://schema.datacite.org/meta/kernel-4.7/metadata.xsd", datacite_xml.NAMESPACE, datacite
    ),
}
