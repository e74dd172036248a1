"""The pure reader and extractor over every sample file (32 real, 34 synthetic); no database."""

import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from catalogue import panet
from catalogue.units import NON_PHYSICAL, normalise_unit
from ingest.nexus import extract, profiles, reader
from ingest.nexus.values import to_text
from tests.conftest import SAMPLES_DIR
from tests.ingest.expected import LINK_TARGETS, REAL, SYNTHETIC, TIME_ZONES


def extraction_of(relative: str) -> extract.Extraction:
    path = SAMPLES_DIR / relative
    tree = reader.read_tree(path, source_folder=path.parent)
    return extract.extract(tree, relative_path=path.name)


@pytest.mark.parametrize("expected", REAL, ids=[e.file for e in REAL])
def test_real_file_gives_the_fields_a_scientist_checks(expected):
    found = extraction_of(expected.file)
    assert found.title == expected.title
    assert found.start_time(TIME_ZONES[expected.facility]) == expected.start
    assert found.facility == expected.facility
    assert found.instrument_name == expected.instrument
    assert (found.sample.name if found.sample else None) == expected.sample
    assert found.techniques == expected.techniques
    assert found.proposal_number == expected.proposal
    assert 1 + len({link.written for link in found.links}) == expected.files
    assert found.link_summary.dangling == expected.dangling
    assert any("targets missing" in warning for warning in found.warnings) == bool(expected.dangling)


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_synthetic_file_maps_to_the_panet_term_of_its_definition(name):
    found = extraction_of(f"synthetic-appdefs/{name}.hdf5")
    generic = SYNTHETIC[name]
    if generic is None:  # NXarchive, NXscan: no technique meaning (spec §1.6)
        assert found.techniques == ()
        return
    vocabulary = panet.vocabulary()
    assert found.techniques, name
    assert all(term in vocabulary.terms for term in found.techniques)
    assert any(term in vocabulary.descendants(generic) for term in found.techniques)


def test_derived_definition_written_under_its_parent_name_is_recognised():
    assert extraction_of("synthetic-appdefs/NXdirecttof.hdf5").definitions == ("NXdirecttof",)
    assert extraction_of("synthetic-appdefs/NXindirecttof.hdf5").definitions == ("NXindirecttof",)
    assert extraction_of("synthetic-appdefs/NXtofraw.hdf5").definitions == ("NXtofraw",)


def test_link_targets_alone_are_not_nexus_entries():
    for relative in LINK_TARGETS:
        path = SAMPLES_DIR / relative
        tree = reader.read_tree(path, source_folder=path.parent)
        assert extract.entries(tree) == [tree.nodes["/entry"]] or extract.entries(tree)


def test_relative_external_links_resolve_inside_the_folder_and_missing_ones_are_flagged():
    found = extraction_of("httomo/k11-18014.nxs")
    present = {link.resolved.name for link in found.links if link.exists}
    assert present == {"k11-18014-imaging.h5", "k11-18014-pcompPanda.h5"}
    assert sum(link.object_exists for link in found.links) == 6
    assert found.link_summary.missing_files == 2


def test_absolute_links_to_absent_facility_paths_are_missing_not_errors():
    found = extraction_of("Savu/DLS_I13_24888.nxs")
    assert {link.written for link in found.links} == {link.written for link in found.links if not link.exists}
    assert all(link.written.startswith("/dls/") for link in found.links)


def test_user_block_file_is_read_past_its_xmp_packet():
    path = SAMPLES_DIR / "exampledata/SLS_STXM_Sample_Stack_128.hdf5"
    assert path.read_bytes()[:4] == b"\x89HMP"
    assert reader.read_tree(path, source_folder=path.parent).userblock_size == 32768


def test_vds_with_absent_source_is_recorded_without_reading_zeros():
    path = SAMPLES_DIR / "exampledata/DLS_i04_Therm_6_2.nxs"
    tree = reader.read_tree(path, source_folder=path.parent)
    data = tree.field("/entry/data/data")
    assert data.is_virtual and data.shape == (488, 4362, 4148) and data.value is None
    # Its source is an in-file dataset that is itself an external link to the absent Eiger data file.
    assert [(link.written, link.exists) for link in tree.links] == [("Therm_6_2_000001.h5", False)]


def test_bitshuffle_filter_is_recorded_per_dataset():
    path = SAMPLES_DIR / "punx/APS_12IDB_S2p5min_00070_00001.h5"
    data = reader.read_tree(path, source_folder=path.parent).field("/entry/data/data")
    assert any(name.startswith("32008") for name in data.filters)


