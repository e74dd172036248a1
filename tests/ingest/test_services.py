"""The write service on real sample files: what lands in the catalogue, re-ingestion, curation, files, previews."""

import hashlib
import os
import shutil

import h5py
import numpy as np
import pytest
from django.core.management import call_command

from catalogue.models import DataFile, Dataset, Document, DocumentKind, Parameter, Person, Preview
from catalogue.services import curation, techniques
from catalogue.signals import dataset_recorded
from ingest import services
from ingest.models import IngestionJob
from tests.conftest import SAMPLES_DIR
from tests.ingest.expected import LINK_TARGETS, REAL, SYNTHETIC


@pytest.fixture
def registry(shared_registry) -> None:
    """The facility registry and PaNET loaded once for the module (tests/ingest/conftest.py)."""


@pytest.mark.parametrize("expected", REAL, ids=[e.file for e in REAL])
def test_real_file_becomes_a_dataset_with_the_fields_a_scientist_checks(ingest, expected):
    job = ingest(expected.file)
    assert job.state == IngestionJob.State.SUCCEEDED, job.error
    dataset = job.dataset
    assert dataset.title == expected.title
    assert dataset.start_time == expected.start
    assert (dataset.instrument.name if dataset.instrument else None) == expected.instrument
    facility = dataset.instrument.facility if dataset.instrument else dataset.proposal.facility
    assert facility.short_name == expected.facility
    assert [sample.name for sample in dataset.samples.all()] == ([expected.sample] if expected.sample else [])
    assert sorted(dataset.techniques.values_list("panet_id", flat=True)) == sorted(expected.techniques)
    if expected.proposal:
        assert dataset.proposal.kind == DocumentKind.PROPOSAL
        assert dataset.proposal.proposal_number == expected.proposal
        assert dataset.proposal.pid == f"{facility.pid_prefix}/proposal/{expected.proposal}"
    else:
        assert dataset.proposal.kind == DocumentKind.SESSION
        assert " session " in dataset.proposal.title
    assert dataset.number_of_files == dataset.files.count() == expected.files
    assert dataset.files.filter(is_missing=True).exists() == bool(expected.dangling)
    assert any("targets missing" in warning for warning in job.warnings) == bool(expected.dangling)
    assert dataset.file_format == "NeXus/HDF5"
    assert dataset.ingestion_state == "ingested"
    assert dataset.release_date is not None


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_synthetic_file_is_catalogued_with_the_technique_of_its_definition(ingest, name):
    from catalogue import panet

    job = ingest(f"synthetic-appdefs/{name}.hdf5")
    assert job.state == IngestionJob.State.SUCCEEDED, job.error
    found = set(job.dataset.techniques.values_list("panet_id", flat=True))
    generic = SYNTHETIC[name]
    if generic is None:
        assert found == set()
    else:
        assert found & panet.vocabulary().descendants(generic)


@pytest.mark.slow  # every real sample file, read and hashed
def test_command_ingests_the_32_real_files_with_link_targets_as_files_of_their_master(registry, capsys):
    paths = [str(SAMPLES_DIR / e.file) for e in REAL] + [str(SAMPLES_DIR / t) for t in LINK_TARGETS]
    call_command("ingest", *paths, "--sync", "--keep-going")
    out = capsys.readouterr().out
    assert "30 ingested, 0 updated, 0 failed, 2 link targets" in out
    assert Dataset.objects.count() == 46  # 30 files; NIST, IPNS and the DLS subentry files hold 16 further entries
    diad = Dataset.objects.get(source_path=str(SAMPLES_DIR / "httomo/k11-18014.nxs"))
    present = diad.files.filter(is_missing=False, role=DataFile.Role.LINKED)
    assert sorted(present.values_list("path", flat=True)) == [
        "k11-18014/k11-18014-imaging.h5",
        "k11-18014/k11-18014-pcompPanda.h5",
    ]
    assert all(len(row.checksum) == 128 for row in present)
    call_command("ingest", *paths, "--sync")
    assert "0 ingested, 30 updated, 0 failed" in capsys.readouterr().out
    assert Dataset.objects.count() == 46


def test_command_fails_with_non_zero_exit_unless_keep_going(registry, tmp_path, capsys):
    (tmp_path / "junk.nxs").write_bytes(b"\x00" * 100)
    shutil.copy(SAMPLES_DIR / "exampledata/PSI_SINQ_DMC_dmc01.h5", tmp_path)
    with pytest.raises(Exception, match="1 of 2 files failed"):
        call_command("ingest", str(tmp_path), "--sync")
    call_command("ingest", str(tmp_path), "--sync", "--keep-going")
    assert "not an HDF5 file" in capsys.readouterr().out


