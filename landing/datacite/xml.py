"""DataCite 4.7 XML from a record of `landing.datacite.metadata`, and its check against the official XSD."""

import re
from functools import cache
from pathlib import Path
from typing import Any

import xmlschema
from lxml import etree

from landing.datacite.metadata import Record

NAMESPACE = "http://datacite.org/schema/kernel-4"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_NS = "http://www.w3.org/XML/1998/namespace"
SCHEMA_LOCATION = f"{NAMESPACE} https://schema.datacite.org/meta/kernel-4.7/metadata.xsd"
XSD_PATH = Path(__file__).parent / "schema" / "kernel-4.7" / "metadata.xsd"
DRAFT_MARK = "Draft DOI:"
# Characters outside XML 1.0's Char production: control characters (a vertical tab pasted from a word processor, an
# escape sequence in a file's notes) and U+FFFE/U+FFFF. PostgreSQL stores them; no XML document can hold them.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    """`value` as text any XML document (or RDF graph serialised as XML) can hold: each character it cannot becomes a
    space. One such character in one title must not fail a DataCite registration or a whole OAI-PMH harvest."""
    return NOT_XML.sub(" ", str(value))


def _sub(parent: etree._Element, tag: str, text: Any = None, **attributes: Any) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}")
    if text is not None:
        element.text = xml_text(text)
    for name, value in attributes.items():
        if value not in (None, ""):
            element.set(name, xml_text(value))
    return element


def _name_entity(parent: etree._Element, tag: str, entity: dict[str, Any], **attributes: Any) -> None:
    """creator / contributor: name, given and family name, identifiers, affiliations, in the XSD's order."""
    element = _sub(parent, tag, **attributes)
    _sub(element, f"{tag}Name", entity["name"], nameType=entity.get("nameType"))
    if entity.get("givenName"):
        _sub(element, "givenName", entity["givenName"])
    if entity.get("familyName"):
        _sub(element, "familyName", entity["familyName"])
    for identifier in entity.get("nameIdentifiers", []):
        _sub(
            element,
            "nameIdentifier",
            identifier["nameIdentifier"],
            nameIdentifierScheme=identifier["nameIdentifierScheme"],
            schemeURI=identifier.get("schemeUri"),
        )
    for affiliation in entity.get("affiliation", []):
        _sub(
            element,
            "affiliation",
            affiliation["name"],
            affiliationIdentifier=affiliation.get("affiliationIdentifier"),
            affiliationIdentifierScheme=affiliation.get("affiliationIdentifierScheme"),
            schemeURI=affiliation.get("schemeUri"),
        )


def to_xml(record: Record) -> bytes:
    """Serialise a record as DataCite 4.7 XML (UTF-8, with declaration). A record without DOI cannot be serialised."""
    if not record.get("doi"):
        raise ValueError("DataCite XML needs a DOI")
    return etree.tostring(to_element(record), xml_declaration=True, encoding="UTF-8", pretty_print=True)


