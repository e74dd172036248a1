"""Per-technique metadata expectations over real sample files: what a dataset lacks for its technique family is
named for stewards (a flag, not a rejection), in the service and the admin filter alike."""

from pathlib import Path

import pytest
from django.urls import reverse

from catalogue.models import Dataset, IngestionState, Parameter, Sample
from catalogue.services import expectations

pytestmark = pytest.mark.django_db

DMC = "exampledata/PSI_SINQ_DMC_dmc01.h5"  # neutron powder diffraction; the file names no sample
SANS = "exampledata/PSI_SINQ_SANS_sans2009n012333.hdf"  # small-angle neutron scattering, with a sample
FOCUS = "exampledata/PSI_SINQ_FOCUS_focus2007n001335.hdf"  # time-of-flight spectroscopy: no profile applies
WAVE = "incident_wavelength or incident_energy or incident_photon_energy or incident_neutron_energy"


@pytest.fixture
def datasets(ingest) -> dict[str, Dataset]:
    return {Path(sample).stem: Dataset.objects.get(pk=ingest(sample).dataset_id) for sample in (DMC, SANS, FOCUS)}


def flagged(steward_client) -> set[str]:
    page = steward_client.get(reverse("admin:catalogue_dataset_changelist"), {"expected": "missing"})
    assert page.status_code == 200
    return {pid for pid in Dataset.objects.values_list("pid", flat=True) if pid in page.text}


def test_missing_expected_metadata_is_named_and_filtered(datasets, steward_client):
    dmc, sans, focus = datasets.values()
    assert all(dataset.ingestion_state == IngestionState.INGESTED for dataset in datasets.values())  # not rejected
    assert "atomic scale diffraction: sample" in expectations.missing(dataset=dmc)
    assert expectations.missing(dataset=focus) == []
    # A known state for SANS, whatever ingestion extracts: no parameters at all.
    Parameter.objects.filter(dataset=sans).delete()
    assert expectations.missing(dataset=sans) == [
        f"small angle scattering: {WAVE}",
        "small angle scattering: detector_distance",
    ]
    assert flagged(steward_client) == {dmc.pid, sans.pid}

    Parameter.objects.create(dataset=sans, name="incident_neutron_energy", raw_value="3.2", raw_unit="meV")
    assert expectations.missing(dataset=sans) == ["small angle scattering: detector_distance"]
    Parameter.objects.create(dataset=sans, name="detector_distance", raw_value="6", raw_unit="m")
    assert expectations.missing(dataset=sans) == []
    assert sans.pid not in flagged(steward_client)

    page = steward_client.get(reverse("admin:catalogue_dataset_change", args=[dmc.pk]))
    assert "atomic scale diffraction: sample" in page.text


def test_a_sample_clears_the_sample_expectation(datasets):
    dmc = datasets[Path(DMC).stem]
    dmc.samples.add(Sample.objects.create(pid="test/sample/gamnsb", name="Ga0.94Mn0.04Sb"))
    assert not any(gap.endswith(": sample") for gap in expectations.missing(dataset=dmc))
    # The filter (SQL) and the named gaps (Python) agree.
    assert expectations.lacking(Dataset.objects.filter(pk=dmc.pk)).exists() == bool(expectations.missing(dataset=dmc))


def test_profiles_are_checked(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("- family: PaNET01124\n  name: sas\n  expects: [[sample, detector_distance]]\n")
    with pytest.raises(expectations.ProfileError, match="`sample` has no alternatives"):
        expectations.profiles(path)
