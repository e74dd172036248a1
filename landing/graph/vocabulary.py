"""The vocabularies the graph speaks and the registered IRIs it links to: DCAT-AP 3, PROV, SPDX, QUDT units, IANA
media types, the EU authority tables, NeXus application definitions."""

from rdflib import Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, XSD, DefinedNamespace

ADMS = Namespace("http://www.w3.org/ns/adms#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
ORG = Namespace("http://www.w3.org/ns/org#")
QUDT = Namespace("http://qudt.org/schema/qudt/")
UNIT = Namespace("http://qudt.org/vocab/unit/")
SCHEMA = Namespace("http://schema.org/")
SOSA = Namespace("http://www.w3.org/ns/sosa/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
GEOSPARQL = Namespace("http://www.opengis.net/ont/geosparql#")
PANET = Namespace("http://purl.org/pan-science/PaNET/")
IANA = Namespace("https://www.iana.org/assignments/media-types/")
EU_ACCESS_RIGHT = Namespace("http://publications.europa.eu/resource/authority/access-right/")
EU_FILE_TYPE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
EU_LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")
NEXUS_DEFINITIONS = "https://manual.nexusformat.org/classes/applications/"
NEXUS_FORMAT = "https://www.nexusformat.org/"
DCAT_PROFILE = "http://www.w3.org/ns/dcat#"
DCAT_AP_PROFILE = "http://data.europa.eu/r5r/"
PANET_SCHEME = PANET["PaNET.owl"]

# Prefixes of every serialisation (Turtle, RDF/XML, the JSON-LD context, the SPARQL page).
PREFIXES = {
    "adms": ADMS,
    "dcat": DCAT,
    "dct": DCTERMS,
    "foaf": FOAF,
    "hydra": HYDRA,
    "locn": LOCN,
    "org": ORG,
    "owl": OWL,
    "panet": PANET,
    "prov": PROV,
    "qudt": QUDT,
    "rdf": RDF,
    "rdfs": RDFS,
    "schema": SCHEMA,
    "skos": SKOS,
    "sosa": SOSA,
    "spdx": SPDX,
    "unit": UNIT,
    "vcard": VCARD,
    "xsd": XSD,
}

# SPDX checksum algorithms of the digests ingestion computes (hashlib's blake2b gives 512 bits).
CHECKSUM_ALGORITHMS = {
    "blake2b": SPDX.checksumAlgorithm_blake2b512,
    "sha256": SPDX.checksumAlgorithm_sha256,
    "sha1": SPDX.checksumAlgorithm_sha1,
    "md5": SPDX.checksumAlgorithm_md5,
}

# pint's names of the units parameters carry (Parameter.unit, Parameter.unit_si) → QUDT unit IRIs.
QUDT_UNITS = {
    "K": UNIT.K,
    "kelvin": UNIT.K,
    "degC": UNIT.DEG_C,
    "degree_Celsius": UNIT.DEG_C,
    "degF": UNIT.DEG_F,
    "m": UNIT.M,
    "meter": UNIT.M,
    "mm": UNIT.MilliM,
    "millimeter": UNIT.MilliM,
    "um": UNIT.MicroM,
    "micrometer": UNIT.MicroM,
    "nm": UNIT.NanoM,
    "nanometer": UNIT.NanoM,
    "angstrom": UNIT.ANGSTROM,
    "1/angstrom": UNIT["PER-ANGSTROM"],
    "1/m": UNIT["PER-M"],
    "1 / meter": UNIT["PER-M"],
    "eV": UNIT.EV,
    "electron_volt": UNIT.EV,
    "keV": UNIT.KiloEV,
    "kiloelectron_volt": UNIT.KiloEV,
    "meV": UNIT.MilliEV,
    "J": UNIT.J,
    "joule": UNIT.J,
    "Pa": UNIT.PA,
    "pascal": UNIT.PA,
    "kPa": UNIT.KiloPA,
    "bar": UNIT.BAR,
    "mbar": UNIT.MilliBAR,
    "s": UNIT.SEC,
    "second": UNIT.SEC,
    "ms": UNIT.MilliSEC,
    "Hz": UNIT.HZ,
    "hertz": UNIT.HZ,
    "T": UNIT.T,
    "tesla": UNIT.T,
    "V": UNIT.V,
    "volt": UNIT.V,
    "A": UNIT.A,
    "ampere": UNIT.A,
    "mA": UNIT.MilliA,
    "W": UNIT.W,
    "watt": UNIT.W,
    "deg": UNIT.DEG,
    "degree": UNIT.DEG,
    "rad": UNIT.RAD,
    "radian": UNIT.RAD,
    "kg": UNIT.KiloGM,
    "kilogram": UNIT.KiloGM,
    "g": UNIT.GM,
    "gram": UNIT.GM,
}


def media_type_iri(media_type: str) -> str:
    """The IANA registry page of a media type, the IRI DCAT-AP asks for (application/x-hdf5 follows the pattern)."""
    return str(IANA) + media_type


def definition_iri(name: str) -> str:
    """The manual page of a NeXus application definition, its one stable IRI."""
    return f"{NEXUS_DEFINITIONS}{name}.html"


class Terms:
    """A namespace whose terms are made once each: rdflib makes (and checks) a new URIRef on every attribute access,
    a sixth of describing a dataset. Closed namespaces (DCAT, DCTERMS, ...) still refuse names they do not define."""

    def __init__(self, namespace: Namespace | type[DefinedNamespace]) -> None:
        self._namespace = namespace
        self._terms: dict[str, URIRef] = {}

    def __getattr__(self, name: str) -> URIRef:
        if name.startswith("_"):
            raise AttributeError(name)
        term = self[name]
        setattr(self, name, term)  # later accesses are plain attribute reads
        return term

    def __getitem__(self, name: str) -> URIRef:
        term = self._terms.get(name)
        if term is None:
            term = self._terms[name] = self._namespace[name]
        return term

    def __str__(self) -> str:
        return str(self._namespace)