def test_reingesting_updates_in_place_and_keeps_the_pid(ingest):
    first = ingest("scicat-ingestor/ESS_YMIR_small-ymir.hdf").dataset
    second = ingest("scicat-ingestor/ESS_YMIR_small-ymir.hdf")
    assert second.outcome == IngestionJob.Outcome.UPDATED
    assert second.dataset.pk == first.pk
    assert first.pid == "ess/90d87f9a-950f-11ef-9101-fa163e943f63"
    assert Dataset.objects.count() == 1
    assert Parameter.objects.filter(dataset=first).count() == second.dataset.parameters.count()


def test_pid_without_uuid_hashes_the_real_location_and_entry(ingest, nexus_sample):
    dataset = ingest("exampledata/PSI_SINQ_DMC_dmc01.h5").dataset
    location = f"{os.path.realpath(nexus_sample('exampledata/PSI_SINQ_DMC_dmc01.h5'))}#/entry1"
    assert dataset.pid == f"psi.sinq/{hashlib.blake2b(location.encode(), digest_size=10).hexdigest()}"


def test_steward_edits_survive_a_reingest(ingest):
    dataset = ingest("exampledata/PSI_SINQ_DMC_dmc01.h5").dataset
    dataset.title = "GaMnSb powder, corrected by the steward"
    dataset.save()
    curation.record_dataset_edit(dataset=dataset, changed_fields={"title"})
    ingest("exampledata/PSI_SINQ_DMC_dmc01.h5")
    dataset.refresh_from_db()
    assert dataset.title == "GaMnSb powder, corrected by the steward"
    assert dataset.ingested_at is not None


def test_session_proposal_groups_an_instruments_day(ingest):
    dataset = ingest("exampledata/PSI_SINQ_DMC_dmc01.h5").dataset
    assert dataset.proposal.title == "DMC session 2005-05-27"
    assert dataset.proposal.instrument == dataset.instrument
    assert dataset.proposal.pid == "psi.sinq/session/dmc/2005-05-27"


def test_users_become_members_with_their_emails_kept_as_personal_data(ingest):
    dataset = ingest("exampledata/ANSTO_Platypus_PLP0006018.nx.hdf").dataset
    person = Person.objects.get(full_name="Arthur Smith")
    assert person.email == "d.mcgillivray@auckland.ac.nz"
    assert dataset.proposal.members.filter(person=person).exists()
    ymir = ingest("scicat-ingestor/ESS_YMIR_small-ymir.hdf").dataset
    assert ymir.proposal.members.count() == 12
    assert ymir.proposal.members.filter(person__full_name="Søren Schmidt").exists()


def test_parameters_keep_raw_values_and_carry_si(ingest):
    focus = ingest("exampledata/PSI_SINQ_FOCUS_focus2007n001335.hdf").dataset
    temperature = focus.parameters.get(name="sample_temperature")
    assert temperature.raw_unit == "K" and temperature.value_si == pytest.approx(296.379, abs=1e-3)
    assert temperature.unit_si == "kelvin" and temperature.is_physical
    sixs = ingest("punx/SOLEIL_SIXS_scan101.nxs").dataset
    wavelength = sixs.parameters.get(name="incident_wavelength")
    assert wavelength.raw_unit == "Å" and wavelength.unit == "angstrom"
    assert wavelength.value_si == pytest.approx(1.0331844e-10)
    energy = sixs.parameters.get(name="incident_photon_energy")
    assert energy.raw_unit == "KeV" and energy.unit == "keV"
    xps = ingest("pynxtools-xps/BESSY_Cu-HHTP.ibw.nxs").dataset
    assert xps.parameters.get(name="sample_chemical_formula").value_text == "Cu"


def test_master_file_checksum_is_blake2b_of_its_bytes(ingest):
    dataset = ingest("exampledata/PSI_SINQ_DMC_dmc01.h5").dataset
    master = dataset.files.get(role=DataFile.Role.MASTER)
    expected = hashlib.blake2b((SAMPLES_DIR / "exampledata/PSI_SINQ_DMC_dmc01.h5").read_bytes()).hexdigest()
    assert (master.checksum, master.checksum_algorithm, master.path) == (expected, "blake2b", "PSI_SINQ_DMC_dmc01.h5")
    assert master.size == dataset.size