def test_users_with_emails_are_read_as_personal_data():
    users = extraction_of("exampledata/ANSTO_Platypus_PLP0006018.nx.hdf").users
    assert [(u.name, u.email) for u in users] == [("Arthur Smith", "d.mcgillivray@auckland.ac.nz")]
    ess = extraction_of("scicat-ingestor/ESS_YMIR_small-ymir.hdf").users
    assert "Søren Schmidt" in [u.name for u in ess]
    assert all(u.email == "" for u in ess)


def test_parameters_take_the_portal_names_and_keep_raw_units():
    sixs = {q.name: q for q in extraction_of("punx/SOLEIL_SIXS_scan101.nxs").parameters}
    assert sixs["incident_wavelength"].raw_unit == "Å"  # Latin-1 b"\xc5" in the file
    assert normalise_unit(sixs["incident_wavelength"].raw_unit).unit == "angstrom"
    assert sixs["incident_photon_energy"].raw_unit == "KeV"
    focus = {q.name: q for q in extraction_of("exampledata/PSI_SINQ_FOCUS_focus2007n001335.hdf").parameters}
    assert focus["sample_temperature"].number == pytest.approx(296.379, abs=1e-3)
    assert focus["sample_temperature"].raw_unit == "K"
    xps = {q.name: q for q in extraction_of("pynxtools-xps/BESSY_Cu-HHTP.ibw.nxs").parameters}
    assert xps["sample_chemical_formula"].text == "Cu"
    assert xps["incident_photon_energy"].number == 153.0


def test_every_unit_string_in_the_real_samples_is_mapped_or_deliberately_non_physical():
    unknown = set()
    for expected in REAL:
        path = SAMPLES_DIR / expected.file
        for node in reader.read_tree(path, source_folder=path.parent).walk():
            raw = to_text(node.attrs.get("units"), keep_placeholders=True) if isinstance(node, reader.Field) else None
            if raw is None:
                continue
            meaning = normalise_unit(raw, quantity_name=node.path)
            if not meaning.is_physical and not meaning.unit and raw.strip() not in NON_PHYSICAL:
                unknown.add(raw)
    assert unknown == set()


def test_several_entries_keep_the_root_default_first():
    nist = extraction_of("punx/NIST_SANS_cs_af1410.h5")
    assert nist.entry_path == "/AF1410_10" and nist.part_of is None
    ipns = extraction_of("exampledata/IPNS_LRMECS_lrcs3701.nx5")
    assert ipns.entry_path == "/Histogram1"


def test_embedded_panet_note_beats_the_definition(tmp_path):
    path = tmp_path / "noted.nxs"
    with h5py.File(path, "w") as handle:
        entry = handle.create_group("entry")
        entry.attrs["NX_class"] = "NXentry"
        entry["definition"] = "NXsas"
        note = entry.create_group("techniques")
        note.attrs["NX_class"] = "NXnote"
        note["data"] = "GISAXS http://purl.org/pan-science/PaNET/PaNET01162"
    tree = reader.read_tree(path, source_folder=tmp_path)
    found = extract.extract(tree, relative_path=path.name)
    assert found.techniques == ("PaNET01162",)
    assert found.technique_source == "embedded PaNET note"


def test_large_arrays_are_never_read(tmp_path):
    path = tmp_path / "big.nxs"
    with h5py.File(path, "w") as handle:
        entry = handle.create_group("entry")
        entry.attrs["NX_class"] = "NXentry"
        entry.create_dataset("data", data=np.zeros((1000, 100)))
        entry["title"] = np.bytes_(b"x" * 100_000)
    tree = reader.read_tree(path, source_folder=tmp_path)
    assert tree.field("/entry/data").value is None
    assert tree.field("/entry/title").value is None


def test_file_without_nxentry_is_refused_by_the_extractor(tmp_path):
    path = tmp_path / "plain.h5"
    with h5py.File(path, "w") as handle:
        handle["x"] = 1
    with pytest.raises(ValueError, match="no NXentry"):
        extract.extract(reader.read_tree(path, source_folder=tmp_path), relative_path="plain.h5")


def test_synthetic_and_real_samples_are_all_present():
    assert len(list((SAMPLES_DIR / "synthetic-appdefs").glob("*.hdf5"))) == len(SYNTHETIC) == 34
    assert len(REAL) + len(LINK_TARGETS) == 32
    assert all(Path(SAMPLES_DIR / e.file).exists() for e in REAL)


