"""Units: one mapping of the unit strings found in files and queries onto pint, and conversion to SI.

Pure Python (no Django): ingestion normalises what files say, the search API converts query operands
(PaNOSC spec §4.3–4.4, nexus-ingestion.md §1.4). Raw strings are never rewritten in the catalogue; this module
only says what they mean.
"""

import math
import re
import warnings
from dataclasses import dataclass
from functools import cache

import pint
from pint.facets.plain import PlainUnit

REGISTRY: pint.UnitRegistry = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)

# Written as → pint name, case-sensitive (spec §4.4). Ingestion and queries both use it.
ALIASES: dict[str, str] = {
    "kelvin": "K",
    "Kelvin": "K",
    "celsius": "degC",
    "Celsius": "degC",
    "°C": "degC",
    "deg C": "degC",
    "degC": "degC",
    "C°": "degC",
    "fahrenheit": "degF",
    "Fahrenheit": "degF",
    "°F": "degF",
    "deg F": "degF",
    "angstrom": "angstrom",
    "Angstrom": "angstrom",
    "Angstroms": "angstrom",
    "angstroms": "angstrom",
    "Angstroem": "angstrom",
    "Ångström": "angstrom",
    "Å": "angstrom",
    "Ang": "angstrom",
    "1/angstrom": "1/angstrom",
    "1/Angstrom": "1/angstrom",
    "Angstrom^-1": "1/angstrom",
    "Å^-1": "1/angstrom",
    "Å⁻¹": "1/angstrom",
    "1/Å": "1/angstrom",
    "1/A": "1/angstrom",
    "A^-1": "1/angstrom",
    "1/Ang": "1/angstrom",
    "KeV": "keV",
    "kev": "keV",
    "KEV": "keV",
    "ev": "eV",
    "EV": "eV",
    "MeV": "MeV",
    "mev": "meV",
    "um": "um",
    "µm": "um",
    "μm": "um",
    "micron": "um",
    "microns": "um",
    "deg": "degree",
    "degree": "degree",
    "degrees": "degree",
    "°": "degree",
    "Deg": "degree",
    "sec": "s",
    "secs": "s",
    "seconds": "s",
    "second": "s",
    "Sec": "s",
    "Torr": "torr",
    "torr": "torr",
    "mBar": "mbar",
    "mbars": "mbar",
    "bars": "bar",
    "Bar": "bar",
    "Volts": "V",
    "volts": "V",
    "Volt": "V",
    "Amps": "A",
    "amps": "A",
    "c/s": "count/s",
    # Seen in the real sample files (ingestion, issue 4): SINQ, APS and SNS sample-environment logs.
    "Hertz": "Hz",
    "Ohm": "ohm",
    "Ohms": "ohm",
    "RAD": "radian",
    "RPM": "rpm",
    "picoCoulombs": "pC",
    "electrons/nm3": "1/nm**3",
    "cps": "count/s",
    "%": "percent",
}
# Strings that are not physical units at all: kept as written, never converted (SciCat copies them through).
NON_PHYSICAL = frozenset(
    {
        "counts",
        "count",
        "cts",
        "pixel",
        "pixels",
        "steps",
        "step",
        "User Unit",
        "UU",
        "eng",
        "No unit",
        "none",
        "None",
        "NONE",
        "secORcounts",
        "countsOrseconds",
        "{units of logged value}",
        "a.u.",
        "arb",
        "arbitrary",
        "arbitrary units",
        "au",
        "n/a",
        "N/A",
        "unitless",
        "dimensionless",
        "mm/pixel",
        # Seen in the real sample files (ingestion, issue 4): labels of channels and states, not units.
        "channel",
        "clock",
        "detectors",
        "fraction",
        "full st",
        "ls-1",
        "pulses",
    }
)
# Ambiguous single letters mean a temperature or a length only where the quantity's name says so (spec §4.4).
AMBIGUOUS_AT_INGESTION = {
    "C": ("degC", re.compile(r"temp", re.IGNORECASE)),
    "F": ("degF", re.compile(r"temp", re.IGNORECASE)),
    "A": ("angstrom", re.compile(r"wavelength|lambda|length|d_spacing|distance_a", re.IGNORECASE)),
}
FORBIDDEN_IN_QUERIES = frozenset({"b"})  # bit in mathjs, barn in pint: never guess


class UnknownUnit(ValueError):
    """A unit string that pint cannot read after normalisation."""


@dataclass(frozen=True)
class NormalisedUnit:
    unit: str  # pint-readable, e.g. "degC", "angstrom", "keV"; empty for non-physical or missing
    is_physical: bool


@dataclass(frozen=True)
class SiValue:
    value: float
    unit: str  # e.g. "kelvin", "meter", "kilogram * meter ** 2 / second ** 2"
    dimension: str  # e.g. "[temperature]", "[length]"


def _clean(raw: str) -> str:
    text = raw.strip().replace("\u00b5", "u").replace("\u03bc", "u")
    return text.replace("\u212b", "Å")


