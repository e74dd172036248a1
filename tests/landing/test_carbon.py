"""The carbon estimate follows the spec's method: beam energy × grid range, travel range, data items, reuse."""

import pytest

from landing.services import carbon
from tests.factories import FacilityFactory

pytestmark = pytest.mark.django_db


def test_one_beamline_week_in_france_reproduces_the_nobugs_budget():
    esrf = FacilityFactory(short_name="ESRF", country="FR")
    week = carbon.estimate(hours=168, facility=esrf)
    assert week.energy_kwh == pytest.approx(27_384)  # 163 kW × 168 h ≈ 27.4 MWh
    assert week.beam_kg[1] == pytest.approx(2_054, rel=0.01)  # the talk's 2,056 kg at 75 g/kWh
    assert week.beam_kg[0] == pytest.approx(27_384 * 0.0184)
    assert week.travel_kg == (0.0, 1170.0)
    assert week.data_kg == pytest.approx(23.7)
    assert carbon.format_mass(week.total_kg[1]) == "3.2 t"  # the talk's ≈ 3.24 t


def test_evidenced_reuse_avoids_at_most_one_experiment_each():
    facility = FacilityFactory(short_name="DESY", country="DE")
    estimate = carbon.estimate(hours=24, facility=facility, outside_downloads=2, citations=1)
    assert estimate.reuses == 3
    low, high = estimate.avoided_kg
    assert 0 < low < high <= 3 * estimate.total_kg[1]
    assert carbon.estimate(hours=24, facility=facility).avoided_kg is None


def test_facility_overrides_name_their_source():
    facility = FacilityFactory(
        short_name="PSI",
        country="CH",
        carbon_factors={"power_share_kw": {"value": 120, "year": 2025, "source": "PSI energy report 2025"}},
    )
    factors = {f.key: f for f in carbon.estimate(hours=10, facility=facility).factors}
    assert factors["power_share_kw"].value == 120.0 and factors["power_share_kw"].source == "PSI energy report 2025"


def test_unknown_country_uses_the_whole_table_as_its_range():
    facility = FacilityFactory(short_name="APS", country="US")
    estimate = carbon.estimate(hours=10, facility=facility)
    assert (estimate.grid_low.value, estimate.grid_high.value) == (4.1, 759.6)
    assert "SE" in estimate.grid_low.label and "PL" in estimate.grid_high.label
