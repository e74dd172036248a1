"""The carbon estimate of producing a dataset, and what evidenced reuse has avoided (landing-doi.md "Carbon estimate").

E_experiment = E_beam + E_travel + E_data, with E_beam = beam hours × the facility's power share × grid intensity,
seeded from the NOBUGS 2022 budget of one beamline-week at ESRF; shown as a range over the published grid factors of
the facility's country. Every factor carries its value, year and source; a facility may override them in
Facility.carbon_factors ({"power_share_kw": {"value": 120, "year": 2024, "source": "…", "url": "…"}, …}).
"""

import math
from dataclasses import dataclass, replace
from datetime import datetime

from catalogue.models import Facility

NOBUGS = "A. Götz & P. Fuhrmann, “Building a PaN Data Commons”, NOBUGS 2022 (one beamline-week at ESRF)"
NOBUGS_URL = ""  # the talk's slides are not online at a stable address
EMAPS = "Electricity Maps 2024 yearly data (ODbL), via GreenAlgorithms/GA-data"
EMAPS_URL = "https://github.com/GreenAlgorithms/GA-data"
GA3 = "Green Algorithms v3.0 (carbonfootprint.com / AIB 2020 production mix)"
GA3_URL = "https://github.com/GreenAlgorithms/GA-data"
SDES = "SDES, Chiffres clés du climat 2023 (IEA data, generation CO2)"
SDES_URL = "https://www.statistiques.developpement-durable.gouv.fr/"
WEEK_HOURS = 168.0


@dataclass(frozen=True)
class Factor:
    key: str
    label: str
    value: float
    unit: str
    year: int
    source: str
    url: str


# (g CO2e/kWh, label, year, source, url) per ISO country code, from landing-doi.md §5.3.
GRID_INTENSITY: dict[str, list[tuple[float, str, int, str, str]]] = {
    "FR": [
        (18.4, "direct", 2024, EMAPS, EMAPS_URL),
        (33.4, "life-cycle", 2024, EMAPS, EMAPS_URL),
        (51.3, "production mix", 2020, GA3, GA3_URL),
        (60.0, "generation", 2021, SDES, SDES_URL),
        (75.0, "as used in the talk", 2022, NOBUGS, NOBUGS_URL),
    ],
    "DE": [
        (276.6, "direct", 2024, EMAPS, EMAPS_URL),
        (333.8, "life-cycle", 2024, EMAPS, EMAPS_URL),
        (338.7, "production mix", 2020, GA3, GA3_URL),
        (384.0, "generation", 2021, SDES, SDES_URL),
    ],
    "SE": [
        (4.1, "direct", 2024, EMAPS, EMAPS_URL),
        (22.6, "life-cycle", 2024, EMAPS, EMAPS_URL),
        (5.7, "production mix", 2020, GA3, GA3_URL),
        (34.0, "generation", 2021, SDES, SDES_URL),
    ],
    "CH": [
        (18.6, "direct", 2024, EMAPS, EMAPS_URL),
        (40.8, "life-cycle", 2024, EMAPS, EMAPS_URL),
        (11.5, "production mix", 2020, GA3, GA3_URL),
    ],
    "GB": [
        (106.7, "direct", 2024, EMAPS, EMAPS_URL),
        (163.9, "life-cycle", 2024, EMAPS, EMAPS_URL),
        (231.1, "DESNZ", 2020, GA3, GA3_URL),
    ],
    "ES": [
        (89.0, "direct", 2024, EMAPS, EMAPS_URL),
        (124.1, "life-cycle", 2024, EMAPS, EMAPS_URL),
        (171.0, "production mix", 2020, GA3, GA3_URL),
    ],
    "IT": [
        (188.7, "direct (North)", 2024, EMAPS, EMAPS_URL),
        (244.3, "life-cycle (North)", 2024, EMAPS, EMAPS_URL),
        (323.8, "production mix", 2020, GA3, GA3_URL),
    ],
    "DK": [
        (74.7, "direct", 2024, EMAPS, EMAPS_URL),
        (123.6, "life-cycle", 2024, EMAPS, EMAPS_URL),
        (142.5, "production mix", 2020, GA3, GA3_URL),
    ],
    "NL": [
        (199.2, "direct", 2024, EMAPS, EMAPS_URL),
        (262.9, "life-cycle", 2024, EMAPS, EMAPS_URL),
        (374.3, "production mix", 2020, GA3, GA3_URL),
    ],
    "PL": [
        (643.0, "direct", 2024, EMAPS, EMAPS_URL),
        (703.5, "life-cycle", 2024, EMAPS, EMAPS_URL),
        (759.6, "production mix", 2020, GA3, GA3_URL),
        (748.0, "generation", 2021, SDES, SDES_URL),
    ],
}
# A country we hold no factor for: the lowest and the highest factor of the table, each named with its country.
_ALL_GRID_ROWS = [
    (value, f"{label}, {code}", year, source, url)
    for code, rows in GRID_INTENSITY.items()
    for value, label, year, source, url in rows
]
FALLBACK_GRID = [min(_ALL_GRID_ROWS), max(_ALL_GRID_ROWS)]