def normalise_unit(raw: str | None, *, quantity_name: str = "") -> NormalisedUnit:
    """What a unit string found in a file means; an unreadable one is non-physical (kept, never converted)."""
    if raw is None or not raw.strip():
        return NormalisedUnit("", False)
    text = raw.strip()
    if text in NON_PHYSICAL:
        return NormalisedUnit("", False)
    if text in AMBIGUOUS_AT_INGESTION:
        meaning, name_pattern = AMBIGUOUS_AT_INGESTION[text]
        if name_pattern.search(quantity_name):
            return NormalisedUnit(meaning, True)
    candidate = ALIASES.get(text) or ALIASES.get(_clean(text)) or _clean(text)
    try:
        _parse(candidate)
    except UnknownUnit:
        return NormalisedUnit("", False)
    if _is_count_like(candidate):
        return NormalisedUnit(candidate, False)
    return NormalisedUnit(candidate, True)


def query_unit(raw: str) -> str:
    """The unit of a query operand (portal: K, celsius, nm, eV, Pa…); raises UnknownUnit."""
    text = raw.strip()
    if not text or text in FORBIDDEN_IN_QUERIES:
        raise UnknownUnit(f"unknown unit {raw!r}")
    candidate = ALIASES.get(text) or ALIASES.get(_clean(text)) or _clean(text)
    _parse(candidate)
    return candidate


@cache
def _parse(unit: str) -> pint.Unit:
    try:
        return REGISTRY.parse_units(unit)
    except Exception as error:  # pint's parser raises anything (even AssertionError) on junk
        raise UnknownUnit(f"unknown unit {unit!r}") from error


def _is_count_like(unit: str) -> bool:
    return "count" in str(_parse(unit)) or "pixel" in str(_parse(unit))


@cache
def dimension_of(unit: str) -> str:
    return str(_parse(unit).dimensionality)


def to_si(value: float, unit: str) -> SiValue:
    """Convert to SI base units, temperatures affinely (25 degC → 298.15 K)."""
    quantity = REGISTRY.Quantity(value, _parse(unit)).to_base_units()
    return SiValue(float(quantity.magnitude), str(quantity.units), dimension_of(unit))


def from_si(value_si: float, unit: str) -> float:
    """The inverse of to_si: an SI base-unit value expressed in `unit`."""
    line = _affine_from_si(unit)
    if line is None:
        return _pint_from_si(value_si, unit)
    scale, offset = line
    return scale * value_si + offset


def _pint_from_si(value_si: float, unit: str) -> float:
    return float(REGISTRY.Quantity(value_si, _base_units(unit)).to(_parse(unit)).magnitude)


@cache
def _affine_from_si(unit: str) -> tuple[float, float] | None:
    """from_si as scale × value + offset, read off pint once per unit: a pint conversion costs ~30 µs, and a page
    of parameters converts hundreds. Every multiplicative unit and the offset temperatures are affine; a unit that
    is not (logarithmic, such as dB) is None and always converted by pint."""
    try:
        with warnings.catch_warnings():  # a logarithmic unit takes the log of 0: -inf, and the test below fails
            warnings.simplefilter("ignore", RuntimeWarning)
            offset = _pint_from_si(0.0, unit)
            scale = (_pint_from_si(1e6, unit) - offset) / 1e6
            probe = 12345.678
            exact = _pint_from_si(probe, unit)
    except (pint.PintError, ArithmeticError, ValueError):
        return None
    if not math.isclose(scale * probe + offset, exact, rel_tol=1e-12):
        return None
    return scale, offset


@cache
def _base_units(unit: str) -> PlainUnit:
    return REGISTRY.Quantity(1.0, _parse(unit)).to_base_units().units


# SI's named derived units, used to show an SI value: 16.9 keV reads 2.71×10⁻¹⁵ J, not kg·m²/s². (pint's own
# to_preferred() would choose among them but needs scipy.)
NAMED_SI_UNITS = ("J", "W", "N", "Pa", "V", "T", "Hz", "C", "ohm", "S", "F", "Wb", "H")


@cache
def _display_unit(unit_si: str) -> pint.Unit:
    base = _parse(unit_si)
    named = {REGISTRY.Unit(name).dimensionality: REGISTRY.Unit(name) for name in NAMED_SI_UNITS}
    return named.get(base.dimensionality, base)


def format_si(value_si: float, unit_si: str) -> str:
    """An SI value for people: three significant digits and the unit in symbols (0.73 Å → "7.3×10⁻¹¹ m")."""
    try:
        quantity = REGISTRY.Quantity(value_si, _parse(unit_si)).to(_display_unit(unit_si))
    except (UnknownUnit, pint.PintError):
        return f"{value_si:.3g} {unit_si}".strip()
    return f"{quantity:.3g~P}"


def compatible(unit_a: str, unit_b: str) -> bool:
    return dimension_of(unit_a) == dimension_of(unit_b)


def is_finite(value: float) -> bool:
    return math.isfinite(value)