def test_file_locked_by_a_writer_is_retried_then_reported_busy(tmp_path):
    path = tmp_path / "writing.nxs"
    with h5py.File(path, "w") as handle:
        handle.create_group("entry").attrs["NX_class"] = "NXentry"
    holder = "import h5py, sys, time; f = h5py.File(sys.argv[1], 'a'); print('open', flush=True); time.sleep(60)"
    writer = subprocess.Popen([sys.executable, "-c", holder, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "open"
        started = time.monotonic()
        with pytest.raises(reader.FileBusy, match="locked by a writer"), reader.open_file(path, first_delay=0.05):
            pass
        assert time.monotonic() - started >= 0.05 + 0.1 + 0.2  # three back-off waits before giving up
    finally:
        writer.kill()
        writer.wait()
    with reader.open_file(path) as handle:
        assert "entry" in handle


def test_contact_details_stay_out_of_the_raw_and_scientific_metadata():
    for relative in ("exampledata/SOLEIL_DIFFABS_file_2.nxs", "exampledata/ANSTO_Platypus_PLP0006018.nx.hdf"):
        found = extraction_of(relative)
        assert found.users and all(user.email for user in found.users)
        dumped = repr(found.raw_metadata) + repr(found.scientific_metadata)
        assert "@" not in dumped.replace("(e-mail address: personal data)", "")


@pytest.mark.parametrize(
    "relative, kelvin_or_value, unit",
    [
        ("exampledata/PSI_SINQ_DMC_dmc01.h5", 4.0017, "K"),  # sample/sample_temperature
        ("exampledata/PSI_SINQ_FOCUS_focus2007n001335.hdf", 296.379, "K"),  # sample/temperature
        ("pynxtools-xps/BESSY_Cu-HHTP.ibw.nxs", 298.0, "K"),  # NXenvironment → NXsensor through a soft link
    ],
)
def test_sample_temperature_is_found_wherever_the_writer_put_it(relative, kelvin_or_value, unit):
    temperature = {q.name: q for q in extraction_of(relative).parameters}["sample_temperature"]
    assert temperature.number == pytest.approx(kelvin_or_value, rel=1e-5) and temperature.raw_unit == unit


def test_a_facility_adds_a_profile_that_places_fields_parameters_and_techniques(tmp_path):
    (tmp_path / "opal.yaml").write_text(
        """
facility: ANSTO
order: 1
match: {paths: ['*/ANSTO_*']}
probe: neutron
fields:
  title: [experiment/title]
  experiment_identifier: [experiment/file_set, experiment/save_count]
instruments:
  - {name: Platypus, paths: ['*Platypus*'], techniques: [PaNET01239]}
parameters:
  - {name: detector_save_count, path: experiment/save_count}
"""
    )
    path = SAMPLES_DIR / "exampledata/ANSTO_Platypus_PLP0006018.nx.hdf"
    tree = reader.read_tree(path, source_folder=path.parent)
    found = extract.extract(tree, relative_path=path.name, profiles=profiles.load_profiles((tmp_path,)))
    assert found.profile == "opal" and found.title == "OLEDs"
    assert found.experiment_identifier == "59"  # file_set is "UNKNOWN": the next candidate path is used
    assert found.techniques == ("PaNET01239",)
    assert {q.name: q.number for q in found.parameters}["detector_save_count"] == 59


def test_a_profile_with_an_unknown_field_is_refused_with_the_known_ones(tmp_path):
    (tmp_path / "bad.yaml").write_text("facility: X\nfields: {colour: [a/b]}\n")
    with pytest.raises(profiles.ProfileError, match="unknown fields"):
        profiles.load_profiles((tmp_path,))


@pytest.mark.parametrize(
    ("relative", "program_path"),
    [
        ("exampledata/DLS_thaumatin_integrated.nxs", "entry/program_name"),
        ("exampledata/DLS_i16_538039.nxs", "entry1/program_name"),
    ],
)
def test_software_version_is_read_from_program_name_as_h5py_sees_it(relative, program_path):
    with h5py.File(SAMPLES_DIR / relative, "r") as nexus:
        program = nexus[program_path]
        name, written = to_text(program[()]), to_text(program.attrs.get("version"))
    found = extraction_of(relative)
    assert (found.software_name, found.software_version) == (name, written or "")


def test_free_scalars_setting_records_at_most_that_many_collection_scalars():
    path = SAMPLES_DIR / next(record.file for record in REAL if "SLS_STXM" in record.file)
    counts = {}
    for limit in (extract.MAX_PARAMETERS, 12):
        with reader.read_tree(path, source_folder=path.parent) as tree:
            found = extract.extract(tree, relative_path=path.name, free_scalars=limit)
        counts[limit] = sum(1 for quantity in found.parameters if "." in quantity.name)
    assert counts == {extract.MAX_PARAMETERS: 200, 12: 12}