def test_large_files_are_hashed_after_the_metadata(ingest, settings, django_capture_on_commit_callbacks):
    settings.INGEST_LARGE_FILE_BYTES = 1000
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        dataset = ingest("exampledata/PSI_SINQ_DMC_dmc01.h5").dataset
    master = dataset.files.get(role=DataFile.Role.MASTER)
    assert master.checksum == "" and callbacks  # queued, not computed inline
    services.hash_data_file(data_file_id=master.pk)
    master.refresh_from_db()
    assert len(master.checksum) == 128 and master.checksum_verified_at is not None


def test_preview_is_drawn_at_both_sizes_with_its_caption_or_says_why_not(ingest):
    sans = ingest("exampledata/PSI_SINQ_SANS_sans2009n012333.hdf").dataset
    preview = sans.preview
    assert bytes(preview.png).startswith(b"\x89PNG") and (preview.width, preview.height) == (768, 480)
    assert bytes(preview.card_png).startswith(b"\x89PNG") and (preview.card_width, preview.card_height) == (224, 168)
    assert preview.caption.startswith("No default plot in the file") and "Log colour scale" in preview.caption
    assert preview.choice["signal"] == preview.signal_path == "/entry1/data1/counts"
    i04 = ingest("exampledata/DLS_i04_Therm_6_2.nxs").dataset
    assert i04.preview.png is None and i04.preview.card_png is None and i04.preview.caption == ""
    assert "Therm_6_2_000001.h5" in i04.preview.unavailable_reason


def test_a_drawing_that_fails_never_fails_the_ingestion(ingest, tmp_path):
    """Values at the edge of float64 (as a damaged file holds) make Matplotlib's tick placement fail."""
    path = tmp_path / "extreme.nxs"
    with h5py.File(path, "w") as handle:
        entry = handle.create_group("entry")
        entry.attrs.update({"NX_class": "NXentry", "default": "data"})
        data = entry.create_group("data")
        data.attrs.update({"NX_class": "NXdata", "signal": "counts", "axes": "q"})
        data["counts"] = np.array([-1e308, 1.7e308])
        data["q"] = np.array([0.01, 0.2])
    job = ingest(path)
    assert job.state == IngestionJob.State.SUCCEEDED
    assert job.dataset.preview.png is None
    assert job.dataset.preview.unavailable_reason == "drawing failed: ValueError: arange: cannot compute length"


def test_redraw_replaces_an_old_style_preview_and_skips_drawn_ones(ingest):
    dataset = ingest("exampledata/PSI_SINQ_DMC_dmc01.h5").dataset
    Preview.objects.filter(dataset=dataset).update(card_png=None, caption="", choice={})
    assert services.datasets_to_redraw() == [dataset.pk]
    call_command("redraw_previews", "--sync")
    dataset.preview.refresh_from_db()
    assert dataset.preview.card_png is not None and dataset.preview.caption
    assert services.datasets_to_redraw() == [] and services.datasets_to_redraw(every=True) == [dataset.pk]


def test_dataset_recorded_is_sent_inside_the_transaction(ingest):
    seen = []

    def receiver(sender, dataset, created, **kwargs):
        from django.db import connection

        seen.append((dataset.pid, created, connection.in_atomic_block))

    dataset_recorded.connect(receiver)
    try:
        dataset = ingest("exampledata/PSI_SINQ_DMC_dmc01.h5").dataset
        ingest("exampledata/PSI_SINQ_DMC_dmc01.h5")
    finally:
        dataset_recorded.disconnect(receiver)
    assert seen == [(dataset.pid, True, True), (dataset.pid, False, True)]


def test_release_date_is_measurement_plus_the_embargo_period(ingest, settings):
    dataset = ingest("exampledata/PSI_SINQ_FOCUS_focus2007n001335.hdf").dataset
    years = settings.EMBARGO_PERIOD_YEARS
    assert dataset.release_date == dataset.end_time.replace(year=dataset.end_time.year + years)
    assert Document.objects.get(pk=dataset.proposal_id).release_date == dataset.release_date


def test_only_the_most_specific_techniques_are_linked(registry):
    linked = techniques.techniques_by_id(("PaNET01124", "PaNET01188", "PaNET01001"))
    assert [technique.panet_id for technique in linked] == ["PaNET01188", "PaNET01001"]
