"""The community standards data follow, as IRIs for `dct:conformsTo`: NeXus and its application definitions."""

from collections.abc import Iterable
from dataclasses import dataclass

from catalogue.models import Dataset

# NeXus's FAIRsharing record (a DOI: persistent, and the identifier the RDA metadata standards catalogue uses).
NEXUS_IRI = "https://doi.org/10.25504/FAIRsharing.eq2pdx"
NEXUS_HOME = "https://www.nexusformat.org/"
APPLICATION_DEFINITIONS = "https://manual.nexusformat.org/classes/applications/"


@dataclass(frozen=True)
class Standard:
    name: str
    iri: str
    url: str


def of_datasets(datasets: Iterable[Dataset]) -> list[Standard]:
    datasets = list(datasets)
    nexus = any("nexus" in d.file_format.lower() or d.definitions for d in datasets)
    if not nexus:
        return []
    definitions = sorted({name for d in datasets for name in d.definitions if name.startswith("NX")})
    return [Standard(name="NeXus", iri=NEXUS_IRI, url=NEXUS_HOME)] + [
        Standard(
            name=f"NeXus application definition {name}",
            iri=f"{APPLICATION_DEFINITIONS}{name}.html",
            url=f"{APPLICATION_DEFINITIONS}{name}.html",
        )
        for name in definitions
    ]
