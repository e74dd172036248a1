"""The description of a dataset search (catalogue.search): text, techniques (PaNET, with narrower terms),
instruments, facilities, years, access, formats, parameter ranges with units, order and page. The portal reads it
from a URL (landing/portal/forms.py); catalogue.search.datasets and catalogue.search.counts answer it."""

from dataclasses import dataclass
from typing import Literal

from catalogue import units
from catalogue.search.terms import query_terms

PAGE_SIZE = 20
FacetName = Literal["technique", "instrument", "facility", "year", "access", "format"]


@dataclass(frozen=True)
class FacetKind:
    """A facet: as people read it, the SearchQuery field of its chosen values (the URL parameter is the facet's
    name), and the facet rows' column it counts (catalogue.models.facets; "access" is computed)."""

    label: str
    field: str
    column: str


FACETS: dict[FacetName, FacetKind] = {
    "technique": FacetKind("Technique", "techniques", "technique_set"),
    "instrument": FacetKind("Instrument", "instruments", "instrument_id"),
    "facility": FacetKind("Facility", "facilities", "facility_id"),
    "year": FacetKind("Year of measurement", "years", "year"),
    "access": FacetKind("Access", "access", "access"),
    "format": FacetKind("File format", "formats", "file_format"),
}
FACET_NAMES: tuple[FacetName, ...] = tuple(FACETS)
SORTS = {"relevance": "best match", "newest": "newest first", "oldest": "oldest first", "title": "title A–Z"}


@dataclass(frozen=True)
class RangeKind:
    """A parameter the portal filters by range: its PaNOSC name, its dimension and the units it offers."""

    key: str
    label: str
    parameter: str
    units: tuple[str, ...]

    @property
    def dimension(self) -> str:
        return units.dimension_of(units.query_unit(self.units[0]))

    @property
    def unit_choices(self) -> list[tuple[str, str]]:
        """(unit as sent in the URL, as shown to people)."""
        return [(unit, UNIT_SYMBOLS.get(unit, unit)) for unit in self.units]


UNIT_SYMBOLS = {"celsius": "°C", "fahrenheit": "°F", "angstrom": "Å"}


RANGE_KINDS: dict[str, RangeKind] = {
    kind.key: kind
    for kind in (
        RangeKind("temperature", "Sample temperature", "sample_temperature", ("K", "celsius", "fahrenheit")),
        RangeKind("wavelength", "Wavelength", "incident_wavelength", ("angstrom", "nm", "pm")),
        RangeKind("energy", "Photon energy", "incident_photon_energy", ("eV", "keV", "J")),
        RangeKind("pressure", "Sample pressure", "sample_pressure", ("Pa", "kPa", "bar", "mbar", "atm", "torr")),
    )
}


@dataclass(frozen=True)
class ParameterRange:
    """A range filter as the visitor wrote it (bounds in `unit`); either bound may be open."""

    kind: RangeKind
    unit: str
    low: float | None
    high: float | None


@dataclass(frozen=True)
class SearchQuery:
    """One state of the search page; every field round-trips through the URL (see forms.py)."""

    text: str = ""
    techniques: tuple[str, ...] = ()  # PaNET ids; each includes its descendants
    instruments: tuple[str, ...] = ()  # instrument pids
    facilities: tuple[str, ...] = ()  # facility short names
    years: tuple[int, ...] = ()
    access: tuple[str, ...] = ()  # "open", "embargoed"
    formats: tuple[str, ...] = ()
    ranges: tuple[ParameterRange, ...] = ()
    sort: str = ""
    page: int = 1

    @property
    def has_text(self) -> bool:
        """Whether the text carries any term (only stop words count as no query, PaNOSC spec §6.1)."""
        return bool(self.text.strip()) and bool(query_terms(self.text))

    @property
    def effective_sort(self) -> str:
        if self.sort and (self.sort != "relevance" or self.has_text):
            return self.sort
        return "relevance" if self.has_text else "newest"

    def selected(self, facet: FacetName) -> tuple[str, ...]:
        return tuple(str(value) for value in getattr(self, FACETS[facet].field))
