"""The published standards tests check our output against, read offline from the project's ../shared (beside the
checkout: settings.BASE_DIR.parent / "shared")."""

import json
from functools import cache
from pathlib import Path

import rdflib
import xmlschema
from django.conf import settings
from pyld import jsonld

SHARED = Path(settings.BASE_DIR).parent / "shared"
SCHEMA_ORG_CONTEXT = SHARED / "standards" / "schemaorg-context" / "schemaorgcontext.jsonld"
DATACITE_XSD = SHARED / "datacite-schema" / "kernel-4.7" / "metadata.xsd"
SCHEMA = rdflib.Namespace("http://schema.org/")
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
PAV = rdflib.Namespace("http://purl.org/pav/")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
SCHEMA_ORG_URLS = {
    "http://schema.org",
    "https://schema.org",
    "http://schema.org/",
    "https://schema.org/",
    "https://schema.org/docs/jsonldcontext.jsonld",
    "http://schema.org/docs/jsonldcontext.jsonld",
}


@cache
def _schema_org_context() -> dict:
    return json.loads(SCHEMA_ORG_CONTEXT.read_text())


def offline_loader(url: str, options: dict | None = None) -> dict:
    """PyLD document loader: schema.org's published context from the shared copy, nothing from the network."""
    if url in SCHEMA_ORG_URLS:
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": _schema_org_context(),
        }
    raise jsonld.JsonLdError(
        f"offline: refusing to load {url}", "jsonld.LoadDocumentError", code="loading document failed"
    )


def expand(document: dict) -> list[dict]:
    return jsonld.expand(document, {"documentLoader": offline_loader})


def graph_of(document: dict) -> rdflib.Graph:
    """The RDF a JSON-LD document means, with schema.org's real context (so prov:, dct:, xsd: expand as published)."""
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads", "documentLoader": offline_loader})
    return rdflib.Graph().parse(data=nquads, format="nquads")


@cache
def datacite_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(DATACITE_XSD))


def datacite_errors(xml: bytes) -> list[str]:
    return [f"{error.path}: {error.reason}" for error in datacite_schema().iter_errors(xml)]


MADMP_EXAMPLES = SHARED / "standards" / "rda-madmp" / "examples" / "JSON"
MADMP_SCHEMA = MADMP_EXAMPLES / "JSON-schema" / "1.2" / "maDMP-schema-1.2.json"


def madmp_errors(document: dict) -> list[str]:
    """Every error of a maDMP against the RDA DMP Common Standard 1.2 schema of ../shared, formats checked."""
    import jsonschema

    schema = json.loads(MADMP_SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return [f"{error.json_path}: {error.message}" for error in validator.iter_errors(document)]