DEFAULT_FACTORS = {
    factor.key: factor
    for factor in (
        Factor(
            "power_share_kw",
            "Facility electricity attributed to one instrument in operation",
            163.0,
            "kW",
            2022,
            f"{NOBUGS}: 2,056 kg ÷ 0.075 kg/kWh ≈ 27.4 MWh per beamline-week",
            NOBUGS_URL,
        ),
        Factor("travel_kg_per_week", "User travel per beamline-week", 1170.0, "kg CO2e", 2022, NOBUGS, NOBUGS_URL),
        Factor(
            "data_kg_per_week",
            "Processing 12.6 + storage 1.8 + transfer 2.3 + 10-year archive 7 kg per beamline-week",
            23.7,
            "kg CO2e",
            2022,
            NOBUGS,
            NOBUGS_URL,
        ),
        Factor(
            "reuse_kg",
            "Cost of one reuse: transfer 2.3 + processing 12.6 kg (a beamline-week of data)",
            14.9,
            "kg CO2e",
            2022,
            NOBUGS,
            NOBUGS_URL,
        ),
        Factor(
            "p_replace",
            "Share of a new experiment one evidenced reuse replaces (central value; the range uses 0.5 to 1)",
            0.5,
            "",
            2024,
            "landing-doi.md §5.5 (our assumption, capped at one experiment per reuse)",
            "",
        ),
    )
}
P_REPLACE_HIGH = 1.0


@dataclass(frozen=True)
class GridFactor:
    value: float
    label: str
    year: int
    source: str
    url: str


@dataclass(frozen=True)
class Estimate:
    beam_hours: float
    energy_kwh: float
    grid_low: GridFactor
    grid_high: GridFactor
    grid_factors: list[GridFactor]
    country: str
    beam_kg: tuple[float, float]
    travel_kg: tuple[float, float]
    data_kg: float
    total_kg: tuple[float, float]
    factors: list[Factor]
    outside_downloads: int
    citations: int
    avoided_kg: tuple[float, float] | None

    @property
    def reuses(self) -> int:
        return self.outside_downloads + self.citations


def significant(value: float, digits: int = 2) -> float:
    if value == 0:
        return 0.0
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def factors_for(facility: Facility | None) -> dict[str, Factor]:
    factors = dict(DEFAULT_FACTORS)
    overrides = facility.carbon_factors if facility is not None else {}
    for key, override in (overrides or {}).items():
        if key in factors and isinstance(override, dict) and "value" in override:
            factors[key] = replace(
                factors[key],
                value=float(override["value"]),
                year=int(override.get("year", factors[key].year)),
                source=str(override.get("source", f"{facility} data office")),
                url=str(override.get("url", "")),
            )
    return factors


def grid_factors(country: str) -> list[GridFactor]:
    rows = GRID_INTENSITY.get(country.upper(), FALLBACK_GRID)
    return sorted((GridFactor(*row) for row in rows), key=lambda g: g.value)


def beam_hours(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None or end <= start:
        return None
    return (end - start).total_seconds() / 3600


def estimate(*, hours: float, facility: Facility | None, outside_downloads: int = 0, citations: int = 0) -> Estimate:
    """The range of CO2e (kg) of `hours` of beamtime at `facility`, and what the evidenced reuses avoided."""
    factors = factors_for(facility)
    grids = grid_factors(facility.country if facility is not None and facility.country else "")
    low, high = grids[0], grids[-1]
    energy = hours * factors["power_share_kw"].value
    weeks = hours / WEEK_HOURS
    beam = (energy * low.value / 1000, energy * high.value / 1000)
    # Remote and mail-in experiments have no travel: the low end is zero.
    travel = (0.0, weeks * factors["travel_kg_per_week"].value)
    data = weeks * factors["data_kg_per_week"].value
    total = (beam[0] + travel[0] + data, beam[1] + travel[1] + data)
    reuses = outside_downloads + citations
    avoided = None
    if reuses:
        cost = reuses * factors["reuse_kg"].value
        avoided = (
            max(0.0, reuses * factors["p_replace"].value * total[0] - cost),
            max(0.0, reuses * P_REPLACE_HIGH * total[1] - cost),
        )
    return Estimate(
        beam_hours=hours,
        energy_kwh=energy,
        grid_low=low,
        grid_high=high,
        grid_factors=grids,
        country=facility.country if facility is not None else "",
        beam_kg=beam,
        travel_kg=travel,
        data_kg=data,
        total_kg=total,
        factors=list(factors.values()),
        outside_downloads=outside_downloads,
        citations=citations,
        avoided_kg=avoided,
    )


def format_mass(kg: float) -> str:
    """2 significant figures, in kg below a tonne and in t above."""
    if kg >= 1000:
        return f"{significant(kg / 1000):g} t"
    return f"{significant(kg):g} kg"
