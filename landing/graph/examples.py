"""Example queries shown on the /sparql page (the endpoint declares the prefixes of vocabulary.PREFIXES)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Example:
    title: str
    query: str


EXAMPLES = [
    Example(
        "SAXS datasets measured below 80 °C, with their facility and DOIs, 100 at a time",
        """# SAXS and its narrower terms; panet:PaNET01124 asks for any small-angle scattering (SANS too).
# A page of 100 datasets, sorted by temperature: the inner query stops at its 100th dataset, so the answer costs the
# same at any catalogue size (OFFSET 100 gives the next page). Without the LIMIT it lists them all, which takes
# seconds on a large catalogue: every temperature is read, as Oxigraph has no range index.
SELECT ?dataset ?title ?celsius ?facility (GROUP_CONCAT(DISTINCT ?doi) AS ?dois) WHERE {
  {
    SELECT DISTINCT ?dataset ?kelvin WHERE {
      ?temperature schema:name "sample_temperature" ;
                   qudt:numericValue ?kelvin .
      FILTER(?kelvin < 353.15)
      ?temperature qudt:unit unit:K .
      ?dataset schema:variableMeasured ?temperature ;
               dcat:theme/skos:broaderTransitive? panet:PaNET01188 ;
               a dcat:Dataset .
    }
    LIMIT 100
  }
  ?dataset dct:title ?title ;
           dct:publisher/foaf:name ?facility .
  BIND(?kelvin - 273.15 AS ?celsius)
  OPTIONAL { ?dataset dct:isPartOf ?record . ?record dct:identifier ?doi .
             FILTER(STRSTARTS(?doi, "https://doi.org/")) }
}
GROUP BY ?dataset ?title ?celsius ?facility ?kelvin
ORDER BY ?kelvin ?dataset""",
    ),
    Example(
        "Open datasets per PaNET technique",
        """SELECT ?technique ?label (COUNT(DISTINCT ?dataset) AS ?datasets) WHERE {
  ?dataset a dcat:Dataset ; dcat:theme ?technique .
  ?technique skos:prefLabel ?label .
  FILTER(CONTAINS(STR(?dataset), "/datasets/"))  # open datasets; DOI records are dcat:Datasets too
}
GROUP BY ?technique ?label
ORDER BY DESC(?datasets)""",
    ),
    Example(
        "Derived data and what they were derived from, with the software that made them",
        """SELECT ?derived ?source ?software WHERE {
  ?derived prov:wasDerivedFrom ?source .
  OPTIONAL { ?derived prov:wasGeneratedBy/prov:wasAssociatedWith ?agent .
             ?agent a prov:SoftwareAgent ; rdfs:label ?software . }
}""",
    ),
    Example(
        "Files of the open datasets with their size and checksum",
        """SELECT ?dataset ?file ?bytes ?algorithm ?checksum WHERE {
  ?dataset dcat:distribution ?distribution .
  ?distribution dcat:downloadURL ?file ; dcat:byteSize ?bytes .
  OPTIONAL { ?distribution spdx:checksum [ spdx:algorithm ?algorithm ; spdx:checksumValue ?checksum ] }
}
LIMIT 100""",
    ),
    Example(
        "People with an ORCID iD and the DOIs they are creators of",
        """SELECT DISTINCT ?person ?name ?doi WHERE {
  ?record dct:creator ?person ; dct:identifier ?doi .
  ?person a foaf:Person ; foaf:name ?name .
  FILTER(STRSTARTS(STR(?person), "https://orcid.org/") && STRSTARTS(?doi, "https://doi.org/"))
}
ORDER BY ?name""",
    ),
    Example(
        "Instruments and the number of open datasets measured on each",
        """SELECT ?instrument ?name (COUNT(?dataset) AS ?datasets) WHERE {
  ?instrument a sosa:Platform ; dct:title ?name .
  OPTIONAL { ?dataset prov:wasGeneratedBy/prov:wasAssociatedWith ?instrument .
             FILTER(CONTAINS(STR(?dataset), "/datasets/")) }
}
GROUP BY ?instrument ?name
ORDER BY DESC(?datasets)""",
    ),
    Example(
        "The catalogue's data services and their endpoints",
        """SELECT ?service ?title ?endpoint ?standard WHERE {
  ?catalogue a dcat:Catalog ; dcat:service ?service .
  ?service dct:title ?title ; dcat:endpointURL ?endpoint ; dct:conformsTo ?standard .
}""",
    ),
]
