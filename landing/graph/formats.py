"""The RDF serialisations the graph is served in, and how a request names one (W3C dx-prof-conneg for the profile).

JSON-LD on the landing pages stays schema.org (search engines read it); DCAT JSON-LD is `?format=dcat`, or
`application/ld+json` with the DCAT profile in its `profile` parameter or in `Accept-Profile`.
"""

import json
from dataclasses import dataclass

from rdflib import Graph

from landing.graph.vocabulary import DCAT_AP_PROFILE, DCAT_PROFILE, PREFIXES

JSON_LD = "application/ld+json"
# What `Content-Profile` says of every RDF answer: DCAT, in its DCAT-AP application profile.
CONTENT_PROFILE = f"<{DCAT_PROFILE}>, <{DCAT_AP_PROFILE}>"
# The inline JSON-LD context: prefixes only, so that the JSON-LD expands offline (no remote context).
JSON_LD_CONTEXT = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}


@dataclass(frozen=True)
class RdfFormat:
    key: str
    label: str
    media_type: str
    extension: str
    rdflib_name: str


RDF_FORMATS = {
    f.key: f
    for f in (
        RdfFormat("ttl", "DCAT Turtle", "text/turtle", "ttl", "turtle"),
        RdfFormat("rdf", "DCAT RDF/XML", "application/rdf+xml", "rdf", "xml"),
        RdfFormat("nt", "DCAT N-Triples", "application/n-triples", "nt", "nt"),
        RdfFormat("dcat", "DCAT JSON-LD", JSON_LD, "jsonld", "json-ld"),
    )
}
# Media types a request may name an RDF form by (`dcat` only with the DCAT profile: plain JSON-LD is schema.org).
RDF_MEDIA_TYPES = {f.media_type: f.key for f in RDF_FORMATS.values() if f.key != "dcat"}


def is_dcat_profile(profiles: str) -> bool:
    """Whether a profile list (`profile="…"` or `Accept-Profile`) names DCAT or DCAT-AP."""
    tokens = profiles.replace(",", " ").split()
    return any(token.strip("<>\"';").startswith((DCAT_PROFILE, DCAT_AP_PROFILE)) for token in tokens)


def serialise(graph: Graph, key: str) -> bytes:
    """The graph in one RDF format of RDF_FORMATS."""
    rdf_format = RDF_FORMATS[key]
    if key == "dcat":
        data = json.loads(graph.serialize(format="json-ld", context=JSON_LD_CONTEXT, auto_compact=True))
        return json.dumps(data, indent=2, ensure_ascii=False).encode()
    return graph.serialize(format=rdf_format.rdflib_name, encoding="utf-8")
