"""catalogue.units: the unit strings of real files and of portal queries, mapped deliberately (PaNOSC spec §4.4)."""

import math

import pytest

from catalogue import units


@pytest.mark.parametrize(
    ("raw", "quantity", "meaning"),
    [
        ("K", "", "K"),
        ("kelvin", "", "K"),
        ("Kelvin", "", "K"),
        ("celsius", "", "degC"),
        ("degC", "", "degC"),
        ("°C", "", "degC"),
        ("deg C", "", "degC"),
        ("C", "sample_temperature", "degC"),
        ("F", "temperature", "degF"),
        ("°F", "", "degF"),
        ("angstrom", "", "angstrom"),
        ("Angstrom", "", "angstrom"),
        ("Angstroms", "", "angstrom"),
        ("Angstroem", "", "angstrom"),
        ("Å", "", "angstrom"),
        ("\u212b", "", "angstrom"),
        ("Ang", "", "angstrom"),
        ("A", "incident_wavelength", "angstrom"),
        ("1/angstrom", "", "1/angstrom"),
        ("Angstrom^-1", "", "1/angstrom"),
        ("Å^-1", "", "1/angstrom"),
        ("KeV", "", "keV"),
        ("kev", "", "keV"),
        ("keV", "", "keV"),
        ("GeV", "", "GeV"),
        ("meV", "", "meV"),
        ("um", "", "um"),
        ("µm", "", "um"),
        ("μm", "", "um"),
        ("micron", "", "um"),
        ("microns", "", "um"),
        ("deg", "", "degree"),
        ("degrees", "", "degree"),
        ("°", "", "degree"),
        ("sec", "", "s"),
        ("seconds", "", "s"),
        ("second", "", "s"),
        ("Torr", "", "torr"),
        ("mBar", "", "mbar"),
        ("bars", "", "bar"),
        ("Volts", "", "V"),
        ("%", "", "percent"),
        ("mm", "", "mm"),
        ("1/cm", "", "1/cm"),
        ("V/A", "", "V/A"),
    ],
)
def test_file_unit_strings_mean_what_scientists_meant(raw, quantity, meaning):
    normalised = units.normalise_unit(raw, quantity_name=quantity)
    assert normalised == units.NormalisedUnit(meaning, True)


@pytest.mark.parametrize(("raw", "quantity"), [("C", "charge"), ("A", "current"), ("F", "capacitance")])
def test_ambiguous_letters_keep_their_si_meaning_outside_their_quantity(raw, quantity):
    assert units.normalise_unit(raw, quantity_name=quantity).unit == raw


@pytest.mark.parametrize(
    "raw",
    [
        "counts",
        "cts",
        "secORcounts",
        "countsOrseconds",
        "User Unit",
        "UU",
        "eng",
        "No unit",
        "none",
        "pixel",
        "{units of logged value}",
        " ",
        "",
        None,
        "b'\\xb5m'",
        "not/a*unit^^",
    ],
)
def test_non_physical_or_unreadable_units_are_kept_but_never_converted(raw):
    normalised = units.normalise_unit(raw)
    assert normalised.is_physical is False
    assert normalised.unit == ""


def test_count_rates_are_read_but_marked_non_physical():
    assert units.normalise_unit("c/s") == units.NormalisedUnit("count/s", False)


@pytest.mark.parametrize(
    ("value", "unit", "si", "dimension"),
    [
        (25, "degC", 298.15, "[temperature]"),
        (77, "degF", 298.15, "[temperature]"),
        (0.98, "angstrom", 0.98e-10, "[length]"),
        (8.9, "keV", 8.9e3 * 1.602176634e-19, "[mass] * [length] ** 2 / [time] ** 2"),
        (1, "mbar", 100.0, "[mass] / [length] / [time] ** 2"),
        (90, "degree", math.pi / 2, "dimensionless"),
    ],
)
def test_si_conversion_is_affine_for_temperatures_and_exact_elsewhere(value, unit, si, dimension):
    converted = units.to_si(value, unit)
    assert converted.value == pytest.approx(si, rel=1e-12)
    assert converted.dimension == dimension
    assert units.from_si(converted.value, unit) == pytest.approx(value, rel=1e-12)


def test_queries_keep_coulomb_and_refuse_bare_b_and_junk():
    assert units.dimension_of(units.query_unit("C")) == "[current] * [time]"
    for bad in ("b", "", "furlongs per fortnight^^"):
        with pytest.raises(units.UnknownUnit):
            units.query_unit(bad)


def test_celsius_and_kelvin_are_compatible_but_not_metres():
    assert units.compatible("degC", "K")
    assert not units.compatible("degC", "m")


@pytest.mark.parametrize(
    "unit", ["K", "celsius", "fahrenheit", "angstrom", "nm", "pm", "eV", "keV", "J", "Pa", "kPa", "bar", "atm", "torr"]
)
@pytest.mark.parametrize("value_si", [0.0, 1e-19, 2.5e-10, 77.0, 298.15, 101325.0, -3.5])
def test_from_si_agrees_with_pint_for_every_unit_the_queries_offer(unit, value_si):
    unit = units.query_unit(unit)
    expected = float(units.REGISTRY.Quantity(value_si, units._base_units(unit)).to(units._parse(unit)).magnitude)
    assert units.from_si(value_si, unit) == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_units_that_are_not_affine_are_converted_by_pint_each_time():
    decibel = units.query_unit("dB")
    assert units._affine_from_si(decibel) is None
    assert units.from_si(100.0, decibel) == pytest.approx(20.0)