def to_element(record: Record) -> etree._Element:
    """The record as a DataCite 4.7 `resource` element: identified by its DOI, else (a dataset, for harvesters that
    take kernel-4 records without DOIs, as OAI-PMH's `datacite` format) by its landing page URL."""
    root = etree.Element(f"{{{NAMESPACE}}}resource", nsmap={None: NAMESPACE, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    if record.get("doi"):
        _sub(root, "identifier", record["doi"], identifierType="DOI")
    else:
        _sub(root, "identifier", record["url"], identifierType="URL")
    creators = _sub(root, "creators")
    for creator in record["creators"]:
        _name_entity(creators, "creator", creator)
    titles = _sub(root, "titles")
    for title in record["titles"]:
        element = _sub(titles, "title", title["title"], titleType=title.get("titleType"))
        element.set(f"{{{XML_NS}}}lang", "en")
    publisher = record["publisher"]
    _sub(
        root,
        "publisher",
        publisher["name"],
        publisherIdentifier=publisher.get("publisherIdentifier"),
        publisherIdentifierScheme=publisher.get("publisherIdentifierScheme"),
        schemeURI=publisher.get("schemeUri"),
    )
    _sub(root, "publicationYear", record["publicationYear"])
    types = record["types"]
    _sub(root, "resourceType", types["resourceType"], resourceTypeGeneral=types["resourceTypeGeneral"])
    if record["subjects"]:
        subjects = _sub(root, "subjects")
        for subject in record["subjects"]:
            _sub(
                subjects,
                "subject",
                subject["subject"],
                subjectScheme=subject.get("subjectScheme"),
                schemeURI=subject.get("schemeUri"),
                valueURI=subject.get("valueUri"),
            )
    if record["contributors"]:
        contributors = _sub(root, "contributors")
        for contributor in record["contributors"]:
            _name_entity(contributors, "contributor", contributor, contributorType=contributor["contributorType"])
    if record["dates"]:
        dates = _sub(root, "dates")
        for date in record["dates"]:
            _sub(dates, "date", date["date"], dateType=date["dateType"], dateInformation=date.get("dateInformation"))
    _sub(root, "language", record["language"])
    if record["alternateIdentifiers"]:
        alternates = _sub(root, "alternateIdentifiers")
        for alternate in record["alternateIdentifiers"]:
            _sub(
                alternates,
                "alternateIdentifier",
                alternate["alternateIdentifier"],
                alternateIdentifierType=alternate["alternateIdentifierType"],
            )
    if record["relatedIdentifiers"]:
        related = _sub(root, "relatedIdentifiers")
        for entry in record["relatedIdentifiers"]:
            _sub(
                related,
                "relatedIdentifier",
                entry["relatedIdentifier"],
                relatedIdentifierType=entry["relatedIdentifierType"],
                relationType=entry["relationType"],
                resourceTypeGeneral=entry.get("resourceTypeGeneral"),
            )
    for tag, values in (("sizes", "size"), ("formats", "format")):
        if record[tag]:
            container = _sub(root, tag)
            for value in record[tag]:
                _sub(container, values, value)
    rights_list = _sub(root, "rightsList")
    for rights in record["rightsList"]:
        _sub(
            rights_list,
            "rights",
            rights["rights"],
            rightsURI=rights.get("rightsUri"),
            rightsIdentifier=rights.get("rightsIdentifier"),
            rightsIdentifierScheme=rights.get("rightsIdentifierScheme"),
            schemeURI=rights.get("schemeUri"),
        )
    descriptions = _sub(root, "descriptions")
    for description in record["descriptions"]:
        _sub(descriptions, "description", description["description"], descriptionType=description["descriptionType"])
    if record.get("state") == "draft":  # the kernel has no state element: say it where every reader looks
        _sub(descriptions, "description", draft_notice(record), descriptionType="Other")
    if record["geoLocations"]:
        locations = _sub(root, "geoLocations")
        for location in record["geoLocations"]:
            element = _sub(locations, "geoLocation")
            _sub(element, "geoLocationPlace", location["geoLocationPlace"])
            if "geoLocationPoint" in location:
                point = _sub(element, "geoLocationPoint")
                _sub(point, "pointLongitude", location["geoLocationPoint"]["pointLongitude"])
                _sub(point, "pointLatitude", location["geoLocationPoint"]["pointLatitude"])
    if record["fundingReferences"]:
        funding = _sub(root, "fundingReferences")
        for reference in record["fundingReferences"]:
            element = _sub(funding, "fundingReference")
            _sub(element, "funderName", reference["funderName"])
            if reference.get("funderIdentifier"):
                _sub(
                    element,
                    "funderIdentifier",
                    reference["funderIdentifier"],
                    funderIdentifierType=reference["funderIdentifierType"],
                )
            if reference.get("awardNumber"):
                _sub(element, "awardNumber", reference["awardNumber"], awardURI=reference.get("awardUri"))
    if record["relatedItems"]:
        items = _sub(root, "relatedItems")
        for item in record["relatedItems"]:
            element = _sub(
                items, "relatedItem", relatedItemType=item["relatedItemType"], relationType=item["relationType"]
            )
            if "relatedItemIdentifier" in item:
                identifier = item["relatedItemIdentifier"]
                _sub(
                    element,
                    "relatedItemIdentifier",
                    identifier["relatedItemIdentifier"],
                    relatedItemIdentifierType=identifier["relatedItemIdentifierType"],
                )
            titles = _sub(element, "titles")
            for title in item["titles"]:
                _sub(titles, "title", title["title"])
    return root


def draft_notice(record: Record) -> str:
    return (
        f"{DRAFT_MARK} {record['doi']} is reserved but not registered: it does not resolve through doi.org yet. "
        f"Cite {record['url']} until it does."
    )


@cache
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD_PATH))


def validation_errors(xml: bytes) -> list[str]:
    """The XSD's complaints about `xml` (empty when valid), readable for a curator."""
    return [f"{error.path}: {error.reason}" for error in schema().iter_errors(xml)]
